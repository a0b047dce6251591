package as4_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// The JDK's XML-DSig verifies the signature of a whole AS4 message as Pack
// writes it — eb:Messaging, Body, Timestamp and every (compressed) attachment,
// with the attachment bytes taken after decryption by Unpack — and rejects it
// once a signed header byte changes.
func TestJDKVerifiesPackedMessage(t *testing.T) {
	javac, java := testenv.Tool(t, "javac"), testenv.Tool(t, "java")
	src := testenv.Verifier(t, "VerifyWSSignature.java")
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-d", classes, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		profile   wssec.Profile
		timestamp string
	}{
		{profiles[0], ""}, {profiles[1], ""}, // the default: none, as Domibus
		{profiles[0], pmode.TimestampRequired}, {profiles[1], pmode.TimestampOptional},
	} {
		profile := tc.profile
		t.Run(string(profile)+"/timestamp="+tc.timestamp, func(t *testing.T) {
			f := getFixture(t, profile)
			c := config(profile)
			c.Legs[0].Security.Timestamp = tc.timestamp
			p := f.packRequest(t, c)
			req := wire(t, p)
			in, err := f.receiverOf(t, c).Unpack(req.Header.Get("Content-Type"), req.Body)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			dir := t.TempDir()
			env := filepath.Join(dir, "envelope.xml")
			os.WriteFile(env, p.Envelope, 0o600)
			var args []string
			for i, part := range in.Security.Parts {
				rc, err := part.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				name := filepath.Join(dir, "part"+string(rune('0'+i)))
				os.WriteFile(name, b, 0o600)
				args = append(args, "cid:"+part.ContentID+"="+name)
			}
			run := func(envFile string) (bool, string) {
				out, err := exec.Command(java, append([]string{"-cp", classes, "VerifyWSSignature", envFile}, args...)...).CombinedOutput()
				if err != nil {
					if _, ok := err.(*exec.ExitError); !ok {
						t.Fatal(err)
					}
				}
				return err == nil, string(out)
			}
			ok, out := run(env)
			if !ok {
				t.Fatalf("JDK rejects the packed message:\n%s", out)
			}
			// SignatureValue + Messaging, Body, 2 attachments (+ Timestamp).
			want, hasTS := 5, bytes.Contains(p.Envelope, []byte("wsu:Timestamp"))
			if tc.timestamp != "" {
				want++
			}
			if hasTS != (tc.timestamp != "") {
				t.Errorf("timestamp policy %q, and the message has a wsu:Timestamp: %v", tc.timestamp, hasTS)
			}
			if n := strings.Count(out, "ok   "); n != want {
				t.Errorf("want %d checks ok, got:\n%s", want, out)
			}
			bad := filepath.Join(dir, "tampered.xml")
			os.WriteFile(bad, bytes.Replace(p.Envelope, []byte("ExecuteQueryRequest"), []byte("ExecuteQueryRequesT"), 1), 0o600)
			if ok, out := run(bad); ok {
				t.Errorf("JDK accepts a tampered eb:Messaging:\n%s", out)
			}
		})
	}
}

// A message packed on a P-Mode imported from Domibus with
// eDeliveryAS4Policy_BST carries no wsu:Timestamp; Python's cryptography
// (OpenSSL) decrypts each attachment with the EncryptedKey of the
// envelope and the receiver's key, and the JDK's XML-DSig verifies the
// signature over eb:Messaging, the Body and those attachments, as
// Domibus's WSS4J would. No code of ours reads the message.
func TestIndependentToolsOnDomibusShapedMessage(t *testing.T) {
	javac, java := testenv.Tool(t, "javac"), testenv.Tool(t, "java")
	py := testenv.Python(t, "cryptography")
	helper := testenv.File(t, filepath.Join(testenv.RepoRoot(t), "xmlenc", "testdata", "swa_crypto.py"))
	src := testenv.Verifier(t, "VerifyWSSignature.java")
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pmode.ImportDomibus([]byte(strings.ReplaceAll(string(b), `<security name="eDeliveryAS4PolicyRSA" profile="rsa"/>`,
		`<security name="eDeliveryAS4PolicyRSA" policy="eDeliveryAS4Policy_BST.xml" profile="rsa"/>`)))
	if err != nil {
		t.Fatal(err)
	}
	f := getFixture(t, wssec.AS4v115)
	p, err := f.senderOf(t, c).Pack(&as4.Outbound{Leg: "ootsRequestLeg",
		Properties: []as4.Property{{Name: "originalSender", Value: "a"}, {Name: "finalRecipient", Value: "b"}},
		Payloads: []as4.Payload{memPayload("q1@oots.eu", "application/x-ebrs+xml", "<q>one</q>"),
			memPayload("", "application/pdf", "%PDF-1.4 two")}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if bytes.Contains(p.Envelope, []byte("wsu:Timestamp")) {
		t.Error("a wsu:Timestamp under eDeliveryAS4Policy_BST")
	}
	dir := t.TempDir()
	env := filepath.Join(dir, "envelope.xml")
	os.WriteFile(env, p.Envelope, 0o600)
	keyPEM, err := pki.KeyPEM(f.receiver.Encrypt.Key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600)
	var args []string
	for i, part := range p.Parts {
		rc, err := part.Open()
		if err != nil {
			t.Fatal(err)
		}
		cipher, _ := io.ReadAll(rc)
		rc.Close()
		in, out := filepath.Join(dir, fmt.Sprint("cipher", i)), filepath.Join(dir, fmt.Sprint("plain", i))
		os.WriteFile(in, cipher, 0o600)
		if b, err := exec.Command(py, helper, "decrypt", env, filepath.Join(dir, "key.pem"), in, out).CombinedOutput(); err != nil {
			t.Fatalf("python-cryptography cannot decrypt part %s: %v\n%s", part.ContentID, err, b)
		}
		args = append(args, "cid:"+part.ContentID+"="+out)
	}
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-d", classes, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	out, err := exec.Command(java, append([]string{"-cp", classes, "VerifyWSSignature", env}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("the JDK rejects the Domibus-shaped message:\n%s", out)
	}
	if n := strings.Count(string(out), "ok   "); n != 5 { // SignatureValue, Messaging, Body, 2 attachments
		t.Errorf("want 5 checks ok, got:\n%s", out)
	}
}
