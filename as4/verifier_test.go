package as4_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
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
	for _, profile := range profiles[:2] {
		t.Run(profile, func(t *testing.T) {
			f := getFixture(t, profile)
			c := config(profile)
			p, err := f.senderOf(t, c).Pack(request())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
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
			if n := strings.Count(out, "ok   "); n != 6 { // SignatureValue + Messaging, Body, Timestamp, 2 attachments
				t.Errorf("want 6 checks ok, got:\n%s", out)
			}
			bad := filepath.Join(dir, "tampered.xml")
			os.WriteFile(bad, bytes.Replace(p.Envelope, []byte("ExecuteQueryRequest"), []byte("ExecuteQueryRequesT"), 1), 0o600)
			if ok, out := run(bad); ok {
				t.Errorf("JDK accepts a tampered eb:Messaging:\n%s", out)
			}
		})
	}
}
