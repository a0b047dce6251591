package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/ui"
)

func TestConfigValidate(t *testing.T) {
	k := newKey(t)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := func() Config {
		return Config{Country: "DE", Issuer: "https://idp.de.example", Key: k, Users: demoUsers(t, "DE"),
			Clients: map[string]Registration{"p": {RedirectURIs: []string{"https://portal.example/cb"}, Country: "FR"}}}
	}
	if c := valid(); c.Validate() != nil {
		t.Fatalf("valid config: %v", c.Validate())
	}
	tests := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"lower-case country", func(c *Config) { c.Country = "de" }, "Country"},
		{"users not set", func(c *Config) { c.Users = nil }, "Users is empty"},
		{"issuer with slash", func(c *Config) { c.Issuer += "/" }, "Issuer"},
		{"relative issuer", func(c *Config) { c.Issuer = "/idp" }, "Issuer"},
		{"no key", func(c *Config) { c.Key = nil }, "Key is missing"},
		{"P-384 key", func(c *Config) { c.Key = p384 }, "P-256"},
		{"no clients", func(c *Config) { c.Clients = nil }, "Clients is empty"},
		{"client without country", func(c *Config) { c.Clients["p"] = Registration{RedirectURIs: []string{"https://x/cb"}} }, `Clients["p"].Country`},
		{"client without redirect", func(c *Config) { c.Clients["p"] = Registration{Country: "FR"} }, "RedirectURIs is empty"},
		{"relative redirect", func(c *Config) { c.Clients["p"] = Registration{Country: "FR", RedirectURIs: []string{"/cb"}} }, "RedirectURIs"},
		{"no users", func(c *Config) { c.Users = []User{} }, "Users is empty"},
		{"user of another country", func(c *Config) { c.Users = demoUsers(t, "FR") }, `of country "FR"`},
		{"user twice", func(c *Config) { u := demoUsers(t, "DE"); c.Users = append(u, u[0]) }, "used twice"},
		{"user without PIN", func(c *Config) { c.Users = demoUsers(t, "DE"); c.Users[1].PIN = "" }, "no PIN"},
		{"user without level", func(c *Config) { c.Users = demoUsers(t, "DE"); c.Users[1].LoA = "" }, "level of assurance"},
		{"user without name", func(c *Config) { c.Users = demoUsers(t, "DE"); c.Users[1].Person.GivenName = "" }, "mandatory attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if _, err := New(c); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

func TestClientConfigValidate(t *testing.T) {
	tr := map[string]Trusted{"DE": {Issuer: "https://idp.de.example"}}
	tests := []struct {
		name string
		cfg  ClientConfig
		want string
	}{
		{"valid", ClientConfig{ClientID: "p", Providers: tr}, ""},
		{"no client id", ClientConfig{Providers: tr}, "ClientID"},
		{"no providers", ClientConfig{ClientID: "p"}, "Providers is empty"},
		{"bad country", ClientConfig{ClientID: "p", Providers: map[string]Trusted{"Germany": {Issuer: "https://x"}}}, "ISO 3166-1"},
		{"bad issuer", ClientConfig{ClientID: "p", Providers: map[string]Trusted{"DE": {Issuer: "idp"}}}, "Issuer"},
		{"base URL with path", ClientConfig{ClientID: "p", Providers: tr, BaseURL: "https://portal.example/app"}, "has a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// A redirect_uri is accepted only when it equals a registered one exactly:
// no path below it, no query added, no prefix.
func TestRedirectAllowed(t *testing.T) {
	tests := []struct {
		uri        string
		registered []string
		want       bool
	}{
		{"https://p.example/cb", []string{"https://p.example/cb"}, true},
		{"https://p.example/cb", []string{"https://q.example/cb", "https://p.example/cb"}, true},
		{"https://p.example/cb?x=1", []string{"https://p.example/cb"}, false},
		{"https://p.example/cb/more", []string{"https://p.example/cb"}, false},
		{"https://p.example/cbx", []string{"https://p.example/cb"}, false},
		{"https://p.example/cb.evil.example", []string{"https://p.example/cb"}, false},
		{"https://p.example.evil/cb", []string{"https://p.example"}, false},
		{"https://p.example/anything", []string{"https://p.example/"}, false},
		{"https://p.example/CB", []string{"https://p.example/cb"}, false},
		{"https://p.example/cb#f", []string{"https://p.example/cb#f"}, false},
		{"javascript:alert(1)", []string{"javascript:alert(1)"}, false},
		{"", []string{""}, false},
	}
	for _, tt := range tests {
		if got := redirectAllowed(tt.uri, tt.registered); got != tt.want {
			t.Errorf("redirectAllowed(%q, %q) = %v, want %v", tt.uri, tt.registered, got, tt.want)
		}
	}
}

func TestPickLanguage(t *testing.T) {
	offered := []string{"en", "fi", "sv"}
	tests := []struct {
		lang, accept, want string
	}{
		{"", "", "en"},
		{"sv", "fi", "sv"},
		{"SV", "", "sv"},
		{"de", "fi", "fi"},
		{"", "de-DE, sv;q=0.4, fi;q=0.8", "fi"},
		{"", "sv-FI", "sv"},
		{"", "fi;q=0, sv;q=0.1", "sv"},
		{"", "fi;q=abc", "en"},
		{"", "*", "en"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := pickLanguage(r, tt.lang, offered); got != tt.want {
			t.Errorf("pickLanguage(lang %q, Accept-Language %q) = %q, want %q", tt.lang, tt.accept, got, tt.want)
		}
	}
}

// FuzzPickLanguage: any Accept-Language header gives an offered language.
func FuzzPickLanguage(f *testing.F) {
	f.Add("", "de-DE,de;q=0.9,en;q=0.5")
	f.Add("fi", "sv;q=x")
	f.Fuzz(func(t *testing.T, lang, accept string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Accept-Language"] = []string{accept}
		got := pickLanguage(r, lang, allLanguages)
		if !ui.Supported(got) {
			t.Fatalf("pickLanguage = %q", got)
		}
	})
}

// FuzzRedirectAllowed: an accepted redirect URI is absolute http(s) and
// one of the registered ones.
func FuzzRedirectAllowed(f *testing.F) {
	registered := []string{"https://p.example/cb", "http://127.0.0.1:8080/"}
	f.Add("https://p.example/cb?x=1")
	f.Add("https://p.example/cb.evil")
	f.Add("http://127.0.0.1:8080/../x")
	f.Fuzz(func(t *testing.T, uri string) {
		if !redirectAllowed(uri, registered) {
			return
		}
		if uri != registered[0] && uri != registered[1] {
			t.Fatalf("accepted %q", uri)
		}
		if checkRedirectURI(uri) != nil {
			t.Fatalf("accepted the invalid %q", uri)
		}
	})
}
