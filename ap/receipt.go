package ap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/wssec"
)

// Receipt is the non-repudiation of receipt of a message this node sent
// (AS4 profile, reception awareness with non-repudiation; OOTS TDD §4.8):
// the partner's signed receipt, verified when it arrived and stored with
// the message, as an exchange log references it.
type Receipt struct {
	// MessageID is the eb:MessageId of the message acknowledged.
	MessageID string `json:"messageId"`
	// ConversationID is its eb:ConversationId.
	ConversationID string `json:"conversationId,omitempty"`
	// RefToMessageID is its eb:RefToMessageId (for an answer, the request).
	RefToMessageID string `json:"refToMessageId,omitempty"`
	// Partner is the party the message went to.
	Partner string `json:"partner"`
	// ReceiptID is the eb:MessageId of the receipt signal.
	ReceiptID string `json:"receiptId"`
	// Timestamp is the receipt's eb:Timestamp.
	Timestamp time.Time `json:"timestamp"`
	// NRR holds the digests of its ebbp:NonRepudiationInformation, one per
	// part the message's signature covered; empty for a receipt without
	// non-repudiation (an unsigned leg).
	NRR []Digest `json:"nrr,omitempty"`
}

// Digest is one ds:Reference of a signature as a receipt repeats it
// (ebbp:MessagePartNRInformation).
type Digest struct {
	URI    string `json:"uri"`    // "#id" of the SOAP body, "cid:…" of an attachment
	Method string `json:"method"` // the ds:DigestMethod algorithm URI
	Value  []byte `json:"value"`  // the ds:DigestValue
}

// ReceiptBackend is implemented by a Backend (Config.Backend) that wants to
// know of the signed receipts of the messages the node sends, for an
// exchange log: Receipted is called once the message is recorded as
// delivered. Like Config.OnSent it is not durable: a process that stops
// between recording the delivery and the call never makes it for that
// message (Node.Receipt reads the stored receipt at any time).
type ReceiptBackend interface {
	Receipted(ctx context.Context, r *Receipt) error
}

// ErrNoReceipt: the message has no stored receipt (not delivered yet, sent
// on a leg without receipts, or its receipt was purged).
var ErrNoReceipt = errors.New("ap: no receipt stored for the message")

// Receipt returns the stored receipt of a message this node sent. It
// returns ErrNoReceipt when there is none, and apstore.ErrNotFound for an
// unknown message id.
func (n *Node) Receipt(ctx context.Context, messageID string) (*Receipt, error) {
	o, err := n.cfg.Store.Outbound(ctx, messageID)
	if err != nil {
		return nil, err
	}
	return receiptOf(o)
}

// receiptOf reads the receipt stored with o. The signature was verified
// when the receipt arrived (as4.Sender.Send); this only reads it again.
func receiptOf(o *apstore.Outbound) (*Receipt, error) {
	if o.State != apstore.OutDelivered || len(o.Receipt) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoReceipt, o.ID)
	}
	r := &Receipt{MessageID: o.ID, Partner: o.Partner}
	if o.Body != nil {
		var sub Submission
		if json.Unmarshal(o.Body, &sub) == nil {
			r.ConversationID, r.RefToMessageID = sub.ConversationID, sub.RefToMessageID
		}
	}
	sig, err := readStoredSignal(o.Receipt)
	if err != nil {
		return nil, fmt.Errorf("ap: the stored receipt of %s: %w", o.ID, err)
	}
	if sig.Receipt == nil {
		return nil, fmt.Errorf("%w: %s: the stored signal is not a receipt", ErrNoReceipt, o.ID)
	}
	r.ReceiptID, r.Timestamp = sig.MessageInfo.MessageID, sig.MessageInfo.Timestamp
	for _, ref := range sig.Receipt.NonRepudiation {
		r.NRR = append(r.NRR, Digest{URI: ref.URI, Method: ref.DigestMethod, Value: ref.DigestValue})
	}
	return r, nil
}

// readStoredSignal parses a stored HTTP answer: a SOAP envelope, or a MIME
// package whose boundary is its first line.
func readStoredSignal(body []byte) (*as4.SignalMessage, error) {
	ct := "application/soap+xml"
	if b := bytes.TrimLeft(body, "\r\n"); bytes.HasPrefix(b, []byte("--")) {
		line, _, _ := bytes.Cut(b[2:], []byte("\n"))
		ct = fmt.Sprintf(`multipart/related; type="application/soap+xml"; boundary="%s"`, bytes.TrimRight(line, "\r"))
	}
	return as4.ReadSignal(ct, bytes.NewReader(body), nil)
}

// digestsOf returns the digests a received message's signature covered:
// those the node's receipt repeats.
func digestsOf(refs []wssec.Reference) []Digest {
	var out []Digest
	for _, r := range refs {
		out = append(out, Digest{URI: r.URI, Method: r.DigestMethod, Value: append([]byte(nil), r.DigestValue...)})
	}
	return out
}
