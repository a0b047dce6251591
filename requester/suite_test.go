package requester_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
)

const apiToken = "s3cret-api-token"

// implementations are the two implementations of requester.Service: the
// connector in-process, and the client over the REST API on loopback.
var implementations = []struct {
	name string
	svc  func(t testing.TB, f *fixture) requester.Service
}{
	{"connector", func(t testing.TB, f *fixture) requester.Service { return f.conn }},
	{"client", func(t testing.TB, f *fixture) requester.Service {
		srv := httptest.NewServer(f.conn.Handler())
		t.Cleanup(srv.Close)
		return &requester.Client{BaseURL: srv.URL, Token: apiToken, HTTP: srv.Client()}
	}},
}

// TestServiceSQLite runs the behavioural suite on SQLite.
func TestServiceSQLite(t *testing.T) { runSuite(t, sqliteDSN) }

// TestServicePostgreSQL runs the behavioural suite on PostgreSQL.
func TestServicePostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL suite skipped in -short mode")
	}
	srv := pgtest.Start(t)
	runSuite(t, func(tb testing.TB) string { return srv.NewDatabase(tb) })
}

// suiteCase is one behaviour of the Service, checked against an
// implementation with a fresh connector.
type suiteCase struct {
	name string
	run  func(t *testing.T, f *fixture, svc requester.Service)
}

var suite = []suiteCase{
	{"person R1 FR with preview", testPersonPreview},
	{"company X1", testCompany},
	{"two requirements T2", testTwoRequirements},
	{"DSD asks for the classification (R1 DE)", testQuestions},
	{"refusal", testRefusal},
	{"timeout of the first request", testTimeoutFirst},
	{"timeout after the preview", testTimeoutPreview},
	{"journey deadline", testJourneyDeadline},
	{"restart mid-journey", testRestart},
	{"duplicate delivery", testDuplicate},
	{"concurrent duplicate delivery", testConcurrentDuplicate},
	{"messages that do not correlate", testIgnored},
	{"errors", testErrors},
	{"access point down", testSendFailure},
	{"deferred response", testDeferred},
	{"idempotent start", testIdempotentStart},
	{"structured evidence", testStructured},
	{"structured evidence not conforming", testStructuredInvalid},
}

func runSuite(t *testing.T, dsn func(testing.TB) string) {
	cs := commonServices(t)
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			for _, c := range suite {
				t.Run(c.name, func(t *testing.T) {
					f := newFixture(t, dsn(t), cs, func(c *requester.Config) { c.APIToken = apiToken })
					c.run(t, f, impl.svc(t, f))
					checkRules(t, f.sender)
				})
			}
		})
	}
}

var ctx = context.Background()

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func deliver(t testing.TB, c *requester.Connector, rm *ap.ReceivedMessage) {
	t.Helper()
	if err := c.Deliver(ctx, rm); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
}

func wantStep(t testing.TB, j *requester.Journey, i int, step string) *requester.Requirement {
	t.Helper()
	if i >= len(j.Requirements) {
		t.Fatalf("journey has %d requirements, want index %d", len(j.Requirements), i)
	}
	r := j.Requirements[i]
	if r.Step != step {
		t.Fatalf("requirement %d at step %q, want %q (%+v, exchange %+v)", i, r.Step, step, r, r.Exchange)
	}
	return r
}

var yes = requester.ExplicitRequest{Given: true}

// journalEvents lists the events of the journal for a journey.
func journalEvents(t testing.TB, f *fixture, conversation string) []string {
	t.Helper()
	es, err := f.journal.List(ctx, journal.Filter{Conversation: conversation})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Event)
	}
	return out
}

func testPersonPreview(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	if j.State != requester.JourneyOpen || len(j.Requirements) != 1 || j.Procedure != "R1" {
		t.Fatalf("journey %+v", j)
	}
	if want := j.Created.Add(60 * time.Minute); !j.Deadline.Equal(want) {
		t.Errorf("deadline %v, want %v ((T1+T2+T3) × 1)", j.Deadline, want)
	}
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	if r.ChosenProvider != "FR-EP-R1" || len(r.EvidenceTypes) != 1 || r.ChosenEvidenceType != r.EvidenceTypes[0].Classification {
		t.Fatalf("requirement %+v", r)
	}
	// The format: the provider offers PDF and XML; choose XML.
	if p := r.Providers; len(p) != 1 || !slices.Contains(p[0].Formats, "application/xml") {
		t.Fatalf("providers %+v", p)
	}
	j = must[*requester.Journey](t)(svc.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	wantStep(t, j, 0, requester.StepExplicitRequest)

	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, r.ID, yes))
	r = wantStep(t, j, 0, requester.StepWaiting)
	if r.Exchange == nil || r.Exchange.Version != string(edm.V1_0) || r.Exchange.Provider != "FR-EP-R1" {
		t.Fatalf("exchange %+v", r.Exchange)
	}
	sub, req := f.sender.last(t)
	q := req.Request
	if sub.To != "AP-FR" || sub.ConversationID != j.ID || sub.Leg != exchange.DefaultLegs().Request || sub.ClientKey == "" {
		t.Errorf("submission to %q conversation %q leg %q key %q", sub.To, sub.ConversationID, sub.Leg, sub.ClientKey)
	}
	if q.ID != r.Exchange.RequestID || q.Procedure != "R1" || !q.ExplicitRequestGiven || !q.PossibilityForPreview || q.PreviewLocation != "" {
		t.Errorf("request %s procedure %s explicit %v preview %v location %q", q.ID, q.Procedure, q.ExplicitRequestGiven, q.PossibilityForPreview, q.PreviewLocation)
	}
	if q.NaturalPerson == nil || q.NaturalPerson.Identifier.Value != "DE/FR/1234567890" || q.NaturalPerson.LevelOfAssurance != "Substantial" || q.LegalPerson != nil {
		t.Errorf("natural person %+v", q.NaturalPerson)
	}
	if len(q.Requirements) != 1 || q.Requirements[0].Identifier.Value != r.ID || q.EvidenceProvider.Identifier.Value != "FR-EP-R1" {
		t.Errorf("requirements %+v provider %+v", q.Requirements, q.EvidenceProvider)
	}
	if d := q.EvidenceRequest.DistributedAs; len(d) != 1 || d[0].Format != "application/xml" {
		t.Errorf("DistributedAs %+v, want exactly the chosen XML", d)
	}
	if len(q.EvidenceRequester) != 1 || q.EvidenceRequester[0].Classification != "ER" || req.OriginalSender.Value != requesterAgent.Identifier.Value || req.FinalRecipient.Value != "FR-EP-R1" {
		t.Errorf("requester %+v, originalSender %+v finalRecipient %+v", q.EvidenceRequester, req.OriginalSender, req.FinalRecipient)
	}

	// Step 4: the provider asks for a preview; the second request leaves
	// at once.
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/42"))
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r = wantStep(t, j, 0, requester.StepPreview)
	pu, err := url.Parse(r.Exchange.PreviewURL)
	if err != nil || pu.Host != "preview.fr.example" || pu.Path != "/p/42" {
		t.Fatalf("preview URL %q", r.Exchange.PreviewURL)
	}
	ret, err := url.Parse(pu.Query().Get("returnurl"))
	if err != nil || ret.Host != "portal.example" || ret.Query().Get("journey") != j.ID || ret.Query().Get("requirement") != "0" {
		t.Errorf("1.x return address %q", pu.Query().Get("returnurl"))
	}
	if f.sender.count() != 2 {
		t.Fatalf("%d messages sent, want the second request", f.sender.count())
	}
	sub2, req2 := f.sender.last(t)
	q2 := req2.Request
	if q2.ID == q.ID || q2.ID != r.Exchange.RequestID || q2.PreviewLocation != "https://preview.fr.example/p/42" || q2.ReturnLocation != "" {
		t.Errorf("second request %s (first %s) PreviewLocation %q ReturnLocation %q", q2.ID, q.ID, q2.PreviewLocation, q2.ReturnLocation)
	}
	if sub2.ConversationID != j.ID || q2.EvidenceRequest.Identifier.Value != q.EvidenceRequest.Identifier.Value || q2.NaturalPerson.FamilyName != "Mustermann" {
		t.Errorf("second request differs in content")
	}

	// Step 6: the evidence.
	pdf := []byte("<certificate>birth</certificate>")
	deliver(t, f.conn, p.evidence(t, sub2, req2, pdf))
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r = wantStep(t, j, 0, requester.StepDone)
	if j.State != requester.JourneyComplete || len(r.Exchange.Evidence) != 1 {
		t.Fatalf("journey %s, evidence %+v", j.State, r.Exchange.Evidence)
	}
	e := r.Exchange.Evidence[0]
	if e.Format != "application/xml" || e.Size != int64(len(pdf)) || e.IssuingDate != "2024-01-15" || e.Title != "Certificate" || e.Language != "EN" {
		t.Errorf("evidence %+v", e)
	}
	file := must[*requester.File](t)(svc.Evidence(ctx, j.ID, e.ID))
	if !bytes.Equal(file.Data, pdf) || file.MimeType != "application/xml" || file.Name == "" {
		t.Errorf("file %q %s %q", file.Name, file.MimeType, file.Data)
	}
	if _, err := svc.Evidence(ctx, "another-journey", e.ID); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("evidence through another journey: %v, want ErrNotFound", err)
	}
	ev := journalEvents(t, f, j.ID)
	for _, want := range []string{requester.EventJourneyStarted, journal.EventRequestSent, requester.EventPreviewRequired, journal.EventResponseReceived, requester.EventJourneyCompleted} {
		if !slices.Contains(ev, want) {
			t.Errorf("journal %v lacks %s", ev, want)
		}
	}
}

func testCompany(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("X1", "SE", company())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	if r.ChosenProvider != "SE-EP-X1" {
		t.Errorf("provider %q", r.ChosenProvider)
	}
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, r.ID, requester.ExplicitRequest{Given: true, Preview: new(bool)}))
	sub, req := f.sender.last(t)
	q := req.Request
	if q.LegalPerson == nil || q.LegalPerson.LegalName != "Exempel AB" || q.LegalPerson.LegalPersonIdentifier.Value != "SE/FR/5560360793" || q.NaturalPerson != nil {
		t.Fatalf("legal person %+v natural %+v", q.LegalPerson, q.NaturalPerson)
	}
	if q.AuthorizedRepresentative == nil || q.AuthorizedRepresentative.FamilyName != "Mustermann" || q.PossibilityForPreview {
		t.Errorf("representative %+v, preview %v", q.AuthorizedRepresentative, q.PossibilityForPreview)
	}
	// No preview possible: a preview request fails the requirement.
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.se.example/p/1"))
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r = wantStep(t, j, 0, requester.StepFailed)
	if r.Exchange.Error.Code != "EDM:ERR:0002" || f.sender.count() != 1 || j.State != requester.JourneyFailed {
		t.Errorf("failure %+v, %d sent, journey %s", r.Exchange.Error, f.sender.count(), j.State)
	}
}

func testTwoRequirements(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("T2", "FI", person())))
	if len(j.Requirements) != 2 {
		t.Fatalf("%d requirements, want 2", len(j.Requirements))
	}
	if want := j.Created.Add(120 * time.Minute); !j.Deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", j.Deadline, want)
	}
	var p remoteProvider
	exchanges := map[string]bool{}
	for i, r := range j.Requirements {
		wantStep(t, j, i, requester.StepExplicitRequest)
		j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, r.ID, yes))
		exchanges[j.Requirements[i].Exchange.ID] = true
		sub, req := f.sender.last(t)
		// Finland speaks EDM 2.0 (the demo DSD): the request names the
		// requirement under the 2.0 host of the Semantic Repository.
		want := strings.Replace(r.ID, "https://sr.oots.tech.europa.eu/", "https://sr.oots.tech.ec.europa.eu/", 1)
		if v := req.Request.Version(); v != edm.V2_0 || req.Request.Requirements[0].Identifier.Value != want || want == r.ID {
			t.Errorf("request %d (%s) is for requirement %s, want %s", i, v, req.Request.Requirements[0].Identifier.Value, want)
		}
		if c := req.Request.EvidenceRequest.EvidenceTypeClassification; !strings.HasPrefix(c, "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/FI/") {
			t.Errorf("request %d: evidence type %s", i, c)
		}
		deliver(t, f.conn, p.evidence(t, sub, req, []byte("evidence "+r.Name)))
		j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
		wantStep(t, j, i, requester.StepDone)
		if i == 0 && j.State != requester.JourneyOpen {
			t.Errorf("journey %s after the first requirement", j.State)
		}
	}
	if j.State != requester.JourneyComplete || len(exchanges) != 2 {
		t.Errorf("journey %s, %d exchanges", j.State, len(exchanges))
	}
}

func testQuestions(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "DE", person())))
	r := wantStep(t, j, 0, requester.StepAnswerQuestions)
	if len(r.Questions) != 1 || r.Questions[0].Description == "" {
		t.Fatalf("questions %+v", r.Questions)
	}
	// The DSD of the demo does not list the supported values in its
	// DSD:ERR:0005 answer; they are those of the German providers'
	// classification concept.
	values := []string{"ApplicantHasNeverBeenResidentInGermany", "ApplicantHasBeenResidentInGermany"}
	if v := r.Questions[0].Values; len(v) > 0 && !slices.Equal(v, values) {
		t.Errorf("supported values %v, want %v", v, values)
	}
	qid := r.Questions[0].ID
	if _, err := svc.Request(ctx, j.ID, r.ID, yes); !errors.Is(err, requester.ErrState) {
		t.Errorf("request before the answers: %v, want ErrState", err)
	}
	var fe *requester.FieldError
	if _, err := svc.Choose(ctx, j.ID, r.ID, requester.Choice{Answers: map[string]string{"other-concept": "x"}}); !errors.As(err, &fe) || fe.Field != "answers" {
		t.Errorf("answer to another question: %v, want a FieldError on answers", err)
	}
	// Never resident in Germany: Standesamt Berlin I alone is competent.
	j = must[*requester.Journey](t)(svc.Choose(ctx, j.ID, r.ID, requester.Choice{Answers: map[string]string{qid: values[0]}}))
	r = wantStep(t, j, 0, requester.StepExplicitRequest)
	if len(r.Providers) != 1 || r.ChosenProvider != "DE-EP-BERLIN1" {
		t.Fatalf("never resident: providers %+v chosen %q", r.Providers, r.ChosenProvider)
	}
	// Once resident: both offices; the user chooses Hamburg.
	j = must[*requester.Journey](t)(svc.Choose(ctx, j.ID, r.ID, requester.Choice{Answers: map[string]string{qid: values[1]}}))
	r = wantStep(t, j, 0, requester.StepChooseProvider)
	if len(r.Providers) != 2 || r.ChosenProvider != "" {
		t.Fatalf("once resident: providers %+v chosen %q", r.Providers, r.ChosenProvider)
	}
	if _, err := svc.Request(ctx, j.ID, r.ID, yes); !errors.Is(err, requester.ErrState) {
		t.Errorf("request before the provider is chosen: %v, want ErrState", err)
	}
	j = must[*requester.Journey](t)(svc.Choose(ctx, j.ID, r.ID, requester.Choice{Provider: "DE-EP-HAMBURG"}))
	wantStep(t, j, 0, requester.StepExplicitRequest)
	last := values[1]
	must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	q := req.Request
	if q.EvidenceProvider.Identifier.Value != "DE-EP-HAMBURG" || len(q.EvidenceProviderClassification) != 1 || sub.To != "AP-DE" {
		t.Fatalf("provider %s classification %+v", q.EvidenceProvider.Identifier.Value, q.EvidenceProviderClassification)
	}
	c := q.EvidenceProviderClassification[0]
	if c.Identifier.Value != qid || c.SupportedValue == nil || !slices.Equal(c.SupportedValue.StringValue, []string{last}) || c.ValueExpression == "" {
		t.Errorf("classification %+v", c)
	}
}

func testRefusal(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("S1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/7"))
	sub2, req2 := f.sender.last(t)
	deliver(t, f.conn, p.refuse(t, sub2, req2))
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepFailed)
	if e := r.Exchange.Error; e == nil || e.Code != "EDM:ERR:0002" || !strings.Contains(e.Detail, "did not approve") || e.Message == "" {
		t.Errorf("failure %+v", r.Exchange.Error)
	}
	if j.State != requester.JourneyFailed {
		t.Errorf("journey %s", j.State)
	}
	if ev := journalEvents(t, f, j.ID); !slices.Contains(ev, journal.EventError) {
		t.Errorf("journal %v lacks the error", ev)
	}
}

func testTimeoutFirst(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	f.clock.Add(requester.DefaultT1 + requester.Slack - time.Second)
	if err := f.conn.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepWaiting)
	f.clock.Add(time.Second)
	if err := f.conn.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepFailed)
	if r.Exchange.Error.Code != requester.CodeTimeout || j.State != requester.JourneyFailed {
		t.Errorf("failure %+v, journey %s", r.Exchange.Error, j.State)
	}
	// The late answer is ignored and journaled.
	var p remoteProvider
	deliver(t, f.conn, p.evidence(t, sub, req, []byte("late")))
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	wantStep(t, j, 0, requester.StepFailed)
	ev := journalEvents(t, f, j.ID)
	if !slices.Contains(ev, journal.EventTimeout) || !slices.Contains(ev, requester.EventMessageIgnored) {
		t.Errorf("journal %v", ev)
	}
}

func testTimeoutPreview(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	f.clock.Add(4 * time.Minute)
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/9"))
	// T2+T3+2 min after the redirect: a minute short of it the exchange
	// is still open (the first request's T1 no longer counts).
	f.clock.Add(requester.DefaultT2 + requester.DefaultT3 + 2*requester.Slack - time.Minute)
	if err := f.conn.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepPreview)
	f.clock.Add(time.Minute)
	if err := f.conn.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	r := wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepFailed)
	if r.Exchange.Error.Code != requester.CodeTimeout {
		t.Errorf("failure %+v", r.Exchange.Error)
	}
}

func testJourneyDeadline(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("T2", "FI", person())))
	f.clock.Add(2*(requester.DefaultT1+requester.DefaultT2+requester.DefaultT3) + time.Second)
	if err := f.conn.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	if j.State != requester.JourneyFailed {
		t.Fatalf("journey %s past its deadline", j.State)
	}
	r := wantStep(t, j, 1, requester.StepFailed)
	if r.Exchange == nil || r.Exchange.Error == nil || r.Exchange.Error.Code != requester.CodeTimeout {
		t.Errorf("requirement %+v", r)
	}
	if _, err := svc.Request(ctx, j.ID, "0", yes); !errors.Is(err, requester.ErrState) {
		t.Errorf("request on a failed journey: %v, want ErrState", err)
	}
}

func testRestart(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/3"))
	sub2, req2 := f.sender.last(t)

	// The node restarts: a new connector on the same database.
	f.conn = f.connector()
	deliver(t, f.conn, p.evidence(t, sub2, req2, []byte("after restart")))
	j2 := must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r := wantStep(t, j2, 0, requester.StepDone)
	if j2.State != requester.JourneyComplete {
		t.Errorf("journey %s", j2.State)
	}
	got := must[*requester.File](t)(svc.Evidence(ctx, j.ID, r.Exchange.Evidence[0].ID))
	if string(got.Data) != "after restart" {
		t.Errorf("evidence %q", got.Data)
	}
}

func testDuplicate(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	var p remoteProvider
	pv := p.preview(t, sub, req, "https://preview.fr.example/p/5")
	deliver(t, f.conn, pv)
	deliver(t, f.conn, pv)
	if n := f.sender.count(); n != 2 {
		t.Errorf("%d requests sent after a duplicate preview answer, want 2", n)
	}
	sub2, req2 := f.sender.last(t)
	ev := p.evidence(t, sub2, req2, []byte("once"))
	deliver(t, f.conn, ev)
	deliver(t, f.conn, ev)
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepDone)
	if len(r.Exchange.Evidence) != 1 {
		t.Errorf("%d evidence after a duplicate delivery, want 1", len(r.Exchange.Evidence))
	}
	if n := strings.Count(strings.Join(journalEvents(t, f, j.ID), " "), journal.EventResponseReceived); n != 1 {
		t.Errorf("response journaled %d times", n)
	}
}

func testIgnored(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	var p remoteProvider

	// An answer to a request never sent.
	other := *req
	oq := *req.Request
	oq.ID = "urn:uuid:00000000-0000-4000-8000-000000000001"
	other.Request = &oq
	osub := *sub
	osub.MessageID = "unknown@requester.test"
	deliver(t, f.conn, p.evidence(t, &osub, &other, []byte("stray")))
	// Malformed: not an OOTS document.
	bad := p.evidence(t, sub, req, []byte("x"))
	bad.Payloads[0].Data = []byte("<not-oots/>")
	deliver(t, f.conn, bad)
	// Another journey's conversation.
	wrong := p.evidence(t, sub, req, []byte("x"))
	wrong.ConversationID = "other-conversation"
	deliver(t, f.conn, wrong)

	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	wantStep(t, j, 0, requester.StepWaiting)
	es, err := f.journal.List(ctx, journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	ignored := 0
	for _, e := range es {
		if e.Event == requester.EventMessageIgnored {
			ignored++
		}
	}
	if ignored != 3 {
		t.Errorf("%d ignored messages journaled, want 3", ignored)
	}
	// The genuine answer still goes through.
	deliver(t, f.conn, p.evidence(t, sub, req, []byte("genuine")))
	wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepDone)
}

func testErrors(t *testing.T, f *fixture, svc requester.Service) {
	if _, err := svc.Get(ctx, "no-such-journey"); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	bad := []struct {
		field string
		edit  func(s *requester.StartRequest)
	}{
		{"procedure", func(s *requester.StartRequest) { s.Procedure = "" }},
		{"country", func(s *requester.StartRequest) { s.Country = "fr" }},
		{"subject.person", func(s *requester.StartRequest) { s.Subject.Person = nil }},
		{"subject.loa", func(s *requester.StartRequest) { s.Subject.LoA = "" }},
		{"subject.person.dateOfBirth", func(s *requester.StartRequest) { s.Subject.Person.DateOfBirth = "12.08.1984" }},
		{"returnUrl", func(s *requester.StartRequest) { s.ReturnURL = "http://portal.example/return" }},
	}
	for _, b := range bad {
		s := start("R1", "FR", person())
		b.edit(&s)
		var fe *requester.FieldError
		if _, err := svc.Start(ctx, s); !errors.As(err, &fe) || fe.Field != b.field || !errors.Is(err, requester.ErrInvalid) {
			t.Errorf("Start with a bad %s: %v", b.field, err)
		}
	}
	if _, err := svc.Start(ctx, start("Z9", "FR", person())); err == nil {
		t.Error("Start of an unknown procedure succeeded")
	}
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	if _, err := svc.Choose(ctx, j.ID, "7", requester.Choice{}); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("Choose of requirement 7: %v", err)
	}
	var fe *requester.FieldError
	if _, err := svc.Choose(ctx, j.ID, "0", requester.Choice{Provider: "XX-EP"}); !errors.As(err, &fe) || fe.Field != "provider" {
		t.Errorf("Choose of an unknown provider: %v", err)
	}
	if _, err := svc.Choose(ctx, j.ID, "0", requester.Choice{Format: "image/gif"}); !errors.As(err, &fe) || fe.Field != "format" {
		t.Errorf("Choose of an unknown format: %v", err)
	}
	if _, err := svc.Choose(ctx, j.ID, "0", requester.Choice{EvidenceType: "https://sr.example/other"}); !errors.As(err, &fe) || fe.Field != "evidenceType" {
		t.Errorf("Choose of an unknown evidence type: %v", err)
	}
	if _, err := svc.Request(ctx, j.ID, "0", requester.ExplicitRequest{}); !errors.As(err, &fe) || fe.Field != "given" {
		t.Errorf("Request without the explicit request: %v", err)
	}
	must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	if _, err := svc.Request(ctx, j.ID, "0", yes); !errors.Is(err, requester.ErrState) {
		t.Errorf("second Request: %v, want ErrState", err)
	}
	if _, err := svc.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/pdf"}); !errors.Is(err, requester.ErrState) {
		t.Errorf("Choose after the request: %v, want ErrState", err)
	}
	if _, err := svc.Evidence(ctx, j.ID, "nothing"); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("Evidence: %v, want ErrNotFound", err)
	}
	if f.sender.count() != 1 {
		t.Errorf("%d messages sent", f.sender.count())
	}
}

func testSendFailure(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	f.sender.fail = errors.New("access point unreachable")
	if _, err := svc.Request(ctx, j.ID, "0", yes); !errors.Is(err, requester.ErrUnavailable) {
		t.Fatalf("Request with the access point down: %v, want ErrUnavailable", err)
	}
	wantStep(t, must[*requester.Journey](t)(svc.Get(ctx, j.ID)), 0, requester.StepExplicitRequest)
	f.sender.fail = nil
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", yes))
	wantStep(t, j, 0, requester.StepWaiting)
}

func testIdempotentStart(t *testing.T, f *fixture, svc requester.Service) {
	s := start("R1", "FR", person())
	s.ClientKey = "portal-session-1"
	a := must[*requester.Journey](t)(svc.Start(ctx, s))
	b := must[*requester.Journey](t)(svc.Start(ctx, s))
	if a.ID != b.ID {
		t.Errorf("two journeys %s and %s for one client key", a.ID, b.ID)
	}
}

func testConcurrentDuplicate(t *testing.T, f *fixture, svc requester.Service) {
	j := must[*requester.Journey](t)(svc.Start(ctx, start("T2", "FI", person())))
	var p remoteProvider
	var answers []*ap.ReceivedMessage
	for i := range j.Requirements {
		must[*requester.Journey](t)(svc.Request(ctx, j.ID, strconv.Itoa(i), yes))
		sub, req := f.sender.last(t)
		answers = append(answers, p.evidence(t, sub, req, []byte("evidence "+strconv.Itoa(i))))
	}
	// Both answers, each delivered four times at once: the two
	// requirements of one journey change concurrently.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		for _, a := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- f.conn.Deliver(ctx, a)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Deliver: %v", err)
		}
	}
	j = must[*requester.Journey](t)(svc.Get(ctx, j.ID))
	for i, r := range j.Requirements {
		if r.Step != requester.StepDone || len(r.Exchange.Evidence) != 1 {
			t.Errorf("requirement %d: step %s, %d evidence", i, r.Step, len(r.Exchange.Evidence))
		}
	}
	if j.State != requester.JourneyComplete {
		t.Errorf("journey %s", j.State)
	}
}
