package smp_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/smp"
)

// putRaw sends body as it is with PUT and returns the status and answer.
func putRaw(tb testing.TB, u, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPut, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Content-Type", "application/json")
	return answer(tb, req)
}

// TestManagementAPIUnknownFields: every JSON body of the management API
// is refused with 400 naming what is wrong when it has a field its
// request does not know (an operator's typo, at any depth), or anything
// after its JSON value; nothing is stored then. The participant's PUT,
// whose participant is in the path, takes no body or an empty object.
func TestManagementAPIUnknownFields(t *testing.T) {
	f := getFixture(t)
	store := smp.NewMemoryStore()
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	pu := hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	cert := base64.StdEncoding.EncodeToString(f.ap.Sign.Cert.Raw)
	endpoint := func(fields string) string {
		return `{"processes":[{"id":{"scheme":"` + process.Scheme + `","value":"` + process.Value + `"},"endpoints":[{"transportProfile":"` + smp.TransportEBMS3AS4 +
			`","url":"https://ap.example.eu/as4",` + fields + `}]}]}`
	}
	valid := endpoint(`"certificate":"` + cert + `"`)

	for _, c := range []struct {
		name, url, body, want string
	}{
		{"a body on the participant's PUT", pu, `{"documentTypes":[{"value":"x"}]}`, `unknown field "documentTypes"`},
		{"a participant's PUT with more after its object", pu, `{} {"participant":"x"}`, "there is more after the JSON value"},
		{"an endpoint's misspelt certificate", mu, endpoint(`"certificat":"` + cert + `"`), `unknown field "certificat"`},
		{"a misspelt field of a certificate", mu, endpoint(`"certificate":"` + cert + `","certificates":[{"certificate":"` + cert + `","mimecod":"application/pkix-cert"}]`), `unknown field "mimecod"`},
		{"a misspelt field of an identifier", mu, strings.Replace(valid, `"scheme"`, `"shceme"`, 1), `unknown field "shceme"`},
		{"a misspelt field of a redirect", mu, `{"redirect":{"url":"https://smp2.example.eu/","certificats":["` + cert + `"]}}`, `unknown field "certificats"`},
		{"more after the metadata", mu, valid + ` {"certificat":"x"}`, "there is more after the JSON value"},
	} {
		if c.url == mu {
			// The participant exists: only the body is wrong.
			if st, body := putRaw(t, pu, ""); st != http.StatusNoContent {
				t.Fatalf("put participant: %d %s", st, body)
			}
		}
		st, body := putRaw(t, c.url, c.body)
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %s", c.name, st, body, c.want)
		}
		if _, err := store.ServiceMetadata(t.Context(), participant, docType); !errors.Is(err, smp.ErrNotFound) {
			t.Errorf("%s: stored (%v)", c.name, err)
		}
		store.DeleteParticipant(t.Context(), participant)
	}

	// What is accepted: no body, an empty object, and the metadata alone
	// (followed by white space).
	for _, body := range []string{"", "{}", " {}\n"} {
		if st, answer := putRaw(t, pu, body); st != http.StatusNoContent {
			t.Errorf("participant's PUT with %q: %d %s", body, st, answer)
		}
	}
	if st, answer := putRaw(t, mu, valid+"\n"); st != http.StatusNoContent {
		t.Errorf("the metadata: %d %s", st, answer)
	}
	if st, answer := putRaw(t, mu, ""); st != http.StatusBadRequest || !strings.Contains(answer, "not a JSON service metadata: EOF") {
		t.Errorf("the metadata's PUT without a body: %d %s", st, answer)
	}
}
