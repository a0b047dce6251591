package provider_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
)

var currentStepRE = regexp.MustCompile(`<li aria-current="step">([^<]*)</li>`)

// TestStepIndicator: the preview space shows where the citizen is in the
// journey, in the page's language: the preview before the login and with
// the evidence, receiving it once approved; the pages about no request
// (an unknown link, the consents) show no indicator.
func TestStepIndicator(t *testing.T) {
	e := newEnv(t, "", nil)
	u := user(t, anna)
	current := func(where, body, want string) {
		t.Helper()
		m := currentStepRE.FindAllStringSubmatch(body, -1)
		if len(m) != 1 || m[0][1] != want {
			t.Errorf("%s: current step %q, want %q", where, m, want)
		}
	}
	link := e.first(e.request(edm.V2_0, berlin, u), "conv-steps", newUUID())
	token := tokenOf(t, link)
	b := e.browser()
	p := b.get(link + "?lang=fi")
	current("start", p.body, "Esikatsele")
	if !strings.Contains(p.body, `<nav class="steps" aria-label="Asiointisi vaiheet">`) || strings.Count(p.body, `<span class="vh">valmis: </span>`) != 3 {
		t.Errorf("start: the steps before the preview are not said done\n%s", p.body)
	}
	e.idp.as(subject(u, eid.LoAHigh))
	p = b.get("/preview/" + token + "/login")
	current("evidence", p.body, "Esikatsele")
	p = b.post("/preview/"+token+"/decide", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "decision": {"approve"}})
	current("approved", p.body, "Vastaanota")
	for _, path := range []string{"/preview/short", "/consents"} {
		if p := b.get(path); strings.Contains(p.body, `class="steps"`) {
			t.Errorf("%s shows the step indicator", path)
		}
	}
}
