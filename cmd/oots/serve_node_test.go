package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/dnsserver"
	"github.com/oots-go/oots/internal/oidcop"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
)

// dropErrorLeg removes from the P-Mode oots init wrote its last leg, the
// one of EDM errors (ExceptionResponse) that the connectors need.
func dropErrorLeg(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("\n  - name: ootsErrorLeg\n"))
	if i < 0 {
		t.Fatalf("%s has no ootsErrorLeg", path)
	}
	if err := os.WriteFile(path, b[:i+1], 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func writeSecret(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeNationalNode runs two "oots serve" nodes set up as an operator
// does (oots init, oots partner add), the German one with the requester
// connector and the French one with the provider connector and its preview
// space, both with the audit journal; the Common Services are "oots cs
// serve" with the demo data, the register a real HTTP data service, the
// preview login the npm oidc-provider. A citizen's journey runs through the
// requester's REST API (requester.Client) and the preview space's pages
// over plain HTTP, and "oots journal export -exchange" shows the exchange
// with the receipts' digests on both nodes.
func TestServeNationalNode(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes, the Common Services and an OpenID provider")
	}
	oidcop.Module(t)
	ctx := context.Background()

	// The register: a PDF for one person, nothing for anyone else.
	who := eid.NaturalPerson{Identifier: "FR/DE/1234567890", FamilyName: "Dupont", GivenName: "Marie", DateOfBirth: "1985-04-12"}
	doc := pdf.Text("Certificate of birth", []string{"Marie Dupont, born 1985-04-12"})
	reg := startRegister(t, &who, doc, func(p, who *eid.NaturalPerson) bool { return p.Identifier == who.Identifier })

	nodes := twoNodes(t)
	previewBase, deAddr := nodes.PreviewBase, nodes.DEAddr
	// The OpenID provider that logs the citizen in at the preview space.
	op := oidcop.Start(t, 0, oidcop.RSAKey(t, "k1"), previewBase+provider.PreviewCallbackPath, func(c *oidcop.Config) {
		c.Accounts = map[string]oidcop.Account{"marie": {Password: "pw", Claims: map[string]any{
			"family_name": who.FamilyName, "given_name": who.GivenName, "birthdate": who.DateOfBirth, "eidas_id": who.Identifier}}}
	})

	// Both nodes also carry another service's messages (a leg of their
	// own, not the evidence exchange's): FR hands them to its webhook,
	// beside the connectors.
	for _, cc := range []string{"fr", "de"} {
		b, err := os.ReadFile(cc + "/pmode.yaml")
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("  - name: ootsErrorLeg"))
		if i < 0 {
			t.Fatalf("%s/pmode.yaml has no ootsErrorLeg", cc)
		}
		leg := strings.NewReplacer("name: ootsErrorLeg", "name: noticeLeg",
			`service: {value: QueryManager, type: "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"}`, `service: {value: "urn:example:notices", type: "urn:example:services"}`,
			"action: ExceptionResponse", "action: Notify").Replace(string(b[i:]))
		appendFile(t, cc+"/pmode.yaml", "\n"+leg)
	}
	const hookSecret = "a-webhook-secret-0123456789"
	var hookMu sync.Mutex
	hooked := map[string]string{} // message id → event, of the pushes that verify
	hookBad := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		hookMu.Lock()
		defer hookMu.Unlock()
		if err := ap.VerifyWebhook([]byte(hookSecret), r, body, time.Now(), time.Minute); err != nil {
			hookBad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		hooked[r.Header.Get(ap.HeaderMessageID)] = r.Header.Get(ap.HeaderEvent)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)

	appendFile(t, "de/oots.yaml", "journal: {keyFile: journal.key}\n")
	// The French evidence providers of the demo data set, each evidence
	// type served by the register above.
	oidcFile, _ := json.Marshal(map[string]any{"issuer": op.Issuer, "clientId": oidcop.ClientID, "clientSecret": oidcop.ClientSecret,
		"claims": map[string]string{"identifier": "eidas_id", "familyName": "family_name", "givenName": "given_name", "dateOfBirth": "birthdate"},
		"acr":    map[string]eid.LoA{"eidas2": eid.LoASubstantial, "eidas3": eid.LoAHigh}})
	writeSecret(t, "fr/fr-oidc.json", oidcFile)
	appendFile(t, "fr/oots.yaml", fmt.Sprintf("webhook: {url: %q, secret: %q}\n", hook.URL, hookSecret))
	nodes.serve(t, reg.URL, `  login: {oidc: {FR: fr-oidc.json}}
  consent: {enabled: true, validity: 720h}
  procedureNames: {R1: {en: "Declaring a test birth", fr: "Déclaration d'une naissance d'essai"}}
`)

	// The requester's REST API is closed without its token.
	subject := eid.Subject{Person: &who, LoA: eid.LoASubstantial, Country: "FR", Issuer: "FR", AuthTime: time.Now()}
	start := requester.StartRequest{Procedure: "R1", Country: "FR", Subject: subject, ReturnURL: "https://portal.de.example/return"}
	if _, err := (&requester.Client{BaseURL: "http://" + deAddr}).Start(ctx, start); !errors.Is(err, requester.ErrUnauthorized) {
		t.Fatalf("the requester API without its token: %v", err)
	}
	c := nodes.Client
	j, err := c.Start(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Requirements) == 0 {
		t.Fatal("no requirement for R1 in FR")
	}
	r := j.Requirements[0]
	if r.Step != requester.StepExplicitRequest {
		t.Fatalf("requirement %s at step %s, want %s: %+v", r.ID, r.Step, requester.StepExplicitRequest, r)
	}
	if j, err = c.Request(ctx, j.ID, r.ID, requester.ExplicitRequest{Given: true}); err != nil {
		t.Fatal(err)
	}
	r = nodes.atPreview(t, j)

	// The citizen at the preview space.
	browser := nodes.browser(t)
	if resp, page := browser.get(r.Exchange.PreviewURL); resp.StatusCode != http.StatusOK || !strings.Contains(page, "/login") {
		t.Fatalf("preview start page: HTTP %d\n%.800s", resp.StatusCode, page)
	}
	link, _ := url.Parse(r.Exchange.PreviewURL)
	resp, page := browser.get(previewBase + link.Path + "/login")
	if !strings.HasPrefix(resp.Request.URL.String(), op.Issuer) {
		t.Fatalf("the preview login went to %s, not to the OpenID provider: %.500s", resp.Request.URL, page)
	}
	m := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no login form at the OpenID provider: %.500s", page)
	}
	action, _ := resp.Request.URL.Parse(m[1])
	resp, page = browser.post(action.String(), url.Values{"login": {"marie"}, "password": {"pw"}, "acr": {"eidas2"}})
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || csrf == nil || !strings.Contains(page, who.FamilyName) {
		t.Fatalf("after the login at %s: HTTP %d, want the evidence with its decision form:\n%.1500s", resp.Request.URL, resp.StatusCode, page)
	}
	// provider.consent and provider.procedureNames: the consent offer,
	// naming the procedure by the configured name.
	if !strings.Contains(page, `name="consent"`) || !strings.Contains(page, "Declaring a test birth") {
		t.Errorf("the preview page lacks the consent offer or the configured procedure name:\n%.3000s", page)
	}
	r = nodes.approve(t, browser, r.Exchange.PreviewURL, csrf[1], j, doc)
	if reg.Calls.Load() == 0 {
		t.Error("the data service was not asked")
	}

	// Another service's message reaches FR's webhook, signed; none of
	// the evidence exchange's did.
	deYAML, _ := os.ReadFile("de/oots.yaml")
	apiToken := regexp.MustCompile(`(?m)^  token: "([^"]+)"`).FindSubmatch(deYAML)
	if apiToken == nil {
		t.Fatal("no api.token in de/oots.yaml")
	}
	sub, _ := json.Marshal(&ap.Submission{Leg: "noticeLeg", To: "AP_FR_01",
		Properties: []ap.Property{{Name: "originalSender", Value: "DE-NOTICES"}, {Name: "finalRecipient", Value: "FR-NOTICES"}},
		Payloads:   []ap.Payload{{ContentID: "notice@de", MimeType: "text/plain", Data: []byte("a notice")}}})
	req, _ := http.NewRequest(http.MethodPost, "http://"+deAddr+"/api/v1/messages", bytes.NewReader(sub))
	req.Header.Set("Authorization", "Bearer "+string(apiToken[1]))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var notice ap.Status
	json.NewDecoder(resp.Body).Decode(&notice)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || notice.MessageID == "" {
		t.Fatalf("submitting the notice: HTTP %d %+v", resp.StatusCode, notice)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		hookMu.Lock()
		_, got := hooked[notice.MessageID]
		hookMu.Unlock()
		if got {
			break
		}
	}
	hookMu.Lock()
	if hooked[notice.MessageID] != ap.EventMessage || len(hooked) != 1 || hookBad != 0 {
		t.Errorf("FR's webhook got %v (%d badly signed); want the notice %s alone", hooked, hookBad, notice.MessageID)
	}
	hookMu.Unlock()

	// Both journals lead from the exchange to every step of the preview
	// round — both requests, the EDM:ERR:0002 answer, the preview, the
	// evidence — and to the AS4 messages and the digests of the signed
	// receipts of the two messages each node sent.
	exch := r.Exchange.ID
	events := func(es []*journal.Entry, event string) []*journal.Entry {
		var out []*journal.Entry
		for _, e := range es {
			if e.Event == event {
				out = append(out, e)
			}
		}
		return out
	}
	chain := func(cc string) ([]*journal.Entry, string) {
		t.Helper()
		// The partner's receipts arrive after the messages they are
		// for: wait for both.
		es := exportJournal(t, cc, exch, func(es []*journal.Entry) bool { return len(events(es, journal.EventReceipt)) >= 2 })
		_, table, _ := runCLI(t, "journal", "export", "-db", cc+"/data/oots.db", "-exchange", exch)
		return es, table
	}
	deChain, deTable := chain("de")
	frChain, frTable := chain("fr")
	// DE: the first request, the EDM:ERR:0002 answer, the second request,
	// the evidence; the receipts of both requests.
	sent := events(deChain, journal.EventRequestSent)
	if len(sent) != 2 || sent[0].MessageID == sent[1].MessageID {
		t.Fatalf("DE: request.sent entries %+v, want the first request and the one after the preview", sent)
	}
	previewReq := find(t, deChain, requester.EventPreviewRequired)
	delivered := find(t, deChain, journal.EventResponseReceived)
	// The first request is journaled before the access point takes it,
	// so before the second (requester.MessageNamer).
	if previewReq.RefTo != sent[0].MessageID || delivered.RefTo != sent[1].MessageID {
		t.Errorf("DE: the answers refer to %s and %s, the requests are %s and %s", previewReq.RefTo, delivered.RefTo, sent[0].MessageID, sent[1].MessageID)
	}
	deRcpts := events(deChain, journal.EventReceipt)
	if len(deRcpts) != 2 {
		t.Fatalf("DE: %d receipt entries, want those of both requests:\n%s", len(deRcpts), deTable)
	}
	for _, rc := range deRcpts {
		if rc.Receipt == "" || !strings.Contains(rc.NRR, "=sha256:") || rc.MessageID != sent[0].MessageID && rc.MessageID != sent[1].MessageID {
			t.Errorf("DE: receipt entry %+v", rc)
		}
	}
	// FR: both requests received (the second in the first's exchange),
	// both answers sent, the preview approved; the receipts of both
	// answers, which refer to the requests.
	got := events(frChain, journal.EventRequestReceived)
	if len(got) != 2 || got[0].MessageID != sent[0].MessageID || got[1].MessageID != sent[1].MessageID {
		t.Errorf("FR journaled the requests %+v, DE sent %s and %s", got, sent[0].MessageID, sent[1].MessageID)
	}
	find(t, frChain, journal.EventPreviewApproved)
	answers := events(frChain, journal.EventResponseSent)
	if len(answers) != 2 || answers[0].Outcome != "EDM:ERR:0002" || answers[1].Outcome != journal.OutcomeOK {
		t.Errorf("FR: response.sent entries %+v, want the EDM:ERR:0002 answer and the evidence", answers)
	}
	frRcpts := events(frChain, journal.EventReceipt)
	if len(frRcpts) != 2 {
		t.Fatalf("FR: %d receipt entries, want those of both answers:\n%s", len(frRcpts), frTable)
	}
	for _, rc := range frRcpts {
		if rc.Receipt == "" || rc.NRR == "" || rc.RefTo != sent[0].MessageID && rc.RefTo != sent[1].MessageID {
			t.Errorf("FR: receipt entry %+v", rc)
		}
		if rc.RefTo == sent[1].MessageID && rc.MessageID != delivered.MessageID {
			t.Errorf("FR: the receipt of the evidence names %s, DE received %s", rc.MessageID, delivered.MessageID)
		}
	}
	for cc, tc := range map[string]struct {
		table string
		rs    []*journal.Entry
	}{"de": {deTable, deRcpts}, "fr": {frTable, frRcpts}} {
		for _, r := range tc.rs {
			for _, s := range []string{r.MessageID, r.Receipt, strings.Fields(r.NRR)[0]} {
				if !strings.Contains(tc.table, s) {
					t.Errorf("%s: oots journal export -exchange %s does not show %q:\n%s", cc, exch, s, tc.table)
				}
			}
		}
	}
	t.Logf("DE: oots journal export -exchange %s:\n%s\nFR:\n%s", exch, deTable, frTable)
}

// TestServeNodeSections: the journal, requester and provider sections are
// closed by default and name the wrong field: the requester's REST API
// needs a token of its own (from a file or OOTS_REQUESTER_TOKEN, never
// inline), the preview space a login, an https public URL and its own
// listener.
func TestServeNodeSections(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, filepath.Join(dir, "requester.token"), []byte("a-requester-token-0123\n"))
	writeSecret(t, filepath.Join(dir, "short.token"), []byte("short\n"))
	commonServicesTLS(t, dir) // cs-root.pem
	base := "pmode: pmode.yaml\napi: {token: \"an-api-token-0123456789\"}\n"
	requesterOK := `requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: DE-ER-1, name: Portal, country: DE}
  commonServices: {eb: "https://cs.example/", dsd: "https://cs.example/", trust: [cs.pem]}
  tokenFile: requester.token
`
	providerOK := `provider:
  listen: 127.0.0.1:8443
  previewBase: https://preview.fr.example
  login: {oidc: {FR: fr.json}}
  providers:
    - agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-EP-1, name: Mairie, country: FR}
      evidenceTypes: [{classification: "https://sr.example/et/1", formats: [{format: application/pdf}], dataService: "http://register.internal/oots"}]
`
	load := func(text string, env map[string]string) (*serveConfig, error) {
		t.Helper()
		path := filepath.Join(dir, "oots.yaml")
		writeSecret(t, path, []byte(base+text))
		return readServeConfig(path, func(k string) string { return env[k] })
	}
	for _, ok := range []string{"", "journal: {keyFile: journal.key}\n", requesterOK, providerOK, requesterOK + providerOK} {
		if _, err := load(ok, nil); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	c, err := load(strings.Replace(requesterOK, "  tokenFile: requester.token\n", "", 1), map[string]string{"OOTS_REQUESTER_TOKEN": "from-the-environment-0123"})
	if err != nil || c.Requester.token != "from-the-environment-0123" {
		t.Errorf("OOTS_REQUESTER_TOKEN: %v", err)
	}
	if c, err := load(requesterOK, nil); err != nil || c.Requester.token != "a-requester-token-0123" {
		t.Errorf("tokenFile: %v", err)
	}
	for _, tc := range []struct{ text, want string }{
		{"journal: {node: x}\n", "journal.keyFile: required"},
		{strings.Replace(requesterOK, "  tokenFile: requester.token\n", "", 1), "requester.tokenFile: required"},
		{strings.Replace(requesterOK, "requester.token", "short.token", 1), "requester.tokenFile: the token has 5 characters"},
		{strings.Replace(requesterOK, "  tokenFile:", "  token: a-requester-token-0123\n  tokenFile:", 1), "field token not found"},
		{strings.Replace(requesterOK, "https://cs.example/", "http://cs.example/", 1), "requester.commonServices.eb"},
		{strings.Replace(requesterOK, "trust: [cs.pem]", "trust: []", 1), "requester.commonServices.trust: required"},
		{strings.Replace(requesterOK, `eb: "https://cs.example/", dsd: "https://cs.example/", `, "", 1), "requester.commonServices.eb: required: the Evidence Broker and DSD base URLs, or the commonServices section"},
		{"commonServices: {environment: acceptance, country: DE, dns: 127.0.0.1:53, trust: [cs-root.pem]}\n" +
			strings.Replace(requesterOK, `eb: "https://cs.example/", dsd: "https://cs.example/", `, "", 1), "with discovery the roots are commonServices.trust"},
		{strings.Replace(requesterOK, "country: DE", "country: de", 1), "requester.agent.country"},
		{strings.Replace(providerOK, "  login: {oidc: {FR: fr.json}}\n", "", 1), "provider.login: required"},
		{strings.Replace(providerOK, "  listen: 127.0.0.1:8443\n", "", 1), "provider.listen"},
		{strings.Replace(providerOK, "https://preview.fr.example", "http://preview.fr.example", 1), "provider.previewBase"},
		{strings.Replace(providerOK, "formats: [{format: application/pdf}], ", "", 1), "provider.providers[0].evidenceTypes[0].formats: required"},
		{strings.Replace(providerOK, "http://register.internal/oots", "register.internal", 1), "provider.providers[0].evidenceTypes[0].dataService"},
		{providerOK + "  tls: {certificate: c.pem}\n", "provider.tls: certificate and key go together"},
		{strings.Replace(providerOK, "login: {oidc: {FR: fr.json}}", "login: {saml: {nodes: {BE: be.json}}}", 1), "required: a PEM file"},
		{strings.Replace(providerOK, "login: {oidc: {FR: fr.json}}", "login: {saml: {}}", 1), "provider.login.saml.nodes: required"},
		{strings.Replace(providerOK, "login: {oidc: {FR: fr.json}}", "login: {oidc: {FR: fr.json}, saml: {nodes: {FR: fr-saml.json}}}", 1), "provider.login.saml.nodes.FR: FR logs in through OpenID Connect"},
	} {
		if _, err := load(tc.text, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.text, err, tc.want)
		}
	}
}

// TestServeNodeRefusals: "oots serve" refuses to start with a journal key
// that is not 32 bytes, or a connector on a P-Mode without a leg for EDM
// errors.
func TestServeNodeRefusals(t *testing.T) {
	t.Chdir(t.TempDir())
	run := func(args ...string) {
		t.Helper()
		if code, out, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("oots %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	run("init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	dropErrorLeg(t, "fr/pmode.yaml")
	cfg, err := os.ReadFile("fr/oots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeSecret(t, "fr/journal.key", make([]byte, 32))
	writeSecret(t, "fr/short.key", make([]byte, 16))
	writeSecret(t, "fr/requester.token", []byte("a-requester-token-0123"))
	requesterSection := `requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-ER-1, name: Portal, country: FR}
  commonServices: {eb: "https://cs.example/", dsd: "https://cs.example/", trust: [trust.pem]}
  tokenFile: requester.token
`
	for _, tc := range []struct{ extra, want string }{
		{"journal: {keyFile: short.key}\n", "journal.keyFile: 16 bytes"},
		{requesterSection, "pmode: no leg with the action ExceptionResponse"},
	} {
		writeSecret(t, "fr/serve.yaml", append(append([]byte(nil), cfg...), tc.extra...))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var out syncBuffer
		code := Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }},
			[]string{"serve", "-config", "fr/serve.yaml"})
		cancel()
		if code != 2 || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: exit %d, want 2 saying %q:\n%s", tc.extra, code, tc.want, out.String())
		}
	}
}

// TestDoctorNodeSections: oots doctor checks the node's sections: the
// journal key, the P-Mode legs the connectors need, the login files, and
// that the Common Services and each data service answer.
func TestDoctorNodeSections(t *testing.T) {
	t.Chdir(t.TempDir())
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	down := fmt.Sprintf("http://127.0.0.1:%d/oots", freePort(t))
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t))); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	dropErrorLeg(t, "fr/pmode.yaml")
	writeSecret(t, "fr/short.key", make([]byte, 16))
	writeSecret(t, "fr/requester.token", []byte("a-requester-token-0123"))
	writeSecret(t, "fr/fr.json", []byte(`{"issuer": "https://idp.example.fr", "client_id": "misspelt"}`))
	appendFile(t, "fr/oots.yaml", fmt.Sprintf(`journal: {keyFile: short.key}
requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-ER-1, name: Portal, country: FR}
  commonServices: {eb: %s/, dsd: %s/, trust: [trust.pem]}
  tokenFile: requester.token
provider:
  listen: 127.0.0.1:0
  previewBase: https://preview.fr.example
  login: {oidc: {FR: fr.json}}
  providers:
    - agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-EP-1, name: Mairie, country: FR}
      evidenceTypes:
        - {classification: "https://sr.example/et/1", formats: [{format: application/pdf}], dataService: %q}
        - {classification: "https://sr.example/et/2", formats: [{format: application/pdf}], dataService: %q}
`, up.URL, up.URL, up.URL, down))
	code, fs := runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database")
	has := func(flag check.Flag, loc, text string) bool {
		for _, f := range fs {
			if f.Flag == flag && f.Location == loc && strings.Contains(f.Message, text) {
				return true
			}
		}
		return false
	}
	for _, want := range []struct {
		flag      check.Flag
		loc, text string
	}{
		{check.Error, "journal.keyFile", "16 bytes"},
		{check.Error, "pmode", "ExceptionResponse"},
		{check.Error, "provider.login.oidc.FR", "unknown field"},
		{check.Info, "requester.commonServices.eb", "answered HTTP"},
		{check.Info, "provider.providers[0].evidenceTypes[0].dataService", "answered HTTP"},
		{check.Error, "provider.providers[0].evidenceTypes[1].dataService", "unreachable"},
	} {
		if !has(want.flag, want.loc, want.text) {
			t.Errorf("no %s at %s saying %q", want.flag, want.loc, want.text)
		}
	}
	if code != 1 || t.Failed() {
		t.Errorf("exit %d; findings: %+v", code, fs)
	}
}

// writeKeyCert writes key and a self-signed certificate of it as PEM files
// name.key.pem and name.cert.pem in the current directory's dir.
func writeKeyCert(t *testing.T, dir, name string, key crypto.Signer) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeSecret(t, filepath.Join(dir, name+".cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeSecret(t, filepath.Join(dir, name+".key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}))
}

// TestServeNodeListeners: with api.listen, the requester's REST API is
// served there, behind its token, and not on the public listener; the
// preview space logs in through an eIDAS node (SAML) and OpenID Connect
// together, and serves the service provider's metadata.
func TestServeNodeListeners(t *testing.T) {
	t.Chdir(t.TempDir())
	public, api, preview := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", public); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	previewCert := writeTLSCert(t, "fr")
	writeSAMLKeys(t, "fr")
	writeSecret(t, "fr/be-saml.json", []byte(exampleSAMLNode))
	writeSecret(t, "fr/fr-oidc.json", []byte(`{"issuer": "https://idp.example.fr", "clientId": "c", "acr": {"eidas2": "http://eidas.europa.eu/LoA/substantial"}}`))
	token := "a-requester-token-0123"
	writeSecret(t, "fr/requester.token", []byte(token))
	appendFile(t, "fr/oots.yaml", fmt.Sprintf(`requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-ER-1, name: Portal, country: FR}
  commonServices: {eb: "https://cs.example/", dsd: "https://cs.example/", trust: [trust.pem]}
  tokenFile: requester.token
provider:
  listen: %s
  previewBase: https://%s
  tls: {certificate: tls.cert.pem, key: tls.key.pem}
  login:
    oidc: {FR: fr-oidc.json}
    saml: {nodes: {BE: be-saml.json}, signingKey: saml-sign.key.pem, signingCertificate: saml-sign.cert.pem,
           encryptionKey: saml-enc.key.pem, encryptionCertificate: saml-enc.cert.pem}
  providers:
    - agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: FR-EP-1, name: Mairie, country: FR}
      evidenceTypes: [{classification: "https://sr.example/et/1", formats: [{format: application/pdf}], dataService: "http://127.0.0.1:1/oots"}]
`, preview, preview))
	cfg, err := os.ReadFile("fr/oots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeSecret(t, "fr/oots.yaml", bytes.Replace(cfg, []byte("api:\n"), []byte("api:\n  listen: "+api+"\n"), 1))
	startServeCLI(t, []string{"serve", "-config", "fr/oots.yaml"})

	status := func(u, bearer string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	spec := requester.APIPrefix + "/openapi.json"
	if s := status("http://"+api+spec, ""); s != http.StatusOK {
		t.Errorf("the requester API's description on api.listen: HTTP %d, want 200", s)
	}
	if s := status("http://"+public+spec, ""); s != http.StatusNotFound {
		t.Errorf("the requester API on the public listener: HTTP %d, want 404", s)
	}
	journey := requester.APIPrefix + "/journeys/00000000-0000-4000-8000-000000000000"
	if s := status("http://"+api+journey, ""); s != http.StatusUnauthorized {
		t.Errorf("the requester API without its token: HTTP %d, want 401", s)
	}
	if s := status("http://"+api+journey, token); s == http.StatusUnauthorized {
		t.Errorf("the requester API with its token: HTTP %d", s)
	}

	roots := x509.NewCertPool()
	roots.AddCert(previewCert)
	browser := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := browser.Get("https://" + preview + saml.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(md, []byte("EntityDescriptor")) || !bytes.Contains(md, []byte("https://"+preview+saml.ACSPath)) {
		t.Errorf("the preview space's SAML metadata: HTTP %d\n%.600s", resp.StatusCode, md)
	}
}

// TestServeRequesterDiscovery: without base URLs, the requester finds this
// Member State's Common Services through the commonServices section (DNS
// NAPTR on our DNS server, HTTPS with the TLS profile, answers signed under
// commonServices.trust), and a journey started through its REST API gets
// the procedure's requirements from them.
func TestServeRequesterDiscovery(t *testing.T) {
	const zone = "cs.serve.test"
	t.Chdir(t.TempDir())
	public := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if code, out, errOut := runCLI(t, "init", "-dir", "de", "-name", "AP_DE_01", "-profile", "as4-2.0", "-listen", public); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	srv := commonServicesTLS(t, "de")
	dns, err := dnsserver.Start(dnsserver.Config{Zone: zone, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dns.Close() })
	for _, svc := range []string{"eb", "dsd"} {
		rec := csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Regexp: "!^.*$!" + srv.URL + "/!"}
		if err := dns.SetNAPTR("de."+svc+".v2.cs.acc."+zone, []csdiscovery.NAPTR{rec}); err != nil {
			t.Fatal(err)
		}
	}
	token := "a-requester-token-0123"
	writeSecret(t, "de/requester.token", []byte(token))
	appendFile(t, "de/oots.yaml", `commonServices: {environment: acceptance, country: DE, dns: `+dns.Addr()+`, zone: `+zone+`, dnssec: off, trust: [cs-root.pem], tlsRoots: [cs-tls.pem]}
requester:
  agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: DE-ER-1, name: Portal, country: DE}
  tokenFile: requester.token
`)
	startServeCLI(t, []string{"serve", "-config", "de/oots.yaml"})
	who := eid.NaturalPerson{Identifier: "FR/DE/1234567890", FamilyName: "Dupont", GivenName: "Marie", DateOfBirth: "1985-04-12"}
	c := &requester.Client{BaseURL: "http://" + public, Token: token}
	j, err := c.Start(context.Background(), requester.StartRequest{Procedure: "R1", Country: "FR",
		Subject: eid.Subject{Person: &who, LoA: eid.LoASubstantial, Country: "FR"}, ReturnURL: "https://portal.de.example/return"})
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Requirements) == 0 || len(j.Requirements[0].EvidenceTypes) == 0 {
		t.Fatalf("no requirement or evidence type from the discovered Common Services: %+v", j)
	}
}

// TestInitNodeSections: oots init writes the national node's sections as
// comments; uncommented, they name only fields of the configuration.
func TestInitNodeSections(t *testing.T) {
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "init", "-dir", dir, "-name", "AP_FR_01", "-profile", "as4-2.0"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "oots.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "\n# journal:")
	if !ok {
		t.Fatalf("oots init wrote no journal section:\n%s", b)
	}
	var yml strings.Builder
	for _, line := range strings.Split("# journal:"+block, "\n") {
		yml.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ") + "\n")
	}
	var c serveConfig
	dec := yaml.NewDecoder(strings.NewReader(yml.String()))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("the commented sections: %v\n%s", err, yml.String())
	}
	if c.Journal == nil || c.Requester == nil || c.Provider == nil || len(c.Provider.Providers) != 1 || len(c.Provider.Providers[0].EvidenceTypes) != 1 {
		t.Errorf("the commented sections lack a field:\n%s", yml.String())
	}
}

// TestLoopback: the listener and URL checks that let plain http through to
// this machine only agree on what this machine is, with or without a port.
func TestLoopback(t *testing.T) {
	for _, c := range []struct {
		addr, url string
		want      bool
	}{
		{"127.0.0.1:80", "http://127.0.0.1/cs", true},
		{"127.0.0.1:80", "http://127.0.0.1:8080/cs", true},
		{"localhost:80", "http://localhost/cs", true},
		{"LOCALHOST:80", "http://LocalHost/cs", true},
		{"[::1]:80", "http://[::1]/cs", true},
		{"127.1.2.3:80", "http://127.1.2.3/cs", true},
		{"0.0.0.0:80", "http://0.0.0.0/cs", false},
		{"192.0.2.1:80", "http://192.0.2.1/cs", false},
		{"localhost.example:80", "http://localhost.example/cs", false},
	} {
		if got := loopback(c.addr); got != c.want {
			t.Errorf("loopback(%q) = %v, want %v", c.addr, got, c.want)
		}
		if got := loopbackURL(c.url); got != c.want {
			t.Errorf("loopbackURL(%q) = %v, want %v", c.url, got, c.want)
		}
	}
	if loopback("127.0.0.1") {
		t.Error("loopback of an address without a port: want false (a listener needs host:port)")
	}
}
