package tokenreview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Request errors returned by DecodeRequest, matched with errors.Is. The
// handler answers each with 400 Bad Request. Their texts never contain
// the token or other request content.
var (
	// ErrMalformed: the body is not a single JSON object of the
	// TokenReview shape.
	ErrMalformed = errors.New("tokenreview: malformed request")
	// ErrKind: "kind" is not "TokenReview".
	ErrKind = errors.New("tokenreview: kind must be TokenReview")
	// ErrAPIVersion: "apiVersion" is not authentication.k8s.io/v1 or
	// authentication.k8s.io/v1beta1.
	ErrAPIVersion = errors.New("tokenreview: unsupported apiVersion")
	// ErrMissingToken: spec.token is empty (kube-apiserver's own
	// TokenReview API refuses this too: "token is required").
	ErrMissingToken = errors.New("tokenreview: spec.token is required")
	// ErrTooManyAudiences: spec.audiences has more than MaxAudiences
	// entries.
	ErrTooManyAudiences = errors.New("tokenreview: too many spec.audiences")
)

// MaxAudiences bounds the number of spec.audiences of a request. Real
// clients send one or two.
const MaxAudiences = 64

// DecodeRequest decodes a TokenReview request body. It accepts exactly
// one JSON object (trailing data is an error), ignores unknown members
// (as kube-apiserver's decoder does, so newer clients keep working),
// requires kind TokenReview, apiVersion authentication.k8s.io/v1 or
// v1beta1 and a non-empty spec.token, and clears the request's status.
// Errors match one of ErrMalformed, ErrKind, ErrAPIVersion,
// ErrMissingToken and ErrTooManyAudiences.
//
// DecodeRequest does not bound the size of data; the handler reads at
// most Options.MaxBodyBytes.
func DecodeRequest(data []byte) (*TokenReview, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var tr TokenReview
	if err := dec.Decode(&tr); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if tr.Kind != Kind {
		return nil, ErrKind
	}
	if tr.APIVersion != APIVersionV1 && tr.APIVersion != APIVersionV1beta1 {
		return nil, fmt.Errorf("%w: want %s or %s", ErrAPIVersion, APIVersionV1, APIVersionV1beta1)
	}
	if tr.Spec.Token == "" {
		return nil, ErrMissingToken
	}
	if len(tr.Spec.Audiences) > MaxAudiences {
		return nil, fmt.Errorf("%w: %d, the limit is %d", ErrTooManyAudiences, len(tr.Spec.Audiences), MaxAudiences)
	}
	tr.Status = Status{}
	return &tr, nil
}

// describeJSONError says what is wrong without quoting the input: the
// encoding/json syntax errors include the offending character, which
// could be part of a token.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte offset %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s must not be a JSON %s", field, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	default:
		return "not a JSON object"
	}
}
