package wssec_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// testNow is the clock of every test: certificates and timestamps agree.
var testNow = time.Date(2026, 1, 15, 9, 8, 0, 0, time.UTC)

type fixture struct {
	profile          wssec.Profile
	ca               *pki.Credential
	sender, receiver *pki.Party
	store            *trust.Store
}

var (
	fixMu    sync.Mutex
	fixtures = map[wssec.Profile]*fixture{}
)

// pkiDir names the directory of testdata/pki holding a profile's
// credentials.
var pkiDir = map[wssec.Profile]string{wssec.AS4v115: "rsa", wssec.AS4v20: "eddsa"}

var updatePKI = flag.Bool("update-pki", false, "regenerate the test credentials in testdata/pki")

// getFixture loads a CA and two access points from testdata/pki/PROFILE
// (made with package pki; regenerate with -update-pki). Loading rather than
// generating keeps fuzz workers fast: RSA key generation under coverage
// instrumentation takes minutes.
func getFixture(tb testing.TB, p wssec.Profile) *fixture {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if f := fixtures[p]; f != nil {
		return f
	}
	dir := filepath.Join("testdata", "pki", pkiDir[p])
	if *updatePKI {
		opt := &pki.Options{Now: testNow.Add(-24 * time.Hour), Validity: 20 * 365 * 24 * time.Hour}
		ca, err := pki.NewCA("oots test CA", p, opt)
		if err != nil {
			tb.Fatal(err)
		}
		os.MkdirAll(dir, 0o755)
		if err := ca.WriteFiles(dir, "ca"); err != nil {
			tb.Fatal(err)
		}
		for _, name := range []string{"AP_FR_01", "AP_DE_01"} {
			pt, err := pki.Issue(ca, name, p, opt)
			if err != nil {
				tb.Fatal(err)
			}
			if err := pt.WriteFiles(dir, name); err != nil {
				tb.Fatal(err)
			}
		}
	}
	ca, err := pki.LoadCredential(dir, "ca")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := pki.LoadParty(dir, "AP_FR_01")
	if err != nil {
		tb.Fatal(err)
	}
	r, err := pki.LoadParty(dir, "AP_DE_01")
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{profile: p, ca: ca, sender: s, receiver: r, store: trust.NewStore(ca.Cert)}
	fixtures[p] = f
	return f
}

func (f *fixture) signConfig(tb testing.TB, encrypt bool) *wssec.SignConfig {
	c := &wssec.SignConfig{
		Profile: f.profile, SigningKey: f.sender.Sign.Signer(), SigningCert: f.sender.Sign.Cert,
		Now: func() time.Time { return testNow }, TempDir: tb.TempDir(),
		Timestamp: wssec.TimestampRequired,
	}
	if encrypt {
		c.RecipientCert = f.receiver.Encrypt.Cert
	}
	return c
}

func (f *fixture) verifyConfig(tb testing.TB, encrypt bool) *wssec.VerifyConfig {
	return &wssec.VerifyConfig{
		Profile: f.profile, RequireSignature: true, RequireEncryption: encrypt,
		Trust: f.store, DecryptionKey: f.receiver.Encrypt.Key,
		Now: func() time.Time { return testNow.Add(30 * time.Second) }, TempDir: tb.TempDir(),
		Timestamp: wssec.TimestampRequired,
	}
}

func memPart(id, contentType string, data []byte) wssec.Part {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-ID", "<"+id+">")
	return wssec.Part{ContentID: id, Header: h, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// payloads are the plaintext attachments of the test message.
func payloads() map[string][]byte {
	pdf := bytes.Repeat([]byte("%PDF-1.7 evidence \x00\x01\x02\xff"), 2000)
	return map[string][]byte{
		"request@oots.example":  []byte(`<?xml version="1.0" encoding="UTF-8"?><query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="r1"/>`),
		"evidence@oots.example": pdf,
	}
}

func testParts() []wssec.Part {
	p := payloads()
	return []wssec.Part{
		memPart("request@oots.example", "application/x-ebrs+xml", p["request@oots.example"]),
		memPart("evidence@oots.example", "application/pdf", p["evidence@oots.example"]),
	}
}

func loadDoc(tb testing.TB, name string) *xmltree.Document {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// sent is a secured message as it travels: the envelope's bytes and parts.
type sent struct {
	env   []byte
	parts []wssec.Part
}

func secure(tb testing.TB, f *fixture, encrypt bool) sent {
	tb.Helper()
	doc := loadDoc(tb, "envelope.xml")
	out, err := wssec.Secure(doc, testParts(), f.signConfig(tb, encrypt))
	if err != nil {
		tb.Fatal(err)
	}
	return sent{env: doc.Bytes(), parts: out}
}

func readAll(tb testing.TB, p wssec.Part) []byte {
	tb.Helper()
	rc, err := p.Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func process(tb testing.TB, s sent, cfg *wssec.VerifyConfig) (*wssec.Result, error) {
	tb.Helper()
	doc, err := xmltree.ParseBytes(s.env, nil)
	if err != nil {
		tb.Fatalf("our own output does not parse: %v", err)
	}
	return wssec.Process(doc, s.parts, cfg)
}

// code returns the EBMS code of a *wssec.Error, or "" for nil or another
// error.
func code(err error) string {
	var e *wssec.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestMain(m *testing.M) {
	code := m.Run()
	if jdkDir != "" {
		os.RemoveAll(jdkDir)
	}
	os.Exit(code)
}
