package provider

import (
	"context"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/journal"
)

// Run sweeps until ctx ends: every Config.SweepEvery it expires the preview
// sessions whose deadline passed (answering a waiting second request with
// EDM:ERR:0005, SPEC.md §1.2 "Timeouts") and hands over answers still
// queued. It returns ctx's error.
func (c *Connector) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.SweepEvery)
	defer t.Stop()
	for {
		if err := c.Sweep(ctx); err != nil {
			c.log.Warn("provider sweep", logErr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Sweep runs one pass of Run.
func (c *Connector) Sweep(ctx context.Context) error {
	now := c.cfg.Now()
	due, err := c.db.SessionsDue(ctx, now)
	if err != nil {
		return err
	}
	for _, s := range due {
		var a *answer
		if s.SecondMessageID != "" && s.SecondRequest != nil {
			req, err := storedRequest(s.SecondRequest)
			if err != nil {
				c.log.Error("expired preview", logToken, logTokenID(s.Token), logErr, err)
			} else {
				m := &exchange.Message{From: s.Party, ConversationID: s.ConversationID, ExchangeID: s.ExchangeID, MessageID: s.SecondMessageID,
					OriginalSender: s.c1(), FinalRecipient: s.c4(), Request: req}
				if a, err = c.refuse(m, req, c.byID[s.Provider], edm.Errorf(edm.EDMErr0005, "the user did not complete the preview in time"), now); err != nil {
					// The session stays due: the next pass answers it.
					c.log.Error("expired preview", logToken, logTokenID(s.Token), logErr, err)
					continue
				}
				a.inExchange(s.exchange())
			}
		}
		s.State, s.Documents, s.Viewer, s.CSRF, s.Updated = stateExpired, nil, "", "", now
		if err := c.commit(ctx, s, a, withOutcome(s.record(journal.EventTimeout), string(edm.EDMErr0005))); err != nil {
			c.log.Warn("expiring a preview session", logToken, logTokenID(s.Token), logErr, err)
		}
	}
	return c.flush(ctx)
}
