package provider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/store"
)

// checkPDF checks the structure of a PDF document (see pdf.Check).
func checkPDF(t *testing.T, b []byte) {
	t.Helper()
	if err := pdf.Check(b); err != nil {
		t.Fatal(err)
	}
}

// TestDemoDocuments: the demo evidence is real: PDFs with a valid xref
// table, XML that parses.
func TestDemoDocuments(t *testing.T) {
	for _, cc := range demo.Countries() {
		recs, err := demo.Records(context.Background(), cc)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs.People) != len(demo.Users(cc)) || len(recs.Companies) == 0 {
			t.Errorf("%s: %d people, %d companies", cc, len(recs.People), len(recs.Companies))
		}
		for _, p := range recs.People {
			if len(p.Evidence) != 3 {
				t.Errorf("%s %s: %d evidence types", cc, p.Key, len(p.Evidence))
			}
			for _, docs := range p.Evidence {
				for _, d := range docs {
					switch d.Format {
					case "application/pdf":
						checkPDF(t, d.Content)
					case "application/xml":
						if _, _, err := edm.ParseBytes(d.Content); !errors.Is(err, edm.ErrNotOOTS) {
							t.Errorf("birth certificate XML: %v", err)
						}
					}
				}
			}
		}
		auths, err := demo.Authorities(context.Background(), cc, recs)
		if err != nil {
			t.Fatal(err)
		}
		if len(auths) < 4 {
			t.Errorf("%s: %d providers", cc, len(auths))
		}
	}
	if _, err := demo.Records(context.Background(), "XX"); err == nil {
		t.Error("no error for an unknown country")
	}
}

// TestRecords: the matching rules of the in-memory register.
func TestRecords(t *testing.T) {
	ctx := context.Background()
	recs, err := demo.Records(ctx, "FR")
	if err != nil {
		t.Fatal(err)
	}
	auths, _ := demo.Authorities(ctx, "FR", recs)
	var birth string
	for _, a := range auths {
		if a.Agent.Identifier.Value == "FR-EP-R1" {
			birth = a.EvidenceTypes[0].Classification
		}
	}
	var elodie, camille idp.User
	for _, u := range demo.Users("FR") {
		switch u.Person.GivenName {
		case "Élodie":
			elodie = u
		case "Camille":
			camille = u
		}
	}
	find := func(p eid.NaturalPerson, formats ...provider.Format) *provider.Result {
		t.Helper()
		r, err := recs.Find(ctx, provider.Query{EvidenceType: birth, Subject: provider.Subject{Person: &p}, Formats: formats})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	el := elodie.Identified("DE")
	tests := []struct {
		name    string
		person  func() eid.NaturalPerson
		matches int
	}{
		{"identifier for another relying party", func() eid.NaturalPerson { return el }, 1},
		{"identifier decides over names", func() eid.NaturalPerson { p := el; p.FamilyName = "Other"; return p }, 1},
		{"same country, other identifier", func() eid.NaturalPerson { p := el; p.Identifier = "FR/DE/0000"; return p }, 0},
		{"foreign eID: names and birth date, any case and accents", func() eid.NaturalPerson {
			return eid.NaturalPerson{Identifier: "SE/FR/1", FamilyName: "LEFEVRE", GivenName: "elodie", DateOfBirth: el.DateOfBirth}
		}, 1},
		{"no identifier, other birth date", func() eid.NaturalPerson {
			return eid.NaturalPerson{FamilyName: el.FamilyName, GivenName: el.GivenName, DateOfBirth: "1990-05-10"}
		}, 0},
		{"namesakes", func() eid.NaturalPerson { p := camille.Person; return p }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(find(tt.person()).Matches); got != tt.matches {
				t.Errorf("%d matches, want %d", got, tt.matches)
			}
		})
	}
	if r := find(el, provider.Format{Format: "application/xml"}); len(r.Matches) != 1 || len(r.Matches[0].Documents) != 1 || r.Matches[0].Documents[0].Format != "application/xml" {
		t.Errorf("format filter: %+v", r)
	}
	if r := find(el, provider.Format{Format: "image/png"}); len(r.Matches) != 0 {
		t.Error("a format not held matched")
	}
	// Companies: eIDAS identifier or VAT number.
	c := recs.Companies[0].Company
	for _, q := range []eid.LegalPerson{{Identifier: "FR/SE/" + strings.SplitN(c.Identifier, "/", 3)[2]}, {VATRegistration: strings.ToLower(c.VATRegistration)}} {
		if !provider.SameCompany(&q, &c) {
			t.Errorf("%+v is not %+v", q, c)
		}
	}
	if provider.SameCompany(&eid.LegalPerson{Identifier: "DE/FR/x"}, &c) {
		t.Error("another company matched")
	}
}

func TestSamePersonAndFold(t *testing.T) {
	a := &eid.NaturalPerson{Identifier: "DE/FR/123"}
	for _, tt := range []struct {
		b    string
		want bool
	}{{"DE/DE/123", true}, {"DE/FR/124", false}, {"AT/FR/123", false}, {"", false}, {"DE/123", false}} {
		if got := provider.SamePerson(a, &eid.NaturalPerson{Identifier: tt.b}); got != tt.want {
			t.Errorf("SamePerson(DE/FR/123, %q) = %v", tt.b, got)
		}
	}
	for in, want := range map[string]string{"Müller": "muller", "  Jean-François ": "jean francois", "WEIß": "weiss", "Öztürk": "ozturk", "Łukasz": "lukasz"} {
		if got := provider.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTTPDataService: the JSON adapter, over real HTTP.
func TestHTTPDataService(t *testing.T) {
	recs, err := demo.Records(context.Background(), "SE")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", 400)
			return
		}
		var q provider.Query
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if q.Subject.Person != nil && q.Subject.Person.FamilyName == "Broken" {
			http.Error(w, "register down", http.StatusServiceUnavailable)
			return
		}
		res, _ := recs.Find(r.Context(), q)
		json.NewEncoder(w).Encode(res)
	}))
	defer srv.Close()
	ds := &provider.HTTPDataService{URL: srv.URL}
	u := demo.Users("SE")[0]
	p := u.Identified("FI")
	var ev string
	for k := range recs.People[0].Evidence {
		ev = k
	}
	res, err := ds.Find(context.Background(), provider.Query{EvidenceType: ev, Subject: provider.Subject{Person: &p}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 1 || len(res.Matches[0].Documents) == 0 || !bytes.HasPrefix(res.Matches[0].Documents[0].Content, []byte("%PDF")) {
		t.Errorf("result over HTTP: %+v", res)
	}
	broken := eid.NaturalPerson{FamilyName: "Broken"}
	if _, err := ds.Find(context.Background(), provider.Query{Subject: provider.Subject{Person: &broken}}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("error status: %v", err)
	}
	small := &provider.HTTPDataService{URL: srv.URL, MaxResponseBytes: 100}
	if _, err := small.Find(context.Background(), provider.Query{EvidenceType: ev, Subject: provider.Subject{Person: &p}}); err == nil {
		t.Error("an answer above the limit was accepted")
	}
}

func TestParseResult(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"matches":[{"subject":"a","documents":[]}]}`, ""},
		{`{"matches":[{"documents":[]}]}`, "no subject key"},
		{`{"matches":[],"extra":1}`, "unknown field"},
		{`{"matches":[]} {}`, "after the JSON"},
		{`[`, "unexpected EOF"},
	} {
		_, err := provider.ParseResult([]byte(tt.in))
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParsePreviewLocation(t *testing.T) {
	const base = "https://preview.example.de/oots"
	const tok = "AAAAAAAAAAAAAAAAAAAAAA"
	for _, tt := range []struct {
		loc string
		ok  bool
	}{
		{base + "/preview/" + tok, true},
		{base + "/preview/" + tok + "?returnurl=https%3A%2F%2Fx", true},
		{"https://PREVIEW.example.de/oots/preview/" + tok, true},
		{"http://preview.example.de/oots/preview/" + tok, false},
		{"https://other.example/oots/preview/" + tok, false},
		{base + "/preview/" + tok + "/file/1", false},
		{base + "/preview/short", false},
		{base + "/preview/" + tok + "#x", false},
		{"https://user@preview.example.de/oots/preview/" + tok, false},
		{"%zz", false},
	} {
		got, err := provider.ParsePreviewLocation(base, tt.loc)
		if (err == nil) != tt.ok || tt.ok && got != tok {
			t.Errorf("%s: %q %v", tt.loc, got, err)
		}
		if err != nil && !errors.Is(err, provider.ErrBadPreviewLocation) {
			t.Errorf("%s: %v is not ErrBadPreviewLocation", tt.loc, err)
		}
	}
}

func TestConfig(t *testing.T) {
	db, err := store.Open(context.Background(), t.TempDir()+"/c.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, _ := demo.Records(context.Background(), "DE")
	auths, _ := demo.Authorities(context.Background(), "DE", recs)
	good := func() provider.Config {
		return provider.Config{DB: db, Sender: &sender{}, Providers: auths, PreviewBase: "https://preview.example.de", Authenticator: &fakeIdP{}}
	}
	for _, tt := range []struct {
		mod  func(*provider.Config)
		want string
	}{
		{func(c *provider.Config) { c.DB = nil }, "Config.DB"},
		{func(c *provider.Config) { c.Sender = nil }, "Config.Sender"},
		{func(c *provider.Config) { c.Authenticator = nil }, "Config.Authenticator"},
		{func(c *provider.Config) { c.Providers = nil }, "Config.Providers"},
		{func(c *provider.Config) { c.PreviewBase = "http://preview.example.de" }, "Config.PreviewBase"},
		{func(c *provider.Config) { c.PreviewBase = "preview.example.de" }, "Config.PreviewBase"},
		{func(c *provider.Config) { c.ReturnAllow = []string{"https://portal.example.fr"} }, "Config.ReturnAllow[0]"},
		{func(c *provider.Config) { c.Providers = append(c.Providers, c.Providers[0]) }, "appears twice"},
		{func(c *provider.Config) {
			c.Providers = append([]provider.Authority(nil), c.Providers...)
			c.Providers[0].DataService = nil
		}, "DataService"},
		{func(c *provider.Config) {
			c.Providers = append([]provider.Authority(nil), c.Providers...)
			c.Providers[0].MinLoA = "medium"
		}, "MinLoA"},
		{func(c *provider.Config) { c.Timeouts.T2 = -1 }, "Timeouts"},
	} {
		c := good()
		tt.mod(&c)
		_, err := provider.New(c)
		if !errors.Is(err, provider.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v, want ErrConfig naming %s", err, tt.want)
		}
	}
	c := good()
	c.PreviewBase = "http://127.0.0.1:8080"
	c.AllowInsecure = true
	if _, err := provider.New(c); err != nil {
		t.Errorf("http with AllowInsecure: %v", err)
	}
}

// TestOfficialVerifier: one answer of each kind, checked by the independent
// verifier (Saxon running the official TDD 1.0 rule files).
func TestOfficialVerifier(t *testing.T) {
	if testing.Short() {
		t.Skip("the verifier starts a JVM")
	}
	e := newEnv(t, "", nil)
	u := user(t, anna)
	q := e.request(edm.V1_0, berlin, u)
	link := e.first(q, "c", "")
	b := e.browser()
	b.decide(tokenOf(t, link), b.loginAndSee(e, link, subject(u, eid.LoAHigh)), "approve")
	e.deliver(e.message(second(q, link), "c", ""))
	bad := e.request(edm.V1_0, berlin, u)
	bad.ExplicitRequestGiven = false
	e.deliver(e.message(bad, "c2", ""))
	as := e.answers(0)
	if len(as) != 3 {
		t.Fatalf("%d answers", len(as))
	}
	verify(t,
		official{as[0].Document, map[string]string{"EDM-ERR-C.sch": "its R-EDM-ERR-C022 cannot be evaluated on any preview request (compares a URL with the number 1)"}},
		official{doc: as[1].Document},
		official{doc: as[2].Document})
}
