package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

// fuzzPolicyAuthenticator is a jwt[] entry with every kind of CEL the
// configuration allows. Groups come from an expression, so distributed
// claims (groups claim mode only) never make the fuzzer reach the network.
func fuzzPolicyAuthenticator() jwtauth.JWTAuthenticator {
	a := baseAuthenticator(sharedIssuer)
	a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{
		Expression: "has(claims.email) && claims.?email_verified.orValue(false) == true ? claims.email : 'oidc:' + claims.username"}
	a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "dyn(claims.?groups.orValue([])).map(g, 'oidc:' + g)"}
	a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Expression: "claims.?sub.orValue('')"}
	a.ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "example.com/tenant", ValueExpression: "claims.?tid.orValue('')"}}
	a.ClaimValidationRules = []jwtauth.ClaimValidationRule{
		{Claim: "hd", RequiredValue: "example.com"},
		{Expression: "claims.?tier.orValue('') != 'blocked'", Message: "blocked tier"},
	}
	a.UserValidationRules = []jwtauth.UserValidationRule{
		{Expression: "!user.username.startsWith('system:')", Message: "no system names"},
	}
	return a
}

// fuzzIssuerPlaceholder in a fuzz input stands for the test issuer's URL,
// which changes from run to run, so that stored corpora stay meaningful.
const fuzzIssuerPlaceholder = "$ISS"

// fuzzMappingChecks are the stages after the signature and time checks:
// when Authenticate fails at one of them, MapClaims on the same claims
// must fail at the same stage.
var fuzzMappingChecks = map[jwtauth.Check]bool{
	jwtauth.CheckUsername: true, jwtauth.CheckGroups: true, jwtauth.CheckUID: true, jwtauth.CheckExtra: true,
	jwtauth.CheckRequiredClaim: true, jwtauth.CheckClaimRule: true, jwtauth.CheckUserRule: true,
	jwtauth.CheckSystemName: true, jwtauth.CheckAKSPrefix: true,
}

// FuzzSignedClaims signs fuzzed claim sets with the issuer's real key and
// authenticates them (spec/security.md §4.2 item 3): the signature is
// always valid, so the fuzzer explores the claim checks and the CEL
// policy. Invariants: no panic; an accepted token has the issuer's exact
// "iss", the configured audience and an "exp" after now, checked here
// independently of the library; MapClaims on the same claims agrees (same
// user, or a failure at the same mapping stage); errors never contain the
// token's signature.
func FuzzSignedClaims(f *testing.F) {
	for _, seed := range []string{
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com"}`,
		`{"iss":"$ISS","aud":["x","my-client"],"exp":1900003600,"username":"jane","hd":"example.com","groups":["a","b"],"sub":"s","tid":"t"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"email":"j@example.com","email_verified":true,"hd":"example.com"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"email":"j@example.com","email_verified":"true","hd":"example.com","username":"u"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"system:admin","hd":"example.com"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1899999999,"username":"jane","hd":"example.com"}`,
		`{"iss":"$ISS","aud":"my-client","exp":"1900003600","username":"jane","hd":"example.com"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"nbf":1900001000,"username":"jane","hd":"example.com"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com","tier":"blocked"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com","groups":[1,{"a":null}]}`,
		`{"iss":"$ISS/","aud":"my-client","exp":1900003600,"username":"jane"}`,
		`{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com","_claim_names":{"groups":"s"},"_claim_sources":{"s":{"endpoint":"https://127.0.0.1:1/"}}}`,
		`{"iss":"$ISS","aud":"my-client","exp":1e300,"username":"jane","hd":"example.com","sub":7}`,
	} {
		f.Add([]byte(seed))
	}
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{fuzzPolicyAuthenticator()}}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close() })
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 8<<10 {
			return
		}
		payload = []byte(strings.ReplaceAll(string(payload), fuzzIssuerPlaceholder, sharedIssuer.URL))
		var m map[string]any
		if json.Unmarshal(payload, &m) != nil || m == nil {
			return
		}
		tok, err := sharedIssuer.Sign("ES256", m)
		if err != nil {
			return // not representable as JSON again
		}
		u, authErr := a.Authenticate(ctx, tok)
		sig := tok[strings.LastIndexByte(tok, '.')+1:]
		if authErr != nil && strings.Contains(authErr.Error(), sig) {
			t.Fatalf("error echoes the token signature: %v", authErr)
		}
		if authErr == nil {
			if m["iss"] != sharedIssuer.URL {
				t.Fatalf("accepted iss %#v", m["iss"])
			}
			if !fuzzHasAudience(m["aud"], "my-client") {
				t.Fatalf("accepted aud %#v", m["aud"])
			}
			if exp, ok := fuzzNumericDate(m["exp"]); !ok || exp < float64(testNow.Unix()) {
				t.Fatalf("accepted exp %#v at %d", m["exp"], testNow.Unix())
			}
		}
		mu, mapErr := a.MapClaims(ctx, m)
		switch {
		case authErr == nil:
			if mapErr != nil {
				t.Fatalf("Authenticate accepted, MapClaims failed: %v", mapErr)
			}
			if !reflect.DeepEqual(u, mu) {
				t.Fatalf("Authenticate and MapClaims disagree:\n%+v\n%+v", u, mu)
			}
		default:
			var ae *jwtauth.Error
			if !errors.As(authErr, &ae) {
				t.Fatalf("error of type %T: %v", authErr, authErr)
			}
			if fuzzMappingChecks[ae.Check] {
				var me *jwtauth.Error
				if !errors.As(mapErr, &me) || me.Check != ae.Check {
					t.Fatalf("Authenticate failed at %s (%v), MapClaims: %v", ae.Check, authErr, mapErr)
				}
			}
		}
	})
}

// fuzzNumericDate is an independent reading of a NumericDate as go-oidc
// v2 (kube-apiserver) decodes it: a JSON number, or a string holding one.
func fuzzNumericDate(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		quoted, err := json.Marshal(x)
		if err != nil {
			return 0, false
		}
		var n json.Number
		if json.Unmarshal(quoted, &n) != nil {
			return 0, false
		}
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// fuzzHasAudience is an independent reading of "aud": a string, or an
// array of strings, containing want.
func fuzzHasAudience(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return v == want
	case []any:
		for _, e := range v {
			if e == want {
				return true
			}
		}
	}
	return false
}

// TestFuzzSignedClaimsPolicy pins the policy FuzzSignedClaims explores, so
// that its agreement oracle is exercised on accepted tokens, not only on
// rejections.
func TestFuzzSignedClaimsPolicy(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, fuzzPolicyAuthenticator())
	tests := []struct {
		name    string
		claims  string
		want    *jwtauth.User
		wantErr error
	}{
		{"username claim", `{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com","groups":["a"],"sub":"s1","tid":"t1"}`,
			&jwtauth.User{Username: "oidc:jane", UID: "s1", Groups: []string{"oidc:a"}, Extra: map[string][]string{"example.com/tenant": {"t1"}}}, nil},
		{"verified email", `{"iss":"$ISS","aud":"my-client","exp":1900003600,"email":"j@example.com","email_verified":true,"hd":"example.com"}`,
			&jwtauth.User{Username: "j@example.com"}, nil},
		{"required claim missing", `{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane"}`, nil, jwtauth.ErrRequiredClaim},
		{"blocked tier", `{"iss":"$ISS","aud":"my-client","exp":1900003600,"username":"jane","hd":"example.com","tier":"blocked"}`, nil, jwtauth.ErrClaimRule},
		{"system name", `{"iss":"$ISS","aud":"my-client","exp":1900003600,"email":"system:x","email_verified":true,"hd":"example.com"}`, nil, jwtauth.ErrUserRule},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(strings.ReplaceAll(tc.claims, fuzzIssuerPlaceholder, sharedIssuer.URL)), &m))
			tok, err := sharedIssuer.Sign("ES256", m)
			require.NoError(t, err)
			u, err := a.Authenticate(context.Background(), tok)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, u)
		})
	}
}
