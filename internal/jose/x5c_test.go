package jose

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCheckCertificates: ParseCompact checks the shape of "x5c" only;
// CheckCertificates, run after the signature verified, refuses what
// go-jose (kube-apiserver) refuses: a member that does not parse as X.509.
func TestCheckCertificates(t *testing.T) {
	testKeys(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	require.NoError(t, err)
	cert := base64.StdEncoding.EncodeToString(der)
	cases := []struct {
		name   string
		header string
		ok     bool
	}{
		{"no x5c", `{"alg":"RS256"}`, true},
		{"empty chain", `{"alg":"RS256","x5c":[]}`, true},
		{"one certificate", `{"alg":"RS256","x5c":["` + cert + `"]}`, true},
		{"two certificates", `{"alg":"RS256","x5c":["` + cert + `","` + cert + `"]}`, true},
		{"DER that is not a certificate", `{"alg":"RS256","x5c":["` + x5cValue + `"]}`, false},
		{"second entry not a certificate", `{"alg":"RS256","x5c":["` + cert + `","` + x5cValue + `"]}`, false},
		{"truncated certificate", `{"alg":"RS256","x5c":["` + base64.StdEncoding.EncodeToString(der[:len(der)-1]) + `"]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jws, err := ParseCompact(enc(c.header) + "." + enc(`{}`) + "." + enc("sig"))
			require.NoError(t, err, "the shape is valid")
			err = jws.CheckCertificates()
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrMalformed)
			require.NotContains(t, err.Error(), x5cValue)
		})
	}
}
