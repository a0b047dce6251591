package requester_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
)

// requesterParty is the P-Mode name of the requester's access point.
const requesterParty = "AP-REQ"

// commonServices starts the Evidence Broker and the DSD with the demo data
// behind a TLS server and returns a client of them.
func commonServices(t testing.TB) *csclient.Client {
	t.Helper()
	reg := cstest.DemoRegistry(t)
	signer, roots := cstest.Signer(t)
	ebh, err := eb.NewHandler(eb.Config{Registry: reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	dsdh, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/eb/", ebh)
	mux.Handle("/dsd/", dsdh)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	c, err := csclient.New(csclient.Config{EBURL: srv.URL + "/", DSDURL: srv.URL + "/", Trust: roots, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sqliteDSN returns the DSN of a new SQLite database file.
func sqliteDSN(t testing.TB) string { return filepath.Join(t.TempDir(), "node.db") }

func openDB(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recordingSender stands in for the access point: it keeps the
// submissions, gives each an eb:MessageId unless the submission names
// itself (and names messages for the connector, as ap.Node does), and is
// idempotent on the client key like ap.Node.Submit. taken, when set, runs
// once the message is taken and before Submit returns, as a partner that
// answers at once can.
type recordingSender struct {
	mu    sync.Mutex
	subs  []*ap.Submission
	byKey map[string]*ap.Status
	fail  error
	taken func(*ap.Submission)
}

func (s *recordingSender) MessageIDFor(clientKey string) string {
	return "named-" + strings.NewReplacer(":", "-", "/", "-").Replace(clientKey) + "@requester.test"
}

func (s *recordingSender) Submit(ctx context.Context, sub *ap.Submission) (*ap.Status, bool, error) {
	st, created, c, err := s.submit(sub)
	if created && s.taken != nil {
		s.taken(c)
	}
	return st, created, err
}

func (s *recordingSender) submit(sub *ap.Submission) (*ap.Status, bool, *ap.Submission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, false, nil, s.fail
	}
	if s.byKey == nil {
		s.byKey = map[string]*ap.Status{}
	}
	if st, ok := s.byKey[sub.ClientKey]; ok && sub.ClientKey != "" {
		return st, false, nil, nil
	}
	c := *sub
	if c.MessageID == "" {
		c.MessageID = fmt.Sprintf("msg-%d@requester.test", len(s.subs)+1)
	}
	s.subs = append(s.subs, &c)
	st := &ap.Status{MessageID: c.MessageID, ClientKey: c.ClientKey, Leg: c.Leg, To: c.To, State: "queued"}
	if c.ClientKey != "" {
		s.byKey[c.ClientKey] = st
	}
	return st, true, &c, nil
}

func (s *recordingSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// last returns the last submission, read back as the provider's access
// point would deliver it.
func (s *recordingSender) last(t testing.TB) (*ap.Submission, *exchange.Message) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.subs) == 0 {
		t.Fatal("nothing was sent")
	}
	sub := s.subs[len(s.subs)-1]
	m, err := exchange.Incoming(received(sub, requesterParty, exchange.ActionRequest))
	if err != nil {
		t.Fatalf("the request sent does not read back: %v", err)
	}
	return sub, m
}

// received is a submission as the receiving access point hands it to its
// backend.
func received(sub *ap.Submission, from, action string) *ap.ReceivedMessage {
	return &ap.ReceivedMessage{Header: ap.Header{MessageID: sub.MessageID, ConversationID: sub.ConversationID, RefToMessageID: sub.RefToMessageID,
		Leg: sub.Leg, From: from, To: sub.To, Action: action, Properties: sub.Properties, Timestamp: time.Now()},
		Received: time.Now(), Payloads: sub.Payloads}
}

// remoteProvider is a test double of the remote evidence provider behind
// its access point: it answers a request as the provider's connector would,
// and the answer comes to the requester as its access point delivers it.
type remoteProvider struct {
	n   int
	now time.Time
	// conformsTo is the data model the evidence's distribution names.
	conformsTo string
	// href, when set, writes the RepositoryItemRef of a payload's
	// Content-ID (default "cid:" + the Content-ID).
	href func(contentID string) string
}

func (p *remoteProvider) agent(req *edm.QueryRequest, class string) edm.Agent {
	a := *req.EvidenceProvider
	a.Classification = class
	return a
}

// answer wraps an answer document as the message the requester's access
// point receives.
func (p *remoteProvider) answer(t testing.TB, sub *ap.Submission, req *exchange.Message, m *exchange.Message) *ap.ReceivedMessage {
	t.Helper()
	p.n++
	m.To = requesterParty
	m.ConversationID, m.ExchangeID, m.RefToMessageID = req.ConversationID, req.ExchangeID, sub.MessageID
	m.OriginalSender, m.FinalRecipient = req.FinalRecipient, req.OriginalSender
	s, err := m.Submission(exchange.DefaultLegs(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.MessageID = fmt.Sprintf("answer-%d@provider.test", p.n)
	return received(s, sub.To, m.Action())
}

func (p *remoteProvider) uuid() string {
	p.n++
	return fmt.Sprintf("6b0e2f1c-0000-4000-8000-%012d", p.n)
}

// preview answers EDM:ERR:0002 with a PreviewLocation.
func (p *remoteProvider) preview(t testing.TB, sub *ap.Submission, req *exchange.Message, location string) *ap.ReceivedMessage {
	exc := edm.NewException("EDM:ERR:0002", "The evidence provider needs the user to preview the evidence")
	exc.Severity = edm.SeverityPreviewRequired
	exc.PreviewLocation = location
	exc.PreviewDescription = []regrep.LocalizedString{{Lang: "EN", Value: "Preview the evidence"}}
	if !req.Request.Version().Is2() {
		exc.PreviewMethod = "GET"
	}
	e := edm.NewErrorResponse(req.Request, p.uuid(), p.agent(req.Request, "ERRP"), exc, p.time())
	return p.answer(t, sub, req, &exchange.Message{Error: e})
}

// refuse answers an error: the user did not approve.
func (p *remoteProvider) refuse(t testing.TB, sub *ap.Submission, req *exchange.Message) *ap.ReceivedMessage {
	exc := edm.NewException("EDM:ERR:0002", "the user did not approve the exchange of the evidence")
	exc.Severity = edm.SeverityError
	e := edm.NewErrorResponse(req.Request, p.uuid(), p.agent(req.Request, "ERRP"), exc, p.time())
	return p.answer(t, sub, req, &exchange.Message{Error: e})
}

func (p *remoteProvider) time() time.Time {
	if p.now.IsZero() {
		return time.Now()
	}
	return p.now
}

// evidence answers the evidence: a PDF attachment.
func (p *remoteProvider) evidence(t testing.TB, sub *ap.Submission, req *exchange.Message, data []byte) *ap.ReceivedMessage {
	q := req.Request
	r := edm.NewQueryResponse(q, p.uuid(), p.time())
	ep := p.agent(q, "EP")
	r.EvidenceProvider = []edm.Agent{ep}
	about := &edm.IsAbout{NaturalPerson: q.NaturalPerson, LegalPerson: q.LegalPerson}
	if about.NaturalPerson != nil {
		np := *about.NaturalPerson
		np.LevelOfAssurance = ""
		about.NaturalPerson = &np
	}
	if about.LegalPerson != nil {
		lp := *about.LegalPerson
		lp.LevelOfAssurance = ""
		about.LegalPerson = &lp
	}
	ia := *q.EvidenceProvider
	md := edm.Evidence{Identifier: edm.ID(p.uuid()), IsAbout: about, IssuingAuthority: &ia,
		IsConformantTo: &edm.EvidenceType{EvidenceTypeClassification: q.EvidenceRequest.EvidenceTypeClassification, Title: q.EvidenceRequest.Title},
		IssuingDate:    "2024-01-15",
		Distribution:   []edm.Distribution{{Format: q.EvidenceRequest.DistributedAs[0].Format, Language: []string{"EN"}, ConformsTo: p.conformsTo}}}
	cid := "evidence-1@provider.test"
	role := ""
	if q.Version().Is2() {
		role = edm.RoleMainEvidence
	}
	href := "cid:" + cid
	if p.href != nil {
		href = p.href(cid)
	}
	obj := edm.NewEvidenceObject("urn:uuid:"+p.uuid(), md, href, "Certificate", role, "urn:uuid:"+p.uuid())
	if q.Version().Is2() {
		pkg := &edm.Package{Evidence: []*edm.EvidenceObject{obj}}
		pkg.ID = "urn:uuid:" + p.uuid()
		r.Packages = []*edm.Package{pkg}
	} else {
		r.Evidence = []*edm.EvidenceObject{obj}
	}
	m := &exchange.Message{Response: r, Attachments: []exchange.Attachment{{ContentID: cid, MimeType: q.EvidenceRequest.DistributedAs[0].Format, Data: data}}}
	return p.answer(t, sub, req, m)
}

// fixture is a connector with its database, access point double and
// Common Services.
type fixture struct {
	t       testing.TB
	dsn     string
	cs      requester.CommonServices
	sender  *recordingSender
	clock   *clock
	journal *journal.Journal
	conn    *requester.Connector
	cfg     requester.Config
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// requesterAgent has the address with the country that EDM 2.0 requires of
// the requester (R-EDM-REQ-C073).
var requesterAgent = edm.Agent{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "12345678900012"),
	Name: []edm.Text{edm.Lang("EN", "Portail des démarches")}, Address: &edm.Address{AdminUnitLevel1: "FR"}}

func newFixture(t testing.TB, dsn string, cs requester.CommonServices, edit func(*requester.Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, dsn: dsn, cs: cs, sender: &recordingSender{}, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	db := openDB(t, dsn)
	j, err := journal.Open(context.Background(), db, journal.Config{Key: make([]byte, 32), Node: "requester-test"})
	if err != nil {
		t.Fatal(err)
	}
	f.journal = j
	f.cfg = requester.Config{DB: db, Sender: f.sender, Services: cs, Requester: requesterAgent, Journal: j,
		Route: func(id edm.Identifier) (string, error) {
			if !strings.HasPrefix(id.Value, "AP-") {
				return "", fmt.Errorf("no P-Mode party for %s", id.Value)
			}
			return id.Value, nil
		},
		Now: f.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if edit != nil {
		edit(&f.cfg)
	}
	f.conn = f.connector()
	return f
}

// connector returns a new connector on the fixture's database (a restart).
func (f *fixture) connector() *requester.Connector {
	f.t.Helper()
	c, err := requester.New(context.Background(), f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func person() eid.Subject {
	return eid.Subject{Person: &eid.NaturalPerson{Identifier: "DE/FR/1234567890", FamilyName: "Mustermann", GivenName: "Erika",
		DateOfBirth: "1984-08-12", PlaceOfBirth: "Köln", Gender: "Female"}, LoA: eid.LoASubstantial, Issuer: "demo-idp", Country: "DE",
		AuthTime: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
}

func company() eid.Subject {
	s := person()
	s.Company = &eid.LegalPerson{Identifier: "SE/FR/5560360793", LegalName: "Exempel AB", VATRegistration: "SE556036079301"}
	return s
}

func start(procedure, country string, s eid.Subject) requester.StartRequest {
	return requester.StartRequest{Procedure: procedure, Country: country, Subject: s, ReturnURL: "https://portal.example/return"}
}
