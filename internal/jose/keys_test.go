package jose

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/require"
)

// rsaJWK builds an RSA JWK from a modulus and exponent, plus extra
// members (a JSON fragment starting with a comma).
func rsaJWK(kid string, n *big.Int, e int64, extra string) string {
	return fmt.Sprintf(`{"kty":"RSA","kid":%q,"n":%q,"e":%q%s}`, kid, b64(n.Bytes()), b64(big.NewInt(e).Bytes()), extra)
}

// ecJWK builds an EC JWK from raw coordinates.
func ecJWK(kid, crv string, x, y []byte, extra string) string {
	return fmt.Sprintf(`{"kty":"EC","kid":%q,"crv":%q,"x":%q,"y":%q%s}`, kid, crv, b64(x), b64(y), extra)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func selfSignedDER(t *testing.T) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
		NotBefore:    time.Unix(1700000000, 0),
		NotAfter:     time.Unix(1900000000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	require.NoError(t, err)
	return der
}

func TestParseKeySetSanitises(t *testing.T) {
	testKeys(t)
	pubRSA, err := PublicJWK(&rsaKey.PublicKey, "rsa", "RS256")
	require.NoError(t, err)
	point := func(alg string) (x, y []byte) {
		b, err := ecKeys[alg].PublicKey.Bytes() // 0x04 || X || Y
		require.NoError(t, err)
		size := (len(b) - 1) / 2
		return b[1 : 1+size], b[1+size:]
	}
	x256, y256 := point("ES256")
	x521, y521 := point("ES512")
	offY := append([]byte(nil), y256...)
	offY[len(offY)-1] ^= 1
	privRSA, err := jwk.Import(rsaKey)
	require.NoError(t, err)
	privEC, err := jwk.Import(ecKeys["ES256"])
	require.NoError(t, err)
	n := rsaKey.N
	// Synthetic moduli: the sanitiser looks at sizes, not factors.
	n1024 := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 1023), big.NewInt(1))
	n9000 := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 8999), big.NewInt(1))
	n8192 := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 8191), big.NewInt(1))
	nEven := new(big.Int).Lsh(big.NewInt(1), 2047)
	der := base64.StdEncoding.EncodeToString(selfSignedDER(t))

	kept := []struct{ name, jwk string }{
		{"RSA from PublicJWK", string(pubRSA)},
		{"RSA with use sig and key_ops verify", rsaJWK("r2", n, 65537, `,"use":"sig","key_ops":["verify"]`)},
		{"RSA key_ops with verify among others", rsaJWK("r3", n, 65537, `,"key_ops":["sign","verify"]`)},
		{"RSA of 8192 bits", rsaJWK("r4", n8192, 65537, "")},
		{"RSA exponent 3", rsaJWK("r5", n, 3, "")},
		{"RSA exponent 2^31-1", rsaJWK("r6", n, 1<<31-1, "")},
		{"Entra key with x5t, x5c and issuer", rsaJWK("entra", n, 65537,
			`,"use":"sig","x5t":"nOo3ZDrODXEK1jKWhXslHR_KXEg","x5c":["`+der+`"],"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"`)},
		{"RSA without kid", fmt.Sprintf(`{"kty":"RSA","n":%q,"e":"AQAB"}`, b64(n.Bytes()))},
		{"EC P-256", ecJWK("e1", "P-256", x256, y256, `,"alg":"ES256"`)},
		{"EC P-521", ecJWK("e2", "P-521", x521, y521, "")},
	}
	for _, alg := range []string{"ES384"} {
		b, err := PublicJWK(ecKeys[alg].Public(), "e3", alg)
		require.NoError(t, err)
		kept = append(kept, struct{ name, jwk string }{"EC from PublicJWK", string(b)})
	}
	skipped := []struct{ name, jwk, reason string }{
		{"private RSA", mustJSON(t, privRSA), "private key member"},
		{"private EC", mustJSON(t, privEC), "private key member"},
		{"public RSA with a stray d", rsaJWK("d", n, 65537, `,"d":"AQAB"`), "private key member"},
		{"oct", `{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`, "symmetric"},
		{"OKP", `{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, "unsupported key type"},
		{"unknown kty", `{"kty":"XYZ","kid":"future"}`, "unsupported key type"},
		{"kty missing", `{"kid":"nokty","n":"AQAB","e":"AQAB"}`, "kty missing"},
		{"kty number", `{"kty":1}`, "no kid: kty missing"},
		{"kty lowercase", strings.Replace(rsaJWK("lc", n, 65537, ""), `"RSA"`, `"rsa"`, 1), "unsupported key type"},
		{"1024-bit RSA", rsaJWK("small", n1024, 65537, ""), "RSA modulus of 1024 bits is outside 2048..8192"},
		{"9000-bit RSA", rsaJWK("huge", n9000, 65537, ""), "outside 2048..8192"},
		{"even modulus", rsaJWK("even", nEven, 65537, ""), "RSA modulus is even"},
		{"exponent 1", rsaJWK("e1", n, 1, ""), "RSA exponent is not odd in 3..2^31-1"},
		{"even exponent", rsaJWK("e2", n, 65536, ""), "RSA exponent is not odd in 3..2^31-1"},
		{"exponent of 100 bytes", strings.Replace(rsaJWK("e5", n, 3, ""), `"e":"Aw"`, `"e":"`+b64([]byte(strings.Repeat("\x01", 100)))+`"`, 1), "RSA exponent"},
		{"n not base64url", strings.Replace(rsaJWK("nb", n, 3, ""), `"n":"`, `"n":"!`, 1), "n is not base64url"},
		{"exponent 2^31+1", rsaJWK("e3", n, 1<<31+1, ""), "exponent"},
		{"exponent 2^40+1", rsaJWK("e4", n, 1<<40+1, ""), "exponent"},
		{"RSA without n", `{"kty":"RSA","kid":"non","e":"AQAB"}`, "n missing"},
		{"EC off curve", ecJWK("off", "P-256", x256, offY, ""), "invalid EC key"}, // jwx refuses it first
		{"EC point at infinity", ecJWK("inf", "P-256", make([]byte, 32), make([]byte, 32), ""), "EC"},
		{"EC short x", ecJWK("short", "P-256", x256[1:], y256, ""), "x is 31 octets"},
		{"EC long y", ecJWK("long", "P-256", x256, append([]byte{0}, y256...), ""), "y is 33 octets"},
		{"EC curve mismatch", ecJWK("mix", "P-384", x256, y256, ""), "octets"},
		{"secp256k1", ecJWK("k1", "secp256k1", x256, y256, ""), "unsupported curve"},
		{"crv missing", `{"kty":"EC","kid":"nocrv","x":"AA","y":"AA"}`, "crv missing"},
		{"x missing", `{"kty":"EC","crv":"P-256","y":"AA"}`, "x missing"},
		{"use enc", rsaJWK("enc", n, 65537, `,"use":"enc"`), "use"},
		{"use empty", rsaJWK("empty", n, 65537, `,"use":""`), "use"},
		{"use number", rsaJWK("usenum", n, 65537, `,"use":1`), "use must be a string"},
		{"key_ops without verify", rsaJWK("ops", n, 65537, `,"key_ops":["encrypt"]`), "key_ops does not allow verify"},
		{"key_ops empty", rsaJWK("ops0", n, 65537, `,"key_ops":[]`), "key_ops does not allow verify"},
		{"key_ops string", rsaJWK("ops1", n, 65537, `,"key_ops":"verify"`), "key_ops must be an array"},
		{"key_ops null", rsaJWK("ops2", n, 65537, `,"key_ops":null`), "key_ops must be an array"},
		{"kid number", strings.Replace(rsaJWK("x", n, 65537, ""), `"kid":"x"`, `"kid":5`, 1), "kid must be a string"},
		{"kid null", strings.Replace(rsaJWK("x", n, 65537, ""), `"kid":"x"`, `"kid":null`, 1), "kid must be a string"},
		{"alg number", rsaJWK("algnum", n, 65537, `,"alg":256`), "alg must be a string"},
		{"duplicate member", rsaJWK("dup", n, 65537, `,"kid":"other"`), "duplicate members"},
		{"string element", `"not an object"`, "not a JSON object"},
		{"null element", `null`, "not a JSON object"},
		{"array element", `[]`, "not a JSON object"},
	}

	var elems []string
	for _, k := range kept {
		elems = append(elems, k.jwk)
	}
	for _, k := range skipped {
		elems = append(elems, k.jwk)
	}
	keys, errs, err := ParseKeySet([]byte(`{"keys":[` + strings.Join(elems, ",") + `]}`))
	require.NoError(t, err)
	require.Len(t, keys, len(kept))
	require.Len(t, errs, len(skipped))
	for i, k := range keys {
		require.NotNil(t, k.Public, kept[i].name)
	}
	require.Equal(t, "rsa", keys[0].ID)
	require.Equal(t, "RS256", keys[0].Algorithm)
	require.Equal(t, &rsaKey.PublicKey, keys[0].Public)
	require.Equal(t, []string{"verify"}, keys[1].Ops)
	require.Equal(t, "sig", keys[1].Use)
	require.Equal(t, "", keys[7].ID)
	require.True(t, ecKeys["ES256"].PublicKey.Equal(keys[8].Public))
	require.Equal(t, "ES256", keys[8].Algorithm)
	for i, e := range errs {
		msg := e.Error()
		require.Contains(t, msg, fmt.Sprintf("key %d:", len(kept)+i), skipped[i].name)
		require.Contains(t, msg, skipped[i].reason, skipped[i].name)
		require.NotContains(t, msg, b64(n.Bytes())[:16], "no key material")
		require.NotContains(t, msg, b64(x256)[:16], "no key material")
	}
}

func TestParseKeySetOrderAndDuplicateKids(t *testing.T) {
	testKeys(t)
	set := `{"keys":[` + rsaJWK("same", rsaKey.N, 65537, "") + "," + rsaJWK("same", rsaOther.N, 65537, "") + `]}`
	keys, errs, err := ParseKeySet([]byte(set))
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Len(t, keys, 2)
	require.Equal(t, rsaKey.N, keys[0].Public.(*rsa.PublicKey).N)
	require.Equal(t, rsaOther.N, keys[1].Public.(*rsa.PublicKey).N)
}

func TestParseKeySetDocument(t *testing.T) {
	testKeys(t)
	one := rsaJWK("k", rsaKey.N, 65537, "")
	for name, doc := range map[string]string{
		"empty":                  ``,
		"array":                  `[` + one + `]`,
		"no keys":                `{}`,
		"keys object":            `{"keys":{}}`,
		"keys null":              `{"keys":null}`,
		"keys string":            `{"keys":"x"}`,
		"null":                   `null`,
		"single JWK":             one,
		"keys in another case":   `{"KEYS":[` + one + `]}`,
		"duplicate keys members": `{"keys":[],"keys":[` + one + `]}`,
		"trailing data":          `{"keys":[]}x`,
		"invalid UTF-8":          "{\"keys\":[],\"x\":\"\xff\"}",
	} {
		keys, errs, err := ParseKeySet([]byte(doc))
		require.ErrorIs(t, err, ErrKeySet, name)
		require.Nil(t, keys)
		require.Nil(t, errs)
	}
	keys, errs, err := ParseKeySet([]byte(` {"keys":[],"other":1} `))
	require.NoError(t, err)
	require.Empty(t, keys)
	require.Empty(t, errs)
}

func TestPublicJWK(t *testing.T) {
	testKeys(t)
	b, err := PublicJWK(ecKeys["ES512"].Public(), "", "")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, "P-521", m["crv"])
	require.NotContains(t, m, "kid")
	require.NotContains(t, m, "d")
	_, err = PublicJWK("not a key", "k", "")
	require.Error(t, err)
}
