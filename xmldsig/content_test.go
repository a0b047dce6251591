package xmldsig_test

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmldsig"
)

var cidRef = xmldsig.Reference{URI: "cid:x", Transforms: []xmldsig.Transform{xmldsig.AttachmentContent}, DigestMethod: xmldsig.SHA256}

// SwA Profile 1.1 §5.4: text content is digested with CRLF line endings,
// binary content as it is, whatever the read boundaries.
func TestContentCanonicalization(t *testing.T) {
	for _, tc := range []struct {
		ct, in, canon string
	}{
		{"text/plain", "a\nb\r\nc\rd\r", "a\r\nb\r\nc\r\nd\r\n"},
		{"text/plain; charset=utf-8", "\r\r\n\n", "\r\n\r\n\r\n"},
		{"TEXT/CSV", "x\n", "x\r\n"},
		{"application/pdf", "a\nb\r", "a\nb\r"},
		{"", "a\n", "a\n"},
		{"application/xml", `<?xml version="1.0"?><a xmlns:u="urn:unused" b="2"   a="1"/>`, `<a a="1" b="2"></a>`},
		{"application/x-ebrs+xml", "<?pi x?><r:a xmlns:r=\"urn:r\"><!-- c --><r:b/></r:a>", "<?pi x?>\n<r:a xmlns:r=\"urn:r\"><r:b></r:b></r:a>"},
	} {
		got, err := xmldsig.DigestContent(tc.ct, iotest.OneByteReader(strings.NewReader(tc.in)), &cidRef)
		if err != nil {
			t.Fatalf("%s %q: %v", tc.ct, tc.in, err)
		}
		if want := sha256.Sum256([]byte(tc.canon)); string(got) != string(want[:]) {
			t.Errorf("%s %q: digest is not that of %q", tc.ct, tc.in, tc.canon)
		}
	}
	if _, err := xmldsig.DigestContent("text/xml", strings.NewReader("<a><b></a>"), &cidRef); err == nil {
		t.Fatal("malformed XML attachment digested")
	}
}

// Our canonical form of an XML attachment is that of lxml (libxml2)
// exclusive c14n, an independent implementation.
func TestXMLAttachmentAgainstLibxml2(t *testing.T) {
	py := testenv.Python(t, "lxml")
	payload := `<?xml version="1.0" encoding="UTF-8"?>
<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:unused="urn:x" id="r1" lang='en'>
  <rim:Slot name="SpecificationIdentifier"><rim:SlotValue>oots-edm:v1.0 &amp; &#233;</rim:SlotValue></rim:Slot>
  <!-- comment -->
  <query:Query/>
</query:QueryRequest>
`
	dir := t.TempDir()
	in := filepath.Join(dir, "payload.xml")
	os.WriteFile(in, []byte(payload), 0o600)
	script := `import sys
from lxml import etree
sys.stdout.buffer.write(etree.tostring(etree.parse(sys.argv[1]), method="c14n", exclusive=True, with_comments=False))`
	out, err := exec.Command(py, "-c", script, in).Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := xmldsig.DigestContent("application/x-ebrs+xml", strings.NewReader(payload), &cidRef)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(out); string(got) != string(want[:]) {
		t.Fatalf("digest differs from that of libxml2's canonical form:\n%s", out)
	}
}

// FuzzContentDigest: the streaming CRLF canonicalization of text content
// equals a simple whole-input reference, whatever the read boundaries; XML
// content never panics the canonicalizer.
func FuzzContentDigest(f *testing.F) {
	f.Add([]byte("a\r\nb\nc\rd"), uint8(3))
	f.Add([]byte("<a xmlns='urn:x'><b/></a>"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		n := int(chunk%16) + 1
		d, err := xmldsig.NewContentDigest("text/plain", &cidRef)
		if err != nil {
			t.Fatal(err)
		}
		for p := in; len(p) > 0; {
			k := min(n, len(p))
			d.Write(p[:k])
			p = p[k:]
		}
		got, _ := d.Sum()
		ref := strings.ReplaceAll(string(in), "\r\n", "\n")
		ref = strings.ReplaceAll(ref, "\r", "\n")
		ref = strings.ReplaceAll(ref, "\n", "\r\n")
		if want := sha256.Sum256([]byte(ref)); string(got) != string(want[:]) {
			t.Fatalf("text canonicalization of %q differs from %q", in, ref)
		}
		xmldsig.DigestContent("application/xml", strings.NewReader(string(in)), &cidRef)
	})
}
