package tokencache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokencache"
)

func ExampleNew() {
	ctx := context.Background()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")}}
	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()

	// Successes are reused for up to 30 s (never beyond the token's exp);
	// rejections are not cached.
	cache, err := tokencache.New(auth, tokencache.Options{TTL: 30 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := iss.Sign("ES256", iss.Claims("my-api", "jane", time.Now()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		u, err := cache.Authenticate(ctx, tok)
		fmt.Println(u.Username, err)
	}
	st := cache.Stats()
	fmt.Println("hits:", st.Hits, "misses:", st.Misses, "entries:", st.Entries)
	// Output:
	// jane <nil>
	// jane <nil>
	// jane <nil>
	// hits: 2 misses: 1 entries: 1
}
