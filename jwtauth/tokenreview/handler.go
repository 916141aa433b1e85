package tokenreview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/structauth/structauth/jwtauth"
)

// TokenAuthenticator authenticates a bearer token: jwtauth's interface,
// implemented by *jwtauth.Authenticator, *reload.Authenticator and
// *tokencache.Cache. It must be safe for concurrent use.
type TokenAuthenticator = jwtauth.TokenAuthenticator

// DefaultMaxBodyBytes bounds a request body: twice jwtauth's default token
// limit, which leaves room for the JSON around the token.
const DefaultMaxBodyBytes = 2 * jwtauth.DefaultMaxTokenSize

// Options tunes a Handler. The zero value is a working handler without
// implicit audiences.
type Options struct {
	// ImplicitAudiences are the audiences the server answers for, like
	// kube-apiserver's --api-audiences: a request without spec.audiences
	// is reviewed for these, and a request whose spec.audiences share
	// none of them is refused without looking at the token. When set,
	// status.audiences of an authenticated answer is the intersection of
	// the requested and the implicit audiences, in request order. Nil
	// means none: requests without spec.audiences are reviewed without an
	// audience check, and requests with spec.audiences are all refused,
	// as kube-apiserver does with an empty --api-audiences.
	//
	// These audiences are about the TokenReview, not the token: the
	// token's "aud" is checked by the authenticator against its own
	// configuration (issuer.audiences), as kube-apiserver does for its
	// JWT authenticators (WrapAudienceAgnosticToken).
	ImplicitAudiences []string
	// MaxBodyBytes bounds the request body; larger bodies are answered
	// with 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ErrorMessage turns an authentication error into status.error.
	// Nil means the error's text (jwtauth errors never contain the token).
	// Whatever it returns, a status.error that contains the token or one
	// of its dot-separated parts is replaced by a generic text.
	ErrorMessage func(error) string
	// OnReview, when non-nil, is called with the outcome of every
	// well-formed review (requests refused with an HTTP error are not
	// reviews), for logs and metrics. It runs on the request's goroutine
	// and must not modify the Result's User.
	OnReview func(ctx context.Context, r Result)
}

// Result is what OnReview receives. It has no token.
type Result struct {
	// APIVersion is the request's apiVersion.
	APIVersion string
	// Audiences are the audiences reviewed: spec.audiences, or the
	// implicit audiences when the request had none.
	Audiences []string
	// Authenticated, User and Err are the outcome. Err is nil when
	// Authenticated is true.
	Authenticated bool
	User          *jwtauth.User
	Err           error
}

// Handler serves TokenReview requests (POST, application/json) for a
// TokenAuthenticator, so that kube-apiserver can use it as its webhook
// token authenticator. It is safe for concurrent use.
type Handler struct {
	auth     TokenAuthenticator
	implicit []string
	maxBody  int64
	errMsg   func(error) string
	onReview func(context.Context, Result)
}

// ErrAudiences is the Result.Err of a request whose audiences share none
// of the implicit audiences.
var ErrAudiences = errors.New("tokenreview: requested audiences not served")

// NewHandler returns a Handler that reviews tokens with a.
func NewHandler(a TokenAuthenticator, opts Options) (*Handler, error) {
	if a == nil {
		return nil, errors.New("tokenreview: nil authenticator")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("tokenreview: Options.MaxBodyBytes must not be negative, got %d", opts.MaxBodyBytes)
	}
	for i, aud := range opts.ImplicitAudiences {
		if aud == "" {
			return nil, fmt.Errorf("tokenreview: Options.ImplicitAudiences[%d] is empty", i)
		}
	}
	h := &Handler{
		auth:     a,
		implicit: append([]string(nil), opts.ImplicitAudiences...),
		maxBody:  opts.MaxBodyBytes,
		errMsg:   opts.ErrorMessage,
		onReview: opts.OnReview,
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h, nil
}

// ServeHTTP answers a TokenReview. Protocol errors get an HTTP error with
// a Kubernetes Status body: 405 for a method other than POST, 415 for a
// Content-Type other than application/json, 413 for a body above
// MaxBodyBytes, 400 for a body DecodeRequest refuses. Every well-formed
// review gets 200 with a TokenReview of the request's apiVersion whose
// status says whether the token was authenticated, as kube-apiserver
// answers: a refused token is "authenticated": false with status.error,
// not an HTTP error (the webhook client treats HTTP errors as an outage
// and retries). The answer does not echo spec.token.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only POST is allowed")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeStatus(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type must be application/json")
		return
	}
	if r.ContentLength > h.maxBody {
		writeStatus(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("request body is larger than %d bytes", h.maxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeStatus(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("request body is larger than %d bytes", h.maxBody))
			return
		}
		writeStatus(w, http.StatusBadRequest, "BadRequest", "could not read the request body")
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	resp := h.Review(r.Context(), req)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// Review answers a decoded request (see DecodeRequest) with kube-apiserver's
// audience semantics, without HTTP. The result has the request's
// apiVersion and no token.
func (h *Handler) Review(ctx context.Context, req *TokenReview) *TokenReview {
	resp := &TokenReview{
		APIVersion: req.APIVersion,
		Kind:       Kind,
		Metadata:   req.Metadata,
		Spec:       Spec{Audiences: req.Spec.Audiences},
	}
	// kube-apiserver's TokenReview storage: no requested audiences means
	// the server's own (--api-audiences).
	auds := req.Spec.Audiences
	if len(auds) == 0 {
		auds = h.implicit
	}
	rev := Result{APIVersion: req.APIVersion, Audiences: auds}
	var granted []string
	if len(auds) > 0 {
		// WrapAudienceAgnosticToken: the authenticator does not know
		// about requested audiences, so the answer is valid only for the
		// requested audiences the server itself serves.
		granted = intersect(auds, h.implicit)
		if len(granted) == 0 {
			rev.Err = ErrAudiences
			resp.Status.Error = "the requested audiences are not served by this authenticator"
			h.report(ctx, rev)
			return resp
		}
	}
	u, err := h.auth.Authenticate(ctx, req.Spec.Token)
	if err == nil && u == nil {
		err = errors.New("tokenreview: authenticator returned no user")
	}
	if err != nil {
		rev.Err = err
		resp.Status.Error = h.message(err, req.Spec.Token)
		h.report(ctx, rev)
		return resp
	}
	rev.Authenticated, rev.User = true, u
	resp.Status.Authenticated = true
	resp.Status.Audiences = granted
	resp.Status.User = UserInfo{Username: u.Username, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		resp.Status.User.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			resp.Status.User.Extra[k] = v
		}
	}
	h.report(ctx, rev)
	return resp
}

func (h *Handler) report(ctx context.Context, r Result) {
	if h.onReview != nil {
		h.onReview(ctx, r)
	}
}

// genericError replaces a status.error that would reveal the token.
const genericError = "token not authenticated"

// message returns status.error for err, never revealing token.
func (h *Handler) message(err error, token string) string {
	msg := err.Error()
	if h.errMsg != nil {
		msg = h.errMsg(err)
	}
	if msg == "" {
		return genericError
	}
	if strings.Contains(msg, token) {
		return genericError
	}
	// A part of a JWS (header, payload or signature) is as sensitive
	// as the whole when it is the signature; short parts (such as an
	// empty one) would match anything and say nothing.
	for part := range strings.SplitSeq(token, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			return genericError
		}
	}
	return msg
}

// intersect returns the members of requested that are in served, in
// requested's order (authenticator.Audiences.Intersect).
func intersect(requested, served []string) []string {
	var out []string
	for _, r := range requested {
		for _, s := range served {
			if r == s {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(apiStatus{
		APIVersion: "v1",
		Kind:       "Status",
		Status:     "Failure",
		Message:    msg,
		Reason:     reason,
		Code:       code,
	})
}
