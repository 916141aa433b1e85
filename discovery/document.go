package discovery

import (
	"encoding/json"
	"fmt"
)

// maxIssuerInError bounds how much of a remote "issuer" value is quoted
// in an error.
const maxIssuerInError = 256

// Document is an OpenID Provider's discovery document (OpenID Connect
// Discovery 1.0 §3). Only the members this library reads are decoded;
// Raw holds the whole document for callers that need others.
//
// A Document returned by a [Provider] is shared and MUST be treated as
// read-only.
type Document struct {
	// Issuer is "issuer"; it equals Config.IssuerURL exactly.
	Issuer string `json:"issuer"`
	// JWKSURI is "jwks_uri", an https URL.
	JWKSURI string `json:"jwks_uri"`
	// IDTokenSigningAlgValuesSupported is
	// "id_token_signing_alg_values_supported", informational only:
	// kube-apiserver does not restrict algorithms by it.
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported,omitempty"`
	// Raw is the document as received.
	Raw json.RawMessage `json:"-"`
}

// parseDocument decodes and validates a discovery document, in
// kube-apiserver's order: decode, issuer, jwks_uri (our https check
// comes last).
func parseDocument(body []byte, issuerURL string) (*Document, error) {
	var doc Document
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: failed to decode provider discovery object: %w", ErrMalformedResponse, err)
	}
	if doc.Issuer != issuerURL {
		got := doc.Issuer
		if len(got) > maxIssuerInError {
			got = got[:maxIssuerInError] + "…"
		}
		return nil, fmt.Errorf("%w, expected %q got %q", ErrIssuerMismatch, issuerURL, got)
	}
	if doc.JWKSURI == "" {
		return nil, ErrNoJWKSURL
	}
	if err := checkHTTPS(doc.JWKSURI); err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	doc.Raw = body
	return &doc, nil
}
