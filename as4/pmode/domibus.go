package pmode

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// NamespaceDomibus is the namespace of the Domibus P-Mode configuration.
const NamespaceDomibus = "http://domibus.eu/configuration"

// Domibus MEP and binding URIs (ebMS3 Core Appendix C).
const (
	domibusOneWay = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/oneWay"
	domibusPush   = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/push"
)

// ImportDomibus converts a Domibus P-Mode XML configuration (db:configuration)
// into a Config: every party with its identifiers and endpoint, and one Leg
// per leg of every process (named after the leg configuration; a leg used by
// several processes is named process/leg). The result is validated.
//
// Mapping: Domibus security profile "rsa" is eDelivery AS4 1.15; the policy
// file gives what is signed and encrypted, the key reference forms and no
// Timestamp (see domibusSecurity); replyPattern "response" is a synchronous
// receipt; receptionAwareness retry "timeout(min);count;strategy" becomes
// Retry; compressPayloads becomes Payload.Compress; the propertySet becomes
// Properties (key and required). Domibus features without a counterpart here
// (splitting, pull, business-error notifications, retention) are dropped; a
// two-way MEP or a pull binding is an error.
func ImportDomibus(b []byte) (*Config, error) {
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return nil, fmt.Errorf("pmode: domibus: %w", err)
	}
	root := doc.Root
	if !root.Is(NamespaceDomibus, "configuration") {
		return nil, fmt.Errorf("pmode: domibus: root element %s is not {%s}configuration", root.Name, NamespaceDomibus)
	}
	d := &domibus{named: map[string]map[string]*xmltree.Element{}}
	root.Walk(func(e *xmltree.Element) bool {
		if n, ok := e.AttrValue("", "name"); ok && e != root {
			if d.named[e.Local] == nil {
				d.named[e.Local] = map[string]*xmltree.Element{}
			}
			d.named[e.Local][n] = e
		}
		return true
	})
	c := &Config{Self: root.SelectAttr("", "party")}
	bp := root.Child("", "businessProcesses")
	if bp == nil {
		return nil, fmt.Errorf("pmode: domibus: no businessProcesses")
	}
	if ps := bp.Child("", "parties"); ps != nil {
		for _, p := range ps.ChildrenNamed("", "party") {
			party := Party{Name: p.SelectAttr("", "name"), Endpoint: p.SelectAttr("", "endpoint")}
			for _, id := range p.ChildrenNamed("", "identifier") {
				pid := PartyID{Value: id.SelectAttr("", "partyId")}
				if t := id.SelectAttr("", "partyIdType"); t != "" {
					te, err := d.get("partyIdType", t, "party "+party.Name)
					if err != nil {
						return nil, err
					}
					pid.Type = te.SelectAttr("", "value")
				}
				party.IDs = append(party.IDs, pid)
			}
			c.Parties = append(c.Parties, party)
		}
	}
	legUse := map[string]int{}
	for _, proc := range bp.ChildrenNamed("", "process") {
		if legs := proc.Child("", "legs"); legs != nil {
			for _, l := range legs.ChildrenNamed("", "leg") {
				legUse[l.SelectAttr("", "name")]++
			}
		}
	}
	for _, proc := range bp.ChildrenNamed("", "process") {
		pname := proc.SelectAttr("", "name")
		where := "process " + pname
		mep, err := d.value("mep", proc.SelectAttr("", "mep"), where)
		if err != nil {
			return nil, err
		}
		binding, err := d.value("binding", proc.SelectAttr("", "binding"), where)
		if err != nil {
			return nil, err
		}
		if mep != domibusOneWay || binding != domibusPush {
			return nil, fmt.Errorf("pmode: domibus: %s: MEP %q binding %q: only one-way push is supported", where, mep, binding)
		}
		ini, err := d.value("role", proc.SelectAttr("", "initiatorRole"), where)
		if err != nil {
			return nil, err
		}
		resp, err := d.value("role", proc.SelectAttr("", "responderRole"), where)
		if err != nil {
			return nil, err
		}
		var agreement *Agreement
		if a := proc.SelectAttr("", "agreement"); a != "" {
			ae, err := d.get("agreement", a, where)
			if err != nil {
				return nil, err
			}
			if v := ae.SelectAttr("", "value"); v != "" {
				agreement = &Agreement{Value: v, Type: ae.SelectAttr("", "type")}
			}
		}
		partiesOf := func(list, item string) []string {
			var out []string
			if e := proc.Child("", list); e != nil {
				for _, p := range e.ChildrenNamed("", item) {
					out = append(out, p.SelectAttr("", "name"))
				}
			}
			return out
		}
		legs := proc.Child("", "legs")
		if legs == nil {
			continue
		}
		for _, lref := range legs.ChildrenNamed("", "leg") {
			lname := lref.SelectAttr("", "name")
			lc, err := d.get("legConfiguration", lname, where)
			if err != nil {
				return nil, err
			}
			leg, err := d.leg(lc)
			if err != nil {
				return nil, err
			}
			leg.Name = lname
			if legUse[lname] > 1 {
				leg.Name = pname + "/" + lname
			}
			leg.MEP, leg.Binding = MEPOneWay, BindingPush
			leg.Initiator = PartyRole{Parties: partiesOf("initiatorParties", "initiatorParty"), Role: ini}
			leg.Responder = PartyRole{Parties: partiesOf("responderParties", "responderParty"), Role: resp}
			leg.Agreement = agreement
			c.Legs = append(c.Legs, *leg)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("pmode: domibus: imported configuration is not valid: %w", err)
	}
	return c, nil
}

// domibus indexes the named elements of a configuration by element name.
type domibus struct {
	named map[string]map[string]*xmltree.Element
}

func (d *domibus) get(kind, name, where string) (*xmltree.Element, error) {
	if e := d.named[kind][name]; e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("pmode: domibus: %s refers to %s %q, which is not defined", where, kind, name)
}

func (d *domibus) value(kind, name, where string) (string, error) {
	e, err := d.get(kind, name, where)
	if err != nil {
		return "", err
	}
	return e.SelectAttr("", "value"), nil
}

func (d *domibus) leg(lc *xmltree.Element) (*Leg, error) {
	where := "legConfiguration " + lc.SelectAttr("", "name")
	attr := func(n string) string { return lc.SelectAttr("", n) }
	l := &Leg{}
	svc, err := d.get("service", attr("service"), where)
	if err != nil {
		return nil, err
	}
	l.Service = Service{Value: svc.SelectAttr("", "value"), Type: svc.SelectAttr("", "type")}
	if l.Action, err = d.value("action", attr("action"), where); err != nil {
		return nil, err
	}
	if m := attr("defaultMpc"); m != "" {
		me, err := d.get("mpc", m, where)
		if err != nil {
			return nil, err
		}
		l.MPC = me.SelectAttr("", "qualifiedName")
	}
	sec, err := d.get("security", attr("security"), where)
	if err != nil {
		return nil, err
	}
	if l.Security, err = domibusSecurity(sec); err != nil {
		return nil, fmt.Errorf("pmode: domibus: %s: %w", where, err)
	}
	rel, err := d.get("reliability", attr("reliability"), where)
	if err != nil {
		return nil, err
	}
	l.Reliability.Receipt = ReceiptNone
	if rel.SelectAttr("", "replyPattern") == "response" {
		l.Reliability.Receipt = ReceiptResponse
	}
	l.Reliability.NonRepudiation = rel.SelectAttr("", "nonRepudiation") == "true"
	if ra := attr("receptionAwareness"); ra != "" {
		re, err := d.get("receptionAwareness", ra, where)
		if err != nil {
			return nil, err
		}
		l.Reliability.DuplicateDetection = re.SelectAttr("", "duplicateDetection") == "true"
		if r := re.SelectAttr("", "retry"); r != "" {
			retry, err := parseDomibusRetry(r)
			if err != nil {
				return nil, fmt.Errorf("pmode: domibus: receptionAwareness %s: %w", ra, err)
			}
			l.Reliability.Retry = retry
		}
	}
	if ps := attr("propertySet"); ps != "" {
		set, err := d.get("propertySet", ps, where)
		if err != nil {
			return nil, err
		}
		for _, ref := range set.ChildrenNamed("", "propertyRef") {
			p, err := d.get("property", ref.SelectAttr("", "property"), "propertySet "+ps)
			if err != nil {
				return nil, err
			}
			l.Properties = append(l.Properties, PropertyDef{Name: p.SelectAttr("", "key"), Required: p.SelectAttr("", "required") == "true"})
		}
	}
	l.Payload.Compress = attr("compressPayloads") == "true"
	if eh := attr("errorHandling"); eh != "" {
		e, err := d.get("errorHandling", eh, where)
		if err != nil {
			return nil, err
		}
		l.ErrorHandling.AsResponse = e.SelectAttr("", "errorAsResponse") == "true"
	}
	return l, nil
}

// parseDomibusRetry reads "timeout;count;strategy", timeout in minutes.
// Domibus's strategy SEND_ONCE, or no retry or no time, is no retry (nil).
func parseDomibusRetry(s string) (*Retry, error) {
	f := strings.Split(s, ";")
	if len(f) != 3 {
		return nil, fmt.Errorf("retry %q is not timeout;count;strategy", s)
	}
	min, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
	n, err2 := strconv.Atoi(strings.TrimSpace(f[1]))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("retry %q: timeout and count must be integers", s)
	}
	strategy := strings.TrimSpace(f[2])
	if strategy == "SEND_ONCE" || n == 0 || min == 0 {
		return nil, nil
	}
	return &Retry{Timeout: time.Duration(min) * time.Minute, Count: n, Strategy: strategy}, nil
}

// domibusSecurity maps a Domibus security element (its WS-SecurityPolicy
// file and profile) to Security. The policy files of Domibus 5 and Harmony
// (conf/domibus/policies) have no sp:IncludeTimestamp, so every mapping has
// no Timestamp; their tokens give the key reference forms:
//
//	eDeliveryAS4Policy      sign, encrypt; tokens IncludeToken Never: both
//	                        certificates named by subject key identifier
//	eDeliveryAS4Policy_BST  sign, encrypt; tokens Always: both certificates
//	                        as BinarySecurityTokens
//	eDeliveryAS4Policy_IS   sign, encrypt; RequireIssuerSerialReference
//	signOnly                sign; the initiator token AlwaysToRecipient (BST)
//	doNothingPolicy         no security
//
// A security element without a policy file (as in published OOTS examples)
// is read as eDeliveryAS4Policy_BST, the policy of the OOTS P-Modes.
// eDeliveryAS4Policy_BST_PKIP (a PkiPath token) is refused: this access point
// reads X.509 v3 tokens only.
func domibusSecurity(sec *xmltree.Element) (Security, error) {
	policy := strings.ToLower(strings.TrimSuffix(sec.SelectAttr("", "policy"), ".xml"))
	profile := sec.SelectAttr("", "profile")
	if strings.HasPrefix(policy, "donothing") {
		return Security{Profile: ProfileNone}, nil
	}
	if profile != "rsa" && profile != "" {
		return Security{}, fmt.Errorf("security profile %q is not supported (only rsa)", profile)
	}
	s := Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true, Timestamp: TimestampNone}
	switch {
	case policy == "":
		// Published OOTS P-Mode examples name only the profile; the OOTS
		// network's P-Modes use eDeliveryAS4Policy_BST.
		s.SignatureKeyReference, s.EncryptionKeyReference = KeyRefBST, KeyRefBST
	case strings.HasPrefix(policy, "signonly"):
		s.Encrypt = false
		s.SignatureKeyReference = KeyRefBST
	case strings.HasSuffix(policy, "_bst_pkip"):
		return Security{}, fmt.Errorf("policy %q (a PkiPath token) is not supported: use eDeliveryAS4Policy_BST", sec.SelectAttr("", "policy"))
	case strings.HasSuffix(policy, "_bst"):
		s.SignatureKeyReference, s.EncryptionKeyReference = KeyRefBST, KeyRefBST
	case strings.HasSuffix(policy, "_is"):
		s.SignatureKeyReference, s.EncryptionKeyReference = KeyRefIssuerSerial, KeyRefIssuerSerial
	case policy == "edeliveryas4policy":
		s.SignatureKeyReference, s.EncryptionKeyReference = KeyRefSKI, KeyRefSKI
	default:
		return Security{}, fmt.Errorf("policy %q is not one of the Domibus policies (eDeliveryAS4Policy, _BST, _IS, signOnly, doNothingPolicy)", sec.SelectAttr("", "policy"))
	}
	return s, nil
}
