package ap

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/ap/apstore"
)

// Headers of a webhook push.
const (
	// HeaderMessageID carries the eb:MessageId: the stable id a backend
	// records to process every message once.
	HeaderMessageID = "X-OOTS-Message-Id"
	// HeaderTimestamp is the Unix time (seconds) of the push, covered by
	// the signature so that an old push cannot be replayed as new.
	HeaderTimestamp = "X-OOTS-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the
	// webhook secret, of the method, the path, every X-OOTS-* header but
	// this one, and the body (see SignWebhook): none of them can be changed
	// on the way without the signature failing.
	HeaderSignature = "X-OOTS-Signature"
	// HeaderEvent says what a push carries: EventMessage or
	// EventSendFailed.
	HeaderEvent = "X-OOTS-Event"
)

// Events of a webhook push (HeaderEvent).
const (
	// EventMessage: the body is a received message (ReceivedMessage).
	EventMessage = "message"
	// EventSendFailed: the body is a final send failure of a submitted
	// message (SendFailure); HeaderMessageID is the failed message's id.
	EventSendFailed = "send-failed"
)

// SignWebhook returns the HeaderSignature value of a push: the hex
// HMAC-SHA256, keyed with secret, of
//
//	"oots-webhook-v2" LF method LF path LF
//	(name ":" value LF) for every X-OOTS-* header of h but X-OOTS-Signature,
//	                    names in lower case, sorted, values trimmed, one line per value
//	LF body
//
// path is the request URI as sent (path and query). Covering every X-OOTS-*
// header means a backend may trust X-OOTS-Message-Id and X-OOTS-Event (it
// de-duplicates on the former) once VerifyWebhook passes, and that a header
// added or removed on the way fails the signature.
func SignWebhook(secret []byte, method, path string, h http.Header, body []byte) string {
	m := newWebhookMAC(secret, method, path, h)
	m.Write(body)
	return m.sum()
}

// webhookMAC is the HMAC of SignWebhook, fed the body as it streams.
type webhookMAC struct{ hash.Hash }

func newWebhookMAC(secret []byte, method, path string, h http.Header) *webhookMAC {
	mac := hmac.New(sha256.New, secret)
	io.WriteString(mac, "oots-webhook-v2\n"+method+"\n"+path+"\n")
	var names []string
	for k := range h {
		if l := strings.ToLower(k); strings.HasPrefix(l, "x-oots-") && l != strings.ToLower(HeaderSignature) {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, k := range names {
		for _, v := range h[k] {
			io.WriteString(mac, strings.ToLower(k)+":"+strings.TrimSpace(v)+"\n")
		}
	}
	mac.Write([]byte{'\n'})
	return &webhookMAC{mac}
}

func (m *webhookMAC) sum() string { return "sha256=" + hex.EncodeToString(m.Sum(nil)) }

// VerifyWebhook checks a push received by a backend: its signature over
// the method, the request URI, the X-OOTS-* headers and body (SignWebhook),
// and that its timestamp is within maxAge of now. A backend behind a proxy
// that rewrites the path must give the request with the path the node
// posted to (the webhook URL's).
func VerifyWebhook(secret []byte, r *http.Request, body []byte, now time.Time, maxAge time.Duration) error {
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: %s %q is not a Unix time", HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxAge || d < -maxAge {
		return fmt.Errorf("webhook: timestamp %s is %v away from now", ts, d)
	}
	want := SignWebhook(secret, r.Method, r.URL.RequestURI(), r.Header, body)
	if !hmac.Equal([]byte(want), []byte(r.Header.Get(HeaderSignature))) {
		return fmt.Errorf("webhook: %s does not match the method, path, X-OOTS-* headers and body", HeaderSignature)
	}
	return nil
}

// webhookLoop delivers to the webhook or the in-process backend: received
// messages, failure reports when there is someone to report to, and the
// receipt hand-offs due to a ReceiptBackend.
func (n *Node) webhookLoop(ctx context.Context) {
	for ctx.Err() == nil {
		busy := n.pushDue(ctx)
		if n.reportsFailures() && n.reportDue(ctx) {
			busy = true
		}
		if rb := n.receiptBackend(); rb != nil && n.receiptDue(ctx, rb) {
			busy = true
		}
		if !busy {
			sleep(ctx, n.pushWake, n.cfg.PollInterval)
			continue
		}
		// There may be more: wake another worker (a cascade, so that a
		// burst of messages does not wait for the poll interval).
		signal(n.pushWake)
	}
}

// pushDue claims one received message due for delivery and pushes it; it
// reports whether there was one.
func (n *Node) pushDue(ctx context.Context) bool {
	msgs, err := n.cfg.Store.ClaimDeliveries(ctx, n.cfg.NodeID, n.cfg.Now(), n.cfg.Lease, 1)
	if err != nil {
		if ctx.Err() == nil {
			n.quiet.fail(n.log, "claim-deliveries", "claiming deliveries failed", err)
		}
		return false
	}
	n.quiet.ok(n.log, "claim-deliveries", "claiming deliveries works again")
	for _, m := range msgs {
		n.push(ctx, m)
	}
	return len(msgs) > 0
}

// webhookDelay is the wait before push attempt k+1: 1 s doubling up to
// 5 minutes. Pushes never give up: a message is not lost because the
// backend was away.
func webhookDelay(k int) time.Duration {
	d := time.Second << min(k-1, 9)
	return min(d, 5*time.Minute)
}

func (n *Node) push(ctx context.Context, m *apstore.Inbound) {
	start := time.Now()
	err := n.pushOnce(ctx, m)
	if ctx.Err() != nil {
		return
	}
	now := n.cfg.Now()
	var next time.Time
	errText := ""
	result := "delivered"
	if err != nil {
		next = now.Add(webhookDelay(m.Attempts))
		errText = err.Error()
		result = "failed"
		n.log.Warn("webhook push failed, will retry", slog.String(logMessageID, m.MessageID), slog.Int(logAttempt, m.Attempts), slog.String(logError, errText))
	}
	n.metrics.webhook.WithLabelValues(result).Inc()
	n.metrics.webhookSeconds.Observe(time.Since(start).Seconds())
	if ferr := n.cfg.Store.FinishDelivery(context.WithoutCancel(ctx), m.MessageID, n.cfg.NodeID, err == nil, next, errText, now); ferr != nil {
		n.log.Error("recording a webhook push failed", slog.String(logMessageID, m.MessageID), slog.String(logError, ferr.Error()))
	}
}

// backendAnswered tells, from the in-process backend's answer err, whether
// the hand-off is over (done, with err its outcome): it is unless the
// backend answered ErrNotForBackend and there is a webhook to push to
// instead; without one, such a message counts as handed over.
func (n *Node) backendAnswered(err error) (done bool, _ error) {
	if !errors.Is(err, ErrNotForBackend) {
		return true, err
	}
	return n.cfg.Webhook == nil, nil
}

func (n *Node) pushOnce(ctx context.Context, m *apstore.Inbound) error {
	if n.cfg.Backend != nil {
		rm, err := n.receivedMessage(m, InlinePayload)
		if err != nil {
			return err
		}
		if done, err := n.backendAnswered(n.cfg.Backend.Deliver(ctx, rm)); done {
			return err
		}
	}
	rm, err := n.receivedMessage(m, 0)
	if err != nil {
		return err
	}
	// The body streams from the payload files: once into the signature,
	// once onto the wire.
	return n.postWebhookStream(ctx, EventMessage, m.MessageID, func(w io.Writer) (int64, error) { return writeReceived(w, rm) })
}

// postWebhook posts a signed event to the webhook; anything but a 2xx
// answer is an error.
func (n *Node) postWebhook(ctx context.Context, event, messageID string, body []byte) error {
	return n.postWebhookStream(ctx, event, messageID, func(w io.Writer) (int64, error) {
		k, err := w.Write(body)
		return int64(k), err
	})
}

// postWebhookStream posts a signed event whose body write produces (it is
// called twice: for the signature and the length, then for the wire).
func (n *Node) postWebhookStream(ctx context.Context, event, messageID string, write func(io.Writer) (int64, error)) error {
	if n.cfg.Webhook == nil {
		return errors.New("no webhook configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.Webhook.URL, nil)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(n.cfg.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderMessageID, messageID)
	req.Header.Set(HeaderTimestamp, ts)
	mac := newWebhookMAC(n.cfg.Webhook.Secret, req.Method, req.URL.RequestURI(), req.Header)
	// A body of up to a megabyte is kept from the first pass and sent in
	// one piece; a larger one is written again as it is sent.
	small := &capped{max: 1 << 20}
	size, err := write(io.MultiWriter(mac, small))
	if err != nil {
		return err
	}
	req.Header.Set(HeaderSignature, mac.sum())
	if !small.over {
		b := small.buf.Bytes()
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), size
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	} else {
		pr, pw := io.Pipe()
		go func() {
			_, err := write(pw)
			pw.CloseWithError(err)
		}()
		req.Body, req.ContentLength = pr, size
		defer pr.Close()
	}
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// capped keeps what is written to it up to max bytes, and notes when more
// came.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if !c.over && c.buf.Len()+len(p) <= c.max {
		c.buf.Write(p)
	} else {
		c.over = true
		c.buf = bytes.Buffer{}
	}
	return len(p), nil
}
