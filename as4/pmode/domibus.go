package pmode

import (
	"bytes"
	"fmt"
	"slices"
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
	domibusCore   = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
	domibusOneWay = domibusCore + "oneWay"
	domibusTwoWay = domibusCore + "twoWay"
)

// IsDomibusXML reports whether a P-Mode file is a Domibus PMode XML rather
// than a YAML P-Mode: it begins with "<", past white space and a UTF-8
// byte order mark (which XML allows, XML 1.0 §4.3.3, and which editors on
// Windows write).
func IsDomibusXML(b []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\ufeff"))), []byte("<"))
}

// ImportDomibus converts a Domibus P-Mode XML configuration (db:configuration)
// into a Config: every party with its identifiers and endpoint, and one Leg
// per leg of every process (named after the leg configuration; a leg used by
// several processes is named process/leg). The result is validated. As in
// Domibus, names are referred to ignoring case, except a propertyRef's
// property.
//
// Mapping: Domibus security profile "rsa" is eDelivery AS4 1.15; the policy
// file gives what is signed and encrypted, the key reference forms and no
// Timestamp (see domibusSecurity); signatureMethod must be RSA_SHA256;
// replyPattern "response" is a synchronous receipt, "callback" none;
// receptionAwareness retry "timeout(min);count;strategy" becomes Retry;
// compressPayloads becomes Payload.Compress; a payloadProfile limits the
// number of parts and their MIME types (see payloadProfile); the propertySet
// becomes Properties (key and required). A One-Way or Two-Way process with a
// push or pushAndPush binding gives One-Way/Push legs, as Domibus pushes
// every leg on its own. Domibus features without a counterpart here
// (splitting, business-error notifications, retention, property data types)
// are dropped. Errors name the Domibus element: a pull or sync binding; a
// process without initiatorParties or responderParties (Domibus dynamic
// discovery: oots discovers the endpoint and certificate of declared
// parties only); non-repudiation on a leg that does not sign.
func ImportDomibus(b []byte) (*Config, error) {
	c, _, err := importDomibus(b, true)
	return c, err
}

// ImportDomibusPartial is ImportDomibus for a Domibus configuration of
// which oots runs a part: the processes it cannot run (a pull or sync
// binding, dynamic discovery, a leg refused as ImportDomibus refuses it)
// are left out, each with its error in skipped, which names the process;
// the rest must make a valid Config. A Member State moving a Domibus
// access point to oots keeps its file: the processes oots does not run
// are reported, not silently lost. An error that is not about one process
// (the file, its parties, a valid result) is err.
func ImportDomibusPartial(b []byte) (c *Config, skipped []error, err error) {
	return importDomibus(b, false)
}

// importDomibus imports the processes of b; with strict, the first process
// that cannot be imported is its error.
func importDomibus(b []byte, strict bool) (*Config, []error, error) {
	d, root, bp, err := readDomibus(b)
	if err != nil {
		return nil, nil, err
	}
	c := &Config{}
	if c.Parties, err = d.parties(bp); err != nil {
		return nil, nil, err
	}
	// partyName is the declared name of a party referred to by name (as
	// Domibus, ignoring case); an undefined name is kept for Validate.
	partyName := func(n string) string {
		if p := d.named["party"][strings.ToLower(n)]; p != nil {
			return p.SelectAttr("", "name")
		}
		return n
	}
	c.Self = partyName(root.SelectAttr("", "party"))
	var skipped []error
	type imported struct {
		process string
		legs    []Leg
	}
	var procs []imported
	for _, proc := range bp.ChildrenNamed("", "process") {
		legs, err := d.process(proc, partyName)
		if err != nil {
			if strict {
				return nil, nil, err
			}
			skipped = append(skipped, err)
			continue
		}
		procs = append(procs, imported{proc.SelectAttr("", "name"), legs})
	}
	// A leg configuration used by several imported processes is named
	// process/leg in each; the processes left out do not count, so that
	// the legs a partial import gives are named as the same file without
	// those processes names them.
	legUse := map[string]int{}
	for _, p := range procs {
		for _, l := range p.legs {
			legUse[strings.ToLower(l.Name)]++
		}
	}
	for _, p := range procs {
		for _, l := range p.legs {
			if legUse[strings.ToLower(l.Name)] > 1 {
				l.Name = p.process + "/" + l.Name
			}
			c.Legs = append(c.Legs, l)
		}
	}
	if err := c.Validate(); err != nil {
		if len(skipped) > 0 {
			err = fmt.Errorf("%w (%d processes left out, the first: %w)", err, len(skipped), skipped[0])
		}
		return nil, skipped, fmt.Errorf("pmode: domibus: imported configuration is not valid: %w", err)
	}
	return c, skipped, nil
}

// process returns the legs of a Domibus process, each named after its leg
// configuration, or why the process cannot be imported.
func (d *domibus) process(proc *xmltree.Element, partyName func(string) string) ([]Leg, error) {
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
	if err := domibusExchange(mep, binding); err != nil {
		return nil, fmt.Errorf("pmode: domibus: %s: %w", where, err)
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
	// A process without initiatorParties or responderParties is Domibus
	// dynamic discovery: any party may take that side, the responder
	// found per message by SMP (its finalRecipient), the initiator from
	// the certificate of its signature. Here the parties of a leg are
	// listed: a discovered partner is a declared party whose endpoint and
	// certificate are left out, found at send time by BDXL and SMP.
	for _, side := range []struct{ list, role, how string }{
		{"initiatorParties", "initiator", "Domibus accepts a message from any sender, the party taken from its signing certificate"},
		{"responderParties", "responder", "Domibus finds the receiver of each message by SMP lookup of its finalRecipient"},
	} {
		if proc.Child("", side.list) == nil {
			return nil, fmt.Errorf("pmode: domibus: %s has no %s (dynamic discovery: %s): oots has no dynamic %s; "+
				"declare each partner as a party with its identifiers (the endpoint and certificate of a partner "+
				"discovered by BDXL and SMP are left out of the P-Mode) and list it in %s", where, side.list, side.how, side.role, side.list)
		}
	}
	partiesOf := func(list, item string) []string {
		var out []string
		if e := proc.Child("", list); e != nil {
			for _, p := range e.ChildrenNamed("", item) {
				out = append(out, partyName(p.SelectAttr("", "name")))
			}
		}
		return out
	}
	legs := proc.Child("", "legs")
	if legs == nil {
		return nil, nil
	}
	var out []Leg
	for _, lref := range legs.ChildrenNamed("", "leg") {
		lname := lref.SelectAttr("", "name")
		lc, err := d.get("legConfiguration", lname, where)
		if err != nil {
			return nil, err
		}
		leg, err := d.leg(lc)
		if err != nil {
			return nil, fmt.Errorf("pmode: domibus: %s: %w", where, err)
		}
		leg.Name = lc.SelectAttr("", "name")
		leg.MEP, leg.Binding = MEPOneWay, BindingPush
		leg.Initiator = PartyRole{Parties: partiesOf("initiatorParties", "initiatorParty"), Role: ini}
		leg.Responder = PartyRole{Parties: partiesOf("responderParties", "responderParty"), Role: resp}
		leg.Agreement = agreement
		out = append(out, *leg)
	}
	return out, nil
}

// domibus indexes the named elements of a configuration by element name.
type domibus struct {
	named map[string]map[string]*xmltree.Element
}

func (d *domibus) get(kind, name, where string) (*xmltree.Element, error) {
	key := name
	if kind != "property" {
		key = strings.ToLower(name)
	}
	if e := d.named[kind][key]; e != nil {
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
	// Domibus reads replyPattern ignoring case: RESPONSE, a receipt on the
	// HTTP response, or CALLBACK, for which a pushed message gets no
	// receipt (Domibus sends none and has no asynchronous receipts).
	switch rp := rel.SelectAttr("", "replyPattern"); strings.ToLower(strings.TrimSpace(rp)) {
	case "response":
		l.Reliability.Receipt = ReceiptResponse
	case "callback":
		l.Reliability.Receipt = ReceiptNone
	default:
		return nil, fmt.Errorf("pmode: domibus: reliability %s: replyPattern %q is neither response nor callback", rel.SelectAttr("", "name"), rp)
	}
	l.Reliability.NonRepudiation = domibusBool(rel.SelectAttr("", "nonRepudiation"))
	if l.Reliability.NonRepudiation && !l.Security.Sign {
		return nil, fmt.Errorf("pmode: domibus: %s: reliability %s has nonRepudiation true but security %s (policy %q) does not sign: "+
			"non-repudiation of receipt needs a signed message; set nonRepudiation false or use a signing policy",
			where, rel.SelectAttr("", "name"), sec.SelectAttr("", "name"), sec.SelectAttr("", "policy"))
	}
	if ra := attr("receptionAwareness"); ra != "" {
		re, err := d.get("receptionAwareness", ra, where)
		if err != nil {
			return nil, err
		}
		l.Reliability.DuplicateDetection = domibusBool(re.SelectAttr("", "duplicateDetection"))
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
			l.Properties = append(l.Properties, PropertyDef{Name: p.SelectAttr("", "key"), Required: domibusBool(p.SelectAttr("", "required"))})
		}
	}
	l.Payload.Compress = domibusBool(attr("compressPayloads"))
	// A payloadProfile that is not defined is no profile, as in Domibus
	// (which then checks no payloads; its own samples refer to one they
	// do not define).
	if prof := d.named["payloadProfile"][strings.ToLower(attr("payloadProfile"))]; prof != nil {
		if l.Payload, err = d.payloadProfile(prof, l.Payload); err != nil {
			return nil, err
		}
	}
	if eh := attr("errorHandling"); eh != "" {
		e, err := d.get("errorHandling", eh, where)
		if err != nil {
			return nil, err
		}
		l.ErrorHandling.AsResponse = domibusBool(e.SelectAttr("", "errorAsResponse"))
	}
	return l, nil
}

// payloadProfile maps a Domibus payloadProfile. Domibus matches each part of
// a message to a distinct payload of the profile by its cid, and checks its
// MIME type when the payload names one; it checks neither sizes nor required
// payloads. Here a leg limits the number of parts and the MIME types: MaxParts
// is the number of payloads of the profile, MimeTypes their types when every
// payload names one. The cid of each part is not checked.
func (d *domibus) payloadProfile(prof *xmltree.Element, p PayloadProfile) (PayloadProfile, error) {
	where := "payloadProfile " + prof.SelectAttr("", "name")
	anyType := false
	var types []string
	for _, a := range prof.ChildrenNamed("", "attachment") {
		pl, err := d.get("payload", a.SelectAttr("", "name"), where)
		if err != nil {
			return p, err
		}
		p.MaxParts++
		mt := strings.ToLower(strings.TrimSpace(pl.SelectAttr("", "mimeType")))
		if mt == "" {
			anyType = true
		} else if !slices.Contains(types, mt) {
			types = append(types, mt)
		}
	}
	if !anyType {
		p.MimeTypes = types
	}
	return p, nil
}

// domibusBool reads a Domibus boolean attribute as JAXB does: "true" or "1",
// surrounding white space ignored.
func domibusBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}

// domibusExchange checks a process's MEP and binding values. Domibus reads
// the binding only to tell pull from push, and the MEP not at all: every leg
// of a push process, One-Way or Two-Way (push-and-push), is a message pushed
// on its own, which is what the imported One-Way/Push legs do (the ebMS
// header carries no MEP; the reply leg's eb:RefToMessageId is set by the
// backend, as with Domibus). Pull, and the bindings that pull or answer on
// the same connection, are refused: oots pushes only.
func domibusExchange(mep, binding string) error {
	switch mep {
	case domibusOneWay, domibusTwoWay:
	default:
		return fmt.Errorf("MEP %q is neither One-Way nor Two-Way", mep)
	}
	switch strings.TrimPrefix(binding, domibusCore) {
	case "push", "pushAndPush", "push-and-push":
		return nil
	case "pull", "pushAndPull", "pullAndPush", "push-and-pull", "pull-and-push":
		return fmt.Errorf("binding %q: oots has no pull (it neither sends nor answers eb:PullRequest); only push bindings are supported", binding)
	case "sync":
		return fmt.Errorf("binding %q: oots has no Two-Way/Sync (a reply user message on the HTTP response); only push bindings are supported", binding)
	}
	return fmt.Errorf("binding %q is not an ebMS3 binding (push, pushAndPush; pull is not supported)", binding)
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
	// Domibus 4 signs with signatureMethod RSA_SHA256 or RSA_SHA1; the
	// eDelivery AS4 profile, and oots, with RSA-SHA256 only.
	switch sm := sec.SelectAttr("", "signatureMethod"); strings.ToUpper(strings.TrimSpace(sm)) {
	case "", "RSA_SHA256":
	default:
		if !strings.HasPrefix(policy, "donothing") {
			return Security{}, fmt.Errorf("signatureMethod %q is not supported: oots signs and verifies with RSA-SHA256 (RSA_SHA256) only", sm)
		}
	}
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

// DomibusParty returns the party named name (ignoring case, as Domibus
// refers to parties) of a Domibus P-Mode XML configuration, with its
// identifiers (their partyIdType values) and endpoint. Only the parties are
// read: a process that ImportDomibus refuses (a pull binding, dynamic
// discovery) does not keep a partner from being taken from the file.
func DomibusParty(b []byte, name string) (*Party, error) {
	d, _, bp, err := readDomibus(b)
	if err != nil {
		return nil, err
	}
	ps, err := d.parties(bp)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if strings.EqualFold(ps[i].Name, name) {
			return &ps[i], nil
		}
	}
	return nil, fmt.Errorf("pmode: domibus: no party %q", name)
}

// readDomibus parses a Domibus P-Mode configuration and indexes its named
// elements; it returns the root and its businessProcesses.
func readDomibus(b []byte) (*domibus, *xmltree.Element, *xmltree.Element, error) {
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pmode: domibus: %w", err)
	}
	root := doc.Root
	if !root.Is(NamespaceDomibus, "configuration") {
		return nil, nil, nil, fmt.Errorf("pmode: domibus: root element %s is not {%s}configuration", root.Name, NamespaceDomibus)
	}
	d := &domibus{named: map[string]map[string]*xmltree.Element{}}
	root.Walk(func(e *xmltree.Element) bool {
		if n, ok := e.AttrValue("", "name"); ok && e != root {
			if d.named[e.Local] == nil {
				d.named[e.Local] = map[string]*xmltree.Element{}
			}
			if e.Local != "property" {
				// Domibus resolves every reference by name ignoring
				// case, except a propertyRef's property.
				n = strings.ToLower(n)
			}
			d.named[e.Local][n] = e
		}
		return true
	})
	bp := root.Child("", "businessProcesses")
	if bp == nil {
		return nil, nil, nil, fmt.Errorf("pmode: domibus: no businessProcesses")
	}
	return d, root, bp, nil
}

// parties reads the parties of businessProcesses bp, each with its
// identifiers (the value of their partyIdType) and endpoint.
func (d *domibus) parties(bp *xmltree.Element) ([]Party, error) {
	var out []Party
	ps := bp.Child("", "parties")
	if ps == nil {
		return nil, nil
	}
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
		out = append(out, party)
	}
	return out, nil
}
