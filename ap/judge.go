package ap

import (
	"context"
	"log/slog"
	"strings"

	"github.com/oots-go/oots/check"
)

// Judge judges a document a node carries — a payload, or the eb:Messaging
// header of a received message — by the business rules of its kind and
// version (Config.Judge): what names the document ("EDM-REQ oots-edm:v1.2",
// "EBMS oots-edm:v2.0"), ok is false when it is no OOTS message (a PDF,
// say), which is then not judged.
type Judge func(doc []byte) (what string, findings []check.Finding, ok bool)

// Keys of the log attributes of a judgement.
const (
	logDirection = "direction"
	logDocument  = "document"
	logRules     = "rules"
)

// judge runs Config.Judge on the documents of a message received or
// submitted, and logs one that the rules find invalid (a warning naming the
// rule ids) or valid (debug). It refuses nothing: answering a message that
// breaks the business rules is the connector's part (an EDM error
// response), not the access point's, which carries what a partner sends as
// a Domibus node would. Judged are the verified eb:Messaging header of a
// received message (not the header of a sent one, which is built at each
// sending attempt) and the payloads held in memory: those submitted with
// data (not by upload id) and those received of up to 64 KiB (see
// inlineStored), which every EDM message without its attachments is. The
// documents of a received message are judged after the answer to the
// partner (judgeLater).
func (n *Node) judge(direction, messageID, partner string, docs [][]byte) {
	if n.cfg.Judge == nil {
		return
	}
	for _, p := range docs {
		if p == nil {
			continue
		}
		what, findings, ok := n.cfg.Judge(p)
		if !ok {
			continue
		}
		var broken []string
		for _, f := range findings {
			if f.Invalidates() {
				broken = append(broken, f.Rule)
			}
		}
		if len(broken) == 0 {
			n.log.Debug("document valid under the business rules", slog.String(logDirection, direction), slog.String(logMessageID, messageID),
				slog.String(logPartner, partner), slog.String(logDocument, what))
			continue
		}
		n.log.Warn("document breaks business rules", slog.String(logDirection, direction), slog.String(logMessageID, messageID),
			slog.String(logPartner, partner), slog.String(logDocument, what), slog.String(logRules, strings.Join(broken, " ")))
	}
}

// judgement is a judge call put off by judgeLater.
type judgement struct {
	direction, messageID, partner string
	docs                          [][]byte
}

// judgeQueue bounds the judgements waiting for judgeLoop.
const judgeQueue = 256

// judgeLater judges the documents of a received message after its receipt
// has gone: the judge refuses nothing, so the partner need not wait for
// it. When judgeLoop is behind or not running (Run was not called, or has
// returned), the documents are judged at once, so that none goes unjudged
// and the queue stays bounded.
func (n *Node) judgeLater(direction, messageID, partner string, docs [][]byte) {
	if !n.judging.Load() {
		n.judge(direction, messageID, partner, docs)
		return
	}
	select {
	case n.judgements <- judgement{direction, messageID, partner, docs}:
	default:
		n.judge(direction, messageID, partner, docs)
	}
}

// judgeLoop runs the judgements judgeLater queued; at the end of ctx it
// runs those still queued, then returns.
func (n *Node) judgeLoop(ctx context.Context) {
	n.judging.Store(true)
	defer n.judging.Store(false)
	for {
		select {
		case j := <-n.judgements:
			n.judge(j.direction, j.messageID, j.partner, j.docs)
		case <-ctx.Done():
			n.judging.Store(false)
			for {
				select {
				case j := <-n.judgements:
					n.judge(j.direction, j.messageID, j.partner, j.docs)
				default:
					return
				}
			}
		}
	}
}
