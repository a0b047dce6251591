package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/store"
)

// pysaml2SP is a service provider on loopback in front of a tiny
// application, logging in through the pysaml2 identity provider.
type pysaml2SP struct {
	a   *Authenticator
	srv *httptest.Server
	idp *samlidp.IdP
}

// testApp is the application the tests log in to: /login begins a login
// with the state "app-state", /login/callback finishes it and answers the
// subject as JSON (401 with the reason when refused).
func testApp(a *Authenticator) http.Handler {
	app := http.NewServeMux()
	app.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { a.Begin(w, r, "app-state", "/login/callback") })
	app.HandleFunc("GET /login/callback", func(w http.ResponseWriter, r *http.Request) {
		s, state, err := a.Finish(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if state != "app-state" {
			http.Error(w, "state "+state, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(s)
	})
	return app
}

func startPysaml2(t *testing.T, mod func(*Config, *samlidp.IdP)) *pysaml2SP {
	idp := samlidp.New(t)
	testKeys(t)
	p := &pysaml2SP{idp: idp}
	var h http.Handler
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(p.srv.Close)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rc, err := NewSQLReplay(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BaseURL: p.srv.URL, Country: "NL", SigningKey: spSign, SigningCert: spSignC, EncryptionKey: spEnc, EncryptionCert: spEncC,
		Replay: rc, Nodes: map[string]Node{"BE": {EntityID: idp.EntityID, MetadataURL: idp.EntityID, Anchor: idp.Cert}}}
	if mod != nil {
		mod(&cfg, idp)
	}
	if p.a, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h = p.a.Handler(testApp(p.a))
	md, err := p.a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.Start(t, md)
	return p
}

var inputRE = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"`)
var actionRE = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// form reads the action and hidden fields of the first form of a page.
func form(t *testing.T, body string) (string, url.Values) {
	t.Helper()
	m := actionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in %.500s", body)
	}
	v := url.Values{}
	for _, f := range inputRE.FindAllStringSubmatch(body, -1) {
		if f[1] != "" {
			v.Set(f[1], html.UnescapeString(f[2]))
		} else {
			v.Set(f[4], html.UnescapeString(f[3]))
		}
	}
	return html.UnescapeString(m[1]), v
}

func read(t *testing.T) func(*http.Response, error) string {
	return func(res *http.Response, err error) string { t.Helper(); return readBody(t, res, err) }
}

func readBody(t *testing.T, res *http.Response, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// login goes through the journey with an HTTP client (no browser): our
// auto-posted AuthnRequest, the identity provider's login form, its
// auto-posted response, our ACS, the callback. It returns the callback's
// status and body.
func (p *pysaml2SP) login(t *testing.T, user string, cancel bool) (int, string) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := read(t)(c.Get(p.srv.URL + "/login?eid=BE"))
	action, v := form(t, page)
	page = read(t)(c.PostForm(action, v))
	action, v = form(t, page)
	v.Set("user", user)
	v.Set("password", "pw")
	if cancel {
		v.Set("cancel", "1")
	}
	page = read(t)(c.PostForm(action, v))
	action, v = form(t, page)
	if v.Get("SAMLResponse") == "" {
		t.Fatalf("the identity provider gave no SAMLResponse: %.1000s", page)
	}
	res, err := c.PostForm(action, v)
	body := readBody(t, res, err)
	return res.StatusCode, body
}

// TestPysaml2Login logs in end to end through pysaml2, an independent SAML
// implementation: its signed metadata fetched and verified, our signed
// AuthnRequest verified by it, its signed response with a signed assertion
// encrypted with AES-256-GCM and RSA-OAEP verified and decrypted by us.
func TestPysaml2Login(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Python identity provider")
	}
	p := startPysaml2(t, nil)
	status, body := p.login(t, "marie", false)
	if status != http.StatusOK {
		t.Fatalf("callback: %d %s", status, body)
	}
	var s eid.Subject
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Person == nil || s.Person.Identifier != "BE/NL/1234567890" || s.Person.FamilyName != "Janssens" || s.Person.GivenName != "Marie" ||
		s.Person.DateOfBirth != "1985-04-12" || s.LoA != eid.LoASubstantial || s.Issuer != p.idp.EntityID {
		t.Errorf("subject %+v, person %+v", s, s.Person)
	}

	t.Run("LoA too low", func(t *testing.T) {
		status, body := p.login(t, "lowe", false)
		if status != http.StatusUnauthorized || !strings.Contains(body, eid.ErrLoA.Error()) {
			t.Errorf("%d %s", status, body)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		status, body := p.login(t, "marie", true)
		if status != http.StatusUnauthorized || !strings.Contains(body, "RequestDenied") {
			t.Errorf("%d %s", status, body)
		}
	})
}

// TestPysaml2AggregateMetadata logs in with the node's metadata read from
// an md:EntitiesDescriptor that pysaml2 writes and signs as a federation
// publishes its members' (the node's descriptor beside another entity's,
// neither signed by itself).
func TestPysaml2AggregateMetadata(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Python identity provider")
	}
	p := startPysaml2(t, func(c *Config, idp *samlidp.IdP) {
		c.Nodes["BE"] = Node{EntityID: idp.EntityID, MetadataURL: idp.EntityID + "/aggregate", Anchor: idp.Cert}
	})
	status, body := p.login(t, "marie", false)
	if status != http.StatusOK || !strings.Contains(body, "BE/NL/1234567890") {
		t.Fatalf("callback: %d %s", status, body)
	}
	md, err := p.a.nodeMeta(context.Background(), "BE")
	if err != nil {
		t.Fatal(err)
	}
	if md.ssoURL != p.idp.SSO || md.validUntil.IsZero() {
		t.Errorf("metadata read from the aggregate: %+v, want the node's SSO %s and the aggregate's validUntil", md, p.idp.SSO)
	}
}

// TestPysaml2Redirect sends the AuthnRequest by HTTP-Redirect.
func TestPysaml2Redirect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Python identity provider")
	}
	p := startPysaml2(t, func(c *Config, idp *samlidp.IdP) {
		c.Nodes["BE"] = Node{EntityID: idp.EntityID, MetadataURL: idp.EntityID, Anchor: idp.Cert, Binding: Redirect}
	})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(p.srv.URL + "/login?eid=BE")
	page := readBody(t, res, err)
	if !strings.HasPrefix(res.Request.URL.String(), p.idp.SSORedirect+"?SAMLRequest=") || !strings.Contains(res.Request.URL.RawQuery, "&Signature=") {
		t.Fatalf("not redirected to the HTTP-Redirect endpoint with a signed query: %s", res.Request.URL)
	}
	action, v := form(t, page)
	v.Set("user", "marie")
	v.Set("password", "pw")
	action, v = form(t, read(t)(c.PostForm(action, v)))
	res, err = c.PostForm(action, v)
	body := readBody(t, res, err)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "BE/NL/1234567890") {
		t.Errorf("%d %s", res.StatusCode, body)
	}
}

// TestPysaml2ChecksOurSignatures: pysaml2 refuses our AuthnRequest when its
// XML signature (HTTP-POST) or its query signature (HTTP-Redirect) does
// not verify, so the logins above show that it verified them.
func TestPysaml2ChecksOurSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Python identity provider")
	}
	p := startPysaml2(t, nil)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	action, v := form(t, read(t)(c.Get(p.srv.URL+"/login?eid=BE")))
	raw, err := base64.StdEncoding.DecodeString(v.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	// The request signed, then its ForceAuthn changed.
	v.Set("SAMLRequest", base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte(`ForceAuthn="true"`), []byte(`ForceAuthn="false"`), 1)))
	res, err := c.PostForm(action, v)
	if body := readBody(t, res, err); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "IncorrectlySigned") {
		t.Errorf("an altered POST request: HTTP %d %.300s", res.StatusCode, body)
	}

	// HTTP-Redirect: the query's signature altered.
	p.a.cfg.Nodes["BE"] = Node{EntityID: p.idp.EntityID, MetadataURL: p.idp.EntityID, Anchor: p.idp.Cert, Binding: Redirect}
	p.a.meta = map[string]*nodeMetadata{}
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noFollow.Get(p.srv.URL + "/login?eid=BE")
	readBody(t, res, err)
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.Contains(u.RawQuery, "&Signature=") {
		t.Fatalf("no signed redirect: %v %s", err, res.Header.Get("Location"))
	}
	q := u.Query()
	sig, _ := base64.StdEncoding.DecodeString(q.Get("Signature"))
	sig[len(sig)-1] ^= 1
	q.Set("Signature", base64.StdEncoding.EncodeToString(sig))
	u.RawQuery = q.Encode()
	res, err = c.Get(u.String())
	if body := readBody(t, res, err); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "signature does not verify") {
		t.Errorf("an altered query signature: HTTP %d %.300s", res.StatusCode, body)
	}
}
