package as4

import (
	"os"
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func TestCheckHeaderSamples(t *testing.T) {
	for _, f := range sampleHeaders(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if fs := CheckHeader(doc.Root); !check.Valid(fs) {
			t.Errorf("%s: %v", f, fs)
		}
	}
}

func TestCheckHeaderRules(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/requete.entete.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sample := string(b)
	cases := []struct{ name, from, to, rule string }{
		{"role", `<eb:Role>http://sdg.europa.eu/edelivery/gateway</eb:Role>`, `<eb:Role>urn:x</eb:Role>`, "OOTS-EBMS-ROLE"},
		{"untyped party", `<eb:PartyId type="urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots">AP_FR_01`, `<eb:PartyId>AP_FR_01`, "OOTS-EBMS-PARTYID"},
		{"service", `>QueryManager<`, `>Other<`, "OOTS-EBMS-SERVICE"},
		{"action", `>ExecuteQueryRequest<`, `>Execute<`, "OOTS-EBMS-ACTION"},
		{"conversation", `e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24`, `conv-1`, "OOTS-EBMS-CONVERSATION"},
		{"agreement", `<eb:Service `, `<eb:AgreementRef>urn:a</eb:AgreementRef><eb:Service `, "OOTS-EBMS-AGREEMENT"},
		{"missing finalRecipient", `name="finalRecipient"`, `name="other"`, "OOTS-EBMS-PROPERTY"},
		{"untyped originalSender", ` type="urn:cef.eu:names:identifier:EAS:0009"`, ``, "OOTS-EBMS-PROPERTY-TYPE"},
		{"v2 without ExchangeId", `name="ExchangeId"`, `name="Exchange"`, "OOTS-EBMS-PROPERTY"},
		{"first part not RegRep", `>application/x-ebrs+xml<`, `>application/pdf<`, "OOTS-EBMS-PAYLOAD"},
		{"href not cid", `href="cid:`, `href="http://x/`, "OOTS-EBMS-PAYLOAD"},
		{"structure", `<eb:Action>ExecuteQueryRequest</eb:Action>`, ``, "OOTS-EBMS-STRUCT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(sample, c.from) {
				t.Fatalf("sample lacks %q", c.from)
			}
			doc, err := xmltree.ParseBytes([]byte(strings.Replace(sample, c.from, c.to, 1)), nil)
			if err != nil {
				t.Fatal(err)
			}
			fs := CheckHeader(doc.Root)
			found := false
			for _, f := range fs {
				if f.Rule == c.rule {
					found = true
					if f.Location == "" || f.Message == "" {
						t.Errorf("finding without location or message: %+v", f)
					}
				}
			}
			if !found {
				t.Errorf("findings %v lack %s", fs, c.rule)
			}
			if c.rule != "OOTS-EBMS-AGREEMENT" && c.rule != "OOTS-EBMS-PROPERTY-TYPE" && check.Valid(fs) {
				t.Error("document still valid")
			}
		})
	}
}
