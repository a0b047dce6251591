package eid

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestCallbackURL(t *testing.T) {
	r := httptest.NewRequest("GET", "https://portal.example.de/login", nil)
	r.TLS = &tls.ConnectionState{}
	for _, tc := range []struct{ base, callback, want, err string }{
		{"", "/login/callback", "https://portal.example.de/login/callback", ""},
		{"https://public.example.de/app/", "/login/callback?b=2&a=1#x", "https://public.example.de/login/callback?a=1&b=2", ""},
		{"", "/cb?state=1", "", "state"},
		{"", "/cb?iss=https://x", "", "iss"},
	} {
		got, err := CallbackURL(r, tc.base, tc.callback)
		if tc.err != "" {
			if err == nil {
				t.Errorf("%q: no error, want one naming %q", tc.callback, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CallbackURL(%q, %q) = %q, %v; want %q", tc.base, tc.callback, got, err, tc.want)
		}
	}
	plain := httptest.NewRequest("GET", "http://127.0.0.1:8400/x", nil)
	if o := Origin(plain, ""); o.String() != "http://127.0.0.1:8400" {
		t.Errorf("Origin of a plain request = %s", o)
	}
}
