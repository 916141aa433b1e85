package jose

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/c2sp/wycheproof"
	"github.com/stretchr/testify/require"
)

// The Wycheproof harness (spec/security.md §1.5) runs C2SP's test vectors
// through the code the authenticator uses: ParseKeySet for the key,
// ParseCompact for JWS strings, and Verify for the signature. The vectors
// come from the pinned test-only module github.com/c2sp/wycheproof (an
// embed.FS; integrity through go.sum, no vendored copy).
//
// Oracle, per vector: "invalid" must be rejected (an accept is a false
// accept and always fails the test); "valid" must be accepted unless the
// vector is in an allow-list of policy-stricter rejects, each with a
// reason (an allow-listed vector that is accepted fails too, so the list
// stays exact); "acceptable" may go either way and is counted.

// wpFile is the part of a Wycheproof file the harness reads.
type wpFile struct {
	NumberOfTests int       `json:"numberOfTests"`
	TestGroups    []wpGroup `json:"testGroups"`
}

type wpGroup struct {
	SHA          string          `json:"sha"`
	MGFSHA       string          `json:"mgfSha"`
	SLen         *int            `json:"sLen"`
	KeyJWK       json.RawMessage `json:"keyJwk"`       // RSA PKCS#1
	PublicKeyJWK json.RawMessage `json:"publicKeyJwk"` // ECDSA P1363, RSA-PSS
	PublicKey    json.RawMessage `json:"publicKey"`    // every primitive file
	Public       json.RawMessage `json:"public"`       // json_web_signature
	Private      json.RawMessage `json:"private"`      // json_web_signature
	Comment      string          `json:"comment"`
	Tests        []wpTest        `json:"tests"`
}

type wpTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Msg     string   `json:"msg"`
	Sig     string   `json:"sig"`
	JWS     string   `json:"jws"`
	Result  string   `json:"result"`
	Flags   []string `json:"flags"`
}

// wpTally counts one file's outcomes.
type wpTally struct {
	run, accepted, rejected     int
	falseAccepts, falseRejects  int
	acceptable, policyRejects   int
	keyRejected                 int // vectors whose key ParseKeySet refused
	validRun, invalidOrNegative int
}

func (c wpTally) String() string {
	return fmt.Sprintf("run=%d accepted=%d rejected=%d (valid=%d invalid/negative=%d acceptable=%d) policy-stricter=%d key-refused=%d false-accepts=%d false-rejects=%d",
		c.run, c.accepted, c.rejected, c.validRun, c.invalidOrNegative, c.acceptable, c.policyRejects, c.keyRejected, c.falseAccepts, c.falseRejects)
}

func loadWycheproof(t *testing.T, name string) wpFile {
	t.Helper()
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	require.NoError(t, err, "vector file %s", name)
	var f wpFile
	require.NoError(t, json.Unmarshal(data, &f), "vector file %s", name)
	n := 0
	for _, g := range f.TestGroups {
		n += len(g.Tests)
	}
	require.Equal(t, f.NumberOfTests, n, "vector file %s: test count", name)
	require.NotZero(t, n, "vector file %s", name)
	return f
}

// keyFromJWK runs one JWK through ParseKeySet, as a one-key JWKS. It
// returns nil when the sanitiser refuses the key.
func keyFromJWK(t *testing.T, jwk json.RawMessage) *Key {
	t.Helper()
	keys, _, err := ParseKeySet([]byte(`{"keys":[` + string(jwk) + `]}`))
	require.NoError(t, err, "a one-key JWKS is a JWK set")
	if len(keys) != 1 {
		return nil
	}
	return &keys[0]
}

// jwkFromPublicKey builds a JWK from a primitive group's "publicKey" (hex
// modulus/exponent for RSA, hex wx/wy for EC), for files that carry no
// JWK (the DER ECDSA files and the PSS files used as negatives).
func jwkFromPublicKey(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var pk struct {
		Modulus, PublicExponent string
		Curve, WX, WY           string
	}
	require.NoError(t, json.Unmarshal(raw, &pk))
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err)
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
		return b
	}
	b64 := base64.RawURLEncoding.EncodeToString
	var m map[string]string
	if pk.Modulus != "" {
		m = map[string]string{"kty": "RSA", "n": b64(unhex(pk.Modulus)), "e": b64(unhex(pk.PublicExponent))}
	} else {
		crv, ok := map[string]string{"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[pk.Curve]
		require.True(t, ok, "curve %q", pk.Curve)
		size := coordinateSizes[crv]
		pad := func(b []byte) []byte { return append(make([]byte, size-min(size, len(b))), b...) }
		m = map[string]string{"kty": "EC", "crv": crv, "x": b64(pad(unhex(pk.WX))), "y": b64(pad(unhex(pk.WY)))}
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// primitiveFile describes one Wycheproof primitive file run through
// Verify with alg. negative: every vector must be rejected whatever its
// result (a signature format or parameter set JWS does not allow).
type primitiveFile struct {
	name     string
	alg      string
	negative string // why the whole file is negative for JWS; "" if not
}

var primitiveFiles = []primitiveFile{
	// RSASSA-PKCS1-v1_5 (RFC 7518 §3.3).
	{"rsa_signature_2048_sha256_test.json", "RS256", ""},
	{"rsa_signature_3072_sha256_test.json", "RS256", ""},
	{"rsa_signature_4096_sha256_test.json", "RS256", ""},
	{"rsa_signature_8192_sha256_test.json", "RS256", ""},
	{"rsa_signature_2048_sha384_test.json", "RS384", ""},
	{"rsa_signature_3072_sha384_test.json", "RS384", ""},
	{"rsa_signature_4096_sha384_test.json", "RS384", ""},
	{"rsa_signature_8192_sha384_test.json", "RS384", ""},
	{"rsa_signature_2048_sha512_test.json", "RS512", ""},
	{"rsa_signature_3072_sha512_test.json", "RS512", ""},
	{"rsa_signature_4096_sha512_test.json", "RS512", ""},
	{"rsa_signature_8192_sha512_test.json", "RS512", ""},
	// RSASSA-PSS with MGF1 of the same hash and salt = hash length
	// (RFC 7518 §3.5).
	{"rsa_pss_2048_sha256_mgf1_32_test.json", "PS256", ""},
	{"rsa_pss_3072_sha256_mgf1_32_test.json", "PS256", ""},
	{"rsa_pss_4096_sha256_mgf1_32_test.json", "PS256", ""},
	{"rsa_pss_2048_sha384_mgf1_48_test.json", "PS384", ""},
	{"rsa_pss_4096_sha384_mgf1_48_test.json", "PS384", ""},
	{"rsa_pss_4096_sha512_mgf1_64_test.json", "PS512", ""},
	// Other PSS parameters: JWA fixes the salt length and the MGF hash.
	{"rsa_pss_2048_sha256_mgf1_0_test.json", "PS256", "salt length 0, JWA requires 32"},
	{"rsa_pss_2048_sha256_mgf1sha1_20_test.json", "PS256", "MGF1 with SHA-1 and salt 20, JWA requires MGF1-SHA-256 and salt 32"},
	{"rsa_pss_4096_sha512_mgf1_32_test.json", "PS512", "salt length 32, JWA requires 64"},
	// ECDSA with R||S (RFC 7518 §3.4).
	{"ecdsa_secp256r1_sha256_p1363_test.json", "ES256", ""},
	{"ecdsa_secp384r1_sha384_p1363_test.json", "ES384", ""},
	{"ecdsa_secp521r1_sha512_p1363_test.json", "ES512", ""},
	// ECDSA with DER signatures: even the valid ones are not JWS signatures.
	{"ecdsa_secp256r1_sha256_test.json", "ES256", "DER-encoded signature, JWS requires R||S"},
	{"ecdsa_secp384r1_sha384_test.json", "ES384", "DER-encoded signature, JWS requires R||S"},
	{"ecdsa_secp521r1_sha512_test.json", "ES512", "DER-encoded signature, JWS requires R||S"},
	// The right curve with a hash JWA does not pair with it.
	{"ecdsa_secp256r1_sha512_p1363_test.json", "ES256", "P-256 with SHA-512, ES256 is SHA-256"},
}

// jwaParams are the hash (and, for PS*, the salt length) RFC 7518 fixes
// for each algorithm, in Wycheproof's spelling.
var jwaParams = map[string]struct {
	sha     string
	saltLen int
}{
	"RS256": {"SHA-256", 0}, "RS384": {"SHA-384", 0}, "RS512": {"SHA-512", 0},
	"PS256": {"SHA-256", 32}, "PS384": {"SHA-384", 48}, "PS512": {"SHA-512", 64},
	"ES256": {"SHA-256", 0}, "ES384": {"SHA-384", 0}, "ES512": {"SHA-512", 0},
}

// primitivePolicyRejects is the allow-list of "valid" primitive vectors
// we reject on purpose, by file and tcId, with the reason. It is empty:
// every valid RS*/PS*/ES* vector with JWA parameters is accepted.
var primitivePolicyRejects = map[string]map[int]string{}

// negativeExceptions are vectors of a negative file that are valid JWS
// signatures after all; they must be accepted.
var negativeExceptions = map[string]map[int]string{
	"rsa_pss_2048_sha256_mgf1_0_test.json": {69: "\"s_len changed to 32\": re-signed with salt length 32, a valid PS256 signature"},
}

func TestWycheproofPrimitives(t *testing.T) {
	var total wpTally
	for _, pf := range primitiveFiles {
		t.Run(strings.TrimSuffix(pf.name, "_test.json"), func(t *testing.T) {
			f := loadWycheproof(t, pf.name)
			var c wpTally
			allowed := primitivePolicyRejects[pf.name]
			for _, g := range f.TestGroups {
				if pf.negative == "" {
					// The file's parameters are the ones JWA fixes for alg.
					want := jwaParams[pf.alg]
					require.Equal(t, want.sha, g.SHA, "%s: hash", pf.name)
					if strings.HasPrefix(pf.alg, "PS") {
						require.Equal(t, want.sha, g.MGFSHA, "%s: MGF1 hash", pf.name)
						require.NotNil(t, g.SLen, "%s: salt length", pf.name)
						require.Equal(t, want.saltLen, *g.SLen, "%s: salt length", pf.name)
					}
				}
				jwk := g.KeyJWK
				if len(jwk) == 0 {
					jwk = g.PublicKeyJWK
				}
				if len(jwk) == 0 {
					jwk = jwkFromPublicKey(t, g.PublicKey)
				}
				key := keyFromJWK(t, jwk)
				for _, tc := range g.Tests {
					msg, err := hex.DecodeString(tc.Msg)
					require.NoError(t, err)
					sig, err := hex.DecodeString(tc.Sig)
					require.NoError(t, err)
					accepted := false
					if key == nil {
						c.keyRejected++
					} else if key.Algorithm == "" || key.Algorithm == pf.alg {
						// As the authenticator: a key with "alg" is used
						// only for that algorithm.
						accepted = Verify(pf.alg, key.Public, string(msg), sig) == nil
					}
					negative := pf.negative
					if reason, ok := negativeExceptions[pf.name][tc.TcID]; ok {
						require.Equal(t, "invalid", tc.Result, "exception %s", reason)
						tc.Result, negative = "valid", ""
					}
					c.tally(t, pf.name, tc, accepted, negative, allowed)
				}
			}
			t.Logf("%s (%s): %s", pf.name, pf.alg, c)
			total.add(c)
		})
	}
	t.Logf("Wycheproof primitive vectors, all files: %s", total)
	require.Zero(t, total.falseAccepts, "false accepts")
}

// tally records one outcome and fails the test on a false accept, an
// unexplained reject of a valid vector, or a stale allow-list entry.
func (c *wpTally) tally(t *testing.T, file string, tc wpTest, accepted bool, negative string, allowed map[int]string) {
	t.Helper()
	c.run++
	if accepted {
		c.accepted++
	} else {
		c.rejected++
	}
	reason, listed := allowed[tc.TcID]
	if listed && tc.Result != "valid" {
		t.Errorf("%s tcId %d is allow-listed (%s) but is %q, not valid: update the allow-list", file, tc.TcID, reason, tc.Result)
	}
	switch {
	case negative != "" || tc.Result == "invalid":
		c.invalidOrNegative++
		if accepted {
			c.falseAccepts++
			t.Errorf("%s tcId %d (%s, %s, flags %v): FALSE ACCEPT (%s)", file, tc.TcID, tc.Result, tc.Comment, tc.Flags, negative)
		}
	case tc.Result == "acceptable":
		c.acceptable++
	case tc.Result == "valid":
		c.validRun++
		switch {
		case accepted && listed:
			t.Errorf("%s tcId %d is allow-listed as a policy reject (%s) but was accepted: update the allow-list", file, tc.TcID, reason)
		case !accepted && listed:
			c.policyRejects++
		case !accepted:
			c.falseRejects++
			t.Errorf("%s tcId %d (%s, flags %v): valid vector rejected and not allow-listed", file, tc.TcID, tc.Comment, tc.Flags)
		}
	default:
		t.Errorf("%s tcId %d: unknown result %q", file, tc.TcID, tc.Result)
	}
}

func (c *wpTally) add(o wpTally) {
	c.run += o.run
	c.accepted += o.accepted
	c.rejected += o.rejected
	c.falseAccepts += o.falseAccepts
	c.falseRejects += o.falseRejects
	c.acceptable += o.acceptable
	c.policyRejects += o.policyRejects
	c.keyRejected += o.keyRejected
	c.validRun += o.validRun
	c.invalidOrNegative += o.invalidOrNegative
}

// verifyCompactWithKeys is the authenticator's signature path
// (jwtauth verifyWithAny over discovery.KeySet.Lookup) on a sanitised key
// list: strict compact parse, algorithm allow-list, candidate keys by kid
// (every key when the token has no kid), a key's "alg" binds it to that
// algorithm, then Verify over the raw signing input.
func verifyCompactWithKeys(token string, keys []Key) bool {
	jws, err := ParseCompact(token)
	if err != nil || !slices.Contains(Algorithms, jws.Header.Alg) {
		return false
	}
	for _, k := range keys {
		if jws.Header.Kid != "" && k.ID != jws.Header.Kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != jws.Header.Alg {
			continue
		}
		if Verify(jws.Header.Alg, k.Public, jws.SigningInput, jws.Signature) == nil {
			return true
		}
	}
	return false
}

// jwsPolicyRejects lists the "valid" vectors of json_web_signature_test.json
// that we reject on purpose, with the reason.
var jwsPolicyRejects = map[int]string{
	1:   hmacReject,
	346: "RFC 7520 Figure 20: the JWK says alg PS256, the token PS384; a key with alg is used for that algorithm only (RFC 7517 §4.4)",
	347: "RFC 7520 Figure 27: the JWK says alg \"ES521\" (not a JWA name), the token ES512; a key with alg is used for that algorithm only",
	348: hmacReject,
	350: "RFC 7520 Figure 20 (with key_ops): the JWK says alg PS256, the token PS384",
	351: "RFC 7520 Figure 27 (with key_ops): the JWK says alg \"ES521\", the token ES512",
	352: hmacReject,
	357: hmacReject,
	358: hmacReject,
	359: hmacReject,
	372: hmacReject + "; also a '?' in the header segment, which our strict base64url refuses (RFC 7515 §2)",
	373: hmacReject + "; also a '?' in the payload segment, which our strict base64url refuses (RFC 7515 §2)",
	376: hmacReject,
	377: hmacReject,
}

// hmacReject: HS256 is not in kube-apiserver's algorithm list, and
// ParseKeySet refuses symmetric keys.
const hmacReject = "HS256 with an oct key: HMAC is not an allowed algorithm and symmetric JWKs are refused"

// publicJWK returns the group's public JWK, or its private JWK with the
// private members removed. A symmetric ("oct") key stays as it is: the
// sanitiser must refuse it.
func publicJWK(t *testing.T, g wpGroup) json.RawMessage {
	t.Helper()
	if len(g.Public) > 0 {
		return g.Public
	}
	require.NotEmpty(t, g.Private, "group %q has no key", g.Comment)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(g.Private, &m))
	if string(m["kty"]) != `"oct"` {
		for _, name := range privateMembers {
			delete(m, name)
		}
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestWycheproofJWS(t *testing.T) {
	const name = "json_web_signature_test.json"
	f := loadWycheproof(t, name)
	var c wpTally
	for _, g := range f.TestGroups {
		keys, _, err := ParseKeySet([]byte(`{"keys":[` + string(publicJWK(t, g)) + `]}`))
		require.NoError(t, err)
		for _, tc := range g.Tests {
			if len(keys) == 0 {
				c.keyRejected++
			}
			c.tally(t, name, tc, verifyCompactWithKeys(tc.JWS, keys), "", jwsPolicyRejects)
		}
	}
	t.Logf("%s: %s", name, c)
	require.Zero(t, c.falseAccepts, "false accepts")
}

// jwkSetPolicyRejects lists the "valid" vectors of json_web_key_test.json
// that we reject on purpose.
var jwkSetPolicyRejects = map[int]string{
	2:  hmacReject,
	13: hmacReject,
	14: hmacReject,
	15: hmacReject,
}

// TestWycheproofKeySets is the key-set layer: each group's JWK set (its
// public set, or the private one as a misconfigured issuer would publish
// it) goes through ParseKeySet, and its token through the verification
// path above. Every invalid vector must be rejected, at sanitisation or at
// verification.
func TestWycheproofKeySets(t *testing.T) {
	const name = "json_web_key_test.json"
	data, err := fs.ReadFile(wycheproof.TestVectors, name)
	require.NoError(t, err)
	var f struct {
		NumberOfTests int `json:"numberOfTests"`
		TestGroups    []struct {
			Comment string          `json:"comment"`
			Public  json.RawMessage `json:"public"`
			Private json.RawMessage `json:"private"`
			Tests   []wpTest        `json:"tests"`
		} `json:"testGroups"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	var c wpTally
	for _, g := range f.TestGroups {
		set := g.Public
		if len(set) == 0 {
			set = g.Private
		}
		keys, skipped, err := ParseKeySet(set)
		require.NoError(t, err, "group %q", g.Comment)
		if g.Comment == "jws_rsa_roca_key" {
			require.Empty(t, keys)
			require.Contains(t, fmt.Sprint(skipped), "ROCA fingerprint")
		}
		for _, tc := range g.Tests {
			if len(keys) == 0 {
				c.keyRejected++
			}
			c.tally(t, name, tc, verifyCompactWithKeys(tc.JWS, keys), "", jwkSetPolicyRejects)
		}
	}
	require.Equal(t, f.NumberOfTests, c.run)
	t.Logf("%s: %s", name, c)
	require.Zero(t, c.falseAccepts, "false accepts")
}
