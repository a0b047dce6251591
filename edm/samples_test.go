package edm

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/xmltree"
	"github.com/oots-go/oots/regrep"
)

// fragments are the XML files under the shared specification folder that are
// not complete OOTS messages, with the reason.
var fragments = map[string]string{
	"edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml":                  "a Domibus P-Mode configuration, not a message",
	"tdd-1.0/xml/edm/evidence-payloads/BirthEvidence.xml":                        "an evidence payload (AS4 attachment), not a RegRep message",
	"tdd-1.0/xml/edm/evidence-payloads/secondaryEducationEvidence.xml":           "an evidence payload (AS4 attachment), not a RegRep message",
	"tdd-1.0/xml/edm/evidence-payloads/secondaryEducationEvidenceSupplement.xml": "an evidence payload (AS4 attachment), not a RegRep message",
	"legacy-0.99/xml/dsd/DataServiceEvidenceType-example.xml":                    "a lone sdg:DataServiceEvidenceType snippet",
	"legacy-0.99/xml/dsd/EvidenceProviderClassification-example-1.xml":           "a lone sdg:EvidenceProviderClassification snippet",
	"legacy-0.99/xml/dsd/EvidenceProviderClassification-example-2.xml":           "a lone sdg:EvidenceProviderClassification snippet",
	"legacy-0.99/xml/eb/Registry_Object_Evidence_Type.xml":                       "a lone rim:RegistryObject snippet",
	"legacy-0.99/xml/eb/Registry_Object_Evidence_Type_List.xml":                  "a lone rim:RegistryObject snippet",
	"legacy-0.99/xml/eb/Registry_Object_Procedure.xml":                           "a lone rim:RegistryObject snippet",
	"legacy-0.99/xml/eb/Registry_Object_Requirement.xml":                         "a lone rim:RegistryObject snippet",
	"pre-1.0/xml/dsd/DataServiceEvidenceType-example.xml":                        "a lone sdg:DataServiceEvidenceType snippet",
	"pre-1.0/xml/dsd/EvidenceProviderClassification-example-1.xml":               "a lone sdg:EvidenceProviderClassification snippet",
	"pre-1.0/xml/dsd/EvidenceProviderClassification-example-2.xml":               "a lone sdg:EvidenceProviderClassification snippet",
	"pre-1.0/xml/eb/Registry-Object-Evidence-Type-List.xml":                      "a lone rim:RegistryObject snippet",
	"pre-1.0/xml/eb/Registry-Object-Evidence-Type.xml":                           "a lone rim:RegistryObject snippet",
	"pre-1.0/xml/eb/Registry-Object-Procedure.xml":                               "a lone rim:RegistryObject snippet",
	"pre-1.0/xml/eb/Registry-Object-Requirement.xml":                             "a lone rim:RegistryObject snippet",
}

// sampleFiles returns every XML file under the shared specification folder,
// relative to it.
func sampleFiles(tb testing.TB) (string, []string) {
	tb.Helper()
	dir := testenv.SpecDir(tb)
	var out []string
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(p, ".xml") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return dir, out
}

// canonical is the comparison of the acceptance criteria: exclusive c14n
// without comments, ignoring whitespace-only text between elements and
// inside RegRep elements whose content is element-only.
func canonical(tb testing.TB, el *xmltree.Element) []byte {
	tb.Helper()
	el = el.Copy()
	el.StripInsignificant()
	el.Walk(func(e *xmltree.Element) bool {
		switch e.Space {
		case regrep.NamespaceRIM, regrep.NamespaceRS, regrep.NamespaceQuery, regrep.NamespaceLCM:
			if e.Local == "Value" {
				return true
			}
			kept := e.Children[:0]
			for _, n := range e.Children {
				if c, ok := n.(*xmltree.CharData); ok && strings.TrimSpace(c.Data) == "" {
					continue
				}
				kept = append(kept, n)
			}
			e.Children = kept
		}
		return true
	})
	return el.Canonical()
}

func TestSamplesSurvey(t *testing.T) {
	dir, files := sampleFiles(t)
	for _, name := range files {
		if _, ok := fragments[name]; ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m, findings, err := ParseBytes(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		doc, _ := xmltree.ParseBytes(b, nil)
		out, err := m.Marshal()
		same := "?"
		if err == nil {
			doc2, err2 := xmltree.ParseBytes(out, nil)
			if err2 != nil {
				t.Errorf("%s: reparse: %v", name, err2)
				continue
			}
			same = map[bool]string{true: "same", false: "DIFF"}[bytes.Equal(canonical(t, doc.Root), canonical(t, doc2.Root))]
		}
		t.Logf("%-90s %-8s %-14s valid=%v n=%d %s marshal=%v", name, m.Kind(), m.Version(), check.Valid(findings), len(findings), same, err)
		for _, f := range findings {
			t.Logf("      %v", f)
		}
	}
}
