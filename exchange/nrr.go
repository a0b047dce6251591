package exchange

import (
	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/journal"
)

// NRR formats the non-repudiation digests of an AS4 receipt for the
// connector's journal (journal.Record.NRR): those of a received message,
// which the node's own signed receipt repeats (ap.Header.NRR), or those of
// a partner's receipt (ap.Receipt.NRR).
func NRR(ds []ap.Digest) string {
	out := make([]journal.Digest, len(ds))
	for i, d := range ds {
		out[i] = journal.Digest(d)
	}
	return journal.FormatNRR(out)
}

// ReceiptRecord is the journal record of a partner's signed receipt for a
// message the node sent (journal.EventReceipt).
func ReceiptRecord(r *ap.Receipt) journal.Record {
	return journal.Record{Event: journal.EventReceipt, Conversation: r.ConversationID, MessageID: r.MessageID,
		RefTo: r.RefToMessageID, Receipt: r.ReceiptID, NRR: NRR(r.NRR), Outcome: journal.OutcomeOK}
}
