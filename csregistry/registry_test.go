package csregistry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/cstest"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/jades"
)

func stored(tb testing.TB, s csregistry.Store) []csregistry.StoredObject {
	tb.Helper()
	objs, err := s.Load(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return objs
}

const (
	tddEB       = "tdd-1.0/xml/lcm/5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"
	tddList     = "urn:uuid:91197b3c-890b-475f-a07e-709742e59f23"
	tddReq      = "urn:uuid:315cfd75-6605-49c4-b0fe-799833b41099"
	tddReqSDGID = "https://sr.oots.tech.europa.eu/requirements/315cfd75-6605-49c4-b0fe-799833b41099"
)

// tddObjects are the ids of the objects of the TDD EB submission.
var tddObjects = []string{"urn:uuid:a1be6e74-e9ba-4d44-b04c-0376f367b8fd", tddList, tddReq, "urn:uuid:b0c90eb4-6b66-4dd8-8c79-6d964ac3b9a1",
	"urn:uuid:826a2206-5dd0-45ff-abbc-23ba8f38477f", "urn:uuid:3da4288b-e2ca-4d40-bde2-d3fc2dd04bab", "urn:uuid:d650d08b-4ca3-4d04-a5d2-255d83b84ce1"}

// tddSubmission is the TDD 1.0 EB submission (birth certificate, DE) with
// the given replacements (old, new, old, new…).
func tddSubmission(tb testing.TB, replace ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(testenv.Spec(tb, tddEB))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			tb.Fatalf("%q not in the TDD submission", replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	return []byte(s)
}

func newDemo(tb testing.TB, cfg csregistry.Config) (*csregistry.Registry, *csregistry.MemoryStore) {
	tb.Helper()
	s := csregistry.NewMemoryStore()
	cfg.Store = s
	r, err := csregistry.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := demo.Load(context.Background(), r); err != nil {
		tb.Fatal(err)
	}
	return r, s
}

func TestSubmitAndQuery(t *testing.T) {
	r, s := newDemo(t, csregistry.Config{})
	before := len(stored(t, s))
	resp, err := r.SubmitXML(context.Background(), tddSubmission(t))
	if err != nil || resp.Kind() != edm.KindLCMSuccess {
		t.Fatalf("submission refused: %v", err)
	}
	if got := len(stored(t, s)); got != before+len(tddObjects) {
		t.Errorf("%d objects stored, want %d", got, before+len(tddObjects))
	}
	rq, ok := r.Snapshot().Requirement(tddReqSDGID)
	if !ok || len(rq.Lists) != 1 || len(r.Snapshot().Requirements()) != 5 {
		t.Fatalf("TDD requirement not indexed")
	}
	// Submitting it again replaces the objects: nothing added.
	if _, err := r.SubmitXML(context.Background(), tddSubmission(t)); err != nil {
		t.Fatal(err)
	}
	if got := len(stored(t, s)); got != before+len(tddObjects) {
		t.Errorf("resubmission: %d objects stored, want %d", got, before+len(tddObjects))
	}
	// Reopening the store gives the same content.
	r2, err := csregistry.Open(context.Background(), csregistry.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := r.Snapshot(), r2.Snapshot(); a.Objects(csregistry.EvidenceBroker) != b.Objects(csregistry.EvidenceBroker) || len(b.Requirements()) != 5 || len(b.AllDataServices()) != 16 {
		t.Errorf("reopened registry differs")
	}
}

// TestRejectsWithoutPartialWrites: every rejected request leaves the
// registry and the store as they were. The official rules catch most
// defects; the registry's own integrity checks catch the rest, and run alone
// when the rules are off.
func TestRejectsWithoutPartialWrites(t *testing.T) {
	withRules, s1 := newDemo(t, csregistry.Config{})
	noRules, s2 := newDemo(t, csregistry.Config{SkipRules: true})
	if _, err := withRules.SubmitXML(context.Background(), tddSubmission(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := noRules.SubmitXML(context.Background(), tddSubmission(t)); err != nil {
		t.Fatal(err)
	}
	fulfils := `<rim:RegistryObject xsi:type="rim:AssociationType"
            id="urn:uuid:3da4288b-e2ca-4d40-bde2-d3fc2dd04bab"`
	for _, c := range []struct {
		name string
		body []byte
		code string
	}{
		{"dangling association", tddSubmission(t, `targetObject="`+tddReq+`"`, `targetObject="urn:uuid:00000000-0000-4000-8000-000000000000"`), "LCM:ERR:0002"},
		{"association of wrong kinds", tddSubmission(t, "AssociationType:ContainsEvidence", "AssociationType:FulfillsRequirement"), "LCM:ERR:0002"},
		{"unknown association type", tddSubmission(t, "AssociationType:ContainsEvidence", "AssociationType:Likes"), "LCM:ERR:0002"},
		{"wrong node", tddSubmission(t, `classificationNode="EvidenceTypeList"`, `classificationNode="EvidenceType"`), "LCM:ERR:0001/0002"},
		{"no classification", tddSubmission(t, `classificationNode="ReferenceFramework"`, `classificationNode="Framework"`), "LCM:ERR:0001"},
		{"official rule", tddSubmission(t, "https://sr.oots.tech.europa.eu/evidencetypeclassifications/", "https://example.org/"), "LCM:ERR:0001"},
		{"requirement registered twice", newIDs(tddSubmission(t)), "LCM:ERR:0003"},
		{"list fulfilling nothing", tddSubmission(t, fulfils, `<rim:RegistryObject xsi:type="rim:AssociationType"
            id="urn:uuid:3da4288b-e2ca-4d40-bde2-d3fc2dd04bab" lid="x"`, `urn:oasis:names:tc:ebxml-regrep:AssociationType:FulfillsRequirement`, `urn:oasis:names:tc:ebxml-regrep:AssociationType:ContainsEvidence`), "LCM:ERR:0002"},
		{"not XML", []byte("<lcm:SubmitObjectsRequest"), "LCM:ERR:0001"},
		{"DTD", []byte(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`), "LCM:ERR:0001"},
		{"not LCM", []byte(`<x xmlns="urn:x"/>`), "LCM:ERR:0001"},
	} {
		for _, reg := range []struct {
			name string
			r    *csregistry.Registry
			s    *csregistry.MemoryStore
		}{{"rules", withRules, s1}, {"integrity", noRules, s2}} {
			if reg.name == "integrity" && c.name == "official rule" {
				continue // only the rules know the SR URIs
			}
			t.Run(c.name+"/"+reg.name, func(t *testing.T) {
				snap, objs := reg.r.Snapshot(), stored(t, reg.s)
				resp, err := reg.r.SubmitXML(context.Background(), c.body)
				var le *edm.Error
				code := c.code
				if code == "LCM:ERR:0001/0002" {
					// The rules see the association to the misclassified
					// object; the integrity check sees the object first.
					code = map[string]string{"rules": "LCM:ERR:0002", "integrity": "LCM:ERR:0001"}[reg.name]
				}
				if !errors.As(err, &le) || string(le.Code) != code {
					t.Fatalf("got %v, want %s", err, c.code)
				}
				if resp.Kind() != edm.KindLCMError || string(resp.Exceptions[0].Code) != code {
					t.Errorf("response %s %v", resp.Kind(), resp.Exceptions)
				}
				if reg.r.Snapshot() != snap || len(stored(t, reg.s)) != len(objs) {
					t.Error("a rejected request changed the registry")
				}
			})
		}
	}
}

func TestStoreFailurePublishesNothing(t *testing.T) {
	r, s := newDemo(t, csregistry.Config{})
	snap := r.Snapshot()
	s.FailApply = errors.New("disk full")
	resp, err := r.SubmitXML(context.Background(), tddSubmission(t))
	if !errors.Is(err, csregistry.ErrStore) || resp.Kind() != edm.KindLCMError {
		t.Fatalf("got %v, want ErrStore and an LCM-ERR answer", err)
	}
	if r.Snapshot() != snap {
		t.Error("published although the store failed")
	}
}

func TestRemove(t *testing.T) {
	r, s := newDemo(t, csregistry.Config{})
	n := len(stored(t, s))
	if _, err := r.SubmitXML(context.Background(), tddSubmission(t)); err != nil {
		t.Fatal(err)
	}
	remove := func(ids ...string) error {
		var refs string
		for _, id := range ids {
			refs += `<rim:ObjectRef id="` + id + `"/>`
		}
		_, err := r.SubmitXML(context.Background(), []byte(`<lcm:RemoveObjectsRequest xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0" id="urn:uuid:0b4a0a35-2a8e-4d2c-9a43-0000000000fe"><rim:ObjectRefList>`+refs+`</rim:ObjectRefList></lcm:RemoveObjectsRequest>`))
		return err
	}
	var le *edm.Error
	if err := remove(tddList); !errors.As(err, &le) || le.Code != "LCM:ERR:0003" {
		t.Errorf("removing a joined object: %v, want LCM:ERR:0003", err)
	}
	if err := remove("urn:uuid:0b4a0a35-2a8e-4d2c-9a43-0000000000aa"); !errors.As(err, &le) || le.Code != "LCM:ERR:0003" {
		t.Errorf("removing an unknown object: %v, want LCM:ERR:0003", err)
	}
	if len(stored(t, s)) != n+len(tddObjects) {
		t.Fatal("refused removals changed the store")
	}
	if err := remove(tddObjects...); err != nil {
		t.Fatalf("removing the whole TDD data set: %v", err)
	}
	if len(stored(t, s)) != n {
		t.Errorf("%d objects left, want %d", len(stored(t, s)), n)
	}
	if _, ok := r.Snapshot().Requirement(tddReqSDGID); ok {
		t.Error("removed requirement still answered")
	}
}

// TestTDDSubmissions: the official TDD 1.0 LCM samples are accepted.
func TestTDDSubmissions(t *testing.T) {
	r, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml", "5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"} {
		b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/"+f))
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := r.SubmitXML(context.Background(), b); err != nil || resp.Kind() != edm.KindLCMSuccess {
			t.Errorf("%s: %v", f, err)
		}
	}
	rq, ok := r.Snapshot().Requirement("https://sr.oots.tech.europa.eu/requirements/315cfd75-6605-49c4-b0fe-799833b41099")
	if !ok || len(rq.Frameworks) != 1 || len(rq.Lists) != 1 || len(rq.Lists[0].Types) != 1 {
		t.Errorf("TDD requirement not indexed: %+v", rq)
	}
}

func TestCapturesLoad(t *testing.T) {
	s := cstest.CaptureRegistry(t).Snapshot()
	if n := len(s.Requirements()); n != 53 {
		t.Errorf("%d requirements, want the 53 of the catalogue", n)
	}
	if n := len(s.AllDataServices()); n != 1 {
		t.Errorf("%d data services, want 1", n)
	}
}

func TestLCMHandler(t *testing.T) {
	r, _ := newDemo(t, csregistry.Config{})
	signer, roots := cstest.Signer(t)
	tokens := csregistry.LCMTokens{"operator-token-0123456789": {Party: "operator"}, "fr-token-0123456789": {Party: "AP-FR", Country: "FR"}}
	srv := httptest.NewServer(csregistry.LCMHandler(r, signer, tokens, nil))
	defer srv.Close()
	post := func(token string, body io.Reader) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	// Without a token, or with a wrong one: refused before anything is read.
	for _, tok := range []string{"", "fr-token-012345678"} {
		if resp := post(tok, bytes.NewReader(tddSubmission(t))); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: HTTP %d, want 401", tok, resp.StatusCode)
		}
	}
	// France's token does not change Germany's objects.
	if m, _, err := edm.Parse(post("fr-token-0123456789", bytes.NewReader(tddSubmission(t))).Body); err != nil || m.Kind() != edm.KindLCMError ||
		m.(*edm.RegistryResponse).Exceptions[0].Code != "LCM:ERR:0001" {
		t.Errorf("FR submitting DE objects: %v %v", m, err)
	}
	resp := post("operator-token-0123456789", bytes.NewReader(tddSubmission(t)))
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jades.Verify(resp.Header, b, jades.VerifyOptions{Trust: roots}); err != nil {
		t.Errorf("LCM answer signature: %v", err)
	}
	m, _, err := edm.ParseBytes(b)
	if err != nil || resp.StatusCode != 200 || m.Kind() != edm.KindLCMSuccess {
		t.Fatalf("status %d, %v %v", resp.StatusCode, m, err)
	}
	resp2 := post("operator-token-0123456789", strings.NewReader("junk"))
	if m, _, err := edm.Parse(resp2.Body); err != nil || m.Kind() != edm.KindLCMError {
		t.Errorf("junk: %v %v", m, err)
	}
}

// newIDs gives every object and classification of a submission another id
// (the first hex digit changed), keeping its content.
func newIDs(b []byte) []byte {
	return regexp.MustCompile(`"urn:uuid:[0-9a-f]`).ReplaceAllFunc(b, func(m []byte) []byte {
		out := bytes.Clone(m)
		c := out[len(out)-1]
		if c == 'f' {
			c = '0'
		} else if c == '9' {
			c = 'a'
		} else {
			c++
		}
		out[len(out)-1] = c
		return out
	})
}

// TestLCMResponsesOfficialRules: the RegistryResponse of an accepted and of
// a rejected request pass the official LCM rule files.
func TestLCMResponsesOfficialRules(t *testing.T) {
	r, _ := newDemo(t, csregistry.Config{})
	ok, err := r.SubmitXML(context.Background(), tddSubmission(t))
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := r.SubmitXML(context.Background(), tddSubmission(t, "AssociationType:ContainsEvidence", "AssociationType:Likes"))
	var answers []cstest.Answer
	for name, resp := range map[string]*edm.RegistryResponse{"LCM-SUC": ok, "LCM-ERR": bad} {
		b, err := resp.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, cstest.Answer{Name: name, Body: b})
	}
	cstest.CheckRules(t, answers)
}
