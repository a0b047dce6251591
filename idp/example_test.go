package idp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
)

// A portal of France logs a user in with the demo German eID: the portal's
// login route calls Begin, the browser logs in at the provider, and the
// callback route calls Finish.
func ExampleClient() {
	quiet := slog.New(slog.DiscardHandler)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	var provider, portal http.Handler
	idpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { provider.ServeHTTP(w, r) }))
	defer idpSrv.Close()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { portal.ServeHTTP(w, r) }))
	defer app.Close()

	provider, err = idp.New(idp.Config{
		Country: "DE", Issuer: idpSrv.URL, Key: key, Users: demo.Users("DE"), Logger: quiet,
		Clients: map[string]idp.Registration{
			"portal-fr": {Name: "Portail", RedirectURIs: []string{app.URL + "/callback"}, Country: "FR"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	client, err := idp.NewClient(idp.ClientConfig{
		ClientID:  "portal-fr",
		Providers: map[string]idp.Trusted{"DE": {Issuer: idpSrv.URL}}, // key from the JWKS
		Logger:    quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		client.Begin(w, r, "journey-1", "/callback")
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		s, state, err := client.Finish(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s %s (%s), for %s, LoA %s, state %s",
			s.Person.GivenName, s.Person.FamilyName, s.Person.Identifier, s.Company.LegalName, s.LoA.Code(), state)
	})
	portal = mux

	// The browser: start, read the login page, log in as Jürgen Weiß acting
	// for his company.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/login")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"account": {"5c29d8e310|DE348213907"}, "loa": {"High"}, "pin": {"3456"}}
	for _, m := range regexp.MustCompile(`type="hidden" name="(\w+)" value="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	resp, err = browser.Post(idpSrv.URL+idp.PathAuthorize, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		log.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(answer))
	// Output:
	// Jürgen Weiß (DE/FR/5c29d8e310), for Weiß Maschinenbau GmbH, LoA High, state journey-1
}
