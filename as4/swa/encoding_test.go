package swa

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"runtime"
	"strings"
	"testing"
)

// transferCases are parts of a package that Python's email package writes:
// with content, encoded by Python's encoders (base64, quoted-printable), or
// with raw, the encoded body as written here under the label cte. py is
// empty when Read must decode the part as Python's parser does
// (Message.get_payload(decode=True)); otherwise it says why it does not,
// and want is what Read gives.
var transferCases = []struct {
	id, ctype, cte string
	content, raw   string
	py, want       string
}{
	{id: "root@py.example", ctype: "application/soap+xml; charset=UTF-8", cte: "base64",
		content: `<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Body/></S12:Envelope>`},
	{id: "b64-binary@py.example", ctype: "application/octet-stream", cte: "base64",
		content: "\x00\x01\x02\xfe\xff\r\n--py-boundary-2\r\n" + strings.Repeat("binary octets, ", 20)},
	{id: "b64-xml@py.example", ctype: "application/x-ebrs+xml", cte: "base64", content: "<q:Query xmlns:q=\"urn:q\">é</q:Query>\n"},
	{id: "b64-empty@py.example", ctype: "application/octet-stream", cte: "base64", content: ""},
	{id: "qp-text@py.example", ctype: "text/plain; charset=utf-8", cte: "quoted-printable",
		content: "a line = with an equals sign, été,\r\nand a second line " + strings.Repeat("long ", 30) + "\r\n"},
	{id: "qp-binary@py.example", ctype: "application/octet-stream", cte: "quoted-printable", content: "\x00\x7f\x80\xff=\t\r\n tab\tend"},
	// Written by hand: what RFC 2045 asks decoders to read.
	{id: "b64-spaces@py.example", ctype: "application/octet-stream", cte: "base64", raw: "aGVs bG8g\r\n\td29y bGQ=\r\n"}, // §6.8: characters outside the alphabet are ignored
	{id: "b64-one-line@py.example", ctype: "application/octet-stream", cte: "base64", raw: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789"), 700))},
	{id: "b64-no-padding@py.example", ctype: "application/octet-stream", cte: "base64", raw: "aGVsbG8"},
	{id: "b64-after-padding@py.example", ctype: "application/octet-stream", cte: "base64", raw: "aGk=\r\naGk=\r\n"}, // §6.8: "=" ends the data
	{id: "b64-label-case@py.example", ctype: "application/octet-stream", cte: "BASE64", raw: "aGk="},
	{id: "qp-soft-breaks@py.example", ctype: "text/plain", cte: "quoted-printable", raw: "soft=\r\nly broken =3d lower=3dcase\r\nhard break\r\n=C3=A9t=C3=A9"},
	{id: "qp-stray-equals@py.example", ctype: "text/plain", cte: "quoted-printable", raw: "a =ZZ b"},
	{id: "qp-trailing-space@py.example", ctype: "text/plain", cte: "quoted-printable", raw: "trailing  \r\nend",
		py: "RFC 2045 §6.7 (3): trailing white space on a line must be deleted by a decoder (Python's keeps it)", want: "trailing\r\nend"},
	{id: "7bit-8bit-octets@py.example", ctype: "text/plain", cte: "7bit", raw: "été"}, // mislabelled, read as it is
	{id: "8bit@py.example", ctype: "text/plain", cte: "8bit", raw: "été\r\n"},
}

// pyTransferPackage has Python's email package write a multipart/related
// package of the transferCases and read it back; it returns the body, its
// Content-Type and the content of each part as Python's parser decodes it.
func pyTransferPackage(t *testing.T) (ct string, body []byte, decoded [][]byte) {
	t.Helper()
	type pyPart struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		CTE     string `json:"cte"`
		Content []byte `json:"content,omitempty"`
		Raw     string `json:"raw,omitempty"`
	}
	var in []pyPart
	for _, c := range transferCases {
		p := pyPart{ID: c.id, Type: c.ctype, CTE: c.cte, Raw: c.raw}
		if c.raw == "" {
			p.Content = []byte(c.content)
		}
		in = append(in, p)
	}
	var out struct {
		ContentType string   `json:"content_type"`
		Body        []byte   `json:"body"`
		Decoded     [][]byte `json:"decoded"`
	}
	python(t, `
import base64, json, sys
from email import encoders, policy
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.parser import BytesParser

pkg = MIMEMultipart("related", boundary="py-boundary-2", type="application/soap+xml", start="<root@py.example>")
for p in json.load(sys.stdin):
    m = Message()
    if p.get("raw") is not None and p.get("content") is None:
        m.set_payload(p["raw"].encode("utf-8").decode("ascii", "surrogateescape"))
        m["Content-Transfer-Encoding"] = p["cte"]
    else:
        m.set_payload(base64.b64decode(p.get("content") or ""))
        {"base64": encoders.encode_base64, "quoted-printable": encoders.encode_quopri}[p["cte"]](m)
    m["Content-Type"] = p["type"]
    m["Content-ID"] = "<%s>" % p["id"]
    pkg.attach(m)
raw = pkg.as_bytes(policy=policy.compat32.clone(linesep="\r\n", max_line_length=0))
head, body = raw.split(b"\r\n\r\n", 1)
back = BytesParser(policy=policy.default).parsebytes(raw)
json.dump({"content_type": str(back["Content-Type"]), "body": base64.b64encode(body).decode(),
           "decoded": [base64.b64encode(p.get_payload(decode=True)).decode() for p in back.iter_parts()]}, sys.stdout)
`, in, &out)
	if len(out.Decoded) != len(transferCases) {
		t.Fatalf("Python reads %d parts back, wrote %d", len(out.Decoded), len(transferCases))
	}
	return out.ContentType, out.Body, out.Decoded
}

// TestReadTransferEncodingPython: parts that Python's email package sends
// base64 or quoted-printable encoded (RFC 2045 §6.7, §6.8), as some SOAP
// stacks send attachments, read here as Python's own parser decodes them:
// the envelope and each attachment's content are the decoded octets.
func TestReadTransferEncodingPython(t *testing.T) {
	ct, body, decoded := pyTransferPackage(t)
	for i, c := range transferCases {
		if c.raw == "" && string(decoded[i]) != c.content {
			t.Fatalf("Python encodes and decodes part %s as %q, not %q", c.id, decoded[i], c.content)
		}
	}
	m, err := Read(bytes.NewReader(body), ct, &Limits{TempDir: t.TempDir(), MemoryThreshold: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Parts) != len(transferCases)-1 {
		t.Fatalf("%d attachments, want %d", len(m.Parts), len(transferCases)-1)
	}
	if !bytes.Equal(m.Envelope, decoded[0]) {
		t.Errorf("envelope %q; Python: %q", m.Envelope, decoded[0])
	}
	if cte := m.EnvelopeHeader.Get("Content-Transfer-Encoding"); cte != "" {
		t.Errorf("the decoded envelope's header keeps Content-Transfer-Encoding %q", cte)
	}
	for i, p := range m.Parts {
		c := transferCases[i+1]
		if p.ContentID != c.id {
			t.Fatalf("attachment %d is %q, want %q", i, p.ContentID, c.id)
		}
		got, want := content(t, p), decoded[i+1]
		if c.py != "" {
			if bytes.Equal(want, []byte(c.want)) {
				t.Errorf("%s: Python now decodes it as this reader does (%q): drop the exception %q", c.id, want, c.py)
			}
			want = []byte(c.want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s (%s): content %q; want %q", c.id, c.cte, got, want)
		}
		label := strings.ToLower(c.cte)
		if cte := p.Header.Get("Content-Transfer-Encoding"); (label == "base64" || label == "quoted-printable") != (cte == "") {
			t.Errorf("%s (%s): Content-Transfer-Encoding %q in the header read", c.id, c.cte, cte)
		}
	}
}

// TestReadTransferEncodingRejects: an encoding this reader does not know is
// refused with an error naming it (RFC 2045 §6.1, §6.4), and content that
// cannot be decoded is refused, both EBMS:0007; the envelope's bound holds
// for its encoded and its decoded bytes.
func TestReadTransferEncodingRejects(t *testing.T) {
	related := `multipart/related; boundary="b1"; type="application/soap+xml"`
	rootPart := "Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>"
	attachment := func(cte, body string) []byte {
		return rawPackage("b1", rootPart, "Content-Type: application/octet-stream\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: "+cte+"\r\n\r\n"+body)
	}
	env := strings.Repeat("<e/>", 25) // 100 bytes; 136 in base64
	b64env := base64.StdEncoding.EncodeToString([]byte(env))
	envPackage := func(cte, body string) []byte {
		return rawPackage("b1", "Content-Type: application/soap+xml\r\nContent-Transfer-Encoding: "+cte+"\r\nContent-ID: <root>\r\n\r\n"+body)
	}
	for _, c := range []struct {
		name   string
		body   []byte
		lim    *Limits
		want   error
		detail string
	}{
		{"x-token", attachment("x-foo", "x"), nil, ErrMalformed, `Content-Transfer-Encoding "x-foo" is not one this receiver decodes`},
		{"uuencode", attachment("x-uuencode (c)", "begin 644 a\r\n`\r\nend"), nil, ErrMalformed, `"x-uuencode"`},
		{"unknown on the root part", envPackage("gzip", "x"), nil, ErrMalformed, `Content-Transfer-Encoding "gzip"`},
		{"base64 of one character", attachment("base64", "a"), nil, ErrMalformed, "base64 content ends with a single character"},
		{"base64 of five characters", attachment("base64", "aGVsb"), nil, ErrMalformed, "base64 content ends with a single character"},
		{"quoted-printable with a control octet", attachment("quoted-printable", "a\x01b"), nil, ErrMalformed, "quoted-printable content"},
		{"quoted-printable with a line of 5000", attachment("quoted-printable", strings.Repeat("q", 5000)), nil, ErrMalformed, "a line longer than 4096 bytes"},
		{"envelope within the bound decoded, beyond it encoded", envPackage("base64", b64env), &Limits{MaxEnvelopeBytes: 120}, ErrTooLarge, "encoded content of more than 120 bytes"},
		{"envelope beyond the bound decoded", envPackage("base64", b64env), &Limits{MaxEnvelopeBytes: 99}, ErrTooLarge, ""},
		{"quoted-printable envelope beyond the bound encoded", envPackage("quoted-printable", strings.ReplaceAll(env, "e", "=65")), &Limits{MaxEnvelopeBytes: 149}, ErrTooLarge, "encoded content of more than 149 bytes"},
		{"package beyond the bound", attachment("base64", strings.Repeat("QUFB", 100)), &Limits{MaxTotalBytes: 300}, ErrTooLarge, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(c.body), related, c.lim)
			if err == nil {
				m.Close()
				t.Fatal("accepted")
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeMimeInconsistency {
				t.Fatalf("err = %v, want *Error EBMS:0007", err)
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.detail) {
				t.Errorf("err = %v; want %v with %q", err, c.want, c.detail)
			}
		})
	}
	// At the bound, encoded and decoded, the envelope is read.
	m, err := Read(bytes.NewReader(envPackage("base64", b64env)), related, &Limits{MaxEnvelopeBytes: int64(len(b64env))})
	if err != nil || string(m.Envelope) != env {
		t.Fatalf("envelope of %d bytes, %d encoded, at the bound: %v", len(env), len(b64env), err)
	}
	m.Close()
}

// TestReadTransferEncodingStreams: a large base64 attachment is decoded as
// it is read and spilled to a file; Read allocates a small fraction of its
// size (the decoder's fixed buffers), not the part.
func TestReadTransferEncodingStreams(t *testing.T) {
	const size = 16 << 20
	head := "--b1\r\nContent-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-ID: <big>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	body := io.MultiReader(strings.NewReader(head), &base64Lines{n: size}, strings.NewReader("\r\n--b1--\r\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Read(body, `multipart/related; boundary="b1"; type="application/soap+xml"`, &Limits{TempDir: t.TempDir(), MemoryThreshold: 64 << 10})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
		t.Errorf("Read allocated %d bytes for a part of %d", alloc, size)
	}
	rc, _ := m.Parts[0].Open()
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil || n != size {
		t.Fatalf("read back %d bytes (%v), want %d", n, err, size)
	}
}

// base64Lines writes n zero octets in base64, in lines of 76 characters,
// without holding them (or allocating per line).
type base64Lines struct {
	n    int    // octets still to encode
	line string // the rest of the current line
}

// zeroLine is 57 zero octets in base64, a line of 76 characters.
var zeroLine = strings.Repeat("A", 76) + "\r\n"

func (b *base64Lines) Read(p []byte) (int, error) {
	if len(b.line) == 0 {
		switch {
		case b.n == 0:
			return 0, io.EOF
		case b.n >= 57:
			b.line, b.n = zeroLine, b.n-57
		default:
			b.line, b.n = base64.StdEncoding.EncodeToString(make([]byte, b.n)), 0
		}
	}
	n := copy(p, b.line)
	b.line = b.line[n:]
	return n, nil
}

// TestStartParameterComments: the start parameter of the transport's
// Content-Type is a cid, that is a msg-id (RFC 2387 §3.4), in a
// quoted-string (its "<", ">" and "@" are tspecials, RFC 2045 §5.1).
// Parentheses inside the quoted-string are not a comment of the
// Content-Type field (RFC 822 §3.4.3) but part of the parameter's value,
// the msg-id, whose comments are read as those of a Content-ID are (RFC 822
// §3.1.4; RFC 2045 §7): start="<root@x> (a comment)" names the part
// <root@x>. A comment outside the quoted-string is one of the Content-Type
// field (RFC 2045 §5.1) and goes. Python's email package reads the
// parameter so (headerregistry: the value '<root@x> (a comment)', or
// '<root@x>' when the comment is outside), and its msg-id parser reads the
// value as the msg-id root@x.
func TestStartParameterComments(t *testing.T) {
	cts := []string{
		`multipart/related; boundary="b1"; type="application/soap+xml"; start="<root@x> (a comment)"`,
		`multipart/related; boundary="b1"; type="application/soap+xml"; start="(first) <root@x> (a (nested) comment)"`,
		`multipart/related; boundary="b1"; type="application/soap+xml"; start="<root@x>" (a comment)`,
		`multipart/related (c); boundary="b1" (the boundary); type="application/soap+xml"; start="<root@x>"`,
	}
	var py []struct {
		Start string `json:"start"`
		ID    string `json:"id"`
	}
	python(t, `
import json, sys
from email import policy
from email.parser import BytesParser
from email._header_value_parser import get_msg_id
out = []
for ct in json.load(sys.stdin):
    m = BytesParser(policy=policy.default).parsebytes(("Content-Type: " + ct + "\r\n\r\n").encode())
    start = m["Content-Type"].params["start"]
    tok, rest = get_msg_id(start)
    assert not rest, (start, rest)
    out.append({"start": start, "id": "".join(str(t) for t in tok if t.token_type != "cfws")[1:-1]})
json.dump(out, sys.stdout)
`, cts, &py)
	body := rawPackage("b1", "Content-Type: text/plain\r\nContent-ID: <a@x>\r\n\r\nx",
		"Content-Type: application/soap+xml\r\nContent-ID: <root@x>\r\n\r\n<e/>")
	for i, ct := range cts {
		m, err := Read(bytes.NewReader(body), ct, nil)
		if err != nil {
			t.Errorf("%s: %v (Python reads start %q, the msg-id %q)", ct, err, py[i].Start, py[i].ID)
			continue
		}
		if string(m.Envelope) != "<e/>" || len(m.Parts) != 1 || m.Parts[0].ContentID != "a@x" || py[i].ID != "root@x" {
			t.Errorf("%s: envelope %q, %d attachments; Python reads start %q as %q", ct, m.Envelope, len(m.Parts), py[i].Start, py[i].ID)
		}
		m.Close()
	}
	// A start value that is not a msg-id with comments is refused.
	_, err := Read(bytes.NewReader(body), `multipart/related; boundary="b1"; type="application/soap+xml"; start="<root@x> <a@x>"`, nil)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "start parameter") {
		t.Errorf("start with two msg-ids: err = %v", err)
	}
}

func FuzzTransferEncoding(f *testing.F) {
	for _, c := range transferCases {
		f.Add([]byte(c.content), []byte(c.raw))
	}
	f.Add([]byte{0, '\r', '\n', '=', ' ', '\t'}, []byte("=\r\n=3D=3d=ZZ=\n= \r\n"))
	f.Fuzz(func(t *testing.T, data, raw []byte) {
		// data, encoded by an encoder, is read back as itself.
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Binary = true
		w.Write(data)
		w.Close()
		var b64 strings.Builder
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b64.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b64.WriteString(enc)
		for cte, body := range map[string]string{"base64": b64.String(), "quoted-printable": qp.String()} {
			pkg := rawPackage("b1", "Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>",
				"Content-Type: application/octet-stream\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: "+cte+"\r\n\r\n"+body)
			m, err := Read(bytes.NewReader(pkg), `multipart/related; boundary="b1"; type="application/soap+xml"`, &Limits{TempDir: t.TempDir(), MemoryThreshold: 16})
			if err != nil {
				t.Fatalf("%s of %q: %v", cte, data, err)
			}
			if got := content(t, m.Parts[0]); !bytes.Equal(got, data) {
				t.Fatalf("%s of %q read back as %q", cte, data, got)
			}
			m.Close()
		}
		// raw, under either label, is decoded without a panic, to at
		// most as many octets as it has, or refused as malformed.
		for _, cte := range []string{"base64", "quoted-printable"} {
			if bytes.Contains(raw, []byte("--b1")) {
				return
			}
			pkg := rawPackage("b1", "Content-Type: application/soap+xml\r\nContent-Transfer-Encoding: "+cte+"\r\nContent-ID: <root>\r\n\r\n"+string(raw))
			m, err := Read(bytes.NewReader(pkg), `multipart/related; boundary="b1"; type="application/soap+xml"`, nil)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s %q: %v", cte, raw, err)
				}
				continue
			}
			if len(m.Envelope) > len(raw) {
				t.Fatalf("%s %q decoded to %d octets", cte, raw, len(m.Envelope))
			}
			m.Close()
		}
	})
}

// ExampleRead_transferEncoding: a part sent base64 is read decoded.
func ExampleRead_transferEncoding() {
	body := "--b1\r\nContent-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>\r\n" +
		"--b1\r\nContent-Type: text/plain\r\nContent-ID: <a@x>\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b1--\r\n"
	m, err := Read(strings.NewReader(body), `multipart/related; boundary="b1"; type="application/soap+xml"`, nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	rc, _ := m.Parts[0].Open()
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Printf("%s %q %q\n", m.Parts[0].ContentID, b, m.Parts[0].Header.Get("Content-Transfer-Encoding"))
	// Output:
	// a@x "hello" ""
}
