package oidc_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/internal/oidcop"
)

// TestRealProviderAlgorithms logs in through oidc-provider signing the ID
// token with each asymmetric algorithm a national provider may choose
// (client metadata id_token_signed_response_alg): RS256, ES256, PS256 and
// EdDSA (Ed25519) are all accepted.
func TestRealProviderAlgorithms(t *testing.T) {
	oidcop.Module(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + l.Addr().String() + "/cb"
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys := []jose.JSONWebKey{
		{Key: rs, KeyID: "rs", Algorithm: "RS256", Use: "sig"},
		{Key: ec, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
		{Key: ed, KeyID: "ed", Algorithm: "EdDSA", Use: "sig"},
		{Key: rs, KeyID: "ps", Algorithm: "PS256", Use: "sig"},
	}
	a := newApp(t, l)
	for _, alg := range []string{"RS256", "ES256", "PS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			o := oidcop.Start(t, 0, keys[0], redirect, func(c *oidcop.Config) {
				c.JWKS.Keys = keys
				c.Clients[0]["id_token_signed_response_alg"] = alg
			})
			if a.auth, err = oidc.New(standardConfig(o.Issuer)); err != nil {
				t.Fatal(err)
			}
			st := logIn(t, browser(t), a, "marie", "eidas2")
			s, _, err := a.outcome()
			if st != http.StatusOK || err != nil {
				t.Fatalf("an ID token signed with %s: HTTP %d: %v", alg, st, err)
			}
			if s.Person.Identifier != "FR/DE/1234567890" {
				t.Errorf("identifier %q", s.Person.Identifier)
			}
		})
	}
}

// TestRealProviderIssParameter: oidc-provider announces
// authorization_response_iss_parameter_supported and puts iss in every
// authorization response (RFC 9207). An answer from which iss was removed
// (as a mix-up attacker's would be) is refused (§2.4); an error answer of
// the provider (prompt=none without a session: login_required) is shown
// with the provider's error code.
func TestRealProviderIssParameter(t *testing.T) {
	oidcop.Module(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect := "http://" + l.Addr().String() + "/cb"
	o := oidcop.Start(t, 0, oidcop.RSAKey(t, "k"), redirect)
	a := newApp(t, l)
	if a.auth, err = oidc.New(standardConfig(o.Issuer)); err != nil {
		t.Fatal(err)
	}

	t.Run("without iss", func(t *testing.T) {
		c := browser(t)
		sawIss := false
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirect) {
				q := req.URL.Query()
				sawIss = q.Get("iss") == o.Issuer
				q.Del("iss")
				req.URL.RawQuery = q.Encode()
			}
			return nil
		}
		st := logIn(t, c, a, "marie", "eidas2")
		_, _, err := a.outcome()
		if !sawIss {
			t.Fatal("the provider sent no iss: the test shows nothing")
		}
		if st == http.StatusOK || !errors.Is(err, oidc.ErrLogin) || !strings.Contains(err.Error(), "no iss") {
			t.Fatalf("an answer without the iss its provider announces: HTTP %d, %v", st, err)
		}
	})
	t.Run("the provider's error", func(t *testing.T) {
		c := browser(t)
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), o.Issuer+"/auth") {
				q := req.URL.Query()
				q.Set("prompt", "none")
				req.URL.RawQuery = q.Encode()
			}
			return nil
		}
		res, err := c.Get(a.srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		_, state, err := a.outcome()
		if res.StatusCode == http.StatusOK || state != appState || err == nil || !strings.Contains(err.Error(), `"login_required"`) {
			t.Fatalf("HTTP %d, state %q, %v", res.StatusCode, state, err)
		}
	})
}
