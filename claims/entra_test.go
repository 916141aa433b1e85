package claims_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/claims"
)

func entraSet(t testing.TB, payload string) *claims.Set {
	t.Helper()
	s, err := claims.Parse([]byte(payload))
	require.NoError(t, err)
	return s
}

func TestEntraUsername(t *testing.T) {
	cases := []struct {
		name, payload string
		guard         bool
		want, claim   string
	}{
		{"upn first", `{"upn":"u@x","preferred_username":"p@x","email":"e@x","unique_name":"n@x","oid":"o"}`, false, "u@x", "upn"},
		{"preferred_username", `{"preferred_username":"p@x","email":"e@x","oid":"o"}`, false, "p@x", "preferred_username"},
		{"email", `{"email":"e@x","unique_name":"n@x","oid":"o"}`, false, "e@x", "email"},
		{"email_verified false skips email", `{"email":"e@x","email_verified":false,"unique_name":"n@x","oid":"o"}`, false, "n@x", "unique_name"},
		{"email_verified string skips email", `{"email":"e@x","email_verified":"true","oid":"o"}`, false, "o", "oid"},
		{"email_verified true keeps email", `{"email":"e@x","email_verified":true,"oid":"o"}`, false, "e@x", "email"},
		{"B2C emails[0]", `{"emails":["b@x","c@x"],"oid":"o"}`, false, "b@x", "emails"},
		{"emails of another type", `{"emails":"b@x","oid":"o"}`, false, "o", "oid"},
		{"emails with a non-string first", `{"emails":[1,"b@x"],"oid":"o"}`, false, "o", "oid"},
		{"unique_name", `{"unique_name":"live.com#bob@outlook.com","oid":"o"}`, false, "live.com#bob@outlook.com", "unique_name"},
		{"oid last", `{"oid":"o"}`, false, "o", "oid"},
		{"empty strings are skipped", `{"upn":"","preferred_username":"","oid":"o"}`, false, "o", "oid"},
		{"wrong types are skipped", `{"upn":1,"preferred_username":null,"oid":"o"}`, false, "o", "oid"},
		{"app token: oid", `{"idtyp":"app","upn":"u@x","oid":"o"}`, false, "o", "oid"},
		{"guard: upn", `{"upn":"u@x","preferred_username":"p@x","oid":"o"}`, true, "u@x", "upn"},
		{"guard: oid for a guest", `{"preferred_username":"p@x","email":"e@x","oid":"o"}`, true, "o", "oid"},
		{"nothing", `{"sub":"s"}`, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			order := claims.EntraUsernameClaims
			if tc.guard {
				order = claims.EntraGuardUsernameClaims
			}
			got, claim := claims.EntraUsername(entraSet(t, tc.payload), order)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.claim, claim)
		})
	}
}

func TestEntraEmail(t *testing.T) {
	cases := []struct {
		name, payload string
		fallback      bool
		want, claim   string
		verified      claims.EmailVerification
	}{
		{"email, unknown", `{"email":"e@x"}`, false, "e@x", "email", claims.EmailVerificationUnknown},
		{"xms_edov true", `{"email":"e@x","xms_edov":true}`, false, "e@x", "email", claims.EmailVerified},
		{"xms_edov false", `{"email":"e@x","xms_edov":false}`, false, "e@x", "email", claims.EmailUnverified},
		{"xms_edov \"1\"", `{"email":"e@x","xms_edov":"1"}`, false, "e@x", "email", claims.EmailVerified},
		{"xms_edov \"0\"", `{"email":"e@x","xms_edov":"0"}`, false, "e@x", "email", claims.EmailUnverified},
		{"xms_edov other", `{"email":"e@x","xms_edov":2}`, false, "e@x", "email", claims.EmailVerificationUnknown},
		{"email_verified is ignored", `{"email":"e@x","email_verified":true}`, false, "e@x", "email", claims.EmailVerificationUnknown},
		{"xms_edov without email", `{"upn":"u@x","xms_edov":true}`, false, "", "", claims.EmailVerificationUnknown},
		{"no fallback by default", `{"upn":"u@x","unique_name":"u@x"}`, false, "", "", claims.EmailVerificationUnknown},
		{"fallback upn", `{"upn":"u@x","preferred_username":"p@x"}`, true, "u@x", "upn", claims.EmailVerificationUnknown},
		{"fallback never verified", `{"upn":"u@x","xms_edov":true}`, true, "u@x", "upn", claims.EmailVerificationUnknown},
		{"guest UPN is never an email", `{"upn":"bob_outlook.com#EXT#@contoso.onmicrosoft.com"}`, true, "", "", claims.EmailVerificationUnknown},
		{"guest UPN without hash", `{"upn":"bob_outlook.com_EXT_@contoso.onmicrosoft.com","unique_name":"bob@outlook.com"}`, true, "bob@outlook.com", "unique_name", claims.EmailVerificationUnknown},
		{"email holding a guest UPN", `{"email":"bob_outlook.com#EXT#@contoso.onmicrosoft.com"}`, false, "", "", claims.EmailVerificationUnknown},
		{"v1 MSA unique_name is not an address", `{"unique_name":"live.com#bob@outlook.com"}`, true, "", "", claims.EmailVerificationUnknown},
		{"preferred_username that is a phone", `{"preferred_username":"+15551234567","unique_name":"n@x"}`, true, "n@x", "unique_name", claims.EmailVerificationUnknown},
		{"B2C emails", `{"emails":["b@x"]}`, false, "b@x", "emails", claims.EmailVerificationUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, claim, verified := claims.EntraEmail(entraSet(t, tc.payload), tc.fallback)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.claim, claim)
			require.Equal(t, tc.verified, verified)
		})
	}
}

func TestEntraGroupsOverage(t *testing.T) {
	cases := map[string]bool{
		`{"groups":["a"]}`: false,
		`{}`:               false,
		`{"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.windows.net/x"}}}`: true,
		`{"_claim_names":{"groups":"src2"},"_claim_sources":{"src1":{}}}`:                                         true,
		`{"_claim_names":{"roles":"src1"},"_claim_sources":{"src1":{}}}`:                                          false,
		`{"hasgroups":true}`:                            true,
		`{"hasgroups":false}`:                           false,
		`{"hasgroups":"true"}`:                          false,
		`{"groups":[],"hasgroups":true}`:                false,
		`{"_claim_names":"groups"}`:                     false,
		`{"groups":null,"_claim_names":{"groups":"s"}}`: false,
	}
	for payload, want := range cases {
		require.Equal(t, want, claims.EntraGroupsOverage(entraSet(t, payload)), payload)
	}
}

func TestCheckEntraClaimNames(t *testing.T) {
	for _, p := range []string{`{"tid":"a","TID":"b"}`, `{"TID":"a"}`, `{"Oid":"a"}`, `{"IDTYP":"app"}`, `{"Preferred_Username":"x"}`, `{"_Claim_Names":{}}`} {
		require.ErrorIs(t, claims.CheckEntraClaimNames(entraSet(t, p)), claims.ErrAmbiguousClaim, p)
		_, err := claims.ParseEntra(entraSet(t, p), claims.EntraOptions{})
		require.ErrorIs(t, err, claims.ErrAmbiguousClaim, p)
	}
	for _, p := range []string{`{"tid":"a","Custom":"b"}`, `{"XMS_CC":["cp1"]}`, `{"Name":"Jane"}`} {
		require.NoError(t, claims.CheckEntraClaimNames(entraSet(t, p)), p)
	}
	// Exact duplicates never reach it: Parse refuses them.
	_, err := claims.Parse([]byte(`{"tid":"a","tid":"b"}`))
	require.ErrorIs(t, err, claims.ErrDuplicateClaim)
}

func TestParseEntra(t *testing.T) {
	// F4 (Entra B2B guest, v1) from the Entra specification.
	s := entraSet(t, `{"aud":"api://6e74172b-be56-4843-9ff4-e66a39bb12e3","iss":"https://sts.windows.net/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/",
		"appid":"75dbe77f-10a3-4e59-85fd-8c127544f17c","appidacr":"0","email":"alice@fabrikam.com",
		"idp":"https://sts.windows.net/82229342-1101-4ab6-817b-70c0747630f3/","oid":"05802cc5-811e-46bd-b1b6-5946e668822f",
		"scp":"access_as_user openid","sub":"KWw","tid":"8eaef023-2b34-4da1-9baa-8bc8c9d6a490","unique_name":"alice@fabrikam.com","ver":"1.0"}`)
	id, err := claims.ParseEntra(s, claims.EntraOptions{})
	require.NoError(t, err)
	require.Equal(t, &claims.EntraIdentity{
		Version:       claims.EntraV1,
		TenantID:      "8eaef023-2b34-4da1-9baa-8bc8c9d6a490",
		ObjectID:      "05802cc5-811e-46bd-b1b6-5946e668822f",
		ClientID:      "75dbe77f-10a3-4e59-85fd-8c127544f17c",
		Guest:         true,
		Username:      "alice@fabrikam.com",
		UsernameClaim: "email",
		Email:         "alice@fabrikam.com",
		EmailClaim:    "email",
		Scopes:        []string{"access_as_user", "openid"},
	}, id)

	// App tokens: idtyp, else the heuristic.
	for payload, app := range map[string]bool{
		`{"idtyp":"app","oid":"o","sub":"o"}`:                         true,
		`{"idtyp":"user","oid":"o","sub":"o","azpacr":"1"}`:           false,
		`{"oid":"o","sub":"o","appidacr":"2","roles":["r"]}`:          true,
		`{"oid":"o","sub":"o","azpacr":"0"}`:                          false,
		`{"oid":"o","sub":"o","azpacr":"1","scp":"user_impersonate"}`: false,
		`{"oid":"o","sub":"x","azpacr":"1"}`:                          false,
	} {
		id, err := claims.ParseEntra(entraSet(t, payload), claims.EntraOptions{})
		require.NoError(t, err)
		require.Equal(t, app, id.App, payload)
	}

	// Guests.
	for payload, guest := range map[string]bool{
		`{"acct":1}`: true,
		`{"acct":0}`: false,
		`{"upn":"bob_outlook.com#EXT#@contoso.onmicrosoft.com"}`:                                          true,
		`{"iss":"https://sts.windows.net/t/","tid":"t","idp":"https://sts.windows.net/t/"}`:               false,
		`{"iss":"https://login.microsoftonline.com/t/v2.0","tid":"t","idp":"https://sts.windows.net/t/"}`: false,
		`{"iss":"https://login.microsoftonline.com/t/v2.0","tid":"t","idp":"live.com"}`:                   true,
	} {
		id, err := claims.ParseEntra(entraSet(t, payload), claims.EntraOptions{})
		require.NoError(t, err)
		require.Equal(t, guest, id.Guest, payload)
	}

	// Wrong types of the claims it reads are errors.
	for _, p := range []string{`{"tid":1}`, `{"oid":[]}`, `{"groups":{}}`, `{"roles":1}`, `{"scp":["a"]}`} {
		_, err := claims.ParseEntra(entraSet(t, p), claims.EntraOptions{})
		require.Error(t, err, p)
	}
}

func TestEntraVersionAndGUID(t *testing.T) {
	require.Equal(t, claims.EntraV1, claims.EntraVersion(entraSet(t, `{"ver":"1.0"}`)))
	require.Equal(t, claims.EntraV2, claims.EntraVersion(entraSet(t, `{"ver":"2.0"}`)))
	require.Equal(t, "", claims.EntraVersion(entraSet(t, `{"ver":2}`)))
	require.Equal(t, "", claims.EntraVersion(entraSet(t, `{}`)))
	require.True(t, claims.IsGUID("8eaef023-2b34-4da1-9baa-8bc8c9d6a490"))
	for _, v := range []string{"8EAEF023-2b34-4da1-9baa-8bc8c9d6a490", "common", "{tenantid}", "8eaef0232b344da19baa8bc8c9d6a490", "8eaef023-2b34-4da1-9baa-8bc8c9d6a49g"} {
		require.False(t, claims.IsGUID(v), v)
	}
}

func FuzzParseEntra(f *testing.F) {
	f.Add([]byte(`{"tid":"t","oid":"o","upn":"u@x","email":"bob_x#EXT#@y","xms_edov":"1","_claim_names":{"groups":"s"}}`))
	f.Add([]byte(`{"emails":["a@b"],"idtyp":"app","TID":"x"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := claims.Parse(payload)
		if err != nil {
			return
		}
		id, err := claims.ParseEntra(s, claims.EntraOptions{EmailFallback: true})
		if err != nil {
			return
		}
		if claims.IsEntraGuestUPN(id.Email) {
			t.Fatalf("guest UPN %q used as an email", id.Email)
		}
		if id.EmailVerified != claims.EmailVerificationUnknown && id.EmailClaim != "email" {
			t.Fatalf("verification %v for an email from %q", id.EmailVerified, id.EmailClaim)
		}
		if id.GroupsOverage && len(id.Groups) > 0 {
			t.Fatalf("overage with groups")
		}
	})
}

func ExampleParseEntra() {
	// An AKS access token (v1.0): no email claim.
	s, _ := claims.Parse([]byte(`{"iss":"https://sts.windows.net/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/","ver":"1.0",
		"tid":"8eaef023-2b34-4da1-9baa-8bc8c9d6a490","oid":"2cf0521c-c76d-4e7c-b41f-863674057db3",
		"upn":"jane@contoso.com","unique_name":"jane@contoso.com","scp":"user.read",
		"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.windows.net/..."}}}`))
	id, _ := claims.ParseEntra(s, claims.EntraOptions{EmailFallback: true})
	fmt.Println(id.Version, id.Username, id.UsernameClaim)
	fmt.Printf("email %s (from %s, %s)\n", id.Email, id.EmailClaim, id.EmailVerified)
	fmt.Println("groups overage:", id.GroupsOverage)
	// Output:
	// 1.0 jane@contoso.com upn
	// email jane@contoso.com (from upn, unknown)
	// groups overage: true
}
