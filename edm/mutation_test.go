package edm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/oots-go/oots/xmltree"
)

func requestBytes(t *testing.T) []byte {
	t.Helper()
	b, err := buildRequest().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMutations: damaged messages give a clear finding (or error), never a
// panic.
func TestMutations(t *testing.T) {
	base := requestBytes(t)
	slot := func(name string) string {
		i := bytes.Index(base, []byte(`<rim:Slot name="`+name+`">`))
		j := bytes.Index(base[i:], []byte("</rim:Slot>")) + i + len("</rim:Slot>")
		return string(base[i:j])
	}
	tests := []struct {
		name     string
		mutate   func(string) string
		rule     string
		location string
		text     string
	}{
		{"required slot removed", func(s string) string { return strings.Replace(s, slot("ExplicitRequestGiven"), "", 1) },
			RuleSlotMissing, "/query:QueryRequest", "ExplicitRequestGiven"},
		{"required query slot removed", func(s string) string { return strings.Replace(s, slot("EvidenceRequest"), "", 1) },
			RuleSlotMissing, "/query:QueryRequest/query:Query", "EvidenceRequest"},
		{"unknown procedure code", func(s string) string { return strings.Replace(s, `value="R1"`, `value="Q7"`, 1) },
			RuleCode, "Procedure", `"Q7"`},
		{"unknown level of assurance", func(s string) string {
			return strings.Replace(s, "<sdg:LevelOfAssurance>High<", "<sdg:LevelOfAssurance>Highest<", 1)
		}, RuleCode, "NaturalPerson/Person/LevelOfAssurance", `"Highest"`},
		{"unknown country", func(s string) string {
			return strings.Replace(s, "<sdg:AdminUnitLevel1>DK<", "<sdg:AdminUnitLevel1>XX<", 1)
		}, RuleCode, "EvidenceRequester[1]/Agent/Address/AdminUnitLevel1", `"XX"`},
		{"bad UUID", func(s string) string {
			return strings.Replace(s, `id="urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"`, `id="urn:uuid:4ffb5281-179d"`, 1)
		}, RuleUUID, "/query:QueryRequest/@id", "urn:uuid:4ffb5281-179d"},
		{"sdg element in a wrong namespace", func(s string) string {
			return strings.Replace(s, "<sdg:FamilyName>Smith</sdg:FamilyName>", `<x:FamilyName xmlns:x="urn:example:not-sdg">Smith</x:FamilyName>`, 1)
		}, "OOTS-STRUCT-UNKNOWN-ELEMENT", "sdg:Person/x:FamilyName", "{urn:example:not-sdg}FamilyName"},
		{"required sdg element missing", func(s string) string {
			return strings.Replace(s, "<sdg:FamilyName>Smith</sdg:FamilyName>", "", 1)
		}, "OOTS-STRUCT-MISSING", "sdg:Person", "sdg:FamilyName"},
		{"slot of the wrong value type", func(s string) string {
			old := slot("ExplicitRequestGiven")
			return strings.Replace(s, old, strings.Replace(old, "rim:BooleanValueType", "rim:StringValueType", 1), 1)
		}, RuleSlotType, "rim:Slot[5]", "ExplicitRequestGiven"},
		{"unknown slot", func(s string) string {
			return strings.Replace(s, "<query:ResponseOption", `<rim:Slot name="Colour"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>blue</rim:Value></rim:SlotValue></rim:Slot><query:ResponseOption`, 1)
		}, RuleSlotUnknown, "/query:QueryRequest/rim:Slot[", "Colour"},
		{"rim:Slot in a wrong namespace (prefix rebound)", func(s string) string {
			old := slot("PossibilityForPreview")
			return strings.Replace(s, old, strings.Replace(old, `<rim:Slot name=`, `<rim:Slot xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" name=`, 1), 1)
		}, "OOTS-STRUCT-UNKNOWN-ELEMENT", "/query:QueryRequest/rim:Slot", "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot"},
		{"slots out of order", func(s string) string {
			a, b := slot("SpecificationIdentifier"), slot("IssueDateTime")
			s = strings.Replace(s, a, "@@A@@", 1)
			s = strings.Replace(s, b, a, 1)
			return strings.Replace(s, "@@A@@", b, 1)
		}, RuleSlotOrder, "/query:QueryRequest/rim:Slot[2]", "SpecificationIdentifier"},
		{"malformed eIDAS identifier", func(s string) string {
			return strings.Replace(s, ">DK/DE/123123123<", ">DKDE123123123<", 1)
		}, RuleContent, "NaturalPerson/Person/Identifier", "DKDE123123123"},
		{"xml:lang on a 2.0 request", func(s string) string { return strings.Replace(s, "oots-edm:v1.0", "oots-edm:v2.0", 1) },
			RuleVersion, "@xml:lang", "xml:lang"},
		{"unknown specification version", func(s string) string { return strings.Replace(s, "oots-edm:v1.0", "oots-edm:v9.9", 1) },
			RuleVersion, "SpecificationIdentifier", "oots-edm:v9.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.mutate(string(base))
			if doc == string(base) {
				t.Fatal("mutation did not apply")
			}
			m, findings, err := ParseBytes([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if f.Rule == tt.rule && strings.Contains(f.Location, tt.location) && strings.Contains(f.Message, tt.text) {
					if _, err := m.Marshal(); err != nil && tt.rule != RuleSlotMissing && tt.rule != RuleVersion {
						t.Errorf("marshal of the damaged message: %v", err)
					}
					return
				}
			}
			t.Errorf("no finding %s at %s mentioning %s in %v", tt.rule, tt.location, tt.text, findings)
		})
	}
}

// TestHostileDocuments: a DTD, a deep document and a huge text node stop
// the parser with the screening error.
func TestHostileDocuments(t *testing.T) {
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)
	tests := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"DTD", strings.NewReader(`<!DOCTYPE q [<!ENTITY x "y">]><query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`), xmltree.ErrDTD},
		{"1000 levels deep", strings.NewReader(deep), xmltree.ErrTooDeep},
		// 200 MB of text, generated as it is read: the parser stops at
		// Limits.MaxBytes without holding the document.
		{"200 MB text node", io.MultiReader(
			strings.NewReader(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="x"><x>`),
			io.LimitReader(repeatReader('a'), 200<<20),
			strings.NewReader(`</x></query:QueryRequest>`)), xmltree.ErrTooLarge},
		{"not OOTS", strings.NewReader(`<html/>`), ErrNotOOTS},
		{"query:QueryRequest in a wrong namespace", strings.NewReader(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" id="x"/>`), ErrNotOOTS},
		{"success response without objects", strings.NewReader(`<query:QueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>`), ErrUnknownKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(tt.r)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
