package saml

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// testNode is a test double of an eIDAS node: it writes the responses the
// tests need, honest or forged, with real keys, signatures and encryption.
// No independent SAML implementation lets a test forge responses; the
// journeys through an independent identity provider are in
// samlidp_test.go.
type testNode struct {
	entityID string
	key      crypto.Signer
	cert     *x509.Certificate
}

var (
	keysOnce sync.Once
	spSign   *ecdsa.PrivateKey
	spEnc    *rsa.PrivateKey
	spSignC  *x509.Certificate
	spEncC   *x509.Certificate
	nodeBE   testNode
	nodeFR   testNode
)

func selfSigned(tb testing.TB, key crypto.Signer, cn string) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func testKeys(tb testing.TB) {
	keysOnce.Do(func() {
		var err error
		if spSign, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			tb.Fatal(err)
		}
		if spEnc, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			tb.Fatal(err)
		}
		spSignC, spEncC = selfSigned(tb, spSign, "SP signing"), selfSigned(tb, spEnc, "SP encryption")
		for _, n := range []*testNode{&nodeBE, &nodeFR} {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				tb.Fatal(err)
			}
			n.key = k
		}
		nodeBE.entityID, nodeFR.entityID = "https://eidas.be.example/metadata", "https://eidas.fr.example/metadata"
		nodeBE.cert, nodeFR.cert = selfSigned(tb, nodeBE.key, "BE node"), selfSigned(tb, nodeFR.key, "FR node")
	})
}

const testBase = "https://portal.example"

// newTestSP returns an Authenticator with the BE and FR test nodes and a
// replay cache in a fresh SQLite database.
func newTestSP(tb testing.TB, mod func(*Config)) *Authenticator {
	tb.Helper()
	testKeys(tb)
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "oots.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	rc, err := NewSQLReplay(context.Background(), db, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{BaseURL: testBase, Country: "NL", SigningKey: spSign, SigningCert: spSignC, EncryptionKey: spEnc, EncryptionCert: spEncC,
		Replay: rc, Logger: slog.New(slog.DiscardHandler), Nodes: map[string]Node{
			"BE": {EntityID: nodeBE.entityID, SSOURL: "https://eidas.be.example/sso", Certificates: []*x509.Certificate{nodeBE.cert}},
			"FR": {EntityID: nodeFR.entityID, SSOURL: "https://eidas.fr.example/sso", Certificates: []*x509.Certificate{nodeFR.cert}},
		}}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// begun is a login begun in a browser.
type begun struct {
	relay, requestID string
	request          *xmltree.Element
	cookies          []*http.Cookie
}

var formField = regexp.MustCompile(`name="(SAMLRequest|RelayState)" value="([^"]*)"`)

// begin runs Begin for country cc as the application's login route would.
func begin(tb testing.TB, a *Authenticator, cc string) *begun {
	tb.Helper()
	rec := httptest.NewRecorder()
	a.Begin(rec, httptest.NewRequest("GET", testBase+"/login?eid="+cc, nil), "app-state", "/login/callback")
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("Begin: %s %s", res.Status, rec.Body)
	}
	b := &begun{cookies: res.Cookies()}
	for _, m := range formField.FindAllStringSubmatch(rec.Body.String(), -1) {
		v := html.UnescapeString(m[2])
		if m[1] == "RelayState" {
			b.relay = v
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(raw, nil)
		if err != nil {
			tb.Fatal(err)
		}
		b.request = doc.Root
		b.requestID = doc.Root.SelectAttr("", "ID")
	}
	if b.relay == "" || b.request == nil {
		tb.Fatalf("Begin wrote no SAML form: %s", rec.Body)
	}
	return b
}

// answer posts a SAMLResponse to the ACS, follows the redirect to the
// callback and calls Finish as the application would.
func answer(tb testing.TB, a *Authenticator, b *begun, samlResponse string) (*eid.Subject, error) {
	tb.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}, "RelayState": {b.relay}}
	req := httptest.NewRequest("POST", testBase+ACSPath, bytes.NewBufferString(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		tb.Fatalf("ACS: %d %s", rec.Code, rec.Body)
	}
	cb := httptest.NewRequest("GET", rec.Header().Get("Location"), nil)
	for _, c := range b.cookies {
		cb.AddCookie(c)
	}
	s, state, err := a.Finish(cb)
	if err == nil && state != "app-state" {
		tb.Fatalf("Finish returned state %q", state)
	}
	return s, err
}

// postACS posts a response to the ACS and returns the HTTP status.
func postACS(tb testing.TB, a *Authenticator, samlResponse, relay string) int {
	tb.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relay}}
	req := httptest.NewRequest("POST", testBase+ACSPath, bytes.NewBufferString(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	a.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	return rec.Code
}

// forge describes a response of a test node; the zero value (with its
// defaults) is an honest answer to the login.
type forge struct {
	node               *testNode // signs; default nodeBE
	issuer             string    // default node.entityID
	destination        string    // default the ACS
	recipient          string
	audience           string
	inResponseTo       string // default the request's ID
	notOnOrAfter       time.Time
	loa                eid.LoA
	identifier         string
	statusSub          string // a second-level status code: not Success
	unsignedResponse   bool
	unsignedAssertion  bool
	plain              bool // the assertion not encrypted
	signMethod         xmldsig.SignatureMethod
	assertionID        string
	company            bool
	alterAssertion     func(*xmltree.Element) *xmltree.Element // after signing, before encryption
	alterResponse      func(*xmltree.Element) *xmltree.Element // after signing
	alterEncryptedData func(*xmltree.Element)
	dataMethod         xmlenc.Algorithm
	// attrs, when set, are the attributes (Name → value) instead of
	// the natural person's.
	attrs map[string]string
}

func (f *forge) defaults(b *begun) {
	if f.node == nil {
		f.node = &nodeBE
	}
	if f.issuer == "" {
		f.issuer = f.node.entityID
	}
	if f.destination == "" {
		f.destination = testBase + ACSPath
	}
	if f.recipient == "" {
		f.recipient = testBase + ACSPath
	}
	if f.audience == "" {
		f.audience = testBase + MetadataPath
	}
	if f.inResponseTo == "" {
		f.inResponseTo = b.requestID
	}
	if f.notOnOrAfter.IsZero() {
		f.notOnOrAfter = time.Now().Add(5 * time.Minute)
	}
	if f.loa == "" {
		f.loa = eid.LoASubstantial
	}
	if f.identifier == "" {
		f.identifier = "BE/NL/12345"
	}
	if f.signMethod == "" {
		f.signMethod = xmldsig.ECDSASHA256
	}
	if f.assertionID == "" {
		f.assertionID = "_a" + randomID()
	}
	if f.dataMethod == "" {
		f.dataMethod = xmlenc.AES256GCM
	}
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func add(p *xmltree.Element, ns, local string) *xmltree.Element {
	prefix := "saml2"
	if ns == NSProtocol {
		prefix = "saml2p"
	}
	return p.AddElement(ns, prefix, local)
}

// signed signs e enveloped (ds:Signature after saml:Issuer).
func (n *testNode) sign(tb testing.TB, e *xmltree.Element, m xmldsig.SignatureMethod) {
	tb.Helper()
	key := n.key
	digest := xmldsig.SHA256
	switch m {
	case xmldsig.RSASHA256, xmldsig.RSAPSSSHA256:
		key = rsaNodeKey(tb)
	case xmldsig.RSAPSSSHA384:
		key, digest = rsaNodeKey(tb), xmldsig.SHA384
	case xmldsig.RSAPSSSHA512:
		key, digest = rsaNodeKey(tb), xmldsig.SHA512
	case xmldsig.ECDSASHA384:
		digest = xmldsig.SHA384
	case xmldsig.ECDSASHA512:
		digest = xmldsig.SHA512
	}
	sg := xmldsig.Signer{Key: key, Method: m, Digest: digest, Rand: rand.Reader}
	sig, err := sg.SignEnvelopedID(e, e.SelectAttr("", "ID"))
	if err != nil {
		tb.Fatal(err)
	}
	e.InsertChild(1, sig)
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func rsaNodeKey(tb testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() { rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	return rsaKey
}

// assertion builds and signs the assertion of f.
func (f *forge) assertion(tb testing.TB) *xmltree.Element {
	now := time.Now().UTC()
	as := xmltree.NewElement(NSAssertion, "saml2", "Assertion")
	as.DeclareNS("saml2", NSAssertion)
	as.SetAttr("", "", "ID", f.assertionID)
	as.SetAttr("", "", "Version", "2.0")
	as.SetAttr("", "", "IssueInstant", now.Format(timeFormat))
	add(as, NSAssertion, "Issuer").SetText(f.issuer)
	sub := add(as, NSAssertion, "Subject")
	nid := add(sub, NSAssertion, "NameID")
	nid.SetAttr("", "", "Format", NameIDPersistent)
	nid.SetText(f.identifier)
	sc := add(sub, NSAssertion, "SubjectConfirmation")
	sc.SetAttr("", "", "Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := add(sc, NSAssertion, "SubjectConfirmationData")
	scd.SetAttr("", "", "InResponseTo", f.inResponseTo)
	scd.SetAttr("", "", "NotOnOrAfter", f.notOnOrAfter.UTC().Format(timeFormat))
	scd.SetAttr("", "", "Recipient", f.recipient)
	cond := add(as, NSAssertion, "Conditions")
	cond.SetAttr("", "", "NotBefore", now.Add(-time.Minute).Format(timeFormat))
	cond.SetAttr("", "", "NotOnOrAfter", f.notOnOrAfter.UTC().Format(timeFormat))
	add(add(cond, NSAssertion, "AudienceRestriction"), NSAssertion, "Audience").SetText(f.audience)
	st := add(as, NSAssertion, "AuthnStatement")
	st.SetAttr("", "", "AuthnInstant", now.Format(timeFormat))
	add(add(st, NSAssertion, "AuthnContext"), NSAssertion, "AuthnContextClassRef").SetText(string(f.loa))
	ats := add(as, NSAssertion, "AttributeStatement")
	attrs := []struct {
		a Attribute
		v string
	}{{attrPersonIdentifier, f.identifier}, {attrFamilyName, "Janssens"}, {attrFirstName, "Marie"}, {attrDateOfBirth, "1990-04-01"}, {attrGender, "Female"}}
	if f.company {
		attrs = append(attrs, struct {
			a Attribute
			v string
		}{attrLegalPersonIdentifier, "BE/NL/0123456789"}, struct {
			a Attribute
			v string
		}{attrLegalName, "Janssens BV"})
	}
	if f.attrs != nil {
		attrs = attrs[:0]
		for k, v := range f.attrs {
			attrs = append(attrs, struct {
				a Attribute
				v string
			}{Attribute{Name: k}, v})
		}
	}
	for _, at := range attrs {
		e := add(ats, NSAssertion, "Attribute")
		e.SetAttr("", "", "Name", at.a.Name)
		e.SetAttr("", "", "FriendlyName", at.a.Friendly)
		e.SetAttr("", "", "NameFormat", NameFormatURI)
		add(e, NSAssertion, "AttributeValue").SetText(at.v)
	}
	if !f.unsignedAssertion {
		f.node.sign(tb, as, f.signMethod)
	}
	return as
}

// response builds the base64 SAMLResponse of f to the login b.
func (f *forge) response(tb testing.TB, b *begun) string {
	tb.Helper()
	return encode(tb, f.element(tb, b))
}

func encode(tb testing.TB, r *xmltree.Element) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, r, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// encryptAssertion returns saml:EncryptedAssertion of as, to our key.
func encryptAssertion(tb testing.TB, as *xmltree.Element, method xmlenc.Algorithm) *xmltree.Element {
	tb.Helper()
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, as, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	ed, err := xmlenc.EncryptElement(rand.Reader, buf.Bytes(), method, &spEnc.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	ea := xmltree.NewElement(NSAssertion, "saml2", "EncryptedAssertion")
	ea.AddChild(ed)
	return ea
}

// element builds the samlp:Response of f to the login b.
func (f *forge) element(tb testing.TB, b *begun) *xmltree.Element {
	tb.Helper()
	f.defaults(b)
	now := time.Now().UTC()
	r := xmltree.NewElement(NSProtocol, "saml2p", "Response")
	r.DeclareNS("saml2p", NSProtocol)
	r.DeclareNS("saml2", NSAssertion)
	r.SetAttr("", "", "ID", "_r"+randomID())
	r.SetAttr("", "", "Version", "2.0")
	r.SetAttr("", "", "IssueInstant", now.Format(timeFormat))
	r.SetAttr("", "", "Destination", f.destination)
	r.SetAttr("", "", "InResponseTo", f.inResponseTo)
	add(r, NSAssertion, "Issuer").SetText(f.issuer)
	st := add(r, NSProtocol, "Status")
	sc := add(st, NSProtocol, "StatusCode")
	if f.statusSub != "" {
		sc.SetAttr("", "", "Value", statusPrefix+"Responder")
		add(sc, NSProtocol, "StatusCode").SetAttr("", "", "Value", f.statusSub)
		add(st, NSProtocol, "StatusMessage").SetText("the citizen cancelled")
	} else {
		sc.SetAttr("", "", "Value", statusPrefix+"Success")
		as := f.assertion(tb)
		if f.alterAssertion != nil {
			as = f.alterAssertion(as)
		}
		if f.plain {
			r.AddChild(as)
		} else {
			var buf bytes.Buffer
			if err := xmltree.WriteElement(&buf, as, xmltree.WriteOptions{}); err != nil {
				tb.Fatal(err)
			}
			ed, err := xmlenc.EncryptElement(rand.Reader, buf.Bytes(), xmlenc.AES256GCM, &spEnc.PublicKey)
			if err != nil {
				tb.Fatal(err)
			}
			if f.dataMethod != xmlenc.AES256GCM {
				ed.Child(xmlenc.Namespace, "EncryptionMethod").SetAttr("", "", "Algorithm", string(f.dataMethod))
			}
			if f.alterEncryptedData != nil {
				f.alterEncryptedData(ed)
			}
			add(r, NSAssertion, "EncryptedAssertion").AddChild(ed)
		}
	}
	if !f.unsignedResponse {
		f.node.sign(tb, r, f.signMethod)
	}
	if f.alterResponse != nil {
		r = f.alterResponse(r)
	}
	return reparse(tb, r)
}

// reparse writes and parses e, as a received message would be.
func reparse(tb testing.TB, e *xmltree.Element) *xmltree.Element {
	tb.Helper()
	var buf bytes.Buffer
	if err := xmltree.WriteElement(&buf, e, xmltree.WriteOptions{}); err != nil {
		tb.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(buf.Bytes(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return doc.Root
}
