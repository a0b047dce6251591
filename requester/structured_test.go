package requester_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/requester"
)

var birthValues = map[string]string{"Identifier": "b-1", "IssuingCountry": "FR", "RegistrationNumber": "N-1", "IssueDate": "2024-01-15",
	"Child/FamilyName": "Mustermann", "Child/GivenName": "Erika", "Child/DateOfBirth": "1984-08-12"}

// structuredJourney runs R1 in FR with the XML distribution up to the
// evidence: the provider answers data as XML conforming (it says) to the
// birth record model.
func structuredJourney(t *testing.T, f *fixture, svc requester.Service, data []byte) *requester.Journey {
	t.Helper()
	j := must[*requester.Journey](t)(svc.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(svc.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	j = must[*requester.Journey](t)(svc.Request(ctx, j.ID, "0", requester.ExplicitRequest{Given: true, Preview: new(bool)}))
	sub, req := f.sender.last(t)
	if d := req.Request.EvidenceRequest.DistributedAs; len(d) != 1 || d[0].ConformsTo == "" {
		t.Fatalf("DistributedAs %+v", d)
	}
	p := remoteProvider{conformsTo: req.Request.EvidenceRequest.DistributedAs[0].ConformsTo}
	deliver(t, f.conn, p.evidence(t, sub, req, data))
	return must[*requester.Journey](t)(svc.Get(ctx, j.ID))
}

// testStructured: structured evidence of a known model is checked on
// receipt, stored, and its fields are read by data model path.
func testStructured(t *testing.T, f *fixture, svc requester.Service) {
	doc, err := datamodel.BirthRecord().Encode(datamodel.MimeXML, birthValues)
	if err != nil {
		t.Fatal(err)
	}
	j := structuredJourney(t, f, svc, doc)
	r := wantStep(t, j, 0, requester.StepDone)
	e := r.Exchange.Evidence[0]
	if e.ConformsTo == "" {
		t.Fatalf("evidence %+v without ConformsTo", e)
	}
	file := must[*requester.File](t)(svc.Evidence(ctx, j.ID, e.ID))
	got, err := requester.Structured(e, file)
	if err != nil || got["Child/GivenName"] != "Erika" || got["IssuingCountry"] != "FR" {
		t.Errorf("Structured = %v, %v", got, err)
	}
	if _, err := requester.Structured(requester.Evidence{ID: "x", Format: "application/pdf"}, file); !errors.Is(err, datamodel.ErrUnknownModel) {
		t.Errorf("Structured of evidence without model: %v", err)
	}
}

// testStructuredInvalid: structured evidence that does not conform to its
// data model fails the requirement (CodeInvalidEvidence, the field named,
// not the value) and is not stored.
func testStructuredInvalid(t *testing.T, f *fixture, svc requester.Service) {
	bad := map[string]string{}
	for k, v := range birthValues {
		bad[k] = v
	}
	delete(bad, "Child/FamilyName")
	m := *datamodel.BirthRecord()
	m.Fields = nil
	for _, fl := range datamodel.BirthRecord().Fields {
		fl.Required = false
		m.Fields = append(m.Fields, fl)
	}
	doc, err := m.Encode(datamodel.MimeXML, bad) // a model without required fields writes it
	if err != nil {
		t.Fatal(err)
	}
	j := structuredJourney(t, f, svc, doc)
	r := wantStep(t, j, 0, requester.StepFailed)
	if j.State != requester.JourneyFailed || r.Exchange.Error == nil || r.Exchange.Error.Code != requester.CodeInvalidEvidence ||
		r.Exchange.Error.Detail == "" || !strings.Contains(r.Exchange.Error.Detail, "Child/FamilyName") || len(r.Exchange.Evidence) != 0 {
		t.Fatalf("journey %s, exchange %+v, error %+v", j.State, r.Exchange, r.Exchange.Error)
	}
	var n int
	if err := f.cfg.DB.SQL().QueryRow(`SELECT COUNT(*) FROM requester_evidence`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d evidence files stored (%v)", n, err)
	}
	if ev := journalEvents(t, f, j.ID); !slices.Contains(ev, journal.EventError) {
		t.Errorf("journal %v", ev)
	}
}

// TestEDM20Structured: a 2.0 request for structured evidence names the
// data model by its 2.0 URI and asks for the human-readable version; the
// official 2.0 rules accept it.
func TestEDM20Structured(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), edm20Services{commonServices(t)}, nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", requester.ExplicitRequest{Given: true, Preview: new(bool)}))
	_, req := f.sender.last(t)
	d := req.Request.EvidenceRequest.DistributedAs
	if len(d) != 1 || d[0].ConformsTo != datamodel.BirthRecord().URI || !slices.Equal(d[0].AssociatedDocumentRequest, []string{"HumanReadableVersion"}) {
		t.Fatalf("DistributedAs %+v", d)
	}
	wantStep(t, j, 0, requester.StepWaiting)
	checkRules(t, f.sender)
}

// TestBackground: with Config.Background the first request carries the
// background attribute of the subject (accepted by the official rules),
// the request after a preview does not; the exchange says both.
func TestBackground(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), func(c *requester.Config) { c.Background = true })
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	if a := req.Request.NaturalPerson.SectorSpecificAttribute; len(a) != 1 || a[0].AttributeURI != exchange.AttributeBackground || a[0].AttributeValue != "true" {
		t.Fatalf("attributes %+v", a)
	}
	if r := wantStep(t, j, 0, requester.StepWaiting); !r.Exchange.Background || r.Exchange.Previewed {
		t.Errorf("exchange %+v", r.Exchange)
	}
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/1"))
	_, req2 := f.sender.last(t)
	if a := req2.Request.NaturalPerson.SectorSpecificAttribute; len(a) != 0 {
		t.Errorf("second request attributes %+v", a)
	}
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	if r := wantStep(t, j, 0, requester.StepPreview); !r.Exchange.Previewed {
		t.Errorf("exchange %+v", r.Exchange)
	}
	checkRules(t, f.sender)
}
