package requester

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/datamodel"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/regrep"
)

// CodeTimeout is the Failure code of an exchange that timed out
// (EDM:ERR:0005, "Exceeding timeout period").
const CodeTimeout = edm.EDMErr0005

// CodeEmptyResponse is the Failure code of a success response without
// evidence.
const CodeEmptyResponse = "requester:empty-response"

// CodeInvalidEvidence is the Failure code of an evidence response whose
// structured evidence (XML or JSON with a ConformsTo of package datamodel)
// does not conform to its data model: the evidence is not stored and the
// requirement fails. The Detail names the field and the reason, not the
// value.
const CodeInvalidEvidence = "requester:invalid-evidence"

// invalidEvidence is the message of CodeInvalidEvidence.
const invalidEvidence = "The evidence does not conform to its data model"

// checkStructured validates a structured evidence of a known data model.
// Evidence of other formats or of models the connector does not know is
// accepted as it is.
func checkStructured(e Evidence, data []byte) *edm.Error {
	if e.ConformsTo == "" || !datamodel.Structured(e.Format) {
		return nil
	}
	err := datamodel.Validate(e.ConformsTo, e.Format, data)
	var fe *datamodel.FieldError
	switch {
	case err == nil, errors.Is(err, datamodel.ErrUnknownModel):
		return nil
	case errors.As(err, &fe):
		return &edm.Error{Code: CodeInvalidEvidence, Message: invalidEvidence, Detail: fe.Detail()}
	default:
		return &edm.Error{Code: CodeInvalidEvidence, Message: invalidEvidence, Detail: err.Error(), Err: err}
	}
}

// errIgnore: the received message is recorded and journaled but changes no
// journey.
type errIgnore struct{ reason string }

func (e *errIgnore) Error() string { return e.reason }

var _ ap.Backend = (*Connector)(nil)

// Deliver receives an answer of a provider from the access point (SPEC.md
// §1.2 steps 4 and 6): it is processed exactly once per eb:MessageId (the id
// is recorded in the same transaction as the change of the journey). It is
// correlated with its request by requestId (or eb:RefToMessageId), and
// must belong to the journey (eb:ConversationId) and, in EDM 2.0, to the
// exchange (ExchangeId). An EDM:ERR:0002 preview request makes the
// connector send the second request at once (§1.2 step 5) and gives the
// portal the preview URL; an evidence response is stored; any other error
// fails the requirement. A message that is malformed, does not correlate
// or comes too late is logged and journaled and not retried (Deliver
// returns nil); an error is returned only when it should be retried.
func (c *Connector) Deliver(ctx context.Context, rm *ap.ReceivedMessage) error {
	if rm == nil || rm.MessageID == "" {
		return errors.New("requester: a received message needs its eb:MessageId")
	}
	if done, err := c.db.received(ctx, rm.MessageID); err != nil || done {
		return err
	}
	m, err := exchange.Incoming(rm)
	if err != nil {
		return c.ignore(ctx, rm, "", "malformed: "+err.Error())
	}
	var requestID string
	switch {
	case m.Response != nil:
		requestID = m.Response.RequestID
	case m.Error != nil:
		requestID = m.Error.RequestID
	default:
		return c.ignore(ctx, rm, "", "an evidence request sent to the requester")
	}
	jid, idx, err := c.db.correlate(ctx, requestID, rm.RefToMessageID)
	if errors.Is(err, ErrNotFound) {
		return c.ignore(ctx, rm, "", fmt.Sprintf("answer to an unknown request %q (eb:RefToMessageId %q)", requestID, rm.RefToMessageID))
	}
	if err != nil {
		return err
	}
	var event, detail string
	answerEntry := func(j *journeyState, event, outcome string) journal.Record {
		rec := c.entry(j, idx, event, rm.MessageID, outcome)
		rec.NRR, rec.RefTo = exchange.NRR(rm.NRR), rm.RefToMessageID
		return rec
	}
	j, err := c.update(ctx, jid, func(j *journeyState) (change, error) {
		ch := change{received: &receivedRow{MessageID: rm.MessageID, Journey: jid, Outcome: "processed", At: c.cfg.Now()}, answerEntry: answerEntry}
		var err error
		event, detail, err = c.answer(ctx, j, idx, m, &ch)
		return ch, err
	})
	var ig *errIgnore
	switch {
	case errors.Is(err, errDuplicate):
		return nil
	case errors.As(err, &ig):
		return c.ignore(ctx, rm, jid, ig.reason)
	case err != nil:
		c.log.Error("processing an answer", logJourney, jid, logMessage, rm.MessageID, logErr, err)
		return err
	}
	c.log.Info("answer processed", logJourney, jid, logReq, idx, logMessage, rm.MessageID, "event", event)
	if event != EventPreviewRequired || !c.namesFirst() { // else journaled before the request it caused (preview)
		c.journal(ctx, answerEntry(j, event, detail))
		if second := j.Reqs[idx].Second; event == EventPreviewRequired && second != nil {
			// The request after the preview, sent while the answer was
			// processed: in the same exchange.
			c.journalRequest(ctx, j, idx, second.ID, second.MessageID)
		}
	}
	if j.Journey.State == JourneyComplete {
		c.journal(ctx, c.entry(j, -1, EventJourneyCompleted, "", journal.OutcomeOK))
	}
	return nil
}

// ignore records a message that changes no journey, so that it is not
// delivered again, and journals why.
func (c *Connector) ignore(ctx context.Context, rm *ap.ReceivedMessage, journey, reason string) error {
	err := c.db.save(ctx, nil, change{received: &receivedRow{MessageID: rm.MessageID, Journey: journey, Outcome: "ignored: " + reason, At: c.cfg.Now()}})
	if errors.Is(err, errDuplicate) {
		return nil
	}
	if err != nil {
		return err
	}
	c.log.Warn("received message ignored", logMessage, rm.MessageID, logJourney, journey, "from", rm.From, "reason", reason)
	c.journal(ctx, journal.Record{Event: EventMessageIgnored, Conversation: journey, MessageID: rm.MessageID, Provider: rm.From, Outcome: reason})
	return nil
}

// answer applies an answer to requirement i of j.
func (c *Connector) answer(ctx context.Context, j *journeyState, i int, m *exchange.Message, ch *change) (event, detail string, err error) {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	if m.ConversationID != j.Journey.ID {
		return "", "", &errIgnore{fmt.Sprintf("eb:ConversationId %q is not the journey's", m.ConversationID)}
	}
	if pub.Step != StepWaiting && pub.Step != StepPreview || pub.Exchange == nil {
		return "", "", &errIgnore{"late answer: the requirement is at step " + pub.Step}
	}
	reqID := ""
	if m.Response != nil {
		reqID = m.Response.RequestID
	} else {
		reqID = m.Error.RequestID
	}
	if (st.First == nil || reqID != st.First.ID) && (st.Second == nil || reqID != st.Second.ID) {
		return "", "", &errIgnore{fmt.Sprintf("requestId %q is not a request of the exchange", reqID)}
	}
	if edm.Version(pub.Exchange.Version).Is2() && m.ExchangeID != pub.Exchange.ID {
		return "", "", &errIgnore{fmt.Sprintf("ExchangeId %q is not the exchange's", m.ExchangeID)}
	}
	if m.Error != nil {
		if len(m.Error.Exceptions) == 0 {
			return "", "", &errIgnore{"error response without an exception"}
		}
		exc := m.Error.Exceptions[0]
		previewRequired := exc.Code == edm.EDMErr0002 && exc.Severity == edm.SeverityPreviewRequired && exc.PreviewLocation != ""
		if previewRequired && st.Second == nil && st.Preview {
			return c.preview(ctx, j, i, m, exc, ch)
		}
		f := exc.Err()
		if previewRequired {
			f.Detail = strings.TrimSpace(f.Detail + " (a preview was asked for where none is possible)")
		}
		pub.Step, pub.Exchange.Error = StepFailed, failureOf(f)
		j.settle()
		return journal.EventError, string(exc.Code), nil
	}
	if m.Response.Deferred() {
		return c.deferred(j, i, m.Response)
	}
	// §2.3: the evidence response; the files are the AS4 attachments.
	parts := map[string]exchange.Attachment{} // by the href that named it
	for _, a := range m.Attachments {
		parts[a.Href] = a
	}
	objs := m.Response.Evidence
	for _, p := range m.Response.Packages {
		objs = append(objs, p.Evidence...)
	}
	mainOf := mainEvidenceOf(m.Response.Packages)
	received := map[string]string{} // object id → Evidence.ID
	before := len(pub.Exchange.Evidence)
	for _, o := range objs {
		id, err := uuid.New(c.cfg.Rand)
		if err != nil {
			return "", "", err
		}
		e := Evidence{ID: id, IssuingDate: o.Metadata.IssuingDate, Role: o.Role()}
		var a exchange.Attachment
		if ref := o.RepositoryItemRef; ref != nil {
			// exchange.Incoming resolved every reference to a payload.
			a = parts[ref.Href]
			e.Title = ref.Title
		}
		if t := o.Metadata.IsConformantTo; t != nil && len(t.Title) > 0 && e.Title == "" {
			e.Title = first(texts(t.Title))
		}
		if ia := o.Metadata.IssuingAuthority; ia != nil {
			e.Issuer = first(texts(ia.Name))
		}
		e.Format = a.MimeType
		if d := o.Metadata.Distribution; len(d) > 0 {
			if e.Format == "" {
				e.Format = d[0].Format
			}
			if len(d[0].Language) > 0 {
				e.Language = d[0].Language[0]
			}
		}
		if d := o.Metadata.Distribution; len(d) > 0 && datamodel.Structured(e.Format) {
			e.ConformsTo = d[0].ConformsTo
		}
		if f := checkStructured(e, a.Data); f != nil {
			// Nothing of the answer is stored: evidence that does not
			// conform to its data model cannot pre-fill anything.
			ch.evidence = nil
			pub.Exchange.Evidence = nil
			pub.Step, pub.Exchange.Error = StepFailed, failureOf(f)
			j.settle()
			return journal.EventError, CodeInvalidEvidence, nil
		}
		e.Size = int64(len(a.Data))
		name := e.Title
		if name == "" {
			name = "evidence"
		}
		if exts, _ := mime.ExtensionsByType(e.Format); len(exts) > 0 && !strings.Contains(name, ".") {
			name += exts[0]
		}
		pub.Exchange.Evidence = append(pub.Exchange.Evidence, e)
		ch.evidence = append(ch.evidence, evidenceRow{ID: id, Name: name, MimeType: e.Format, Data: a.Data})
		received[o.ID] = id
	}
	for i, o := range objs {
		if main, ok := mainOf[o.ID]; ok && main != o.ID {
			pub.Exchange.Evidence[before+i].Of = received[main]
		}
	}
	if len(objs) == 0 {
		pub.Step, pub.Exchange.Error = StepFailed, failureOf(&edm.Error{Code: CodeEmptyResponse, Message: "The response holds no evidence"})
		j.settle()
		return journal.EventError, CodeEmptyResponse, nil
	}
	pub.Step = StepDone
	pub.Exchange.PreviewURL = ""
	j.settle()
	return journal.EventResponseReceived, journal.OutcomeOK, nil
}

// preview handles EDM:ERR:0002 with a PreviewLocation (SPEC.md §1.2 steps
// 4–5): the second request, with the same content, a new id, the
// PreviewLocation copied and (2.0) the ReturnLocation, is sent at once, and
// the portal gets the URL to send the user to (1.x: the PreviewLocation with
// the return address as query parameter returnurl).
func (c *Connector) preview(ctx context.Context, j *journeyState, i int, m *exchange.Message, exc *edm.Exception, ch *change) (string, string, error) {
	pub, st := j.Journey.Requirements[i], j.Reqs[i]
	if u, err := url.Parse(exc.PreviewLocation); err != nil || u.Scheme != "https" || u.Host == "" {
		f := exc.Err()
		f.Detail = fmt.Sprintf("the PreviewLocation %q is not an https URL", exc.PreviewLocation)
		pub.Step, pub.Exchange.Error = StepFailed, failureOf(f)
		j.settle()
		return journal.EventError, string(exc.Code), nil
	}
	ret := j.returnURL(i)
	exchangeID := ""
	if edm.Version(pub.Exchange.Version).Is2() {
		exchangeID = pub.Exchange.ID
	}
	// The id derives from the answer's eb:MessageId: processing it again
	// (after a crash) rebuilds the same request, which the access point
	// recognises by its client key.
	reqID := uuid.Name(requestNS, "second-request:"+m.MessageID).String()
	out, err := c.build(j, i, reqID, exchangeID, exc.PreviewLocation, ret)
	if err != nil {
		return "", "", err
	}
	if pub.Exchange.Version != string(out.version) {
		return "", "", &errIgnore{"the provider's EDM version changed during the exchange"}
	}
	key := "requester:" + out.msg.Request.ID
	// Named before it is handed over (a MessageNamer), the answer and the
	// request are journaled first, once however often this runs again:
	// the answer to the request and its receipt, which may come before
	// Submit returns, follow them.
	// Refused, the answer is delivered again, and the request journaled
	// again when it goes.
	named := c.messageIDFor(key)
	s, err := c.handOver(ctx, j, i, out, key, named, "the request after the preview", func() {
		c.journalOnce(ctx, ch.answerEntry(j, EventPreviewRequired, string(exc.Code)))
		c.journalRequest(ctx, j, i, out.msg.Request.ID, named)
	})
	if err != nil {
		return "", "", fmt.Errorf("%w: sending the request after preview: %w", ErrUnavailable, err)
	}
	now := c.cfg.Now().UTC()
	st.Second = &sent{ID: out.msg.Request.ID, MessageID: s.MessageID, ClientKey: key, At: now}
	st.PreviewLocation = exc.PreviewLocation
	pub.Step = StepPreview
	pub.Exchange.Previewed = true
	pub.Exchange.RequestID = out.msg.Request.ID
	pub.Exchange.PreviewURL = exc.PreviewLocation
	if !out.version.Is2() {
		pub.Exchange.PreviewURL = withQuery(exc.PreviewLocation, url.Values{"returnurl": {ret}})
	}
	pub.Exchange.Deadline = now.Add(c.cfg.T2 + c.cfg.T3 + 2*Slack)
	ch.requests = append(ch.requests, requestRow{RequestID: out.msg.Request.ID, MessageID: s.MessageID, Index: i})
	return EventPreviewRequired, string(exc.Code), nil
}

// settle sets the journey's state from its requirements.
func (j *journeyState) settle() {
	done := 0
	for _, r := range j.Journey.Requirements {
		switch r.Step {
		case StepFailed:
			j.Journey.State = JourneyFailed
			return
		case StepDone:
			done++
		}
	}
	if done == len(j.Journey.Requirements) {
		j.Journey.State = JourneyComplete
	}
}

// Run applies the timeouts until ctx ends (SPEC.md §1.2): every
// Config.SweepEvery it calls Sweep.
func (c *Connector) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.SweepEvery)
	defer t.Stop()
	for {
		if err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("timeout sweep", logErr, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep fails the exchanges without an answer in time: T1 (+1 min) after
// the first request, T2+T3 (+2 min) after the preview redirect; and, past
// the journey's deadline ((T1+T2+T3) × requirements), every requirement
// whose request was not sent yet (an exchange under way keeps its own
// deadline, which may end a little later). The Failure code is EDM:ERR:0005; answers arriving later are
// ignored (journaled).
func (c *Connector) Sweep(ctx context.Context) error {
	now := c.cfg.Now()
	ids, err := c.db.due(ctx, now)
	if err != nil {
		return err
	}
	for _, id := range ids {
		var timedOut, asked []int
		j, err := c.update(ctx, id, func(j *journeyState) (change, error) {
			timedOut, asked = nil, nil
			var ch change
			for i, r := range j.Journey.Requirements {
				pending := (r.Step == StepWaiting || r.Step == StepPreview) && r.Exchange != nil
				switch {
				case r.Step == StepDeferred && r.Exchange != nil && !now.Before(r.Exchange.Deadline) && j.Journey.State == JourneyOpen:
					// The deferred evidence's time has come: ask again.
					row, err := c.askAgain(ctx, j, i)
					if err == nil {
						ch.requests = append(ch.requests, row)
						asked = append(asked, i)
						continue
					}
					c.log.Error("asking again for deferred evidence", logJourney, id, logReq, i, logErr, err)
					if now.Before(j.Journey.Deadline) {
						continue // tried again at the next sweep
					}
					// Past the journey's deadline, a request that cannot be
					// sent again fails it as one never answered would.
					r.Exchange.Error = failureOf(&edm.Error{Code: CodeTimeout, Message: "timeout",
						Detail: "the journey's deadline " + j.Journey.Deadline.Format(time.RFC3339) + " passed; the deferred request could not be sent again: " + err.Error()})
				case pending && !now.Before(r.Exchange.Deadline):
					r.Exchange.Error = failureOf(&edm.Error{Code: CodeTimeout, Message: "timeout",
						Detail: fmt.Sprintf("no answer from the provider by %s (step %s)", r.Exchange.Deadline.Format(time.RFC3339), r.Step)})
				case j.Journey.State == JourneyOpen && !now.Before(j.Journey.Deadline) && !pending && r.Step != StepDone && r.Step != StepFailed:
					if r.Exchange == nil {
						r.Exchange = &Exchange{}
					}
					r.Exchange.Error = failureOf(&edm.Error{Code: CodeTimeout, Message: "timeout",
						Detail: "the journey's deadline " + j.Journey.Deadline.Format(time.RFC3339) + " passed"})
				default:
					continue
				}
				r.Step = StepFailed
				timedOut = append(timedOut, i)
			}
			j.settle()
			return ch, nil
		})
		if err != nil {
			return err
		}
		for _, i := range asked {
			r := j.Journey.Requirements[i]
			c.log.Info("deferred evidence asked again", logJourney, id, logReq, i, logMessage, j.Reqs[i].First.MessageID)
			if !c.namesFirst() { // else journaled before the hand-over (askAgain)
				c.journal(ctx, c.entry(j, i, EventAskAgain, j.Reqs[i].First.MessageID, "deferral "+strconv.Itoa(r.Exchange.Deferrals)))
			}
		}
		for _, i := range timedOut {
			c.log.Info("exchange timed out", logJourney, id, logReq, i)
			c.journal(ctx, c.entry(j, i, journal.EventTimeout, "", string(CodeTimeout)))
		}
	}
	return nil
}

// CodeDeliveryFailure is the Failure code of an exchange whose request the
// access point could not deliver (ebMS3 Core §6.7, EBMS:0202: retries
// exhausted, or a final error such as a failed dynamic discovery).
const CodeDeliveryFailure = "EBMS:0202"

// ReportSendFailure is SendFailed for the access point's durable failure
// reports (ap.FailureBackend: at least once per message, also after a
// restart). A message that is not one of the connector's is done with: it
// returns nil, so that the access point does not report it again.
func (c *Connector) ReportSendFailure(ctx context.Context, f *ap.SendFailure) error {
	if err := c.SendFailed(ctx, f.MessageID, f.ClientKey, f.Reason); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// SendFailed tells the connector that the access point gave up on the
// message messageID, submitted with clientKey (its final state is failed;
// reason is the access point's last error). The message is found by its id
// or, when the failure comes before the connector recorded the id, by the
// client key the connector submitted it with. When it carried a request of
// an exchange
// still waiting for its answer, the requirement fails at once with
// CodeDeliveryFailure instead of at its timeout. Any other message id is
// ignored (ErrNotFound). A node whose backend is the connector reports
// through ReportSendFailure.
func (c *Connector) SendFailed(ctx context.Context, messageID, clientKey, reason string) error {
	jid, idx, err := "", 0, ErrNotFound
	if messageID != "" {
		jid, idx, err = c.db.sentBy(ctx, messageID)
	}
	if requestID, ours := strings.CutPrefix(clientKey, "requester:"); errors.Is(err, ErrNotFound) && ours && requestID != "" {
		jid, idx, err = c.db.correlate(ctx, requestID, "")
	}
	if err != nil {
		return err
	}
	failed := false
	j, err := c.update(ctx, jid, func(j *journeyState) (change, error) {
		failed = false
		r := j.Journey.Requirements[idx]
		if (r.Step != StepWaiting && r.Step != StepPreview) || r.Exchange == nil {
			return change{}, nil
		}
		r.Exchange.Error = failureOf(&edm.Error{Code: CodeDeliveryFailure, Message: "the evidence request could not be delivered to the provider's access point", Detail: reason})
		r.Step = StepFailed
		j.settle()
		failed = true
		return change{}, nil
	})
	if err != nil || !failed {
		return err
	}
	c.log.Info("request not delivered", logJourney, jid, logReq, idx, logMessage, messageID, logErr, reason)
	c.journal(ctx, c.entry(j, idx, EventDeliveryFailed, messageID, CodeDeliveryFailure))
	return nil
}

// mainEvidenceOf maps the id of each supplementary document of 2.0
// packages to the id of the MainEvidence it goes with: the target of the
// rim:Association whose source it is (SPEC.md §2.3), or, where its package
// joins it by none, the package's one MainEvidence. The reading is lenient:
// a document joined to nothing readable is kept, with no Of.
func mainEvidenceOf(pkgs []*edm.Package) map[string]string {
	out := map[string]string{}
	for _, p := range pkgs {
		var mains []string
		for _, o := range p.Evidence {
			if o.Role() == edm.RoleMainEvidence {
				mains = append(mains, o.ID)
			}
		}
		isMain := func(id string) bool { return slices.Contains(mains, id) }
		for _, a := range p.Associations {
			if a.Type == regrep.AssociationType && isMain(a.TargetObject) && !isMain(a.SourceObject) {
				out[a.SourceObject] = a.TargetObject
			}
		}
		if len(mains) == 1 {
			for _, o := range p.Evidence {
				if _, ok := out[o.ID]; !ok && o.Role() != edm.RoleMainEvidence {
					out[o.ID] = mains[0]
				}
			}
		}
	}
	return out
}
