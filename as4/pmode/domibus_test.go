package pmode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

func domibusFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/domibus/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The P-Modes published with Domibus (testdata/domibus, each valid against
// Domibus's own P-Mode schema) are imported as Domibus runs them, or refused
// naming the element and what oots lacks.
func TestImportDomibusPublished(t *testing.T) {
	refused := []struct{ file, want string }{
		// One pull process among push processes.
		{"gw-sample-blue.xml", `process tc13Process: binding "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/pull": oots has no pull`},
		// Dynamic discovery: the sender's process has no responderParties,
		// the receiver's no initiatorParties.
		{"dynamic-discovery-sender.xml", "process tc1Process has no responderParties (dynamic discovery"},
		{"dynamic-discovery-receiver.xml", "process tc1Process has no initiatorParties (dynamic discovery"},
		// Non-repudiation promised on a leg that does not sign.
		{"pmode-template.xml", `legConfiguration pushTestcase1tc3Action: reliability noReliability has nonRepudiation true but security noSigNoEnc (policy "doNothingPolicy.xml") does not sign`},
		// A Two-Way/Push-and-Push process imports; the file is then refused
		// for a service "InternalTesting" with no type, not an absolute URI
		// (ebMS3 Core §5.2.2.8; Domibus only warns).
		{"configuration-valid.xml", `service "InternalTesting" is not a URI`},
	}
	for _, tc := range refused {
		t.Run(tc.file, func(t *testing.T) {
			_, err := ImportDomibus(domibusFile(t, tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}

	t.Run("euceg-000001-as4.xml", func(t *testing.T) {
		// EU-CEG: two processes of MEP oneWay and binding pushAndPush
		// share two legs; Domibus pushes each leg on its own.
		c, err := ImportDomibus(domibusFile(t, "euceg-000001-as4.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Self != "EUCEG_000001_AS4" || len(c.Parties) != 2 || len(c.Legs) != 4 {
			t.Fatalf("self %q, %d parties, %d legs", c.Self, len(c.Parties), len(c.Legs))
		}
		l, err := c.Leg("euCegProcessBis/euCegESenssubmitRequest")
		if err != nil {
			t.Fatal(err)
		}
		want := Leg{
			Name: "euCegProcessBis/euCegESenssubmitRequest", MEP: MEPOneWay, Binding: BindingPush,
			Initiator: PartyRole{Parties: []string{"EUCEG_EC", "EUCEG_000001_AS4"}, Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"},
			Responder: PartyRole{Parties: []string{"EUCEG_000001_AS4", "EUCEG_EC"}, Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"},
			Agreement: &Agreement{Value: "EDELIVERY-1110"},
			Service:   Service{Value: "http://ec.europa.eu/e-delivery/services/tobacco-ecig-reporting", Type: "e-delivery"},
			Action:    "SubmitRequest",
			MPC:       "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC",
			Security: Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone,
				SignatureKeyReference: KeyRefSKI, EncryptionKeyReference: KeyRefSKI},
			Reliability: Reliability{Receipt: ReceiptResponse, NonRepudiation: true, DuplicateDetection: true,
				Retry: &Retry{Timeout: 5 * time.Minute, Count: 5, Strategy: RetryConstant}},
			Properties:    []PropertyDef{{"finalRecipient", true}, {"originalSender", true}},
			Payload:       PayloadProfile{Compress: true},
			ErrorHandling: ErrorHandling{AsResponse: true},
		}
		if d := cmp.Diff(want, *l); d != "" {
			t.Errorf("leg (-want +got):\n%s", d)
		}
		if p, ok := c.PartyByID(PartyID{"urn:oasis:names:tc:ebcore:partyid-type:unregistered:EUCEG", "EUCEG_EC"}); !ok ||
			p.Endpoint != "http://localhost:8080/domibus/services/msh" {
			t.Errorf("EUCEG_EC = %+v, %v", p, ok)
		}
	})

	t.Run("threegateways-blue.xml", func(t *testing.T) {
		c, err := ImportDomibus(domibusFile(t, "threegateways-blue.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Legs) != 1 {
			t.Fatalf("%d legs", len(c.Legs))
		}
		// The payload profile: two payloads, text/xml and application/pdf.
		want := PayloadProfile{Compress: true, MaxParts: 2, MimeTypes: []string{"text/xml", "application/pdf"}}
		if d := cmp.Diff(want, c.Legs[0].Payload); d != "" {
			t.Errorf("payload (-want +got):\n%s", d)
		}
		if got := c.Legs[0].Initiator.Parties; len(got) != 3 {
			t.Errorf("initiators %v", got)
		}
	})

	t.Run("fiware-ceftestparty9gw.xml", func(t *testing.T) {
		// Its legs name a payloadProfile the file does not define: no
		// profile, as in Domibus.
		c, err := ImportDomibus(domibusFile(t, "fiware-ceftestparty9gw.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if p := c.Legs[0].Payload; p.MaxParts != 0 || p.MimeTypes != nil {
			t.Errorf("payload %+v, want no limits", p)
		}
	})
}

// Domibus resolves the names a P-Mode refers to ignoring case (but a
// propertyRef's property exactly).
func TestImportDomibusNamesIgnoreCase(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer(
		`party="blue_gw"`, `party="Blue_GW"`,
		`mep="oneway"`, `mep="OneWay"`,
		`binding="push"`, `binding="PUSH"`,
		`initiatorRole="defaultInitiatorRole"`, `initiatorRole="defaultinitiatorrole"`,
		`<initiatorParty name="blue_gw"/>`, `<initiatorParty name="BLUE_GW"/>`,
		`<leg name="ootsRequestLeg"/>`, `<leg name="OOTSREQUESTLEG"/>`,
		`security="eDeliveryAS4PolicyRSA"`, `security="edeliveryas4policyrsa"`,
		`action="executeQueryRequest"`, `action="ExecuteQueryRequest"`,
	)
	c, err := ImportDomibus([]byte(r.Replace(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Legs[0]
	if c.Self != "blue_gw" || l.Name != "ootsRequestLeg" || l.Initiator.Parties[0] != "blue_gw" ||
		l.Action != "ExecuteQueryRequest" || l.Security.Profile != wssec.AS4v115 {
		t.Errorf("self %q, leg %q, initiators %v, action %q, profile %q", c.Self, l.Name, l.Initiator.Parties, l.Action, l.Security.Profile)
	}
	// A property is referred to by its exact name.
	x := strings.Replace(string(b), `<propertyRef property="originalSenderProperty"/>`, `<propertyRef property="ORIGINALSENDERPROPERTY"/>`, 1)
	if x == string(b) {
		t.Fatal("propertyRef not found")
	}
	if _, err := ImportDomibus([]byte(x)); err == nil || !strings.Contains(err.Error(), `property "ORIGINALSENDERPROPERTY"`) {
		t.Errorf("err = %v, want the property named", err)
	}
}

// Domibus reads replyPattern ignoring case; callback gives a pushed message
// no receipt.
func TestImportDomibusReplyPattern(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for pattern, want := range map[string]string{"RESPONSE": ReceiptResponse, "Response": ReceiptResponse, "callback": ReceiptNone} {
		x := strings.ReplaceAll(string(b), `replyPattern="response"`, `replyPattern="`+pattern+`"`)
		if pattern == "callback" {
			x = strings.ReplaceAll(x, `nonRepudiation="true"`, `nonRepudiation="false"`)
		}
		c, err := ImportDomibus([]byte(x))
		if err != nil {
			t.Fatalf("%s: %v", pattern, err)
		}
		if got := c.Legs[0].Reliability.Receipt; got != want {
			t.Errorf("%s: receipt %q, want %q", pattern, got, want)
		}
	}
}

// TestDomibusParty: a party is read from a Domibus P-Mode whatever its
// processes (the sample's pull process, which ImportDomibus refuses), by its
// name in any case, with the values of its identifier types; an unknown
// name is an error naming it.
func TestDomibusParty(t *testing.T) {
	b, err := os.ReadFile("testdata/domibus/gw-sample-blue.xml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := DomibusParty(b, "Blue_GW")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "blue_gw" || p.Endpoint != "http://localhost:8080/domibus/services/msh" ||
		len(p.IDs) != 1 || p.IDs[0] != (PartyID{Type: "urn:oasis:names:tc:ebcore:partyid-type:unregistered", Value: "domibus-blue"}) {
		t.Errorf("party %+v", p)
	}
	if _, err := DomibusParty(b, "purple_gw"); err == nil || !strings.Contains(err.Error(), "purple_gw") {
		t.Errorf("unknown party: %v", err)
	}
}

// TestIsDomibusXML: every Domibus PMode published with Domibus is taken
// for one, also behind a UTF-8 byte order mark or white space; our YAML
// P-Modes are not.
func TestIsDomibusXML(t *testing.T) {
	files, err := filepath.Glob("testdata/domibus/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Domibus PMode files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]byte{b, append([]byte("\ufeff"), b...), append([]byte("\r\n  "), b...)} {
			if !IsDomibusXML(v) {
				t.Errorf("%s (%q…) not taken for a Domibus PMode XML", f, v[:8])
			}
		}
	}
	for _, y := range []string{"parties: []\n", "\ufeffparties: []\n", "# <comment>\nparties: []\n", ""} {
		if IsDomibusXML([]byte(y)) {
			t.Errorf("%q taken for a Domibus PMode XML", y)
		}
	}
}
