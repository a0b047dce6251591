package conformance

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
)

// xvExchange is a preview round in EDM 2.0 as the specification has it: a
// first request, the EDM:ERR:0002 answering it, the second request, and
// the evidence response to the second; each with its ebMS header.
type xvExchange struct {
	first, second, preview, response *exchange.Message
}

func newXVExchange(t *testing.T) *xvExchange {
	t.Helper()
	q := edm.NewQueryRequest(edm.V2_0, testUUID(), time.Now())
	q.Procedure = "R1"
	q.PossibilityForPreview, q.ExplicitRequestGiven = true, true
	q.Requirements = []edm.Requirement{{Identifier: edm.ID("https://sr.oots.tech.europa.eu/requirements/" + testUUID()), Name: []edm.Text{edm.Lang("EN", "Proof of birth")}}}
	q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "FR-ER-1"),
		Name: []edm.Text{edm.Lang("FR", "Mairie de Paris")}, Address: &edm.Address{AdminUnitLevel1: "FR"}, Classification: "ER"}}
	q.EvidenceProvider = &edm.Agent{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0204", "DE-EP-1"),
		Name: []edm.Text{edm.Lang("DE", "Standesamt")}, Address: &edm.Address{AdminUnitLevel1: "DE"}}
	q.NaturalPerson = &edm.Person{LevelOfAssurance: "High", Identifier: &edm.Identifier{SchemeID: "eidas", Value: "DE/FR/123456"},
		FamilyName: "Müller", GivenName: "Anna", DateOfBirth: "1985-03-14"}
	q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: edm.ID(testUUID()), EvidenceTypeClassification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/" + testUUID(),
		Title: []edm.Text{edm.Lang("EN", "Certificate of birth")}, DistributedAs: []edm.Distribution{{Format: "application/pdf"}}}
	first := &exchange.Message{From: "AP-FR", ConversationID: testUUID(), ExchangeID: testUUID(), MessageID: testUUID() + "@fr",
		OriginalSender: q.EvidenceRequester[0].Identifier, FinalRecipient: q.EvidenceProvider.Identifier, Request: q}
	k := &requesterKit{cfg: &Config{Now: time.Now, Rand: rand.Reader}}
	exc := edm.NewException("EDM:ERR:0002", "preview needed")
	exc.PreviewLocation = "https://preview.example.de/p/" + testUUID()
	preview, err := k.reply(first, exc)
	if err != nil {
		t.Fatal(err)
	}
	preview.MessageID = testUUID() + "@de"
	q2 := *q
	q2.ID, q2.PreviewLocation, q2.ReturnLocation = "urn:uuid:"+testUUID(), exc.PreviewLocation, "https://portal.example.fr/return"
	second := *first
	second.Request, second.MessageID = &q2, testUUID()+"@fr"
	response, err := k.reply(&second, nil)
	if err != nil {
		t.Fatal(err)
	}
	response.MessageID = testUUID() + "@de"
	return &xvExchange{first: first, second: &second, preview: preview, response: response}
}

func headerFor(m *exchange.Message) *ap.Header {
	return &ap.Header{MessageID: m.MessageID, RefToMessageID: m.RefToMessageID, ConversationID: m.ConversationID, Action: m.Action(),
		Properties: []ap.Property{{Name: exchange.PropSpecification, Value: string(m.Version())}, {Name: exchange.PropExchangeID, Value: m.ExchangeID}}}
}

// pairs returns the pairs of the round: the response and the error against
// their requests, the second request against the first, and the header
// pair of each message.
func (x *xvExchange) pairs() map[PairKind]*Pair {
	return map[PairKind]*Pair{
		PairResponse: {Kind: PairResponse, Case: "T", Request: x.second, Answer: x.response},
		PairError:    {Kind: PairError, Case: "T", Request: x.first, Answer: x.preview},
		PairPreview:  {Kind: PairPreview, Case: "T", Request: x.first, Answer: x.preview, Second: x.second},
		PairHeader:   {Kind: PairHeader, Case: "T", Request: x.response, Header: headerFor(x.response)},
	}
}

func failing(rs []CrossResult) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		if r.Problem != "" {
			out[r.ID] = r.Problem
		}
	}
	return out
}

// TestCrossValidation: every check holds on a correct preview round, and
// each check fails on a pair mutated to break it, with a reason.
func TestCrossValidation(t *testing.T) {
	x := newXVExchange(t)
	for kind, p := range x.pairs() {
		if f := failing(CrossValidate(p)); len(f) > 0 {
			t.Errorf("%s: a correct pair fails %v", kind, f)
		}
	}
	// Each mutant edits a fresh round and returns the pair to check.
	type mutant func(x *xvExchange) *Pair
	resp := func(edit func(r *edm.QueryResponse, x *xvExchange)) mutant {
		return func(x *xvExchange) *Pair {
			r := *x.response.Response
			edit(&r, x)
			x.response.Response = &r
			return x.pairs()[PairResponse]
		}
	}
	firstEvidence := func(r *edm.QueryResponse) *edm.Evidence { return &r.Packages[0].Evidence[0].Metadata }
	errp := func(edit func(e *edm.ErrorResponse, x *xvExchange)) mutant {
		return func(x *xvExchange) *Pair {
			e := *x.preview.Error
			edit(&e, x)
			x.preview.Error = &e
			return x.pairs()[PairError]
		}
	}
	second := func(edit func(q *edm.QueryRequest, m *exchange.Message)) mutant {
		return func(x *xvExchange) *Pair {
			q := *x.second.Request
			edit(&q, x.second)
			x.second.Request = &q
			return x.pairs()[PairPreview]
		}
	}
	header := func(edit func(h *ap.Header, m *exchange.Message)) mutant {
		return func(x *xvExchange) *Pair {
			p := x.pairs()[PairHeader]
			edit(p.Header, p.Request)
			return p
		}
	}
	other := edm.Agent{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0204", "DE-EP-OTHER"), Address: &edm.Address{AdminUnitLevel1: "AT"}}
	mutants := map[string]mutant{
		"XV-01": resp(func(r *edm.QueryResponse, _ *xvExchange) { r.RequestID = "urn:uuid:" + testUUID() }),
		"XV-02": resp(func(r *edm.QueryResponse, _ *xvExchange) { r.Specification = edm.V1_0 }),
		"XV-03": resp(func(r *edm.QueryResponse, _ *xvExchange) { r.EvidenceRequester = &other }),
		"XV-04": resp(func(r *edm.QueryResponse, _ *xvExchange) { r.EvidenceProvider = []edm.Agent{other} }),
		"XV-05": resp(func(r *edm.QueryResponse, _ *xvExchange) {
			e := firstEvidence(r)
			e.IsConformantTo = &edm.EvidenceType{EvidenceTypeClassification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/other"}
		}),
		"XV-06": resp(func(r *edm.QueryResponse, _ *xvExchange) {
			firstEvidence(r).IsAbout = &edm.IsAbout{NaturalPerson: &edm.Person{Identifier: &edm.Identifier{Value: "DE/FR/999"}}}
		}),
		"XV-07": resp(func(r *edm.QueryResponse, _ *xvExchange) {
			firstEvidence(r).Distribution = []edm.Distribution{{Format: "application/xml"}}
		}),
		"XV-08": func(x *xvExchange) *Pair {
			x.response.RefToMessageID = x.first.MessageID
			return x.pairs()[PairResponse]
		},
		"XV-09": func(x *xvExchange) *Pair {
			x.response.OriginalSender = x.second.OriginalSender
			return x.pairs()[PairResponse]
		},
		"XV-10": errp(func(e *edm.ErrorResponse, x *xvExchange) { e.RequestID = x.second.Request.ID }),
		"XV-11": errp(func(e *edm.ErrorResponse, _ *xvExchange) { e.Specification = edm.V1_0 }),
		"XV-12": errp(func(e *edm.ErrorResponse, _ *xvExchange) { e.EvidenceRequester = &other }),
		"XV-13": func(x *xvExchange) *Pair {
			q := *x.first.Request
			q.PossibilityForPreview = false
			x.first.Request = &q
			return x.pairs()[PairError]
		},
		"XV-14": func(x *xvExchange) *Pair { x.preview.ExchangeID = testUUID(); return x.pairs()[PairError] },
		"XV-15": func(x *xvExchange) *Pair {
			x.preview.FinalRecipient = x.first.FinalRecipient
			return x.pairs()[PairError]
		},
		"XV-16": second(func(q *edm.QueryRequest, _ *exchange.Message) {
			q.PreviewLocation = "https://preview.example.de/elsewhere"
		}),
		"XV-17": nil, // set per run: the second request gets the first's id
		"XV-18": second(func(q *edm.QueryRequest, _ *exchange.Message) {
			er := *q.EvidenceRequest
			er.EvidenceTypeClassification += "-other"
			q.EvidenceRequest = &er
		}),
		"XV-19": second(func(q *edm.QueryRequest, _ *exchange.Message) {
			p := *q.NaturalPerson
			p.LevelOfAssurance = "Substantial"
			q.NaturalPerson = &p
		}),
		"XV-20": second(func(q *edm.QueryRequest, _ *exchange.Message) { q.ReturnLocation = "" }),
		"XV-21": header(func(h *ap.Header, _ *exchange.Message) { h.Action = exchange.ActionError }),
		"XV-22": header(func(_ *ap.Header, m *exchange.Message) { m.OriginalSender = edm.SchemeID("eidas", "someone-else") }),
		"XV-23": header(func(h *ap.Header, _ *exchange.Message) {
			h.Properties = []ap.Property{{Name: exchange.PropSpecification, Value: string(edm.V1_0)}}
		}),
		"XV-24": header(func(h *ap.Header, _ *exchange.Message) { h.RefToMessageID = "" }),
	}
	for _, c := range CrossChecks() {
		mut, ok := mutants[c.ID]
		if !ok && c.ID != "XV-17" {
			t.Errorf("%s (%s) has no mutant", c.ID, c.Text)
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			x := newXVExchange(t)
			if c.ID == "XV-17" {
				mut = second(func(q *edm.QueryRequest, _ *exchange.Message) { q.ID = x.first.Request.ID })
			}
			p := mut(x)
			f := failing(CrossValidate(p))
			if f[c.ID] == "" {
				t.Fatalf("the mutant of %s (%s) passes it; failures: %v", c.ID, c.Text, f)
			}
			t.Logf("%s: %s", c.ID, f[c.ID])
		})
	}
	if len(mutants) != len(CrossChecks()) {
		t.Errorf("%d mutants for %d checks", len(mutants), len(CrossChecks()))
	}
	// An incomplete pair is reported, not a panic.
	if f := failing(CrossValidate(&Pair{Kind: PairResponse, Request: x.first})); !strings.Contains(f["XV-00"], "no answer") {
		t.Errorf("a pair without its answer: %v", f)
	}
}

func testUUID() string {
	s, err := uuid.New(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s
}
