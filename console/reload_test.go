package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
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
	// A role that may not upload is refused before its body is read.
	jar, csrf = loginHTTP(t, base, "aude"), ""
	if code, page := post(3 << 20); code != http.StatusForbidden || !strings.Contains(page, "may not do this") {
		t.Errorf("an auditor's 3 MiB upload: HTTP %d %s", code, page)
	}
	jar = loginHTTP(t, base, "adam")
	csrf = csrfOf(t, jar, base)
	if code, page := post(1 << 20); code != http.StatusNotImplemented || !strings.Contains(page, "kill -HUP") {
		t.Errorf("a 1 MiB upload without a Configurer: HTTP %d %s", code, page)
	}
	if code := getStatus(t, jar, base+"/console/pmode"); code != http.StatusNotImplemented {
		t.Errorf("the P-Mode file without a Configurer: HTTP %d", code)
	}
	if page := readPage(t, jar, base+"/console/partners"); strings.Contains(page, `action="/console/pmode"`) || strings.Contains(page, `href="/console/pmode"`) || !strings.Contains(page, "kill -HUP") {
		t.Errorf("the partners page without a Configurer:\n%s", page)
	}
}

// reloading is a node whose P-Mode a reload replaces between any two reads
// of it: the full P-Mode, then one without legs, and so on.
type reloading struct {
	*ap.Node
	full, cut *pmode.Config
	reads     atomic.Int64
}

func (n *reloading) Partners() ap.Partners {
	p := n.Node.Partners()
	if n.reads.Add(1)%2 == 1 {
		p.PMode = n.full
	} else {
		p.PMode = n.cut
	}
	return p
}

// TestMessagePageDuringReload: a message's page reads the P-Mode in use
// once: a reload while it is made (here, between any two reads) gives it
// one P-Mode or the other, never an index of one into the legs of the
// other.
func TestMessagePageDuringReload(t *testing.T) {
	net := network(t, nil)
	fr := net["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("during-reload"))
	if err != nil {
		t.Fatal(err)
	}
	cut := *fr.cfg.PMode
	cut.Legs = nil
	node := &reloading{Node: fr.Node, full: fr.cfg.PMode, cut: &cut}
	srv, err := console.New(context.Background(), console.Config{DB: fr.db, Node: node, PMode: fr.cfg.PMode,
		Certificates: func() []console.Certificate { return nil },
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Accounts().Add(context.Background(), "olga", console.Operator, password("olga")); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	jar := loginHTTP(t, hs.URL, "olga")
	node.reads.Store(0)
	if code := getStatus(t, jar, hs.URL+"/console/messages/out/"+st.MessageID); code != http.StatusOK {
		t.Errorf("a message's page during a reload: HTTP %d", code)
	}
}
