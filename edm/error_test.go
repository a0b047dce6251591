package edm_test

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// TestErrorException: the wire exception an *edm.Error builds takes the
// code's type, severity and text from the catalogue unless the error sets
// them, and always the error's code and detail.
func TestErrorException(t *testing.T) {
	rs := func(local string) xmltree.Name { return xmltree.Name{Space: regrep.NamespaceRS, Local: local} }
	for _, tc := range []struct {
		name string
		err  *edm.Error
		want edm.Exception
	}{
		{"default severity", edm.NewError(edm.EDMErr0003, "no subject"), edm.Exception{Type: rs("InvalidRequestExceptionType"),
			Code: edm.EDMErr0003, Severity: edm.SeverityError, Message: "Syntactically or semantically invalid request", Detail: "no subject"}},
		{"preview by default", edm.NewError(edm.EDMErr0002, "preview"), edm.Exception{Type: rs("AuthorizationExceptionType"),
			Code: edm.EDMErr0002, Severity: edm.SeverityPreviewRequired, Message: "Missing Authorization", Detail: "preview"}},
		{"additional input by default", edm.NewError(edm.DSDErr0005, ""), edm.Exception{Type: rs("ObjectNotFoundExceptionType"),
			Code: edm.DSDErr0005, Severity: edm.SeverityAdditionalInput, Message: "The query requires the included extra attributes to be provided by the user"}},
		{"severity set", &edm.Error{Code: edm.EDMErr0002, Severity: edm.SeverityError, Detail: "refused"}, edm.Exception{Type: rs("AuthorizationExceptionType"),
			Code: edm.EDMErr0002, Severity: edm.SeverityError, Message: "Missing Authorization", Detail: "refused"}},
		{"message set", &edm.Error{Code: edm.EDMErr0005, Message: "timeout"}, edm.Exception{Type: rs("TimeoutExceptionType"),
			Code: edm.EDMErr0005, Severity: edm.SeverityError, Message: "timeout"}},
		{"outside the catalogue", &edm.Error{Code: "requester:empty-response", Message: "empty"}, edm.Exception{
			Code: "requester:empty-response", Severity: edm.SeverityError, Message: "empty"}},
	} {
		got := tc.err.Exception()
		if diff := cmp.Diff(&tc.want, got, cmpopts.IgnoreUnexported(edm.Exception{})); diff != "" {
			t.Errorf("%s: exception (-want +got):\n%s", tc.name, diff)
		}
		if back := got.Err(); back.Code != tc.err.Code || back.Detail != tc.err.Detail || back.Exception().Message != got.Message || back.Exception().Severity != got.Severity {
			t.Errorf("%s: the exception read back is %+v", tc.name, back)
		}
	}
	if diff := cmp.Diff(edm.NewException(edm.EDMErr0004, "none"), edm.NewError(edm.EDMErr0004, "none").Exception(), cmpopts.IgnoreUnexported(edm.Exception{})); diff != "" {
		t.Errorf("NewException differs from Error.Exception:\n%s", diff)
	}
	if edm.NewException("X:ERR:0001", "") != nil {
		t.Error("NewException of a code outside the catalogue is not nil")
	}
}

// TestErrorWraps: an *edm.Error is found with errors.As through wrapping,
// and its cause (a %w of Errorf) with errors.Is through it; its text is
// "code: detail".
func TestErrorWraps(t *testing.T) {
	e := edm.Errorf(edm.EDMErr0008, "the register failed: %w", io.ErrUnexpectedEOF)
	if e.Detail != "the register failed: unexpected EOF" || e.Error() != "EDM:ERR:0008: the register failed: unexpected EOF" {
		t.Errorf("detail %q, text %q", e.Detail, e.Error())
	}
	err := fmt.Errorf("provider: %w", fmt.Errorf("answering: %w", e))
	var got *edm.Error
	if !errors.As(err, &got) || got != e {
		t.Fatalf("errors.As did not find the *edm.Error in %v", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("the cause is not visible through %v", err)
	}
	if e := edm.Errorf(edm.EDMErr0008, "no cause: %v", io.EOF); e.Unwrap() != nil {
		t.Errorf("a %%v operand became the cause: %v", e.Unwrap())
	}
	if s := edm.NewError(edm.EDMErr0004, "").Error(); s != "EDM:ERR:0004: Object not found" {
		t.Errorf("text without detail %q", s)
	}
	hidden := &edm.Error{Code: edm.LCMErr0001, Detail: "not an LCM request", Err: io.ErrUnexpectedEOF}
	if s := hidden.Error(); s != "LCM:ERR:0001: not an LCM request: unexpected EOF" || hidden.Exception().Detail != "not an LCM request" {
		t.Errorf("a cause outside the detail: text %q, detail on the wire %q", s, hidden.Exception().Detail)
	}
	if s := (&edm.Error{Code: "x:y"}).Error(); s != "x:y" {
		t.Errorf("text of a bare code %q", s)
	}
}

// TestErrorResponseFromError: the exception an error builds is what an
// error response carries on the wire, and reads back as the same error.
func TestErrorResponseFromError(t *testing.T) {
	req := edm.NewQueryRequest(edm.V1_2, "4ffb5281-179d-4578-adf2-39fd13ccc797", time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	req.EvidenceRequester = []edm.Agent{{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0096", "DK22233223"),
		Name: []edm.Text{edm.Lang("EN", "Denmark University Portal")}, Classification: "ER"}}
	provider := edm.Agent{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:9930", "DE73524311"),
		Name: []edm.Text{edm.Lang("EN", "Civil Registration Office Berlin I")}}
	e := edm.Errorf(edm.EDMErr0004, "no evidence of type %s for the subject", "birth")
	resp := edm.NewErrorResponse(req, "9c3b58ab-5e3a-4a2c-a1ab-2b31f2a6f4a1", provider, e.Exception(), time.Date(2026, 11, 22, 9, 0, 1, 0, time.UTC))
	data, err := resp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := edm.ParseBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	back, ok := doc.(*edm.ErrorResponse)
	if !ok || len(back.Exceptions) != 1 {
		t.Fatalf("read back %T", doc)
	}
	x := back.Exceptions[0]
	if x.Type.Local != "ObjectNotFoundExceptionType" || x.Severity != edm.SeverityError || x.Message != "Object not found" || x.Detail != e.Detail {
		t.Errorf("exception on the wire %+v", x)
	}
	if got := x.Err(); got.Code != e.Code || got.Detail != e.Detail || got.Error() != e.Error() {
		t.Errorf("read back as %v, want %v", got, e)
	}
}
