package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/requester"
)

// SuiteEDMRequester: the kit plays the evidence provider (C3/C4) of another
// Member State and the node is the evidence requester (cases RQ01…).
const SuiteEDMRequester Suite = "edm-requester"

// RequesterTarget is the requester side of a node under test (SPEC.md §1.2
// steps 2–6, §2.2–§2.4): the kit starts journeys through the node's
// requester REST API (package requester, /api/requester/v1) for a procedure
// and a country whose Data Service Directory entry points at the kit's own
// access point; the node's requester asks the Evidence Broker and the DSD
// as usual and sends its evidence request over AS4 to the kit, which checks
// it, answers as the evidence provider, and reads the journey back through
// the API.
type RequesterTarget struct {
	// API is the base URL of the node's requester REST API (the node's
	// root URL; requester.APIPrefix is added) and Token its bearer token.
	API, Token string
	// Procedure and Country: the journeys' procedure and the Member State
	// asked for evidence, whose data service's AccessService is the kit's
	// party.
	Procedure, Country string
	// Version, when set, is the EDM version the requests must be in (the
	// ConformsTo of the DSD's AccessService).
	Version edm.Version
	// Subject is the user of the journeys; default a test person of
	// Country with LoA High.
	Subject *eid.Subject
	// ReturnURL is the journeys' return address; default an https URL of
	// the kit that nobody visits (the kit plays no browser).
	ReturnURL string
	// Node carries the messages between the node and the kit's access
	// point (an *AS4Peer).
	Node EDMNode
	// Timeout bounds the wait for one message or one change of the
	// journey; default 10 s.
	Timeout time.Duration
}

// requesterKit runs the edm-requester suite.
type requesterKit struct {
	cfg    *Config
	t      *RequesterTarget
	client *requester.Client
	// last is the kit's last answer (for the cross-validation of a
	// preview round).
	last *exchange.Message
}

func newRequesterKit(cfg *Config) *requesterKit {
	t := cfg.Requester
	if t.Timeout == 0 {
		t.Timeout = 10 * time.Second
	}
	if t.ReturnURL == "" {
		t.ReturnURL = "https://conformance-kit.invalid/return"
	}
	if t.Subject == nil {
		t.Subject = &eid.Subject{Person: &eid.NaturalPerson{Identifier: t.Country + "/" + t.Country + "/KIT0000001",
			FamilyName: "Testfall", GivenName: "Erika", DateOfBirth: "1984-08-12"}, LoA: eid.LoAHigh, Country: t.Country,
			Issuer: "conformance kit"}
	}
	return &requesterKit{cfg: cfg, t: t, client: &requester.Client{BaseURL: t.API, Token: t.Token, HTTP: cfg.Client}}
}

func (k *requesterKit) cases(run func(Suite, string, string, func(context.Context, *Case))) {
	run(SuiteEDMRequester, "RQ01", "the node's evidence request; evidence received", k.evidence)
	run(SuiteEDMRequester, "RQ02", "an error answer (EDM:ERR:0004) fails the requirement", k.noEvidence)
	run(SuiteEDMRequester, "RQ03", "preview: the link, then the second request with the PreviewLocation", k.preview)
	run(SuiteEDMRequester, "RQ04", "an answer that refers to no request is not attached to the journey", k.unrelated)
}

// journey is one journey of a case: the node's journey and the request the
// kit received for its (first) requirement.
type journey struct {
	j   *requester.Journey
	req *exchange.Message
}

// begin starts a journey, makes the choices the node asks for, gives the
// explicit request and receives the node's evidence request with the checks
// every request must pass.
func (k *requesterKit) begin(ctx context.Context, c *Case) (*journey, bool) {
	t := k.t
	key, ok := newUUID(c, k.cfg.Rand)
	if !ok {
		return nil, false
	}
	start := requester.StartRequest{Procedure: t.Procedure, Country: t.Country, Subject: *t.Subject, ReturnURL: t.ReturnURL,
		ClientKey: key}
	c.sent("POST %s%s/journeys: procedure %s, country %s, user %s (LoA %s)", t.API, requester.APIPrefix, t.Procedure, t.Country,
		subjectOf(t.Subject), t.Subject.LoA.Code())
	j, err := k.client.Start(ctx, start)
	if err != nil {
		c.fail("starting a journey through the requester API: %v", err)
		return nil, false
	}
	c.got("journey %s: %s", j.ID, describeJourney(j))
	if len(j.Requirements) == 0 {
		c.fail("the journey for %s in %s has no requirement (Evidence Broker)", t.Procedure, t.Country)
		return nil, false
	}
	for range 4 {
		r := j.Requirements[0]
		var ch *requester.Choice
		switch r.Step {
		case requester.StepChooseEvidenceType:
			ch = &requester.Choice{EvidenceType: r.EvidenceTypes[0].Classification}
		case requester.StepChooseProvider:
			ch = &requester.Choice{Provider: r.Providers[0].ID}
		case requester.StepExplicitRequest:
		default:
			c.fail("requirement %s is at step %q, expected a choice or the explicit request", r.ID, r.Step)
			return nil, false
		}
		if ch == nil {
			break
		}
		c.sent("choice for requirement %s: %+v", r.ID, *ch)
		if j, err = k.client.Choose(ctx, j.ID, "0", *ch); err != nil {
			c.fail("choosing for requirement %s: %v", r.ID, err)
			return nil, false
		}
	}
	r := j.Requirements[0]
	if r.Step != requester.StepExplicitRequest {
		c.fail("requirement %s is at step %q after the choices, expected %q", r.ID, r.Step, requester.StepExplicitRequest)
		return nil, false
	}
	yes := true
	c.sent("explicit request for requirement %s (evidence type %s, provider %s)", r.ID, r.ChosenEvidenceType, r.ChosenProvider)
	if j, err = k.client.Request(ctx, j.ID, "0", requester.ExplicitRequest{Given: true, Preview: &yes}); err != nil {
		c.fail("the explicit request: %v", err)
		return nil, false
	}
	c.got("journey %s: %s", j.ID, describeJourney(j))
	m, ok := k.receive(ctx, c, j, "")
	if !ok {
		return nil, false
	}
	return &journey{j: j, req: m}, true
}

// receive waits for the node's next evidence request in the journey's
// conversation and checks it: a valid EDM request in the expected version,
// about the user with the LoA, for the procedure, the requirement, the
// evidence type and the provider of the journey, with the user's explicit
// request; previewLocation, when set, must be in it (the second request).
func (k *requesterKit) receive(ctx context.Context, c *Case, j *requester.Journey, previewLocation string) (*exchange.Message, bool) {
	wctx, cancel := context.WithTimeout(ctx, k.t.Timeout)
	defer cancel()
	m, err := k.t.Node.Next(wctx, j.ID)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			c.fail("no evidence request from the node in conversation %s within %s", j.ID, k.t.Timeout)
		} else {
			c.fail("receiving the node's evidence request: %v", err)
		}
		return nil, false
	}
	c.got("eb:MessageId %s, conversation %s, exchange %s, from %s to %s, signed and encrypted on the request leg\n%s", m.MessageID,
		m.ConversationID, m.ExchangeID, m.OriginalSender.Value, m.FinalRecipient.Value, m.Document)
	kind, version, findings := ValidateWith(k.cfg.Rules, m.Document)
	c.validated(fmt.Sprintf("the request (%s %s)", kind, version), findings)
	q := m.Request
	if q == nil {
		c.fail("the node sent %s, not an evidence request", m.Action())
		return nil, false
	}
	r := j.Requirements[0]
	check := func(ok bool, format string, a ...any) {
		if !ok {
			c.fail(format, a...)
		}
	}
	if k.t.Version != "" {
		check(q.Specification == k.t.Version, "the request is in %s, the DSD's AccessService conforms to %s", q.Specification, k.t.Version)
	}
	if ex := r.Exchange; ex != nil && ex.Version != "" {
		check(string(q.Specification) == ex.Version, "the request is in %s, the journey says %s", q.Specification, ex.Version)
	}
	check(q.Procedure == k.t.Procedure, "the request's procedure is %q, not %q", q.Procedure, k.t.Procedure)
	check(q.ExplicitRequestGiven, "ExplicitRequestGiven is false after the user's explicit request")
	p := k.t.Subject.Person
	switch np := q.NaturalPerson; {
	case np == nil:
		c.fail("the request names no NaturalPerson, the user is %s", p.Identifier)
	default:
		id := ""
		if np.Identifier != nil {
			id = np.Identifier.Value
		}
		check(id == p.Identifier, "the request's subject is %q, not the user %q", id, p.Identifier)
		check(np.FamilyName == p.FamilyName && np.GivenName == p.GivenName && np.DateOfBirth == p.DateOfBirth,
			"the request's subject %s %s %s is not the user %s %s %s", np.GivenName, np.FamilyName, np.DateOfBirth, p.GivenName, p.FamilyName, p.DateOfBirth)
		check(np.LevelOfAssurance == k.t.Subject.LoA.Code(), "the request's LevelOfAssurance is %q, the user's %q", np.LevelOfAssurance, k.t.Subject.LoA.Code())
	}
	reqs := []string{}
	for _, rq := range q.Requirements {
		reqs = append(reqs, rq.Identifier.Value)
	}
	check(len(reqs) == 1 && reqs[0] == r.ID, "the request names the requirements %v, the journey's is %s", reqs, r.ID)
	if q.EvidenceRequest == nil {
		c.fail("the request names no evidence type (EvidenceRequest)")
	} else {
		check(q.EvidenceRequest.EvidenceTypeClassification == r.ChosenEvidenceType, "the request asks for evidence type %s, the DSD answered %s",
			q.EvidenceRequest.EvidenceTypeClassification, r.ChosenEvidenceType)
	}
	prov := ""
	if q.EvidenceProvider != nil {
		prov = q.EvidenceProvider.Identifier.Value
	}
	check(prov == r.ChosenProvider && m.FinalRecipient.Value == r.ChosenProvider, "the request goes to provider %q (finalRecipient %q), the DSD named %q",
		prov, m.FinalRecipient.Value, r.ChosenProvider)
	if previewLocation != "" {
		check(q.PreviewLocation == previewLocation, "the second request's PreviewLocation is %q, not %q", q.PreviewLocation, previewLocation)
		if q.Specification.Is2() {
			check(q.ReturnLocation != "", "the second 2.0 request has no ReturnLocation")
		}
	} else {
		check(q.PreviewLocation == "", "the first request already has a PreviewLocation %q", q.PreviewLocation)
	}
	return m, true
}

// answer sends the kit's answer to a request: an evidence response with a
// PDF when exc is nil, else an error response with exc.
func (k *requesterKit) answer(ctx context.Context, c *Case, req *exchange.Message, exc *edm.Exception) bool {
	out, err := k.reply(req, exc)
	if err != nil {
		c.fail("the kit's answer: %v", err)
		return false
	}
	id, err := k.t.Node.Send(ctx, out)
	c.sent("eb:MessageId %s, refers to %s, conversation %s, exchange %s, %d attachment(s)\n%s", id, out.RefToMessageID, out.ConversationID,
		out.ExchangeID, len(out.Attachments), out.Document)
	if err != nil {
		c.fail("sending the answer: %v", err)
		return false
	}
	out.MessageID, k.last = id, out
	// Only an answer to a request the node sent is a pair of the run (not
	// the answer to a request the kit made up, RQ04).
	if hs := headersOf(k.t.Node); hs != nil && hs.Header(req.MessageID) != nil {
		k.cfg.pairs.answered(c.ID, req, out, hs)
	}
	return true
}

// testPDF is the evidence the kit sends: a one-page PDF.
var testPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

func (k *requesterKit) reply(m *exchange.Message, exc *edm.Exception) (*exchange.Message, error) {
	q := m.Request
	now := k.cfg.Now().UTC()
	ids := uuid.NewSource(k.cfg.Rand)
	out := &exchange.Message{To: m.From, ConversationID: m.ConversationID, ExchangeID: m.ExchangeID, RefToMessageID: m.MessageID,
		OriginalSender: m.FinalRecipient, FinalRecipient: m.OriginalSender}
	ep := edm.Agent{Identifier: m.FinalRecipient, Name: []edm.Text{edm.Lang("EN", "Conformance kit, evidence provider")}}
	if q.EvidenceProvider != nil {
		ep = *q.EvidenceProvider
	}
	if exc != nil {
		ep.Classification = "ERRP"
		out.Error = edm.NewErrorResponse(q, ids.New(), ep, exc, now)
	} else {
		resp := edm.NewQueryResponse(q, ids.New(), now)
		ep.Classification = "EP"
		resp.EvidenceProvider = []edm.Agent{ep}
		issuer := ep
		issuer.Classification, issuer.Address = "", nil
		var about edm.IsAbout
		if p := q.NaturalPerson; p != nil {
			about.NaturalPerson = &edm.Person{Identifier: p.Identifier, FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth}
		}
		et := q.EvidenceRequest
		if et == nil {
			return nil, errors.New("the request names no evidence type")
		}
		md := edm.Evidence{Identifier: edm.ID(ids.New()), IsAbout: &about, IssuingAuthority: &issuer,
			IsConformantTo: &edm.EvidenceType{EvidenceTypeClassification: et.EvidenceTypeClassification, Title: et.Title, Description: et.Description},
			IssuingDate:    now.Format("2006-01-02"),
			Distribution:   []edm.Distribution{{Format: "application/pdf"}}}
		tag, err := uuid.New(k.cfg.Rand)
		if err != nil {
			return nil, err
		}
		cid := "evidence1" + tag[:8] + "@conformance"
		if q.Version().Is2() {
			obj := edm.NewEvidenceObject(ids.URN(), md, "cid:"+cid, "Evidence of the conformance kit", edm.RoleMainEvidence, ids.URN())
			p := &edm.Package{Evidence: []*edm.EvidenceObject{obj}}
			p.ID = ids.URN()
			resp.Packages = append(resp.Packages, p)
		} else {
			resp.Evidence = append(resp.Evidence, edm.NewEvidenceObject(ids.URN(), md, "cid:"+cid, "Evidence of the conformance kit", "", ""))
		}
		out.Response = resp
		out.Attachments = []exchange.Attachment{{ContentID: cid, MimeType: "application/pdf", Data: testPDF}}
	}
	if err := ids.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// wait reads the journey until cond holds for its first requirement or the
// timeout passes; it returns the last journey read.
func (k *requesterKit) wait(ctx context.Context, c *Case, id, what string, cond func(r *requester.Requirement) bool) (*requester.Journey, bool) {
	deadline := time.Now().Add(k.t.Timeout)
	for {
		j, err := k.client.Get(ctx, id)
		if err != nil {
			c.fail("reading journey %s: %v", id, err)
			return nil, false
		}
		if len(j.Requirements) > 0 && cond(j.Requirements[0]) {
			c.got("journey %s: %s", id, describeJourney(j))
			return j, true
		}
		if time.Now().After(deadline) {
			c.got("journey %s: %s", id, describeJourney(j))
			c.fail("journey %s does not show %s within %s: %s", id, what, k.t.Timeout, describeJourney(j))
			return j, false
		}
		select {
		case <-ctx.Done():
			c.fail("reading journey %s: %v", id, ctx.Err())
			return nil, false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// received checks that the journey shows the kit's PDF as the evidence of
// its requirement, and that the API serves it byte for byte.
func (k *requesterKit) received(ctx context.Context, c *Case, id string) {
	j, ok := k.wait(ctx, c, id, "the evidence received", func(r *requester.Requirement) bool {
		return r.Step == requester.StepDone || r.Step == requester.StepFailed
	})
	if !ok {
		return
	}
	r := j.Requirements[0]
	if r.Step != requester.StepDone || r.Exchange == nil || len(r.Exchange.Evidence) == 0 {
		c.fail("the journey shows no evidence received: %s", describeJourney(j))
		return
	}
	ev := r.Exchange.Evidence[0]
	if ev.Format != "application/pdf" {
		c.fail("the journey's evidence has format %q, the kit sent application/pdf", ev.Format)
	}
	f, err := k.client.Evidence(ctx, id, ev.ID)
	switch {
	case err != nil:
		c.fail("reading the evidence %s through the API: %v", ev.ID, err)
	case !bytes.Equal(f.Data, testPDF):
		c.fail("the evidence %s read through the API (%d bytes) is not the PDF the kit sent (%d bytes)", ev.ID, len(f.Data), len(testPDF))
	}
}

// failed checks that the journey shows its requirement failed with code.
func (k *requesterKit) failed(ctx context.Context, c *Case, id string, code edm.ErrorCode) {
	j, ok := k.wait(ctx, c, id, "the requirement failed with "+string(code), func(r *requester.Requirement) bool {
		return r.Step == requester.StepDone || r.Step == requester.StepFailed
	})
	if !ok {
		return
	}
	r := j.Requirements[0]
	if r.Step != requester.StepFailed || r.Exchange == nil || r.Exchange.Error == nil || r.Exchange.Error.Code != code {
		c.fail("expected the requirement failed with %s: %s", code, describeJourney(j))
	}
	if r.Exchange != nil && len(r.Exchange.Evidence) > 0 {
		c.fail("the failed requirement shows %d evidence(s)", len(r.Exchange.Evidence))
	}
}

func (k *requesterKit) evidence(ctx context.Context, c *Case) {
	jr, ok := k.begin(ctx, c)
	if !ok || !k.answer(ctx, c, jr.req, nil) {
		return
	}
	k.received(ctx, c, jr.j.ID)
}

func (k *requesterKit) noEvidence(ctx context.Context, c *Case) {
	jr, ok := k.begin(ctx, c)
	if !ok || !k.answer(ctx, c, jr.req, edm.NewException(edm.EDMErr0004, "The conformance kit holds no evidence for this person")) {
		return
	}
	k.failed(ctx, c, jr.j.ID, edm.EDMErr0004)
}

func (k *requesterKit) preview(ctx context.Context, c *Case) {
	jr, ok := k.begin(ctx, c)
	if !ok {
		return
	}
	token, ok := newUUID(c, k.cfg.Rand)
	if !ok {
		return
	}
	loc := "https://conformance-kit.invalid/preview/" + token
	exc := edm.NewException(edm.EDMErr0002, "The conformance kit needs the user to preview the evidence")
	exc.PreviewLocation = loc
	exc.PreviewDescription = []regrep.LocalizedString{{Lang: "EN", Value: "Log in at the evidence provider to preview the evidence."}}
	if !jr.req.Request.Version().Is2() {
		exc.PreviewMethod = http.MethodGet
	}
	if !k.answer(ctx, c, jr.req, exc) {
		return
	}
	between := k.last
	if _, ok := k.wait(ctx, c, jr.j.ID, "the preview link "+loc, func(r *requester.Requirement) bool {
		return r.Exchange != nil && strings.HasPrefix(r.Exchange.PreviewURL, loc)
	}); !ok {
		return
	}
	second, ok := k.receive(ctx, c, jr.j, loc)
	if !ok {
		return
	}
	k.cfg.pairs.add(&Pair{Kind: PairPreview, Case: c.ID, Request: jr.req, Answer: between, Second: second})
	if second.Request.ID == jr.req.Request.ID {
		c.fail("the second request has the first one's id %s", second.Request.ID)
	}
	if jr.req.ExchangeID != "" && second.ExchangeID != jr.req.ExchangeID {
		c.fail("the second request is in exchange %q, the first in %q", second.ExchangeID, jr.req.ExchangeID)
	}
	if !k.answer(ctx, c, second, nil) {
		return
	}
	k.received(ctx, c, jr.j.ID)
}

func (k *requesterKit) unrelated(ctx context.Context, c *Case) {
	jr, ok := k.begin(ctx, c)
	if !ok {
		return
	}
	// An evidence response in the conversation that refers to no request
	// (eb:RefToMessageId and RequestID unknown), then the true answer.
	stray := *jr.req
	q := *jr.req.Request
	qid, ok := newUUID(c, k.cfg.Rand)
	if !ok {
		return
	}
	mid, ok := newUUID(c, k.cfg.Rand)
	if !ok {
		return
	}
	q.ID = uuid.URNPrefix + qid
	stray.Request, stray.MessageID = &q, mid+"@conformance.oots"
	if !k.answer(ctx, c, &stray, nil) {
		return
	}
	if !k.answer(ctx, c, jr.req, edm.NewException(edm.EDMErr0004, "The conformance kit holds no evidence for this person")) {
		return
	}
	k.failed(ctx, c, jr.j.ID, edm.EDMErr0004)
	// The stray answer may be processed after the true one: read again.
	time.Sleep(300 * time.Millisecond)
	if j, err := k.client.Get(ctx, jr.j.ID); err == nil {
		if r := j.Requirements[0]; r.Exchange != nil && len(r.Exchange.Evidence) > 0 {
			c.fail("the journey shows the evidence of an answer that refers to no request: %s", describeJourney(j))
		}
	}
}

func subjectOf(s *eid.Subject) string {
	if s.Person == nil {
		return "(nobody)"
	}
	return s.Person.Identifier
}

// describeJourney says where a journey stands, for the report.
func describeJourney(j *requester.Journey) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state %s", j.State)
	for i, r := range j.Requirements {
		fmt.Fprintf(&b, "; requirement %d %s: step %s", i, r.ID, r.Step)
		if x := r.Exchange; x != nil {
			fmt.Fprintf(&b, ", exchange %s (%s)", x.ID, x.Version)
			if x.PreviewURL != "" {
				fmt.Fprintf(&b, ", preview %s", x.PreviewURL)
			}
			if len(x.Evidence) > 0 {
				fmt.Fprintf(&b, ", %d evidence(s), first %s", len(x.Evidence), x.Evidence[0].Format)
			}
			if x.Error != nil {
				fmt.Fprintf(&b, ", error %s: %s", x.Error.Code, x.Error.Message)
			}
		}
	}
	return b.String()
}
