package requester_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/requester"
)

// TestAssociatedDocumentRequest: a journey that asks for annexes and
// translations sends a 2.0 request whose DistributedAs asks for them, with
// the languages; the official 2.0 rules accept it. An unknown role is
// refused at the start.
func TestAssociatedDocumentRequest(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), edm20Services{commonServices(t)}, nil)
	s := start("R1", "FR", person())
	s.Languages = []string{"fr"}
	s.AssociatedDocuments = []string{edm.RoleTranslation, edm.RoleAnnex}
	j := must[*requester.Journey](t)(f.conn.Start(ctx, s))
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	_, req := f.sender.last(t)
	d := req.Request.EvidenceRequest.DistributedAs
	if len(d) != 1 || !slices.Equal(d[0].AssociatedDocumentRequest, []string{edm.RoleAnnex, edm.RoleTranslation}) || !slices.Equal(d[0].Language, []string{"FR"}) {
		t.Fatalf("DistributedAs %+v", d)
	}
	wantStep(t, j, 0, requester.StepWaiting)
	checkRules(t, f.sender)

	s.AssociatedDocuments = []string{"Appendix"}
	if _, err := f.conn.Start(ctx, s); !errors.Is(err, requester.ErrInvalid) {
		t.Errorf("an unknown associated document: %v", err)
	}
}

// TestReceivedPackage: every document of a 2.0 package is received, with
// its role and the main evidence it goes with (by the package's
// associations, whatever the order of the objects), each file readable.
func TestReceivedPackage(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), edm20Services{commonServices(t)}, nil)
	s := start("R1", "FR", person())
	s.AssociatedDocuments = []string{edm.RoleAnnex, edm.RoleTranslation}
	j := must[*requester.Journey](t)(f.conn.Start(ctx, s))
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", requester.ExplicitRequest{Given: true, Preview: new(bool)}))
	sub, req := f.sender.last(t)
	var p remoteProvider
	deliver(t, f.conn, supplementedAnswer(t, &p, sub, req))
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepDone)
	ev := r.Exchange.Evidence
	var got []string
	for _, e := range ev {
		got = append(got, e.Role)
	}
	if want := []string{edm.RoleAnnex, edm.RoleMainEvidence, edm.RoleTranslation}; !slices.Equal(got, want) {
		t.Fatalf("roles %v, want %v", got, want)
	}
	main := ev[1]
	if main.Of != "" || ev[0].Of != main.ID || ev[2].Of != main.ID || ev[2].Language != "FR" {
		t.Errorf("evidence %+v", ev)
	}
	for i, want := range []string{"annex", "main", "traduction"} {
		file, err := f.conn.Evidence(ctx, j.ID, ev[i].ID)
		if err != nil || string(file.Data) != "%PDF-1.4 "+want || file.MimeType != "application/pdf" {
			t.Errorf("file %d: %v %+v", i, err, file)
		}
	}
}

// supplementedAnswer is a 2.0 answer whose package lists an annex before
// the main evidence, then a French translation, each joined to the main
// evidence by an association typed after its role.
func supplementedAnswer(t *testing.T, p *remoteProvider, sub *ap.Submission, req *exchange.Message) *ap.ReceivedMessage {
	t.Helper()
	q := req.Request
	r := edm.NewQueryResponse(q, p.uuid(), p.time())
	r.EvidenceProvider = []edm.Agent{p.agent(q, "EP")}
	np := *q.NaturalPerson
	np.LevelOfAssurance = ""
	ia := *q.EvidenceProvider
	md := edm.Evidence{Identifier: edm.ID(p.uuid()), IsAbout: &edm.IsAbout{NaturalPerson: &np}, IssuingAuthority: &ia,
		IsConformantTo: &edm.EvidenceType{EvidenceTypeClassification: q.EvidenceRequest.EvidenceTypeClassification, Title: q.EvidenceRequest.Title},
		IssuingDate:    "2024-01-15", Distribution: []edm.Distribution{{Format: "application/pdf", Language: []string{"EN"}}}}
	main := edm.NewEvidenceObject("urn:uuid:"+p.uuid(), md, "cid:main@provider.test", "Certificate", edm.RoleMainEvidence, "urn:uuid:"+p.uuid())
	annex := edm.NewEvidenceObject("urn:uuid:"+p.uuid(), edm.Evidence{Identifier: edm.ID(p.uuid()), Distribution: []edm.Distribution{{Format: "application/pdf"}}},
		"cid:annex@provider.test", "Annex", edm.RoleAnnex, "urn:uuid:"+p.uuid())
	tr := edm.NewEvidenceObject("urn:uuid:"+p.uuid(), edm.Evidence{Identifier: edm.ID(p.uuid()), Distribution: []edm.Distribution{{Format: "application/pdf", Language: []string{"FR"}}}},
		"cid:fr@provider.test", "Certificat", edm.RoleTranslation, "urn:uuid:"+p.uuid())
	pkg := &edm.Package{Evidence: []*edm.EvidenceObject{annex, main, tr}}
	pkg.ID = "urn:uuid:" + p.uuid()
	pkg.Associations = []*regrep.RegistryObject{
		&edm.NewAssociation("urn:uuid:"+p.uuid(), regrep.AssociationTypePrefix+edm.RoleAnnex, annex.ID, main.ID).RegistryObject,
		&edm.NewAssociation("urn:uuid:"+p.uuid(), regrep.AssociationTypePrefix+edm.RoleTranslation, tr.ID, main.ID).RegistryObject,
	}
	r.Packages = []*edm.Package{pkg}
	m := &exchange.Message{Response: r, Attachments: []exchange.Attachment{
		{ContentID: "main@provider.test", MimeType: "application/pdf", Data: []byte("%PDF-1.4 main")},
		{ContentID: "annex@provider.test", MimeType: "application/pdf", Data: []byte("%PDF-1.4 annex")},
		{ContentID: "fr@provider.test", MimeType: "application/pdf", Data: []byte("%PDF-1.4 traduction")},
	}}
	return p.answer(t, sub, req, m)
}
