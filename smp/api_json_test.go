package smp_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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
	store, pu, mu, cert := managementAPI(t)
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

// TestManagementAPIExactNames: a member of a management API body whose
// name is a field's but for case ("URL" for "url") is not taken for that
// field, at any depth, a redirect's included (a "Certificates" taken for
// "certificates" would make the signer check depend on encoding/json's
// folding): it is refused with 400 naming it, where it is and the field;
// so is a member given twice, whose first value was silently dropped.
// Nothing is stored then. RemoteStore refuses such a name in an answer
// too, and leaves alone a member no field has unless it is Exact.
func TestManagementAPIExactNames(t *testing.T) {
	store, pu, mu, cert := managementAPI(t)
	endpoint := `{"transportProfile":"` + smp.TransportEBMS3AS4 + `","url":"https://ap.example.eu/as4","certificate":"` + cert + `"}`
	metadata := func(endpoint string) string {
		return `{"processes":[{"id":{"scheme":"` + process.Scheme + `","value":"` + process.Value + `"},"endpoints":[` + endpoint + `]}]}`
	}
	redirect := func(fields string) string {
		return `{"processes":[{"id":{"value":"urn:p2"},"redirect":{"url":"https://smp2.example.eu/",` + fields + `}}]}`
	}
	for _, c := range []struct {
		name, body, want string
	}{
		{"a field of the metadata", strings.Replace(metadata(endpoint), `"processes"`, `"Processes"`, 1),
			`json: unknown field "Processes" (names are matched exactly: the field is "processes")`},
		{"an endpoint's URL", metadata(strings.Replace(endpoint, `"url"`, `"URL"`, 1)),
			`json: unknown field "URL" within "/processes/0/endpoints/0" (names are matched exactly: the field is "url")`},
		{"an identifier's scheme", strings.Replace(metadata(endpoint), `"scheme"`, `"Scheme"`, 1),
			`json: unknown field "Scheme" within "/processes/0/id" (names are matched exactly: the field is "scheme")`},
		{"a certificate's mimeCode", metadata(strings.Replace(endpoint, `}`, `,"certificates":[{"certificate":"`+cert+`","mimecode":"application/pkix-cert"}]}`, 1)),
			`json: unknown field "mimecode" within "/processes/0/endpoints/0/certificates/0" (names are matched exactly: the field is "mimeCode")`},
		{"a window's activation", redirect(`"certificates":["` + cert + `"],"validity":[{"Activation":"2026-12-06T00:00:00Z"}]`),
			`json: unknown field "Activation" within "/processes/0/redirect/validity/0" (names are matched exactly: the field is "activation")`},
		{"a redirect's certificates", redirect(`"Certificates":["` + cert + `"]`),
			`json: unknown field "Certificates" within "/processes/0/redirect" (names are matched exactly: the field is "certificates")`},
		{"the participant's PUT", `{"Participant":{"value":"x"}}`, `json: unknown field "Participant"`},
		{"an endpoint's url twice", metadata(strings.Replace(endpoint, `"url"`, `"url":"https://other.example.eu/as4","url"`, 1)),
			`json: field "url" is given twice within "/processes/0/endpoints/0"`},
		{"a redirect's url twice", redirect(`"url":"https://smp3.example.eu/"`), `json: field "url" is given twice within "/processes/0/redirect"`},
	} {
		if st, body := putRaw(t, pu, ""); st != http.StatusNoContent {
			t.Fatalf("put participant: %d %s", st, body)
		}
		u := mu
		if c.name == "the participant's PUT" {
			store.DeleteParticipant(t.Context(), participant)
			u = pu
		}
		st, body := putRaw(t, u, c.body)
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %s", c.name, st, body, c.want)
		}
		if _, err := store.ServiceMetadata(t.Context(), participant, docType); !errors.Is(err, smp.ErrNotFound) {
			t.Errorf("%s: stored (%v)", c.name, err)
		}
		store.DeleteParticipant(t.Context(), participant)
	}
	// The names exactly: accepted.
	putRaw(t, pu, "")
	if st, body := putRaw(t, mu, metadata(endpoint)); st != http.StatusNoContent {
		t.Errorf("the metadata: %d %s", st, body)
	}

	// A Redirect read by encoding/json anywhere (the stores) alike.
	var r smp.Redirect
	if err := json.Unmarshal([]byte(`{"url":"https://smp2.example.eu/","Certificates":["`+cert+`"]}`), &r); err == nil ||
		!strings.Contains(err.Error(), `smp: redirect: json: unknown field "Certificates" (names are matched exactly: the field is "certificates")`) {
		t.Errorf("a Redirect's Certificates: %+v %v", r, err)
	}

	// RemoteStore reads the answers alike.
	answers := map[string]string{
		"group":    `{"participant":{"scheme":"` + participant.Scheme + `","value":"` + participant.Value + `"},"DocumentTypes":[{"value":"x"}]}`,
		"metadata": `{"participant":{"value":"p"},"documentType":{"value":"d"},"redirect":{"URL":"https://smp2.example.eu/"}}`,
		"newer":    `{"participant":{"value":"p"},"documentTypes":[{"value":"x","since":"2027"}],"owner":"someone"}`,
	}
	which := ""
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(answers[which])) }))
	t.Cleanup(remote.Close)
	rs := &smp.RemoteStore{BaseURL: remote.URL, Token: "secret"}
	which = "group"
	if _, err := rs.ServiceGroup(t.Context(), participant); err == nil || !strings.Contains(err.Error(), `smp: management API answer: json: unknown field "DocumentTypes" (names are matched exactly: the field is "documentTypes")`) {
		t.Errorf("an answer's DocumentTypes: %v", err)
	}
	which = "metadata"
	if _, err := rs.ServiceMetadata(t.Context(), participant, docType); err == nil || !strings.Contains(err.Error(), `json: unknown field "URL" within "/redirect" (names are matched exactly: the field is "url")`) {
		t.Errorf("an answer's redirect URL: %v", err)
	}
	which = "newer"
	if g, err := rs.ServiceGroup(t.Context(), participant); err != nil || len(g.DocumentTypes) != 1 || g.DocumentTypes[0].Value != "x" {
		t.Errorf("an answer with members no field has: %+v %v", g, err)
	}
	// Exact, for a caller that writes back what it read: such a member is
	// refused, naming it and where it is.
	rs.Exact = true
	if _, err := rs.ServiceGroup(t.Context(), participant); !errors.Is(err, smp.ErrUnknownMember) || !strings.Contains(err.Error(), `json: unknown field "since" within "/documentTypes/0"`) {
		t.Errorf("an answer with members no field has, read exactly: %v", err)
	}
	answers["newer"] = `{"participant":{"value":"p"},"documentType":{"value":"d"},"redirect":{"url":"https://smp2.example.eu/","priorities":[1]}}`
	if _, err := rs.ServiceMetadata(t.Context(), participant, docType); !errors.Is(err, smp.ErrUnknownMember) || !strings.Contains(err.Error(), `json: unknown field "priorities" within "/redirect"`) {
		t.Errorf("a redirect's member no field has, read exactly: %v", err)
	}
}

// managementAPI starts an SMP on a memory store and returns the store, the
// management API's URLs of the participant and of its service metadata,
// and the access point's certificate in base64.
func managementAPI(t *testing.T) (store *smp.MemoryStore, participantURL, metadataURL, cert string) {
	f := getFixture(t)
	store = smp.NewMemoryStore()
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	participantURL = hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	return store, participantURL, participantURL + "/services/" + docType.PathSegment(), base64.StdEncoding.EncodeToString(f.ap.Sign.Cert.Raw)
}
