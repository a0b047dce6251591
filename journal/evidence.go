package journal

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// EventReceipt is recorded when a partner's signed AS4 receipt for a message
// this node sent arrives: MessageID is the message acknowledged, Receipt the
// receipt's eb:MessageId, NRR its digests (AS4 profile, receipts with
// non-repudiation; OOTS TDD §4.8).
const EventReceipt = "as4.receipt"

// Digest is one ebbp:MessagePartNRInformation of a signed receipt: the
// ds:Reference of one part the acknowledged message's signature covers.
type Digest struct {
	URI    string // "#id" (the SOAP body) or "cid:…" (an attachment)
	Method string // the ds:DigestMethod algorithm URI
	Value  []byte // the ds:DigestValue
}

// FormatNRR writes digests as the NRR field of a record: for each, its URI,
// "=", the digest algorithm's name (the fragment of its URI, such as
// "sha256") and ":" and the base64 of the value, separated by spaces.
func FormatNRR(ds []Digest) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		alg := d.Method
		if k := strings.LastIndexByte(alg, '#'); k >= 0 {
			alg = alg[k+1:]
		}
		fmt.Fprintf(&b, "%s=%s:%s", d.URI, alg, base64.StdEncoding.EncodeToString(d.Value))
	}
	return b.String()
}

// Evidence returns the entries of one evidence exchange in sequence order:
// those whose Exchange is exchange (the request's id, or the EDM 2.0
// ExchangeId), and the EventReceipt entries of their AS4 messages and of the
// answers to them (by RefTo: a provider journals its answer before the
// access point gives it its eb:MessageId), so that an
// auditor goes from the evidence to the message ids of the request and the
// response and to the digests of their signed receipts. It does not verify
// the chain (Verify does).
func (j *Journal) Evidence(ctx context.Context, exchange string) ([]*Entry, error) {
	if exchange == "" {
		return nil, fmt.Errorf("journal: evidence: no exchange given")
	}
	rows, err := j.db.SQL().QueryContext(ctx, j.db.Rebind(`SELECT `+entryColumns+` FROM journal_entries
		WHERE exchange = ? OR (event = ? AND (message_id IN (SELECT message_id FROM journal_entries WHERE exchange = ? AND message_id <> '')
			OR ref_to IN (SELECT message_id FROM journal_entries WHERE exchange = ? AND message_id <> '')))
		ORDER BY seq LIMIT ?`), exchange, EventReceipt, exchange, exchange, DefaultLimit)
	if err != nil {
		return nil, fmt.Errorf("journal: evidence: %w", err)
	}
	defer rows.Close()
	var out []*Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: evidence: %w", err)
	}
	return out, nil
}
