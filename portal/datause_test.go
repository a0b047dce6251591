package portal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDataUse: the data-use page lists the exchanges of the logged-in
// user's journeys (who asked whom, what was sent about the user, what was
// received, when, on what basis), exports them as JSON and as an HTML
// file, shows nothing of another user's, and asks for a login first.
func TestDataUse(t *testing.T) {
	e := newEnv(t, "FR", nil)
	anon := e.browser()
	anon.get("/")
	if p := anon.get("/my-data"); p.status != http.StatusUnauthorized {
		t.Errorf("without login: %d", p.status)
	}
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	jid := journeyID(t, b.start("R1", "FI"))
	p := b.get("/my-data")
	wantStatus(t, p, http.StatusOK)
	checkPage(t, "my-data", p.body)
	mustContain(t, p, "No evidence has been exchanged about you.")

	b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.preview(jid, 0, "https://preview.fi.example/p/1")
	e.svc.deliver(jid, 0, "Certificate of birth", []byte("%PDF-1.7"))
	p = b.get("/my-data")
	checkPage(t, "my-data", p.body)
	mustContain(t, p, "How your data was used", "Requesting proof of registration of birth", "Proof of birth", "Registry office FI (FI-EP-1)",
		"name: Max Mustermann", "eIDAS identifier: DE/FR/1234", "Certificate of birth (application/pdf)", "your explicit request and your approval at the preview",
		`href="/my-data?format=json"`)
	home := b.get("/")
	mustContain(t, home, `href="/my-data"`)

	j := b.get("/my-data?format=json")
	var export struct{ Exchanges []DataUse }
	if err := json.Unmarshal([]byte(j.body), &export); err != nil || len(export.Exchanges) != 1 {
		t.Fatalf("export %v %s", err, j.body)
	}
	if x := export.Exchanges[0]; x.Journey != jid || x.Basis != "preview" || x.Provider != "Registry office FI (FI-EP-1)" || x.Requested.IsZero() ||
		len(x.Received) != 1 || x.Outcome != "done" {
		t.Errorf("exchange %+v", x)
	}
	h := b.get("/my-data?format=html")
	if cd := h.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(h.body, "Certificate of birth") {
		t.Errorf("HTML export: %q", cd)
	}

	// A background request answered without preview relied on a consent.
	jid2 := journeyID(t, b.start("R1", "SE"))
	b.post("/journeys/"+jid2+"/request", url.Values{"requirement": {reqBirth}, "explicit": {"yes"}})
	e.svc.mu.Lock()
	_, r := e.svc.requirement(jid2, 0)
	r.Exchange.Background = true
	e.svc.mu.Unlock()
	e.svc.deliver(jid2, 0, "Födelsebevis", []byte("%PDF-1.7"))
	p = b.get("/my-data")
	mustContain(t, p, "Födelsebevis (application/pdf)", "your explicit request and your consent at the evidence provider (no preview)")

	// Another user sees none of it.
	e.auth.as(person("9999", "Erika", "Musterfrau"))
	o := e.browser()
	o.start("S1", "FI")
	p = o.get("/my-data")
	mustNotContain(t, p, "Max Mustermann", "Certificate of birth")
}
