package eid_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
)

// TestBrowserBinding: a login is bound to the cookie of the browser that
// began it; another browser, a forged cookie of the wrong shape or no
// cookie does not match, and a browser that has one keeps it.
func TestBrowserBinding(t *testing.T) {
	b := eid.BrowserBinding{Cookie: "bind", TTL: time.Minute, Secure: true, Rand: rand.Reader}
	rec := httptest.NewRecorder()
	h, err := b.Bind(rec, httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].MaxAge != 60 {
		t.Fatalf("cookie %+v", cookies)
	}
	with := func(v string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		if v != "" {
			r.AddCookie(&http.Cookie{Name: "bind", Value: v})
		}
		return r
	}
	if !b.Same(with(cookies[0].Value), h) {
		t.Error("the browser that began the login is not recognised")
	}
	other, _ := eid.RandomToken(rand.Reader)
	for name, v := range map[string]string{"another browser": other, "no cookie": "", "wrong shape": "x", "long": strings.Repeat("A", 200)} {
		if b.Same(with(v), h) {
			t.Errorf("%s matches", name)
		}
	}
	// A browser with a binding keeps it for its next login.
	rec = httptest.NewRecorder()
	h2, err := b.Bind(rec, with(cookies[0].Value))
	if err != nil || h2 != h || rec.Result().Cookies()[0].Value != cookies[0].Value {
		t.Errorf("a second login changed the binding: %v", err)
	}
	// A failing random source is an error, not a predictable cookie.
	b.Rand = bytes.NewReader(nil)
	if _, err := b.Bind(httptest.NewRecorder(), with("")); err == nil || !strings.Contains(err.Error(), "random") {
		t.Errorf("Bind with a failing random source: %v", err)
	}
}

// TestChooseCountry: the page links every country to the same URL with the
// country parameter, in order.
func TestChooseCountry(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := eid.ChooseCountry(rec, httptest.NewRequest("GET", "/login?next=%2Fx", nil), "eid", []string{"SE", "DE"}); err != nil {
		t.Fatal(err)
	}
	body := rec.Body.String()
	de, se := strings.Index(body, `/login?eid=DE&amp;next=%2Fx`), strings.Index(body, `/login?eid=SE&amp;next=%2Fx`)
	if de < 0 || se < 0 || de > se {
		t.Errorf("links missing or out of order:\n%s", body)
	}
}

// TestCountry: the request names the country, or the only one configured
// is taken; an unknown or missing one with several configured is not.
func TestCountry(t *testing.T) {
	two := map[string]int{"DE": 1, "SE": 2}
	for _, c := range []struct {
		url  string
		m    map[string]int
		cc   string
		v    int
		want bool
	}{
		{"/login?eid=se", two, "SE", 2, true},
		{"/login", two, "", 0, false},
		{"/login?eid=FR", two, "FR", 0, false},
		{"/login", map[string]int{"FI": 7}, "FI", 7, true},
	} {
		cc, v, ok := eid.Country(httptest.NewRequest("GET", c.url, nil), "eid", c.m)
		if cc != c.cc || v != c.v || ok != c.want {
			t.Errorf("%s: %q %d %v", c.url, cc, v, ok)
		}
	}
}
