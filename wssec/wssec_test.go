package wssec_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

var profiles = []wssec.Profile{wssec.AS4v115, wssec.AS4v20}

// eachLeg runs f as a subtest for every profile, signed only ("plain") and
// signed and encrypted.
func eachLeg(t *testing.T, f func(t *testing.T, p wssec.Profile, encrypt bool)) {
	for _, p := range profiles {
		for _, encrypt := range []bool{false, true} {
			name := string(p) + "/plain"
			if encrypt {
				name = string(p) + "/encrypted"
			}
			t.Run(name, func(t *testing.T) { f(t, p, encrypt) })
		}
	}
}

func TestRoundTrip(t *testing.T) {
	eachLeg(t, func(t *testing.T, p wssec.Profile, encrypt bool) {
		f := getFixture(t, p)
		s := secure(t, f, encrypt)
		want := payloads()
		for _, part := range s.parts {
			got := readAll(t, part)
			if encrypt == bytes.Equal(got, want[part.ContentID]) {
				t.Fatalf("part %s: encrypted=%v but content equal to plaintext=%v", part.ContentID, encrypt, !encrypt)
			}
			if encrypt && part.Header.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("encrypted part Content-Type %q", part.Header.Get("Content-Type"))
			}
		}
		res, err := process(t, s, f.verifyConfig(t, encrypt))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if len(res.Parts) != 2 || res.Parts[0].ContentID != "request@oots.example" {
			t.Fatalf("parts %+v", res.Parts)
		}
		for _, part := range res.Parts {
			if !bytes.Equal(readAll(t, part), want[part.ContentID]) {
				t.Fatalf("part %s differs after Process", part.ContentID)
			}
		}
		if ct := res.Parts[1].Header.Get("Content-Type"); ct != "application/pdf" {
			t.Fatalf("Content-Type restored as %q", ct)
		}
		if len(res.SignedInfoReferences) != 5 {
			t.Fatalf("%d references", len(res.SignedInfoReferences))
		}
		for _, r := range res.SignedInfoReferences {
			if r.DigestMethod != string(xmldsig.SHA256) || len(r.DigestValue) != 32 {
				t.Fatalf("reference %+v", r)
			}
		}
		if res.SignerCert == nil || !res.SignerCert.Equal(f.sender.Sign.Cert) {
			t.Fatal("signer certificate not returned")
		}
		if res.Messaging == nil || res.Body == nil || res.Signature == nil {
			t.Fatal("verified elements missing")
		}
		// Nothing leads from what was verified to the rest of the
		// message, and each element means alone what it meant in it.
		for _, e := range []*xmltree.Element{res.Messaging, res.Body, res.Signature} {
			if e.Parent() != nil {
				t.Errorf("%s has a parent: %s", e.QName(), e.Parent().QName())
			}
			if _, ok := e.LookupPrefix(e.Prefix); !ok {
				t.Errorf("%s lost the declaration of its prefix", e.QName())
			}
		}
		if !res.Messaging.Is(wssec.NamespaceEBMS, "Messaging") || !res.Body.Is(wssec.NamespaceSOAP12, "Body") || !res.Signature.Is(xmldsig.Namespace, "Signature") {
			t.Errorf("verified elements: %s, %s, %s", res.Messaging.QName(), res.Body.QName(), res.Signature.QName())
		}
	})
}

func TestSignal(t *testing.T) {
	for _, p := range profiles {
		t.Run(string(p), func(t *testing.T) {
			f := getFixture(t, p)
			doc := loadDoc(t, "signal.xml")
			if err := wssec.SignSignal(doc, f.signConfig(t, true)); err != nil {
				t.Fatal(err)
			}
			res, err := process(t, sent{env: doc.Bytes()}, f.verifyConfig(t, false))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SignedInfoReferences) != 3 || len(res.Parts) != 0 {
				t.Fatalf("refs %d parts %d", len(res.SignedInfoReferences), len(res.Parts))
			}
			unsigned := loadDoc(t, "signal.xml")
			if _, err := wssec.VerifySignal(unsigned, f.verifyConfig(t, false)); code(err) != wssec.CodePolicyNoncompliance {
				t.Fatalf("unsigned signal: %v", err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	rsaF, edF := getFixture(t, wssec.AS4v115), getFixture(t, wssec.AS4v20)
	doc := loadDoc(t, "envelope.xml")
	for name, cfg := range map[string]*wssec.SignConfig{
		"nil":            nil,
		"no profile":     {SigningKey: rsaF.sender.Sign.Signer(), SigningCert: rsaF.sender.Sign.Cert},
		"key/profile":    {Profile: wssec.AS4v20, SigningKey: rsaF.sender.Sign.Signer(), SigningCert: rsaF.sender.Sign.Cert},
		"cert/key":       {Profile: wssec.AS4v115, SigningKey: rsaF.sender.Sign.Signer(), SigningCert: rsaF.receiver.Sign.Cert},
		"recipient/prof": {Profile: wssec.AS4v115, SigningKey: rsaF.sender.Sign.Signer(), SigningCert: rsaF.sender.Sign.Cert, RecipientCert: edF.receiver.Encrypt.Cert},
	} {
		if _, err := wssec.Secure(doc, nil, cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := wssec.Process(doc, nil, nil); err == nil {
		t.Error("nil VerifyConfig accepted")
	}
	if _, err := wssec.VerifySignal(doc, nil); err == nil {
		t.Error("nil VerifyConfig accepted")
	}
	bad := edF.verifyConfig(t, true)
	bad.DecryptionKey = rsaF.receiver.Encrypt.Key
	if _, err := wssec.Process(doc, nil, bad); err == nil || code(err) != "" {
		t.Errorf("RSA decryption key under the 2.0 profile: %v", err)
	}
}

// A failing part leaves the envelope without a Security header and no
// temporary files.
func TestSecureRollsBack(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	doc := loadDoc(t, "envelope.xml")
	cfg := f.signConfig(t, true)
	parts := testParts()
	opened := 0
	parts = append(parts, wssec.Part{ContentID: "broken@x", Open: func() (io.ReadCloser, error) {
		// Readable for the digest, gone when it is to be encrypted (after
		// the other parts were).
		if opened++; opened > 1 {
			return nil, errors.New("disk gone")
		}
		return io.NopCloser(bytes.NewReader([]byte("x"))), nil
	}})
	if _, err := wssec.Secure(doc, parts, cfg); err == nil {
		t.Fatal("accepted a part that cannot be read")
	}
	if find(doc, wssec.NamespaceWSSE, "Security") != nil {
		t.Fatal("a partial Security header was left in the envelope")
	}
	if left, _ := os.ReadDir(cfg.TempDir); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// Encrypted and decrypted parts up to 1 MiB stay in memory; a larger one
// goes to a temporary file, which its Remove deletes.
func TestPartsSpillPastThreshold(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	count := func(dir string) int {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB
	for _, tc := range []struct {
		name  string
		data  []byte
		files int
	}{{"small", []byte("<a>small</a>"), 0}, {"2MiB", big, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			doc := loadDoc(t, "envelope.xml")
			scfg := f.signConfig(t, true)
			out, err := wssec.Secure(doc, []wssec.Part{memPart("p@oots.example", "application/octet-stream", tc.data)}, scfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(scfg.TempDir); n != tc.files {
				t.Errorf("Secure: %d temporary files, want %d", n, tc.files)
			}
			vcfg := f.verifyConfig(t, true)
			vcfg.TempDir = t.TempDir()
			res, err := process(t, sent{env: doc.Bytes(), parts: out}, vcfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := count(vcfg.TempDir); n != tc.files {
				t.Errorf("Process: %d temporary files, want %d", n, tc.files)
			}
			if got := readAll(t, res.Parts[0]); !bytes.Equal(got, tc.data) {
				t.Error("content changed")
			}
			res.Close()
			for _, p := range out {
				p.Remove()
			}
			if n := count(scfg.TempDir) + count(vcfg.TempDir); n != 0 {
				t.Errorf("%d temporary files left after Remove and Close", n)
			}
		})
	}
}
