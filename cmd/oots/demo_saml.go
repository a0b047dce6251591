package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/samlidp"
)

// samlNodeFile is the JSON file of the flag -saml CC=FILE: an eIDAS node.
// Certificate files are PEM, relative to the file's folder.
type samlNodeFile struct {
	// EntityID is the node's entity ID.
	EntityID string `json:"entityId"`
	// MetadataURL and Anchor (the certificate that signs the metadata)
	// go together; without them SSOURL and Certificates are required.
	MetadataURL  string   `json:"metadataUrl,omitempty"`
	Anchor       string   `json:"anchor,omitempty"`
	SSOURL       string   `json:"ssoUrl,omitempty"`
	Certificates []string `json:"certificates,omitempty"`
	// Binding is "post" (default) or "redirect".
	Binding string `json:"binding,omitempty"`
	// MinLoA is low, substantial (default) or high.
	MinLoA string `json:"minLoA,omitempty"`
}

// readSAMLNode reads the value CC=FILE of the flag -saml into nodes.
func readSAMLNode(nodes map[string]saml.Node, v string) error {
	cc, file, ok := strings.Cut(v, "=")
	if !ok || cc == "" || file == "" {
		return fmt.Errorf("%q is not CC=FILE", v)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var f samlNodeFile
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	n := saml.Node{EntityID: f.EntityID, MetadataURL: f.MetadataURL, SSOURL: f.SSOURL}
	switch strings.ToLower(f.Binding) {
	case "", "post":
		n.Binding = saml.POST
	case "redirect":
		n.Binding = saml.Redirect
	default:
		return fmt.Errorf("%s: binding %q is neither post nor redirect", file, f.Binding)
	}
	if f.MinLoA != "" {
		l, ok := eid.ParseLoA(f.MinLoA)
		if !ok {
			return fmt.Errorf("%s: minLoA %q is not low, substantial or high", file, f.MinLoA)
		}
		n.MinLoA = l
	}
	dir := filepath.Dir(file)
	cert := func(name string) (*x509.Certificate, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s is not a PEM certificate", name)
		}
		return x509.ParseCertificate(blk.Bytes)
	}
	if f.Anchor != "" {
		if n.Anchor, err = cert(f.Anchor); err != nil {
			return fmt.Errorf("%s: anchor: %w", file, err)
		}
	}
	for _, c := range f.Certificates {
		x, err := cert(c)
		if err != nil {
			return fmt.Errorf("%s: certificates: %w", file, err)
		}
		n.Certificates = append(n.Certificates, x)
	}
	nodes[strings.ToUpper(cc)] = n
	return nil
}

// demoSAMLNode prepares pysaml2 as the eIDAS node of cc for the demo (flag
// -eid saml): its accounts are the demo citizens of cc, their identifiers
// given to the relying parties of rp. It is started by startDemoSAMLNode
// once the network runs.
func demoSAMLNode(dir, host, cc, rp string, nodes map[string]saml.Node) (*samlidp.IdP, error) {
	if err := samlidp.Available(); err != nil {
		return nil, fmt.Errorf("-eid saml needs pysaml2: %w", err)
	}
	d := filepath.Join(dir, "saml-node-"+cc)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, err
	}
	p, err := samlidp.Prepare(d, host, 0)
	if err != nil {
		return nil, err
	}
	p.Accounts = map[string]samlidp.Account{}
	for _, u := range demo.Users(cc) {
		p.Accounts[u.Local] = samlidp.Account{Password: "pw", LoA: string(eid.LoASubstantial), Attributes: map[string]string{
			"PersonIdentifier": cc + "/" + rp + "/" + u.Local, "FamilyName": u.Person.FamilyName, "FirstName": u.Person.GivenName,
			"DateOfBirth": u.Person.DateOfBirth,
		}}
	}
	// HTTP-Redirect: the browser leaves the HTTPS portal by a GET (a form
	// posted from HTTPS to the node's plain HTTP would be warned of).
	nodes[cc] = saml.Node{EntityID: p.EntityID, MetadataURL: p.EntityID, Anchor: p.Cert, Binding: saml.Redirect}
	return p, nil
}

// startDemoSAMLNode gives the node the metadata of every portal and
// preview space and starts it.
func startDemoSAMLNode(p *samlidp.IdP, net *demonet.Network) error {
	var mds [][]byte
	for _, nd := range net.Nodes {
		for _, base := range []string{nd.PortalURL, nd.PreviewURL} {
			resp, err := net.Client().Get(base + saml.MetadataPath)
			if err != nil {
				return err
			}
			b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if err != nil {
				return err
			}
			mds = append(mds, b)
		}
	}
	return p.Run(mds...)
}
