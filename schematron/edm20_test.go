package schematron

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/xmltree"
)

// edm20Case is a v2.0 instance, or a mutant of one made by a textual
// replacement, and the rule ids our EDM v2.0 files must fire on it (none for
// the instances themselves).
type edm20Case struct {
	name     string
	sample   string // file in edm-2.0-oots-france/messages
	kind     string
	old, new string // replacement applied everywhere; empty for the sample as is
	want     []string
}

const (
	slotPreview = `<rim:Slot name="PreviewLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>https://preview.example.eu/p/1</rim:Value></rim:SlotValue></rim:Slot>`
	slotReturn  = `<rim:Slot name="ReturnLocation"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>http://portal.example.eu/back</rim:Value></rim:SlotValue></rim:Slot>`
	requesterIP = `<sdg:Classification>IP</sdg:Classification>`
	ebmsExch    = `<eb:Property name="ExchangeId">1a2b3c4d-0000-4000-8000-000000000002</eb:Property>`
)

var edm20Cases = []edm20Case{
	{name: "request", sample: "requete.xml", kind: KindEDMRequest},
	{name: "response", sample: "reponse.xml", kind: KindEDMResponse},
	{name: "error", sample: "erreur.xml", kind: KindEDMError},
	{name: "request header", sample: "requete.entete.xml", kind: KindEBMS},
	{name: "response header", sample: "reponse.entete.xml", kind: KindEBMS},
	{name: "error header", sample: "erreur.entete.xml", kind: KindEBMS},

	{"request xml:lang", "requete.xml", KindEDMRequest, `id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000000"`, `id="urn:uuid:1a2b3c4d-0000-4000-8000-000000000000" xml:lang="EN"`, []string{"R-EDM-REQ-S203"}},
	{"request id not urn:uuid", "requete.xml", KindEDMRequest, `id="urn:uuid:`, `id="`, []string{"R-EDM-REQ-S202"}},
	{"request preview without return", "requete.xml", KindEDMRequest, `<rim:Slot name="PossibilityForPreview">`, slotPreview + `<rim:Slot name="PossibilityForPreview">`, []string{"R-EDM-REQ-S213"}},
	{"request return over http", "requete.xml", KindEDMRequest, `<rim:Slot name="PossibilityForPreview">`, slotPreview + slotReturn + `<rim:Slot name="PossibilityForPreview">`, []string{"R-EDM-REQ-C205"}},
	{"request v1.2", "requete.xml", KindEDMRequest, `<rim:Value>oots-edm:v2.0</rim:Value>`, `<rim:Value>oots-edm:v1.2</rim:Value>`, []string{"R-EDM-REQ-C201"}},
	{"request procedure", "requete.xml", KindEDMRequest, `<rim:Value>T3</rim:Value>`, `<rim:Value>T8</rim:Value>`, []string{"R-EDM-REQ-C203"}},
	{"request date", "requete.xml", KindEDMRequest, `2026-08-06T10:00:00.000Z`, `06/08/2026 10:00`, []string{"R-EDM-REQ-C202"}},
	{"request requester EP", "requete.xml", KindEDMRequest, requesterIP, `<sdg:Classification>EP</sdg:Classification>`, []string{"R-EDM-REQ-C209"}},
	{"request no ER", "requete.xml", KindEDMRequest, `<sdg:Classification>ER</sdg:Classification>`, requesterIP, []string{"R-EDM-REQ-C208"}},
	{"request associated document", "requete.xml", KindEDMRequest, `<sdg:Language>EN</sdg:Language>`, `<sdg:Language>EN</sdg:Language><sdg:AssociatedDocumentRequest>Summary</sdg:AssociatedDocumentRequest>`, []string{"R-EDM-REQ-C219"}},
	{"request language", "requete.xml", KindEDMRequest, `<sdg:Language>EN</sdg:Language>`, `<sdg:Language>English</sdg:Language>`, []string{"R-EDM-REQ-C218"}},
	{"request format", "requete.xml", KindEDMRequest, `<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>text/plain</sdg:Format>`, []string{"R-EDM-REQ-C217"}},
	{"request transformation", "requete.xml", KindEDMRequest, `<sdg:Language>EN</sdg:Language>`, `<sdg:Language>EN</sdg:Language><sdg:Transformation>https://sr.oots.tech.ec.europa.eu/x</sdg:Transformation>`, []string{"R-EDM-REQ-S223"}},
	{"request no person", "requete.xml", KindEDMRequest, `<rim:Slot name="NaturalPerson">`, `<rim:Slot name="Someone">`, []string{"R-EDM-REQ-S216"}},

	{"response unpackaged", "reponse.xml", KindEDMResponse, `xsi:type="rim:RegistryPackageType"`, `xsi:type="rim:ExtrinsicObjectType"`, []string{"R-EDM-RESP-S211"}},
	{"response node", "reponse.xml", KindEDMResponse, `classificationNode="MainEvidence"`, `classificationNode="Evidence"`, []string{"R-EDM-RESP-S213", "R-EDM-RESP-S220"}},
	{"response scheme", "reponse.xml", KindEDMResponse, `classificationScheme="urn:fdc:oots:classification:edm"`, `classificationScheme="urn:example"`, []string{"R-EDM-RESP-S219"}},
	{"response no issuing authority", "reponse.xml", KindEDMResponse, `IssuingAuthority>`, `IssuingAuthorityX>`, []string{"R-EDM-RESP-S223"}},
	{"response format", "reponse.xml", KindEDMResponse, `<sdg:Format>application/pdf</sdg:Format>`, `<sdg:Format>application/msword</sdg:Format>`, []string{"R-EDM-RESP-C211"}},
	{"response status", "reponse.xml", KindEDMResponse, `ResponseStatusType:Success`, `ResponseStatusType:Failure`, []string{"R-EDM-RESP-S202"}},
	{"response cid", "reponse.xml", KindEDMResponse, `xlink:href="cid:`, `xlink:href="https://`, []string{"R-EDM-RESP-C207"}},

	{"error preview method", "erreur.xml", KindEDMError, `</rim:Slot>
  </rs:Exception>`, `</rim:Slot><rim:Slot name="PreviewMethod"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>GET</rim:Value></rim:SlotValue></rim:Slot></rs:Exception>`, []string{"R-EDM-ERR-S212"}},
	{"error code", "erreur.xml", KindEDMError, `code="EDM:ERR:0004"`, `code="EDM:ERR:0042"`, []string{"R-EDM-ERR-C204"}},
	{"error type", "erreur.xml", KindEDMError, `rs:ObjectNotFoundExceptionType`, `rs:TimeoutExceptionType`, []string{"R-EDM-ERR-C205"}},
	{"error preview severity", "erreur.xml", KindEDMError, `ErrorSeverityType:Error`, `ErrorSeverityType:Error2`, []string{"R-EDM-ERR-C206"}},
	{"error provider", "erreur.xml", KindEDMError, `<sdg:Classification>ERRP</sdg:Classification>`, `<sdg:Classification>EP</sdg:Classification>`, []string{"R-EDM-ERR-C203"}},

	{"header no ExchangeId", "requete.entete.xml", KindEBMS, ebmsExch, ``, []string{"R-EDM-ebMS-018", "R-EDM-ebMS-019"}},
	{"header ExchangeId", "requete.entete.xml", KindEBMS, `>1a2b3c4d-0000-4000-8000-000000000002<`, `>exchange-2<`, []string{"R-EDM-ebMS-037"}},
	{"header SpecificationId", "requete.entete.xml", KindEBMS, `>oots-edm:v2.0<`, `>oots-edm:v1.2<`, []string{"R-EDM-ebMS-038"}},
	{"header ConversationId", "reponse.entete.xml", KindEBMS, `e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24`, `conversation-1`, []string{"R-EDM-ebMS-017"}},
	{"header fifth property", "erreur.entete.xml", KindEBMS, `<eb:Property name="SpecificationId">`, `<eb:Property name="Extra">x</eb:Property><eb:Property name="SpecificationId">`, []string{"R-EDM-ebMS-018"}},
	{"header duplicate property", "erreur.entete.xml", KindEBMS, `<eb:Property name="ExchangeId">`, `<eb:Property name="originalSender" type="urn:cef.eu:names:identifier:EAS:0009">1</eb:Property><eb:Property name="ExchangeId">`, []string{"R-EDM-ebMS-018", "R-EDM-ebMS-019"}},
}

// edm20Docs builds the documents of edm20Cases.
func edm20Docs(t *testing.T) [][]byte {
	t.Helper()
	out := make([][]byte, len(edm20Cases))
	for i, c := range edm20Cases {
		b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/"+c.sample))
		if err != nil {
			t.Fatal(err)
		}
		if c.old != "" {
			s := string(b)
			if !strings.Contains(s, c.old) {
				t.Fatalf("%s: %q not in %s", c.name, c.old, c.sample)
			}
			b = []byte(strings.ReplaceAll(s, c.old, c.new))
		}
		out[i] = b
	}
	return out
}

// TestEDM20Rules: our v2.0 rule files accept the v2.0 instances and reject
// each mutant with the intended rule (and only it).
func TestEDM20Rules(t *testing.T) {
	docs := edm20Docs(t)
	for i, c := range edm20Cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := xmltree.ParseBytes(docs[i], nil)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := ForKind(c.kind, "oots-edm:v2.0")
			if err != nil {
				t.Fatal(err)
			}
			set := map[string]bool{}
			for _, f := range rs.Validate(doc) {
				set[f.Rule] = true
				t.Log(f)
			}
			if got := sortedKeys(set); !equalStrings(got, c.want) {
				t.Errorf("fired %v, want %v", got, c.want)
			}
		})
	}
}

// TestEDM20RulesSaxon proves the v2.0 rule files themselves with an
// independent engine: Saxon fires exactly the expected ids on every case.
func TestEDM20RulesSaxon(t *testing.T) {
	if testing.Short() {
		t.Skip("Saxon run skipped in -short mode")
	}
	sx := newSaxon(t)
	tmp := t.TempDir()
	docs := edm20Docs(t)
	docDir := filepath.Join(tmp, "docs")
	os.MkdirAll(docDir, 0o755)
	var names []string
	for i, b := range docs {
		n := filepath.Join(docDir, "c"+string(rune('a'+i/26))+string(rune('a'+i%26))+".xml")
		if err := os.WriteFile(n, b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(n))
	}
	var schs []string
	os.MkdirAll(filepath.Join(tmp, "sch"), 0o755)
	entries, err := fs.ReadDir(Rules(), SetEDM20)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(Rules(), path.Join(SetEDM20, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, "sch", e.Name())
		os.WriteFile(f, b, 0o644)
		schs = append(schs, f)
	}
	xsls := sx.compile(t, filepath.Join(tmp, "compiled"), schs)
	fired := make([]map[string]bool, len(docs))
	for i := range fired {
		fired[i] = map[string]bool{}
	}
	// Run every rule file of the kind over the whole directory.
	for _, base := range sortedBases(xsls) {
		out, err := sx.run(xsls[base], docDir, filepath.Join(tmp, "svrl", base), names)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range edm20Cases {
			files, _ := Files(c.kind, "oots-edm:v2.0")
			if !containsBase(files, base) {
				continue
			}
			o := out[names[i]]
			if o.failed {
				t.Errorf("%s: Saxon failed on %s", c.name, base)
			}
			for _, id := range o.ids {
				fired[i][id] = true
			}
		}
	}
	for i, c := range edm20Cases {
		if got := sortedKeys(fired[i]); !equalStrings(got, c.want) {
			t.Errorf("%s: Saxon fired %v, want %v", c.name, got, c.want)
		}
	}
}

func sortedBases(m map[string]string) []string {
	set := map[string]bool{}
	for k := range m {
		set[k] = true
	}
	return sortedKeys(set)
}

func containsBase(files []string, base string) bool {
	for _, f := range files {
		if path.Base(f) == base {
			return true
		}
	}
	return false
}
