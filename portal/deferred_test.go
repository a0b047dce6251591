package portal

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
)

// deferTo: the provider answered that the evidence of requirement i will
// be available at at.
func (s *serviceDouble) deferTo(jid string, i int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.requirement(jid, i)
	r.Step = requester.StepDeferred
	r.Exchange.AvailableAt = &at
	r.Exchange.Deferrals++
}

// TestDeferredEvidence: a deferred evidence shows when it will be
// available, in the user's language; the page refreshes itself when the
// time is near and asks the user to come back when it is not; the journey
// goes on with the evidence when it arrives.
func TestDeferredEvidence(t *testing.T) {
	e := newEnv(t, "FR", nil)
	e.auth.as(person("1234", "Max", "Mustermann"))
	b := e.browser()
	jid := journeyID(t, b.start("T2", "DE"))
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma},
		"evidenceType": {"https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/abitur"}})
	b.post("/journeys/"+jid+"/choose", url.Values{"requirement": {reqDiploma}, "provider": {"DE-EP-T2"}})
	p := b.post("/journeys/"+jid+"/request", url.Values{"requirement": {reqDiploma}, "explicit": {"yes"}})
	wantStatus(t, p, http.StatusOK)

	now := time.Now() // the portal's clock
	later, soon := now.Add(2*24*time.Hour), now.Add(5*time.Minute)
	e.svc.deferTo(jid, 0, later)
	p = b.get("/journeys/" + jid)
	wantStatus(t, p, http.StatusOK)
	mustContain(t, p, "The evidence will be available later", "Available at "+later.UTC().Format(timeLayout)+". Kultusministerium Berlin has this evidence",
		"Your procedure is kept")
	mustContain(t, p, `data-poll=""`)
	p = b.get("/journeys/" + jid + "?lang=fr")
	mustContain(t, p, "Le justificatif sera disponible plus tard", "Disponible à partir du "+later.UTC().Format(timeLayout)+".")

	e.svc.deferTo(jid, 0, soon)
	p = b.get("/journeys/" + jid)
	mustContain(t, p, "Disponible à partir du "+soon.UTC().Format(timeLayout)+".", `data-poll="/journeys/`+jid+`/status"`)

	e.svc.deliver(jid, 0, "Abitur", []byte("%PDF-1.4"))
	p = b.get("/journeys/" + jid + "?lang=en")
	mustContain(t, p, "Abitur", "Evidence received")
	mustNotContain(t, p, "Available at")
}

// TestDeferredFailureReason: a requirement failed by the bounds on deferred
// evidence says so in words.
func TestDeferredFailureReason(t *testing.T) {
	for _, c := range []string{requester.CodeDeferredTooLong, requester.CodeDeferredTooOften, requester.CodeBadDeferral} {
		if got := outcome(&requester.Exchange{Error: &requester.Failure{Code: edm.ErrorCode(c)}}); got != outcomeDeferred {
			t.Errorf("outcome(%s) = %s", c, got)
		}
	}
	for _, l := range catalogueLanguages {
		if s := translate(l, "failDeferred"); s == "" || s[0] == '?' {
			t.Errorf("%s: %q", l, s)
		}
	}
}
