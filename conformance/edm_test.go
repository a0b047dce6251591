package conformance_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/store"
)

// providerNode is an evidence provider's node composed for the test: the
// real provider connector (package provider) with the demo registers of DE
// and its preview space on a real TLS server. It implements
// conformance.EDMNode by handing each request to the connector as its
// access point would, and reading back each submitted answer as the
// requester's access point would receive it.
type providerNode struct {
	conn *provider.Connector
	srv  *httptest.Server
	idp  *fakeIdP

	mu      sync.Mutex
	answers []*exchange.Message
	keys    map[string]bool
	wake    chan struct{}
}

// Submit is the access point of the node: each answer (once per client
// key) goes to the kit.
func (n *providerNode) Submit(_ context.Context, s *ap.Submission) (*ap.Status, bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.keys[s.ClientKey] {
		return &ap.Status{ClientKey: s.ClientKey, State: "queued"}, false, nil
	}
	n.keys[s.ClientKey] = true
	action := map[string]string{exchange.DefaultLegs().Response: exchange.ActionResponse, exchange.DefaultLegs().Error: exchange.ActionError}[s.Leg]
	rm := &ap.ReceivedMessage{Header: ap.Header{MessageID: newUUID() + "@de.example", RefToMessageID: s.RefToMessageID, ConversationID: s.ConversationID,
		From: "AP-DE", To: s.To, Action: action, Properties: s.Properties}, Payloads: s.Payloads}
	m, err := exchange.Incoming(rm)
	if err != nil {
		return nil, false, err
	}
	n.answers = append(n.answers, m)
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return &ap.Status{ClientKey: s.ClientKey, State: "queued"}, true, nil
}

func (n *providerNode) Send(ctx context.Context, m *exchange.Message) (string, error) {
	s, err := m.Submission(exchange.DefaultLegs(), "")
	if err != nil {
		return "", err
	}
	id := newUUID() + "@fr.example"
	rm := &ap.ReceivedMessage{Header: ap.Header{MessageID: id, Timestamp: time.Now(), ConversationID: m.ConversationID,
		Leg: s.Leg, From: "AP-FR", To: "AP-DE", Action: exchange.ActionRequest, Properties: s.Properties}, Received: time.Now(), Payloads: s.Payloads}
	return id, n.conn.Deliver(ctx, rm)
}

func (n *providerNode) Next(ctx context.Context, conversation string) (*exchange.Message, error) {
	for {
		n.mu.Lock()
		for i, m := range n.answers {
			if m.ConversationID == conversation {
				n.answers = append(n.answers[:i], n.answers[i+1:]...)
				n.mu.Unlock()
				return m, nil
			}
		}
		n.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-n.wake:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fakeIdP logs the browser in as the subject the preview user names.
type fakeIdP struct {
	mu      sync.Mutex
	subject *eid.Subject
}

func (f *fakeIdP) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	http.Redirect(w, r, callback+"?code=c&state="+url.QueryEscape(state), http.StatusFound)
}

func (f *fakeIdP) Finish(r *http.Request) (*eid.Subject, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subject == nil {
		return nil, "", errors.New("fake idp: nobody logs in")
	}
	return f.subject, r.URL.Query().Get("state"), nil
}

// browserUser is the user at the preview space: a browser with its own
// cookies that logs in, reads the CSRF token of the preview page and posts
// the decision.
type browserUser struct {
	srv *httptest.Server
	idp *fakeIdP
}

// subject is the login of the DE demo user whose identifier in a French
// request is as.
func (u *browserUser) subject(as string) (*eid.Subject, error) {
	for _, d := range demo.Users("DE") {
		if d.Identified("FR").Identifier == as {
			p := d.Identified("DE")
			return &eid.Subject{Person: &p, LoA: eid.LoAHigh, Issuer: "fake", Country: "DE", AuthTime: time.Now()}, nil
		}
	}
	return nil, fmt.Errorf("no DE demo user is %s", as)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (u *browserUser) Decide(ctx context.Context, loc, as string, d conformance.Decision) error {
	subject, err := u.subject(as)
	if err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	c := *u.srv.Client()
	c.Jar = jar
	get := func(link string) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if st, _, err := get(loc); err != nil || st != http.StatusOK {
		return fmt.Errorf("the preview link answers %d: %v", st, err)
	}
	u.idp.mu.Lock()
	u.idp.subject = subject
	u.idp.mu.Unlock()
	st, page, err := get(loc + "/login")
	m := csrfRE.FindStringSubmatch(page)
	if d == conformance.LogInOnly {
		if err == nil && m != nil {
			return errors.New("the preview space shows the evidence and a decision form to " + as)
		}
		return err
	}
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("the preview login answers %d: %v", st, err)
	}
	if m == nil {
		return errors.New("the preview page has no decision form")
	}
	form := url.Values{"csrf": {m[1]}, "decision": {string(d)}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, loc+"/decide", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the decision was answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// failing is a register that cannot answer (TC03: base registry error).
type failing struct{}

func (failing) Find(context.Context, provider.Query) (*provider.Result, error) {
	return nil, errors.New("the register is down")
}

func newUUID() string {
	s, err := uuid.New(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s
}

// newConnector is the provider connector of the test nodes: the DE demo
// providers, plus one without preview, one whose register fails, and a
// second provider of the same evidence (for the cases with two providers),
// with its preview space on a real TLS server.
func newConnector(t *testing.T, sender provider.Sender) (*provider.Connector, *httptest.Server, *fakeIdP, provider.Authority) {
	t.Helper()
	ctx := context.Background()
	recs, err := demo.Records(ctx, "DE")
	if err != nil {
		t.Fatal(err)
	}
	auths, err := demo.Authorities(ctx, "DE", recs)
	if err != nil {
		t.Fatal(err)
	}
	var birth provider.Authority
	for _, a := range auths {
		if a.Agent.Identifier.Value == "DE-EP-BERLIN1" {
			birth = a
		}
	}
	if birth.DataService == nil {
		t.Fatal("no demo provider DE-EP-BERLIN1")
	}
	direct, broken, second, company := birth, birth, birth, demoAuthority(t, "DE-EP-X1")
	direct.Agent.Identifier.Value, direct.WithoutPreview = "DE-EP-DIRECT", true
	company.Agent.Identifier.Value, company.WithoutPreview = "DE-EP-X1-DIRECT", true
	broken.Agent.Identifier.Value, broken.DataService, broken.WithoutPreview = "DE-EP-BROKEN", failing{}, true
	second.Agent.Identifier.Value = "DE-EP-BERLIN2"
	auths = append(auths, direct, broken, second, company)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "provider.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.Lock()
		hh := h
		hmu.Unlock()
		hh.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	idp := &fakeIdP{}
	conn, err := provider.New(provider.Config{DB: db, Sender: sender, Providers: auths, PreviewBase: srv.URL,
		ReturnAllow: []string{"https://portal.example.fr/"}, Authenticator: idp})
	if err != nil {
		t.Fatal(err)
	}
	hmu.Lock()
	h = conn.Handler()
	hmu.Unlock()
	return conn, srv, idp, birth
}

// newProviderNode composes a node of the connector alone: the test hands
// it the requests as its access point would.
func newProviderNode(t *testing.T) (*providerNode, provider.Authority) {
	t.Helper()
	n := &providerNode{keys: map[string]bool{}, wake: make(chan struct{}, 1)}
	var birth provider.Authority
	n.conn, n.srv, n.idp, birth = newConnector(t, n)
	return n, birth
}

// request is an evidence request of a French requester to provider ep about
// the demo user u.
func request(v edm.Version, birth provider.Authority, ep string, u idp.User) *exchange.Message {
	q := edm.NewQueryRequest(v, newUUID(), time.Now())
	q.Procedure = "R1"
	if !v.Is2() {
		q.ProcedureLang, q.Lang = "EN", "EN"
	}
	q.PossibilityForPreview, q.ExplicitRequestGiven = true, true
	q.Requirements = []edm.Requirement{{Identifier: edm.ID("https://sr.oots.tech.europa.eu/requirements/" + newUUID()), Name: []edm.Text{edm.Lang("EN", "Proof of birth")}}}
	q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "FR-ER-1"),
		Name: []edm.Text{edm.Lang("FR", "Mairie de Paris")}, Classification: "ER"}}
	agent := birth.Agent
	agent.Identifier.Value = ep
	q.EvidenceProvider = &edm.Agent{Identifier: agent.Identifier, Name: agent.Name}
	p := u.Identified("FR")
	q.NaturalPerson = &edm.Person{LevelOfAssurance: "High", Identifier: &edm.Identifier{SchemeID: "eidas", Value: p.Identifier},
		FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth}
	q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: edm.ID(newUUID()), EvidenceTypeClassification: birth.EvidenceTypes[0].Classification,
		Title: []edm.Text{edm.Lang("EN", "Certificate of birth")}, DistributedAs: []edm.Distribution{{Format: "application/pdf"}}}
	return &exchange.Message{To: "AP-DE", OriginalSender: q.EvidenceRequester[0].Identifier, FinalRecipient: q.EvidenceProvider.Identifier, Request: q}
}

func demoUser(t *testing.T, local string) idp.User {
	t.Helper()
	for _, u := range demo.Users("DE") {
		if u.Local == local {
			return u
		}
	}
	t.Fatalf("no demo user %s", local)
	return idp.User{}
}

// projectathon returns the scenarios TC01–TC10 that the composed nodes
// can play (EDM 1.0), and three with deliberately wrong expectations that
// the runner must fail, with the failure each must give.
func projectathon(t *testing.T, birth provider.Authority) ([]conformance.Scenario, map[string]string) {
	anna, jurgen := demoUser(t, "3f8a2c61d9"), demoUser(t, "5c29d8e310")
	unknown := anna
	unknown.Local, unknown.Person.FamilyName = "0000000000", "Niemand"
	req := func(ep string, u idp.User) *exchange.Message { return request(edm.V1_0, birth, ep, u) }
	with := func(m *exchange.Message, edit func(q *edm.QueryRequest)) *exchange.Message {
		q := *m.Request
		edit(&q)
		m.Request = &q
		return m
	}
	// TC02: a request about the company Jürgen Weiß represents.
	x1 := demoAuthority(t, "DE-EP-X1")
	company := with(req("DE-EP-X1-DIRECT", anna), func(q *edm.QueryRequest) {
		c := jurgen.Represents[0].Identified("DE", "FR")
		q.Procedure, q.NaturalPerson = "X1", nil
		q.LegalPerson = &edm.LegalPerson{LevelOfAssurance: "High", LegalName: c.LegalName, LegalPersonIdentifier: &edm.Identifier{SchemeID: "eidas", Value: c.Identifier}}
		q.EvidenceRequest.EvidenceTypeClassification = x1.EvidenceTypes[0].Classification
	})
	scenarios := []conformance.Scenario{
		{ID: "TC01", Name: "basic request and response without preview", Requests: []*exchange.Message{req("DE-EP-DIRECT", anna)}, Want: conformance.Expect{Attachments: []string{"application/pdf"}}},
		{ID: "TC02", Name: "basic request and response about a legal person", Requests: []*exchange.Message{company}, Want: conformance.Expect{Attachments: []string{"application/pdf"}}},
		{ID: "TC03a", Name: "no evidence for the subject: EDM:ERR:0004", Requests: []*exchange.Message{req("DE-EP-DIRECT", unknown)}, Want: conformance.Expect{Code: "EDM:ERR:0004"}},
		{ID: "TC03b", Name: "base registry error: EDM:ERR:0008", Requests: []*exchange.Message{req("DE-EP-BROKEN", anna)}, Want: conformance.Expect{Code: "EDM:ERR:0008"}},
		{ID: "TC04", Name: "request without the user's explicit request: EDM:ERR:0003",
			Requests: []*exchange.Message{with(req("DE-EP-DIRECT", anna), func(q *edm.QueryRequest) { q.ExplicitRequestGiven = false })}, Want: conformance.Expect{Code: "EDM:ERR:0003"}},
		{ID: "TC05", Name: "preview needed but not possible: EDM:ERR:0007",
			Requests: []*exchange.Message{with(req("DE-EP-BERLIN1", anna), func(q *edm.QueryRequest) { q.PossibilityForPreview = false })}, Want: conformance.Expect{Code: "EDM:ERR:0007"}},
		{ID: "TC06", Name: "preview, approved: the evidence", Requests: []*exchange.Message{req("DE-EP-BERLIN1", anna)}, Preview: true, Decision: conformance.Approve},
		{ID: "TC07", Name: "preview, refused: EDM:ERR:0008 (1.x)", Requests: []*exchange.Message{req("DE-EP-BERLIN1", anna)}, Preview: true, Want: conformance.Expect{Code: "EDM:ERR:0008"}},
		{ID: "TC08", Name: "two evidence providers in one conversation, both previews approved",
			Requests: []*exchange.Message{req("DE-EP-BERLIN1", anna), req("DE-EP-BERLIN2", anna)}, Preview: true, Decision: conformance.Approve},
		{ID: "TC09", Name: "preview by another person than the subject: EDM:ERR:0001", Requests: []*exchange.Message{req("DE-EP-BERLIN1", anna)},
			Preview: true, Decision: conformance.LogInOnly, PreviewAs: jurgen.Identified("FR").Identifier, Want: conformance.Expect{Code: "EDM:ERR:0001"}},
		{ID: "TC10", Name: "human-readable version of the evidence (PDF)", Requests: []*exchange.Message{req("DE-EP-DIRECT", anna)}, Want: conformance.Expect{Attachments: []string{"application/pdf"}}},
		// Deliberately wrong expectations: the runner must fail them.
		{ID: "WRONG-1", Name: "expects an error where the node answers evidence", Requests: []*exchange.Message{req("DE-EP-DIRECT", anna)}, Want: conformance.Expect{Code: "EDM:ERR:0004"}},
		{ID: "WRONG-2", Name: "expects a preview where there is none", Requests: []*exchange.Message{req("DE-EP-DIRECT", anna)}, Preview: true, Decision: conformance.Approve},
		{ID: "WRONG-3", Name: "expects an XML attachment", Requests: []*exchange.Message{req("DE-EP-DIRECT", anna)}, Want: conformance.Expect{Attachments: []string{"application/xml"}}},
		{ID: "WRONG-4", Name: "the subject logs in but decides nothing", Requests: []*exchange.Message{req("DE-EP-BERLIN1", anna)},
			Preview: true, Decision: conformance.LogInOnly, Want: conformance.Expect{Code: "EDM:ERR:0001"}},
	}
	wantFail := map[string]string{"WRONG-1": "expected EDM:ERR:0004, got an evidence response", "WRONG-2": "expected EDM:ERR:0002 with a PreviewLocation, got an evidence response",
		"WRONG-3": "carries no application/xml attachment", "WRONG-4": "the preview space shows the evidence and a decision form"}
	return scenarios, wantFail
}

// demoAuthority is the DE demo evidence provider id.
func demoAuthority(t *testing.T, id string) provider.Authority {
	t.Helper()
	ctx := context.Background()
	recs, err := demo.Records(ctx, "DE")
	if err != nil {
		t.Fatal(err)
	}
	auths, err := demo.Authorities(ctx, "DE", recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range auths {
		if a.Agent.Identifier.Value == id {
			return a
		}
	}
	t.Fatalf("no DE demo provider %s", id)
	return provider.Authority{}
}

// checkScenarios checks the report of the projectathon scenarios.
func checkScenarios(t *testing.T, rep *conformance.Report, wantFail map[string]string) {
	t.Helper()
	for _, c := range rep.Cases {
		if want, ok := wantFail[c.ID]; ok {
			if c.Status != conformance.Fail || !strings.Contains(c.Reason, want) {
				t.Errorf("%s: %s %q, want a failure saying %q", c.ID, c.Status, c.Reason, want)
			}
			continue
		}
		if c.Status != conformance.Pass {
			t.Errorf("%s %s: %s: %s", c.ID, c.Name, c.Status, c.Reason)
		}
		if len(c.Received) == 0 {
			t.Errorf("%s: nothing received recorded", c.ID)
		}
	}
}

// TestEDMScenarios runs the Projectathon scenarios against the provider
// connector alone: every one passes; and the runner fails a scenario whose
// expectation the node does not meet, with the reason.
func TestEDMScenarios(t *testing.T) {
	node, birth := newProviderNode(t)
	scenarios, wantFail := projectathon(t, birth)
	user := &browserUser{srv: node.srv, idp: node.idp}
	rep, err := conformance.Run(context.Background(), conformance.Config{EDM: &conformance.EDMTarget{Name: "DE provider connector", Node: node, User: user, Scenarios: scenarios, Timeout: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	checkScenarios(t, rep, wantFail)
}
