package discovery

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
)

// snippetBytes is how much of an error response body is read for the
// StatusError text.
const snippetBytes = 512

// response is what get returns: the body of a 200 OK, the headers of the
// final response and its status (0 when there was none).
type response struct {
	body   []byte
	header http.Header
	status int
}

// get fetches rawURL and returns its body. It succeeds only for 200 OK
// with a body of at most p.maxBody bytes; the whole request, body
// included, is bounded by p.timeout and ctx. Content-Type is not checked:
// many issuers serve keys as text/plain or application/jwk-set+json, and
// the body must parse as JSON anyway.
func (p *Provider) get(ctx context.Context, rawURL string) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return response{}, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// *url.Error: names the URL, wraps the cause (context errors,
		// ErrInsecureURL, ErrTooManyRedirects) for errors.Is.
		return response{}, err
	}
	defer resp.Body.Close()
	r := response{header: resp.Header, status: resp.StatusCode}
	// net/http may still deliver a response that arrives just after ctx
	// ended (the server answering the hang-up); it is not trusted.
	if err := ctx.Err(); err != nil {
		return r, &url.Error{Op: "Get", URL: rawURL, Err: err}
	}

	if resp.StatusCode != http.StatusOK {
		// Best effort: a failed read just means a shorter snippet.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, snippetBytes))
		return r, &StatusError{
			URL:        rawURL,
			StatusCode: resp.StatusCode,
			Status:     resp.Status,
			Body:       sanitize(b, maxSnippet),
		}
	}
	if resp.ContentLength > p.maxBody {
		return r, fmt.Errorf("GET %q: %w: Content-Length %d exceeds the limit of %d bytes", rawURL, ErrResponseTooLarge, resp.ContentLength, p.maxBody)
	}
	// Reading one byte more than allowed tells "exactly at the limit"
	// from "over it" without trusting Content-Length (which may be absent
	// or, with transparent gzip, describe the compressed size).
	limit := p.maxBody
	if limit < math.MaxInt64 {
		limit++
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return r, fmt.Errorf("GET %q: reading body: %w", rawURL, err)
	}
	if err := ctx.Err(); err != nil {
		return r, &url.Error{Op: "Get", URL: rawURL, Err: err}
	}
	if int64(len(body)) > p.maxBody {
		return r, fmt.Errorf("GET %q: %w: body exceeds the limit of %d bytes", rawURL, ErrResponseTooLarge, p.maxBody)
	}
	r.body = body
	return r, nil
}
