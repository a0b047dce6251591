package console_test

import (
	"strings"
	"testing"

	"github.com/oots-go/oots/as4/pmode"
)

// TestPartnersAfterReload: the console shows the P-Mode the node uses now:
// a partner a reload of the node adds (ap.Node.Reload) is on the partners
// page and in the messages' partner filter without a restart.
func TestPartnersAfterReload(t *testing.T) {
	net := network(t, nil)
	fr := net["AP_FR_01"]
	_, base := consoleFor(t, fr)
	jar := loginHTTP(t, base, "olga")
	if page := readPage(t, jar, base+"/console/partners"); strings.Contains(page, "AP_IT_01") {
		t.Fatal("AP_IT_01 before the reload")
	}
	p := fr.Partners()
	pm := *p.PMode
	pm.Parties = append(append([]pmode.Party(nil), pm.Parties...),
		pmode.Party{Name: "AP_IT_01", IDs: []pmode.PartyID{{Type: pm.Parties[0].IDs[0].Type, Value: "AP_IT_01"}}, Endpoint: "http://127.0.0.1:1/as4"})
	p.PMode = &pm
	if err := fr.Reload(p); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/console/partners", "/console/messages"} {
		if page := readPage(t, jar, base+u); !strings.Contains(page, "AP_IT_01") {
			t.Errorf("%s after the reload lacks AP_IT_01:\n%s", u, page)
		}
	}
}
