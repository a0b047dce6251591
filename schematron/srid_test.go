package schematron

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// srCandidates are Semantic Repository identifiers, good and bad, built from
// every combination of the parts the official patterns constrain: the
// environment, the host, the country segment and the case of the UUID.
func srCandidates() []string {
	const u = "ca8afed6-2dc0-422a-a931-d21c3d8d370e"
	var out []string
	for _, env := range []string{"", "acc.", "ACC.", "Test.", "a1.", "a-b.", ".", "acc.dev."} {
		for _, host := range []string{"oots.tech.ec.europa.eu", "oots.tech.europa.eu", "oots.tech.ec.europa.eu.evil.example", "ootsXtech.ec.europa.eu"} {
			for _, id := range []string{u, strings.ToUpper(u), "CA8afed6-2dc0-422a-a931-d21c3d8d370e", u[:35], "urn:uuid:" + u} {
				base := "https://sr." + env + host + "/"
				out = append(out, base+"requirements/"+id)
				for _, c := range []string{"DE", "de", "oots", "OOTS", "D", "DEU", "EL"} {
					out = append(out, base+"evidencetypeclassifications/"+c+"/"+id)
				}
			}
		}
	}
	return out
}

// canonical20 reports whether id is a TDD 2.0 identifier in the form the
// 2.0.1 patterns write: the 2.0 host, a lower-case UUID, a country segment of
// two upper-case letters or "oots".
func canonical20(id edm.SRID) bool {
	if id.V1 || strings.ToLower(id.UUID) != id.UUID {
		return false
	}
	if id.Kind == edm.SREvidenceTypeClassifications {
		return id.Country == edm.SRTestSegment || regexp.MustCompile(`^[A-Z]{2}$`).MatchString(id.Country)
	}
	return true
}

// TestSRIDRulesAndParseSRID: the Semantic Repository identifiers the 2.0
// rules R-EDM-REQ-C008, R-EDM-REQ-C027 and R-EDM-RESP-C017 accept, put in the
// reference messages, are those edm.ParseSRID reads as 2.0 identifiers: every
// identifier the rules accept is read by ParseSRID, and every identifier
// ParseSRID reads in the 2.0 form (canonical20) passes the rules, so that the
// rules are no stricter than the Go definition nor it than them. The
// identifiers the acceptance Common Services published (real answers, which
// the official rules accept) are among the candidates. Every candidate
// begins with "https://": C027 and C017, like their TDD 1.0 forms, do not
// anchor the start of their pattern, so they also let text before it pass,
// which ParseSRID refuses.
func TestSRIDRulesAndParseSRID(t *testing.T) {
	cands := srCandidates()
	dir := testenv.Spec(t, "edm-2.0-oots-france/common_services")
	published := regexp.MustCompile(`https://sr\.[^<"]*/(requirements|evidencetypeclassifications)/[^<"]*`)
	for _, name := range []string{"eb_requirements_catalogue.xml", "eb_evidence_types_fr.xml", "dsd_data_services_fi.xml"} {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, published.FindAllString(string(b), -1)...)
	}
	read := func(name string) string {
		b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/"+name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	req, resp := read(smpReq), read(smpResp)
	const (
		requirement    = "https://sr.oots.tech.ec.europa.eu/requirements/f8a6a284-34e9-42c7-9733-63b5c4f4aa42"
		classification = "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
	)
	reqRules, err := ForKind(KindEDMRequest, "oots-edm:v2.0")
	if err != nil {
		t.Fatal(err)
	}
	respRules, err := ForKind(KindEDMResponse, "oots-edm:v2.0")
	if err != nil {
		t.Fatal(err)
	}
	accepts := func(rs *RuleSet, sample, old, id, rule string) bool {
		t.Helper()
		if !strings.Contains(sample, old) {
			t.Fatalf("%s not in the sample", old)
		}
		doc, err := xmltree.ParseBytes([]byte(strings.ReplaceAll(sample, old, id)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return !firedID(rs, doc, rule)
	}
	var nRules, nParse, nPublished int
	seen := map[string]bool{}
	for _, c := range cands {
		if seen[c] {
			continue
		}
		seen[c] = true
		id, perr := edm.ParseSRID(c)
		var ok []bool
		var rules []string
		if strings.Contains(c, "/requirements/") {
			ok = append(ok, accepts(reqRules, req, requirement, c, "R-EDM-REQ-C008"))
			rules = append(rules, "R-EDM-REQ-C008")
		} else {
			ok = append(ok, accepts(reqRules, req, classification, c, "R-EDM-REQ-C027"), accepts(respRules, resp, classification, c, "R-EDM-RESP-C017"))
			rules = append(rules, "R-EDM-REQ-C027", "R-EDM-RESP-C017")
		}
		if ok[len(ok)-1] != ok[0] {
			t.Errorf("%s: R-EDM-REQ-C027 and R-EDM-RESP-C017 disagree", c)
		}
		if ok[0] {
			nRules++
			if strings.Contains(c, ".acc.") {
				nPublished++
			}
		}
		if perr == nil && canonical20(id) {
			nParse++
		}
		switch {
		case ok[0] && perr != nil:
			t.Errorf("%s: %v accept it, edm.ParseSRID refuses it: %v", c, rules, perr)
		case perr == nil && canonical20(id) && !ok[0]:
			t.Errorf("%s: edm.ParseSRID reads a 2.0 identifier (%+v), %v refuse it", c, id, rules)
		}
	}
	t.Logf("%d distinct identifiers: %d accepted by the 2.0 rules, %d read by edm.ParseSRID in the 2.0 form, %d of the acceptance environment accepted", len(seen), nRules, nParse, nPublished)
	if nRules < 60 || nPublished < 50 {
		t.Errorf("too few identifiers accepted (%d, %d of acceptance): the candidates no longer reach the rules", nRules, nPublished)
	}
}
