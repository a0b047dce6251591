package requester_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/requester"
)

// edm20Services is a test double of Common Services in front of the real
// ones, as a 2.0 Common Services instance would answer: the access services
// declare EDM 2.0 only, and the Semantic Repository URIs have the 2.0 host
// and the datamodels/ prefix.
type edm20Services struct{ requester.CommonServices }

const (
	sr10 = "https://sr.oots.tech.europa.eu/"
	sr20 = "https://sr.oots.tech.ec.europa.eu/"
)

func to20(s string) string {
	return strings.Replace(strings.Replace(s, sr10+"distributions/", sr20+"datamodels/", 1), sr10, sr20, 1)
}

func to10(s string) string { return strings.Replace(s, sr20, sr10, 1) }

func (s edm20Services) Requirements(ctx context.Context, procedure, country string) ([]*edm.Requirement, error) {
	rs, err := s.CommonServices.Requirements(ctx, procedure, country)
	for _, r := range rs {
		r.Identifier.Value = to20(r.Identifier.Value)
	}
	return rs, err
}

func (s edm20Services) EvidenceTypes(ctx context.Context, requirement, country string) (*edm.Requirement, error) {
	r, err := s.CommonServices.EvidenceTypes(ctx, to10(requirement), country)
	if err != nil {
		return nil, err
	}
	r.Identifier.Value = to20(r.Identifier.Value)
	for i := range r.EvidenceTypeList {
		for k := range r.EvidenceTypeList[i].EvidenceType {
			et := &r.EvidenceTypeList[i].EvidenceType[k]
			et.EvidenceTypeClassification = to20(et.EvidenceTypeClassification)
		}
	}
	return r, nil
}

func (s edm20Services) DataServices(ctx context.Context, classification, country string, extra map[string]string) ([]*edm.DataServiceEvidenceType, error) {
	ds, err := s.CommonServices.DataServices(ctx, to10(classification), country, extra)
	for _, d := range ds {
		d.EvidenceTypeClassification = to20(d.EvidenceTypeClassification)
		for i := range d.AccessService {
			d.AccessService[i].ConformsTo = []string{string(edm.V2_0)}
		}
		for i := range d.DistributedAs {
			d.DistributedAs[i].ConformsTo = to20(d.DistributedAs[i].ConformsTo)
		}
	}
	return ds, err
}

// TestEDM20 runs a journey with a provider that speaks EDM 2.0: the request
// is 2.0 (no xml:lang, languages in DistributedAs, ExchangeId), the second
// request reuses the ExchangeId and carries ReturnLocation, the evidence
// comes in a registry package.
func TestEDM20(t *testing.T) {
	cs := commonServices(t)
	f := newFixture(t, sqliteDSN(t), edm20Services{cs}, nil)
	s := start("R1", "FR", person())
	s.Languages = []string{"fr", "en"}
	j := must[*requester.Journey](t)(f.conn.Start(ctx, s))
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	r := wantStep(t, j, 0, requester.StepWaiting)
	if r.Exchange.Version != string(edm.V2_0) {
		t.Fatalf("version %s", r.Exchange.Version)
	}
	sub, req := f.sender.last(t)
	q := req.Request
	if q.Version() != edm.V2_0 || q.Lang != "" || req.ExchangeID != r.Exchange.ID || req.ExchangeID == "" {
		t.Errorf("version %s lang %q ExchangeId %q (exchange %s)", q.Version(), q.Lang, req.ExchangeID, r.Exchange.ID)
	}
	if d := q.EvidenceRequest.DistributedAs; len(d) != 1 || strings.Join(d[0].Language, ",") != "FR,EN" {
		t.Errorf("DistributedAs %+v", d)
	}
	var p remoteProvider
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/20"))
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r = wantStep(t, j, 0, requester.StepPreview)
	if r.Exchange.PreviewURL != "https://preview.fr.example/p/20" {
		t.Errorf("2.0 preview URL %q, want the PreviewLocation", r.Exchange.PreviewURL)
	}
	sub2, req2 := f.sender.last(t)
	if req2.ExchangeID != req.ExchangeID || req2.Request.PreviewLocation != "https://preview.fr.example/p/20" {
		t.Errorf("second request ExchangeId %q (first %q), PreviewLocation %q", req2.ExchangeID, req.ExchangeID, req2.Request.PreviewLocation)
	}
	ret, err := url.Parse(req2.Request.ReturnLocation)
	if err != nil || ret.Scheme != "https" || ret.Query().Get("journey") != j.ID || ret.Query().Get("requirement") != "0" {
		t.Errorf("ReturnLocation %q", req2.Request.ReturnLocation)
	}
	// An answer with another ExchangeId is not this exchange's.
	wrong := p.evidence(t, sub2, req2, []byte("x"))
	for i, pr := range wrong.Properties {
		if pr.Name == exchange.PropExchangeID {
			wrong.Properties[i].Value = "7d1f0000-0000-4000-8000-000000000000"
		}
	}
	deliver(t, f.conn, wrong)
	wantStep(t, must[*requester.Journey](t)(f.conn.Get(ctx, j.ID)), 0, requester.StepPreview)

	deliver(t, f.conn, p.evidence(t, sub2, req2, []byte("%PDF-1.7")))
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r = wantStep(t, j, 0, requester.StepDone)
	if e := r.Exchange.Evidence; len(e) != 1 || e[0].Role != edm.RoleMainEvidence {
		t.Errorf("evidence %+v", e)
	}
	checkRules(t, f.sender)
}

// TestOfficialRules sends requests of every shape (natural person, company
// with its representative, classification answers, the second request after
// a preview) and has the independent verifier judge them with the official
// TDD 1.0 rule files.
func TestOfficialRules(t *testing.T) {
	cs := commonServices(t)
	f := newFixture(t, sqliteDSN(t), cs, func(c *requester.Config) {
		c.Intermediary = edm.Agent{Identifier: edm.SchemeID("urn:cef.eu:names:identifier:EAS:0009", "98765432100019"), Name: []edm.Text{edm.Lang("EN", "Plateforme intermédiaire")}}
	})
	var p remoteProvider
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	if ers := req.Request.EvidenceRequester; len(ers) != 2 || ers[1].Classification != "IP" {
		t.Errorf("evidence requesters %+v", ers)
	}
	deliver(t, f.conn, p.preview(t, sub, req, "https://preview.fr.example/p/1"))
	j = must[*requester.Journey](t)(f.conn.Start(ctx, start("X1", "SE", company())))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	j = must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "DE", person())))
	must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Answers: map[string]string{j.Requirements[0].Questions[0].ID: "ApplicantHasNeverBeenResidentInGermany"}}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	if f.sender.count() != 4 {
		t.Fatalf("%d requests", f.sender.count())
	}
	checkRules(t, f.sender)
	verifyOfficial(t, f.sender)
}

// moreTypes is a test double of Common Services whose Evidence Broker
// offers a second evidence type list for every requirement.
type moreTypes struct{ requester.CommonServices }

const otherType = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/FR/00000000-0000-5000-8000-000000000001"

func (s moreTypes) EvidenceTypes(ctx context.Context, requirement, country string) (*edm.Requirement, error) {
	r, err := s.CommonServices.EvidenceTypes(ctx, requirement, country)
	if err != nil {
		return nil, err
	}
	r.EvidenceTypeList = append(r.EvidenceTypeList, edm.EvidenceTypeList{Identifier: edm.ID("other-list"),
		EvidenceType: []edm.EvidenceType{{EvidenceTypeClassification: otherType, Title: []edm.Text{edm.Lang("EN", "Other evidence")}}}})
	return r, nil
}

// TestSeveralEvidenceTypes: alternatives of the Evidence Broker are offered;
// the user's choice goes to the DSD.
func TestSeveralEvidenceTypes(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), moreTypes{commonServices(t)}, nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepChooseEvidenceType)
	if len(r.EvidenceTypes) != 2 || r.EvidenceTypes[1].Classification != otherType || r.EvidenceTypes[1].List != "other-list" {
		t.Fatalf("evidence types %+v", r.EvidenceTypes)
	}
	if _, err := f.conn.Choose(ctx, j.ID, "0", requester.Choice{Provider: "FR-EP-R1"}); !errors.Is(err, requester.ErrState) {
		t.Errorf("provider before the evidence type: %v, want ErrState", err)
	}
	// The DSD knows no data service of the other type.
	if _, err := f.conn.Choose(ctx, j.ID, "0", requester.Choice{EvidenceType: otherType}); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("type without data service: %v, want ErrNotFound", err)
	}
	j = must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{EvidenceType: r.EvidenceTypes[0].Classification}))
	r = wantStep(t, j, 0, requester.StepExplicitRequest)
	if r.ChosenProvider != "FR-EP-R1" {
		t.Errorf("provider %q", r.ChosenProvider)
	}
}

// TestVersionChoice: the highest version the access service declares and
// the connector speaks.
func TestVersionChoice(t *testing.T) {
	tests := []struct {
		versions   []edm.Version
		conformsTo string
		want       string
	}{
		{nil, "oots-edm:v1.0", "oots-edm:v1.0"},
		{nil, "oots-edm:v2.0", "oots-edm:v2.0"},
		{[]edm.Version{edm.V1_0}, "oots-edm:v2.0", ""},
		{[]edm.Version{edm.V2_0, edm.V1_0}, "oots-edm:v1.0 oots-edm:v2.0", "oots-edm:v2.0"},
		{[]edm.Version{edm.V1_0, edm.V1_2}, "oots-edm:v1.2 oots-edm:v1.0 oots-edm:v2.0", "oots-edm:v1.2"},
	}
	cs := commonServices(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%s", tt.versions, tt.conformsTo), func(t *testing.T) {
			f := newFixture(t, sqliteDSN(t), conformsTo{cs, strings.Fields(tt.conformsTo)}, func(c *requester.Config) { c.Versions = tt.versions })
			j, err := f.conn.Start(ctx, start("R1", "FR", person()))
			if tt.want == "" {
				if !errors.Is(err, requester.ErrNotFound) {
					t.Fatalf("Start: %v, want ErrNotFound (no version in common)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
			if got := j.Requirements[0].Exchange.Version; got != tt.want {
				t.Errorf("version %s, want %s", got, tt.want)
			}
		})
	}
}

type conformsTo struct {
	requester.CommonServices
	versions []string
}

func (s conformsTo) DataServices(ctx context.Context, classification, country string, extra map[string]string) ([]*edm.DataServiceEvidenceType, error) {
	ds, err := s.CommonServices.DataServices(ctx, classification, country, extra)
	for _, d := range ds {
		for i := range d.AccessService {
			d.AccessService[i].ConformsTo = s.versions
		}
	}
	return ds, err
}

func TestConfigValidate(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	tests := []struct {
		field string
		edit  func(c *requester.Config)
	}{
		{"DB", func(c *requester.Config) { c.DB = nil }},
		{"Sender", func(c *requester.Config) { c.Sender = nil }},
		{"Services", func(c *requester.Config) { c.Services = nil }},
		{"Route", func(c *requester.Config) { c.Route = nil }},
		{"Requester", func(c *requester.Config) { c.Requester = edm.Agent{} }},
		{"Requester.Address", func(c *requester.Config) { c.Requester.Address = nil }},
		{"Intermediary", func(c *requester.Config) { c.Intermediary = edm.Agent{Identifier: edm.ID("x")} }},
		{"T1", func(c *requester.Config) { c.T1 = -1 }},
		{"Versions", func(c *requester.Config) { c.Versions = []edm.Version{edm.CSv20} }},
	}
	for _, tt := range tests {
		c := f.cfg
		tt.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v", tt.field, err)
		}
		if _, err := requester.New(ctx, c); err == nil {
			t.Errorf("New accepted a config without a valid %s", tt.field)
		}
	}
	if err := f.cfg.Validate(); err != nil {
		t.Error(err)
	}
}

// TestHTTP checks what only the REST API has: the bearer token, the OpenAPI
// document, error bodies, the content type of evidence.
func TestHTTP(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), func(c *requester.Config) { c.APIToken = apiToken })
	srv := httptest.NewServer(f.conn.Handler())
	defer srv.Close()
	base := srv.URL + requester.APIPrefix

	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) != 5 {
		t.Errorf("OpenAPI document: %v %s %d paths", err, doc.OpenAPI, len(doc.Paths))
	}
	resp.Body.Close()

	anon := &requester.Client{BaseURL: srv.URL, HTTP: srv.Client()}
	if _, err := anon.Get(ctx, "x"); !errors.Is(err, requester.ErrUnauthorized) {
		t.Errorf("without token: %v, want ErrUnauthorized", err)
	}
	wrong := &requester.Client{BaseURL: srv.URL, Token: "wrong", HTTP: srv.Client()}
	if _, err := wrong.Get(ctx, "x"); !errors.Is(err, requester.ErrUnauthorized) {
		t.Errorf("wrong token: %v, want ErrUnauthorized", err)
	}

	post := func(path, body string) (int, map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	for _, tt := range []struct {
		body   string
		status int
		code   string
		field  string
	}{
		{`{`, 400, "invalid", "body"},
		{`{"procedure": 7}`, 400, "invalid", "procedure"},
		{`{"procedure": "R1", "unknown": 1}`, 400, "invalid", "body"},
		{`{"procedure": "R1"} {}`, 400, "invalid", "body"},
		{`{"procedure": "R1", "country": "FR"}`, 400, "invalid", "subject.person"},
	} {
		status, m := post("/journeys", tt.body)
		if status != tt.status || m["code"] != tt.code || m["field"] != tt.field || m["message"] == "" {
			t.Errorf("POST /journeys %s: %d %v", tt.body, status, m)
		}
	}
	if status, m := post("/journeys/none/requirements/0/choice", `{}`); status != 404 || m["code"] != "not_found" {
		t.Errorf("choice on an unknown journey: %d %v", status, m)
	}

	c := &requester.Client{BaseURL: srv.URL + "/", Token: apiToken, HTTP: srv.Client()}
	j := must[*requester.Journey](t)(c.Start(ctx, start("R1", "FR", person())))
	if status, m := post("/journeys/"+j.ID+"/requirements/0/request", `{"given": true}`); status != 200 {
		t.Fatalf("request: %d %v", status, m)
	}
	if status, m := post("/journeys/"+j.ID+"/requirements/"+url.PathEscape(j.Requirements[0].ID)+"/request", `{"given": true}`); status != 409 || m["code"] != "state" {
		t.Errorf("second request by the escaped requirement id: %d %v", status, m)
	}
	sub, req := f.sender.last(t)
	var p remoteProvider
	deliver(t, f.conn, p.evidence(t, sub, req, []byte("%PDF-1.7 evidence")))
	j = must[*requester.Journey](t)(c.Get(ctx, j.ID))
	e := j.Requirements[0].Exchange.Evidence[0]
	hreq, _ := http.NewRequest(http.MethodGet, base+"/journeys/"+j.ID+"/evidence/"+e.ID, nil)
	hreq.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err = srv.Client().Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != e.Format || !bytes.Equal(body, []byte("%PDF-1.7 evidence")) {
		t.Errorf("evidence: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// FuzzDeliver hands arbitrary documents to Deliver as the payload of an
// answer to a real request: each is processed or ignored (recorded and
// journaled), never retried (an error) and never a panic.
func FuzzDeliver(f *testing.F) {
	fx := newFixture(f, sqliteDSN(f), commonServices(f), nil)
	j := must[*requester.Journey](f)(fx.conn.Start(ctx, start("R1", "FR", person())))
	must[*requester.Journey](f)(fx.conn.Request(ctx, j.ID, "0", yes))
	sub, req := fx.sender.last(f)
	var p remoteProvider
	pv := p.preview(f, sub, req, "https://preview.fr.example/p/f")
	ev := p.evidence(f, sub, req, []byte("evidence"))
	f.Add(pv.Payloads[0].Data, false)
	f.Add(ev.Payloads[0].Data, true)
	f.Add(p.refuse(f, sub, req).Payloads[0].Data, false)
	f.Add(p.deferred(f, sub, req, time.Date(2026, 8, 7, 9, 30, 0, 0, time.UTC)).Payloads[0].Data, true)
	f.Add([]byte("<query:QueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0\"/>"), true)
	n := 0
	f.Fuzz(func(t *testing.T, doc []byte, evidence bool) {
		n++
		base := pv
		if evidence {
			base = ev
		}
		rm := *base
		rm.MessageID = fmt.Sprintf("fuzz-%d@provider.test", n)
		rm.Payloads = append([]ap.Payload{{ContentID: "regrep@oots", MimeType: base.Payloads[0].MimeType, Data: doc}}, base.Payloads[1:]...)
		if err := fx.conn.Deliver(ctx, &rm); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		if _, err := fx.conn.Get(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRun: the sweep runs on its own until the context ends.
func TestRun(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), func(c *requester.Config) { c.SweepEvery = 5 * time.Millisecond })
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	f.clock.Add(time.Hour)
	c, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- f.conn.Run(c) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
		if j.State == requester.JourneyFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not time the exchange out")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestSendFailed: when the access point gives up on a request, the
// requirement fails at once with EBMS:0202 and the reason; a message the
// connector did not send, or a second report, changes nothing.
func TestSendFailed(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	wantStep(t, j, 0, requester.StepExplicitRequest)
	j = must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", requester.ExplicitRequest{Given: true}))
	wantStep(t, j, 0, requester.StepWaiting)
	sub, _ := f.sender.last(t)

	if err := f.conn.SendFailed(ctx, "unknown@elsewhere", "provider:x", "x"); !errors.Is(err, requester.ErrNotFound) {
		t.Errorf("unknown message: %v, want ErrNotFound", err)
	}
	// The access point's report of a message that is not the connector's is
	// done with: no error, or the access point would report it forever.
	if err := f.conn.ReportSendFailure(ctx, &ap.SendFailure{MessageID: "unknown@elsewhere", ClientKey: "provider:x", Reason: "x"}); err != nil {
		t.Errorf("report of an unknown message: %v, want nil", err)
	}
	// Found by the client key, as when the access point fails the message
	// before the connector recorded its id.
	if err := f.conn.SendFailed(ctx, "not-yet-recorded@ap", sub.ClientKey, "dynamic discovery failed: participant unknown"); err != nil {
		t.Fatal(err)
	}
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepFailed)
	if j.State != requester.JourneyFailed || r.Exchange.Error == nil || r.Exchange.Error.Code != requester.CodeDeliveryFailure ||
		!strings.Contains(r.Exchange.Error.Detail, "participant unknown") {
		t.Fatalf("journey %s, failure %+v", j.State, r.Exchange.Error)
	}
	if err := f.conn.ReportSendFailure(ctx, &ap.SendFailure{MessageID: sub.MessageID, Reason: "again"}); err != nil {
		t.Fatal(err)
	}
	if j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID)); j.Requirements[0].Exchange.Error.Detail == "again" {
		t.Error("a second report changed a finished exchange")
	}
}
