package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
)

// answerOf reads a captured answer of the acceptance Common Services.
func answerOf(t *testing.T, name string) *edm.ServiceResponse {
	t.Helper()
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/common_services/"+name))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := edm.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := m.(*edm.ServiceResponse)
	if !ok {
		t.Fatalf("%s is a %s", name, m.Kind())
	}
	return a
}

// acceptanceExchange builds, with the edm builders, the EDM 2.0 evidence
// request and response of a journey on the acceptance environment: the test
// requirement and its French evidence type as the Evidence Broker answered
// (eb_evidence_types_fr.xml), and the Finnish data service as the DSD
// answered (dsd_data_services_fi.xml). env rewrites the Semantic Repository
// identifiers into another environment ("" production), for the twin.
func acceptanceExchange(t *testing.T, env *string, classification func(rq *edm.Requirement, ds *edm.DataServiceEvidenceType) string) (req, resp []byte) {
	t.Helper()
	id := func(s string) string {
		if env == nil {
			return s
		}
		return edm.SRInEnv(s, *env)
	}
	reqs := answerOf(t, "eb_evidence_types_fr.xml").Requirements()
	dss := answerOf(t, "dsd_data_services_fi.xml").DataServices()
	if len(reqs) != 1 || len(dss) != 1 {
		t.Fatalf("%d requirements, %d data services", len(reqs), len(dss))
	}
	rq, ds := reqs[0], dss[0]
	as := ds.AccessService[0]
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

	q := edm.NewQueryRequest(edm.V2_0, "6e7e1b0e-44c2-4a8e-9a57-3b1c2f1c9a01", now)
	q.Procedure = "T3"
	q.ExplicitRequestGiven = true
	q.Requirements = []edm.Requirement{{Identifier: edm.ID(id(rq.Identifier.Value)), Name: rq.Name[:1]}}
	q.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "00000000000002"),
		Name: []edm.Text{edm.Lang("FR", "Ministère de l'enseignement supérieur")}, Address: &edm.Address{AdminUnitLevel1: "FR"}, Classification: "ER"}}
	q.EvidenceProvider = &edm.Agent{Identifier: as.Publisher.Identifier, Name: as.Publisher.Name}
	q.NaturalPerson = &edm.Person{LevelOfAssurance: "High", Identifier: &edm.Identifier{SchemeID: "eidas", Value: "FI/FR/123123123"},
		FamilyName: "Virtanen", GivenName: "Aino", DateOfBirth: "1992-10-22"}
	q.EvidenceRequest = &edm.DataServiceEvidenceType{Identifier: ds.Identifier, EvidenceTypeClassification: id(classification(rq, ds)),
		Title: ds.Title, Description: ds.Description, DistributedAs: []edm.Distribution{{Format: ds.DistributedAs[0].Format, Language: []string{"EN"}}}}
	var err error
	if req, err = q.Marshal(); err != nil {
		t.Fatal(err)
	}

	r := edm.NewQueryResponse(q, "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", now.Add(time.Minute))
	ep := edm.Agent{Identifier: as.Publisher.Identifier, Name: as.Publisher.Name, Classification: "EP"}
	r.EvidenceProvider = []edm.Agent{ep}
	issuer := edm.Agent{Identifier: as.Publisher.Identifier, Name: as.Publisher.Name}
	md := edm.Evidence{Identifier: edm.ID("0b6f3a52-9d1e-4f7a-8c2b-6e5d4c3b2a19"),
		IsAbout:          &edm.IsAbout{NaturalPerson: &edm.Person{Identifier: q.NaturalPerson.Identifier, FamilyName: "Virtanen", GivenName: "Aino", DateOfBirth: "1992-10-22"}},
		IssuingAuthority: &issuer,
		IsConformantTo:   &edm.EvidenceType{EvidenceTypeClassification: q.EvidenceRequest.EvidenceTypeClassification, Title: ds.Title, Description: ds.Description},
		IssuingDate:      "2026-12-01",
		Distribution:     []edm.Distribution{{Format: "application/pdf", Language: []string{"EN"}}}}
	obj := edm.NewEvidenceObject("urn:uuid:9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", md, "cid:evidence1@oots", "Dummy PDF", edm.RoleMainEvidence,
		"urn:uuid:1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a")
	p := &edm.Package{Evidence: []*edm.EvidenceObject{obj}}
	p.ID = "urn:uuid:7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
	r.Packages = []*edm.Package{p}
	if resp, err = r.Marshal(); err != nil {
		t.Fatal(err)
	}
	return req, resp
}

// validateFindings runs oots validate on a document and returns its exit
// code and the findings it prints that are warnings or worse, without the
// file name.
func validateFindings(t *testing.T, path string) (int, []string) {
	t.Helper()
	code, out, errOut := runCLI(t, "validate", path)
	var fs []string
	for _, line := range strings.Split(out+errOut, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "warning" || f[0] == "error" || f[0] == "fatal") {
			fs = append(fs, f[0]+" "+f[1])
		}
	}
	slices.Sort(fs)
	return code, fs
}

// TestValidateFromAcceptanceAnswers: an EDM 2.0 evidence request and
// response built from what the Commission's acceptance Common Services
// answered — their Semantic Repository identifiers in the acceptance
// environment (sr.acc.…), and with the test segment oots — pass oots
// validate with no error, and with the same warnings as their production
// twins: the acceptance identifiers add none.
func TestValidateFromAcceptanceAnswers(t *testing.T) {
	dir := t.TempDir()
	prod := ""
	fromDSD := func(_ *edm.Requirement, ds *edm.DataServiceEvidenceType) string { return ds.EvidenceTypeClassification }
	fromEB := func(rq *edm.Requirement, _ *edm.DataServiceEvidenceType) string {
		return rq.EvidenceTypeList[0].EvidenceType[0].EvidenceTypeClassification
	}
	testSegment := func(rq *edm.Requirement, ds *edm.DataServiceEvidenceType) string {
		id, err := edm.ParseSRID(ds.EvidenceTypeClassification)
		if err != nil {
			t.Fatal(err)
		}
		id.Country = edm.SRTestSegment
		return id.String()
	}
	for _, tc := range []struct {
		name           string
		classification func(*edm.Requirement, *edm.DataServiceEvidenceType) string
	}{{"dsd", fromDSD}, {"eb", fromEB}, {"oots-segment", testSegment}} {
		accReq, accResp := acceptanceExchange(t, nil, tc.classification)
		prodReq, prodResp := acceptanceExchange(t, &prod, tc.classification)
		for _, doc := range []struct {
			kind      string
			acc, prod []byte
		}{{"request", accReq, prodReq}, {"response", accResp, prodResp}} {
			if !strings.Contains(string(doc.acc), "https://sr.acc.oots.tech.ec.europa.eu/") || strings.Contains(string(doc.prod), "sr.acc.") {
				t.Fatalf("%s %s: the identifiers are not those of the environments", tc.name, doc.kind)
			}
			a, p := filepath.Join(dir, tc.name+"-acc-"+doc.kind+".xml"), filepath.Join(dir, tc.name+"-prod-"+doc.kind+".xml")
			os.WriteFile(a, doc.acc, 0o644)
			os.WriteFile(p, doc.prod, 0o644)
			ac, af := validateFindings(t, a)
			pc, pf := validateFindings(t, p)
			if ac != 0 || pc != 0 {
				t.Errorf("%s %s: oots validate exits %d (acceptance), %d (production): %v %v", tc.name, doc.kind, ac, pc, af, pf)
			}
			if !slices.Equal(af, pf) {
				t.Errorf("%s %s: findings differ: acceptance %v, production %v", tc.name, doc.kind, af, pf)
			}
			// The witness that the rules ran: a host outside the
			// Semantic Repository's domain is refused.
			evil := filepath.Join(dir, tc.name+"-evil-"+doc.kind+".xml")
			os.WriteFile(evil, []byte(strings.ReplaceAll(string(doc.acc), ".europa.eu/evidencetypeclassifications/", ".europa.eu.example/evidencetypeclassifications/")), 0o644)
			if code, fs := validateFindings(t, evil); code != 1 {
				t.Errorf("%s %s: a classification of another domain passes: %d %v", tc.name, doc.kind, code, fs)
			}
		}
	}
}
