package console_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
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

// TestConfigureForms: the P-Mode upload takes a form of up to 2 MiB and
// answers a larger one with 413, naming the bound; on a console without a
// Configurer an administrator is told that kill -HUP reloads the node, and
// the page offers no form.
func TestConfigureForms(t *testing.T) {
	net := network(t, nil)
	_, base := consoleFor(t, net["AP_FR_01"])
	jar := loginHTTP(t, base, "adam")
	csrf := csrfOf(t, jar, base)
	post := func(size int) (int, string) {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("pmode", "pmode.yaml")
		fw.Write(bytes.Repeat([]byte("#"), size))
		mw.Close()
		resp, err := noRedirect(jar).Post(base+"/console/pmode", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, page := post(3 << 20); code != http.StatusRequestEntityTooLarge || !strings.Contains(page, "2097152 bytes") {
		t.Errorf("a 3 MiB upload: HTTP %d %s", code, page)
	}
	if code, page := post(1 << 20); code != http.StatusNotImplemented || !strings.Contains(page, "kill -HUP") {
		t.Errorf("a 1 MiB upload without a Configurer: HTTP %d %s", code, page)
	}
	if page := readPage(t, jar, base+"/console/partners"); strings.Contains(page, `action="/console/pmode"`) || !strings.Contains(page, "kill -HUP") {
		t.Errorf("the partners page without a Configurer:\n%s", page)
	}
}
