package jwtauth_test

// Catalogue group A: token format, encoding and JSON (spec/security.md §3).

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

func TestAdversarialFormat(t *testing.T) { runAdversarial(t, "A", formatCases) }

const fmtCheck = jwtauth.CheckFormat

var errMalformed = jwtauth.ErrMalformedToken

// malformed is the usual expectation of group A.
func malformed(name, token string) variant { return rej(name, token, fmtCheck, errMalformed) }

// flipLastChar changes the last character of a segment so that its
// unused trailing bits are no longer zero (the segment's length must not
// be a multiple of 4).
func flipLastChar(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last^1])
}

// nested returns depth levels of arrays around 1.
func nested(depth int) string {
	return strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth)
}

var formatCases = []advCase{
	{id: "A01/empty", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{malformed("empty", "")}
	}},
	{id: "A02/whitespace-or-bearer-remnant", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		tok := f.token(t, nil)
		return []variant{
			malformed("spaces", "   "),
			malformed("tab and newline", "\t\n"),
			malformed("Bearer remnant", "Bearer "),
			malformed("Bearer prefix on a valid token", "Bearer "+tok),
		}
	}},
	{id: "A03/one-segment", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, _, _ := segments(f.token(t, nil))
		return []variant{malformed("abc", "abc"), malformed("header only", h)}
	}},
	{id: "A04/two-segments", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, _ := segments(f.token(t, nil))
		return []variant{malformed("h.p", h+"."+p)}
	}},
	{id: "A05/unsecured-empty-signature", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, _ := segments(f.token(t, nil))
		none := enc64([]byte(`{"alg":"none"}`))
		return []variant{malformed("h.p.", h+"."+p+"."), malformed("alg none h.p.", none+"."+p+".")}
	}},
	{id: "A06/four-segments", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		tok := f.token(t, nil)
		return []variant{malformed("h.p.s.x", tok+".eA"), malformed("h.p.s.", tok+"."), malformed("..h.p.s", ".."+tok)}
	}},
	{id: "A07/jwe-compact", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		enc := func(h string) string { return enc64([]byte(h)) }
		body := ".AAAA.BBBB.CCCC.DDDD"
		return []variant{
			malformed("PBES2 p2c=2e9", enc(`{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":2000000000,"p2s":"AAAAAAAAAAA"}`)+body),
			malformed("zip DEF", enc(`{"alg":"RSA-OAEP","enc":"A256GCM","zip":"DEF"}`)+body),
			malformed("A128KW empty encrypted key", enc(`{"alg":"A128KW","enc":"A128CBC-HS256"}`)+"..BBBB.CCCC.DDDD"),
		}
	}},
	{id: "A08/dot-flood", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		big := f.authenticator(t, nil, func(o *jwtauth.Options) { o.MaxTokenSize = 4 << 20 })
		dots := strings.Repeat(".", 1<<20)
		adots := strings.Repeat("a.", 1<<19)
		return []variant{
			malformed("1 MiB of dots, default cap", dots),
			malformed("a. repeated, default cap", adots),
			{name: "1 MiB of dots, 4 MiB cap", token: dots, check: fmtCheck, is: errMalformed, auth: big},
			{name: "a. repeated, 4 MiB cap", token: adots, check: fmtCheck, is: errMalformed, auth: big},
		}
	}, after: func(t *testing.T, f *advFixture) {
		// Segments are found by counting dots, not by splitting: a flood
		// of dots costs a constant number of allocations.
		big := f.authenticator(t, nil, func(o *jwtauth.Options) { o.MaxTokenSize = 4 << 20 })
		dots := strings.Repeat(".", 1<<20)
		allocs := testing.AllocsPerRun(10, func() { _, _ = big.Authenticate(t.Context(), dots) })
		require.LessOrEqual(t, allocs, 16.0, "allocations for 1 MiB of dots")
	}},
	{id: "A09/json-flattened-envelope-claims", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		// A genuinely signed but expired token wrapped as flattened JSON
		// with fresh claims in the unsigned envelope (jwx v2 polyglot).
		h, p, s := segments(f.token(t, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))
		env, err := json.Marshal(map[string]any{"protected": h, "payload": p, "signature": s,
			"iss": f.primary.URL, "aud": "my-client", "username": "admin", "exp": 9999999999})
		require.NoError(t, err)
		return []variant{malformed("flattened", string(env)), malformed("flattened, leading space", " "+string(env))}
	}},
	{id: "A10/json-general-two-signatures", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		env, err := json.Marshal(map[string]any{"payload": p, "signatures": []map[string]any{
			{"protected": h, "signature": s},
			{"protected": enc64([]byte(`{"alg":"none"}`)), "signature": ""},
		}})
		require.NoError(t, err)
		return []variant{malformed("general", string(env))}
	}},
	{id: "A11/surrounding-whitespace", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		tok := f.token(t, nil)
		return []variant{
			malformed("leading space", " "+tok), malformed("trailing space", tok+" "),
			malformed("leading tab", "\t"+tok), malformed("trailing CRLF", tok+"\r\n"),
			malformed("trailing LF", tok+"\n"),
		}
	}},
	{id: "A12/line-break-inside-segment", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		return []variant{
			malformed("LF in header", h[:5]+"\n"+h[5:]+"."+p+"."+s),
			malformed("CRLF in payload", h+"."+p[:7]+"\r\n"+p[7:]+"."+s),
			malformed("LF in signature", h+"."+p+"."+s[:9]+"\n"+s[9:]),
		}
	}},
	{id: "A13/padding", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		pad := func(seg string) string { return seg + strings.Repeat("=", (4-len(seg)%4)%4) }
		var vs []variant
		for _, v := range []struct{ name, tok string }{
			{"header", pad(h) + "." + p + "." + s}, {"payload", h + "." + pad(p) + "." + s}, {"signature", h + "." + p + "." + pad(s)},
		} {
			if v.tok != h+"."+p+"."+s {
				vs = append(vs, malformed("padded "+v.name, v.tok))
			}
		}
		vs = append(vs, malformed("extra == on signature", h+"."+p+"."+s+"=="))
		return vs
	}},
	{id: "A14/standard-alphabet", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		// Find a token whose signature has '-' or '_', then use '+' '/'.
		for i := 0; ; i++ {
			h, p, s := segments(f.token(t, map[string]any{"jti": fmt.Sprint(i)}))
			if strings.ContainsAny(s, "-_") {
				std := strings.NewReplacer("-", "+", "_", "/").Replace(s)
				return []variant{malformed("+/ in signature", h+"."+p+"."+std)}
			}
			require.Less(t, i, 100)
		}
	}},
	{id: "A15/non-zero-unused-bits", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		// An RSA-2048 signature is 256 bytes: 342 characters, 4 unused bits.
		require.NotZero(t, len(s)%4)
		vs := []variant{malformed("signature", h+"."+p+"."+flipLastChar(s))}
		if len(h)%4 != 0 {
			vs = append(vs, malformed("header", flipLastChar(h)+"."+p+"."+s))
		}
		if len(p)%4 != 0 {
			vs = append(vs, malformed("payload", h+"."+flipLastChar(p)+"."+s))
		}
		return vs
	}},
	{id: "A16/invalid-characters", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		var vs []variant
		for _, c := range []string{"?", "*", "%", "é", "\x00", " ", "+"} {
			vs = append(vs, malformed(fmt.Sprintf("%q in payload", c), h+"."+p[:10]+c+p[10:]+"."+s))
		}
		return vs
	}},
	{id: "A17/length-1-mod-4", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, s := segments(f.token(t, nil))
		grow := func(seg string) string { return seg + strings.Repeat("A", (1-len(seg)%4+4)%4) }
		vs := []variant{malformed("signature", h+"."+p+"."+grow(s))}
		return append(vs, malformed("header", grow(h)+"."+p+"."+s), malformed("payload", h+"."+grow(p)+"."+s))
	}},
	{id: "A18/over-size-cap", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		tok := f.token(t, map[string]any{"pad": strings.Repeat("x", jwtauth.DefaultMaxTokenSize)})
		small := f.authenticator(t, nil, func(o *jwtauth.Options) { o.MaxTokenSize = 512 })
		normal := f.token(t, map[string]any{"pad": strings.Repeat("x", 400)})
		require.Greater(t, len(normal), 512)
		return []variant{
			malformed("validly signed, 128 KiB + claims", tok),
			{name: "validly signed, over a 512-byte cap", token: normal, check: fmtCheck, is: errMalformed, auth: small},
		}
	}},
	{id: "A19/header-not-object", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		var vs []variant
		for _, h := range []string{`[]`, `"x"`, `null`, `1`, `["RS256"]`, ``} {
			vs = append(vs, malformed(fmt.Sprintf("header %q", h), f.signedHeader(t, h)))
		}
		return vs
	}},
	{id: "A20/payload-not-object", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		var vs []variant
		for _, p := range []string{`[]`, `"x"`, `1`, `null`, `true`, ``} {
			vs = append(vs, malformed(fmt.Sprintf("payload %q", p), f.signedPayload(t, p)))
		}
		return vs
	}},
	{id: "A21/trailing-bytes", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			malformed("payload then xyz", f.signedPayload(t, p+"xyz")),
			malformed("two payload objects", f.signedPayload(t, p+p)),
			malformed("header then xyz", f.signedHeader(t, hdr("RS256", "rsa-a")+"xyz")),
			malformed("payload then NUL", f.signedPayload(t, p+"\x00")),
		}
	}},
	{id: "A22/deep-nesting", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		deep := func(n int) string {
			p := f.payload(t, nil)
			return p[:len(p)-1] + `,"n":` + nested(n) + "}"
		}
		return []variant{
			malformed("20000 levels", f.signedPayload(t, deep(20000))),
			malformed("200 levels", f.signedPayload(t, deep(200))),
			malformed("65 levels (own limit 64)", f.signedPayload(t, deep(64))),
			malformed("200 levels in the header", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","x":`+nested(200)+`}`)),
		}
	}},
	{id: "A23/duplicate-claim", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, map[string]any{"iss": nil, "username": nil})
		good, evil := f.primary.URL, f.other.URL
		with := func(extra string) string { return f.signedPayload(t, p[:len(p)-1]+","+extra+"}") }
		return []variant{
			malformed("iss twice", with(fmt.Sprintf(`"iss":%q,"iss":%q,"username":"jane"`, evil, good))),
			malformed("username twice", with(fmt.Sprintf(`"iss":%q,"username":"jane","username":"admin"`, good))),
			malformed("escaped duplicate name", with(fmt.Sprintf(`"iss":%q,"username":"jane","user\u006eame":"admin"`, good))),
			malformed("exp twice", with(fmt.Sprintf(`"iss":%q,"username":"jane","exp":1`, good))),
		}
	}},
	{id: "A24/case-variant-claims", reason: "policy: a member that differs from a registered claim only by case is rejected " +
		"(encoding/json, hence kube-apiserver, would read it as the registered claim); case variants of unregistered " +
		"claims are distinct claims, compared exactly, as in kube-apiserver",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				malformed("ISS next to iss", f.token(t, map[string]any{"ISS": f.other.URL})),
				malformed("Exp next to exp", f.token(t, map[string]any{"Exp": 9999999999})),
				malformed("AUD alone", f.token(t, map[string]any{"AUD": "my-client"})),
				acc("Username next to username (unregistered, exact lookup)", f.token(t, map[string]any{"Username": "admin"}), "jane"),
			}
		}},
	{id: "A25/invalid-utf8", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, map[string]any{"username": "alice-marker"})
		bad := strings.Replace(p, "alice-marker", "alice\xff", 1)
		overlong := strings.Replace(p, "alice-marker", "alice\xc0\xaf", 1)
		surrogate := strings.Replace(p, "alice-marker", `alice\ud800`, 1)
		return []variant{
			malformed("0xff in username", f.signedPayload(t, bad)),
			malformed("overlong encoding", f.signedPayload(t, overlong)),
			malformed("escaped lone surrogate", f.signedPayload(t, surrogate)),
			malformed("0xff in header", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","x":"\xff"}`)),
		}
	}},
	{id: "A26/json-extensions", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		body := p[1 : len(p)-1]
		return []variant{
			malformed("BOM", f.signedPayload(t, "\xef\xbb\xbf"+p)),
			malformed("comment", f.signedPayload(t, "{/*c*/"+body+"}")),
			malformed("line comment", f.signedPayload(t, "{"+body+"//c\n}")),
			malformed("NaN", f.signedPayload(t, "{"+body+`,"x":NaN}`)),
			malformed("Infinity", f.signedPayload(t, "{"+body+`,"x":Infinity}`)),
			malformed("single quotes", f.signedPayload(t, "{"+body+`,'x':'y'}`)),
			malformed("trailing comma", f.signedPayload(t, "{"+body+",}")),
			malformed("unquoted name", f.signedPayload(t, "{"+body+",x:1}")),
			malformed("hex number", f.signedPayload(t, "{"+body+`,"x":0x10}`)),
		}
	}},
	{id: "A27/huge-string-claim", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{malformed("1 MiB username", f.token(t, map[string]any{"username": strings.Repeat("a", 1<<20)}))}
	}},
	{id: "A28/huge-groups-array", config: groupsClaim("groups", ""), build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		groups := make([]string, 100_000)
		for i := range groups {
			groups[i] = "g"
		}
		return []variant{malformed("100000 groups (size cap)", f.token(t, map[string]any{"groups": groups}))}
	}},
	{id: "A29/exp-numeric-string", reason: "kube-apiserver (go-oidc v2 jsonTime) accepts a JSON string holding a number for exp; " +
		"the token is signed by the issuer, so we keep its decision",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				acc("future exp as string", f.token(t, map[string]any{"exp": fmt.Sprint(testNow.Add(time.Hour).Unix())}), "jane"),
				rej("past exp as string", f.token(t, map[string]any{"exp": fmt.Sprint(testNow.Add(-time.Hour).Unix())}), jwtauth.CheckExpiry, jwtauth.ErrExpired),
				rej("9999999999 with spaces", f.token(t, map[string]any{"exp": " 9999999999"}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			}
		}},
	{id: "A30/exp-rfc3339-string", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			rej("RFC 3339", f.token(t, map[string]any{"exp": "2099-01-01T00:00:00Z"}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			rej("date only", f.token(t, map[string]any{"exp": "2099-01-01"}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
		}
	}},
	{id: "A31/exp-fraction", reason: "NumericDate allows fractions (RFC 7519 §2); like go-oidc v2 the value is truncated to whole seconds",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			now := testNow.Unix()
			return []variant{
				acc("now + 0.999", f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d.999}`, f.primary.URL, now)), "jane"),
				rej("now - 1 + 0.999 (truncated to now - 1)", f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d.999}`, f.primary.URL, now-1)), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			}
		}},
	{id: "A32/exp-out-of-range-or-wrong-type", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		withExp := func(v string) string {
			return f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%s}`, f.primary.URL, v))
		}
		claimsErr := func(v string) variant {
			return rej("exp "+v, withExp(v), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims)
		}
		return []variant{
			// Numbers beyond time.Unix's range read as the distant past (go-oidc v2): expired.
			rej("exp 1e300", withExp("1e300"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			rej("exp 1e20", withExp("1e20"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			rej("exp -1e20", withExp("-1e20"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			claimsErr("true"), claimsErr("null"), claimsErr("{}"), claimsErr("[]"), claimsErr(`""`),
			rej("exp -1", withExp("-1"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			rej("exp 0", withExp("0"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
		}
	}},
	{id: "A33/exp-overflow", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		withExp := func(v string) string {
			return f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%s}`, f.primary.URL, v))
		}
		return []variant{
			rej("1e999", withExp("1e999"), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			rej("400-digit integer", withExp("9"+strings.Repeat("0", 399)), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			rej("1e99999999999 as string", withExp(`"1e99999999999"`), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			rej("max int64", withExp("9223372036854775807"), jwtauth.CheckExpiry, jwtauth.ErrExpired),
		}
	}},
	{id: "A34/exp-far-future", reason: "kube-apiserver has no maximum token lifetime; an issuer-signed token valid until the year 3000 is accepted (limit lifetimes at the issuer, or with a claimValidationRule on exp - iat)",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			y3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			capped := f.authenticator(t, claimRule("claims.exp - claims.iat <= 86400.0", "token lifetime over a day"), nil)
			tok := f.token(t, map[string]any{"exp": y3000, "iat": testNow.Unix()})
			return []variant{
				acc("year 3000", tok, "jane"),
				{name: "year 3000 with a lifetime rule", token: tok, check: jwtauth.CheckClaimRule, is: jwtauth.ErrClaimRule, auth: capped},
			}
		}},
	{id: "A35/identity-number-over-2-pow-53", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		claimForm := f.authenticator(t, func(e *jwtauth.JWTAuthenticator) {
			e.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "oid", Prefix: ptr("")}
		}, nil)
		exprForm := f.authenticator(t, func(e *jwtauth.JWTAuthenticator) {
			e.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "claims.oid"}
		}, nil)
		p := f.payload(t, nil)
		tok := f.signedPayload(t, p[:len(p)-1]+`,"oid":12345678901234567891}`)
		return []variant{
			{name: "claim-form username", token: tok, check: jwtauth.CheckUsername, is: jwtauth.ErrMapping, auth: claimForm},
			{name: "expression username", token: tok, check: jwtauth.CheckUsername, is: jwtauth.ErrMapping, auth: exprForm},
		}
	}},
}
