package pmode

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

func example(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseExample(t *testing.T) {
	c, err := Parse(example(t))
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Leg("ootsRequestLeg")
	if err != nil {
		t.Fatal(err)
	}
	if l.Reliability.Retry == nil || l.Reliability.Retry.Timeout != 12*time.Minute || l.Reliability.Retry.Count != 4 {
		t.Errorf("retry = %+v", l.Reliability.Retry)
	}
	if p, ok := l.Property("originalSender"); !ok || !p.Required {
		t.Errorf("originalSender = %+v, %v", p, ok)
	}
	if got := c.LegsFor(Service{"QueryManager", "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"}, "ExecuteQueryResponse"); len(got) != 1 || got[0].Name != "ootsResponseLeg" {
		t.Errorf("LegsFor = %v", got)
	}
	if p, ok := c.PartyByID(PartyID{"urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots", "AP_DE_01"}); !ok || p.Name != "AP_DE_01" {
		t.Errorf("PartyByID = %v, %v", p, ok)
	}
	// Marshal and parse again: the same configuration.
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, c2, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("YAML round trip (-want +got):\n%s", d)
	}
}

func TestValidateNamesField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no legs", func(c *Config) { c.Legs = nil }, "legs"},
		{"unknown self", func(c *Config) { c.Self = "AP_XX" }, "self"},
		{"party without id", func(c *Config) { c.Parties[1].IDs = nil }, "parties[1].ids"},
		{"empty id", func(c *Config) { c.Parties[0].IDs[0].Value = "" }, "parties[0].ids[0].value"},
		{"bad endpoint", func(c *Config) { c.Parties[0].Endpoint = "ftp://x" }, "parties[0].endpoint"},
		// Domibus's own sample P-Mode has this endpoint, which its schema
		// refuses (xs:anyURI): no host, only a port separator.
		{"endpoint without host", func(c *Config) { c.Parties[0].Endpoint = "http://://Ahmed-PC:8180/domibus/services/msh" }, "parties[0].endpoint"},
		{"duplicate party", func(c *Config) { c.Parties[1].Name = "AP_FR_01" }, "parties[1].name"},
		{"duplicate leg", func(c *Config) { c.Legs[1].Name = "ootsRequestLeg" }, "legs[1].name"},
		{"two-way", func(c *Config) { c.Legs[0].MEP = "two-way" }, "legs[0].mep"},
		{"pull", func(c *Config) { c.Legs[0].Binding = "pull" }, "legs[0].binding"},
		{"unknown initiator", func(c *Config) { c.Legs[0].Initiator.Parties[1] = "AP_XX" }, "legs[0].initiator.parties[1]"},
		{"no responder role", func(c *Config) { c.Legs[1].Responder.Role = "" }, "legs[1].responder.role"},
		{"untyped non-URI service", func(c *Config) { c.Legs[0].Service.Type = "" }, "legs[0].service.type"},
		{"no action", func(c *Config) { c.Legs[0].Action = "" }, "legs[0].action"},
		{"unknown profile", func(c *Config) { c.Legs[0].Security.Profile = "rsa" }, "legs[0].security.profile"},
		{"unsigned", func(c *Config) { c.Legs[0].Security.Sign = false }, "legs[0].security.sign"},
		{"bad receipt", func(c *Config) { c.Legs[0].Reliability.Receipt = "callback" }, "legs[0].reliability.receipt"},
		{"NRR without receipt", func(c *Config) { c.Legs[0].Reliability.Receipt = ReceiptNone }, "legs[0].reliability.nonRepudiation"},
		{"bad strategy", func(c *Config) { c.Legs[0].Reliability.Retry.Strategy = "RANDOM" }, "legs[0].reliability.retry.strategy"},
		{"duplicate property", func(c *Config) { c.Legs[0].Properties[1].Name = "originalSender" }, "legs[0].properties[1].name"},
		{"negative size", func(c *Config) { c.Legs[0].Payload.MaxSize = -1 }, "legs[0].payload.maxSize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(example(t))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(c)
			err = c.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tc.field)
			}
		})
	}
}

func TestParseRejectsUnknownField(t *testing.T) {
	b := strings.Replace(string(example(t)), "duplicateDetection: true", "duplicateDetecton: true", 1)
	if _, err := Parse([]byte(b)); err == nil || !strings.Contains(err.Error(), "duplicateDetecton") {
		t.Fatalf("err = %v, want the misspelt field named", err)
	}
}

func TestImportDomibus(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ImportDomibus(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Self != "blue_gw" || len(c.Parties) != 1 || len(c.Legs) != 4 {
		t.Fatalf("self %q, %d parties, %d legs", c.Self, len(c.Parties), len(c.Legs))
	}
	want := Leg{
		Name: "ootsRequestLeg", MEP: MEPOneWay, Binding: BindingPush,
		Initiator: PartyRole{Parties: []string{"blue_gw"}, Role: "http://sdg.europa.eu/edelivery/gateway"},
		Responder: PartyRole{Parties: []string{"blue_gw"}, Role: "http://sdg.europa.eu/edelivery/gateway"},
		Service:   Service{Value: "QueryManager", Type: "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"},
		Action:    "ExecuteQueryRequest",
		MPC:       "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC",
		Security: Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone,
			SignatureKeyReference: KeyRefBST, EncryptionKeyReference: KeyRefBST},
		Reliability: Reliability{Receipt: ReceiptResponse, NonRepudiation: true, DuplicateDetection: true,
			Retry: &Retry{Timeout: 12 * time.Minute, Count: 4, Strategy: RetryConstant}},
		Properties:    []PropertyDef{{"originalSender", true}, {"finalRecipient", true}, {"ExchangeId", false}, {"SpecificationId", false}},
		Payload:       PayloadProfile{Compress: true},
		ErrorHandling: ErrorHandling{AsResponse: true},
	}
	if d := cmp.Diff(want, c.Legs[0]); d != "" {
		t.Errorf("ootsRequestLeg (-want +got):\n%s", d)
	}
	if c.Legs[1].Name != "ootsResponseLeg" || c.Legs[1].Payload.Compress {
		t.Errorf("ootsResponseLeg = %+v", c.Legs[1])
	}
	if got := c.Parties[0]; got.Endpoint != "http://localhost:8080/domibus/services/msh" ||
		got.IDs[0] != (PartyID{"urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots", "blue_gw"}) {
		t.Errorf("party = %+v", got)
	}
	// The imported configuration survives YAML.
	y, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(y); err != nil {
		t.Fatalf("imported configuration does not parse back: %v\n%s", err, y)
	}
}

func TestImportDomibusErrors(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	cases := []struct{ name, from, to, want string }{
		{"undefined action", `action="executeQueryRequest"`, `action="nope"`, `action "nope"`},
		{"pull", `<binding name="push" value="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/push"/>`,
			`<binding name="push" value="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/pull"/>`, "oots has no pull"},
		{"sync", `<binding name="push" value="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/push"/>`,
			`<binding name="push" value="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/sync"/>`, "no Two-Way/Sync"},
		{"unknown MEP", `value="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/oneWay"`, `value="urn:x:mep"`, "neither One-Way nor Two-Way"},
		{"RSA-SHA1", `<security name="eDeliveryAS4PolicyRSA" profile="rsa"/>`,
			`<security name="eDeliveryAS4PolicyRSA" policy="eDeliveryAS4Policy.xml" signatureMethod="RSA_SHA1"/>`, `signatureMethod "RSA_SHA1" is not supported`},
		{"reply pattern", `replyPattern="response"`, `replyPattern="sync"`, "neither response nor callback"},
		{"ecc profile", `profile="rsa"`, `profile="ecc"`, `"ecc" is not supported`},
		{"bad retry", `retry="12;4;CONSTANT"`, `retry="12"`, "timeout;count;strategy"},
		{"not domibus", `xmlns:db="http://domibus.eu/configuration"`, `xmlns:db="urn:x"`, "not {http://domibus.eu/configuration}configuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ImportDomibus([]byte(strings.Replace(s, c.from, c.to, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(example(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid configuration: %v", err)
		}
	})
}

func FuzzImportDomibus(f *testing.F) {
	if b, err := os.ReadFile(testenv.Spec(f, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml")); err == nil {
		f.Add(b)
	}
	files, err := filepath.Glob("testdata/domibus/*.xml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no Domibus P-Modes in testdata/domibus: %v", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ImportDomibus(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("import produced an invalid configuration: %v", err)
		}
	})
}

// The Domibus policy files map to what each produces on the wire (facts of
// the policy files of Domibus 5 and Harmony: no sp:IncludeTimestamp; token
// inclusion and reference requirements).
func TestImportDomibusPolicies(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		policy string
		want   Security
		err    string
	}{
		{"eDeliveryAS4Policy.xml", Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone, SignatureKeyReference: KeyRefSKI, EncryptionKeyReference: KeyRefSKI}, ""},
		{"eDeliveryAS4Policy_BST.xml", Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone, SignatureKeyReference: KeyRefBST, EncryptionKeyReference: KeyRefBST}, ""},
		{"eDeliveryAS4Policy_IS.xml", Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone, SignatureKeyReference: KeyRefIssuerSerial, EncryptionKeyReference: KeyRefIssuerSerial}, ""},
		{"signOnly.xml", Security{Profile: wssec.AS4v115, Sign: true, Timestamp: TimestampNone, SignatureKeyReference: KeyRefBST}, ""},
		{"doNothingPolicy.xml", Security{Profile: ProfileNone}, ""},
		{"eDeliveryAS4Policy_BST_PKIP.xml", Security{}, "PkiPath"},
		{"myOwnPolicy.xml", Security{}, "not one of the Domibus policies"},
	}
	for _, tc := range cases {
		x := strings.ReplaceAll(string(b), `<security name="eDeliveryAS4PolicyRSA" profile="rsa"/>`,
			`<security name="eDeliveryAS4PolicyRSA" policy="`+tc.policy+`" profile="rsa"/>`)
		if tc.policy == "doNothingPolicy.xml" {
			// A leg without security cannot promise non-repudiation.
			x = strings.ReplaceAll(x, `nonRepudiation="true"`, `nonRepudiation="false"`)
		}
		c, err := ImportDomibus([]byte(x))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.policy, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.policy, err)
		}
		if diff := cmp.Diff(tc.want, c.Legs[0].Security); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.policy, diff)
		}
	}
}

// Domibus's sample P-Modes give a test leg the reception awareness
// "0;0;SEND_ONCE": no retries.
func TestImportDomibusSendOnce(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	x := regexp.MustCompile(`retry="[^"]*"`).ReplaceAllString(string(b), `retry="0;0;SEND_ONCE"`)
	c, err := ImportDomibus([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Legs[0].Reliability.Retry; r != nil {
		t.Errorf("SEND_ONCE: retry %+v, want none", r)
	}
}
