package exchange_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/testenv"
)

func sample(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Spec(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// received turns a submission into what the receiving access point hands
// its backend.
func received(s *ap.Submission, action string) *ap.ReceivedMessage {
	return &ap.ReceivedMessage{Header: ap.Header{MessageID: "m1@oots", ConversationID: s.ConversationID, Action: action,
		From: "AP_FR", Properties: s.Properties}, Payloads: s.Payloads}
}

func TestRoundTrip(t *testing.T) {
	for _, rel := range []string{"tdd-1.0/xml/edm/birth-1-evidence-request.xml", "edm-2.0-oots-france/messages/requete.xml"} {
		doc, _, err := edm.ParseBytes(sample(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		req := doc.(*edm.QueryRequest)
		m := &exchange.Message{To: "AP_DE", ConversationID: "c0a80121-7ac0-4e1c-8f6f-3b7f1f1c2a01", ExchangeID: "0b8e4a1c-5a4b-4c59-9b1e-0c9a3b5d7e11",
			OriginalSender: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "ER1"), FinalRecipient: edm.SchemeID("urn:cef.eu:names:identifier:EAS:9930", "EP1"),
			Request: req}
		s, err := m.Submission(exchange.DefaultLegs(), "k1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Leg != exchange.DefaultLegs().Request || s.To != "AP_DE" || len(s.Payloads) != 1 {
			t.Fatalf("%s: submission %+v", rel, s)
		}
		wantProps := 2
		if req.Version() == edm.V2_0 {
			wantProps = 4
		}
		if len(s.Properties) != wantProps {
			t.Errorf("%s: %d properties, want %d", rel, len(s.Properties), wantProps)
		}
		got, err := exchange.Incoming(received(s, exchange.ActionRequest))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if got.Request == nil || got.Request.ID != req.ID || got.FinalRecipient.Value != "EP1" || got.OriginalSender.SchemeID != "urn:cef.eu:names:identifier:EAS:0009" {
			t.Errorf("%s: incoming %+v", rel, got)
		}

		// The action must match the document.
		var e *edm.Error
		if _, err := exchange.Incoming(received(s, exchange.ActionResponse)); !errors.As(err, &e) || e.Code != "EDM:ERR:0003" {
			t.Errorf("%s: wrong action: %v", rel, err)
		}
		if req.Version() == edm.V2_0 {
			s.Properties[2].Value = "oots-edm:v1.2"
			if _, err := exchange.Incoming(received(s, exchange.ActionRequest)); !errors.As(err, &e) {
				t.Errorf("%s: SpecificationId mismatch accepted: %v", rel, err)
			}
		}
	}
}

func TestResponseAttachments(t *testing.T) {
	doc, _, err := edm.ParseBytes(sample(t, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
	if err != nil {
		t.Fatal(err)
	}
	resp := doc.(*edm.QueryResponse)
	href := resp.Evidence[0].RepositoryItemRef.Href
	m := &exchange.Message{To: "AP_FR", ConversationID: "c", OriginalSender: edm.ID("a"), FinalRecipient: edm.ID("b"), Response: resp}
	if _, err := m.Submission(exchange.DefaultLegs(), ""); err != nil {
		t.Fatal(err)
	}
	// Without the attachment the response is refused.
	s, _ := m.Submission(exchange.DefaultLegs(), "")
	if _, err := exchange.Incoming(received(s, exchange.ActionResponse)); err == nil {
		t.Fatal("a response whose evidence is missing was accepted")
	}
	m.Attachments = []exchange.Attachment{{ContentID: href[len("cid:"):], MimeType: "application/pdf", Data: []byte("%PDF-1.4")}}
	s, _ = m.Submission(exchange.DefaultLegs(), "")
	got, err := exchange.Incoming(received(s, exchange.ActionResponse))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attachments) != 1 || string(got.Attachments[0].Data) != "%PDF-1.4" {
		t.Errorf("attachments %+v", got.Attachments)
	}
}

// TestResponseAttachmentHrefForms: a RepositoryItemRef names its payload
// by a cid: URL whose scheme may be in any case and whose content-id may be
// percent-encoded (RFC 3986 §3.1, RFC 2392), as AS4's own references do.
func TestResponseAttachmentHrefForms(t *testing.T) {
	for _, href := range []string{"cid:evidence@provider.test", "CID:evidence@provider.test", "Cid:evidence%40provider.test"} {
		doc, _, err := edm.ParseBytes(sample(t, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
		if err != nil {
			t.Fatal(err)
		}
		resp := doc.(*edm.QueryResponse)
		resp.Evidence[0].RepositoryItemRef.Href = href
		m := &exchange.Message{To: "AP_FR", ConversationID: "c", OriginalSender: edm.ID("a"), FinalRecipient: edm.ID("b"), Response: resp,
			Attachments: []exchange.Attachment{{ContentID: "evidence@provider.test", MimeType: "application/pdf", Data: []byte("%PDF-1.4")}}}
		s, err := m.Submission(exchange.DefaultLegs(), "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := exchange.Incoming(received(s, exchange.ActionResponse))
		if err != nil {
			t.Errorf("%s: %v", href, err)
			continue
		}
		if len(got.Attachments) != 1 || got.Attachments[0].ContentID != "evidence@provider.test" || string(got.Attachments[0].Data) != "%PDF-1.4" ||
			got.Attachments[0].Href != href {
			t.Errorf("%s: attachments %+v", href, got.Attachments)
		}
	}
}

func TestGarbage(t *testing.T) {
	for _, body := range []string{"", "not xml", "<a/>", `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`} {
		rm := &ap.ReceivedMessage{Header: ap.Header{Action: exchange.ActionRequest}, Payloads: []ap.Payload{{Data: []byte(body)}}}
		var e *edm.Error
		_, err := exchange.Incoming(rm)
		if !errors.As(err, &e) || e.Code != "EDM:ERR:0003" || err.Error() != "exchange: EDM:ERR:0003: "+e.Detail {
			t.Errorf("%q: %v", body, err)
			continue
		}
		// The structural findings of a document that parses come with
		// the error; a parse failure is its cause.
		if strings.HasPrefix(body, "<query:") && len(e.Findings) == 0 {
			t.Errorf("%q: no findings with %v", body, err)
		}
		if body == "not xml" && e.Unwrap() == nil {
			t.Errorf("%q: the parse error is not the cause of %v", body, err)
		}
	}
}

func FuzzIncoming(f *testing.F) {
	f.Add([]byte(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`), "ExecuteQueryRequest", "oots-edm:v2.0")
	for _, rel := range []string{"tdd-1.0/xml/edm/birth-1-evidence-request.xml", "tdd-1.0/xml/edm/birth-2-evidence-response.xml", "tdd-1.0/xml/edm/education-2-error-response-preview-required.xml"} {
		f.Add(sample(f, rel), "ExecuteQueryResponse", "")
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, spec string) {
		rm := &ap.ReceivedMessage{Header: ap.Header{Action: action, Properties: []ap.Property{{Name: exchange.PropSpecification, Value: spec}}},
			Payloads: []ap.Payload{{Data: doc}, {ContentID: "x", Data: []byte("y")}}}
		m, err := exchange.Incoming(rm)
		if m == nil {
			t.Fatal("no message returned")
		}
		if err == nil && m.Request == nil && m.Response == nil && m.Error == nil {
			t.Fatal("accepted without a document")
		}
	})
}

// TestResponseAttachmentUnknownHref: a RepositoryItemRef that names no
// payload is refused even when the message carries a payload without a
// content-id (a part whose href is not a cid: URL): the reference is not
// read as naming that payload.
func TestResponseAttachmentUnknownHref(t *testing.T) {
	for _, href := range []string{"cid:missing@provider.test", "cid:missing%40provider.test", "cid:"} {
		doc, _, err := edm.ParseBytes(sample(t, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
		if err != nil {
			t.Fatal(err)
		}
		resp := doc.(*edm.QueryResponse)
		resp.Evidence[0].RepositoryItemRef.Href = "cid:evidence@provider.test"
		m := &exchange.Message{To: "AP_FR", ConversationID: "c", OriginalSender: edm.ID("a"), FinalRecipient: edm.ID("b"), Response: resp,
			Attachments: []exchange.Attachment{{ContentID: "evidence@provider.test", MimeType: "application/pdf", Data: []byte("%PDF-1.4")}}}
		s, err := m.Submission(exchange.DefaultLegs(), "")
		if err != nil {
			t.Fatal(err)
		}
		resp.Evidence[0].RepositoryItemRef.Href = href
		m.Attachments = nil
		s2, err := m.Submission(exchange.DefaultLegs(), "")
		if err != nil {
			t.Fatal(err)
		}
		rm := received(s, exchange.ActionResponse)
		rm.Payloads[0] = s2.Payloads[0]
		rm.Payloads[1].ContentID = ""
		if got, err := exchange.Incoming(rm); err == nil {
			t.Errorf("%s: accepted, attachments %+v", href, got.Attachments)
		}
	}
}
