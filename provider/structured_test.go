package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
)

func withoutPreview(c *provider.Config) {
	for i := range c.Providers {
		c.Providers[i].WithoutPreview = true
	}
}

// TestStructuredPackage: an EDM 2.0 request for the XML of the birth
// record's data model (2.0 URI) with AssociatedDocumentRequest
// HumanReadableVersion gets one package: the XML as MainEvidence, the PDF as
// HumanReadableVersion, an association between them; the official 2.0 rules
// pass and the XML conforms to its model.
func TestStructuredPackage(t *testing.T) {
	for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
		t.Run(mime, func(t *testing.T) {
			e := newEnv(t, "", withoutPreview)
			if mime == datamodel.MimeJSON {
				// The demo DSD lists XML only; this provider serves JSON too.
				for i := range e.auths {
					for j := range e.auths[i].EvidenceTypes {
						e.auths[i].EvidenceTypes[j].Formats = append(e.auths[i].EvidenceTypes[j].Formats, provider.Format{Format: mime, ConformsTo: datamodel.BirthRecord().URI})
					}
				}
				e.restart()
			}
			q := e.request(edm.V2_0, berlin, user(t, anna))
			q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: mime, ConformsTo: datamodel.BirthRecord().URI,
				AssociatedDocumentRequest: []string{edm.RoleHumanReadableVersion}}}
			e.deliver(e.message(q, "c", newUUID()))
			as := e.answers(0)
			if len(as) != 1 || as[0].Response == nil {
				t.Fatalf("answers %+v", as)
			}
			a := as[0]
			if len(a.Response.Packages) != 1 {
				t.Fatalf("%d packages", len(a.Response.Packages))
			}
			p := a.Response.Packages[0]
			if len(p.Evidence) != 2 || p.Evidence[0].Role() != edm.RoleMainEvidence || p.Evidence[1].Role() != edm.RoleHumanReadableVersion {
				t.Fatalf("package evidence %+v", p.Evidence)
			}
			if len(p.Associations) != 1 || p.Associations[0].SourceObject != p.Evidence[1].ID || p.Associations[0].TargetObject != p.Evidence[0].ID ||
				p.Associations[0].AssociationType != provider.AssociationHumanReadableVersion {
				t.Errorf("association %+v", p.Associations)
			}
			if d := p.Evidence[0].Metadata.Distribution[0]; d.Format != mime || d.ConformsTo != datamodel.BirthRecord().URI {
				t.Errorf("main distribution %+v", d)
			}
			if d := p.Evidence[1].Metadata.Distribution[0]; d.Format != "application/pdf" {
				t.Errorf("human-readable distribution %+v", d)
			}
			parts := map[string][]byte{}
			for _, at := range a.Attachments {
				parts["cid:"+at.ContentID] = at.Data
			}
			main := parts[p.Evidence[0].RepositoryItemRef.Href]
			got, err := datamodel.Fields(datamodel.BirthRecord().URI, mime, main)
			if err != nil || got["Child/FamilyName"] != "Müller" {
				t.Errorf("main evidence %v %v\n%s", got, err, main)
			}
			if pdf := parts[p.Evidence[1].RepositoryItemRef.Href]; !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("human-readable version is no PDF: %.20q", pdf)
			}
		})
	}
}

// TestStructuredNoHumanReadable: without AssociatedDocumentRequest the
// package holds the structured evidence alone.
func TestStructuredNoHumanReadable(t *testing.T) {
	e := newEnv(t, "", withoutPreview)
	q := e.request(edm.V2_0, berlin, user(t, anna))
	q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: datamodel.MimeXML, ConformsTo: datamodel.BirthRecord().URI}}
	e.deliver(e.message(q, "c", newUUID()))
	a := e.answers(0)[0]
	if a.Response == nil || len(a.Response.Packages) != 1 || len(a.Response.Packages[0].Evidence) != 1 || len(a.Response.Packages[0].Associations) != 0 {
		t.Fatalf("answer %+v", a)
	}
}

// TestStructuredInvalid: a register that produces a structured document
// not conforming to its data model: the provider does not send it (nor
// show it in a preview) and answers EDM:ERR:0008 with a detail naming the
// field, not its value.
func TestStructuredInvalid(t *testing.T) {
	for _, preview := range []bool{false, true} {
		mutate := withoutPreview
		if preview {
			mutate = nil
		}
		e := newEnv(t, "", mutate)
		u := user(t, anna)
		for i := range e.records.People {
			for k, docs := range e.records.People[i].Evidence {
				for j, d := range docs {
					if d.Format == datamodel.MimeXML {
						e.records.People[i].Evidence[k][j].Content = bytes.Replace(d.Content, []byte(">"+u.Person.DateOfBirth+"<"), []byte(">14.03.1985<"), 1)
					}
				}
			}
		}
		q := e.request(edm.V1_0, berlin, u)
		q.EvidenceRequest.DistributedAs = []edm.Distribution{{Format: "application/xml", ConformsTo: "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0"}}
		e.deliver(e.message(q, "c", ""))
		as := e.answers(0)
		if len(as) != 1 {
			t.Fatalf("%d answers", len(as))
		}
		exc := exceptionOf(t, as[0])
		if exc.Code != "EDM:ERR:0008" || !strings.Contains(exc.Detail, "Child/DateOfBirth") || strings.Contains(exc.Detail, "14.03") || len(as[0].Attachments) != 0 {
			t.Errorf("preview %v: %s %q", preview, exc.Code, exc.Detail)
		}
		if !e.journal.has(journal.EventResponseSent, "EDM:ERR:0008") {
			t.Error("refusal not journalled")
		}
	}
}

// TestDisclosureDocuments: the record of the evidence sent (the consents
// page, Disclosures) lists exactly the documents the answer carries: in
// 1.x the structured document alone (1.x has no human-readable version
// associated to it, so the PDF is not sent), in 2.0 with
// AssociatedDocumentRequest HumanReadableVersion the structured document
// and its PDF, in 2.0 without it the structured document alone.
func TestDisclosureDocuments(t *testing.T) {
	xml1 := edm.Distribution{Format: datamodel.MimeXML, ConformsTo: "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0"}
	xml2 := edm.Distribution{Format: datamodel.MimeXML, ConformsTo: datamodel.BirthRecord().URI}
	xml2h := xml2
	xml2h.AssociatedDocumentRequest = []string{edm.RoleHumanReadableVersion}
	for _, c := range []struct {
		name string
		v    edm.Version
		da   edm.Distribution
		want []string // formats sent
	}{
		{"1.0", edm.V1_0, xml1, []string{datamodel.MimeXML}},
		{"2.0-human-readable", edm.V2_0, xml2h, []string{datamodel.MimeXML, "application/pdf"}},
		{"2.0", edm.V2_0, xml2, []string{datamodel.MimeXML}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "", withoutPreview)
			q := e.request(c.v, berlin, user(t, anna))
			q.EvidenceRequest.DistributedAs = []edm.Distribution{c.da}
			xid := ""
			if c.v.Is2() {
				xid = newUUID()
			}
			e.deliver(e.message(q, "c", xid))
			as := e.answers(0)
			if len(as) != 1 || as[0].Response == nil {
				t.Fatalf("answers %+v", as)
			}
			var sent []string
			for _, a := range as[0].Attachments {
				sent = append(sent, a.MimeType)
			}
			ds, err := e.conn.Disclosures(context.Background(), "DE/"+anna)
			if err != nil || len(ds) != 1 {
				t.Fatalf("disclosures %v %+v", err, ds)
			}
			var recorded []string
			for _, d := range ds[0].Documents {
				recorded = append(recorded, d[strings.LastIndex(d, "(")+1:len(d)-1])
			}
			slices.Sort(sent)
			slices.Sort(recorded)
			want := slices.Sorted(slices.Values(c.want))
			if !slices.Equal(sent, want) || !slices.Equal(recorded, want) {
				t.Errorf("sent %v, recorded %v (%q), want %v", sent, recorded, ds[0].Documents, want)
			}
		})
	}
}

// TestSemanticRepositoryHosts: a provider configured from 1.x Common
// Services data (evidence types under sr.oots.tech.europa.eu) serves a 2.0
// request that names its type under the 2.0 host sr.oots.tech.ec.europa.eu
// (the same identifier), with the evidence of that type, and the answer
// names the type as the request did (the 2.0 rules); another identifier
// under the 2.0 host is another type (EDM:ERR:0004).
func TestSemanticRepositoryHosts(t *testing.T) {
	for _, same := range []bool{true, false} {
		t.Run(fmt.Sprint("same-", same), func(t *testing.T) {
			e := newEnv(t, "", withoutPreview)
			q := e.request(edm.V2_0, "DE-EP-HAMBURG", user(t, anna))
			path, ok := strings.CutPrefix(q.EvidenceRequest.EvidenceTypeClassification, "https://sr.oots.tech.europa.eu/")
			if !ok {
				t.Fatalf("demo classification %s", q.EvidenceRequest.EvidenceTypeClassification)
			}
			if !same {
				path = "evidencetypeclassifications/DE/" + newUUID()
			}
			q.EvidenceRequest.EvidenceTypeClassification = "https://sr.oots.tech.ec.europa.eu/" + path
			e.deliver(e.message(q, "c", newUUID()))
			as := e.answers(0)
			if len(as) != 1 {
				t.Fatalf("%d answers", len(as))
			}
			if !same {
				if exc := exceptionOf(t, as[0]); exc.Code != "EDM:ERR:0004" {
					t.Errorf("another type: %s %s", exc.Code, exc.Detail)
				}
				return
			}
			r := as[0].Response
			if r == nil || len(r.Packages) != 1 || len(as[0].Attachments) != 1 || !bytes.HasPrefix(as[0].Attachments[0].Data, []byte("%PDF-")) {
				t.Fatalf("answer %+v", as[0])
			}
			if got := r.Packages[0].Evidence[0].Metadata.IsConformantTo.EvidenceTypeClassification; got != q.EvidenceRequest.EvidenceTypeClassification {
				t.Errorf("the answer names the type %s, the request %s", got, q.EvidenceRequest.EvidenceTypeClassification)
			}
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			checkRules(t, b)
		})
	}
}
