package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
)

// Cross-validation of message pairs: the Testing-Services mode of the kit
// (Config.TestingServices). The Commission's Testing Services offer, beside
// the check of one message at a time (structure, business rules, code
// lists: Validate), a cross-validation of about twenty pairs of messages of
// one exchange — a response against the request it answers, a second
// request against the error with the preview location before it, a message
// against its ebMS header — whose rules are not published. CrossChecks
// restates those pairs from the OOTS specification (SPEC.md §2.2–§2.4,
// §4.1; TDD 1.x and 2.0.1: the request id, the agents, the evidence type,
// the subject, the preview round, the four ebMS properties) with ids of our
// own (XV-01…); the Testing Services' own ids and any rule they add beyond
// the specification are not known. A check against directory answers (a
// request against the EB and DSD answers it derives from, the Testing
// Services' "P7" scenarios) is not among them: the kit does not see the
// node's Common Services queries.

// SuiteCrossValidation is the suite of the cross-validation cases: one
// case per pair of messages of the run, failed when a check of its kind
// does not hold.
const SuiteCrossValidation Suite = "cross-validation"

// PairKind is what a pair of messages is.
type PairKind string

// The kinds of pairs.
const (
	// PairResponse: an evidence response (Answer) and the request it
	// answers (Request).
	PairResponse PairKind = "response-request"
	// PairError: an error response (Answer) and the request (Request).
	PairError PairKind = "error-request"
	// PairPreview: the second request of a preview round (Second), the
	// first request (Request) and the EDM:ERR:0002 between (Answer).
	PairPreview PairKind = "second-first"
	// PairHeader: one message (Request) and its eb:Messaging (Header).
	PairHeader PairKind = "header-payload"
)

// Pair is messages of one exchange of a run, to be checked against each
// other; which fields are set depends on Kind.
type Pair struct {
	Kind PairKind
	// Case is the id of the case of the run that exchanged them.
	Case    string
	Request *exchange.Message
	Answer  *exchange.Message
	Second  *exchange.Message
	// Header is the eb:Messaging of Request (PairHeader), as received.
	Header *ap.Header
}

// CrossCheck is one rule of the cross-validation.
type CrossCheck struct {
	ID   string   // XV-01…
	Kind PairKind // the pairs it applies to
	Text string   // what must hold
	// problem returns "" when the rule holds for p, else what does not.
	problem func(p *Pair) string
}

// CrossResult is the outcome of one check on one pair.
type CrossResult struct {
	ID, Text string
	// Problem is empty when the check holds.
	Problem string
}

// crossChecks is the catalogue, in the order of its ids.
var crossChecks = []CrossCheck{
	// The evidence response against its request (SPEC.md §2.3).
	{"XV-01", PairResponse, "the response's RequestID is the request's id", func(p *Pair) string {
		return differ("RequestID", p.Answer.Response.RequestID, p.Request.Request.ID)
	}},
	{"XV-02", PairResponse, "the response is in the EDM version of the request", func(p *Pair) string {
		return differ("version", string(p.Answer.Response.Specification), string(p.Request.Request.Specification))
	}},
	{"XV-03", PairResponse, "the response's EvidenceRequester is the request's evidence requester", func(p *Pair) string {
		return sameAgent("EvidenceRequester", p.Answer.Response.EvidenceRequester, firstAgent(p.Request.Request.EvidenceRequester))
	}},
	{"XV-04", PairResponse, "the response comes from the evidence provider the request names (identifier, and country when both give one)", func(p *Pair) string {
		want := p.Request.Request.EvidenceProvider
		if want == nil {
			return ""
		}
		for _, a := range p.Answer.Response.EvidenceProvider {
			if sameAgent("", &a, want) == "" {
				return ""
			}
		}
		return fmt.Sprintf("no EvidenceProvider of the response is %s (%s)", idText(want.Identifier), country(want))
	}},
	{"XV-05", PairResponse, "every evidence is of the evidence type requested (IsConformantTo)", func(p *Pair) string {
		er := p.Request.Request.EvidenceRequest
		if er == nil {
			return ""
		}
		for _, e := range evidenceOf(p.Answer.Response) {
			if e.IsConformantTo == nil || e.IsConformantTo.EvidenceTypeClassification != er.EvidenceTypeClassification {
				got := ""
				if e.IsConformantTo != nil {
					got = e.IsConformantTo.EvidenceTypeClassification
				}
				return fmt.Sprintf("evidence %s is of type %q, the request asked for %q", e.Identifier.Value, got, er.EvidenceTypeClassification)
			}
		}
		return ""
	}},
	{"XV-06", PairResponse, "every evidence is about the request's subject (IsAbout)", func(p *Pair) string {
		want := subjectID(p.Request.Request)
		for _, e := range evidenceOf(p.Answer.Response) {
			got := ""
			if e.IsAbout != nil {
				switch {
				case e.IsAbout.NaturalPerson != nil && e.IsAbout.NaturalPerson.Identifier != nil:
					got = e.IsAbout.NaturalPerson.Identifier.Value
				case e.IsAbout.LegalPerson != nil && e.IsAbout.LegalPerson.LegalPersonIdentifier != nil:
					got = e.IsAbout.LegalPerson.LegalPersonIdentifier.Value
				}
			}
			if got != "" && want != "" && got != want {
				return fmt.Sprintf("evidence %s is about %q, the request about %q", e.Identifier.Value, got, want)
			}
		}
		return ""
	}},
	{"XV-07", PairResponse, "every evidence is in a format the request asked for (DistributedAs)", func(p *Pair) string {
		er := p.Request.Request.EvidenceRequest
		if er == nil || len(er.DistributedAs) == 0 {
			return ""
		}
		var asked []string
		for _, d := range er.DistributedAs {
			asked = append(asked, d.Format)
			asked = append(asked, d.MoreFormats...)
		}
		for _, e := range evidenceOf(p.Answer.Response) {
			for _, d := range e.Distribution {
				if !slices.Contains(asked, d.Format) {
					return fmt.Sprintf("evidence %s is distributed as %q, the request asked for %s", e.Identifier.Value, d.Format, strings.Join(asked, ", "))
				}
			}
		}
		return ""
	}},
	{"XV-08", PairResponse, "the answer refers to the request's eb:MessageId and stays in its conversation and exchange", answerRefers},
	{"XV-09", PairResponse, "the answer swaps the request's originalSender and finalRecipient", answerSwaps},

	// The error response against its request (SPEC.md §2.4).
	{"XV-10", PairError, "the error response's RequestID is the request's id", func(p *Pair) string {
		return differ("RequestID", p.Answer.Error.RequestID, p.Request.Request.ID)
	}},
	{"XV-11", PairError, "the error response is in the EDM version of the request", func(p *Pair) string {
		return differ("version", string(p.Answer.Error.Specification), string(p.Request.Request.Specification))
	}},
	{"XV-12", PairError, "the error response's EvidenceRequester, when given, is the request's evidence requester", func(p *Pair) string {
		if p.Answer.Error.EvidenceRequester == nil {
			return ""
		}
		return sameAgent("EvidenceRequester", p.Answer.Error.EvidenceRequester, firstAgent(p.Request.Request.EvidenceRequester))
	}},
	{"XV-13", PairError, "EDM:ERR:0002 answers only a first request that allows a preview, and carries a PreviewLocation", func(p *Pair) string {
		q := p.Request.Request
		for _, x := range p.Answer.Error.Exceptions {
			if x.Code != edm.EDMErr0002 {
				continue
			}
			switch {
			case !q.PossibilityForPreview:
				return "EDM:ERR:0002 answers a request whose PossibilityForPreview is false (EDM:ERR:0007 is the answer then)"
			case q.PreviewLocation != "":
				return "EDM:ERR:0002 answers a request that already carries a PreviewLocation (the second request)"
			case x.PreviewLocation == "":
				return "EDM:ERR:0002 without a PreviewLocation"
			}
		}
		return ""
	}},
	{"XV-14", PairError, "the answer refers to the request's eb:MessageId and stays in its conversation and exchange", answerRefers},
	{"XV-15", PairError, "the answer swaps the request's originalSender and finalRecipient", answerSwaps},

	// The second request of a preview round against the first (SPEC.md
	// §1.2 step 4, §2.2).
	{"XV-16", PairPreview, "the second request carries the PreviewLocation of the EDM:ERR:0002", func(p *Pair) string {
		x := firstException(p.Answer)
		if x == nil {
			return "the answer between the requests is no error response"
		}
		return differ("PreviewLocation", p.Second.Request.PreviewLocation, x.PreviewLocation)
	}},
	{"XV-17", PairPreview, "the second request has a new id", func(p *Pair) string {
		if p.Second.Request.ID == p.Request.Request.ID {
			return fmt.Sprintf("both requests have the id %s", p.Second.Request.ID)
		}
		return ""
	}},
	{"XV-18", PairPreview, "the second request asks for the same thing: procedure, requirement, evidence type, requester, provider", func(p *Pair) string {
		a, b := p.Request.Request, p.Second.Request
		if s := differ("Procedure", b.Procedure, a.Procedure); s != "" {
			return s
		}
		if s := differ("requirement", requirementOf(b), requirementOf(a)); s != "" {
			return s
		}
		if s := differ("EvidenceTypeClassification", evidenceTypeOf(b), evidenceTypeOf(a)); s != "" {
			return s
		}
		if s := sameAgent("EvidenceRequester", firstAgent(b.EvidenceRequester), firstAgent(a.EvidenceRequester)); s != "" {
			return s
		}
		if a.EvidenceProvider != nil {
			return sameAgent("EvidenceProvider", b.EvidenceProvider, a.EvidenceProvider)
		}
		return ""
	}},
	{"XV-19", PairPreview, "the second request is about the same subject, at the same level of assurance", func(p *Pair) string {
		a, b := p.Request.Request, p.Second.Request
		if s := differ("subject", subjectID(b), subjectID(a)); s != "" {
			return s
		}
		return differ("LevelOfAssurance", loaOf(b), loaOf(a))
	}},
	{"XV-20", PairPreview, "the second request stays in the conversation and exchange of the first (and has a ReturnLocation in EDM 2.0)", func(p *Pair) string {
		if s := differ("eb:ConversationId", p.Second.ConversationID, p.Request.ConversationID); s != "" {
			return s
		}
		if p.Request.ExchangeID != "" {
			if s := differ("ExchangeId", p.Second.ExchangeID, p.Request.ExchangeID); s != "" {
				return s
			}
		}
		if p.Second.Request.Specification.Is2() && p.Second.Request.ReturnLocation == "" {
			return "the second EDM 2.0 request has no ReturnLocation"
		}
		return ""
	}},

	// A message against its ebMS header (SPEC.md §4.1; TDD 2.0.1 EDM-ebMS).
	{"XV-21", PairHeader, "the eb:Action is that of the document (ExecuteQueryRequest, ExecuteQueryResponse, ExceptionResponse)", func(p *Pair) string {
		return differ("eb:Action", p.Header.Action, p.Request.Action())
	}},
	{"XV-22", PairHeader, "originalSender and finalRecipient are the document's sending and receiving agents", func(p *Pair) string {
		from, to := agentsOf(p.Request)
		if from != nil {
			if s := sameID("originalSender", p.Request.OriginalSender, from.Identifier); s != "" {
				return s
			}
		}
		if to != nil {
			return sameID("finalRecipient", p.Request.FinalRecipient, to.Identifier)
		}
		return ""
	}},
	{"XV-23", PairHeader, "in EDM 2.0 the SpecificationId property is the document's version and an ExchangeId is given", func(p *Pair) string {
		v := p.Request.Version()
		if !v.Is2() {
			return ""
		}
		spec := ""
		for _, pr := range p.Header.Properties {
			if pr.Name == exchange.PropSpecification {
				spec = pr.Value
			}
		}
		if s := differ("SpecificationId", spec, string(v)); s != "" {
			return s
		}
		if p.Request.ExchangeID == "" {
			return "no ExchangeId property"
		}
		return ""
	}},
	{"XV-24", PairHeader, "an answer's eb:RefToMessageId is set and its eb:ConversationId is that of the header", func(p *Pair) string {
		if s := differ("eb:ConversationId", p.Request.ConversationID, p.Header.ConversationID); s != "" {
			return s
		}
		if p.Request.Request == nil && p.Header.RefToMessageID == "" {
			return "an answer without eb:RefToMessageId"
		}
		return ""
	}},
}

// CrossChecks returns the catalogue of the cross-validation, in id order.
func CrossChecks() []CrossCheck { return slices.Clone(crossChecks) }

// CrossValidate runs the checks of p's kind on p. A pair whose messages
// are missing (a Request without its document, for example) gets one result
// saying so.
func CrossValidate(p *Pair) []CrossResult {
	if msg := p.incomplete(); msg != "" {
		return []CrossResult{{ID: "XV-00", Text: "the pair is complete", Problem: msg}}
	}
	var out []CrossResult
	for _, c := range crossChecks {
		if c.Kind == p.Kind {
			out = append(out, CrossResult{ID: c.ID, Text: c.Text, Problem: c.problem(p)})
		}
	}
	return out
}

func (p *Pair) incomplete() string {
	switch {
	case p.Request == nil:
		return "no first message"
	case p.Kind == PairHeader:
		if p.Header == nil {
			return "no ebMS header"
		}
		if p.Request.Request == nil && p.Request.Response == nil && p.Request.Error == nil {
			return "no document"
		}
		return ""
	case p.Request.Request == nil:
		return "the first message is no evidence request"
	case p.Answer == nil:
		return "no answer"
	case p.Kind == PairResponse && p.Answer.Response == nil:
		return "the answer is no evidence response"
	case p.Kind == PairError && p.Answer.Error == nil:
		return "the answer is no error response"
	case p.Kind == PairPreview && (p.Second == nil || p.Second.Request == nil):
		return "no second request"
	}
	return ""
}

func answerRefers(p *Pair) string {
	if p.Request.MessageID != "" {
		if s := differ("eb:RefToMessageId", p.Answer.RefToMessageID, p.Request.MessageID); s != "" {
			return s
		}
	}
	if s := differ("eb:ConversationId", p.Answer.ConversationID, p.Request.ConversationID); s != "" {
		return s
	}
	if p.Request.ExchangeID != "" {
		return differ("ExchangeId", p.Answer.ExchangeID, p.Request.ExchangeID)
	}
	return ""
}

func answerSwaps(p *Pair) string {
	if s := sameID("originalSender", p.Answer.OriginalSender, p.Request.FinalRecipient); s != "" {
		return s + " (the request's finalRecipient)"
	}
	if s := sameID("finalRecipient", p.Answer.FinalRecipient, p.Request.OriginalSender); s != "" {
		return s + " (the request's originalSender)"
	}
	return ""
}

// differ says how got differs from want, or "" when they are equal.
func differ(what, got, want string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf("%s is %q, expected %q", what, got, want)
}

func idText(id edm.Identifier) string {
	if id.SchemeID == "" {
		return id.Value
	}
	return id.SchemeID + "|" + id.Value
}

// sameID compares identifiers by scheme and value (a missing scheme on one
// side is not a difference: 1.x properties may omit the type).
func sameID(what string, got, want edm.Identifier) string {
	if got.Value != want.Value || (got.SchemeID != "" && want.SchemeID != "" && got.SchemeID != want.SchemeID) {
		return fmt.Sprintf("%s is %s, expected %s", what, idText(got), idText(want))
	}
	return ""
}

func sameAgent(what string, got, want *edm.Agent) string {
	switch {
	case want == nil:
		return ""
	case got == nil:
		return fmt.Sprintf("%s is missing, expected %s", what, idText(want.Identifier))
	}
	if s := sameID(what, got.Identifier, want.Identifier); s != "" {
		return s
	}
	if cg, cw := country(got), country(want); cg != "" && cw != "" && cg != cw {
		return fmt.Sprintf("%s %s is in %s, expected %s", what, idText(got.Identifier), cg, cw)
	}
	return ""
}

func country(a *edm.Agent) string {
	if a == nil || a.Address == nil {
		return ""
	}
	return a.Address.AdminUnitLevel1
}

func firstAgent(as []edm.Agent) *edm.Agent {
	if len(as) == 0 {
		return nil
	}
	return &as[0]
}

// agentsOf returns the agents a message goes from and to, as its
// originalSender and finalRecipient must name them.
func agentsOf(m *exchange.Message) (from, to *edm.Agent) {
	switch {
	case m.Request != nil:
		return firstAgent(m.Request.EvidenceRequester), m.Request.EvidenceProvider
	case m.Response != nil:
		return firstAgent(m.Response.EvidenceProvider), m.Response.EvidenceRequester
	case m.Error != nil:
		return m.Error.ErrorProvider, m.Error.EvidenceRequester
	}
	return nil, nil
}

func evidenceOf(r *edm.QueryResponse) []*edm.Evidence {
	var out []*edm.Evidence
	for _, o := range r.Evidence {
		out = append(out, &o.Metadata)
	}
	for _, p := range r.Packages {
		for _, o := range p.Evidence {
			out = append(out, &o.Metadata)
		}
	}
	return out
}

func requirementOf(q *edm.QueryRequest) string {
	var ids []string
	for _, r := range q.Requirements {
		ids = append(ids, r.Identifier.Value)
	}
	return strings.Join(ids, " ")
}

func evidenceTypeOf(q *edm.QueryRequest) string {
	if q.EvidenceRequest == nil {
		return ""
	}
	return q.EvidenceRequest.EvidenceTypeClassification
}

func loaOf(q *edm.QueryRequest) string {
	switch {
	case q.NaturalPerson != nil:
		return q.NaturalPerson.LevelOfAssurance
	case q.LegalPerson != nil:
		return q.LegalPerson.LevelOfAssurance
	}
	return ""
}
