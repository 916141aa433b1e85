package celmap

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/celmap/internal/k8slib"
)

// The Kubernetes libraries of the base environment are reachable from
// claim expressions (3.5). The functions themselves are tested in k8slib;
// this only checks the wiring.
func TestKubernetesLibraries(t *testing.T) {
	if len(k8slib.EnvOptions()) == 0 {
		t.Skip("k8slib provides no libraries (stub build)")
	}
	tests := []string{
		"url('https://example.com/a').getHost() == 'example.com' && isURL(claims.iss)",
		"claims.sub.find('[0-9]+') == '42' && claims.sub.findAll('[a-z]').size() == 4",
		"ip('10.0.0.1').family() == 4 && isIP('::1')",
		"cidr('10.0.0.0/8').containsIP(ip('10.1.2.3')) && isCIDR('10.0.0.0/8')",
		"isSemver('1.2.3') && semver('1.2.3').major() == 1",
		"quantity('1Gi').isGreaterThan(quantity('1Mi')) && isQuantity('1k')",
		"[1, 2, 3].sum() == 6 && [1, 2].isSorted() && [3, 1].max() == 3 && ['a', 'b'].indexOf('b') == 1",
		"format.dns1123Label().validate('Bad_Label').hasValue()",
	}
	env := testEnv(t)
	act := NewClaimsActivation(mustClaims(`{"iss": "https://issuer.example", "sub": "jane42"}`))
	for _, expr := range tests {
		t.Run(expr, func(t *testing.T) {
			p, err := env.CompileClaims(expr, BoolResult)
			require.NoError(t, err)
			v, err := p.Eval(context.Background(), act)
			require.NoError(t, err)
			b, ok := v.Bool()
			require.True(t, ok)
			require.True(t, b)
		})
	}
}

// The authorization libraries are declared (type checking behaves as in
// kube-apiserver) even though no authorizer variable exists.
func TestKubernetesLibrariesDeclaredOnly(t *testing.T) {
	if len(k8slib.EnvOptions()) == 0 {
		t.Skip("k8slib provides no libraries (stub build)")
	}
	_, err := testEnv(t).CompileClaims("authorizer.path('/healthz').check('get').allowed()", BoolResult)
	require.ErrorContains(t, err, "undeclared reference to 'authorizer'")
}
