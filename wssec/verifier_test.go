package wssec_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// canonicalXML returns the exclusive canonical form of an XML document as
// libxml2 (python3-lxml) computes it: the content the SwA
// Attachment-Content-Signature-Transform digests for an XML attachment.
// The JDK verifier hashes the file it is given, so XML attachments are given
// to it in this independently computed form.
func canonicalXML(t *testing.T, data []byte) []byte {
	t.Helper()
	py := testenv.Python(t, "lxml")
	cmd := exec.Command(py, "-c", `import sys
from lxml import etree
sys.stdout.buffer.write(etree.tostring(etree.fromstring(sys.stdin.buffer.read()), method="c14n", exclusive=True, with_comments=False))`)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lxml c14n: %v", err)
	}
	return out
}

// writeSent writes the envelope and the attachments as the signature covers
// them (plaintext; XML in canonical form) and returns the envelope path and
// cid:ID=FILE args.
func writeSent(t *testing.T, s sent) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	env := filepath.Join(dir, "envelope.xml")
	if err := os.WriteFile(env, s.env, 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	i := 0
	for id, data := range payloads() {
		i++
		name := filepath.Join(dir, "part"+string(rune('0'+i)))
		if strings.HasPrefix(id, "request@") { // application/x-ebrs+xml
			data = canonicalXML(t, data)
		}
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "cid:"+id+"="+name)
	}
	return env, args
}

var (
	jdkOnce sync.Once
	jdkDir  string
	jdkErr  error
)

// jdkClasses compiles the verifier once per test binary (the single-file
// launcher would compile it on every run).
func jdkClasses(t *testing.T) string {
	t.Helper()
	javac := testenv.Tool(t, "javac")
	v := testenv.Verifier(t, "VerifyWSSignature.java")
	jdkOnce.Do(func() {
		jdkDir, jdkErr = os.MkdirTemp("", "oots-jdk-*")
		if jdkErr == nil {
			var out []byte
			out, jdkErr = exec.Command(javac, "-d", jdkDir, v).CombinedOutput()
			if jdkErr != nil {
				jdkErr = fmt.Errorf("%v: %s", jdkErr, out)
			}
		}
	})
	if jdkErr != nil {
		t.Fatalf("compiling the JDK verifier: %v", jdkErr)
	}
	return jdkDir
}

func runJDK(t *testing.T, env string, cids []string) (bool, string) {
	t.Helper()
	java := testenv.Tool(t, "java")
	cmd := exec.Command(java, append([]string{"-cp", jdkClasses(t), "VerifyWSSignature", env}, cids...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running the JDK verifier: %v", err)
		}
	}
	return err == nil, string(out)
}

// The JDK's XML-DSig (Apache Santuario inside the JDK) verifies our
// signatures, every reference including the attachments, and rejects them
// once any signed byte changes.
func TestJDKVerifiesSignature(t *testing.T) {
	for _, p := range profiles {
		t.Run(string(p), func(t *testing.T) {
			f := getFixture(t, p)
			s := secure(t, f, true)
			env, cids := writeSent(t, s)
			ok, out := runJDK(t, env, cids)
			if !ok {
				t.Fatalf("JDK rejects our signature:\n%s", out)
			}
			if n := strings.Count(out, "ok   "); n != 6 {
				t.Fatalf("expected signature value + 5 references ok, got:\n%s", out)
			}

			// Tamper with eb:Messaging, the Timestamp, and one attachment.
			for _, tc := range []struct{ old, new string }{
				{"AP_DE_01", "AP_DE_02"},
				{"<wsu:Created>2026", "<wsu:Created>2027"},
				{"<S12:Body", `<S12:Body xml:lang="en"`},
			} {
				bad := s
				bad.env = bytes.Replace(s.env, []byte(tc.old), []byte(tc.new), 1)
				if bytes.Equal(bad.env, s.env) {
					t.Fatalf("%q not found in the envelope", tc.old)
				}
				env2, cids2 := writeSent(t, bad)
				if ok, out := runJDK(t, env2, cids2); ok {
					t.Fatalf("JDK accepted a tampered envelope (%s):\n%s", tc.new, out)
				}
			}
			parts := strings.SplitN(cids[0], "=", 2)
			data, _ := os.ReadFile(parts[1])
			data[len(data)/2] ^= 1
			os.WriteFile(parts[1], data, 0o600)
			if ok, out := runJDK(t, env, cids); ok {
				t.Fatalf("JDK accepted a tampered attachment:\n%s", out)
			}
		})
	}
}

// xmlsec1 (libxmlsec1/OpenSSL) verifies the RSA signature of a signal (it
// cannot resolve cid: references, so user messages with attachments are
// checked by the JDK verifier above).
func TestXmlsec1VerifiesRSASignal(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	f := getFixture(t, wssec.AS4v115)
	doc := loadDoc(t, "signal.xml")
	if err := wssec.SignSignal(doc, f.signConfig(t, false)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := filepath.Join(dir, "signal.xml")
	cert := filepath.Join(dir, "signer.pem")
	os.WriteFile(env, doc.Bytes(), 0o600)
	os.WriteFile(cert, pki.CertPEM(f.sender.Sign.Cert), 0o600)
	verify := func(file string) (bool, string) {
		out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", cert,
			"--id-attr:Id", "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/:Messaging",
			"--id-attr:Id", "http://www.w3.org/2003/05/soap-envelope:Body",
			"--id-attr:Id", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd:Timestamp",
			file).CombinedOutput()
		return err == nil, string(out)
	}
	if ok, out := verify(env); !ok {
		t.Fatalf("xmlsec1 rejects our signature:\n%s", out)
	}
	bad := bytes.Replace(doc.Bytes(), []byte("a1b2c3d4@"), []byte("a1b2c3d5@"), 1)
	os.WriteFile(env, bad, 0o600)
	if ok, out := verify(env); ok {
		t.Fatalf("xmlsec1 accepted a tampered signal:\n%s", out)
	}
}

// Signed signals (receipts, errors) verify in the JDK too, per profile.
func TestJDKVerifiesSignal(t *testing.T) {
	for _, p := range profiles {
		t.Run(string(p), func(t *testing.T) {
			f := getFixture(t, p)
			doc := loadDoc(t, "signal.xml")
			if err := wssec.SignSignal(doc, f.signConfig(t, false)); err != nil {
				t.Fatal(err)
			}
			env := filepath.Join(t.TempDir(), "signal.xml")
			os.WriteFile(env, doc.Bytes(), 0o600)
			if ok, out := runJDK(t, env, nil); !ok || strings.Count(out, "ok   ") != 4 {
				t.Fatalf("JDK on a signed receipt:\n%s", out)
			}
		})
	}
}
