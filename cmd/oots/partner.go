package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/durable"
	"github.com/oots-go/oots/pki"
)

// Bounds of the files oots partner add reads.
const (
	maxPartnerFile  = 1 << 20 // a certificate bundle or a Domibus P-Mode export
	maxPartnerCerts = 16      // certificates in the bundles of one partner
)

// partner is what oots partner add adds: a party, its certificates and the
// anchors its certificates chain to.
type partner struct {
	party        pmode.Party
	role         string // requester, provider or both
	sign, enc    *x509.Certificate
	anchors      []*x509.Certificate
	intermediate []*x509.Certificate
}

// runPartner manages the partners of a node made by oots init:
//
//	oots partner add -config oots.yaml -name AP_DE_01 -endpoint URL -cert AP_DE_01.partner.pem
//	                 [-role both|requester|provider] [-id TYPE::VALUE]
//	oots partner add -config oots.yaml -domibus pmode-export.xml -party NAME -cert FILE
//
// The certificate files hold the partner's signing certificate, its
// encryption certificate when it has another (eDelivery AS4 2.0), and
// optionally the CA certificates they chain to (as oots init's NAME.partner.pem
// does): the leaves are copied to partners/, CA certificates are appended to
// the node's first trust file. With -domibus the party's identifiers and
// endpoint come from a Domibus P-Mode export (a Domibus P-Mode holds no
// certificates: -cert is still required). The partner is listed in the
// P-Mode's parties and on the legs by its role: a provider answers this
// node's requests (responder of ExecuteQueryRequest, initiator of
// ExecuteQueryResponse), a requester the other way round, both on every
// side. The P-Mode's comments and layout are kept.
//
// Not implemented: removing or replacing a partner (edit pmode.yaml).
func runPartner(_ context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(env.Stderr, "usage: oots partner add -config oots.yaml (-name NAME -endpoint URL | -domibus FILE -party NAME) -cert FILE [-role both|requester|provider]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("oots partner add", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfgFile := fs.String("config", "oots.yaml", "configuration file of the node (made by oots init)")
	name := fs.String("name", "", "party name of the partner, e.g. AP_DE_01")
	endpoint := fs.String("endpoint", "", "the partner's AS4 endpoint URL")
	role := fs.String("role", "both", "what the partner does: provider (answers our requests), requester (sends us requests) or both")
	var certs, ids multiFlag
	fs.Var(&certs, "cert", "PEM file of the partner's certificates (repeatable): signing, encryption, and their CA")
	fs.Var(&ids, "id", "party identifier TYPE::VALUE (repeatable; default the OOTS type with the name as value)")
	domibus := fs.String("domibus", "", "a Domibus P-Mode export (XML) to take the party's identifiers and endpoint from")
	party := fs.String("party", "", "with -domibus: the party's name in the export")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 || len(certs) == 0 || (*domibus == "" && *name == "") {
		fs.Usage()
		return 2
	}
	p, err := buildPartner(*name, *endpoint, *role, ids, certs, *domibus, *party)
	if err == nil {
		err = addPartner(*cfgFile, env, p)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots partner add:", err)
		return 2
	}
	fmt.Fprintf(env.Stdout, "added %s (%s, endpoint %s) to %s\n", p.party.Name, p.role, p.party.Endpoint, *cfgFile)
	return 0
}

// buildPartner reads what the flags name into a partner.
func buildPartner(name, endpoint, role string, ids, certFiles []string, domibus, domibusParty string) (*partner, error) {
	p := &partner{role: role}
	switch role {
	case "both", "requester", "provider":
	default:
		return nil, fmt.Errorf("-role %q: use both, requester or provider", role)
	}
	if domibus != "" {
		if domibusParty == "" {
			return nil, errors.New("-domibus needs -party, the party's name in the export")
		}
		b, err := readBounded(domibus)
		if err != nil {
			return nil, err
		}
		// Only the party is taken: the export's processes (a pull one,
		// say) are not this node's business.
		dp, err := pmode.DomibusParty(b, domibusParty)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", domibus, err)
		}
		p.party = pmode.Party{Name: dp.Name, IDs: dp.IDs, Endpoint: dp.Endpoint}
		if name != "" {
			p.party.Name = name
		}
	} else {
		p.party.Name = name
	}
	if endpoint != "" {
		p.party.Endpoint = endpoint
	}
	if !validPartyName(p.party.Name) {
		return nil, fmt.Errorf("party name %q: letters, digits, '_', '-' and '.' only", p.party.Name)
	}
	if u, err := url.Parse(p.party.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL (-endpoint)", p.party.Endpoint)
	}
	for _, id := range ids {
		typ, value, ok := strings.Cut(id, "::")
		if !ok || value == "" {
			return nil, fmt.Errorf("-id %q: TYPE::VALUE", id)
		}
		p.party.IDs = append(p.party.IDs, pmode.PartyID{Type: typ, Value: value})
	}
	if len(p.party.IDs) == 0 {
		p.party.IDs = []pmode.PartyID{{Type: ootsPartyIDType, Value: p.party.Name}}
	}
	var all []*x509.Certificate
	for _, f := range certFiles {
		b, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		cs, err := parseCertsPEM(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		all = append(all, cs...)
		if len(all) > maxPartnerCerts {
			return nil, fmt.Errorf("more than %d certificates", maxPartnerCerts)
		}
	}
	for _, c := range all {
		switch {
		case c.IsCA && bytes.Equal(c.RawIssuer, c.RawSubject):
			p.anchors = append(p.anchors, c)
		case c.IsCA:
			p.intermediate = append(p.intermediate, c)
		case c.KeyUsage&x509.KeyUsageDigitalSignature != 0:
			if p.sign != nil {
				return nil, errors.New("two signing certificates (key usage digitalSignature): give one")
			}
			p.sign = c
			if c.KeyUsage&x509.KeyUsageKeyEncipherment != 0 && p.enc == nil {
				p.enc = c // eDelivery AS4 1.15: one RSA certificate for both
			}
		case c.KeyUsage&(x509.KeyUsageKeyAgreement|x509.KeyUsageKeyEncipherment) != 0:
			if p.enc != nil && p.enc != p.sign {
				return nil, errors.New("two encryption certificates: give one")
			}
			p.enc = c
		default:
			return nil, fmt.Errorf("certificate %q is neither a CA, a signing nor an encryption certificate (key usage)", c.Subject)
		}
	}
	if p.sign == nil {
		return nil, errors.New("no signing certificate (key usage digitalSignature) in -cert")
	}
	if p.enc == nil {
		return nil, errors.New("no encryption certificate (key usage keyEncipherment or keyAgreement) in -cert")
	}
	return p, nil
}

func readBounded(file string) ([]byte, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxPartnerFile {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", file, fi.Size(), maxPartnerFile)
	}
	return os.ReadFile(file)
}

func parseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		if len(out) > maxPartnerCerts {
			return nil, fmt.Errorf("more than %d certificates", maxPartnerCerts)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return out, nil
}

// addPartner writes a partner into a node's files: its certificates under
// partners/, its anchors into the first trust file, and the party into the
// P-Mode. Nothing is overwritten: the P-Mode is replaced as a whole, once
// the new one is checked.
func addPartner(cfgFile string, env *Env, p *partner) error {
	c, err := readServeConfig(cfgFile, env.Getenv)
	if err != nil {
		return err
	}
	pmPath := c.path(c.PMode)
	if strings.HasSuffix(strings.ToLower(pmPath), ".xml") {
		return fmt.Errorf("%s is a Domibus P-Mode: add the partner there (or move to a YAML P-Mode)", pmPath)
	}
	src, err := os.ReadFile(pmPath)
	if err != nil {
		return err
	}
	cur, err := pmode.Parse(src)
	if err != nil {
		return fmt.Errorf("%s: %w", pmPath, err)
	}
	if _, err := cur.Party(p.party.Name); err == nil {
		return fmt.Errorf("%s already has a party %s (edit it there to change it)", pmPath, p.party.Name)
	}
	self := c.Self
	if self == "" {
		self = cur.Self
	}

	// The certificates, relative to the P-Mode as its paths are.
	dir := filepath.Join(filepath.Dir(pmPath), "partners")
	signFile := filepath.Join("partners", p.party.Name+".sign.cert.pem")
	encFile := signFile
	if p.enc != p.sign {
		encFile = filepath.Join("partners", p.party.Name+".enc.cert.pem")
	}
	p.party.SigningCertificate, p.party.EncryptionCertificate = filepath.ToSlash(signFile), filepath.ToSlash(encFile)

	doc, err := addPartyNode(src, p, self)
	if err != nil {
		return fmt.Errorf("%s: %w", pmPath, err)
	}
	if _, err := pmode.Parse(doc); err != nil {
		return fmt.Errorf("the P-Mode with %s would be wrong: %w", p.party.Name, err)
	}

	var trustFile string
	if len(c.Keys.Trust) > 0 {
		trustFile = c.path(c.Keys.Trust[0])
	} else if len(p.anchors) > 0 {
		return errors.New("keys.trust names no file to add the partner's CA to")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	leaf := func(cs ...*x509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pki.CertPEM(c)...)
		}
		return b
	}
	if err := writeNew(filepath.Join(filepath.Dir(pmPath), signFile), leaf(append([]*x509.Certificate{p.sign}, p.intermediate...)...), 0o644); err != nil {
		return err
	}
	if encFile != signFile {
		if err := writeNew(filepath.Join(filepath.Dir(pmPath), encFile), leaf(append([]*x509.Certificate{p.enc}, p.intermediate...)...), 0o644); err != nil {
			return err
		}
	}
	if trustFile != "" {
		if err := appendAnchors(trustFile, append(p.anchors, p.intermediate...)); err != nil {
			return err
		}
	}
	return replaceFile(pmPath, doc)
}

// appendAnchors appends the certificates not yet in a PEM file to it.
func appendAnchors(file string, certs []*x509.Certificate) error {
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	have, _ := parseCertsPEM(old)
	var add []byte
	for _, c := range certs {
		dup := false
		for _, h := range have {
			if h.Equal(c) {
				dup = true
			}
		}
		if !dup {
			add = append(add, pki.CertPEM(c)...)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	return replaceFile(file, append(old, add...))
}

// replaceFile writes a file durably, keeping its permissions (0644 for a
// new one): a temporary file beside it, synced, then renamed over it.
func replaceFile(path string, b []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return durable.WriteFile(path, mode, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// addPartyNode adds the partner to a YAML P-Mode as a document tree, so that
// the operator's comments and layout stay: the party at the end of parties,
// its name in the legs' initiator and responder parties by its role.
func addPartyNode(src []byte, p *partner, self string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	root := doc.Content[0]
	parties := mapValue(root, "parties")
	if parties == nil || parties.Kind != yaml.SequenceNode {
		return nil, errors.New("no parties list")
	}
	var pn yaml.Node
	if err := pn.Encode(p.party); err != nil {
		return nil, err
	}
	parties.Content = append(parties.Content, &pn)
	legs := mapValue(root, "legs")
	if legs == nil || legs.Kind != yaml.SequenceNode {
		return nil, errors.New("no legs list")
	}
	for _, leg := range legs.Content {
		action := ""
		if a := mapValue(leg, "action"); a != nil {
			action = a.Value
		}
		for _, side := range []string{"initiator", "responder"} {
			if !partnerSide(p.role, action, side) {
				continue
			}
			pr := mapValue(leg, side)
			if pr == nil {
				return nil, fmt.Errorf("a leg without %s", side)
			}
			list := mapValue(pr, "parties")
			if list == nil || list.Kind != yaml.SequenceNode {
				return nil, fmt.Errorf("a leg's %s has no parties list", side)
			}
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.party.Name})
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// partnerSide reports whether a partner of a role takes a side of a leg:
// the requester initiates ExecuteQueryRequest and receives
// ExecuteQueryResponse and ExceptionResponse; the provider the other way
// round.
func partnerSide(role, action, side string) bool {
	switch {
	case role == "both":
		return true
	case action == exchange.ActionRequest:
		return (role == "requester") == (side == "initiator")
	case action == exchange.ActionResponse || action == exchange.ActionError:
		return (role == "provider") == (side == "initiator")
	}
	return true // a leg of another exchange: both sides
}

// mapValue returns the value of key in a YAML mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
