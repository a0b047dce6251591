package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
)

// attempt is one POST the node made to the kit's AS4 endpoint.
type attempt struct {
	messageID string
	err       error // Unpack's
	um        *as4.UserMessage
	signed    bool
	payloads  [][]byte
	mimeTypes []string
	findings  []check.Finding
	answered  int
	// thirdParty: the answer was a receipt signed by a third party (AS4-S6).
	thirdParty bool
}

// kitEndpoint is the kit's AS4 endpoint: it answers the first attempt of each
// message with HTTP 503 and later ones with a signed receipt.
type kitEndpoint struct {
	k        *as4Kit
	receiver *as4.Receiver
	mu       sync.Mutex
	attempts []*attempt
	seen     map[string]int
}

func (e *kitEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	a := &attempt{}
	thirdParty := false
	rcv := *e.receiver
	rcv.Reply = func(rp *as4.Reply) {
		a.answered, a.thirdParty = rp.Status, thirdParty
		if rp.Err != nil && rp.Status != http.StatusServiceUnavailable {
			a.err = rp.Err
			if a.messageID == "" {
				a.messageID = rp.Err.RefToMessageInError
			}
		}
		e.record(a)
	}
	rcv.Serve(w, r, func(_ context.Context, in *as4.Inbound) error {
		a.um, a.messageID = in.UserMessage, in.UserMessage.MessageInfo.MessageID
		a.signed = in.Security != nil && in.Security.SignerCert != nil
		if in.Security != nil && in.Security.Messaging != nil {
			a.findings = append(a.findings, as4.CheckHeader(in.Security.Messaging)...)
		}
		for _, p := range in.Payloads {
			rc, err := p.Open()
			if err == nil {
				var b []byte
				b, err = io.ReadAll(rc)
				rc.Close()
				a.payloads, a.mimeTypes = append(a.payloads, b), append(a.mimeTypes, p.MimeType)
				a.findings = append(a.findings, validatePayload(e.k.cfg.Rules, b)...)
			}
			if err != nil {
				return err
			}
		}
		if len(a.payloads) == 1 && bytes.Contains(a.payloads[0], []byte(`case="AS4-S6"`)) && e.k.t.ThirdPartyKey != nil {
			// AS4-S6: the receipt is signed by a third party.
			rcv.SigningKey, rcv.SigningCert, thirdParty = e.k.t.ThirdPartyKey, e.k.t.ThirdPartyCert, true
			return nil
		}
		e.mu.Lock()
		e.seen[a.messageID]++
		first := e.seen[a.messageID] == 1
		e.mu.Unlock()
		if first {
			return fmt.Errorf("%w: the conformance kit refuses the first attempt of each message, to see the retry", as4.ErrRetryLater)
		}
		return nil
	})
}

func (e *kitEndpoint) record(a *attempt) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attempts = append(e.attempts, a)
}

func (e *kitEndpoint) of(id string) []*attempt {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*attempt
	for _, a := range e.attempts {
		if a.messageID == id {
			out = append(out, a)
		}
	}
	return out
}

// sendCases runs the as4-send suite: the kit asks the node (backend API)
// to send a message to the kit's endpoint and checks what arrives.
func (k *as4Kit) sendCases(run func(Suite, string, string, func(context.Context, *Case))) {
	s := SuiteAS4Send
	names := [][2]string{
		{"AS4-S1", "a message submitted to the node arrives signed and encrypted with trusted credentials"},
		{"AS4-S2", "its payloads arrive gzip-compressed with the MimeType part property"},
		{"AS4-S3", "its header, properties and payload are those submitted, and the header follows the OOTS ebMS usage"},
		{"AS4-S4", "after an HTTP 503 the node retries with the same eb:MessageId"},
		{"AS4-S5", "the node records the kit's receipt: the submission becomes delivered"},
		{"AS4-S6", "a receipt signed by another party than the one the message went to does not mark it delivered"},
	}
	skip := func(reason string) {
		for _, n := range names {
			run(s, n[0], n[1], func(_ context.Context, c *Case) { c.skip(reason) })
		}
	}
	switch {
	case k.t.API == "":
		skip("no backend API URL given: the kit cannot ask the node to send")
		return
	case k.t.Listen == "":
		skip("no listening address given for the kit's own AS4 endpoint")
		return
	}
	leg, err := k.t.PMode.Leg(k.t.SendLeg)
	if err != nil {
		skip(err.Error())
		return
	}
	ep := &kitEndpoint{k: k, seen: map[string]int{},
		receiver: k.receiver()}
	ln, err := net.Listen("tcp", k.t.Listen)
	if err != nil {
		skip(fmt.Sprintf("the kit's AS4 endpoint cannot listen on %s: %v", k.t.Listen, err))
		return
	}
	srv := &http.Server{Handler: ep, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	var (
		id       string
		content  []byte
		submitCS *Case
		status   sendStatus
		final    []*attempt
	)
	// submit asks the node to send content to the kit; it returns the
	// eb:MessageId ("" when the submission failed, and c fails).
	submit := func(ctx context.Context, c *Case, content []byte) string {
		props := []map[string]string{}
		for _, p := range k.t.Properties {
			props = append(props, map[string]string{"name": p.Name, "type": p.Type, "value": p.Value})
		}
		sub := map[string]any{"clientKey": fmt.Sprintf("conformance-%d", k.cfg.Now().UnixNano()), "leg": leg.Name, "to": k.t.PMode.Self,
			"properties": props, "payloads": []map[string]any{{"mimeType": "application/x-ebrs+xml", "data": content}}}
		var st struct {
			MessageID string `json:"messageId"`
		}
		c.sent("POST %s/api/v1/messages leg %s to %s with one application/x-ebrs+xml payload of %d bytes", k.t.API, leg.Name, k.t.PMode.Self, len(content))
		if _, err := k.api(ctx, http.MethodPost, "/api/v1/messages", sub, &st); err != nil {
			c.fail("submitting to the node: %v", err)
			return ""
		}
		return st.MessageID
	}
	// wait polls the node's status of id into st until done or the
	// delivery timeout; false when interrupted (c fails).
	wait := func(ctx context.Context, c *Case, id string, st *sendStatus, done func() bool) bool {
		deadline := time.Now().Add(k.t.DeliveryTimeout)
		for time.Now().Before(deadline) {
			if _, err := k.api(ctx, http.MethodGet, "/api/v1/messages/"+id, nil, st); err == nil && done() {
				return true
			}
			select {
			case <-ctx.Done():
				c.fail("interrupted while waiting for the node: %v", ctx.Err())
				return false
			case <-time.After(100 * time.Millisecond):
			}
		}
		return true
	}
	// The exchange happens once; its observations feed the five cases.
	exchange := func(ctx context.Context, c *Case) bool {
		if submitCS != nil {
			c.Sent = submitCS.Sent
			if id == "" {
				c.fail("the submission to the node failed (%s): %s", submitCS.ID, submitCS.Reason)
			}
			return id != ""
		}
		submitCS = c
		content = payload("AS4-S", fmt.Sprint(k.cfg.Now().UnixNano()))
		if id = submit(ctx, c, content); id == "" {
			return false
		}
		if !wait(ctx, c, id, &status, func() bool { return status.State != "queued" }) {
			id = ""
			return false
		}
		final = ep.of(id)
		return true
	}
	last := func() *attempt {
		if len(final) == 0 {
			return nil
		}
		return final[len(final)-1]
	}
	arrived := func(c *Case) *attempt {
		a := last()
		if a == nil {
			c.fail("no message %s reached the kit's endpoint %s within %s (node status %q, last error %q)", id, k.t.Listen, k.t.DeliveryTimeout, status.State, status.LastError)
			return nil
		}
		for _, at := range final {
			c.got("attempt of %s answered HTTP %d%s", at.messageID, at.answered, errText(at.err))
		}
		return a
	}
	// readable is arrived's attempt when its user message could be read.
	readable := func(c *Case) *attempt {
		a := arrived(c)
		if a != nil && a.um == nil {
			c.fail("the message could not be read: %v", a.err)
			return nil
		}
		return a
	}
	run(s, names[0][0], names[0][1], func(ctx context.Context, c *Case) {
		if !exchange(ctx, c) {
			return
		}
		a := arrived(c)
		if a == nil {
			return
		}
		if a.err != nil {
			c.fail("the message does not pass the kit's checks under leg %s: %v", leg.Name, a.err)
			return
		}
		if leg.Security.Profile == pmode.ProfileNone {
			c.skip(fmt.Sprintf("leg %s has no security", leg.Name))
			return
		}
		if !a.signed {
			c.fail("the message arrived unsigned")
		}
	})
	run(s, names[1][0], names[1][1], func(ctx context.Context, c *Case) {
		if !exchange(ctx, c) {
			return
		}
		a := readable(c)
		if a == nil {
			return
		}
		if !leg.Payload.Compress {
			c.skip(fmt.Sprintf("leg %s does not compress", leg.Name))
			return
		}
		for _, pi := range a.um.PayloadInfo {
			ct, _ := pi.Property(as4.PropCompressionType)
			mt, _ := pi.Property(as4.PropMimeType)
			c.got("eb:PartInfo %s CompressionType %q MimeType %q", pi.Href, ct, mt)
			if ct != "application/gzip" {
				c.fail("payload %s has CompressionType %q, expected application/gzip", pi.Href, ct)
			}
			if mt == "" {
				c.fail("payload %s has no MimeType part property", pi.Href)
			}
		}
	})
	run(s, names[2][0], names[2][1], func(ctx context.Context, c *Case) {
		if !exchange(ctx, c) {
			return
		}
		a := readable(c)
		if a == nil {
			return
		}
		c.validated("the received message", a.findings)
		for _, p := range k.t.Properties {
			if v, ok := a.um.Property(p.Name); !ok || v != p.Value {
				c.fail("message property %s is %q, submitted %q", p.Name, v, p.Value)
			}
		}
		if got := a.um.CollaborationInfo.Action; got != leg.Action {
			c.fail("eb:Action is %q, the leg's is %q", got, leg.Action)
		}
		if len(a.payloads) != 1 || !bytes.Equal(a.payloads[0], content) {
			c.fail("the payload that arrived differs from the one submitted (%d payload(s))", len(a.payloads))
		} else if a.mimeTypes[0] != "application/x-ebrs+xml" {
			c.fail("the payload arrived as %q, submitted as application/x-ebrs+xml", a.mimeTypes[0])
		}
	})
	run(s, names[3][0], names[3][1], func(ctx context.Context, c *Case) {
		if !exchange(ctx, c) || arrived(c) == nil {
			return
		}
		if len(final) < 2 {
			c.fail("the node made %d attempt(s) of %s: it did not retry after the kit's HTTP 503 within %s", len(final), id, k.t.DeliveryTimeout)
			return
		}
		if final[0].answered != http.StatusServiceUnavailable {
			c.fail("the first attempt was answered HTTP %d, not 503", final[0].answered)
		}
	})
	run(s, names[4][0], names[4][1], func(ctx context.Context, c *Case) {
		if !exchange(ctx, c) {
			return
		}
		c.got("GET %s/api/v1/messages/%s: state %q after %d attempt(s), last error %q", k.t.API, id, status.State, status.Attempts, status.LastError)
		if status.State != "delivered" {
			c.fail("the submission %s is %q, expected delivered after the kit's receipt (last error %q)", id, status.State, status.LastError)
		}
		if a := last(); a != nil && a.answered != http.StatusOK {
			c.fail("the kit's last answer was HTTP %d, so the node cannot have a receipt", a.answered)
		}
	})
	run(s, names[5][0], names[5][1], func(ctx context.Context, c *Case) {
		if k.t.ThirdPartyKey == nil {
			c.skip("no third-party credential given (third-party.sign.key.pem and third-party.sign.cert.pem beside the kit's keys)")
			return
		}
		if !exchange(ctx, c) {
			return
		}
		id2 := submit(ctx, c, payload("AS4-S6", fmt.Sprint(k.cfg.Now().UnixNano())))
		if id2 == "" {
			return
		}
		var st sendStatus
		// The node has judged the receipt once it records the attempt.
		if !wait(ctx, c, id2, &st, func() bool { return st.State != "queued" || st.LastError != "" }) {
			return
		}
		answered := 0
		for _, a := range ep.of(id2) {
			if a.thirdParty && a.answered == http.StatusOK {
				answered++
			}
		}
		c.got("GET %s/api/v1/messages/%s: state %q after %d attempt(s), last error %q; %d receipt(s) signed by %s",
			k.t.API, id2, st.State, st.Attempts, st.LastError, answered, k.t.ThirdPartyCert.Subject)
		switch {
		case answered == 0:
			c.fail("the message %s did not reach the kit within %s", id2, k.t.DeliveryTimeout)
		case st.State == "delivered":
			c.fail("the node took a receipt signed by %s, not by the party it sent to (%s), as proof of delivery", k.t.ThirdPartyCert.Subject, k.t.PMode.Self)
		}
	})
}

// sendStatus is the node's status of a submitted message (its backend API).
type sendStatus struct {
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
