package as4

import (
	"mime"
	"slices"
	"strings"

	"github.com/oots-go/oots/as4/pmode"
)

// CheckUserMessage checks a user message against the P-Mode leg that governs
// it (ebMS3 Core §4 and Appendix D) and returns the first discrepancy as an
// *Error naming the field:
//
//   - EBMS:0010 ProcessingModeMismatch: service, action, MPC, agreement,
//     roles or parties other than the leg's; more payloads than the leg allows;
//   - EBMS:0001 ValueNotRecognized: a party identifier that no P-Mode party
//     has; a message property outside the leg's property set;
//   - EBMS:0003 ValueInconsistent: a required property missing or a property
//     given twice; a PartInfo without a cid: href (AS4 carries payloads only as
//     attachments), without MimeType, with an unknown CompressionType, a
//     duplicate href, or a MIME type the leg does not allow.
//
// Pack runs it on what it sends and Unpack on what it receives.
func CheckUserMessage(um *UserMessage, c *pmode.Config, leg *pmode.Leg) error {
	ci := um.CollaborationInfo
	if ci.Service.Value != leg.Service.Value || ci.Service.Type != leg.Service.Type {
		return Errorf(ProcessingModeMismatch, "eb:Service %q (type %q) is not the service %q (type %q) of leg %s", ci.Service.Value, ci.Service.Type, leg.Service.Value, leg.Service.Type, leg.Name)
	}
	if ci.Action != leg.Action {
		return Errorf(ProcessingModeMismatch, "eb:Action %q is not the action %q of leg %s", ci.Action, leg.Action, leg.Name)
	}
	if mpc(um.MPC) != mpc(leg.MPC) {
		return Errorf(ProcessingModeMismatch, "eb:UserMessage/@mpc %q is not the MPC %q of leg %s", mpc(um.MPC), mpc(leg.MPC), leg.Name)
	}
	switch a := ci.AgreementRef; {
	case a == nil && leg.Agreement != nil:
		return Errorf(ProcessingModeMismatch, "eb:AgreementRef missing: leg %s requires %q", leg.Name, leg.Agreement.Value)
	case a != nil && leg.Agreement == nil:
		return Errorf(ProcessingModeMismatch, "eb:AgreementRef %q given: leg %s has no agreement", a.Value, leg.Name)
	case a != nil && (a.Value != leg.Agreement.Value || a.Type != leg.Agreement.Type):
		return Errorf(ProcessingModeMismatch, "eb:AgreementRef %q (type %q) is not the agreement %q (type %q) of leg %s", a.Value, a.Type, leg.Agreement.Value, leg.Agreement.Type, leg.Name)
	}
	if ci.ConversationID == "" {
		return Errorf(ValueInconsistent, "eb:ConversationId is empty")
	}
	for _, side := range []struct {
		name  string
		party Party
		pr    pmode.PartyRole
	}{{"eb:From", um.PartyInfo.From, leg.Initiator}, {"eb:To", um.PartyInfo.To, leg.Responder}} {
		if side.party.Role != side.pr.Role {
			return Errorf(ProcessingModeMismatch, "%s/eb:Role %q is not the role %q of leg %s", side.name, side.party.Role, side.pr.Role, leg.Name)
		}
		var found *pmode.Party
		for _, id := range side.party.PartyIDs {
			p, ok := c.PartyByID(pmode.PartyID{Type: id.Type, Value: id.Value})
			if !ok {
				return Errorf(ValueNotRecognized, "%s/eb:PartyId %q (type %q) is not a party of the P-Mode", side.name, id.Value, id.Type)
			}
			if found != nil && found != p {
				return Errorf(ValueInconsistent, "%s names two parties, %s and %s", side.name, found.Name, p.Name)
			}
			found = p
		}
		if found == nil {
			return Errorf(ValueInconsistent, "%s has no eb:PartyId", side.name)
		}
		if !slices.Contains(side.pr.Parties, found.Name) {
			return Errorf(ProcessingModeMismatch, "%s party %s may not take this side of leg %s", side.name, found.Name, leg.Name)
		}
	}
	seen := map[string]bool{}
	for _, p := range um.MessageProperties {
		if seen[p.Name] {
			return Errorf(ValueInconsistent, "eb:MessageProperties: property %q given twice", p.Name)
		}
		seen[p.Name] = true
		if _, ok := leg.Property(p.Name); !ok {
			return Errorf(ValueNotRecognized, "eb:MessageProperties: property %q is not in the property set of leg %s", p.Name, leg.Name)
		}
	}
	for _, d := range leg.Properties {
		if d.Required && !seen[d.Name] {
			return Errorf(ValueInconsistent, "eb:MessageProperties: required property %q missing (leg %s)", d.Name, leg.Name)
		}
	}
	if leg.Payload.MaxParts > 0 && len(um.PayloadInfo) > leg.Payload.MaxParts {
		return Errorf(ProcessingModeMismatch, "eb:PayloadInfo: %d parts, leg %s allows %d", len(um.PayloadInfo), leg.Name, leg.Payload.MaxParts)
	}
	hrefs := map[string]bool{}
	for i := range um.PayloadInfo {
		pi := &um.PayloadInfo[i]
		if pi.ContentID() == "" {
			return Errorf(ValueInconsistent, "eb:PartInfo %d: href %q is not a cid: reference (payloads travel only as attachments)", i+1, pi.Href)
		}
		if hrefs[pi.Href] {
			return Errorf(ValueInconsistent, "eb:PartInfo %d: href %q given twice", i+1, pi.Href)
		}
		hrefs[pi.Href] = true
		mt, ok := pi.Property(PropMimeType)
		if !ok || mt == "" {
			return Errorf(ValueInconsistent, "eb:PartInfo %s: MimeType part property missing", pi.Href)
		}
		media, _, err := mime.ParseMediaType(mt)
		if err != nil {
			return Errorf(ValueInconsistent, "eb:PartInfo %s: MimeType %q: %v", pi.Href, mt, err)
		}
		if len(leg.Payload.MimeTypes) > 0 && !allowedMediaType(leg.Payload.MimeTypes, mt, media) {
			return Errorf(ValueInconsistent, "eb:PartInfo %s: MimeType %q is not allowed by leg %s", pi.Href, mt, leg.Name)
		}
		if ct, ok := pi.Property(PropCompressionType); ok && ct != GzipMediaType {
			return Errorf(ValueInconsistent, "eb:PartInfo %s: CompressionType %q (only %s)", pi.Href, ct, GzipMediaType)
		}
	}
	return nil
}

// allowedMediaType reports whether a part's MimeType mt, whose media type
// is media (lower case, without parameters), is one a leg allows: a type
// and subtype are matched without regard to case (RFC 2045 §5.1), and an
// allowed value with parameters only by the whole value.
func allowedMediaType(allowed []string, mt, media string) bool {
	for _, a := range allowed {
		if strings.EqualFold(a, media) || strings.EqualFold(a, mt) {
			return true
		}
	}
	return false
}

func mpc(s string) string {
	if s == "" {
		return DefaultMPC
	}
	return s
}
