package conformance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/jades"
	"github.com/oots-go/oots/trust"
)

// CSTarget is a Common Services instance under test (Evidence Broker and
// Data Service Directory under one base URL).
type CSTarget struct {
	// BaseURL is the instance's base, to which eb/rest/search and
	// dsd/rest/search are added (e.g. https://query.cs.acc.oots.tech.ec.europa.eu/).
	BaseURL string
	// Trust holds the anchors of the answers' JAdES signatures.
	Trust *trust.Store
	// Procedure and Country are those of the good queries; defaults R1
	// and DE. The requirement and the evidence type classification are
	// taken from the answers.
	Procedure, Country string
	// SREnvironment is the environment of the Semantic Repository whose
	// identifiers the instance publishes: "" production, "acc" the
	// Commission's acceptance services (https://sr.acc.oots.tech.ec.europa.eu/…).
	// The requirements and classifications of the answers must be of it
	// (edm.ParseSRID), and the queries for what does not exist name
	// identifiers of it.
	SREnvironment string
}

// noneUUID is the UUID of the requirement and the evidence type that the
// queries for what does not exist name.
const noneUUID = "00000000-0000-0000-0000-000000000000"

// csKit runs the common-services suite.
type csKit struct {
	cfg *Config
	t   *CSTarget
	// requirement and classification found by CS-01 and CS-02.
	requirement, classification string
}

// csAnswer is a verified and validated answer.
type csAnswer struct {
	msg      edm.Message
	version  edm.Version
	response *edm.ServiceResponse
	errResp  *edm.ErrorResponse
}

func (k *csKit) cases(run func(Suite, string, string, func(context.Context, *Case))) {
	if k.t.Procedure == "" {
		k.t.Procedure = "R1"
	}
	if k.t.Country == "" {
		k.t.Country = "DE"
	}
	s := SuiteCS
	eb := func(id, name string, p url.Values, code edm.ErrorCode) {
		run(s, id, name, func(ctx context.Context, c *Case) { k.expectError(ctx, c, "eb", p, code) })
	}
	none := edm.ClassificationID(k.t.SREnvironment, edm.SRTestSegment, noneUUID)
	dsd := func(id, name string, p url.Values, code edm.ErrorCode) {
		run(s, id, name, func(ctx context.Context, c *Case) { k.expectError(ctx, c, "dsd", p, code) })
	}
	run(s, "CS-01", "EB requirements by procedure and country: a signed, valid answer with requirements", k.caseRequirements)
	run(s, "CS-02", "EB evidence types by requirement and country: a signed, valid answer with evidence type lists", k.caseEvidenceTypes)
	run(s, "CS-03", "DSD data services by evidence type and country: a signed, valid answer (data services, or DSD:ERR:0005 asking for user input)", k.caseDataServices)
	eb("CS-04", "EB requirements for an unknown procedure: EB:ERR:0005", url.Values{"queryId": {csclient.QueryRequirements}, "procedure-id": {"ZZ9"}, "country-code": {k.t.Country}}, edm.EBErr0005)
	eb("CS-05", "EB requirements for an invalid country code: EB:ERR:0006", url.Values{"queryId": {csclient.QueryRequirements}, "procedure-id": {k.t.Procedure}, "country-code": {"QQ"}}, edm.EBErr0006)
	run(s, "CS-06", "EB evidence types for a requirement that does not exist: EB:ERR:0002", func(ctx context.Context, c *Case) {
		k.expectError(ctx, c, "eb", url.Values{"queryId": {csclient.QueryEvidenceTypes}, "requirement-id": {edm.RequirementID(k.t.SREnvironment, noneUUID)}, "country-code": {k.t.Country}}, edm.EBErr0002)
	})
	eb("CS-07", "EB evidence types without requirement-id: EB:ERR:0003", url.Values{"queryId": {csclient.QueryEvidenceTypes}, "country-code": {k.t.Country}}, edm.EBErr0003)
	eb("CS-08", "EB query that does not exist: EB:ERR:0007", url.Values{"queryId": {"urn:fdc:oots:eb:ebxml-regrep:queries:no-such-query"}}, edm.EBErr0007)
	dsd("CS-09", "DSD data services for an evidence type that does not exist: DSD:ERR:0002", url.Values{"queryId": {csclient.QueryDataServices}, "evidence-type-classification": {none}, "country-code": {k.t.Country}}, edm.DSDErr0002)
	dsd("CS-10", "DSD data services without country-code: DSD:ERR:0003", url.Values{"queryId": {csclient.QueryDataServices}, "evidence-type-classification": {none}}, edm.DSDErr0003)
	dsd("CS-11", "DSD query that does not exist: DSD:ERR:0004", url.Values{"queryId": {"urn:fdc:oots:dsd:ebxml-regrep:queries:no-such-query"}}, edm.DSDErr0004)
	run(s, "CS-12", "Accept-Version: a 1.x answer without the header or with oots-cs:v1.2, a 2.0 answer with oots-cs:v2.0", k.caseVersions)
	run(s, "CS-13", "paging: maxResults and startIndex select a page, totalResultCount counts all results", k.casePaging)
}

// query runs one query and checks what every answer must be: HTTP 200,
// application/x-ebrs+xml, a valid JAdES signature, a valid message.
func (k *csKit) query(ctx context.Context, c *Case, svc string, p url.Values, acceptVersion string) (*csAnswer, bool) {
	u := strings.TrimSuffix(k.t.BaseURL, "/") + "/" + svc + "/rest/search?" + p.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		c.fail("%v", err)
		return nil, false
	}
	req.Header.Set("Accept", "application/x-ebrs+xml")
	if acceptVersion != "" {
		req.Header.Set("Accept-Version", acceptVersion)
	}
	c.sent("GET %s\nAccept: application/x-ebrs+xml\nAccept-Version: %s", u, acceptVersion)
	resp, err := k.cfg.Client.Do(req)
	if err != nil {
		c.fail("querying %s: %v", u, err)
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	c.got("HTTP %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	if err != nil {
		c.fail("reading the answer: %v", err)
		return nil, false
	}
	if resp.StatusCode != http.StatusOK {
		c.fail("HTTP %d: the Common Services always answer 200 (SPEC.md §3.1)", resp.StatusCode)
		return nil, false
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ebrs+xml") {
		c.fail("Content-Type %q, expected application/x-ebrs+xml", ct)
	}
	if _, err := jades.Verify(resp.Header, body, jades.VerifyOptions{Trust: k.t.Trust, Now: k.cfg.Now()}); err != nil {
		c.fail("the answer's signature does not verify: %v", err)
	}
	kind, version, findings := ValidateWith(k.cfg.Rules, body)
	if k.t.SREnvironment != "" {
		// The TDD 1.0 rules admit only the production host.
		tolerated := csregistry.EnvironmentRules()
		findings = slices.DeleteFunc(findings, func(f check.Finding) bool { return slices.Contains(tolerated, f.Rule) })
	}
	c.validated(fmt.Sprintf("the answer (%s %s)", kind, version), findings)
	m, _, err := edm.ParseBytes(body)
	if err != nil {
		c.fail("the answer is not a Common Services message: %v", err)
		return nil, false
	}
	a := &csAnswer{msg: m, version: m.Version()}
	switch x := m.(type) {
	case *edm.ServiceResponse:
		a.response = x
	case *edm.ErrorResponse:
		a.errResp = x
	default:
		c.fail("the answer is a %s, not a Common Services answer", m.Kind())
		return nil, false
	}
	return a, true
}

func errCode(a *csAnswer) string {
	if a.errResp == nil || len(a.errResp.Exceptions) == 0 {
		return ""
	}
	x := a.errResp.Exceptions[0]
	return fmt.Sprintf("%s (%s: %s)", x.Code, x.Message, x.Detail)
}

func (k *csKit) expectError(ctx context.Context, c *Case, svc string, p url.Values, code edm.ErrorCode) {
	a, ok := k.query(ctx, c, svc, p, string(edm.CSv20))
	if !ok {
		return
	}
	if a.errResp == nil {
		c.fail("expected %s, got a successful answer with %d object(s)", code, len(a.response.Objects))
		return
	}
	if len(a.errResp.Exceptions) == 0 || a.errResp.Exceptions[0].Code != code {
		c.fail("expected %s, got %s", code, errCode(a))
	}
}

func (k *csKit) success(ctx context.Context, c *Case, svc string, p url.Values) *edm.ServiceResponse {
	a, ok := k.query(ctx, c, svc, p, string(edm.CSv20))
	if !ok {
		return nil
	}
	if a.response == nil {
		c.fail("expected a successful answer, got %s", errCode(a))
		return nil
	}
	return a.response
}

func (k *csKit) caseRequirements(ctx context.Context, c *Case) {
	r := k.success(ctx, c, "eb", url.Values{"queryId": {csclient.QueryRequirements}, "procedure-id": {k.t.Procedure}, "country-code": {k.t.Country}})
	if r == nil {
		return
	}
	reqs := r.Requirements()
	if len(reqs) == 0 {
		c.fail("no requirement for procedure %s in %s", k.t.Procedure, k.t.Country)
		return
	}
	for _, rq := range reqs {
		k.inEnvironment(c, "requirement", rq.Identifier.Value)
	}
	k.requirement = reqs[0].Identifier.Value
}

// inEnvironment fails c unless id is a Semantic Repository identifier of
// the target's environment.
func (k *csKit) inEnvironment(c *Case, what, id string) {
	sr, err := edm.ParseSRID(id)
	switch {
	case err != nil:
		c.fail("the %s %q is not a Semantic Repository identifier: %v", what, id, err)
	case sr.Env != k.t.SREnvironment:
		c.fail("the %s %s is not an identifier of the environment %q of the Semantic Repository", what, id, k.t.SREnvironment)
	}
}

func (k *csKit) caseEvidenceTypes(ctx context.Context, c *Case) {
	if k.requirement == "" {
		c.fail("CS-01 gave no requirement to ask for")
		return
	}
	r := k.success(ctx, c, "eb", url.Values{"queryId": {csclient.QueryEvidenceTypes}, "requirement-id": {k.requirement}, "country-code": {k.t.Country}})
	if r == nil {
		return
	}
	for _, req := range r.Requirements() {
		for _, l := range req.EvidenceTypeList {
			for _, et := range l.EvidenceType {
				k.inEnvironment(c, "evidence type classification", et.EvidenceTypeClassification)
				if k.classification == "" {
					k.classification = et.EvidenceTypeClassification
				}
			}
		}
	}
	if k.classification == "" {
		c.fail("no evidence type for requirement %s in %s", k.requirement, k.t.Country)
	}
}

func (k *csKit) caseDataServices(ctx context.Context, c *Case) {
	if k.classification == "" {
		c.fail("CS-02 gave no evidence type to ask for")
		return
	}
	a, ok := k.query(ctx, c, "dsd", url.Values{"queryId": {csclient.QueryDataServices}, "evidence-type-classification": {k.classification}, "country-code": {k.t.Country}}, string(edm.CSv20))
	if !ok {
		return
	}
	if a.response != nil {
		for _, ds := range a.response.DataServices() {
			k.inEnvironment(c, "data service's evidence type classification", ds.EvidenceTypeClassification)
		}
	}
	switch {
	case a.response != nil && len(a.response.DataServices()) == 0:
		c.fail("a successful answer without data services (expected DSD:ERR:0001 then)")
	case a.errResp != nil && (len(a.errResp.Exceptions) == 0 || a.errResp.Exceptions[0].Code != edm.DSDErr0005):
		c.fail("expected data services or DSD:ERR:0005, got %s", errCode(a))
	}
}

func (k *csKit) caseVersions(ctx context.Context, c *Case) {
	p := url.Values{"queryId": {csclient.QueryRequirements}, "procedure-id": {k.t.Procedure}, "country-code": {k.t.Country}}
	for _, v := range []struct {
		header string
		want   edm.Version
	}{{"", edm.CSv1}, {"oots-cs:v1.2", edm.CSv1}, {string(edm.CSv20), edm.CSv20}} {
		a, ok := k.query(ctx, c, "eb", p, v.header)
		if !ok {
			continue
		}
		if a.version != v.want {
			c.fail("Accept-Version %q: the answer is %s, expected %s", v.header, a.version, v.want)
		}
	}
}

func (k *csKit) casePaging(ctx context.Context, c *Case) {
	base := url.Values{"queryId": {csclient.QueryRequirements}}
	all := k.success(ctx, c, "eb", base)
	if all == nil {
		return
	}
	if len(all.Objects) < 2 {
		c.skip(fmt.Sprintf("the whole catalogue has %d requirement(s): too few to page", len(all.Objects)))
		return
	}
	var ids []string
	for i := range 2 {
		p := url.Values{"queryId": base["queryId"], "maxResults": {"1"}, "startIndex": {strconv.Itoa(i)}}
		r := k.success(ctx, c, "eb", p)
		if r == nil {
			return
		}
		if len(r.Objects) != 1 {
			c.fail("maxResults=1 startIndex=%d: %d objects, expected 1", i, len(r.Objects))
			return
		}
		if r.TotalResultCount != "" && r.TotalResultCount != strconv.Itoa(len(all.Objects)) {
			c.fail("maxResults=1: totalResultCount=%s, the unpaged answer has %d objects", r.TotalResultCount, len(all.Objects))
		}
		ids = append(ids, r.Objects[0].ID)
	}
	if ids[0] == ids[1] {
		c.fail("startIndex 0 and 1 give the same object %s", ids[0])
	}
}
