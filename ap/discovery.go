package ap

import (
	"context"
	"errors"
	"fmt"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/smp"
)

// PartnerResolver finds where to send a document type to a participant in a
// process: eDelivery dynamic discovery (BDXL, then SMP). *smp.Client
// implements it.
type PartnerResolver interface {
	Resolve(ctx context.Context, participant, documentType, process smp.ID) (smp.Target, error)
}

// DiscoveredPartner marks a P-Mode party whose endpoint URL and encryption
// certificate are found by dynamic discovery at send time instead of being
// read from the P-Mode.
//
// The identifiers are configured per partner, not derived from the
// message: Participant is the participant identifier under which the
// partner's access point is registered in the SML/SMP (for OOTS, the
// identifier of the receiving gateway), DocumentType and Process the
// document type and process it is published for. Every message to the
// partner, whatever its leg, is looked up with these three identifiers.
type DiscoveredPartner struct {
	Participant  smp.ID
	DocumentType smp.ID
	Process      smp.ID
}

// validate names the first missing identifier.
func (d *DiscoveredPartner) validate() (field, problem string) {
	switch {
	case d.Participant.Value == "":
		return "Participant", "required"
	case d.DocumentType.Value == "":
		return "DocumentType", "required"
	case d.Process.Value == "":
		return "Process", "required"
	}
	return "", ""
}

// ErrDiscovery is wrapped by the errors of a send attempt whose partner
// could not be resolved; the smp error (smp.ErrParticipantUnknown,
// smp.ErrDocumentNotRegistered, smp.ErrUnreachable, smp.ErrBadAnswer) is
// wrapped too.
var ErrDiscovery = errors.New("dynamic discovery failed")

// resolvePartner returns the sender and endpoint towards a partner: the
// P-Mode values ("" endpoint: the P-Mode's) for a static partner, the
// discovered ones for a partner in Config.Discovered. An unknown
// participant or document type and a bad SMP answer fail the message for
// good; an unreachable DNS or SMP is retried with the leg's backoff.
func (n *Node) resolvePartner(ctx context.Context, party string) (*as4.Sender, string, error) {
	s := n.sender(party)
	d, ok := n.cfg.Discovered[party]
	if !ok {
		return s, "", nil
	}
	t, err := n.cfg.Discovery.Resolve(ctx, d.Participant, d.DocumentType, d.Process)
	if err != nil {
		err = fmt.Errorf("%s %w for party %s (participant %s, document type %s, process %s): %w",
			as4.DeliveryFailure, ErrDiscovery, party, d.Participant, d.DocumentType, d.Process, err)
		if errors.Is(err, smp.ErrUnreachable) || ctx.Err() != nil {
			return nil, "", err
		}
		return nil, "", &finalError{err}
	}
	if t.Certificate != nil {
		n.learn(party, t.Certificate)
	}
	ds := *s
	ds.PeerCert = t.Certificate
	return &ds, t.URL, nil
}
