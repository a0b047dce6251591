package saml

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// nodeMetadata is what a node's metadata (or its configuration) gives.
type nodeMetadata struct {
	ssoURL  string
	binding Binding
	certs   []*x509.Certificate
	expires time.Time // zero: from the configuration, never
	// validUntil is the metadata's own end of validity (zero: none).
	validUntil time.Time
}

// nodeMeta returns the node's endpoints and keys: from the configuration,
// or from its metadata, fetched at the first use and again after
// MetadataRefresh or at its validUntil, whichever comes first.
func (a *Authenticator) nodeMeta(ctx context.Context, cc string) (*nodeMetadata, error) {
	n, ok := a.cfg.Nodes[cc]
	if !ok {
		return nil, fmt.Errorf("no eIDAS node for %q", cc)
	}
	if n.MetadataURL == "" {
		b := n.Binding
		if b == "" {
			b = POST
		}
		return &nodeMetadata{ssoURL: n.SSOURL, binding: b, certs: n.Certificates}, nil
	}
	now := a.cfg.Now()
	a.mu.Lock()
	md := a.meta[cc]
	a.mu.Unlock()
	if md != nil && now.Before(md.expires) {
		return md, nil
	}
	fresh, err := a.fetchMetadata(ctx, &n, now)
	if err != nil {
		if md != nil && (md.validUntil.IsZero() || now.Before(md.validUntil)) {
			// A node briefly unreachable keeps working on the
			// metadata we have, within its validUntil.
			a.cfg.Logger.Warn("saml: refreshing node metadata", "country", cc, logError, err)
			return md, nil
		}
		return nil, err
	}
	a.mu.Lock()
	a.meta[cc] = fresh
	a.mu.Unlock()
	return fresh, nil
}

func (a *Authenticator) nodeCerts(ctx context.Context, cc string) ([]*x509.Certificate, error) {
	md, err := a.nodeMeta(ctx, cc)
	if err != nil {
		return nil, err
	}
	return md.certs, nil
}

// fetchMetadata gets the node's metadata, bounded by MaxResponse and the
// client's timeout, and verifies it.
func (a *Authenticator) fetchMetadata(ctx context.Context, n *Node, now time.Time) (*nodeMetadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.MetadataURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", n.EntityID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metadata of %s: HTTP %s", n.EntityID, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, a.cfg.MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", n.EntityID, err)
	}
	if int64(len(b)) > a.cfg.MaxResponse {
		return nil, fmt.Errorf("metadata of %s: more than %d octets", n.EntityID, a.cfg.MaxResponse)
	}
	md, err := parseNodeMetadata(b, n, now, a.cfg.MaxResponse)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", n.EntityID, err)
	}
	if refresh := now.Add(a.cfg.MetadataRefresh); md.expires.IsZero() || refresh.Before(md.expires) {
		md.expires = refresh
	}
	return md, nil
}

// ErrMetadata is wrapped by every refusal of a node's metadata.
var ErrMetadata = errors.New("unusable node metadata")

// parseNodeMetadata verifies a node's md:EntityDescriptor (SAML 2.0
// Metadata §2.3.2, signed as eIDAS Interoperability Architecture §6 wants):
// its enveloped signature by the key of n.Anchor, its entityID, its
// validUntil; it returns the IdP's signing certificates and single sign-on
// endpoint, read from the verified copy only.
//
// The metadata may also be an md:EntitiesDescriptor (§2.3.1), as a
// federation publishes its members' metadata together: signed as a whole
// by the anchor's key, or else the node's md:EntityDescriptor in it signed
// by itself (§3.1: a signature on an enclosing element covers those it
// holds). The node's is the one descriptor, at any depth, whose entityID
// is n.EntityID; the earliest validUntil of it and of the descriptors
// around it is the metadata's.
func parseNodeMetadata(b []byte, n *Node, now time.Time, max int64) (*nodeMetadata, error) {
	doc, err := xmltree.ParseBytes(b, &xmltree.Limits{MaxBytes: max, MaxDepth: 32, MaxElements: 5000, MaxAttrs: 64})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	if !doc.Root.Is(NSMetadata, "EntityDescriptor") && !doc.Root.Is(NSMetadata, "EntitiesDescriptor") {
		return nil, fmt.Errorf("%w: the document is a %s, not an md:EntityDescriptor or md:EntitiesDescriptor", ErrMetadata, doc.Root.Name)
	}
	if n.Anchor == nil {
		return nil, fmt.Errorf("%w: no anchor to verify it with", ErrMetadata)
	}
	verify := func(e *xmltree.Element) (*xmltree.Element, error) {
		v, _, err := xmldsig.VerifyEnvelopedID(e, "ID", &signaturePolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) {
			return n.Anchor.PublicKey, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%w: signature: %w", ErrMetadata, err)
		}
		return v, nil
	}
	var ed *xmltree.Element
	var around []*xmltree.Element // the md:EntitiesDescriptor around ed, verified
	if doc.Root.Is(NSMetadata, "EntityDescriptor") {
		if ed, err = verify(doc.Root); err != nil {
			return nil, err
		}
	} else if doc.Root.Child(xmldsig.Namespace, "Signature") != nil {
		root, err := verify(doc.Root)
		if err != nil {
			return nil, err
		}
		if ed, around, err = findEntity(root, n.EntityID); err != nil {
			return nil, err
		}
	} else {
		// The aggregate unsigned: the node's own descriptor must be,
		// and only what was verified is used. The descriptors around it
		// are read for their validUntil alone.
		unverified, parents, err := findEntity(doc.Root, n.EntityID)
		if err != nil {
			return nil, err
		}
		if unverified.Child(xmldsig.Namespace, "Signature") == nil {
			return nil, fmt.Errorf("%w: neither the md:EntitiesDescriptor nor the md:EntityDescriptor of %s is signed", ErrMetadata, n.EntityID)
		}
		if ed, err = verify(unverified); err != nil {
			return nil, err
		}
		around = parents
	}
	if got := ed.SelectAttr("", "entityID"); got != n.EntityID {
		return nil, fmt.Errorf("%w: entityID %q, not %q", ErrMetadata, got, n.EntityID)
	}
	md := &nodeMetadata{}
	for _, e := range append(around, ed) {
		vu, err := parseTime(e, "validUntil", false)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
		}
		if vu.IsZero() {
			continue
		}
		if !now.Before(vu) {
			return nil, fmt.Errorf("%w: valid until %s only", ErrMetadata, vu.Format(time.RFC3339))
		}
		if md.validUntil.IsZero() || vu.Before(md.validUntil) {
			md.expires, md.validUntil = vu, vu
		}
	}
	idps := ed.ChildrenNamed(NSMetadata, "IDPSSODescriptor")
	if len(idps) != 1 {
		return nil, fmt.Errorf("%w: %d IDPSSODescriptor (one expected)", ErrMetadata, len(idps))
	}
	for _, kd := range idps[0].ChildrenNamed(NSMetadata, "KeyDescriptor") {
		if use := kd.SelectAttr("", "use"); use != "" && use != "signing" {
			continue
		}
		c, err := keyDescriptorCert(kd)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
		}
		md.certs = append(md.certs, c)
	}
	if len(md.certs) == 0 {
		return nil, fmt.Errorf("%w: no signing certificate", ErrMetadata)
	}
	want := n.Binding
	if want == "" {
		want = POST
	}
	for _, sso := range idps[0].ChildrenNamed(NSMetadata, "SingleSignOnService") {
		b := Binding(sso.SelectAttr("", "Binding"))
		if b == want || (md.ssoURL == "" && (b == POST || b == Redirect)) {
			md.ssoURL, md.binding = sso.SelectAttr("", "Location"), b
		}
	}
	if md.ssoURL == "" {
		return nil, fmt.Errorf("%w: no SingleSignOnService by HTTP-POST or HTTP-Redirect", ErrMetadata)
	}
	return md, nil
}

// findEntity finds in the md:EntitiesDescriptor root the one
// md:EntityDescriptor whose entityID is id, at any depth, and the
// md:EntitiesDescriptor elements around it, outermost first.
func findEntity(root *xmltree.Element, id string) (*xmltree.Element, []*xmltree.Element, error) {
	var found *xmltree.Element
	var around []*xmltree.Element
	count := 0
	var walk func(e *xmltree.Element, path []*xmltree.Element)
	walk = func(e *xmltree.Element, path []*xmltree.Element) {
		path = append(path, e)
		for _, c := range e.ChildrenNamed(NSMetadata, "EntityDescriptor") {
			if c.SelectAttr("", "entityID") == id {
				count++
				found, around = c, slices.Clone(path)
			}
		}
		for _, c := range e.ChildrenNamed(NSMetadata, "EntitiesDescriptor") {
			walk(c, path)
		}
	}
	walk(root, nil)
	switch count {
	case 0:
		return nil, nil, fmt.Errorf("%w: no md:EntityDescriptor of %s in the md:EntitiesDescriptor", ErrMetadata, id)
	case 1:
		return found, around, nil
	}
	return nil, nil, fmt.Errorf("%w: %d md:EntityDescriptor of %s in the md:EntitiesDescriptor (one expected)", ErrMetadata, count, id)
}

// keyDescriptorCert reads ds:KeyInfo/ds:X509Data/ds:X509Certificate.
func keyDescriptorCert(kd *xmltree.Element) (*x509.Certificate, error) {
	ki := kd.Child(xmldsig.Namespace, "KeyInfo")
	if ki == nil {
		return nil, errors.New("KeyDescriptor without ds:KeyInfo")
	}
	xd := ki.Child(xmldsig.Namespace, "X509Data")
	if xd == nil {
		return nil, errors.New("KeyDescriptor without ds:X509Data")
	}
	xc := xd.Child(xmldsig.Namespace, "X509Certificate")
	if xc == nil {
		return nil, errors.New("KeyDescriptor without ds:X509Certificate")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("X509Certificate is not base64: %w", err)
	}
	return x509.ParseCertificate(der)
}

// Metadata returns our signed metadata (SAML 2.0 Metadata §2.4.4, eIDAS
// SAML Message Format §2.1): the SP's signing and encryption certificates,
// the assertion consumer service by HTTP-POST, the SPType, valid for a day.
func (a *Authenticator) Metadata() ([]byte, error) {
	now := a.cfg.Now().UTC()
	ed := xmltree.NewElement(NSMetadata, "md", "EntityDescriptor")
	ed.DeclareNS("md", NSMetadata)
	ed.DeclareNS("ds", xmldsig.Namespace)
	ed.DeclareNS("eidas", NSEIDAS)
	id, err := a.random()
	if err != nil {
		return nil, err
	}
	id = "_" + id
	ed.SetAttr("", "", "ID", id)
	ed.SetAttr("", "", "entityID", a.cfg.EntityID)
	ed.SetAttr("", "", "validUntil", now.Add(24*time.Hour).Format(timeFormat))
	ext := ed.AddElement(NSMetadata, "md", "Extensions")
	ext.AddElement(NSEIDAS, "eidas", "SPType").SetText(a.cfg.SPType)
	if a.cfg.Country != "" {
		ext.AddElement(NSEIDAS, "eidas", "SPCountry").SetText(a.cfg.Country)
	}
	sp := ed.AddElement(NSMetadata, "md", "SPSSODescriptor")
	sp.SetAttr("", "", "AuthnRequestsSigned", "true")
	sp.SetAttr("", "", "WantAssertionsSigned", "true")
	sp.SetAttr("", "", "protocolSupportEnumeration", NSProtocol)
	for _, k := range []struct {
		use  string
		cert *x509.Certificate
	}{{"signing", a.cfg.SigningCert}, {"encryption", a.cfg.EncryptionCert}} {
		kd := sp.AddElement(NSMetadata, "md", "KeyDescriptor")
		kd.SetAttr("", "", "use", k.use)
		kd.AddElement(xmldsig.Namespace, "ds", "KeyInfo").AddElement(xmldsig.Namespace, "ds", "X509Data").
			AddElement(xmldsig.Namespace, "ds", "X509Certificate").SetText(base64.StdEncoding.EncodeToString(k.cert.Raw))
		if k.use == "encryption" {
			for _, m := range []xmlenc.Algorithm{xmlenc.AES256GCM, xmlenc.AES128GCM} {
				kd.AddElement(NSMetadata, "md", "EncryptionMethod").SetAttr("", "", "Algorithm", string(m))
			}
		}
	}
	sp.AddElement(NSMetadata, "md", "NameIDFormat").SetText(NameIDPersistent)
	acs := sp.AddElement(NSMetadata, "md", "AssertionConsumerService")
	acs.SetAttr("", "", "Binding", string(POST))
	acs.SetAttr("", "", "Location", a.acsURL)
	acs.SetAttr("", "", "index", "0")
	acs.SetAttr("", "", "isDefault", "true")
	if err := a.sign(ed, id, nil); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := xmltree.WriteElement(&buf, ed, xmltree.WriteOptions{}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (a *Authenticator) metadataHandler(w http.ResponseWriter, r *http.Request) {
	b, err := a.Metadata()
	if err != nil {
		a.cfg.Logger.Error("saml: metadata", logError, err)
		http.Error(w, "cannot make the metadata", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(b)
}
