package main

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// OOTS party identifiers and roles written by oots init (the values of the
// OOTS eDelivery configuration).
const (
	ootsPartyIDType = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
	ootsGatewayRole = "http://sdg.europa.eu/edelivery/gateway"
)

// initProfiles maps the -profile values of oots init to the security
// profile, of the P-Mode and of the keys alike.
var initProfiles = map[string]wssec.Profile{
	"as4-1.15": wssec.AS4v115,
	"as4-2.0":  wssec.AS4v20,
}

// initNode is what oots init writes a node from.
type initNode struct {
	Dir, Name, Profile, Listen, Endpoint string
	CSR                                  bool
	Org, Country                         string
	Days                                 int

	// Filled by scaffold.
	SecurityProfile string
	Token           string
	Now             time.Time
}

// runInit scaffolds a node in a directory:
//
//	oots init -dir fr -name AP_FR_01 -profile as4-1.15|as4-2.0 [-listen 127.0.0.1:8080]
//	          [-endpoint URL] [-csr] [-org O] [-country C]
//
// It writes, in the layout of the examples in ap/examples:
//
//	oots.yaml                 configuration of oots serve (a random api.token; mode 0600)
//	pmode.yaml                the OOTS request and response legs, this node as the only party
//	keys/NAME.sign.key.pem    signing key: RSA-2048 (as4-1.15) or Ed25519 (as4-2.0)
//	keys/NAME.enc.key.pem     decryption key: the same RSA key, or X25519
//	keys/NAME.{sign,enc}.cert.pem   certificates from a CA of this node's own (without -csr)
//	trust.pem                 trust anchors: this node's CA; oots partner add appends the partners'
//	NAME.partner.pem          what a partner needs: the certificates and the CA (give it with the endpoint)
//
// With -csr there is no CA of its own: it writes certificate signing
// requests for the eDelivery PKI instead (keys/NAME.sign.csr.pem; for
// as4-2.0 the X25519 public key keys/NAME.enc.pub.pem, which cannot sign a
// request of its own), and the operator puts the certificates the PKI
// returns at the .cert.pem paths and its anchors in trust.pem.
//
// The CA of a node's own is for tests and for partners that agree to trust
// it directly; its key is not kept. oots init never overwrites a file: it
// refuses when any of them exists. Partners are added later with oots
// partner add.
func runInit(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("oots init", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := &initNode{}
	fs.StringVar(&n.Dir, "dir", "", "directory of the new node (created if missing; required)")
	fs.StringVar(&n.Name, "name", "", "party name of the access point, e.g. AP_FR_01 (required)")
	fs.StringVar(&n.Profile, "profile", "as4-2.0", "eDelivery AS4 profile: as4-1.15 (RSA) or as4-2.0 (Ed25519 + X25519)")
	fs.StringVar(&n.Listen, "listen", "127.0.0.1:8080", "address oots serve listens on")
	fs.StringVar(&n.Endpoint, "endpoint", "", "the AS4 endpoint partners post to (default http://LISTEN/as4)")
	fs.BoolVar(&n.CSR, "csr", false, "write certificate signing requests for the eDelivery PKI instead of certificates from a CA of this node")
	fs.StringVar(&n.Org, "org", "oots node", "organisation of the certificates' subject")
	fs.StringVar(&n.Country, "country", "EU", "country of the certificates' subject")
	fs.IntVar(&n.Days, "days", 730, "validity of the certificates in days (without -csr)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: oots init -dir DIR -name AP_FR_01 [-profile as4-1.15|as4-2.0] [-listen HOST:PORT] [-endpoint URL] [-csr]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 || n.Dir == "" || n.Name == "" {
		fs.Usage()
		return 2
	}
	written, err := n.scaffold()
	if err != nil {
		fmt.Fprintln(env.Stderr, "oots init:", err)
		return 2
	}
	for _, f := range written {
		fmt.Fprintln(env.Stdout, "wrote", filepath.Join(n.Dir, f))
	}
	cfg := filepath.Join(n.Dir, "oots.yaml")
	fmt.Fprintf(env.Stdout, "\nNext:\n")
	if n.CSR {
		fmt.Fprintf(env.Stdout, "  have the eDelivery PKI sign %s, put its certificates at the .cert.pem paths of keys/ and its anchors in %s\n",
			filepath.Join(n.Dir, "keys", n.Name+".sign.csr.pem"), filepath.Join(n.Dir, "trust.pem"))
	}
	fmt.Fprintf(env.Stdout, "  oots doctor -config %s -offline\n  oots serve -config %s\n", cfg, cfg)
	fmt.Fprintf(env.Stdout, "Give each partner %s and the endpoint %s; they add this node with\n", filepath.Join(n.Dir, n.Name+".partner.pem"), n.Endpoint)
	fmt.Fprintf(env.Stdout, "  oots partner add -config THEIR/oots.yaml -name %s -endpoint %s -cert %s.partner.pem\n", n.Name, n.Endpoint, n.Name)
	return 0
}

// scaffold checks the fields, refuses existing files, and writes the node.
// It returns the files written, relative to Dir.
func (n *initNode) scaffold() ([]string, error) {
	prof, ok := initProfiles[n.Profile]
	if !ok {
		return nil, fmt.Errorf("-profile %q: use as4-1.15 or as4-2.0", n.Profile)
	}
	n.SecurityProfile = string(prof)
	if !validPartyName(n.Name) {
		return nil, fmt.Errorf("-name %q: letters, digits, '_', '-' and '.' only", n.Name)
	}
	if _, _, err := net.SplitHostPort(n.Listen); err != nil {
		return nil, fmt.Errorf("-listen %q is not host:port", n.Listen)
	}
	if n.Endpoint == "" {
		n.Endpoint = "http://" + n.Listen + "/as4"
	}
	if u, err := url.Parse(n.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("-endpoint %q is not an http(s) URL", n.Endpoint)
	}
	if n.Days <= 0 {
		return nil, fmt.Errorf("-days %d: must be positive", n.Days)
	}
	key := filepath.Join("keys", n.Name)
	files := []string{"oots.yaml", "pmode.yaml", key + ".sign.key.pem", key + ".enc.key.pem"}
	if n.CSR {
		files = append(files, key+".sign.csr.pem")
		if prof == wssec.AS4v20 {
			files = append(files, key+".enc.pub.pem")
		}
	} else {
		files = append(files, key+".sign.cert.pem", key+".enc.cert.pem", "trust.pem", n.Name+".partner.pem")
	}
	// Keys are never overwritten: refuse before writing anything.
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(n.Dir, f)); err == nil {
			return nil, fmt.Errorf("%s exists: oots init does not overwrite a node (choose another -dir, or remove it)", filepath.Join(n.Dir, f))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(n.Dir, "keys"), 0o700); err != nil {
		return nil, err
	}
	n.Now = time.Now()
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	n.Token = hex.EncodeToString(tok)

	out := map[string][]byte{}
	mode := map[string]os.FileMode{}
	opt := &pki.Options{Now: n.Now, Validity: time.Duration(n.Days) * 24 * time.Hour, Organization: n.Org, Country: n.Country}
	if n.CSR {
		sk, ek, err := newKeys(prof)
		if err != nil {
			return nil, err
		}
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: n.Name, Organization: []string{n.Org}, Country: []string{n.Country}}}, sk)
		if err != nil {
			return nil, fmt.Errorf("certificate signing request: %w", err)
		}
		out[key+".sign.csr.pem"] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})
		if out[key+".sign.key.pem"], err = pki.KeyPEM(sk); err != nil {
			return nil, err
		}
		if out[key+".enc.key.pem"], err = pki.KeyPEM(ek); err != nil {
			return nil, err
		}
		if x, ok := ek.(*ecdh.PrivateKey); ok {
			der, err := x509.MarshalPKIXPublicKey(x.PublicKey())
			if err != nil {
				return nil, err
			}
			out[key+".enc.pub.pem"] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		}
	} else {
		ca, err := pki.NewCA(n.Name+" CA", prof, opt)
		if err != nil {
			return nil, err
		}
		party, err := pki.Issue(ca, n.Name, prof, opt)
		if err != nil {
			return nil, err
		}
		for suffix, c := range map[string]*pki.Credential{".sign": party.Sign, ".enc": party.Encrypt} {
			if out[key+suffix+".key.pem"], err = pki.KeyPEM(c.Key); err != nil {
				return nil, err
			}
			out[key+suffix+".cert.pem"] = pki.CertPEM(c.Cert)
		}
		out["trust.pem"] = pki.CertPEM(ca.Cert)
		card := pki.CertPEM(party.Sign.Cert)
		if party.Encrypt.Cert != party.Sign.Cert {
			card = append(card, pki.CertPEM(party.Encrypt.Cert)...)
		}
		out[n.Name+".partner.pem"] = append(card, pki.CertPEM(ca.Cert)...)
	}
	for f := range out {
		if strings.HasSuffix(f, ".key.pem") {
			mode[f] = 0o600
		}
	}
	var err error
	if out["pmode.yaml"], err = execTemplate(initPModeTemplate, n); err != nil {
		return nil, err
	}
	if out["oots.yaml"], err = execTemplate(initConfigTemplate, n); err != nil {
		return nil, err
	}
	mode["oots.yaml"] = 0o600 // it holds the API token
	if _, err := pmode.Parse(out["pmode.yaml"]); err != nil {
		return nil, fmt.Errorf("the P-Mode written would be wrong: %w", err)
	}
	for _, f := range files {
		m := mode[f]
		if m == 0 {
			m = 0o644
		}
		if err := writeNew(filepath.Join(n.Dir, f), out[f], m); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// newKeys makes a signing key and a decryption key of a profile: one RSA
// key for both, or Ed25519 and X25519.
func newKeys(p wssec.Profile) (crypto.Signer, crypto.PrivateKey, error) {
	if p == wssec.AS4v115 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		return k, k, err
	}
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ek, err := ecdh.X25519().GenerateKey(rand.Reader)
	return sk, ek, err
}

// writeNew creates a file that must not exist yet.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func validPartyName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func execTemplate(t *template.Template, data any) ([]byte, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

var initConfigTemplate = template.Must(template.New("oots.yaml").Parse(`# Configuration of oots serve for the access point {{.Name}}, written by oots init
# ({{.Profile}}). Every field and its default: docs/configuration.md. Paths are relative
# to this file.
listen: {{.Listen}}
dataDir: data                    # created by oots serve at the first start
pmode: pmode.yaml
self: {{.Name}}
keys:
  signingKey: keys/{{.Name}}.sign.key.pem
  signingCertificate: keys/{{.Name}}.sign.cert.pem
  decryptionKey: keys/{{.Name}}.enc.key.pem
  trust: [trust.pem]             # this node's CA, and the partners' (oots partner add appends them)
api:
  token: "{{.Token}}"   # bearer token of the backend API; or OOTS_API_TOKEN
log: {level: info, format: json}
` + initNodeSections))

// initNodeSections are the national node's sections of oots serve, as
// comments: the journal, the requester and provider connectors (each
// field: docs/configuration.md).
const initNodeSections = `
# The national node around the access point (docs/configuration.md, "The national node").
# journal:
#   keyFile: journal.key            # 32 random bytes: head -c 32 /dev/urandom > journal.key
# requester:                        # its REST API: /api/requester/v1 on the API listener
#   agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: XX-ER-1, name: "Procedure portal", country: XX}
#   commonServices: {eb: "https://…/", dsd: "https://…/", trust: [cs-root.pem]}   # or discovered by a commonServices section
#   tokenFile: requester.token      # at least 16 characters; or OOTS_REQUESTER_TOKEN
# provider:                         # the preview space on its own listener
#   listen: 127.0.0.1:8443
#   previewBase: https://preview.example
#   login: {oidc: {XX: oidc.json}}  # or saml: {nodes: {XX: eidas-node.json}, signingKey: …, signingCertificate: …, encryptionKey: …, encryptionCertificate: …}
#   providers:
#     - agent: {scheme: "urn:cef.eu:names:identifier:EAS:9930", value: XX-EP-1, name: "Registry office", country: XX}
#       evidenceTypes:
#         - {classification: "https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/…", formats: [{format: application/pdf}], dataService: "https://register.internal/oots"}
`

var initPModeTemplate = template.Must(template.New("pmode.yaml").Parse(`# P-Modes of the access point {{.Name}}, written by oots init: the OOTS request,
# response and error legs under the {{.SecurityProfile}} profile. Every field: docs/pmode.md.
# Partners are added with oots partner add, which lists them in parties and in the legs.
self: {{.Name}}

parties:
  - name: {{.Name}}
    ids:
      - {type: "` + ootsPartyIDType + `", value: {{.Name}}}
    endpoint: {{.Endpoint}}
    signingCertificate: keys/{{.Name}}.sign.cert.pem
    encryptionCertificate: keys/{{.Name}}.enc.cert.pem

legs:
` + initLeg("ootsRequestLeg", exchange.ActionRequest) + `
` + initLeg("ootsResponseLeg", exchange.ActionResponse) + `
` + initLeg("ootsErrorLeg", exchange.ActionError)))

// initLeg is the P-Mode template of an OOTS leg: One-Way/Push between
// this node's parties in the gateway role, signed, encrypted, with a
// non-repudiation receipt and the originalSender and finalRecipient
// properties. The three legs of oots init differ in name and action only.
func initLeg(name, action string) string {
	return `  - name: ` + name + `
    mep: one-way
    binding: push
    initiator: {parties: [{{.Name}}], role: "` + ootsGatewayRole + `"}
    responder: {parties: [{{.Name}}], role: "` + ootsGatewayRole + `"}
    service: {value: QueryManager, type: "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"}
    action: ` + action + `
    security: {profile: {{.SecurityProfile}}, sign: true, encrypt: true}
    reliability:
      receipt: response
      nonRepudiation: true
      retry: {timeout: 12m, count: 4, strategy: CONSTANT}
      duplicateDetection: true
    properties:
      - {name: originalSender, required: true}
      - {name: finalRecipient, required: true}
    payload: {compress: true}
    errorHandling: {asResponse: true}
`
}
