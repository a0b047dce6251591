package as4

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
)

// OOTS values of the ebMS header (OOTS TDD ebMS usage; SPEC.md §4.1).
const (
	OOTSRole          = "http://sdg.europa.eu/edelivery/gateway"
	OOTSServiceType   = "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"
	OOTSQueryManager  = "QueryManager"
	OOTSLifecycle     = "LifecycleManager"
	OOTSRegRepPayload = "application/x-ebrs+xml"
)

var ootsActions = map[string]bool{
	"ExecuteQueryRequest": true, "ExecuteQueryResponse": true, "ExceptionResponse": true,
	"SubmitObjectsRequest": true, "SubmitObjectsResponse": true,
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// CheckHeader checks an eb:Messaging header document (message kind EBMS)
// against the ebMS3 header structure and the OOTS usage of it, and returns
// findings in the vocabulary of package check. A header that does not parse
// gives one fatal finding (rule OOTS-EBMS-STRUCT, the EBMS:0009 detail);
// otherwise the rules are:
//
//	OOTS-EBMS-ROLE           error    From and To roles are the OOTS gateway role
//	OOTS-EBMS-SERVICE        error    Service QueryManager or LifecycleManager, typed ebrs binding
//	OOTS-EBMS-ACTION         error    Action is one of the OOTS actions
//	OOTS-EBMS-AGREEMENT      warning  an AgreementRef (the OOTS P-Modes have none)
//	OOTS-EBMS-CONVERSATION   error    ConversationId is a UUID
//	OOTS-EBMS-PARTYID        error    every PartyId has a type
//	OOTS-EBMS-PROPERTY       error    originalSender and finalRecipient present; for
//	                                  SpecificationId oots-edm:v2.0 also ExchangeId
//	                                  (a UUID), exactly these four properties
//	OOTS-EBMS-PROPERTY-TYPE  warning  originalSender or finalRecipient without @type
//	                                  (the identifier scheme; some official TDD 1.0
//	                                  samples omit it)
//	OOTS-EBMS-PAYLOAD        error    at least one PartInfo; cid: hrefs with MimeType;
//	                                  the first part is the RegRep document; only
//	                                  gzip compression
//	OOTS-EBMS-SIGNAL         info     a signal message: the rules above do not apply
func CheckHeader(el *xmltree.Element) []check.Finding {
	m, err := ParseMessaging(el)
	if err != nil {
		loc := "/"
		if el != nil {
			loc = el.Path()
		}
		var e *Error
		msg := err.Error()
		if errors.As(err, &e) {
			msg = string(e.Code) + " " + e.Kind().ShortDescription + ": " + e.Detail
		}
		return []check.Finding{{Rule: "OOTS-EBMS-STRUCT", Flag: check.Fatal, Location: loc, Message: msg}}
	}
	um := m.UserMessage
	if um == nil {
		return []check.Finding{{Rule: "OOTS-EBMS-SIGNAL", Flag: check.Info, Location: el.Path(), Message: "signal message: the OOTS user message rules do not apply"}}
	}
	base := el.Path() + "/eb:UserMessage"
	var fs []check.Finding
	add := func(rule string, flag check.Flag, loc, format string, args ...any) {
		fs = append(fs, check.Finding{Rule: rule, Flag: flag, Location: base + loc, Message: fmt.Sprintf(format, args...)})
	}
	for _, side := range []struct {
		name string
		p    Party
	}{{"From", um.PartyInfo.From}, {"To", um.PartyInfo.To}} {
		if side.p.Role != OOTSRole {
			add("OOTS-EBMS-ROLE", check.Error, "/eb:PartyInfo/eb:"+side.name+"/eb:Role", "role %q, want %q", side.p.Role, OOTSRole)
		}
		for _, id := range side.p.PartyIDs {
			if id.Type == "" {
				add("OOTS-EBMS-PARTYID", check.Error, "/eb:PartyInfo/eb:"+side.name+"/eb:PartyId", "PartyId %q has no type", id.Value)
			}
		}
	}
	ci := um.CollaborationInfo
	if (ci.Service.Value != OOTSQueryManager && ci.Service.Value != OOTSLifecycle) || ci.Service.Type != OOTSServiceType {
		add("OOTS-EBMS-SERVICE", check.Error, "/eb:CollaborationInfo/eb:Service", "service %q (type %q), want %s or %s of type %s", ci.Service.Value, ci.Service.Type, OOTSQueryManager, OOTSLifecycle, OOTSServiceType)
	}
	if !ootsActions[ci.Action] {
		add("OOTS-EBMS-ACTION", check.Error, "/eb:CollaborationInfo/eb:Action", "action %q is not an OOTS action", ci.Action)
	}
	if ci.AgreementRef != nil {
		add("OOTS-EBMS-AGREEMENT", check.Warning, "/eb:CollaborationInfo/eb:AgreementRef", "the OOTS P-Modes have no agreement, the header names %q", ci.AgreementRef.Value)
	}
	if !uuidRE.MatchString(ci.ConversationID) {
		add("OOTS-EBMS-CONVERSATION", check.Error, "/eb:CollaborationInfo/eb:ConversationId", "ConversationId %q is not a UUID", ci.ConversationID)
	}
	props := map[string]Property{}
	for _, p := range um.MessageProperties {
		props[p.Name] = p
	}
	for _, name := range []string{"originalSender", "finalRecipient"} {
		p, ok := props[name]
		switch {
		case !ok:
			add("OOTS-EBMS-PROPERTY", check.Error, "/eb:MessageProperties", "property %s missing", name)
		case p.Type == "":
			add("OOTS-EBMS-PROPERTY-TYPE", check.Warning, "/eb:MessageProperties", "property %s has no type (identifier scheme)", name)
		}
	}
	if spec, ok := props["SpecificationId"]; ok && spec.Value == "oots-edm:v2.0" {
		x, ok := props["ExchangeId"]
		if !ok || !uuidRE.MatchString(x.Value) {
			add("OOTS-EBMS-PROPERTY", check.Error, "/eb:MessageProperties", "oots-edm:v2.0 requires an ExchangeId property holding a UUID")
		}
		if len(um.MessageProperties) != 4 {
			add("OOTS-EBMS-PROPERTY", check.Error, "/eb:MessageProperties", "oots-edm:v2.0 has exactly 4 properties, found %d", len(um.MessageProperties))
		}
	}
	if len(um.PayloadInfo) == 0 {
		add("OOTS-EBMS-PAYLOAD", check.Error, "", "no eb:PayloadInfo/eb:PartInfo: the RegRep document travels as a payload")
	}
	for i, pi := range um.PayloadInfo {
		loc := fmt.Sprintf("/eb:PayloadInfo/eb:PartInfo[%d]", i+1)
		if pi.ContentID() == "" {
			add("OOTS-EBMS-PAYLOAD", check.Error, loc, "href %q is not a cid: reference", pi.Href)
		}
		mt, ok := pi.Property(PropMimeType)
		if !ok {
			add("OOTS-EBMS-PAYLOAD", check.Error, loc, "MimeType part property missing")
		} else if i == 0 && mt != OOTSRegRepPayload {
			add("OOTS-EBMS-PAYLOAD", check.Error, loc, "the first part is the RegRep document (%s), found %q", OOTSRegRepPayload, mt)
		}
		if ct, ok := pi.Property(PropCompressionType); ok && ct != GzipMediaType {
			add("OOTS-EBMS-PAYLOAD", check.Error, loc, "CompressionType %q, only %s", ct, GzipMediaType)
		}
	}
	return fs
}
