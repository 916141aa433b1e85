package discovery_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/structauth/structauth/discovery"
)

// newExampleIssuer starts an issuer serving one EC key with kid "k1".
func newExampleIssuer() *httptest.Server {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	set := jwks(ecJWK("k1", key))
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, srv.URL, srv.URL+"/keys")
		case "/keys":
			_, _ = w.Write(set)
		default:
			http.NotFound(w, r)
		}
	})
	srv.StartTLS()
	return srv
}

func ExampleProvider_Keys() {
	srv := newExampleIssuer()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	p, err := discovery.New(discovery.Config{
		IssuerURL:            srv.URL,
		CertificateAuthority: string(caPEM),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// The first call discovers the issuer and fetches its keys.
	ks, err := p.Keys(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("keys:", ks.Len())
	fmt.Println("k1:", len(ks.Lookup("k1")))

	// A kid the set lacks: refresh once (rate-limited, shared).
	if len(ks.Lookup("k2")) == 0 {
		ks, refreshed, err := p.RefreshKeys(ctx)
		fmt.Println("refreshed:", refreshed, "err:", err, "k2:", len(ks.Lookup("k2")))
	}
	// Output:
	// keys: 1
	// k1: 1
	// refreshed: true err: <nil> k2: 0
}

func ExampleProvider_Run() {
	srv := newExampleIssuer()
	defer srv.Close()
	p, err := discovery.New(discovery.Config{IssuerURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())

	// Run discovers in the background, retrying every 10 s, then keeps
	// the keys fresh until ctx ends. Its caller owns the goroutine.
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()

	// A readiness check: the document and the keys, fetched if needed.
	ks, err := p.Keys(ctx)
	fmt.Println(ks.Len(), err)

	cancel()
	<-done
	// Output:
	// 1 <nil>
}

func ExampleProvider_RefreshKeysFor() {
	srv := newExampleIssuer()
	defer srv.Close()
	p, err := discovery.New(discovery.Config{IssuerURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Keys(ctx); err != nil {
		log.Fatal(err)
	}

	// A token names a kid the set lacks: one shared, rate-limited fetch.
	ks, refreshed, err := p.RefreshKeysFor(ctx, "k9")
	fmt.Println(refreshed, len(ks.Lookup("k9")), err)
	// The fresh set proved k9 absent: it is remembered, no fetch.
	_, refreshed, err = p.RefreshKeysFor(ctx, "k9")
	fmt.Println(refreshed, err)
	// Output:
	// true 0 <nil>
	// false <nil>
}
