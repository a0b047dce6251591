package as4_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"os/exec"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// pyReencode has Python re-encode the attachments of a multipart/related
// body: every part but the root gets its content base64 (base64.encodebytes)
// or, when qp is true, quoted-printable (binascii.b2a_qp, binary-safe)
// encoded, with the Content-Transfer-Encoding to say so; the other header
// fields and the root part stay as they are. Python's email parser then
// checks that each re-encoded part decodes to the content it had.
func pyReencode(t *testing.T, contentType string, body []byte, qp bool) []byte {
	t.Helper()
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatal(err)
	}
	py := testenv.Python(t, "email", "base64", "binascii")
	in, _ := json.Marshal(map[string]any{"content_type": contentType, "boundary": params["boundary"],
		"start": params["start"], "body": body, "qp": qp})
	cmd := exec.Command(py, "-c", `
import base64, binascii, json, re, sys
from email import policy
from email.parser import BytesParser
a = json.load(sys.stdin)
body, delim = base64.b64decode(a["body"]), b"--" + a["boundary"].encode()
pieces = body.split(b"\r\n" + delim)
first = pieces[0]
assert first.startswith(delim + b"\r\n"), first[:80]
pieces[0] = first[len(delim):]
out, originals = [], []
for piece in pieces:
    if piece.startswith(b"--"):
        out.append(piece)
        continue
    head, content = piece[2:].split(b"\r\n\r\n", 1)
    fields = head.split(b"\r\n")
    if any(f.lower().startswith(b"content-id:") and a["start"].encode() in f for f in fields):
        out.append(piece)
        continue
    fields = [f for f in fields if not f.lower().startswith(b"content-transfer-encoding:")]
    if a["qp"]:
        fields.append(b"Content-Transfer-Encoding: quoted-printable")
        enc = binascii.b2a_qp(content, quotetabs=True, istext=False).replace(b"=\n", b"=\r\n")
    else:
        fields.append(b"Content-Transfer-Encoding: base64")
        enc = base64.encodebytes(content).replace(b"\n", b"\r\n")
    out.append(b"\r\n" + b"\r\n".join(fields) + b"\r\n\r\n" + enc)
    originals.append(content)
raw = delim + (b"\r\n" + delim).join(out)
back = BytesParser(policy=policy.default).parsebytes(b"Content-Type: " + a["content_type"].encode() + b"\r\n\r\n" + raw)
decoded = [p.get_payload(decode=True) for p in back.iter_parts()
           if p["Content-Transfer-Encoding"] is not None and p["Content-Transfer-Encoding"].cte in ("base64", "quoted-printable")]
assert decoded == originals, "Python does not decode what it encoded"
assert originals, "no attachment re-encoded"
json.dump(base64.b64encode(raw).decode(), sys.stdout)
`)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	var raw []byte
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestTransferEncodedAttachments: a message whose attachments a SOAP stack
// sends base64 or quoted-printable encoded (RFC 2045 §6.7, §6.8) is
// received as sent. WS-Security signs and encrypts the content, not its
// transfer form: a reference's transforms never include one for a transfer
// encoding, which "is left to the MIME layer" (SwA Profile 1.1.1 §5.4.4
// step 4), so the Attachment-Content-Signature-Transform digests the
// decoded content (signed legs), and an encrypted part's content is the
// ciphertext, decoded before it is decrypted (§5.5). The attachments of
// our own signed (and encrypted) messages are re-encoded by Python, whose
// parser checks that they decode to what was sent.
func TestTransferEncodedAttachments(t *testing.T) {
	for _, v := range legVariants() {
		for _, qp := range []bool{false, true} {
			name := v.name + "-base64"
			if qp {
				name = v.name + "-quoted-printable"
			}
			t.Run(name, func(t *testing.T) {
				f := getFixture(t, v.profile)
				c := v.config()
				p := f.packRequest(t, c)
				body := bodyOf(t, p)
				encoded := pyReencode(t, p.ContentType(), body, qp)
				if bytes.Equal(encoded, body) {
					t.Fatal("nothing re-encoded")
				}
				in := f.unpack(t, c, p.ContentType(), encoded)
				if len(in.Payloads) != 2 {
					t.Fatalf("payloads %+v", in.Payloads)
				}
				samePayloads(t, in, request())
				if in.Security != nil && (v.profile == pmode.ProfileNone || len(in.Security.SignedInfoReferences) == 0) {
					t.Errorf("security result %+v", in.Security)
				}
			})
		}
	}
}

// TestUnknownTransferEncoding: an attachment in an encoding the receiver
// does not decode is refused with EBMS:0007 MimeInconsistency, and the
// eb:ErrorDetail names the encoding (RFC 2045 §6.1 lists the known ones).
func TestUnknownTransferEncoding(t *testing.T) {
	f := getFixture(t, wssec.AS4v115)
	c := config(wssec.AS4v115)
	p := f.packRequest(t, c)
	_, params, _ := mime.ParseMediaType(p.ContentType())
	// The first attachment (the root part is written first, with its
	// own Content-ID).
	root := strings.Trim(params["start"], "<>")
	b := bodyOf(t, p)
	var i int
	for {
		j := bytes.Index(b[i:], []byte("Content-Transfer-Encoding: binary"))
		if j < 0 {
			t.Fatal("no attachment written binary")
		}
		i += j
		if k := bytes.LastIndex(b[:i], []byte("--"+params["boundary"])); !bytes.Contains(b[k:i+40], []byte(root)) {
			break
		}
		i++
	}
	b = append(append(append([]byte(nil), b[:i]...), "Content-Transfer-Encoding: x-gzip64"...), b[i+len("Content-Transfer-Encoding: binary"):]...)
	_, err := f.receiverOf(t, c).Unpack(p.ContentType(), bytes.NewReader(b))
	var e *as4.Error
	if !errors.As(err, &e) || e.Code != as4.MimeInconsistency || !strings.Contains(e.Detail, `Content-Transfer-Encoding "x-gzip64"`) {
		t.Fatalf("err = %v; want EBMS:0007 naming x-gzip64", err)
	}
}
