package edm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/check"
)

func buildRequestV2() *QueryRequest {
	q := buildRequest()
	q.Specification = V2_0
	q.Lang = ""
	q.Procedure, q.ProcedureLang = "T3", ""
	q.EvidenceRequest.DistributedAs[0].Language = []string{"FR"}
	q.EvidenceRequest.DistributedAs[0].AssociatedDocumentRequest = []string{RoleHumanReadableVersion}
	q.EvidenceRequest.EvidenceTypeClassification = "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
	q.EvidenceRequest.DistributedAs[0].ConformsTo = "https://sr.oots.tech.ec.europa.eu/datamodels/certificate-of-birth-1.0.0"
	q.PreviewLocation = "https://preview.example.de/p/1"
	q.ReturnLocation = "https://portal.example.dk/back/1"
	return q
}

// TestVersionDeltasWritten: the builders write the 2.0 forms for 2.0 and the
// 1.x forms for 1.x (SPEC.md §6).
func TestVersionDeltasWritten(t *testing.T) {
	v1, err := buildRequest().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	v2, err := buildRequestV2().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`xml:lang="EN"`, `rim:InternationalStringValueType`, `<rim:LocalizedString xml:lang="EN" value="R1"/>`} {
		if !strings.Contains(string(v1), want) {
			t.Errorf("1.0 request lacks %s", want)
		}
	}
	for _, want := range []string{`<rim:Slot name="ReturnLocation">`, `<sdg:Language>FR</sdg:Language>`,
		`<sdg:AssociatedDocumentRequest>HumanReadableVersion</sdg:AssociatedDocumentRequest>`} {
		if !strings.Contains(string(v2), want) {
			t.Errorf("2.0 request lacks %s", want)
		}
	}
	if strings.Contains(string(v2), "xml:lang") || strings.Contains(string(v2), "InternationalStringValueType") {
		t.Errorf("2.0 request has xml:lang or an InternationalString procedure:\n%s", v2)
	}
	m, findings, err := ParseBytes(v2)
	if err != nil {
		t.Fatal(err)
	}
	q := m.(*QueryRequest)
	if len(findings) > 0 || q.Specification != V2_0 || q.Procedure != "T3" || q.ReturnLocation != "https://portal.example.dk/back/1" {
		t.Errorf("2.0 request read back as %s %q %q with %v", q.Specification, q.Procedure, q.ReturnLocation, findings)
	}
}

// TestVersionDeltasRefused: what a version does not allow cannot be built.
func TestVersionDeltasRefused(t *testing.T) {
	tests := []struct {
		name string
		m    func() Message
		want string
	}{
		{"xml:lang on 2.0", func() Message { q := buildRequestV2(); q.Lang = "EN"; return q }, "xml:lang"},
		{"PreviewLocation without ReturnLocation in 2.0", func() Message { q := buildRequestV2(); q.ReturnLocation = ""; return q }, "ReturnLocation"},
		{"ReturnLocation in 1.x", func() Message { q := buildRequest(); q.ReturnLocation = "https://x.example/"; return q }, "ReturnLocation"},
		{"no evidence request", func() Message { q := buildRequest(); q.EvidenceRequest = nil; return q }, "EvidenceRequest"},
		{"no subject", func() Message { q := buildRequest(); q.NaturalPerson = nil; return q }, "NaturalPerson or LegalPerson"},
		{"no requirement", func() Message { q := buildRequest(); q.Requirements = nil; return q }, "Requirements"},
		{"unknown version", func() Message { q := buildRequest(); q.Specification = "oots-edm:v3"; return q }, "oots-edm:v3"},
		{"Common Services version on a request", func() Message { q := buildRequest(); q.Specification = CSv20; return q }, "not an EDM version"},
		{"EDM version on a DSD answer", func() Message { r := buildDSDResponse(); r.Specification = V1_0; return r }, "not a Common Services version"},
		{"1.x evidence list in 2.0", func() Message { r := buildResponse(); r.Specification = V2_0; return r }, "registry packages"},
		{"PreviewMethod in 2.0", func() Message { r := buildErrorResponse(); r.Specification = V2_0; return r }, "PreviewMethod"},
		{"preview without location", func() Message { r := buildErrorResponse(); r.Exceptions[0].PreviewLocation = ""; return r }, "PreviewLocation"},
		{"error without exception", func() Message { r := buildErrorResponse(); r.Exceptions = nil; return r }, "rs:Exception"},
		{"submission of a wrong kind", func() Message { s := buildEBSubmission(); s.kind = KindDSDResponse; return s }, "EB-SUB or DSD-SUB"},
		{"service response of a wrong kind", func() Message { return NewServiceResponse(KindEvidenceRequest, CSv1) }, "EB-REQ, EB-EVI or DSD-RESP"},
		{"empty submission", func() Message {
			return NewSubmitObjectsRequest(KindEBSubmission, "urn:uuid:6d51920f-04a7-4482-be34-153e01b0b7a3")
		}, "no registry object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m().Marshal()
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrIncomplete naming %s", err, tt.want)
			}
		})
	}
}

// TestPackage20: a 2.0 evidence response with a main evidence and its
// human-readable version in a registry package, linked by an association.
func TestPackage20(t *testing.T) {
	req := buildRequestV2()
	r := NewQueryResponse(req, "1a2b3c4d-0000-4000-8000-000000000004", time.Date(2026, 8, 6, 10, 0, 0, 0, time.UTC))
	ep := testProvider()
	ep.Classification = "EP"
	r.EvidenceProvider = []Agent{ep}
	main := buildResponse().Evidence[0]
	main.Metadata.Distribution[0].Language = nil
	main.Metadata.Distribution[0].ConformsTo = "https://sr.oots.tech.ec.europa.eu/datamodels/certificate-of-birth-1.0.0"
	mainObj := NewEvidenceObject("urn:uuid:1a2b3c4d-0000-4000-8000-000000000017", main.Metadata, "cid:main@example.eu", "Evidence", RoleMainEvidence, "urn:uuid:1a2b3c4d-0000-4000-8000-000000000019")
	hr := NewEvidenceObject("urn:uuid:1a2b3c4d-0000-4000-8000-000000000020", Evidence{Identifier: ID("1a2b3c4d-0000-4000-8000-000000000021"),
		Distribution: []Distribution{{Format: "application/pdf"}}}, "cid:hr@example.eu", "Human readable", RoleHumanReadableVersion, "urn:uuid:1a2b3c4d-0000-4000-8000-000000000022")
	p := &Package{Evidence: []*EvidenceObject{mainObj, hr}}
	p.ID = "urn:uuid:1a2b3c4d-0000-4000-8000-000000000016"
	assoc := NewAssociation("urn:uuid:1a2b3c4d-0000-4000-8000-000000000023", "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasHumanReadableVersion", mainObj.ID, hr.ID)
	p.Associations = append(p.Associations, &assoc.RegistryObject)
	r.Packages = []*Package{p}
	out, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, findings, err := ParseBytes(out)
	if err != nil {
		t.Fatal(err)
	}
	if !check.Valid(findings) {
		t.Errorf("findings: %v\n%s", findings, out)
	}
	back := m.(*QueryResponse)
	if back.Version() != V2_0 || len(back.Packages) != 1 || len(back.Packages[0].Evidence) != 2 || len(back.Packages[0].Associations) != 1 {
		t.Fatalf("read back %+v", back)
	}
	if got := back.Packages[0].Evidence[1].Role(); got != RoleHumanReadableVersion {
		t.Errorf("role %q", got)
	}
	// Without a main evidence the package is reported.
	p.Evidence = p.Evidence[1:]
	out, _ = r.Marshal()
	_, findings, _ = ParseBytes(out)
	found := false
	for _, f := range findings {
		found = found || strings.Contains(f.Message, "exactly one MainEvidence")
	}
	if !found {
		t.Errorf("package without main evidence not reported: %v", findings)
	}
}
