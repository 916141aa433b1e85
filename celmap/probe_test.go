package celmap

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestProbeCost(t *testing.T) {
	for _, n := range []int{300, 600, 2000} {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("%q", fmt.Sprint("g", i))
		}
		doc := `{"l": [` + strings.Join(items, ",") + `]}`
		p, _ := testEnv(t).CompileClaims("dyn(claims.l).all(x, dyn(claims.l).all(y, x != '' && y != ''))", AnyResult)
		start := time.Now()
		_, det, err := p.prg.ContextEval(context.Background(), NewClaimsActivation(mustClaims(doc)).activation())
		fmt.Println(n, time.Since(start), err, det != nil)
		if det != nil && det.ActualCost() != nil { fmt.Println(*det.ActualCost()) }
	}
}
