package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
)

// register is a data service holding one document, a PDF, for one person.
type register struct {
	URL string
	// Calls counts the queries, Others those that matched no one.
	Calls, Others atomic.Int32
}

// startRegister starts a data service that answers a query for who (as
// same decides) with doc, and any other with no match.
func startRegister(t *testing.T, who *eid.NaturalPerson, doc []byte, same func(p, who *eid.NaturalPerson) bool) *register {
	t.Helper()
	reg := &register{}
	ds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.Calls.Add(1)
		var q provider.Query
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res := provider.Result{Matches: []provider.Match{}}
		if p := q.Subject.Person; p != nil && same(p, who) {
			res.Matches = append(res.Matches, provider.Match{Subject: "person-1", Documents: []provider.Document{{
				ID: "birth-1", Title: "Certificate of birth", IssuingDate: "2024-01-02", Language: "FR", Format: "application/pdf", Content: doc,
				Fields: []provider.Field{{Label: "Family name", Value: who.FamilyName}}}}})
		} else {
			reg.Others.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(ds.Close)
	reg.URL = ds.URL
	return reg
}

// nationalNet is two national nodes set up as an operator does (oots init,
// oots partner add) in a new working directory: the German one in de/,
// with the requester connector on the Common Services of "oots cs serve",
// the French one in fr/, with the provider connector, its preview space
// and the audit journal.
type nationalNet struct {
	FRAddr, DEAddr string // the nodes' public listeners
	// PreviewAddr is the preview space's listener, PreviewBase its public
	// URL, PreviewCert its TLS certificate.
	PreviewAddr, PreviewBase string
	PreviewCert              *x509.Certificate
	// Client is DE's requester REST API, with its token.
	Client *requester.Client
}

// twoNodes writes the two nodes' configurations but for the French
// provider section, and a journal key for each (DE's journal section is
// the caller's); the caller may add to them before serve starts the nodes.
func twoNodes(t *testing.T) *nationalNet {
	t.Helper()
	csBase, csCA := startCSFile(t)
	n := &nationalNet{PreviewAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	n.PreviewBase = "https://" + n.PreviewAddr

	t.Chdir(t.TempDir())
	os.Mkdir("fr", 0o700)
	n.PreviewCert = writeTLSCert(t, "fr")
	n.FRAddr, n.DEAddr = fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	run := func(args ...string) {
		t.Helper()
		if code, out, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("oots %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	run("init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", n.FRAddr)
	run("init", "-dir", "de", "-name", "AP_DE_01", "-profile", "as4-2.0", "-listen", n.DEAddr)
	run("partner", "add", "-config", "de/oots.yaml", "-name", "AP_FR_01", "-endpoint", "http://"+n.FRAddr+"/as4", "-cert", "fr/AP_FR_01.partner.pem")
	run("partner", "add", "-config", "fr/oots.yaml", "-name", "AP_DE_01", "-endpoint", "http://"+n.DEAddr+"/as4", "-cert", "de/AP_DE_01.partner.pem")

	key := make([]byte, 32)
	for _, cc := range []string{"fr", "de"} {
		rand.Read(key)
		writeSecret(t, cc+"/journal.key", key)
	}
	token := "requester-token-0123456789"
	writeSecret(t, "de/requester.token", []byte(token+"\n"))
	appendFile(t, "de/oots.yaml", fmt.Sprintf(`requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: DE-ER-TEST, name: Test procedure portal, country: DE}
  commonServices: {eb: %s/, dsd: %s/, trust: [%s]}
  routes: {AP-FR: AP_FR_01}
  tokenFile: requester.token
`, csBase, csBase, csCA))
	n.Client = &requester.Client{BaseURL: "http://" + n.DEAddr, Token: token}
	return n
}

// serve gives the French node its journal and its provider section, with
// the fields login (the login and any other field of the section, each
// line indented by two spaces) and as providers the demo data set's
// French evidence providers, each evidence type served by the data service
// at dataService; then it starts both nodes, whose logs a failed test
// shows.
func (n *nationalNet) serve(t *testing.T, dataService, login string) {
	t.Helper()
	auths, err := demo.Authorities(context.Background(), "FR", nil)
	if err != nil {
		t.Fatal(err)
	}
	var providers strings.Builder
	for _, a := range auths {
		fmt.Fprintf(&providers, "    - agent: {scheme: %q, value: %q, name: %q, country: FR}\n      minLoA: substantial\n      evidenceTypes:\n",
			a.Agent.Identifier.SchemeID, a.Agent.Identifier.Value, a.Agent.Name[0].Value)
		for _, et := range a.EvidenceTypes {
			fmt.Fprintf(&providers, "        - classification: %q\n          dataService: %s\n          formats:\n", et.Classification, dataService)
			for _, f := range et.Formats {
				fmt.Fprintf(&providers, "            - {format: %q, conformsTo: %q}\n", f.Format, f.ConformsTo)
			}
		}
	}
	appendFile(t, "fr/oots.yaml", fmt.Sprintf(`journal: {keyFile: journal.key}
provider:
  listen: %s
  previewBase: %s
  tls: {certificate: tls.cert.pem, key: tls.key.pem}
  returnAllow: ["https://portal.de.example/"]
%s  providers:
%s`, n.PreviewAddr, n.PreviewBase, login, providers.String()))

	frLog := startServeCLI(t, []string{"serve", "-config", "fr/oots.yaml"})
	deLog := startServeCLI(t, []string{"serve", "-config", "de/oots.yaml"})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FR node:\n%s\nDE node:\n%s", frLog.String(), deLog.String())
		}
	})
}

// waitStep polls DE's requester API for journey j until done holds of its
// first requirement, or for a minute, and returns that requirement.
func (n *nationalNet) waitStep(t *testing.T, j *requester.Journey, done func(*requester.Requirement) bool) *requester.Requirement {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		j, err := n.Client.Get(context.Background(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rq := j.Requirements[0]; done(rq) || time.Now().After(deadline) {
			return rq
		}
	}
}

// atPreview waits for the answer to the first request of journey j, and
// fails t unless it is the preview (EDM:ERR:0002) with a link into the
// preview space.
func (n *nationalNet) atPreview(t *testing.T, j *requester.Journey) *requester.Requirement {
	t.Helper()
	r := n.waitStep(t, j, func(r *requester.Requirement) bool { return r.Step != requester.StepWaiting })
	if r.Step != requester.StepPreview || r.Exchange == nil || !strings.HasPrefix(r.Exchange.PreviewURL, n.PreviewBase+"/preview/") {
		t.Fatalf("after the first request: step %s, exchange %+v; want the preview (EDM:ERR:0002) at %s", r.Step, r.Exchange, n.PreviewBase)
	}
	return r
}

// finished waits for journey j's first requirement to be done or failed.
func (n *nationalNet) finished(t *testing.T, j *requester.Journey) *requester.Requirement {
	t.Helper()
	return n.waitStep(t, j, func(r *requester.Requirement) bool {
		return r.Step == requester.StepDone || r.Step == requester.StepFailed
	})
}

// approve has the citizen approve the evidence at the preview whose link
// is previewURL (csrf: the decision form's token), waits for the requester
// to finish journey j, and checks that it got doc; it returns the
// requirement.
func (n *nationalNet) approve(t *testing.T, browser *citizen, previewURL, csrf string, j *requester.Journey, doc []byte) *requester.Requirement {
	t.Helper()
	link, _ := url.Parse(previewURL)
	resp, _ := browser.post(n.PreviewBase+link.Path+"/decide", url.Values{"csrf": {csrf}, "decision": {"approve"}})
	if resp.StatusCode >= 400 {
		t.Fatalf("approve: HTTP %d", resp.StatusCode)
	}
	return n.delivered(t, j, doc)
}

// delivered waits for the requester to finish journey j after the
// citizen's approval, checks that it got doc, and returns the requirement.
func (n *nationalNet) delivered(t *testing.T, j *requester.Journey, doc []byte) *requester.Requirement {
	t.Helper()
	r := n.finished(t, j)
	if r.Step != requester.StepDone || len(r.Exchange.Evidence) == 0 {
		t.Fatalf("after the approval: step %s, exchange %+v", r.Step, r.Exchange)
	}
	f, err := n.Client.Evidence(context.Background(), j.ID, r.Exchange.Evidence[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.MimeType != "application/pdf" || !bytes.Equal(f.Data, doc) {
		t.Errorf("evidence %s %d bytes, want the register's PDF (%d bytes)", f.MimeType, len(f.Data), len(doc))
	}
	return r
}

// citizen is the citizen's browser at the preview space: plain HTTP with
// cookies, trusting the preview space's certificate, following redirects
// on this machine only (the return to the portal is not).
type citizen struct {
	t *testing.T
	c *http.Client
}

// browser opens a citizen's browser, its cookie jar empty.
func (n *nationalNet) browser(t *testing.T) *citizen {
	jar, _ := cookiejar.New(nil)
	roots := x509.NewCertPool()
	roots.AddCert(n.PreviewCert)
	return &citizen{t: t, c: &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != "127.0.0.1" || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}}
}

// get fetches u and returns the last response and its page.
func (b *citizen) get(u string) (*http.Response, string) {
	b.t.Helper()
	return b.page(b.c.Get(u))
}

// post posts form to u and returns the last response and its page.
func (b *citizen) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.page(b.c.PostForm(u, form))
}

func (b *citizen) page(resp *http.Response, err error) (*http.Response, string) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	p, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(p)
}

// exportJournal reads the journal entries of an exchange from the database
// of the node in dir (oots journal export -exchange -json), once until
// holds of them or after 20 seconds: a node journals its answer after
// handing it to its access point, and the partner's receipt after that.
func exportJournal(t *testing.T, dir, exchange string, until func([]*journal.Entry) bool) []*journal.Entry {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, out, errOut := runCLI(t, "journal", "export", "-db", dir+"/data/oots.db", "-exchange", exchange, "-json")
		if code != 0 {
			t.Fatalf("journal export %s: exit %d: %s", dir, code, errOut)
		}
		var es []*journal.Entry
		dec := json.NewDecoder(strings.NewReader(out))
		for dec.More() {
			var e journal.Entry
			if err := dec.Decode(&e); err != nil {
				t.Fatal(err)
			}
			es = append(es, &e)
		}
		if until(es) || time.Now().After(deadline) {
			return es
		}
	}
}
