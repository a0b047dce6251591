package provider_test

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
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/xmltree"
)

// sender stands in for the access point: it records the submissions (one
// per client key, as ap.Node does) and can be told to fail.
type sender struct {
	mu   sync.Mutex
	subs []*ap.Submission
	keys map[string]bool
	fail error
}

func (s *sender) Submit(_ context.Context, sub *ap.Submission) (*ap.Status, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, false, s.fail
	}
	if s.keys == nil {
		s.keys = map[string]bool{}
	}
	if s.keys[sub.ClientKey] {
		return &ap.Status{ClientKey: sub.ClientKey, State: "queued"}, false, nil
	}
	s.keys[sub.ClientKey] = true
	s.subs = append(s.subs, sub)
	return &ap.Status{ClientKey: sub.ClientKey, State: "queued"}, true, nil
}

func (s *sender) all() []*ap.Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*ap.Submission(nil), s.subs...)
}

// fakeIdP stands in for the identity provider (package idp): Begin sends
// the browser straight back to the callback with a code naming the subject
// the test chose; Finish returns that subject.
type fakeIdP struct {
	mu   sync.Mutex
	next *eid.Subject
	subs map[string]*eid.Subject
	n    int
}

func (f *fakeIdP) as(s *eid.Subject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = s
}

func (f *fakeIdP) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[string]*eid.Subject{}
	}
	f.n++
	code := fmt.Sprintf("code%d", f.n)
	f.subs[code] = f.next
	http.Redirect(w, r, callback+"?code="+code+"&state="+url.QueryEscape(state), http.StatusFound)
}

func (f *fakeIdP) Finish(r *http.Request) (*eid.Subject, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.subs[r.URL.Query().Get("code")]
	if !ok || s == nil {
		return nil, "", errors.New("fake idp: unknown code")
	}
	delete(f.subs, r.URL.Query().Get("code"))
	return s, r.URL.Query().Get("state"), nil
}

// recorder stands in for the journal: it keeps the records.
type recorder struct {
	mu   sync.Mutex
	recs []journal.Record
}

func (j *recorder) Append(_ context.Context, r journal.Record) (*journal.Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.recs = append(j.recs, r)
	return &journal.Entry{}, nil
}

// has reports whether an event was journalled with the outcome (any
// outcome when empty).
func (j *recorder) has(event string, outcome ...string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.recs {
		if r.Event == event && (len(outcome) == 0 || r.Outcome == outcome[0]) {
			return true
		}
	}
	return false
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a provider connector of the demo country DE with a preview space
// on a real TLS server.
type env struct {
	t       testing.TB
	dsn     string
	db      *store.DB
	conn    *provider.Connector
	send    *sender
	idp     *fakeIdP
	journal *recorder
	clock   *clock
	srv     *httptest.Server
	handler http.Handler
	hmu     sync.Mutex
	auths   []provider.Authority
	records *provider.Records
	mutate  func(*provider.Config)
}

const country = "DE"

func newEnv(t testing.TB, dsn string, mutate func(*provider.Config)) *env {
	t.Helper()
	ctx := context.Background()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "provider.db")
	}
	recs, err := demo.Records(ctx, country)
	if err != nil {
		t.Fatal(err)
	}
	auths, err := demo.Authorities(ctx, country, recs)
	if err != nil {
		t.Fatal(err)
	}
	// A provider of the same evidence under a 2.0 Semantic Repository URI
	// (the demo data set follows TDD 1.0).
	birth := auths[0]
	v2 := provider.Authority{Agent: birth.Agent, DataService: alias{recs, birth.EvidenceTypes[0].Classification},
		EvidenceTypes: []provider.ServedType{{Classification: v2Classification, Formats: birth.EvidenceTypes[0].Formats}}, MinLoA: eid.LoASubstantial}
	v2.Agent.Identifier.Value = "DE-EP-V2"
	auths = append(auths, v2)
	e := &env{t: t, dsn: dsn, send: &sender{}, idp: &fakeIdP{}, journal: &recorder{}, auths: auths, records: recs, mutate: mutate,
		clock: &clock{t: time.Now().UTC().Truncate(time.Millisecond)}}
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hmu.Lock()
		h := e.handler
		e.hmu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.start()
	return e
}

// start opens the database and a new connector on it (again, after stop:
// a restart).
func (e *env) start() {
	e.t.Helper()
	db, err := store.Open(context.Background(), e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := provider.Config{DB: db, Sender: e.send, Providers: e.auths, PreviewBase: e.srv.URL,
		ReturnAllow: []string{"https://portal.example.fr/"}, Authenticator: e.idp, Journal: e.journal,
		Now: e.clock.Now}
	if e.mutate != nil {
		e.mutate(&cfg)
	}
	conn, err := provider.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db, e.conn = db, conn
	e.hmu.Lock()
	e.handler = conn.Handler()
	e.hmu.Unlock()
	e.t.Cleanup(func() { db.Close() })
}

func (e *env) restart() {
	e.db.Close()
	e.start()
}

func (e *env) authority(id string) provider.Authority {
	for _, a := range e.auths {
		if a.Agent.Identifier.Value == id {
			return a
		}
	}
	e.t.Fatalf("no authority %s", id)
	return provider.Authority{}
}

const v2Classification = "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/4c0ba2a4-6c8d-4a8a-9d0f-1b2c3d4e5f60"

// alias serves a data service's evidence type under another classification.
type alias struct {
	ds provider.DataService
	to string
}

func (a alias) Find(ctx context.Context, q provider.Query) (*provider.Result, error) {
	q.EvidenceType = a.to
	return a.ds.Find(ctx, q)
}

func newUUID() string {
	s, err := uuid.New(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s
}

// user returns the demo user of DE with the given local identifier.
func user(t testing.TB, local string) idp.User {
	t.Helper()
	for _, u := range demo.Users(country) {
		if u.Local == local {
			return u
		}
	}
	t.Fatalf("no demo user %s", local)
	return idp.User{}
}

const (
	anna    = "3f8a2c61d9" // Anna Müller; b71e04f5a2 has the same names and birth date
	anna2   = "b71e04f5a2"
	juergen = "5c29d8e310" // represents Weiß Maschinenbau GmbH
)

// subject is the login of a demo user at the preview space.
func subject(u idp.User, loa eid.LoA) *eid.Subject {
	p := u.Identified(country)
	return &eid.Subject{Person: &p, LoA: loa, Issuer: "fake", Country: country, AuthTime: time.Now()}
}

// request is an evidence request of a French portal to provider ep for the
// demo user u (identified for a French relying party).
func (e *env) request(v edm.Version, ep string, u idp.User) *edm.QueryRequest {
	e.t.Helper()
	if v.Is2() && ep == "DE-EP-BERLIN1" {
		ep = "DE-EP-V2"
	}
	auth := e.authority(ep)
	q := edm.NewQueryRequest(v, newUUID(), e.clock.Now())
	q.Procedure = "R1"
	if !v.Is2() {
		q.ProcedureLang, q.Lang = "EN", "EN"
	}
	q.PossibilityForPreview = true
	q.ExplicitRequestGiven = true
	sr := "https://sr.oots.tech.europa.eu/"
	if v.Is2() {
		sr = "https://sr.oots.tech.ec.europa.eu/"
	}
	q.Requirements = []edm.Requirement{{Identifier: edm.ID(sr + "requirements/" + newUUID()), Name: []edm.Text{edm.Lang("EN", "Proof of birth")}}}
	q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "FR-ER-1"),
		Name: []edm.Text{edm.Lang("FR", "Mairie de Paris")}, Address: &edm.Address{AdminUnitLevel1: "FR"}, Classification: "ER"}} // the address with its country: R-EDM-REQ-C073 in 2.0
	q.EvidenceProvider = &edm.Agent{Identifier: auth.Agent.Identifier, Name: auth.Agent.Name}
	p := u.Identified("FR")
	q.NaturalPerson = &edm.Person{LevelOfAssurance: "High", Identifier: &edm.Identifier{SchemeID: "eidas", Value: p.Identifier},
		FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth}
	t := auth.EvidenceTypes[0]
	q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: edm.ID(newUUID()), EvidenceTypeClassification: t.Classification,
		Title: []edm.Text{edm.Lang("EN", "Certificate of birth")}, DistributedAs: []edm.Distribution{{Format: "application/pdf"}}}
	return q
}

func (e *env) message(q *edm.QueryRequest, conversation, exchangeID string) *ap.ReceivedMessage {
	e.t.Helper()
	m := &exchange.Message{To: "AP-DE", ConversationID: conversation, ExchangeID: exchangeID,
		OriginalSender: q.EvidenceRequester[0].Identifier, FinalRecipient: q.EvidenceProvider.Identifier, Request: q}
	s, err := m.Submission(exchange.DefaultLegs(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return &ap.ReceivedMessage{Header: ap.Header{MessageID: newUUID() + "@fr.example", Timestamp: e.clock.Now(), ConversationID: conversation,
		Leg: s.Leg, From: "AP-FR", To: "AP-DE", Action: exchange.ActionRequest, Properties: s.Properties}, Received: e.clock.Now(), Payloads: s.Payloads}
}

func (e *env) deliver(rm *ap.ReceivedMessage) {
	e.t.Helper()
	if err := e.conn.Deliver(context.Background(), rm); err != nil {
		e.t.Fatal(err)
	}
}

// answers returns the messages sent since the n-th, read back as the
// requester's connector reads them and checked with the official rules.
func (e *env) answers(from int) []*exchange.Message {
	e.t.Helper()
	var out []*exchange.Message
	for _, s := range e.send.all()[from:] {
		action := map[string]string{exchange.DefaultLegs().Response: exchange.ActionResponse, exchange.DefaultLegs().Error: exchange.ActionError}[s.Leg]
		if action == "" {
			e.t.Fatalf("answer on leg %q", s.Leg)
		}
		rm := &ap.ReceivedMessage{Header: ap.Header{MessageID: newUUID(), RefToMessageID: s.RefToMessageID, ConversationID: s.ConversationID,
			From: "AP-DE", To: s.To, Action: action, Properties: s.Properties}, Payloads: s.Payloads}
		m, err := exchange.Incoming(rm)
		if err != nil {
			e.t.Fatalf("answer %s does not read back: %v\n%s", s.ClientKey, err, s.Payloads[0].Data)
		}
		checkRules(e.t, m.Document)
		m.To = s.To
		out = append(out, m)
	}
	return out
}

// checkRules runs the official rules of the document's kind and version on
// it with our engine: no fatal or error finding. One finding is a defect of
// the official TDD 1.0 file EDM-ERR-C.sch, not of the message: its
// R-EDM-ERR-C022 compares the PreviewLocation slot with the number 1
// ("count(rim:Slot[@name='PreviewLocation']=1)"), which raises a dynamic
// error (FORG0001) on every preview request, in Saxon as in our engine.
func checkRules(t testing.TB, doc []byte) {
	t.Helper()
	m, _, err := edm.ParseBytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := schematron.ForKind(string(m.Kind()), string(m.Version()))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := xmltree.ParseBytes(doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rs.Validate(tree) {
		if f.Rule == schematron.RuleEvaluationError && strings.Contains(f.Message, "R-EDM-ERR-C022") && !m.Version().Is2() {
			continue
		}
		if f.Flag == check.Fatal || f.Flag == check.Error {
			t.Errorf("%s %s: %s %s %s: %s", m.Kind(), m.Version(), f.Rule, f.Flag, f.Location, f.Message)
		}
	}
}

// official is a document for verify, with the official rule files not to
// run on it, each with its reason.
type official struct {
	doc  []byte
	skip map[string]string
}

// verify runs the independent verifier (Saxon, in one JVM run) with the
// official TDD 1.0 rule files of each document's kind.
func verify(t *testing.T, list ...official) {
	t.Helper()
	docs := map[string][]byte{}
	rules := map[string][]string{}
	kinds := map[string]edm.Kind{}
	for i, o := range list {
		m, _, err := edm.ParseBytes(o.doc)
		if err != nil {
			t.Fatal(err)
		}
		files, err := schematron.Files(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("document %d", i)
		docs[name], kinds[name] = o.doc, m.Kind()
		for _, f := range files {
			base := filepath.Base(f)
			if why, ok := o.skip[base]; ok {
				t.Logf("%s: %s not run: %s", name, base, why)
				continue
			}
			sch := testenv.Spec(t, "tdd-1.0/sch/"+base)
			rules[sch] = append(rules[sch], name)
		}
	}
	saxontest.Errors(saxontest.Run(t, docs, rules), func(sch, name string, f saxontest.Fired) {
		t.Errorf("%s (%s): Saxon %s: %s %s %s", name, kinds[name], sch, f.ID, f.Flag, f.Location)
	})
}

func exceptionOf(t testing.TB, m *exchange.Message) *edm.Exception {
	t.Helper()
	if m.Error == nil || len(m.Error.Exceptions) != 1 {
		t.Fatalf("not an error answer: %+v", m)
	}
	return m.Error.Exceptions[0]
}

// browser is a user agent with cookies that does not follow redirects
// away from the preview space.
type browser struct {
	t      testing.TB
	c      *http.Client
	origin string
	lang   string // Accept-Language, when set
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a browser of its own: own cookies, own redirect policy
	c.Jar = jar
	u, _ := url.Parse(e.srv.URL)
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != u.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &browser{t: e.t, c: &c, origin: e.srv.URL}
}

type page struct {
	status int
	body   string
	hdr    http.Header
	url    *url.URL
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &page{status: resp.StatusCode, body: string(body), hdr: resp.Header, url: resp.Request.URL}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.origin + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.origin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loginAndSee opens the preview link, logs in as s and returns the
// preview page.
func (b *browser) loginAndSee(e *env, link string, s *eid.Subject) *page {
	b.t.Helper()
	start := b.get(link)
	if start.status != http.StatusOK || !strings.Contains(start.body, "/login") {
		b.t.Fatalf("start page: %d\n%s", start.status, start.body)
	}
	token := tokenOf(b.t, link)
	e.idp.as(s)
	return b.get("/preview/" + token + "/login")
}

func tokenOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/preview/")
}

// decide posts the decision from a preview page.
func (b *browser) decide(token string, p *page, decision string) *page {
	b.t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", p.body)
	}
	return b.post("/preview/"+token+"/decide", url.Values{"csrf": {m[1]}, "decision": {decision}})
}
