package tokenreview_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// kubeV1Request is the body kube-apiserver's webhook client sends.
const kubeV1Request = `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"token":"abc.def.ghi","audiences":["https://kubernetes.default.svc"]},"status":{"user":{}}}`

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		want    *tokenreview.TokenReview
	}{
		{name: "kube-apiserver v1 request", body: kubeV1Request, want: &tokenreview.TokenReview{
			APIVersion: tokenreview.APIVersionV1, Kind: "TokenReview",
			Spec: tokenreview.Spec{Token: "abc.def.ghi", Audiences: []string{"https://kubernetes.default.svc"}}}},
		{name: "v1beta1, unknown members ignored", body: `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1beta1","future":1,"spec":{"token":"t","x":[]}}`,
			want: &tokenreview.TokenReview{APIVersion: tokenreview.APIVersionV1beta1, Kind: "TokenReview", Spec: tokenreview.Spec{Token: "t"}}},
		{name: "status in the request is cleared", body: `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t"},"status":{"authenticated":true,"user":{"username":"admin"}}}`,
			want: &tokenreview.TokenReview{APIVersion: tokenreview.APIVersionV1, Kind: "TokenReview", Spec: tokenreview.Spec{Token: "t"}}},
		{name: "empty", body: ``, wantErr: tokenreview.ErrMalformed},
		{name: "null", body: `null`, wantErr: tokenreview.ErrKind},
		{name: "string", body: `"TokenReview"`, wantErr: tokenreview.ErrMalformed},
		{name: "truncated", body: kubeV1Request[:40], wantErr: tokenreview.ErrMalformed},
		{name: "two objects", body: kubeV1Request + kubeV1Request, wantErr: tokenreview.ErrMalformed},
		{name: "trailing garbage", body: kubeV1Request + "x", wantErr: tokenreview.ErrMalformed},
		{name: "kind in another case", body: strings.Replace(kubeV1Request, `"TokenReview"`, `"tokenreview"`, 1), wantErr: tokenreview.ErrKind},
		{name: "core group", body: strings.Replace(kubeV1Request, "authentication.k8s.io/v1", "v1", 1), wantErr: tokenreview.ErrAPIVersion},
		{name: "v1alpha1", body: strings.Replace(kubeV1Request, "authentication.k8s.io/v1", "authentication.k8s.io/v1alpha1", 1), wantErr: tokenreview.ErrAPIVersion},
		{name: "empty token", body: strings.Replace(kubeV1Request, "abc.def.ghi", "", 1), wantErr: tokenreview.ErrMissingToken},
		{name: "audiences not a list", body: `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t","audiences":"a"}}`, wantErr: tokenreview.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tokenreview.DecodeRequest([]byte(tc.body))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestDecodeRequestErrorsDoNotQuote checks that a syntax error does not
// repeat the input (encoding/json's own message quotes the character).
func TestDecodeRequestErrorsDoNotQuote(t *testing.T) {
	for _, body := range []string{`{"spec":{"token":Zsecret}}`, `{"kind":"TokenReview"}Zsecret`, `Zsecret`} {
		_, err := tokenreview.DecodeRequest([]byte(body))
		require.ErrorIs(t, err, tokenreview.ErrMalformed)
		require.NotContains(t, err.Error(), "Z")
	}
}

// FuzzDecodeRequest: no panic; whatever is accepted is a well-formed
// review that survives a round trip through the encoder.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(kubeV1Request))
	f.Add([]byte(strings.Replace(kubeV1Request, "/v1", "/v1beta1", 1)))
	f.Add([]byte(`{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t","audiences":[]}}`))
	f.Add([]byte(`{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"\u0000"},"status":{"authenticated":true}}`))
	f.Add([]byte(`{"kind":"TokenReview","kind":"X","apiVersion":"authentication.k8s.io/v1","spec":{"token":"t"}}`))
	f.Add([]byte(`{"spec":{"token":1e999}}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > tokenreview.DefaultMaxBodyBytes {
			return // the handler never reads more
		}
		got, err := tokenreview.DecodeRequest(data)
		if err != nil {
			if got != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		if got.Kind != tokenreview.Kind || got.Spec.Token == "" || len(got.Spec.Audiences) > tokenreview.MaxAudiences ||
			(got.APIVersion != tokenreview.APIVersionV1 && got.APIVersion != tokenreview.APIVersionV1beta1) {
			t.Fatalf("accepted an invalid review: %+v", got)
		}
		if got.Status.Authenticated || got.Status.User.Username != "" {
			t.Fatal("request status was not cleared")
		}
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tokenreview.DecodeRequest(again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if back.Spec.Token != got.Spec.Token || len(back.Spec.Audiences) != len(got.Spec.Audiences) {
			t.Fatalf("round trip changed the review: %+v -> %+v", got, back)
		}
	})
}
