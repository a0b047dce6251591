package journal

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
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

// EventRequestID names the id of an evidence request (the QueryRequest's
// id) that is not the identifier of its exchange: the request of EDM 2.0,
// whose exchange is its ExchangeId, and the second request of a preview
// round, whose exchange keeps the identifier of the first. Its Exchange is
// the request's id and its MessageID the eb:MessageId of the message that
// carried the request, which the entry about the request (EventRequestSent,
// EventRequestReceived) names too, with the exchange's identifier: so that
// Evidence leads from the request's id to its exchange.
const EventRequestID = "request.id"

// maxLinkRounds bounds how far Evidence follows the message ids from one
// identifier of an exchange to another (the request's id, the exchange's
// identifier, the id of the other request of a preview round).
const maxLinkRounds = 4

// Evidence returns the entries of one evidence exchange in sequence order,
// so that an auditor goes from the evidence to every step, to the message
// ids of the requests and the answers and to the digests of their signed
// receipts. exchange is one of its identifiers: the EDM 2.0 ExchangeId, the
// id of its first request or, with an EventRequestID entry, of any of its
// requests (see the package documentation, "Evidence exchanges").
//
// The entries returned are those whose Exchange is exchange or an
// identifier of the same exchange — one that an entry naming an AS4
// message of the exchange (MessageID) carries — and the EventReceipt
// entries of the messages of those entries and of the answers to them (by
// RefTo: a provider journals its answer, under the request's message id,
// before the access point gives the answer its eb:MessageId). It does not
// verify the chain (Verify does).
func (j *Journal) Evidence(ctx context.Context, exchange string) ([]*Entry, error) {
	if exchange == "" {
		return nil, fmt.Errorf("journal: evidence: no exchange given")
	}
	ids := []string{exchange}
	for range maxLinkRounds {
		more, err := j.linkedExchanges(ctx, ids)
		if err != nil {
			return nil, err
		}
		if len(more) == len(ids) {
			break
		}
		ids = more
	}
	in := placeholders(len(ids))
	var args []any
	idArgs := func() {
		for _, id := range ids {
			args = append(args, id)
		}
	}
	idArgs()
	args = append(args, EventReceipt)
	idArgs()
	idArgs()
	args = append(args, DefaultLimit)
	rows, err := j.db.SQL().QueryContext(ctx, j.db.Rebind(`SELECT `+entryColumns+` FROM journal_entries
		WHERE exchange IN (`+in+`) OR (event = ? AND (message_id IN (SELECT message_id FROM journal_entries WHERE exchange IN (`+in+`) AND message_id <> '')
			OR ref_to IN (SELECT message_id FROM journal_entries WHERE exchange IN (`+in+`) AND message_id <> '')))
		ORDER BY seq LIMIT ?`), args...)
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

// linkedExchanges returns ids and the other identifiers of the same
// exchange: the Exchange of every entry (other than a receipt) about a
// message that an entry of ids names.
func (j *Journal) linkedExchanges(ctx context.Context, ids []string) ([]string, error) {
	in := placeholders(len(ids))
	args := make([]any, 0, len(ids)+1)
	args = append(args, EventReceipt)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := j.db.SQL().QueryContext(ctx, j.db.Rebind(`SELECT DISTINCT exchange FROM journal_entries
		WHERE exchange <> '' AND event <> ? AND message_id IN
			(SELECT message_id FROM journal_entries WHERE exchange IN (`+in+`) AND message_id <> '')
		ORDER BY exchange LIMIT `+strconv.Itoa(maxLinked)), args...)
	if err != nil {
		return nil, fmt.Errorf("journal: evidence: %w", err)
	}
	defer rows.Close()
	out := slices.Clone(ids)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("journal: evidence: %w", err)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: evidence: %w", err)
	}
	return out, nil
}

// maxLinked bounds the identifiers of one exchange Evidence gathers (an
// exchange has its own and the ids of a few requests).
const maxLinked = 64

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
