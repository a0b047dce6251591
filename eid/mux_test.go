package eid_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oots-go/oots/eid"
)

// recorder is an authenticator that records its calls and owns the
// callbacks whose state it gave.
type recorder struct {
	name   string
	begun  []string
	issued map[string]bool
}

func (a *recorder) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	a.begun = append(a.begun, state)
	a.issued[a.name+"-"+state] = true
}

func (a *recorder) Finish(r *http.Request) (*eid.Subject, string, error) {
	return &eid.Subject{Issuer: a.name}, r.URL.Query().Get("state"), nil
}

func (a *recorder) Owns(r *http.Request) bool { return a.issued[r.URL.Query().Get("state")] }

func TestMux(t *testing.T) {
	fr := &recorder{name: "fr", issued: map[string]bool{}}
	def := &recorder{name: "default", issued: map[string]bool{}}
	m := &eid.Mux{ByCountry: map[string]eid.OwningAuthenticator{"FR": fr}, Default: def}

	m.Begin(httptest.NewRecorder(), httptest.NewRequest("GET", "/login?eid=fr", nil), "s1", "/cb")
	m.Begin(httptest.NewRecorder(), httptest.NewRequest("GET", "/login?eid=DE", nil), "s2", "/cb")
	m.Begin(httptest.NewRecorder(), httptest.NewRequest("GET", "/login", nil), "s3", "/cb")
	if len(fr.begun) != 1 || fr.begun[0] != "s1" || len(def.begun) != 2 {
		t.Fatalf("FR began %v, the default %v", fr.begun, def.begun)
	}
	for state, want := range map[string]string{"fr-s1": "fr", "default-s2": "default", "fr-unknown": "default"} {
		s, _, _ := m.Finish(httptest.NewRequest("GET", "/cb?state="+state, nil))
		if s.Issuer != want {
			t.Errorf("callback of %s finished by %s, want %s", state, s.Issuer, want)
		}
	}
}
