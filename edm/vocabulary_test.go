package edm

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// referenceRequest returns the 2.0 request of the reference messages (which
// the official TDD 2.0.1 Schematron accepted), edited by the given
// replacements, each of which must apply.
func referenceRequest(tb testing.TB, edits ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(testenv.Spec(tb, "edm-2.0-oots-france/messages/requete.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			tb.Fatalf("the reference request has no %q", edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

// v1Edits turn the 2.0 reference request into its 1.2 form: the version,
// the procedure as an InternationalString, no DistributedAs/Language.
var v1Edits = []string{
	"<rim:Value>oots-edm:v2.0</rim:Value>", "<rim:Value>oots-edm:v1.2</rim:Value>",
	`<rim:SlotValue xsi:type="rim:StringValueType">
      <rim:Value>T3</rim:Value>`, `<rim:SlotValue xsi:type="rim:InternationalStringValueType">
      <rim:Value><rim:LocalizedString xml:lang="EN" value="T3"/></rim:Value>`,
	"<sdg:Language>EN</sdg:Language>", "",
}

const refDistributedAs = "<sdg:DistributedAs>\n        <sdg:Format>application/pdf</sdg:Format>"

func findingsOf(fs []check.Finding, rule string, flag check.Flag) []check.Finding {
	var out []check.Finding
	for _, f := range fs {
		if (rule == "" || f.Rule == rule) && f.Flag == flag {
			out = append(out, f)
		}
	}
	return out
}

// roundTrip parses b and checks that writing it back gives the same
// document (exclusive c14n, insignificant whitespace aside).
func roundTrip(t *testing.T, b []byte) (Message, []check.Finding) {
	t.Helper()
	m, fs, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	in, _ := xmltree.ParseBytes(b, nil)
	back, err := xmltree.ParseBytes(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := canonical(t, back.Root), canonical(t, in.Root); !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Errorf("round trip differs at byte %d:\n got …%s\nwant …%s", i, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
	return m, fs
}

// Format and DistributedAs are repeatable in 2.0: a reference request with
// two DistributedAs, the first with two formats, reads without finding,
// keeps every format and writes back the same document.
func TestRepeatableFormatV2(t *testing.T) {
	b := referenceRequest(t, refDistributedAs,
		refDistributedAs+"\n        <sdg:Format>application/xml</sdg:Format>",
		"</sdg:DistributedAs>",
		"</sdg:DistributedAs>\n      <sdg:DistributedAs><sdg:Format>image/png</sdg:Format></sdg:DistributedAs>")
	m, fs := roundTrip(t, b)
	if len(fs) > 0 {
		t.Errorf("findings on a 2.0 request with repeated formats: %v", fs)
	}
	q := m.(*QueryRequest)
	das := q.EvidenceRequest.DistributedAs
	if len(das) != 2 {
		t.Fatalf("%d DistributedAs", len(das))
	}
	if got := strings.Join(das[0].Formats(), " "); got != "application/pdf application/xml" || das[0].Format != "application/pdf" {
		t.Errorf("formats %q, first %q", got, das[0].Format)
	}
	if !das[0].HasFormat("APPLICATION/XML") || das[0].HasFormat("image/png") || !das[1].HasFormat("image/png") {
		t.Errorf("HasFormat answers wrongly for %v / %v", das[0].Formats(), das[1].Formats())
	}
	if got := das[0].Language; len(got) != 1 || got[0] != "EN" {
		t.Errorf("language after two formats: %v", got)
	}
}

// Every format is checked against OOTSMediaTypes, not only the first.
func TestRepeatableFormatCodes(t *testing.T) {
	b := referenceRequest(t, refDistributedAs, refDistributedAs+"\n        <sdg:Format>text/plain</sdg:Format>")
	_, fs, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := findingsOf(fs, RuleCode, check.Error); len(got) != 1 || !strings.Contains(got[0].Message, "text/plain") {
		t.Errorf("findings %v, want one OOTSMediaTypes error on text/plain", fs)
	}
}

// In 1.x a second Format, a second DistributedAs in a request and a second
// Distribution of an evidence stay errors, and the document still round-trips.
func TestRepeatableFormatV1Refused(t *testing.T) {
	v1 := func(edits ...string) []byte {
		return referenceRequest(t, append(slices.Clone(v1Edits), edits...)...)
	}
	_, fs := roundTrip(t, v1())
	if len(fs) > 0 {
		t.Fatalf("the 1.2 form of the reference request has findings: %v", fs)
	}
	_, fs = roundTrip(t, v1(refDistributedAs, refDistributedAs+"\n        <sdg:Format>application/xml</sdg:Format>"))
	if got := findingsOf(fs, RuleVersion, check.Error); len(got) != 1 || !strings.HasSuffix(got[0].Location, "/Format") {
		t.Errorf("1.2 request with two formats: findings %v", fs)
	}
	_, fs = roundTrip(t, v1("</sdg:DistributedAs>", "</sdg:DistributedAs><sdg:DistributedAs><sdg:Format>image/png</sdg:Format></sdg:DistributedAs>"))
	if got := findingsOf(fs, RuleVersion, check.Error); len(got) != 1 || !strings.HasSuffix(got[0].Location, "DistributedAs") {
		t.Errorf("1.2 request with two DistributedAs: findings %v", fs)
	}

	// An evidence of a 1.x response has exactly one Distribution.
	r := buildResponse()
	md := &r.Evidence[0].Metadata
	md.Distribution = append(md.Distribution, Distribution{Format: "application/xml", ConformsTo: "https://sr.oots.tech.ec.europa.eu/datamodels/x"})
	if got := findingsOf(Check(r), RuleVersion, check.Error); len(got) != 1 {
		t.Errorf("1.0 evidence with two distributions: findings %v", Check(r))
	}
}

// buildRequestV2Formats is the built 2.0 request asking for one
// distribution in three formats and another in a fourth.
func buildRequestV2Formats() *QueryRequest {
	q := buildRequestV2()
	da := &q.EvidenceRequest.DistributedAs[0]
	da.Format, da.MoreFormats = "application/pdf", []string{"application/xml", "application/json"}
	q.EvidenceRequest.DistributedAs = append(q.EvidenceRequest.DistributedAs, Distribution{Format: "image/png"})
	return q
}

// A distribution built with several formats writes them in order after the
// first, and reads back equal.
func TestRepeatableFormatBuilt(t *testing.T) {
	out, err := buildRequestV2Formats().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	i, j, k := strings.Index(s, "application/pdf"), strings.Index(s, "application/xml"), strings.Index(s, "application/json")
	if i < 0 || !(i < j && j < k) || k > strings.Index(s, "<sdg:Language>") {
		t.Errorf("formats not written in order before Language:\n%s", s)
	}
	m, fs, err := ParseBytes(out)
	if err != nil || len(fs) > 0 {
		t.Fatalf("%v %v", err, fs)
	}
	if got := m.(*QueryRequest).EvidenceRequest.DistributedAs[0].Formats(); strings.Join(got, " ") != "application/pdf application/xml application/json" {
		t.Errorf("read back %v", got)
	}
}

// The eidas2 profile, on requests built from the 2.0 reference request.
func TestEIDAS2Profile(t *testing.T) {
	const id = `<sdg:Identifier schemeID="eidas">FR/DE/123123123</sdg:Identifier>`
	const eidas2 = `<sdg:Identifier schemeID="eidas2">FR/DE/123123123</sdg:Identifier>`
	const dob = "<sdg:DateOfBirth>1992-10-22</sdg:DateOfBirth>"
	tests := []struct {
		name   string
		edits  []string
		errors []string // locations' suffixes of the errors
		warns  []string // ... and of the warnings
	}{
		{"reference", nil, nil, nil},
		{"eidas2 High", []string{id, eidas2}, nil, nil},
		{"eidas2 with birth name and numeric gender", []string{id, eidas2, dob, dob + "<sdg:BirthName>Martin#Jeanne</sdg:BirthName><sdg:Gender>2</sdg:Gender>"}, nil, nil},
		{"eidas2 Substantial", []string{id, eidas2, "<sdg:LevelOfAssurance>High<", "<sdg:LevelOfAssurance>Substantial<"}, []string{"/LevelOfAssurance"}, nil},
		{"eidas2 without LoA", []string{id, eidas2, "<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>", ""}, nil, []string{"/LevelOfAssurance"}},
		{"eidas2 birth name without #", []string{id, eidas2, dob, dob + "<sdg:BirthName>Martin</sdg:BirthName>"}, nil, []string{"/BirthName"}},
		{"eidas2 birth name with two #", []string{id, eidas2, dob, dob + "<sdg:BirthName>a#b#c</sdg:BirthName>"}, nil, []string{"/BirthName"}},
		{"eidas2 eIDAS gender", []string{id, eidas2, dob, dob + "<sdg:Gender>Female</sdg:Gender>"}, nil, []string{"/Gender"}},
		{"eidas2 gender 7", []string{id, eidas2, dob, dob + "<sdg:Gender>7</sdg:Gender>"}, nil, []string{"/Gender"}},
		{"eidas gender Male", []string{dob, dob + "<sdg:Gender>Male</sdg:Gender>"}, nil, nil},
		{"eidas numeric gender", []string{dob, dob + "<sdg:Gender>1</sdg:Gender>"}, nil, nil},
		{"eidas unknown gender", []string{dob, dob + "<sdg:Gender>M</sdg:Gender>"}, nil, []string{"/Gender"}},
		{"eidas birth name without #", []string{dob, dob + "<sdg:BirthName>Martin</sdg:BirthName>"}, nil, nil},
		// 1.x: no eidas2 profile, Gender is the XSD enumeration.
		{"1.2 eidas2", append(slices.Clone(v1Edits), id, eidas2), []string{"/@schemeID"}, nil},
		{"1.2 numeric gender", append(slices.Clone(v1Edits), dob, dob+"<sdg:Gender>1</sdg:Gender>"), []string{"/Gender"}, nil},
		{"1.2 Unspecified", append(slices.Clone(v1Edits), dob, dob+"<sdg:Gender>Unspecified</sdg:Gender>"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := roundTrip(t, referenceRequest(t, tt.edits...))
			match := func(flag check.Flag, want []string) {
				got := findingsOf(fs, "", flag)
				if len(got) != len(want) {
					t.Fatalf("%s findings %v, want at %v", flag, got, want)
				}
				for i, f := range got {
					if !strings.HasSuffix(f.Location, want[i]) || !strings.HasPrefix(f.Location, "NaturalPerson/Person") {
						t.Errorf("%s at %s, want …%s", flag, f.Location, want[i])
					}
				}
			}
			match(check.Error, tt.errors)
			match(check.Warning, tt.warns)
		})
	}
}

// A 2.0 Evidence Broker error answer with EB:ERR:0004 is flagged; the same
// answer in 1.x is clean.
func TestEBErr0004ByVersion(t *testing.T) {
	for _, v := range []Version{CSv1, CSv20} {
		r := NewServiceError(v, NewException("EB:ERR:0004", "jurisdiction-admin-l2"))
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		m, fs, err := ParseBytes(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version() != v {
			t.Fatalf("answer of %s read as %s", v, m.Version())
		}
		got := findingsOf(fs, RuleVersion, check.Error)
		if v == CSv20 && (len(got) != 1 || !strings.Contains(got[0].Message, "withdrawn")) {
			t.Errorf("oots-cs:v2.0 EB:ERR:0004: findings %v", fs)
		}
		if v == CSv1 && len(fs) > 0 {
			t.Errorf("oots-cs:v1 EB:ERR:0004: findings %v", fs)
		}
	}
}
