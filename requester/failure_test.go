package requester

import (
	"encoding/json"
	"testing"

	"github.com/oots-go/oots/edm"
)

// TestFailureOf: the API's JSON of a failure is built from the one error
// type: the code, the message (the catalogue's text when the error has
// none, the connector's own text for its own codes) and the detail, in the
// fields the API has always had.
func TestFailureOf(t *testing.T) {
	for _, tc := range []struct {
		err  *edm.Error
		want string
	}{
		{edm.NewError(edm.EDMErr0004, "no evidence"), `{"code":"EDM:ERR:0004","message":"Object not found","detail":"no evidence"}`},
		{&edm.Error{Code: CodeTimeout, Message: "timeout", Detail: "late"}, `{"code":"EDM:ERR:0005","message":"timeout","detail":"late"}`},
		{&edm.Error{Code: CodeEmptyResponse, Message: "The response holds no evidence"}, `{"code":"requester:empty-response","message":"The response holds no evidence"}`},
		{(&edm.Exception{Code: edm.EDMErr0008, Message: "Problem", Detail: "refused"}).Err(), `{"code":"EDM:ERR:0008","message":"Problem","detail":"refused"}`},
	} {
		got, err := json.Marshal(failureOf(tc.err))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}
