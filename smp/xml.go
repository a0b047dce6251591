package smp

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/xmltree"
)

// Namespaces of the three flavours.
const (
	NamespaceSMP1 = "http://docs.oasis-open.org/bdxr/ns/SMP/2016/05"

	NamespaceSMP2ServiceGroup    = "http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceGroup"
	NamespaceSMP2ServiceMetadata = "http://docs.oasis-open.org/bdxr/ns/SMP/2/ServiceMetadata"
	NamespaceSMP2Basic           = "http://docs.oasis-open.org/bdxr/ns/SMP/2/BasicComponents"
	NamespaceSMP2Aggregate       = "http://docs.oasis-open.org/bdxr/ns/SMP/2/AggregateComponents"

	NamespacePeppol            = "http://busdox.org/serviceMetadata/publishing/1.0/"
	NamespacePeppolIdentifiers = "http://busdox.org/transport/identifiers/1.0/"
	NamespaceWSAddressing      = "http://www.w3.org/2005/08/addressing"
)

// ErrBadDocument: an SMP document that does not have the structure of its
// flavour. Decoding errors wrap it.
var ErrBadDocument = errors.New("smp: malformed SMP document")

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadDocument, fmt.Sprintf(format, a...))
}

// ---- encoding ----

// ServiceGroupElement returns the ServiceGroup document of g in flavour f.
// metadataURL gives the URL of each document type's service metadata (SMP
// 1.0 and Peppol ServiceMetadataReference href; not used by SMP 2.0).
func ServiceGroupElement(g *ServiceGroup, f Flavour, metadataURL func(ID) string) *xmltree.Element {
	switch f {
	case OASIS2:
		root := xmltree.NewElement(NamespaceSMP2ServiceGroup, "", "ServiceGroup")
		root.DeclareNS("", NamespaceSMP2ServiceGroup)
		root.DeclareNS("cbc", NamespaceSMP2Basic)
		root.DeclareNS("cac", NamespaceSMP2Aggregate)
		root.AddElement(NamespaceSMP2Basic, "cbc", "SMPVersionID").SetText("2.0")
		id2(root, "ParticipantID", g.Participant)
		for _, d := range g.DocumentTypes {
			ref := root.AddElement(NamespaceSMP2Aggregate, "cac", "ServiceReference")
			id2(ref, "ID", d)
		}
		return root
	default:
		ns, idns, idp := names(f)
		root := xmltree.NewElement(ns, "", "ServiceGroup")
		root.DeclareNS("", ns)
		if idns != ns {
			root.DeclareNS(idp, idns)
		}
		id1(root.AddElement(idns, idp, "ParticipantIdentifier"), g.Participant)
		coll := root.AddElement(ns, "", "ServiceMetadataReferenceCollection")
		for _, d := range g.DocumentTypes {
			coll.AddElement(ns, "", "ServiceMetadataReference").SetAttr("", "", "href", metadataURL(d))
		}
		return root
	}
}

// names returns the main namespace, the identifier namespace and its prefix
// of an SMP 1.0-structured flavour.
func names(f Flavour) (ns, idns, idPrefix string) {
	if f == Peppol {
		return NamespacePeppol, NamespacePeppolIdentifiers, "ids"
	}
	return NamespaceSMP1, NamespaceSMP1, ""
}

func id1(e *xmltree.Element, id ID) {
	if id.Scheme != "" {
		e.SetAttr("", "", "scheme", id.Scheme)
	}
	e.SetText(id.Value)
}

func id2(parent *xmltree.Element, local string, id ID) {
	e := parent.AddElement(NamespaceSMP2Basic, "cbc", local)
	if id.Scheme != "" {
		e.SetAttr("", "", "schemeID", id.Scheme)
	}
	e.SetText(id.Value)
}

// dateTime is the layout of an SMP 1.0 and Peppol xs:dateTime: to the
// second, with the fraction of a second when there is one (xs:dateTime
// allows any number of fractional digits), trailing zeros dropped.
const dateTime = "2006-01-02T15:04:05.999999999Z07:00"

// ServiceMetadataElement returns the unsigned service metadata document of
// m in flavour f: for SMP 1.0 and Peppol a SignedServiceMetadata element
// holding the ServiceMetadata (the signature is to be appended to it), for
// SMP 2.0 the ServiceMetadata element itself.
//
// An endpoint's Activation and Expiration are written in SMP 1.0 and
// Peppol as xs:dateTime in UTC, with their fraction of a second if any
// (to the nanosecond, trailing zeros dropped). SMP 2.0 has dates only
// (xs:date), written with their time zone, the offset from UTC of the
// Activation or Expiration itself (UTC when that offset is not whole
// minutes or more than 14 hours): an instant that starts a day there is
// written exactly (Activation as that day, Expiration as the day before,
// the last in service). Another instant cannot be said, and the endpoint
// is published as in service for less time rather than more: Activation
// as the next day, Expiration as the day before the one it falls in. So
// an endpoint active at 2026-12-06T09:00+01:00 is published with
// ActivationDate 2026-12-07+01:00, and one expiring then with
// ExpirationDate 2026-12-05+01:00. The dates of an SMP 2.0 endpoint's
// certificates (Endpoint.Certificates) and of a Redirect's (Validity)
// are written alike.
func ServiceMetadataElement(m *ServiceMetadata, f Flavour) *xmltree.Element {
	if f == OASIS2 {
		return serviceMetadata2(m)
	}
	ns, idns, idp := names(f)
	root := xmltree.NewElement(ns, "", "SignedServiceMetadata")
	root.DeclareNS("", ns)
	if idns != ns {
		root.DeclareNS(idp, idns)
	}
	if f == Peppol {
		root.DeclareNS("wsa", NamespaceWSAddressing)
	}
	sm := root.AddElement(ns, "", "ServiceMetadata")
	// A redirect of single processes (SMP 2.0) cannot be said here: those
	// processes are left out, and when all are redirected, the document
	// redirects as a whole (Validate requires them to redirect alike).
	redirect := m.Redirect
	var served []Process
	for _, p := range m.Processes {
		if p.Redirect == nil {
			served = append(served, p)
		}
	}
	if redirect == nil && len(served) == 0 && len(m.Processes) > 0 {
		redirect = m.Processes[0].Redirect
	}
	if redirect != nil {
		r := sm.AddElement(ns, "", "Redirect")
		r.SetAttr("", "", "href", redirect.URL)
		r.AddElement(ns, "", "CertificateUID").SetText(redirect.CertificateUID)
		return root
	}
	si := sm.AddElement(ns, "", "ServiceInformation")
	id1(si.AddElement(idns, idp, "ParticipantIdentifier"), m.Participant)
	id1(si.AddElement(idns, idp, "DocumentIdentifier"), m.DocumentType)
	pl := si.AddElement(ns, "", "ProcessList")
	for _, p := range served {
		pe := pl.AddElement(ns, "", "Process")
		id1(pe.AddElement(idns, idp, "ProcessIdentifier"), p.ID)
		el := pe.AddElement(ns, "", "ServiceEndpointList")
		for _, e := range p.Endpoints {
			ee := el.AddElement(ns, "", "Endpoint")
			ee.SetAttr("", "", "transportProfile", e.TransportProfile)
			if f == Peppol {
				ee.AddElement(NamespaceWSAddressing, "wsa", "EndpointReference").AddElement(NamespaceWSAddressing, "wsa", "Address").SetText(e.URL)
				ee.AddElement(ns, "", "RequireBusinessLevelSignature").SetText("false")
			} else {
				ee.AddElement(ns, "", "EndpointURI").SetText(e.URL)
			}
			if !e.Activation.IsZero() {
				ee.AddElement(ns, "", "ServiceActivationDate").SetText(e.Activation.UTC().Format(dateTime))
			}
			if !e.Expiration.IsZero() {
				ee.AddElement(ns, "", "ServiceExpirationDate").SetText(e.Expiration.UTC().Format(dateTime))
			}
			ee.AddElement(ns, "", "Certificate").SetText(base64.StdEncoding.EncodeToString(e.Certificate))
			ee.AddElement(ns, "", "ServiceDescription").SetText(e.Description)
			ee.AddElement(ns, "", "TechnicalContactUrl").SetText(e.Contact)
		}
	}
	return root
}

func serviceMetadata2(m *ServiceMetadata) *xmltree.Element {
	root := xmltree.NewElement(NamespaceSMP2ServiceMetadata, "", "ServiceMetadata")
	root.DeclareNS("", NamespaceSMP2ServiceMetadata)
	root.DeclareNS("cbc", NamespaceSMP2Basic)
	root.DeclareNS("cac", NamespaceSMP2Aggregate)
	root.AddElement(NamespaceSMP2Basic, "cbc", "SMPVersionID").SetText("2.0")
	id2(root, "ID", m.DocumentType)
	id2(root, "ParticipantID", m.Participant)
	if m.Redirect != nil {
		// The whole document redirected: one ProcessMetadata, for any
		// process.
		redirect2(root.AddElement(NamespaceSMP2Aggregate, "cac", "ProcessMetadata"), m.Redirect)
		return root
	}
	// One ProcessMetadata for each run of processes with the same
	// endpoints or the same redirect, as the reader splits it; a process
	// without identifier (any process) has one of its own, without Process.
	for i := 0; i < len(m.Processes); {
		p := m.Processes[i]
		j := i + 1
		for p.ID.Value != "" && j < len(m.Processes) && m.Processes[j].ID.Value != "" && sameService(p, m.Processes[j]) {
			j++
		}
		pm := root.AddElement(NamespaceSMP2Aggregate, "cac", "ProcessMetadata")
		for _, q := range m.Processes[i:j] {
			if q.ID.Value != "" {
				id2(pm.AddElement(NamespaceSMP2Aggregate, "cac", "Process"), "ID", q.ID)
			}
		}
		i = j
		if p.Redirect != nil {
			redirect2(pm, p.Redirect)
			continue
		}
		for _, e := range p.Endpoints {
			ee := pm.AddElement(NamespaceSMP2Aggregate, "cac", "Endpoint")
			ee.AddElement(NamespaceSMP2Basic, "cbc", "TransportProfileID").SetText(e.TransportProfile)
			if e.Description != "" {
				ee.AddElement(NamespaceSMP2Basic, "cbc", "Description").SetText(e.Description)
			}
			if e.Contact != "" {
				ee.AddElement(NamespaceSMP2Basic, "cbc", "Contact").SetText(e.Contact)
			}
			ee.AddElement(NamespaceSMP2Basic, "cbc", "AddressURI").SetText(e.URL)
			if !e.Activation.IsZero() {
				ee.AddElement(NamespaceSMP2Basic, "cbc", "ActivationDate").SetText(activationDate(e.Activation))
			}
			if !e.Expiration.IsZero() {
				ee.AddElement(NamespaceSMP2Basic, "cbc", "ExpirationDate").SetText(expirationDate(e.Expiration))
			}
			if len(e.Certificates) == 0 {
				certificate2(ee, EndpointCertificate{Type: CertificateEncryption, Certificate: e.Certificate})
			}
			for _, c := range e.Certificates {
				certificate2(ee, c)
			}
		}
	}
	return root
}

// activationDate returns the SMP 2.0 ActivationDate of an endpoint in
// service from t: the day starting at t, or if t is not the start of a
// day, the day after, so that the endpoint is never published as in
// service before t.
func activationDate(t time.Time) string {
	t = t.In(dateZone(t))
	d := startOfDay(t)
	if d.Before(t) {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(xsDateZone)
}

// expirationDate returns the SMP 2.0 ExpirationDate of an endpoint out of
// service from t: the day ending at t, or if t is not the start of a day,
// the day before the one t is in, so that the endpoint is never published
// as in service from t on.
func expirationDate(t time.Time) string {
	t = t.In(dateZone(t))
	return startOfDay(t).AddDate(0, 0, -1).Format(xsDateZone)
}

// xsDateZone is the layout of an xs:date with its time zone ("Z" for UTC).
const xsDateZone = "2006-01-02Z07:00"

// dateZone is the time zone an SMP 2.0 date of t is written in: t's own
// offset from UTC when an xs:date can carry it (whole minutes, at most 14
// hours), else UTC.
func dateZone(t time.Time) *time.Location {
	_, off := t.Zone()
	if off == 0 || off%60 != 0 || off > 14*3600 || off < -14*3600 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// redirect2 appends the SMP 2.0 Redirect of r to a ProcessMetadata.
func redirect2(pm *xmltree.Element, r *Redirect) {
	re := pm.AddElement(NamespaceSMP2Aggregate, "cac", "Redirect")
	re.AddElement(NamespaceSMP2Basic, "cbc", "PublisherURI").SetText(r.URL)
	for _, c := range r.PublishedCertificates() {
		certificate2(re, c)
	}
}

// certificate2 appends the SMP 2.0 Certificate of c to an Endpoint or a
// Redirect: its TypeCode and Description when given, its dates (written
// as an endpoint's, activationDate and expirationDate) and the
// certificate, in the order of the schema.
func certificate2(parent *xmltree.Element, c EndpointCertificate) {
	ce := parent.AddElement(NamespaceSMP2Aggregate, "cac", "Certificate")
	if c.Type != "" {
		ce.AddElement(NamespaceSMP2Basic, "cbc", "TypeCode").SetText(c.Type)
	}
	if c.Description != "" {
		ce.AddElement(NamespaceSMP2Basic, "cbc", "Description").SetText(c.Description)
	}
	if !c.Activation.IsZero() {
		ce.AddElement(NamespaceSMP2Basic, "cbc", "ActivationDate").SetText(activationDate(c.Activation))
	}
	if !c.Expiration.IsZero() {
		ce.AddElement(NamespaceSMP2Basic, "cbc", "ExpirationDate").SetText(expirationDate(c.Expiration))
	}
	b := ce.AddElement(NamespaceSMP2Basic, "cbc", "ContentBinaryObject")
	b.SetAttr("", "", "mimeCode", cmp.Or(c.MimeCode, MimeCodeDefault))
	b.SetText(base64.StdEncoding.EncodeToString(c.Certificate))
}

// decodeCertificate2 reads an SMP 2.0 Certificate of an Endpoint or a
// Redirect: its TypeCode, Description, dates (decodeDate), certificate and
// the certificate's mimeCode.
//
// The mimeCode is required (udt:BinaryObjectType, mimeCode
// use="required": "the mime type of the binary object"), and a
// ContentBinaryObject without it, or with an empty one, is refused, as a
// document without another part the schema requires (cbc:PublisherURI,
// cbc:AddressURI): read as none, it would be written with MimeCodeDefault
// (certificate2), so that the document written back would not be the one
// read.
func decodeCertificate2(ce *xmltree.Element) (EndpointCertificate, error) {
	der, err := decodeCert(text(ce, NamespaceSMP2Basic, "ContentBinaryObject"))
	if err != nil {
		return EndpointCertificate{}, err
	}
	c := EndpointCertificate{Type: text(ce, NamespaceSMP2Basic, "TypeCode"), Description: text(ce, NamespaceSMP2Basic, "Description"), Certificate: der}
	// A certificate was decoded: there is a ContentBinaryObject.
	mimeCode, ok := ce.Child(NamespaceSMP2Basic, "ContentBinaryObject").AttrValue("", "mimeCode")
	switch c.MimeCode = strings.TrimSpace(mimeCode); {
	case !ok:
		return EndpointCertificate{}, bad("cbc:ContentBinaryObject without the attribute mimeCode, which the SMP 2.0 schema requires (udt:BinaryObjectType)")
	case c.MimeCode == "":
		return EndpointCertificate{}, bad("cbc:ContentBinaryObject with an empty mimeCode, not a media type")
	}
	if c.Activation, err = decodeDate("cbc:ActivationDate", text(ce, NamespaceSMP2Basic, "ActivationDate"), false); err != nil {
		return EndpointCertificate{}, err
	}
	if c.Expiration, err = decodeDate("cbc:ExpirationDate", text(ce, NamespaceSMP2Basic, "ExpirationDate"), true); err != nil {
		return EndpointCertificate{}, err
	}
	return c, nil
}

// sameService reports whether two processes have the same redirect, or
// the same endpoints (written alike), so that one SMP 2.0 ProcessMetadata
// serves both.
func sameService(a, b Process) bool {
	if a.Redirect != nil || b.Redirect != nil {
		return a.Redirect.equal(b.Redirect)
	}
	return slices.EqualFunc(a.Endpoints, b.Endpoints, func(x, y Endpoint) bool {
		return x.TransportProfile == y.TransportProfile && x.URL == y.URL && bytes.Equal(x.Certificate, y.Certificate) &&
			x.Description == y.Description && x.Contact == y.Contact && sameInstant(x.Activation, y.Activation) && sameInstant(x.Expiration, y.Expiration) &&
			slices.EqualFunc(x.Certificates, y.Certificates, func(c, d EndpointCertificate) bool {
				return c.Type == d.Type && c.Description == d.Description && c.MimeCode == d.MimeCode && bytes.Equal(c.Certificate, d.Certificate) &&
					sameInstant(c.Activation, d.Activation) && sameInstant(c.Expiration, d.Expiration)
			})
	})
}

// sameInstant reports whether two times are the same instant with the same
// offset from UTC.
func sameInstant(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo
}

// ---- decoding ----

// decodeServiceGroup reads a ServiceGroup element of any flavour.
func decodeServiceGroup(root *xmltree.Element) (*ServiceGroup, Flavour, error) {
	g := &ServiceGroup{}
	switch {
	case root.Is(NamespaceSMP2ServiceGroup, "ServiceGroup"):
		if err := version2(root); err != nil {
			return nil, "", err
		}
		var err error
		if g.Participant, err = one2(root, "ParticipantID"); err != nil {
			return nil, "", err
		}
		for _, ref := range root.ChildrenNamed(NamespaceSMP2Aggregate, "ServiceReference") {
			d, err := one2(ref, "ID")
			if err != nil {
				return nil, "", err
			}
			g.DocumentTypes = append(g.DocumentTypes, d)
		}
		return g, OASIS2, nil
	case root.Is(NamespaceSMP1, "ServiceGroup"), root.Is(NamespacePeppol, "ServiceGroup"):
		f := flavourOf(root.Space)
		ns, idns, _ := names(f)
		var err error
		if g.Participant, err = one1(root, idns, "ParticipantIdentifier"); err != nil {
			return nil, "", err
		}
		coll := root.Child(ns, "ServiceMetadataReferenceCollection")
		if coll == nil {
			return nil, "", bad("ServiceGroup without ServiceMetadataReferenceCollection")
		}
		for _, ref := range coll.ChildrenNamed(ns, "ServiceMetadataReference") {
			d, err := docFromHref(ref.SelectAttr("", "href"))
			if err != nil {
				return nil, "", err
			}
			g.DocumentTypes = append(g.DocumentTypes, d)
		}
		return g, f, nil
	}
	return nil, "", bad("the document element is %s, not an SMP ServiceGroup", root.Name)
}

func flavourOf(space string) Flavour {
	if space == NamespacePeppol {
		return Peppol
	}
	return OASIS1
}

// docFromHref takes the document type identifier from the last path
// segment of a ServiceMetadataReference href (…/services/{documentType}).
func docFromHref(href string) (ID, error) {
	i := strings.LastIndex(href, "/services/")
	if i < 0 {
		return ID{}, bad("ServiceMetadataReference href %q has no /services/ segment", href)
	}
	seg := href[i+len("/services/"):]
	s, err := unescapeSegment(seg)
	if err != nil {
		return ID{}, bad("ServiceMetadataReference href %q: %v", href, err)
	}
	id, err := ParseID(s)
	if err != nil {
		return ID{}, bad("ServiceMetadataReference href %q: %v", href, err)
	}
	return id, nil
}

func version2(root *xmltree.Element) error {
	v := root.Child(NamespaceSMP2Basic, "SMPVersionID")
	if v == nil || strings.TrimSpace(v.Text()) != "2.0" {
		return bad("%s without SMPVersionID 2.0", root.Local)
	}
	return nil
}

// one1 reads the single identifier element local (SMP 1.0 form: a scheme
// attribute and the value as text).
func one1(parent *xmltree.Element, ns, local string) (ID, error) {
	es := parent.ChildrenNamed(ns, local)
	if len(es) != 1 {
		return ID{}, bad("%s has %d %s elements (one expected)", parent.Local, len(es), local)
	}
	id := ID{Scheme: strings.TrimSpace(es[0].SelectAttr("", "scheme")), Value: strings.TrimSpace(es[0].Text())}
	if id.Value == "" {
		return ID{}, bad("%s is empty", local)
	}
	return id, nil
}

// one2 reads the single cbc identifier element local (schemeID attribute).
func one2(parent *xmltree.Element, local string) (ID, error) {
	es := parent.ChildrenNamed(NamespaceSMP2Basic, local)
	if len(es) != 1 {
		return ID{}, bad("%s has %d cbc:%s elements (one expected)", parent.Local, len(es), local)
	}
	id := ID{Scheme: strings.TrimSpace(es[0].SelectAttr("", "schemeID")), Value: strings.TrimSpace(es[0].Text())}
	if id.Value == "" {
		return ID{}, bad("cbc:%s is empty", local)
	}
	return id, nil
}

func text(parent *xmltree.Element, ns, local string) string {
	if e := parent.Child(ns, local); e != nil {
		return strings.TrimSpace(e.Text())
	}
	return ""
}

func decodeCert(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, bad("certificate is not base64")
	}
	return b, nil
}

// decodeTime reads an SMP 1.0 or Peppol ServiceActivationDate (end false)
// or ServiceExpirationDate (end true), an xs:dateTime: the instant it
// names, in UTC without a time zone (hour 24, 24:00:00, is the start of
// the next day, as XML Schema has it). A date without a time, which the
// schema does not allow but some SMPs publish, is read as an SMP 2.0 date
// (decodeDate).
func decodeTime(local, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if !strings.Contains(s, "T") {
		return decodeDate(local, s, end)
	}
	// XML Schema lets the hour be 24 with no minute, second or fraction
	// of one: the first instant of the next day.
	v, midnight := s, false
	if len(s) >= 19 && s[10:19] == "T24:00:00" {
		rest := s[19:]
		if strings.HasPrefix(rest, ".") {
			rest = strings.TrimLeft(rest[1:], "0")
		}
		if rest == "" || rest == "Z" || rest[0] == '+' || rest[0] == '-' {
			v, midnight = s[:10]+"T00:00:00"+s[19:], true
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			if midnight {
				t = t.AddDate(0, 0, 1)
			}
			return t, nil
		}
	}
	return time.Time{}, bad("%s %q is not an xs:dateTime (YYYY-MM-DDThh:mm:ss, optionally with a time zone)", local, s)
}

// decodeDate reads an SMP 2.0 ActivationDate (end false) or ExpirationDate
// (end true), an xs:date: YYYY-MM-DD, optionally followed by its time
// zone, Z or ±hh:mm; without one, the date is taken in UTC. An endpoint is
// in service from the start of its activation date and during all of its
// expiration date: the activation date reads as the first instant of that
// day, the expiration date as the first instant of the day after, when the
// endpoint is out of service (Endpoint.Expiration).
func decodeDate(local, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	fail := func(why string) (time.Time, error) {
		return time.Time{}, bad("%s %q is not an xs:date (YYYY-MM-DD, optionally followed by Z or ±hh:mm): %s", local, s, why)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return fail("not of the form YYYY-MM-DD")
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	switch {
	case !ok1 || !ok2 || !ok3:
		return fail("not of the form YYYY-MM-DD")
	case year == 0:
		return fail("there is no year 0000")
	case month < 1 || month > 12:
		return fail("no month " + s[5:7])
	}
	loc := time.UTC
	switch zone := s[10:]; {
	case zone == "" || zone == "Z":
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':':
		h, okh := digits(zone[1:3])
		m, okm := digits(zone[4:6])
		if !okh || !okm || m > 59 || h*60+m > 14*60 {
			return fail("the time zone " + zone + " is not within ±14:00")
		}
		off := (h*60 + m) * 60
		if zone[0] == '-' {
			off = -off
		}
		if off != 0 {
			loc = time.FixedZone("", off)
		}
	default:
		return fail("the time zone " + zone + " is not Z or ±hh:mm")
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, loc)
	if t.Day() != day {
		return fail(fmt.Sprintf("%s has no day %d", time.Month(month), day))
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// digits reads a string of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, s != ""
}

// decodeServiceMetadata reads service metadata of any flavour: an SMP 1.0
// or Peppol SignedServiceMetadata or ServiceMetadata element, or an SMP 2.0
// ServiceMetadata element. Signatures are ignored: the caller verifies
// first and passes the verified element.
func decodeServiceMetadata(root *xmltree.Element) (*ServiceMetadata, Flavour, error) {
	if root.Is(NamespaceSMP2ServiceMetadata, "ServiceMetadata") {
		m, err := decodeServiceMetadata2(root)
		return m, OASIS2, err
	}
	var sm *xmltree.Element
	switch {
	case root.Is(NamespaceSMP1, "SignedServiceMetadata"), root.Is(NamespacePeppol, "SignedServiceMetadata"):
		if sm = root.Child(root.Space, "ServiceMetadata"); sm == nil {
			return nil, "", bad("SignedServiceMetadata without ServiceMetadata")
		}
	case root.Is(NamespaceSMP1, "ServiceMetadata"), root.Is(NamespacePeppol, "ServiceMetadata"):
		sm = root
	default:
		return nil, "", bad("the document element is %s, not SMP service metadata", root.Name)
	}
	f := flavourOf(root.Space)
	ns, idns, _ := names(f)
	m := &ServiceMetadata{}
	if r := sm.Child(ns, "Redirect"); r != nil {
		m.Redirect = &Redirect{URL: r.SelectAttr("", "href"), CertificateUID: text(r, ns, "CertificateUID")}
		return m, f, nil
	}
	si := sm.Child(ns, "ServiceInformation")
	if si == nil {
		return nil, "", bad("ServiceMetadata has neither ServiceInformation nor Redirect")
	}
	var err error
	if m.Participant, err = one1(si, idns, "ParticipantIdentifier"); err != nil {
		return nil, "", err
	}
	if m.DocumentType, err = one1(si, idns, "DocumentIdentifier"); err != nil {
		return nil, "", err
	}
	pl := si.Child(ns, "ProcessList")
	if pl == nil {
		return nil, "", bad("ServiceInformation without ProcessList")
	}
	for _, pe := range pl.ChildrenNamed(ns, "Process") {
		var p Process
		if p.ID, err = one1(pe, idns, "ProcessIdentifier"); err != nil {
			return nil, "", err
		}
		el := pe.Child(ns, "ServiceEndpointList")
		if el == nil {
			return nil, "", bad("process %s without ServiceEndpointList", p.ID)
		}
		for _, ee := range el.ChildrenNamed(ns, "Endpoint") {
			e := Endpoint{TransportProfile: strings.TrimSpace(ee.SelectAttr("", "transportProfile"))}
			if f == Peppol {
				if er := ee.Child(NamespaceWSAddressing, "EndpointReference"); er != nil {
					e.URL = text(er, NamespaceWSAddressing, "Address")
				}
			} else {
				e.URL = text(ee, ns, "EndpointURI")
			}
			if e.URL == "" {
				return nil, "", bad("an endpoint of process %s has no address", p.ID)
			}
			// An empty Certificate is valid xs:base64Binary; it is read
			// as none, and a client refuses such an endpoint.
			if c := text(ee, ns, "Certificate"); c != "" {
				if e.Certificate, err = decodeCert(c); err != nil {
					return nil, "", fmt.Errorf("endpoint %s: %w", e.URL, err)
				}
			}
			if e.Activation, err = decodeTime("ServiceActivationDate", text(ee, ns, "ServiceActivationDate"), false); err != nil {
				return nil, "", err
			}
			if e.Expiration, err = decodeTime("ServiceExpirationDate", text(ee, ns, "ServiceExpirationDate"), true); err != nil {
				return nil, "", err
			}
			e.Description = text(ee, ns, "ServiceDescription")
			e.Contact = text(ee, ns, "TechnicalContactUrl")
			p.Endpoints = append(p.Endpoints, e)
		}
		m.Processes = append(m.Processes, p)
	}
	return m, f, nil
}

func decodeServiceMetadata2(root *xmltree.Element) (*ServiceMetadata, error) {
	if err := version2(root); err != nil {
		return nil, err
	}
	m := &ServiceMetadata{}
	var err error
	if m.DocumentType, err = one2(root, "ID"); err != nil {
		return nil, err
	}
	if m.Participant, err = one2(root, "ParticipantID"); err != nil {
		return nil, err
	}
	pms := root.ChildrenNamed(NamespaceSMP2Aggregate, "ProcessMetadata")
	if len(pms) == 0 {
		return nil, bad("ServiceMetadata without ProcessMetadata")
	}
	// What each process (the empty ID: any process) has been given so
	// far: endpoints, or a redirect. A process may be listed again with
	// more endpoints, not with endpoints and a redirect.
	type given struct {
		endpoints bool
		redirect  *Redirect
	}
	byProcess := map[ID]*given{}
	for n, pm := range pms {
		var ids []ID
		for _, pe := range pm.ChildrenNamed(NamespaceSMP2Aggregate, "Process") {
			id, err := one2(pe, "ID")
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		redirects := pm.ChildrenNamed(NamespaceSMP2Aggregate, "Redirect")
		endpoints := pm.ChildrenNamed(NamespaceSMP2Aggregate, "Endpoint")
		switch {
		case len(redirects) > 1:
			return nil, bad("ProcessMetadata %d has %d cac:Redirect elements (one at most)", n+1, len(redirects))
		case len(redirects) == 1 && len(endpoints) > 0:
			return nil, bad("ProcessMetadata %d has both cac:Endpoint and cac:Redirect elements (one or the other)", n+1)
		}
		var r *Redirect
		var eps []Endpoint
		if len(redirects) == 1 {
			if r, err = decodeRedirect2(redirects[0]); err != nil {
				return nil, err
			}
			if len(pms) == 1 && len(ids) == 0 {
				// The one ProcessMetadata, for any process: the whole
				// document redirects.
				m.Redirect = r
				return m, nil
			}
		} else if eps, err = decodeEndpoints2(endpoints); err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			// No process: for any process of the document type (SMP 2.0
			// ProcessMetadata: Process 0..n).
			ids = []ID{{}}
		}
		for _, id := range ids {
			g := byProcess[id]
			if g == nil {
				g = &given{}
				byProcess[id] = g
			}
			name := "process " + id.String()
			if id.Value == "" {
				name = "any process (a ProcessMetadata without Process)"
			}
			switch {
			case r != nil && g.endpoints, r == nil && g.redirect != nil:
				return nil, bad("%s has endpoints in one ProcessMetadata and a redirect in another", name)
			case r != nil && g.redirect != nil && !g.redirect.equal(r) && g.redirect.URL == r.URL:
				return nil, bad("%s has two redirects to %s that differ in their certificates, their dates, their mimeCodes, their TypeCodes or their descriptions", name, r.URL)
			case r != nil && g.redirect != nil && !g.redirect.equal(r):
				return nil, bad("%s has two redirects, to %s and to %s", name, g.redirect.URL, r.URL)
			case r != nil:
				g.redirect = r
			default:
				g.endpoints = true
			}
			m.Processes = append(m.Processes, Process{ID: id, Endpoints: eps, Redirect: r})
		}
	}
	return m, nil
}

// decodeRedirect2 reads an SMP 2.0 Redirect.
func decodeRedirect2(re *xmltree.Element) (*Redirect, error) {
	r := &Redirect{URL: text(re, NamespaceSMP2Basic, "PublisherURI")}
	if r.URL == "" {
		return nil, bad("cac:Redirect without cbc:PublisherURI")
	}
	// Every certificate is kept: the other SMP may sign with any of them
	// (a key roll-over), each within the dates published, if any, with its
	// mimeCode and TypeCode, if any is not the default
	// (Redirect.MimeCodes, Redirect.Types), and its description, if any.
	var dated, mimeCoded, typed, described bool
	for i, ce := range re.ChildrenNamed(NamespaceSMP2Aggregate, "Certificate") {
		c, err := decodeCertificate2(ce)
		if err != nil {
			return nil, fmt.Errorf("redirect to %s, certificate %d: %w", r.URL, i+1, err)
		}
		v := c.validity()
		r.Certificates = append(r.Certificates, c.Certificate)
		r.Validity = append(r.Validity, v)
		r.MimeCodes = append(r.MimeCodes, c.MimeCode)
		r.Types = append(r.Types, c.Type)
		r.Descriptions = append(r.Descriptions, c.Description)
		dated = dated || !v.Activation.IsZero() || !v.Expiration.IsZero()
		mimeCoded = mimeCoded || c.MimeCode != MimeCodeDefault
		typed = typed || c.Type != "" && c.Type != CertificateSigning
		described = described || c.Description != ""
	}
	if !dated {
		r.Validity = nil
	}
	if !mimeCoded {
		r.MimeCodes = nil
	}
	if !typed {
		r.Types = nil
	}
	for i, t := range r.Types {
		// Without TypeCode beside one of another: as it is written.
		if t == "" {
			r.Types[i] = CertificateSigning
		}
	}
	if !described {
		r.Descriptions = nil
	}
	return r, nil
}

// decodeEndpoints2 reads the SMP 2.0 Endpoint elements of a
// ProcessMetadata.
func decodeEndpoints2(ees []*xmltree.Element) ([]Endpoint, error) {
	var eps []Endpoint
	for _, ee := range ees {
		e := Endpoint{
			TransportProfile: text(ee, NamespaceSMP2Basic, "TransportProfileID"),
			URL:              text(ee, NamespaceSMP2Basic, "AddressURI"),
			Description:      text(ee, NamespaceSMP2Basic, "Description"),
			Contact:          text(ee, NamespaceSMP2Basic, "Contact"),
		}
		if e.URL == "" {
			return nil, bad("an endpoint (%s) has no cbc:AddressURI", e.TransportProfile)
		}
		var err error
		if e.Activation, err = decodeDate("cbc:ActivationDate", text(ee, NamespaceSMP2Basic, "ActivationDate"), false); err != nil {
			return nil, err
		}
		if e.Expiration, err = decodeDate("cbc:ExpirationDate", text(ee, NamespaceSMP2Basic, "ExpirationDate"), true); err != nil {
			return nil, err
		}
		// Every certificate is kept, with its use and dates: a lookup
		// selects the one in use (Endpoint.CertificateAt). Certificate is
		// the first for encryption, else the first one.
		certs := ee.ChildrenNamed(NamespaceSMP2Aggregate, "Certificate")
		if len(certs) == 0 {
			return nil, bad("endpoint %s has no cac:Certificate", e.URL)
		}
		for i, ce := range certs {
			c, err := decodeCertificate2(ce)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s, certificate %d: %w", e.URL, i+1, err)
			}
			e.Certificates = append(e.Certificates, c)
			if e.Certificate == nil && strings.EqualFold(c.Type, CertificateEncryption) {
				e.Certificate = c.Certificate
			}
		}
		if e.Certificate == nil {
			e.Certificate = e.Certificates[0].Certificate
		}
		if c := e.Certificates[0]; len(e.Certificates) == 1 && c.Type == CertificateEncryption && c.Description == "" && c.Activation.IsZero() && c.Expiration.IsZero() &&
			c.MimeCode == MimeCodeDefault {
			// One encryption certificate without description or dates,
			// of the default mimeCode: as Certificate alone is written.
			e.Certificates = nil
		}
		eps = append(eps, e)
	}
	return eps, nil
}
