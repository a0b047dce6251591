package as4

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// sampleHeaders returns the official ebMS header samples.
func sampleHeaders(tb testing.TB) []string {
	tb.Helper()
	dir := testenv.SpecDir(tb)
	var files []string
	for _, pat := range []string{"tdd-1.0/xml/edm/*.ebms-header.xml", "edm-2.0-oots-france/messages/*.entete.xml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) < 7 {
		tb.Fatalf("found %d ebMS header samples, want 7", len(files))
	}
	return files
}

func canon(tb testing.TB, el *xmltree.Element) []byte {
	tb.Helper()
	el = el.Copy()
	el.StripInsignificant()
	return el.Canonical()
}

func TestSampleHeadersRoundTrip(t *testing.T) {
	for _, f := range sampleHeaders(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := xmltree.ParseBytes(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMessaging(doc.Root)
			if err != nil {
				t.Fatal(err)
			}
			um := m.UserMessage
			if um == nil || um.MessageInfo.MessageID == "" || len(um.PayloadInfo) == 0 {
				t.Fatalf("incomplete UserMessage: %+v", um)
			}
			if got, want := um.PartyInfo.From.Role, "http://sdg.europa.eu/edelivery/gateway"; got != want {
				t.Errorf("From role = %q, want %q", got, want)
			}
			if _, ok := um.Property("originalSender"); !ok {
				t.Error("originalSender property missing")
			}
			if mt, _ := um.PayloadInfo[0].Property(PropMimeType); mt == "" {
				t.Error("MimeType part property missing")
			}
			got, want := canon(t, m.Element()), canon(t, doc.Root)
			if !bytes.Equal(got, want) {
				t.Errorf("parse→marshal changed the canonical form:\n got %s\nwant %s", got, want)
			}
			// Marshalling is deterministic and parsing it gives the same model back.
			again, err := ParseMessaging(m.Element())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Element().Canonical(), m.Element().Canonical()) {
				t.Error("marshal→parse→marshal is not stable")
			}
		})
	}
}

func TestParseMessagingErrors(t *testing.T) {
	const eb = `xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"`
	mi := `<eb:MessageInfo><eb:Timestamp>2024-01-01T00:00:00Z</eb:Timestamp><eb:MessageId>m1</eb:MessageId></eb:MessageInfo>`
	party := `<eb:PartyInfo><eb:From><eb:PartyId>a</eb:PartyId><eb:Role>r</eb:Role></eb:From><eb:To><eb:PartyId>b</eb:PartyId><eb:Role>r</eb:Role></eb:To></eb:PartyInfo>`
	collab := `<eb:CollaborationInfo><eb:Service>s</eb:Service><eb:Action>a</eb:Action><eb:ConversationId>c</eb:ConversationId></eb:CollaborationInfo>`
	cases := []struct{ name, xml, want string }{
		{"wrong root", `<x/>`, "no eb:Messaging"},
		{"empty", `<eb:Messaging ` + eb + `/>`, "neither"},
		{"no MessageInfo", `<eb:Messaging ` + eb + `><eb:UserMessage>` + party + collab + `</eb:UserMessage></eb:Messaging>`, "missing eb:MessageInfo"},
		{"bad timestamp", `<eb:Messaging ` + eb + `><eb:UserMessage><eb:MessageInfo><eb:Timestamp>yesterday</eb:Timestamp><eb:MessageId>m</eb:MessageId></eb:MessageInfo>` + party + collab + `</eb:UserMessage></eb:Messaging>`, "xsd:dateTime"},
		{"no To", `<eb:Messaging ` + eb + `><eb:UserMessage>` + mi + `<eb:PartyInfo><eb:From><eb:PartyId>a</eb:PartyId><eb:Role>r</eb:Role></eb:From></eb:PartyInfo>` + collab + `</eb:UserMessage></eb:Messaging>`, "missing eb:To"},
		{"order", `<eb:Messaging ` + eb + `><eb:UserMessage>` + mi + collab + party + `</eb:UserMessage></eb:Messaging>`, "missing eb:PartyInfo"},
		{"two user messages", `<eb:Messaging ` + eb + `><eb:UserMessage>` + mi + party + collab + `</eb:UserMessage><eb:UserMessage>` + mi + party + collab + `</eb:UserMessage></eb:Messaging>`, "more than one"},
		{"property without name", `<eb:Messaging ` + eb + `><eb:UserMessage>` + mi + party + collab + `<eb:MessageProperties><eb:Property>x</eb:Property></eb:MessageProperties></eb:UserMessage></eb:Messaging>`, "without @name"},
		{"foreign element", `<eb:Messaging ` + eb + `><eb:UserMessage>` + mi + party + collab + `<eb:Extra/></eb:UserMessage></eb:Messaging>`, "unexpected element"},
		{"pull request", `<eb:Messaging ` + eb + `><eb:SignalMessage>` + mi + `<eb:PullRequest/></eb:SignalMessage></eb:Messaging>`, "unsupported signal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := xmltree.ParseBytes([]byte(c.xml), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseMessaging(doc.Root)
			var e *Error
			if !errors.As(err, &e) || e.Code != InvalidHeader {
				t.Fatalf("err = %v, want EBMS:0009", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestCatalogueComplete(t *testing.T) {
	codes := []Code{"EBMS:0001", "EBMS:0002", "EBMS:0003", "EBMS:0004", "EBMS:0005", "EBMS:0006", "EBMS:0007",
		"EBMS:0008", "EBMS:0009", "EBMS:0010", "EBMS:0011", "EBMS:0101", "EBMS:0102", "EBMS:0103", "EBMS:0201",
		"EBMS:0202", "EBMS:0301", "EBMS:0302", "EBMS:0303"}
	if len(catalogue) != len(codes) {
		t.Errorf("catalogue has %d codes, want %d", len(catalogue), len(codes))
	}
	for _, c := range codes {
		k, ok := Catalogue(c)
		if !ok {
			t.Errorf("%s missing", c)
			continue
		}
		if k.ShortDescription == "" || k.Category == "" || k.Origin == "" ||
			(k.Severity != SeverityFailure && k.Severity != SeverityWarning) {
			t.Errorf("%s: incomplete row %+v", c, k)
		}
	}
}

func FuzzParseMessaging(f *testing.F) {
	for _, s := range sampleHeaders(f) {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := DefaultEnvelopeLimits()
		doc, err := xmltree.ParseBytes(b, &lim)
		if err != nil {
			return
		}
		m, err := ParseMessaging(doc.Root)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *as4.Error: %v", err)
			}
			return
		}
		// What parses marshals, and the marshalled form parses to the same thing.
		out := m.Element()
		m2, err := ParseMessaging(out)
		if err != nil {
			t.Fatalf("marshalled header does not parse: %v\n%s", err, out.Canonical())
		}
		if !bytes.Equal(m2.Element().Canonical(), out.Canonical()) {
			t.Fatalf("marshal→parse→marshal not stable")
		}
	})
}

func ExampleParseMessaging() {
	doc, err := xmltree.ParseBytes([]byte(`<eb:Messaging xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/">
  <eb:SignalMessage>
    <eb:MessageInfo><eb:Timestamp>2026-08-06T10:00:01.000Z</eb:Timestamp><eb:MessageId>e1@oots.eu</eb:MessageId><eb:RefToMessageId>m1@oots.eu</eb:RefToMessageId></eb:MessageInfo>
    <eb:Error errorCode="EBMS:0303" severity="failure" category="Communication" origin="ebMS" shortDescription="DecompressionFailure" refToMessageInError="m1@oots.eu"/>
  </eb:SignalMessage>
</eb:Messaging>`), nil)
	if err != nil {
		panic(err)
	}
	m, err := ParseMessaging(doc.Root)
	if err != nil {
		panic(err)
	}
	e := m.SignalMessages[0].Errors[0]
	fmt.Println(e.Code, e.Kind().ShortDescription, e.RefToMessageInError)
	// Output:
	// EBMS:0303 DecompressionFailure m1@oots.eu
}

func TestTimestampLexicalForm(t *testing.T) {
	for _, ts := range []string{"2026-08-06T10:00:00Z", "2026-08-06T12:00:00.5+02:00", "2026-08-06T10:00:00"} {
		xml := `<eb:Messaging xmlns:eb="` + NamespaceEB + `"><eb:SignalMessage><eb:MessageInfo><eb:Timestamp>` + ts +
			`</eb:Timestamp><eb:MessageId>m</eb:MessageId></eb:MessageInfo><eb:Receipt/></eb:SignalMessage></eb:Messaging>`
		doc, err := xmltree.ParseBytes([]byte(xml), nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMessaging(doc.Root)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Element().Canonical(); !bytes.Equal(got, doc.Root.Canonical()) {
			t.Errorf("%s: marshal gives %s", ts, got)
		}
		// A changed time is written in the normal form.
		m.SignalMessages[0].MessageInfo.Timestamp = m.SignalMessages[0].MessageInfo.Timestamp.Add(time.Second)
		if got := string(m.Element().Canonical()); strings.Contains(got, ">"+ts+"<") {
			t.Errorf("%s: stale lexical form kept after a change", ts)
		}
	}
}
