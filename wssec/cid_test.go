package wssec_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

// TestPercentEncodedCID: a ds:Reference URI and a CipherReference name
// their part by cid: URL, whose content-id may be URL-encoded (RFC 2392 §2;
// Apache WSS4J decodes it): cid:request%40oots.example names the part
// whose Content-ID is request@oots.example. The form as written comes
// first, and two references that name one part are refused.
func TestPercentEncodedCID(t *testing.T) {
	const encoded, decoded = "request%40oots.example", "request@oots.example"
	securePart := func(t *testing.T, f *fixture, encrypt bool, parts []wssec.Part) sent {
		t.Helper()
		doc := loadDoc(t, "envelope.xml")
		out, err := wssec.Secure(doc, parts, f.signConfig(t, encrypt))
		if err != nil {
			t.Fatal(err)
		}
		return sent{env: doc.Bytes(), parts: out}
	}
	eachLeg(t, func(t *testing.T, p wssec.Profile, encrypt bool) {
		f := getFixture(t, p)
		parts := testParts()
		parts[0].ContentID = encoded
		s := securePart(t, f, encrypt, parts)
		if !bytes.Contains(s.env, []byte(`URI="cid:`+encoded+`"`)) {
			t.Fatal("the signature does not reference cid:" + encoded)
		}
		if n := bytes.Count(s.env, []byte(`URI="cid:`+encoded+`"`)); encrypt && n != 2 {
			t.Fatalf("%d URIs cid:%s, want 2 (the ds:Reference and the CipherReference)", n, encoded)
		}
		s.parts[0].ContentID = decoded // as the MIME part says it
		res, err := process(t, s, f.verifyConfig(t, encrypt))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if len(res.Parts) != 2 || res.Parts[0].ContentID != decoded {
			t.Fatalf("parts %+v", res.Parts)
		}
		if !bytes.Equal(readAll(t, res.Parts[0]), payloads()[decoded]) {
			t.Fatal("part differs after Process")
		}
	})

	t.Run("two references to one part", func(t *testing.T) {
		f := getFixture(t, profiles[0])
		parts := testParts()
		parts[1] = memPart(encoded, "application/x-ebrs+xml", payloads()[decoded])
		s := securePart(t, f, false, parts)
		s.parts = s.parts[:1] // only request@oots.example travels
		doc, err := xmltree.ParseBytes(s.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = wssec.Process(doc, s.parts, f.verifyConfig(t, false))
		if code(err) != wssec.CodeFailedAuthentication || !strings.Contains(err.Error(), "two references to the part "+decoded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("malformed percent escape", func(t *testing.T) {
		f := getFixture(t, profiles[0])
		parts := testParts()
		parts[0].ContentID = "request%zz@oots.example"
		s := securePart(t, f, false, parts)
		s.parts[0].ContentID = decoded
		doc, err := xmltree.ParseBytes(s.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = wssec.Process(doc, s.parts, f.verifyConfig(t, false))
		if code(err) != wssec.CodeFailedAuthentication || !strings.Contains(err.Error(), `ds:Reference "cid:request%zz@oots.example": malformed percent escape "%zz"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestCIDSchemeCase: URL schemes are case-insensitive (RFC 3986 §3.1; the
// witness is Python's urllib.parse in package swa's TestResolveCIDSchemeCase),
// so a ds:Reference URI "CID:…" or "Cid:…" and a CipherReference "cId:…"
// name their part as "cid:…" does (RFC 2392). The sender's signature is
// made again over the SignedInfo with the URIs so written.
func TestCIDSchemeCase(t *testing.T) {
	eachLeg(t, func(t *testing.T, p wssec.Profile, encrypt bool) {
		f := getFixture(t, p)
		s := secure(t, f, encrypt)
		doc, err := xmltree.ParseBytes(s.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		schemes := []string{"CID:", "Cid:"}
		var refs, ciphers int
		doc.Root.Walk(func(e *xmltree.Element) bool {
			u := e.SelectAttr("", "URI")
			rest, ok := strings.CutPrefix(u, "cid:")
			switch {
			case !ok:
			case e.Is(nsDS, "Reference"):
				e.SetAttr("", "", "URI", schemes[refs%2]+rest)
				refs++
			case e.Is(xmlenc.Namespace, "CipherReference"):
				e.SetAttr("", "", "URI", "cId:"+rest)
				ciphers++
			}
			return true
		})
		if refs != len(s.parts) || encrypt && ciphers != len(s.parts) {
			t.Fatalf("%d cid: references, %d CipherReferences, %d parts", refs, ciphers, len(s.parts))
		}
		resign(t, f, doc)
		s.env = doc.Bytes()
		res, err := process(t, s, f.verifyConfig(t, encrypt))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if len(res.Parts) != len(s.parts) {
			t.Fatalf("%d parts, want %d", len(res.Parts), len(s.parts))
		}
		for _, part := range res.Parts {
			if !bytes.Equal(readAll(t, part), payloads()[part.ContentID]) {
				t.Fatalf("part %s differs after Process", part.ContentID)
			}
		}
	})
}

// resign computes the SignatureValue of doc's ds:Signature again with the
// sender's key, over its SignedInfo as it now is (exclusive c14n).
func resign(t *testing.T, f *fixture, doc *xmltree.Document) {
	t.Helper()
	si := find(doc, nsDS, "SignedInfo")
	c14n := si.Canonical()
	key := f.sender.Sign.Signer()
	var value []byte
	var err error
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		h := sha256.Sum256(c14n)
		value, err = key.Sign(rand.Reader, h[:], crypto.SHA256)
	} else {
		value, err = key.Sign(rand.Reader, c14n, crypto.Hash(0))
	}
	if err != nil {
		t.Fatal(err)
	}
	find(doc, nsDS, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
}
