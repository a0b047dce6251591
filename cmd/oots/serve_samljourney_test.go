package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
)

// TestServeSAMLJourney runs a citizen's journey through the preview space
// of "oots serve" logging in by eIDAS SAML (provider.login.saml) at a real
// eIDAS-like node of another implementation, pysaml2 (internal/samlidp),
// the node of the citizen's country BE. Two nodes set up with oots init
// and oots partner add: the German one with the requester connector, the
// French one with the provider connector, its preview space and the
// journal. pysaml2 verifies our signed AuthnRequest (it refuses unsigned
// or altered ones) and answers with a signed response carrying a signed
// assertion encrypted to our encryption certificate, with the eIDAS
// natural-person attributes; the preview space decrypts and verifies it,
// shows the register's evidence, and the approved evidence reaches the
// requester. The citizen's identifier for FR (BE/FR/…) is not the one the
// requester sent (BE/DE/…): the same person by issuing country and local
// part. Someone else logging in at the node is refused with EDM:ERR:0001.
func TestServeSAMLJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes, the Common Services and a Python eIDAS node")
	}
	// The eIDAS node first: it skips the test (or fails it under
	// OOTS_REQUIRE_VERIFIERS=1) without pysaml2 or xmlsec1.
	idp := samlidp.New(t)
	const substantial = "http://eidas.europa.eu/LoA/substantial"
	idp.Accounts = map[string]samlidp.Account{
		"marie": {Password: "pw", LoA: substantial, Attributes: map[string]string{
			"PersonIdentifier": "BE/FR/1234567890", "FamilyName": "Janssens", "FirstName": "Marie", "DateOfBirth": "1985-04-12"}},
		"jan": {Password: "pw", LoA: substantial, Attributes: map[string]string{
			"PersonIdentifier": "BE/FR/5550001", "FamilyName": "Peeters", "FirstName": "Jan", "DateOfBirth": "1970-01-31"}},
	}
	ctx := context.Background()
	csBase, csCA := startCSFile(t)

	// The register: a PDF for Marie (whatever the destination country
	// of her identifier), nothing for anyone else.
	who := eid.NaturalPerson{Identifier: "BE/DE/1234567890", FamilyName: "Janssens", GivenName: "Marie", DateOfBirth: "1985-04-12"}
	doc := pdf.Text("Certificate of birth", []string{"Marie Janssens, born 1985-04-12"})
	var dsCalls, dsOthers atomic.Int32
	ds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dsCalls.Add(1)
		var q provider.Query
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res := provider.Result{Matches: []provider.Match{}}
		if p := q.Subject.Person; p != nil && provider.SamePerson(p, &who) {
			res.Matches = append(res.Matches, provider.Match{Subject: "person-1", Documents: []provider.Document{{
				ID: "birth-1", Title: "Certificate of birth", IssuingDate: "2024-01-02", Language: "FR", Format: "application/pdf", Content: doc,
				Fields: []provider.Field{{Label: "Family name", Value: who.FamilyName}}}}})
		} else {
			dsOthers.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(ds.Close)

	previewAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	previewBase := "https://" + previewAddr

	t.Chdir(t.TempDir())
	os.Mkdir("fr", 0o700)
	previewCert := writeTLSCert(t, "fr")
	frAddr, deAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	run := func(args ...string) {
		t.Helper()
		if code, out, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("oots %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	run("init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", frAddr)
	run("init", "-dir", "de", "-name", "AP_DE_01", "-profile", "as4-2.0", "-listen", deAddr)
	run("partner", "add", "-config", "de/oots.yaml", "-name", "AP_FR_01", "-endpoint", "http://"+frAddr+"/as4", "-cert", "fr/AP_FR_01.partner.pem")
	run("partner", "add", "-config", "fr/oots.yaml", "-name", "AP_DE_01", "-endpoint", "http://"+deAddr+"/as4", "-cert", "de/AP_DE_01.partner.pem")

	key := make([]byte, 32)
	rand.Read(key)
	writeSecret(t, "fr/journal.key", key)
	token := "requester-token-0123456789"
	writeSecret(t, "de/requester.token", []byte(token+"\n"))
	appendFile(t, "de/oots.yaml", fmt.Sprintf(`requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: DE-ER-TEST, name: Test procedure portal, country: DE}
  commonServices: {eb: %s/, dsd: %s/, trust: [%s]}
  routes: {AP-FR: AP_FR_01}
  tokenFile: requester.token
`, csBase, csBase, csCA))

	// provider.login.saml: the BE node by its metadata, signed by the
	// anchor; our signing key (ECDSA) and encryption key (RSA, for the
	// node's RSA-OAEP key transport).
	writeSecret(t, "fr/be-node.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Cert.Raw}))
	node, _ := json.Marshal(map[string]string{"entityId": idp.EntityID, "metadataUrl": idp.EntityID, "anchor": "be-node.pem"})
	writeSecret(t, "fr/be-saml.json", node)
	writeSAMLKeys(t, "fr")
	auths, err := demo.Authorities(ctx, "FR", nil)
	if err != nil {
		t.Fatal(err)
	}
	var providers strings.Builder
	for _, a := range auths {
		fmt.Fprintf(&providers, "    - agent: {scheme: %q, value: %q, name: %q, country: FR}\n      minLoA: substantial\n      evidenceTypes:\n",
			a.Agent.Identifier.SchemeID, a.Agent.Identifier.Value, a.Agent.Name[0].Value)
		for _, et := range a.EvidenceTypes {
			fmt.Fprintf(&providers, "        - classification: %q\n          dataService: %s\n          formats:\n", et.Classification, ds.URL)
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
  login:
    saml: {nodes: {BE: be-saml.json}, signingKey: saml-sign.key.pem, signingCertificate: saml-sign.cert.pem,
           encryptionKey: saml-enc.key.pem, encryptionCertificate: saml-enc.cert.pem}
  providers:
%s`, previewAddr, previewBase, providers.String()))

	frLog := startServeCLI(t, []string{"serve", "-config", "fr/oots.yaml"})
	deLog := startServeCLI(t, []string{"serve", "-config", "de/oots.yaml"})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FR node:\n%s\nDE node:\n%s", frLog.String(), deLog.String())
		}
	})

	// The citizen's browser: plain HTTP with cookies, trusting the preview
	// space's certificate, following redirects on this machine only.
	jar, _ := cookiejar.New(nil)
	roots := x509.NewCertPool()
	roots.AddCert(previewCert)
	browser := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != "127.0.0.1" || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	do := func(resp *http.Response, err error) (*http.Response, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}

	// The node knows the preview space by its metadata, served by oots
	// serve: our ACS, signing and encryption certificates.
	resp, md := do(browser.Get(previewBase + saml.MetadataPath))
	if resp.StatusCode != http.StatusOK || !strings.Contains(md, previewBase+saml.ACSPath) {
		t.Fatalf("the preview space's SAML metadata: HTTP %d\n%.600s", resp.StatusCode, md)
	}
	idp.Start(t, []byte(md))

	// journey asks FR for Marie's evidence through DE's requester API and
	// returns the journey and its requirement at the preview step.
	c := &requester.Client{BaseURL: "http://" + deAddr, Token: token}
	wait := func(j *requester.Journey, done func(*requester.Requirement) bool) *requester.Requirement {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			j, err := c.Get(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rq := j.Requirements[0]; done(rq) || time.Now().After(deadline) {
				return rq
			}
		}
	}
	journey := func() (*requester.Journey, *requester.Requirement) {
		t.Helper()
		j, err := c.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "FR", ReturnURL: "https://portal.de.example/return",
			Subject: eid.Subject{Person: &who, LoA: eid.LoASubstantial, Country: "BE", Issuer: "BE", AuthTime: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		if len(j.Requirements) == 0 || j.Requirements[0].Step != requester.StepExplicitRequest {
			t.Fatalf("journey %+v: want a requirement ready for the explicit request", j)
		}
		if j, err = c.Request(ctx, j.ID, j.Requirements[0].ID, requester.ExplicitRequest{Given: true}); err != nil {
			t.Fatal(err)
		}
		r := wait(j, func(r *requester.Requirement) bool { return r.Step != requester.StepWaiting })
		if r.Step != requester.StepPreview || r.Exchange == nil || !strings.HasPrefix(r.Exchange.PreviewURL, previewBase+"/preview/") {
			t.Fatalf("after the first request: step %s, exchange %+v; want the preview (EDM:ERR:0002) at %s", r.Step, r.Exchange, previewBase)
		}
		return j, r
	}

	// login takes the citizen from the preview link through the eIDAS
	// node as user, and returns the preview space's answer to the node's
	// response and the SAMLResponse the node sent.
	login := func(previewURL, user string) (*http.Response, string, []byte) {
		t.Helper()
		if resp, page := do(browser.Get(previewURL)); resp.StatusCode != http.StatusOK || !strings.Contains(page, "/login") {
			t.Fatalf("preview start page: HTTP %d\n%.800s", resp.StatusCode, page)
		}
		link, _ := url.Parse(previewURL)
		// Our auto-posted, signed AuthnRequest (HTTP-POST binding).
		_, page := do(browser.Get(previewBase + link.Path + "/login"))
		action, v := samlJourneyForm(t, page)
		if action != idp.SSO || v.Get("SAMLRequest") == "" {
			t.Fatalf("the preview login posts to %s, not with an AuthnRequest to the node's %s:\n%.800s", action, idp.SSO, page)
		}
		// pysaml2 verifies it (want_authn_requests_signed) before its
		// login form.
		resp, page := do(browser.PostForm(action, v))
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "eIDAS test node: log in") {
			t.Fatalf("the node refused our AuthnRequest: HTTP %d %.800s", resp.StatusCode, page)
		}
		action, v = samlJourneyForm(t, page)
		v.Set("user", user)
		v.Set("password", "pw")
		_, page = do(browser.PostForm(action, v))
		action, v = samlJourneyForm(t, page)
		if action != previewBase+saml.ACSPath || v.Get("SAMLResponse") == "" {
			t.Fatalf("the node answered to %s, not with a SAMLResponse to our ACS:\n%.1000s", action, page)
		}
		raw, err := base64.StdEncoding.DecodeString(v.Get("SAMLResponse"))
		if err != nil {
			t.Fatal(err)
		}
		// The ACS, then the preview's callback, then the preview.
		resp, page = do(browser.PostForm(action, v))
		return resp, page, raw
	}

	// Marie: the evidence shown after the login, approved, received.
	j, r := journey()
	resp, page, raw := login(r.Exchange.PreviewURL, "marie")
	// eIDAS: the assertion travels encrypted (xenc, AES-256-GCM with
	// RSA-OAEP), nothing of the person in clear.
	if !bytes.Contains(raw, []byte("EncryptedAssertion")) || !bytes.Contains(raw, []byte("xmlenc11#aes256-gcm")) ||
		bytes.Contains(raw, []byte("Janssens")) || bytes.Contains(raw, []byte("1234567890")) {
		t.Errorf("the node's response does not carry the assertion encrypted:\n%.2000s", raw)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || csrf == nil || !strings.Contains(page, who.FamilyName) {
		t.Fatalf("after the SAML login, at %s: HTTP %d, want the evidence with its decision form:\n%.1500s", resp.Request.URL, resp.StatusCode, page)
	}
	link, _ := url.Parse(r.Exchange.PreviewURL)
	resp, _ = do(browser.PostForm(previewBase+link.Path+"/decide", url.Values{"csrf": {csrf[1]}, "decision": {"approve"}}))
	if resp.StatusCode >= 400 {
		t.Fatalf("approve: HTTP %d", resp.StatusCode)
	}
	r = wait(j, func(r *requester.Requirement) bool {
		return r.Step == requester.StepDone || r.Step == requester.StepFailed
	})
	if r.Step != requester.StepDone || len(r.Exchange.Evidence) == 0 {
		t.Fatalf("after the approval: step %s, exchange %+v", r.Step, r.Exchange)
	}
	f, err := c.Evidence(ctx, j.ID, r.Exchange.Evidence[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.MimeType != "application/pdf" || !bytes.Equal(f.Data, doc) {
		t.Errorf("evidence %s %d bytes, want the register's PDF (%d bytes)", f.MimeType, len(f.Data), len(doc))
	}
	if n := dsOthers.Load(); n != 0 {
		t.Errorf("the register was asked %d times for someone else during Marie's journey", n)
	}
	fr := samlJourneyJournal(t, "fr", r.Exchange.ID, journal.OutcomeOK)
	find(t, fr, journal.EventPreviewShown)
	find(t, fr, journal.EventPreviewApproved)
	if e := samlJourneyLast(fr, journal.EventResponseSent); e == nil || e.Outcome != journal.OutcomeOK {
		t.Errorf("FR journaled the last answer %+v, want the evidence sent", e)
	}

	// Jan logs in at the node with Marie's preview link: not her; FR
	// asks its register about Jan, answers EDM:ERR:0001 and shows
	// nothing.
	t.Run("another person", func(t *testing.T) {
		before := dsCalls.Load()
		j, r := journey()
		resp, page, _ := login(r.Exchange.PreviewURL, "jan")
		if resp.StatusCode != http.StatusForbidden || strings.Contains(page, who.FamilyName) || strings.Contains(page, `name="csrf"`) {
			t.Errorf("Jan at Marie's preview: HTTP %d, want 403 without the evidence:\n%.1500s", resp.StatusCode, page)
		}
		if dsCalls.Load() == before || dsOthers.Load() == 0 {
			t.Error("the register was not asked whether Jan is the subject")
		}
		r = wait(j, func(r *requester.Requirement) bool {
			return r.Step == requester.StepDone || r.Step == requester.StepFailed
		})
		if r.Step != requester.StepFailed || r.Exchange.Error == nil || r.Exchange.Error.Code != edm.EDMErr0001 {
			t.Fatalf("after Jan's login: step %s, exchange %+v, want failed with EDM:ERR:0001", r.Step, r.Exchange)
		}
		fr := samlJourneyJournal(t, "fr", r.Exchange.ID, string(edm.EDMErr0001))
		if e := find(t, fr, provider.EventWrongUser); e.Outcome != string(edm.EDMErr0001) {
			t.Errorf("FR journaled %+v, want the wrong user with EDM:ERR:0001", e)
		}
		if e := samlJourneyLast(fr, journal.EventResponseSent); e == nil || e.Outcome != string(edm.EDMErr0001) {
			t.Errorf("FR journaled the last answer %+v, want EDM:ERR:0001", e)
		}
		for _, e := range fr {
			if e.Event == journal.EventPreviewShown || e.Event == journal.EventPreviewApproved {
				t.Errorf("FR journaled %s for Jan", e.Event)
			}
		}
	})
}

var (
	samlJourneyInput  = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"`)
	samlJourneyAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
)

// samlJourneyForm reads the action and the hidden fields of the first form
// of a page: the auto-posted forms of the SAML HTTP-POST binding and the
// node's login form.
func samlJourneyForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := samlJourneyAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in %.800s", page)
	}
	v := url.Values{}
	for _, f := range samlJourneyInput.FindAllStringSubmatch(page, -1) {
		if f[1] != "" {
			v.Set(f[1], html.UnescapeString(f[2]))
		} else {
			v.Set(f[4], html.UnescapeString(f[3]))
		}
	}
	return html.UnescapeString(m[1]), v
}

// samlJourneyJournal reads the journal entries of an exchange from the
// database of the node in dir (oots journal export -exchange -json), once
// the last entry of the event response.sent has the outcome: the node
// journals an answer after handing it to its access point.
func samlJourneyJournal(t *testing.T, dir, exchange, outcome string) []*journal.Entry {
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
		if e := samlJourneyLast(es, journal.EventResponseSent); e != nil && e.Outcome == outcome || time.Now().After(deadline) {
			return es
		}
	}
}

// samlJourneyLast returns the last entry of an event, or nil.
func samlJourneyLast(es []*journal.Entry, event string) *journal.Entry {
	var last *journal.Entry
	for _, e := range es {
		if e.Event == event {
			last = e
		}
	}
	return last
}
