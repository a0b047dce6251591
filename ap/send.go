package ap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/internal/uuid"
)

// Submission is a message the backend asks the node to send.
type Submission struct {
	// ClientKey makes the submission idempotent: a second submission with
	// the same key returns the first message. Optional.
	ClientKey string `json:"clientKey,omitempty"`
	// Leg names the P-Mode leg; To the receiving party (default: the leg's
	// first responder other than this access point). When To is not a
	// responder of Leg but of another leg of the same service and action,
	// the message goes on that one (the Status names it).
	Leg string `json:"leg"`
	To  string `json:"to,omitempty"`
	// ConversationID and RefToMessageID: eb:ConversationId (generated when
	// empty) and eb:RefToMessageId.
	ConversationID string     `json:"conversationId,omitempty"`
	RefToMessageID string     `json:"refToMessageId,omitempty"`
	Properties     []Property `json:"properties,omitempty"`
	Payloads       []Payload  `json:"payloads"`

	// MessageID is the message's eb:MessageId, stored with the submission
	// so that every attempt sends the same id. The node assigns it when
	// empty (NewMessageID); a backend may choose it (ebMS3 Core §5.2.2.1
	// lets the producer set it), to record what it sends before the
	// partner can answer, in the form id@domain (ValidMessageID). It must
	// be globally unique: an id another submission of this node has (with
	// another ClientKey, or without one) is refused (ErrMessageIDTaken;
	// the REST API's 409).
	MessageID string `json:"messageId,omitempty"`
}

// Status is the state of a submitted message.
type Status struct {
	MessageID   string    `json:"messageId"`
	ClientKey   string    `json:"clientKey,omitempty"`
	Leg         string    `json:"leg"`
	To          string    `json:"to"`
	State       string    `json:"state"` // queued, delivered, failed
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

func statusOf(o *apstore.Outbound) *Status {
	s := &Status{MessageID: o.ID, ClientKey: o.ClientKey, Leg: o.Leg, To: o.Partner, State: o.State, Attempts: o.Attempts,
		LastError: o.LastError, Created: o.Created, Updated: o.Updated}
	if o.State == apstore.OutQueued {
		s.NextAttempt = o.NextAt
	}
	return s
}

// ErrInvalidSubmission is wrapped by Submit's errors for a submission that
// does not fit the P-Mode.
var ErrInvalidSubmission = errors.New("invalid submission")

// ErrMessageIDTaken is wrapped by Submit's error for a submission whose
// chosen MessageID a message with another (or no) ClientKey has already.
var ErrMessageIDTaken = errors.New("the message id is taken")

// ErrClientKeyTaken is wrapped by Submit's error for a submission whose
// ClientKey names a message submitted before under another id than the
// submission's chosen MessageID: not a repetition of that submission.
var ErrClientKeyTaken = errors.New("the client key names another message")

// keyTaken is Submit's error for ErrClientKeyTaken: the key, the id of its
// message and the id the submission chose.
type keyTaken struct{ key, id, chosen string }

func (e *keyTaken) Error() string {
	return fmt.Sprintf("%v: %v: %q is message %s, not %s", ErrInvalidSubmission, ErrClientKeyTaken, e.key, e.id, e.chosen)
}

func (e *keyTaken) Is(target error) bool {
	return target == ErrInvalidSubmission || target == ErrClientKeyTaken
}

// NewMessageID returns a new eb:MessageId of this node: a random UUID at
// the node's domain.
func (n *Node) NewMessageID() (string, error) {
	id, err := uuid.New(n.cfg.Rand)
	if err != nil {
		return "", err
	}
	return id + "@" + n.cfg.Domain, nil
}

// MessageIDFor returns the eb:MessageId this node gives the submission with
// client key clientKey when the backend names it so before submitting
// (Submission.MessageID): a name-based UUID of the key at the node's
// domain. The same key gives the same name, so a backend that redoes a
// step (a retried transaction) names the message it submits again, which
// the client key makes the same message, as it named it the first time.
func (n *Node) MessageIDFor(clientKey string) string {
	return uuid.Name(messageNS, clientKey).String() + "@" + n.cfg.Domain
}

// messageNS is the name space of MessageIDFor's name-based UUIDs.
var messageNS = uuid.UUID([]byte("oots-ap-message1"))

// ValidMessageID checks a message id chosen by a backend: an RFC 5322
// msg-id without its angle brackets (ebMS 3.0 Core §5.2.2.1) in its
// dot-atom form, id-left "@" id-right, each dot-atom-text (RFC 5322
// §3.2.3: atext runs joined by single dots), at most 255 octets.
func ValidMessageID(id string) error {
	if len(id) > 255 {
		return fmt.Errorf("message id of %d octets, more than 255", len(id))
	}
	left, right, ok := strings.Cut(id, "@")
	if !ok || left == "" || right == "" {
		return fmt.Errorf("message id %q is not of the form id@domain", id)
	}
	for _, part := range []string{left, right} {
		for i, atom := range strings.Split(part, ".") {
			if atom == "" {
				return fmt.Errorf("message id %q has an empty dot-atom in %q (RFC 5322 §3.2.3)", id, part)
			}
			for j := 0; j < len(atom); j++ {
				if !isAtext(atom[j]) {
					return fmt.Errorf("message id %q has the character %q, which RFC 5322 does not allow in a msg-id (atom %d of %q)", id, atom[j], i+1, part)
				}
			}
		}
	}
	return nil
}

// isAtext reports whether c is an atext character of RFC 5322 §3.2.3.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// legFor returns another leg of the same service and action as leg on
// which this node sends to the party to, and that party, or nils. A P-Mode may have several
// (a profile per partner while partners move from AS4 1.15 to 2.0, as
// Domibus selects a P-Mode by its parties too); the receiver tells them
// apart by the parties, and a submission naming any of them goes to the
// partner on the one that lists it.
func legFor(pm *pmode.Config, leg *pmode.Leg, to string) (*pmode.Leg, *pmode.Party) {
	for _, l := range pm.LegsFor(leg.Service, leg.Action) {
		if l != leg {
			if _, p, err := as4.ResolveParties(pm, l, pm.Self, to); err == nil {
				return l, p
			}
		}
	}
	return nil, nil
}

// Submit checks a submission against the P-Mode, gives it its eb:MessageId
// (unless it has one: Submission.MessageID) and queues it. created is
// false when a message with the same ClientKey was submitted before; its
// status is returned.
func (n *Node) Submit(ctx context.Context, s *Submission) (st *Status, created bool, err error) {
	if s.ClientKey != "" {
		if o, err := n.cfg.Store.OutboundByClientKey(ctx, s.ClientKey); err == nil {
			if s.MessageID != "" && s.MessageID != o.ID {
				return nil, false, &keyTaken{s.ClientKey, o.ID, s.MessageID}
			}
			return statusOf(o), false, nil
		}
	}
	pm := n.pmode()
	leg, err := pm.Leg(s.Leg)
	if err != nil {
		return nil, false, fmt.Errorf("%w: leg: %w", ErrInvalidSubmission, err)
	}
	_, to, err := as4.ResolveParties(pm, leg, pm.Self, s.To)
	if err != nil && s.To != "" {
		if alt, altTo := legFor(pm, leg, s.To); alt != nil {
			leg, to, err = alt, altTo, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalidSubmission, err)
	}
	if _, dynamic := n.cfg.Discovered[to.Name]; to.Endpoint == "" && !dynamic {
		return nil, false, fmt.Errorf("%w: party %s has no endpoint in the P-Mode", ErrInvalidSubmission, to.Name)
	}
	if len(s.Payloads) == 0 {
		return nil, false, fmt.Errorf("%w: no payload", ErrInvalidSubmission)
	}
	if err := s.checkText(); err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalidSubmission, err)
	}
	files, err := n.uploaded(ctx, s)
	if err != nil {
		return nil, false, err
	}
	for i, p := range s.Payloads {
		if _, _, err := mime.ParseMediaType(p.MimeType); err != nil {
			return nil, false, fmt.Errorf("%w: payloads[%d].mimeType %q: %w", ErrInvalidSubmission, i, p.MimeType, err)
		}
	}
	sub := *s
	sub.To, sub.Leg = to.Name, leg.Name
	if sub.MessageID != "" {
		if err := ValidMessageID(sub.MessageID); err != nil {
			return nil, false, fmt.Errorf("%w: messageId: %w", ErrInvalidSubmission, err)
		}
	} else if sub.MessageID, err = n.NewMessageID(); err != nil {
		return nil, false, err
	}
	if sub.ConversationID == "" {
		if sub.ConversationID, err = uuid.New(n.cfg.Rand); err != nil {
			return nil, false, err
		}
	}
	// The message is checked as the receiver will check it: pack it once
	// without keys (CheckUserMessage on the header it would send).
	um := n.outbound(&sub)
	if err := checkOutbound(pm, leg, um); err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalidSubmission, err)
	}
	body, err := json.Marshal(&sub)
	if err != nil {
		return nil, false, err
	}
	// An idle worker takes the message as it is queued, claimed for it in
	// the same statement; otherwise the message waits for a claim.
	now := n.cfg.Now()
	m := &apstore.Outbound{ID: sub.MessageID, ClientKey: sub.ClientKey, Leg: leg.Name,
		Partner: to.Name, Body: body, Files: files, Created: now}
	var worker chan *apstore.Outbound
	select {
	case worker = <-n.offers:
		m.LeaseOwner, m.LeaseUntil = n.cfg.NodeID, now.Add(n.cfg.Lease)
	default:
	}
	o, created, err := n.cfg.Store.Enqueue(ctx, m)
	if err != nil {
		if worker != nil {
			worker <- nil
		}
		return nil, false, err
	}
	if !created && s.ClientKey != "" && s.MessageID != "" && o.ClientKey == s.ClientKey && o.ID != s.MessageID {
		// The client key's message, submitted meanwhile under another id.
		if worker != nil {
			worker <- nil
		}
		return nil, false, &keyTaken{s.ClientKey, o.ID, s.MessageID}
	}
	if !created && o.ID == sub.MessageID && (s.ClientKey == "" || o.ClientKey != s.ClientKey) {
		// The chosen id is another submission's (the client key, when
		// there is one, found no message above).
		if worker != nil {
			worker <- nil
		}
		return nil, false, fmt.Errorf("%w: %w: %s", ErrInvalidSubmission, ErrMessageIDTaken, sub.MessageID)
	}
	st = statusOf(o) // before o is the worker's
	if created {
		n.metrics.submitted.WithLabelValues(to.Name, leg.Name).Inc()
		n.log.Info("message submitted", slog.String(logMessageID, o.ID), slog.String(logPartner, to.Name), slog.String(logLeg, leg.Name))
	}
	switch {
	case worker != nil && created:
		worker <- o
	case worker != nil:
		worker <- nil // a repeated submission: the worker has nothing to send
	case created:
		n.announced.Add(1)
		signal(n.wake)
	}
	if created && n.cfg.Judge != nil {
		var data [][]byte
		for _, p := range s.Payloads {
			data = append(data, p.Data)
		}
		n.judge("submitted", o.ID, to.Name, data)
	}
	return st, created, nil
}

// checkText refuses text that cannot travel in an ebMS header: invalid
// UTF-8 and characters XML 1.0 does not allow (control characters but
// tab, line feed and carriage return; U+FFFE, U+FFFF), which the partner
// would refuse for good. The error names the field.
func (s *Submission) checkText() error {
	// The field's name is spelled out only for an error.
	check := func(v string, name func() string) error {
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s is not valid UTF-8", name())
		}
		for i, r := range v {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
				return fmt.Errorf("%s has the character U+%04X at byte %d, which XML does not allow", name(), r, i)
			}
		}
		return nil
	}
	named := func(n string) func() string { return func() string { return n } }
	for _, f := range []struct{ name, v string }{
		{"clientKey", s.ClientKey}, {"leg", s.Leg}, {"to", s.To},
		{"conversationId", s.ConversationID}, {"refToMessageId", s.RefToMessageID},
	} {
		if err := check(f.v, named(f.name)); err != nil {
			return err
		}
	}
	props := func(prefix func() string, ps []Property) error {
		for i, p := range ps {
			for _, f := range []struct{ name, v string }{{"name", p.Name}, {"type", p.Type}, {"value", p.Value}} {
				if err := check(f.v, func() string { return fmt.Sprintf("%s[%d].%s", prefix(), i, f.name) }); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := props(named("properties"), s.Properties); err != nil {
		return err
	}
	for i, p := range s.Payloads {
		payload := func() string { return fmt.Sprintf("payloads[%d]", i) }
		for _, f := range []struct{ name, v string }{{"contentId", p.ContentID}, {"mimeType", p.MimeType}, {"characterSet", p.CharacterSet}} {
			if err := check(f.v, func() string { return payload() + "." + f.name }); err != nil {
				return err
			}
		}
		if err := props(func() string { return payload() + ".properties" }, p.Properties); err != nil {
			return err
		}
	}
	return nil
}

// Status returns the status of a submitted message (apstore.ErrNotFound if
// there is none).
func (n *Node) Status(ctx context.Context, id string) (*Status, error) {
	o, err := n.cfg.Store.Outbound(ctx, id)
	if err != nil {
		return nil, err
	}
	return statusOf(o), nil
}

// checkOutbound checks the user message a submission becomes against its
// leg, with the rules the receiver applies (as4.CheckUserMessage).
func checkOutbound(c *pmode.Config, leg *pmode.Leg, out *as4.Outbound) error {
	from, to, err := as4.ResolveParties(c, leg, out.From, out.To)
	if err != nil {
		return err
	}
	um := &as4.UserMessage{
		MessageInfo: as4.MessageInfo{MessageID: out.MessageID},
		PartyInfo: as4.PartyInfo{
			From: as4.Party{Role: leg.Initiator.Role}, To: as4.Party{Role: leg.Responder.Role}},
		CollaborationInfo: as4.CollaborationInfo{Service: as4.Service{Value: leg.Service.Value, Type: leg.Service.Type}, Action: leg.Action,
			ConversationID: out.ConversationID},
		MPC:               leg.MPC,
		MessageProperties: out.Properties,
	}
	if leg.Agreement != nil {
		um.CollaborationInfo.AgreementRef = &as4.AgreementRef{Value: leg.Agreement.Value, Type: leg.Agreement.Type}
	}
	for _, id := range from.IDs {
		um.PartyInfo.From.PartyIDs = append(um.PartyInfo.From.PartyIDs, as4.PartyID{Type: id.Type, Value: id.Value})
	}
	for _, id := range to.IDs {
		um.PartyInfo.To.PartyIDs = append(um.PartyInfo.To.PartyIDs, as4.PartyID{Type: id.Type, Value: id.Value})
	}
	for i, p := range out.Payloads {
		pi := as4.PartInfo{Href: fmt.Sprintf("cid:check-%d", i), Properties: []as4.Property{{Name: as4.PropMimeType, Value: p.MimeType}}}
		if leg.Payload.Compress {
			pi.Properties = append(pi.Properties, as4.Property{Name: as4.PropCompressionType, Value: as4.GzipMediaType})
		}
		um.PayloadInfo = append(um.PayloadInfo, pi)
	}
	return as4.CheckUserMessage(um, c, leg)
}

// outbound returns the as4 message of a stored submission; uploaded
// payloads are read from their files.
func (n *Node) outbound(s *Submission) *as4.Outbound {
	out := s.Outbound(n.pmode().Self)
	for i, p := range s.Payloads {
		if p.PayloadID != "" {
			path := filepath.Join(n.cfg.PayloadDir, filepath.Base(p.PayloadID))
			out.Payloads[i].Open = func() (io.ReadCloser, error) { return os.Open(path) }
		}
	}
	return out
}

// Outbound returns the as4 message of the submission, sent by the party
// from; the payloads are read from the submission's data.
func (s *Submission) Outbound(from string) *as4.Outbound {
	out := &as4.Outbound{Leg: s.Leg, From: from, To: s.To, MessageID: s.MessageID,
		ConversationID: s.ConversationID, RefToMessageID: s.RefToMessageID}
	for _, p := range s.Properties {
		out.Properties = append(out.Properties, as4.Property{Name: p.Name, Type: p.Type, Value: p.Value})
	}
	for _, p := range s.Payloads {
		data := p.Data
		pl := as4.Payload{ContentID: p.ContentID, MimeType: p.MimeType, CharacterSet: p.CharacterSet,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
		for _, pp := range p.Properties {
			pl.Properties = append(pl.Properties, as4.Property{Name: pp.Name, Type: pp.Type, Value: pp.Value})
		}
		out.Payloads = append(out.Payloads, pl)
	}
	return out
}

// sender returns the as4.Sender towards a party.
func (n *Node) sender(party string) *as4.Sender {
	n.mu.Lock()
	defer n.mu.Unlock()
	key, cert := n.signing()
	if s := n.senders[party]; s != nil && s.SigningCert == cert {
		return s
	}
	p := n.partners.Load()
	s := &as4.Sender{PMode: p.PMode, SigningKey: key, SigningCert: cert,
		PeerCert: p.EncryptionCerts[party], Domain: n.cfg.Domain, Now: n.cfg.Now, Rand: n.cfg.Rand, TempDir: n.cfg.TempDir,
		Client: n.cfg.Client, Trust: p.Trust, PartyCertificates: n.partyCertificates}
	if n.cfg.Fault.Is(fault.AnyReceiptSigner) {
		s.Bind = anySigner // deliberate defect: see Config.Fault
	}
	n.senders[party] = s
	return s
}

func (n *Node) sendLoop(ctx context.Context) {
	mine := make(chan *apstore.Outbound, 1)
	for ctx.Err() == nil {
		msgs, err := n.cfg.Store.ClaimOutbound(ctx, n.cfg.NodeID, n.cfg.Now(), n.cfg.Lease, 1)
		if err != nil {
			if ctx.Err() == nil {
				n.quiet.fail(n.log, "claim-outbound", "claiming messages failed", err)
			}
			sleep(ctx, n.wake, n.cfg.PollInterval)
			continue
		}
		n.quiet.ok(n.log, "claim-outbound", "claiming messages works again")
		if len(msgs) == 0 {
			// Whatever was announced was claimed elsewhere.
			n.announced.Store(0)
			n.handOffs(ctx, mine)
			continue
		}
		// There may be more: wake another worker (a cascade, so that a
		// burst of submissions does not wait for the poll interval) —
		// unless this was the last submission announced, when another
		// claim would most likely find nothing.
		if n.claimedAnnounced(len(msgs)) {
			signal(n.wake)
		}
		for _, m := range msgs {
			n.attempt(ctx, m)
		}
	}
}

// handOffs is a worker with nothing to claim: it sends the submissions
// handed to it while idle and, as long as no submission is announced
// (queued while every worker was busy), waits for the next without a
// claim. It returns when the worker should claim: after a wake-up, a poll
// interval without a hand-off, or an announced submission.
func (n *Node) handOffs(ctx context.Context, mine chan *apstore.Outbound) {
	for ctx.Err() == nil {
		m := n.idle(ctx, mine)
		if m == nil {
			return
		}
		n.attempt(ctx, m)
		if n.announced.Load() > 0 {
			return
		}
	}
}

// idle waits, as sleep does, for the poll interval, a wake-up or the end
// of ctx, meanwhile offering the worker to Submit: a submission that takes
// the offer is queued claimed by the node (apstore.Outbound.LeaseOwner) and
// handed over on mine, which spares the claim's statement. It returns the
// message handed over, or nil.
func (n *Node) idle(ctx context.Context, mine chan *apstore.Outbound) *apstore.Outbound {
	t := time.NewTimer(n.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-n.wake:
	case <-t.C:
	case n.offers <- mine:
		// Taken: Submit sends the message, or nil when it was not queued.
		return <-mine
	}
	return nil
}

// claimedAnnounced counts k claimed messages against the announced
// submissions and reports whether another worker should look for more:
// yes when submissions remain announced, and when none was (the claim
// found a retry that came due, a backlog, or another node's submission,
// which the announcements do not count). A wrong guess costs at most a
// claim that finds nothing, or a message that waits for a worker's poll.
func (n *Node) claimedAnnounced(k int) bool {
	for {
		v := n.announced.Load()
		if v <= 0 {
			return true
		}
		left := max(v-int64(k), 0)
		if n.announced.CompareAndSwap(v, left) {
			return left > 0
		}
	}
}

// attempt sends a claimed message once and records the result.
func (n *Node) attempt(ctx context.Context, m *apstore.Outbound) {
	start := time.Now()
	log := n.log.With(slog.String(logMessageID, m.ID), slog.String(logPartner, m.Partner), slog.String(logLeg, m.Leg), slog.Int(logAttempt, m.Attempts))
	var res apstore.Result
	receipt, err := n.send(ctx, m)
	now := n.cfg.Now()
	switch {
	case err == nil:
		res = apstore.Result{State: apstore.OutDelivered, Receipt: receipt}
		n.metrics.sendSeconds.WithLabelValues(m.Partner, m.Leg).Observe(time.Since(start).Seconds())
	case ctx.Err() != nil:
		return // shutting down: the lease expires and the message is sent again
	default:
		var final *finalError
		if errors.As(err, &final) {
			res = apstore.Result{State: apstore.OutFailed, Error: err.Error()}
		} else if _, lerr := n.pmode().Leg(m.Leg); lerr != nil {
			res = apstore.Result{State: apstore.OutFailed, Error: fmt.Sprintf("%s DeliveryFailure: not retried: the P-Mode in use has no leg %s (a reload removed it); last: %v", as4.DeliveryFailure, m.Leg, err)}
		} else if next, ok := n.nextAttempt(m, now); ok {
			res = apstore.Result{State: apstore.OutQueued, NextAt: next, Error: err.Error()}
		} else {
			res = apstore.Result{State: apstore.OutFailed, Error: fmt.Sprintf("%s DeliveryFailure: no receipt after %d attempts; last: %v", as4.DeliveryFailure, m.Attempts, err)}
		}
	}
	res.Timestamp = now
	if res.State == apstore.OutFailed && !n.reportsFailures() {
		res.Report = apstore.DeliveryNone // nobody to tell: the status says failed
	}
	// A receipt for a ReceiptBackend: the statement that records the
	// delivery records the hand-off too, leased by this node, which makes
	// it at once; a node stopping in between makes it after its restart.
	var rb ReceiptBackend
	var handing *Receipt
	if res.State == apstore.OutDelivered && res.Receipt != nil {
		if rb = n.receiptBackend(); rb != nil {
			m.State, m.Receipt = res.State, res.Receipt
			var err error
			if handing, err = receiptOf(m); err == nil {
				res.Report, res.ReportUntil = apstore.DeliveryPending, now.Add(n.cfg.Lease)
			} else if !errors.Is(err, ErrNoReceipt) {
				log.Warn("reading the receipt", slog.String(logError, err.Error()))
			}
		}
	}
	if err := n.cfg.Store.FinishOutbound(context.WithoutCancel(ctx), m.ID, n.cfg.NodeID, res); err != nil {
		n.quiet.fail(log, "record-result", "recording the result failed", err)
		return
	}
	n.metrics.sent.WithLabelValues(m.Partner, m.Leg, res.State).Inc()
	if n.cfg.OnSent != nil {
		n.cfg.OnSent(m.ID, res.State, time.Since(start))
	}
	if handing != nil {
		fault.Crash(fault.CrashBeforeReceiptHandOff)
		n.handOff(ctx, rb, m.ID, 1, handing, nil, log)
	}
	switch res.State {
	case apstore.OutDelivered:
		log.Info("message delivered", slog.Duration(logDuration, time.Since(start)))
	case apstore.OutQueued:
		log.Warn("sending failed, will retry", slog.Time("next", res.NextAt), slog.String(logError, res.Error))
	default:
		log.Error("sending failed", slog.String(logError, res.Error))
		signal(n.pushWake) // its failure report
	}
}

// finalError is a failure that retrying cannot cure: the partner answered
// with an ebMS error, or the message cannot be packed.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// send runs the AS4 send steps for a stored message and returns the receipt.
func (n *Node) send(ctx context.Context, m *apstore.Outbound) ([]byte, error) {
	if m.Body == nil {
		return nil, &finalError{errors.New("the submission was purged before it could be sent")}
	}
	var sub Submission
	if err := json.Unmarshal(m.Body, &sub); err != nil {
		return nil, &finalError{fmt.Errorf("stored submission: %w", err)}
	}
	// 1–5. Resolve the P-Mode, compress, sign, encrypt, package (as4.Pack).
	// 0. A partner resolved by discovery gets its endpoint and encryption
	// certificate now (resolvePartner).
	sender, endpoint, err := n.resolvePartner(ctx, m.Partner)
	if err != nil {
		return nil, err
	}
	// 1–7. Resolve the P-Mode, compress, sign, encrypt, package, post, and
	// read the signal: it must be signed by the partner (a signal signed by
	// anyone else is ignored, and the message retried), an error signal
	// about this message is final, a receipt must acknowledge exactly what
	// was signed (as4.Sender.Send; AS4 profile §5.1.8).
	d, err := sender.Send(ctx, n.outbound(&sub), endpoint)
	switch {
	case errors.Is(err, as4.ErrNotSent), errors.Is(err, as4.ErrRefused):
		return nil, &finalError{err}
	case err != nil:
		return nil, err
	}
	if d.Signal == nil {
		return nil, nil // a leg without receipts
	}
	return d.Answer.Body, nil
}

// nextAttempt returns when to retry m after a failed attempt, per the leg's
// reception awareness policy, or false when the retries are exhausted.
func (n *Node) nextAttempt(m *apstore.Outbound, now time.Time) (time.Time, bool) {
	leg, err := n.pmode().Leg(m.Leg)
	if err != nil || leg.Reliability.Retry == nil || leg.Reliability.Retry.Count <= 0 {
		return time.Time{}, false
	}
	r := leg.Reliability.Retry
	if m.Attempts > r.Count {
		return time.Time{}, false
	}
	return now.Add(retryDelay(r, m.Attempts)), true
}

// retryDelay is the wait before retry number k (1 … Count): CONSTANT spaces
// the retries evenly over Timeout; PROGRESSIVE doubles the wait each time,
// the waits summing to Timeout.
func retryDelay(r *pmode.Retry, k int) time.Duration {
	if r.Strategy == pmode.RetryProgressive {
		base := float64(r.Timeout) / (math.Pow(2, float64(r.Count)) - 1)
		return time.Duration(base * math.Pow(2, float64(k-1)))
	}
	return r.Timeout / time.Duration(r.Count)
}
