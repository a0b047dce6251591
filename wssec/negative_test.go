package wssec_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

const (
	nsEB   = wssec.NamespaceEBMS
	nsS12  = wssec.NamespaceSOAP12
	nsWSSE = wssec.NamespaceWSSE
	nsWSU  = wssec.NamespaceWSU
	nsDS   = xmldsig.Namespace
)

func find(doc *xmltree.Document, space, local string) *xmltree.Element {
	var found *xmltree.Element
	doc.Root.Walk(func(e *xmltree.Element) bool {
		if found == nil && e.Is(space, local) {
			found = e
		}
		return found == nil
	})
	return found
}

func setAlg(doc *xmltree.Document, space, local, alg string) {
	find(doc, space, local).SetAttr("", "", "Algorithm", alg)
}

type mutation struct {
	name  string
	tree  func(doc *xmltree.Document) // changes the envelope
	parts func(ps []wssec.Part) []wssec.Part
	cfg   func(c *wssec.VerifyConfig)
	want  string
}

// TestNegative: each attack or policy violation is refused with the EBMS
// code a receiving MSH reports, and never panics.
func TestNegative(t *testing.T) {
	forged := func(doc *xmltree.Document) *xmltree.Element {
		m := find(doc, nsEB, "Messaging").Copy()
		m.Walk(func(e *xmltree.Element) bool {
			if e.Is(nsEB, "PartyId") && e.Text() == "AP_DE_01" {
				e.SetText("AP_EVIL_01")
			}
			return true
		})
		return m
	}
	cases := []mutation{
		{name: "no security header", tree: func(d *xmltree.Document) {
			h := find(d, nsS12, "Header")
			h.RemoveChild(find(d, nsWSSE, "Security"))
		}, want: wssec.CodePolicyNoncompliance},
		{name: "signature removed", tree: func(d *xmltree.Document) {
			find(d, nsWSSE, "Security").RemoveChild(find(d, nsDS, "Signature"))
		}, want: wssec.CodePolicyNoncompliance},
		{name: "wrapping: signed Messaging moved into Security, forged one in its place", tree: func(d *xmltree.Document) {
			orig := find(d, nsEB, "Messaging")
			h := orig.Parent()
			fake := forged(d)
			h.RemoveChild(orig)
			h.InsertChild(0, fake)
			w := find(d, nsWSSE, "Security").AddElement("urn:x", "x", "Wrapper")
			w.AddChild(orig)
		}, want: wssec.CodeFailedAuthentication},
		{name: "wrapping: signed Messaging moved into Body, forged one without Id", tree: func(d *xmltree.Document) {
			orig := find(d, nsEB, "Messaging")
			h := orig.Parent()
			fake := forged(d)
			fake.RemoveAttr(nsWSU, "Id")
			h.RemoveChild(orig)
			h.InsertChild(0, fake)
			find(d, nsS12, "Body").AddChild(orig)
		}, want: wssec.CodeFailedAuthentication},
		{name: "wrapping: duplicated Id on a second Body", tree: func(d *xmltree.Document) {
			b := find(d, nsS12, "Body").Copy()
			find(d, nsWSSE, "Security").AddChild(b)
		}, want: wssec.CodeFailedAuthentication},
		{name: "wrapping: re-identified Messaging", tree: func(d *xmltree.Document) {
			m := find(d, nsEB, "Messaging")
			old := m.SelectAttr(nsWSU, "Id")
			m.SetAttr(nsWSU, "wsu", "Id", "_fresh")
			fake := forged(d)
			fake.SetAttr(nsWSU, "wsu", "Id", old)
			find(d, nsWSSE, "Security").AddChild(fake)
		}, want: wssec.CodeFailedAuthentication},
		{name: "wrapping: Ids of Messaging and Body swapped", tree: func(d *xmltree.Document) {
			m, b := find(d, nsEB, "Messaging"), find(d, nsS12, "Body")
			mi, bi := m.SelectAttr(nsWSU, "Id"), b.SelectAttr(nsWSU, "Id")
			m.SetAttr(nsWSU, "wsu", "Id", bi)
			b.SetAttr(nsWSU, "wsu", "Id", mi)
		}, want: wssec.CodeFailedAuthentication},
		{name: "downgrade: reference digest", tree: func(d *xmltree.Document) {
			find(d, nsDS, "SignedInfo").Child(nsDS, "Reference").Child(nsDS, "DigestMethod").SetAttr("", "", "Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "forged Messaging content", tree: func(d *xmltree.Document) {
			find(d, nsEB, "ConversationId").SetText("forged")
		}, want: wssec.CodeFailedAuthentication},
		{name: "signature moved into Body", tree: func(d *xmltree.Document) {
			s := find(d, nsDS, "Signature")
			find(d, nsWSSE, "Security").RemoveChild(s)
			find(d, nsS12, "Body").AddChild(s)
		}, want: wssec.CodeFailedAuthentication},
		{name: "second Security header", tree: func(d *xmltree.Document) {
			find(d, nsS12, "Header").AddElement(nsWSSE, "wsse", "Security")
		}, want: wssec.CodeFailedAuthentication},
		{name: "KeyInfo names a token outside the header", tree: func(d *xmltree.Document) {
			bst := find(d, nsWSSE, "BinarySecurityToken")
			bst.Parent().RemoveChild(bst)
			find(d, nsS12, "Body").AddChild(bst)
		}, want: wssec.CodeFailedAuthentication},
		{name: "replay: expired timestamp", cfg: func(c *wssec.VerifyConfig) {
			c.Now = func() time.Time { return testNow.Add(time.Hour) }
		}, want: wssec.CodeFailedAuthentication},
		{name: "timestamp from the future", cfg: func(c *wssec.VerifyConfig) {
			c.Now = func() time.Time { return testNow.Add(-time.Hour) }
		}, want: wssec.CodeFailedAuthentication},
		{name: "timestamp changed", tree: func(d *xmltree.Document) {
			find(d, nsWSU, "Expires").SetText("2036-01-01T00:00:00Z")
		}, want: wssec.CodeFailedAuthentication},
		{name: "downgrade: signature method", tree: func(d *xmltree.Document) {
			setAlg(d, nsDS, "SignatureMethod", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "downgrade: digest method", tree: func(d *xmltree.Document) {
			setAlg(d, nsDS, "DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "downgrade: canonicalization", tree: func(d *xmltree.Document) {
			setAlg(d, nsDS, "CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "downgrade: content encryption aes128-cbc", tree: func(d *xmltree.Document) {
			find(d, xmlenc.Namespace, "EncryptedData").Child(xmlenc.Namespace, "EncryptionMethod").SetAttr("", "", "Algorithm", "http://www.w3.org/2001/04/xmlenc#aes128-cbc")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "downgrade: key transport", tree: func(d *xmltree.Document) {
			find(d, xmlenc.Namespace, "EncryptedKey").Child(xmlenc.Namespace, "EncryptionMethod").SetAttr("", "", "Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")
		}, want: wssec.CodePolicyNoncompliance},
		{name: "downgrade: rsa-oaep without MGF (MGF1-SHA1)", tree: func(d *xmltree.Document) {
			// eDelivery AS4 1.15 requires mgf1sha256; the 2.0 profile
			// does not transport keys with RSA at all.
			em := find(d, xmlenc.Namespace, "EncryptedKey").Child(xmlenc.Namespace, "EncryptionMethod")
			em.SetAttr("", "", "Algorithm", string(xmlenc.RSAOAEP))
			if mgf := em.Child(xmlenc.Namespace11, "MGF"); mgf != nil {
				em.RemoveChild(mgf)
			}
		}, want: wssec.CodePolicyNoncompliance},
		{name: "untrusted signer", cfg: func(c *wssec.VerifyConfig) {
			other, err := pki.NewCA("other CA", wssec.AS4v20, nil)
			if err != nil {
				panic(err)
			}
			c.Trust = trust.NewStore(other.Cert)
		}, want: wssec.CodeFailedAuthentication},
		{name: "wrong decryption key", cfg: func(c *wssec.VerifyConfig) {
			c.DecryptionKey = otherDecryptionKey(c.Profile)
		}, want: wssec.CodeFailedDecryption},
		{name: "attachment ciphertext changed", parts: func(ps []wssec.Part) []wssec.Part {
			ps[1] = flipByte(ps[1], 100)
			return ps
		}, want: wssec.CodeFailedDecryption},
		{name: "attachment IV changed", parts: func(ps []wssec.Part) []wssec.Part {
			ps[0] = flipByte(ps[0], 0)
			return ps
		}, want: wssec.CodeFailedDecryption},
		{name: "attachment truncated", parts: func(ps []wssec.Part) []wssec.Part {
			ps[0] = memPart(ps[0].ContentID, "application/octet-stream", []byte("short"))
			return ps
		}, want: wssec.CodeFailedDecryption},
		{name: "unsigned extra part", parts: func(ps []wssec.Part) []wssec.Part {
			return append(ps, memPart("extra@evil", "text/plain", []byte("hello")))
		}, want: wssec.CodePolicyNoncompliance},
		{name: "signed part missing", parts: func(ps []wssec.Part) []wssec.Part {
			return ps[:1]
		}, want: wssec.CodeFailedAuthentication},
		{name: "bomb: ten thousand references", tree: func(d *xmltree.Document) {
			si := find(d, nsDS, "SignedInfo")
			r := si.Child(nsDS, "Reference")
			for range 10000 {
				si.AddChild(r.Copy())
			}
		}, want: wssec.CodeFailedAuthentication},
	}
	for _, p := range profiles {
		f := getFixture(t, p)
		base := secure(t, f, true)
		for _, tc := range cases {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				doc, err := xmltree.ParseBytes(base.env, nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.tree != nil {
					tc.tree(doc)
				}
				parts := append([]wssec.Part(nil), base.parts...)
				if tc.parts != nil {
					parts = tc.parts(parts)
				}
				cfg := f.verifyConfig(t, true)
				if tc.cfg != nil {
					tc.cfg(cfg)
				}
				// Round-trip through bytes, as a receiver sees it.
				doc2, err := xmltree.ParseBytes(doc.Bytes(), nil)
				if err != nil {
					t.Fatal(err)
				}
				res, err := wssec.Process(doc2, parts, cfg)
				if err == nil {
					res.Close()
					t.Fatal("accepted")
				}
				t.Log(err)
				if got := code(err); got != tc.want {
					t.Fatalf("code %q, want %q: %v", got, tc.want, err)
				}
			})
		}
	}
}

// A message secured under one profile is refused under the other
// (algorithm downgrade or mismatch → EBMS:0103).
func TestProfileMismatch(t *testing.T) {
	rsa := getFixture(t, wssec.AS4v115)
	ed := getFixture(t, wssec.AS4v20)
	s := secure(t, rsa, false)
	cfg := ed.verifyConfig(t, false)
	cfg.Trust = trust.NewStore(rsa.ca.Cert, ed.ca.Cert)
	if _, err := process(t, s, cfg); code(err) != wssec.CodePolicyNoncompliance {
		t.Fatalf("RSA message under the 2.0 profile: %v", err)
	}
	s = secure(t, ed, false)
	cfg = rsa.verifyConfig(t, false)
	cfg.Trust = trust.NewStore(rsa.ca.Cert, ed.ca.Cert)
	if _, err := process(t, s, cfg); code(err) != wssec.CodePolicyNoncompliance {
		t.Fatalf("Ed25519 message under the 1.15 profile: %v", err)
	}
	// Unencrypted message where encryption is required.
	s = secure(t, rsa, false)
	if _, err := process(t, s, rsa.verifyConfig(t, true)); code(err) != wssec.CodePolicyNoncompliance {
		t.Fatalf("unencrypted message with RequireEncryption: %v", err)
	}
	// A plaintext attachment changed after signing.
	s.parts[1] = flipByte(s.parts[1], 10)
	if _, err := process(t, s, rsa.verifyConfig(t, false)); code(err) != wssec.CodeFailedAuthentication {
		t.Fatalf("changed signed attachment: %v", err)
	}
}

// XML bombs never reach WS-Security: the screened parser refuses DTDs and
// entity declarations outright, and limits depth.
func TestXMLBombsRefusedBeforeProcessing(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body>&b;</S12:Body></S12:Envelope>`
	if _, err := xmltree.ParseBytes([]byte(bomb), nil); err == nil || !strings.Contains(err.Error(), "DTD") {
		t.Fatalf("entity bomb: %v", err)
	}
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	if _, err := xmltree.ParseBytes([]byte(deep), nil); err == nil {
		t.Fatal("deep nesting accepted")
	}
}

func otherDecryptionKey(p wssec.Profile) any {
	ca, err := pki.NewCA("x", p, nil)
	if err != nil {
		panic(err)
	}
	pt, err := pki.Issue(ca, "AP_XX_01", p, nil)
	if err != nil {
		panic(err)
	}
	return pt.Encrypt.Key
}

func flipByte(p wssec.Part, at int) wssec.Part {
	rc, _ := p.Open()
	b, _ := io.ReadAll(rc)
	rc.Close()
	b = bytes.Clone(b)
	b[at%len(b)] ^= 0x20
	q := memPart(p.ContentID, p.Header.Get("Content-Type"), b)
	return q
}

// The Timestamp policy: without one, a message is refused only under
// TimestampRequired; a Timestamp that is present must be signed whatever the
// policy says.
func TestMissingTimestamp(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	doc := loadDoc(t, "envelope.xml")
	cfg := f.signConfig(t, false)
	if _, err := wssec.Secure(doc, nil, cfg); err != nil {
		t.Fatal(err)
	}
	// Drop the Timestamp, keep its reference: refused under every policy.
	sec := find(doc, nsWSSE, "Security")
	ts := find(doc, nsWSU, "Timestamp")
	sec.RemoveChild(ts)
	s := sent{env: doc.Bytes()}
	if _, err := process(t, s, f.verifyConfig(t, false)); code(err) != wssec.CodePolicyNoncompliance {
		t.Fatalf("no Timestamp, required: %v", err)
	}
	vc := f.verifyConfig(t, false)
	vc.Timestamp = wssec.TimestampNone
	if _, err := process(t, s, vc); code(err) != wssec.CodeFailedAuthentication {
		t.Fatalf("dangling Timestamp reference: %v", err)
	}
	// Drop the reference too and sign SignedInfo again, as a sender without
	// Timestamps (Domibus, phase4) has.
	si := find(doc, nsDS, "SignedInfo")
	for _, r := range si.ChildrenNamed(nsDS, "Reference") {
		if strings.HasPrefix(r.SelectAttr("", "URI"), "#TS-") {
			si.RemoveChild(r)
		}
	}
	resign := func() {
		sv := ed25519.Sign(f.sender.Sign.Key.(ed25519.PrivateKey), si.Canonical())
		find(doc, nsDS, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(sv))
	}
	resign()
	s = sent{env: doc.Bytes()}
	if _, err := process(t, s, f.verifyConfig(t, false)); code(err) != wssec.CodePolicyNoncompliance {
		t.Fatalf("no Timestamp, policy required: %v", err)
	}
	for _, p := range []wssec.TimestampPolicy{"", wssec.TimestampNone, wssec.TimestampOptional} {
		vc.Timestamp = p
		res, err := process(t, s, vc)
		if err != nil {
			t.Fatalf("no Timestamp, policy %q: %v", p, err)
		}
		if len(res.SignedInfoReferences) != 2 {
			t.Fatalf("%d references", len(res.SignedInfoReferences))
		}
	}
	// An unsigned Timestamp is refused, even where none is required: a
	// Timestamp that is present is always checked.
	sec.InsertChild(0, ts)
	resign()
	s = sent{env: doc.Bytes()}
	for _, p := range []wssec.TimestampPolicy{wssec.TimestampNone, wssec.TimestampOptional, wssec.TimestampRequired} {
		vc.Timestamp = p
		if _, err := process(t, s, vc); code(err) != wssec.CodePolicyNoncompliance {
			t.Fatalf("unsigned Timestamp, policy %q: %v", p, err)
		}
	}
}

// With TimestampNone (the default) Secure writes no Timestamp and the
// message verifies under every policy but TimestampRequired.
func TestNoTimestampSent(t *testing.T) {
	for _, p := range profiles {
		f := getFixture(t, p)
		doc := loadDoc(t, "envelope.xml")
		cfg := f.signConfig(t, true)
		cfg.Timestamp = ""
		out, err := wssec.Secure(doc, testParts(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(doc.Bytes(), []byte("wsu:Timestamp")) {
			t.Fatalf("%s: a Timestamp was sent with policy none", p)
		}
		vc := f.verifyConfig(t, true)
		if _, err := process(t, sent{env: doc.Bytes(), parts: out}, vc); code(err) != wssec.CodePolicyNoncompliance {
			t.Fatalf("%s: policy required accepted a message without Timestamp: %v", p, err)
		}
		vc.Timestamp = wssec.TimestampNone
		if _, err := process(t, sent{env: doc.Bytes(), parts: out}, vc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

// Every key reference form for the signing and the encryption certificate
// (the forms of Domibus's eDeliveryAS4Policy, _BST and _IS) verifies; an
// issuer-serial or subject-key-identifier reference resolves only against
// the certificates configured for the sender.
func TestKeyReferences(t *testing.T) {
	forms := []wssec.KeyReference{wssec.KeyRefBST, wssec.KeyRefIssuerSerial, wssec.KeyRefSKI}
	for _, p := range profiles {
		f := getFixture(t, p)
		other := getFixture(t, p).receiver.Sign.Cert // trusted, but not the sender's
		for _, sr := range forms {
			for _, er := range forms {
				doc := loadDoc(t, "envelope.xml")
				cfg := f.signConfig(t, true)
				cfg.SignatureKeyRef, cfg.EncryptionKeyRef = sr, er
				out, err := wssec.Secure(doc, testParts(), cfg)
				if err != nil {
					t.Fatalf("%s %s/%s: %v", p, sr, er, err)
				}
				wire := doc.Bytes()
				bsts := bytes.Count(wire, []byte("<wsse:BinarySecurityToken"))
				want := 0
				if sr == wssec.KeyRefBST {
					want++
				}
				if er == wssec.KeyRefBST {
					want++
				}
				if bsts != want {
					t.Errorf("%s %s/%s: %d BinarySecurityTokens, want %d", p, sr, er, bsts, want)
				}
				vc := f.verifyConfig(t, true)
				vc.Certificates = []*x509.Certificate{other, f.sender.Sign.Cert}
				res, err := process(t, sent{env: wire, parts: out}, vc)
				if err != nil {
					t.Fatalf("%s %s/%s: %v", p, sr, er, err)
				}
				if !res.SignerCert.Equal(f.sender.Sign.Cert) {
					t.Errorf("%s %s/%s: signer %s", p, sr, er, res.SignerCert.Subject)
				}
				res.Close()
				if sr == wssec.KeyRefBST {
					continue
				}
				vc.Certificates = []*x509.Certificate{other}
				if _, err := process(t, sent{env: wire, parts: out}, vc); code(err) != wssec.CodeFailedAuthentication {
					t.Errorf("%s %s/%s: a reference to an unknown certificate: %v", p, sr, er, err)
				}
			}
		}
	}
}

// A message encrypted for another certificate than ours (a partner with a
// stale copy of it), named by a BinarySecurityToken, is refused with
// EBMS:0102 naming that certificate.
func TestEncryptedForAnotherCertificate(t *testing.T) {
	for _, p := range profiles {
		f := getFixture(t, p)
		doc := loadDoc(t, "envelope.xml")
		cfg := f.signConfig(t, true)
		cfg.EncryptionKeyRef = wssec.KeyRefBST
		cfg.RecipientCert = f.sender.Encrypt.Cert // not the receiver's
		out, err := wssec.Secure(doc, testParts(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = process(t, sent{env: doc.Bytes(), parts: out}, f.verifyConfig(t, true))
		if code(err) != wssec.CodeFailedDecryption || !strings.Contains(err.Error(), "encrypted for the certificate") ||
			!strings.Contains(err.Error(), f.sender.Encrypt.Cert.Subject.CommonName) {
			t.Errorf("%s: %v", p, err)
		}
	}
}
