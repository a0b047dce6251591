package swa

import (
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"os"
	"strings"
	"testing"
)

func memPart(id, ct string, b []byte) Part {
	return Part{ContentID: id, Header: textproto.MIMEHeader{"Content-Type": {ct}},
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

func pack(tb testing.TB, env []byte, parts ...Part) (string, []byte) {
	tb.Helper()
	w, err := NewWriter(strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, env, parts); err != nil {
		tb.Fatal(err)
	}
	return w.ContentType(), buf.Bytes()
}

func content(tb testing.TB, p Part) []byte {
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

func TestRoundTrip(t *testing.T) {
	env := []byte(`<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body/></S12:Envelope>`)
	small := []byte("<x>payload\r\n--not-a-boundary\r\n</x>")
	big := bytes.Repeat([]byte{0, 1, 2, 3, '\r', '\n', '-', '-'}, 300_000) // 2.4 MB: spills to a file
	ct, body := pack(t, env, memPart("a@oots", "application/x-ebrs+xml", small), memPart("b@oots", "application/octet-stream", big))
	if !strings.Contains(ct, `type="application/soap+xml"`) || !strings.Contains(ct, "start=") {
		t.Errorf("Content-Type %s lacks type or start", ct)
	}
	dir := t.TempDir()
	m, err := Read(bytes.NewReader(body), ct, &Limits{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Envelope, env) {
		t.Errorf("envelope = %q", m.Envelope)
	}
	if len(m.Parts) != 2 || m.Parts[0].ContentID != "a@oots" || m.Parts[1].ContentID != "b@oots" {
		t.Fatalf("parts = %+v", m.Parts)
	}
	if got := m.Parts[0].Header.Get("Content-Type"); got != "application/x-ebrs+xml" {
		t.Errorf("Content-Type = %q", got)
	}
	if !bytes.Equal(content(t, m.Parts[0]), small) || !bytes.Equal(content(t, m.Parts[1]), big) {
		t.Error("attachment content changed")
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("%d spilled files, want 1 (only the big part)", len(files))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("Close left %d files", len(files))
	}
}

func TestPlainSOAP(t *testing.T) {
	m, err := Read(strings.NewReader("<e/>"), "application/soap+xml; charset=UTF-8", nil)
	if err != nil || string(m.Envelope) != "<e/>" || len(m.Parts) != 0 {
		t.Fatalf("m = %+v, err = %v", m, err)
	}
}

// rawPackage writes a multipart body of the given parts (their headers, an
// empty line and their content) between delimiters of boundary.
func rawPackage(boundary string, parts ...string) []byte {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return []byte(b.String())
}

// TestReadLenient: what RFC 2045 and RFC 2387 allow and real peers may
// send is read, not refused.
func TestReadLenient(t *testing.T) {
	const boundary = "b1"
	raw := func(parts ...string) []byte { return rawPackage(boundary, parts...) }
	related := `multipart/related; boundary="` + boundary + `"; type="application/soap+xml"`
	rootPart := "Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>"
	for _, c := range []struct {
		name, ct string
		body     []byte
		parts    []string // the attachments' Content-IDs, in order
	}{
		// RFC 2045 §5.1: "Matching of media type and subtype is ALWAYS
		// case-insensitive."
		{"type parameter in capitals", strings.Replace(related, "application/soap+xml", "Application/SOAP+XML", 1),
			raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\nx"), []string{"a"}},
		// RFC 2045 §5.2: without a Content-Type, or with one that cannot
		// be parsed, a part is text/plain.
		{"attachment without Content-Type", related, raw(rootPart, "Content-ID: <a>\r\n\r\nx"), []string{"a"}},
		{"attachment with a bad Content-Type", related, raw(rootPart, "Content-Type: ;;\r\nContent-ID: <a>\r\n\r\nx"), []string{"a"}},
		{"attachment with an unquoted space", related, raw(rootPart, "Content-Type: application/pdf; name=my file.pdf\r\nContent-ID: <a>\r\n\r\nx"), []string{"a"}},
		// RFC 2387 §3.2: "The start parameter, if given, points, via a
		// content-ID, to the body part that contains the object root. The
		// default root is the first body part."
		{"root named by start, not first", related + `; start="<root>"`,
			raw("Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\nx", rootPart, "Content-Type: text/plain\r\nContent-ID: <b>\r\n\r\ny"), []string{"a", "b"}},
		// RFC 2045 §7 (Content-ID: msg-id), §5.1 (Content-Type) and §6.1
		// (Content-Transfer-Encoding) are structured fields: RFC 822
		// comments may stand around their tokens.
		{"comments in Content-ID", related + `; start="<root>"`,
			raw("Content-Type: application/soap+xml\r\nContent-ID: (the root) <root> (part)\r\n\r\n<e/>",
				"Content-Type: text/plain\r\nContent-ID: <a> (first (nested) \\) part)\r\n\r\nx",
				"Content-Type: text/plain\r\nContent-ID:\r\n (folded) <b>\r\n\r\ny"), []string{"a", "b"}},
		{"comment in the root's Content-Type", related, raw("Content-Type: application/soap+xml; charset=UTF-8 (the envelope)\r\nContent-ID: <root>\r\n\r\n<e/>",
			"Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\nx"), []string{"a"}},
		{"comment in Content-Transfer-Encoding", related, raw(rootPart,
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: binary (as it is)\r\nContent-ID: <a>\r\n\r\nx"), []string{"a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(c.body), c.ct, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var ids []string
			for _, p := range m.Parts {
				ids = append(ids, p.ContentID)
			}
			if string(m.Envelope) != "<e/>" || strings.Join(ids, " ") != strings.Join(c.parts, " ") {
				t.Errorf("envelope %q, attachments %q; want <e/> and %q", m.Envelope, ids, c.parts)
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	env := []byte("<e/>")
	ct, good := pack(t, env, memPart("a@oots", "text/plain", []byte("hello")))
	boundary := ct[strings.Index(ct, "MIMEBoundary_") : strings.Index(ct, "MIMEBoundary_")+len("MIMEBoundary_")+32]
	raw := func(parts ...string) []byte { return rawPackage(boundary, parts...) }
	related := `multipart/related; type="application/soap+xml"; boundary="` + boundary + `"`
	rootPart := "Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>"
	cases := []struct {
		name string
		ct   string
		body []byte
		lim  *Limits
		want error
	}{
		{"bad content type", "multipart/related; boundary=", good, nil, ErrMalformed},
		{"text/xml", "text/xml", good, nil, ErrMalformed},
		{"wrong type parameter", strings.Replace(ct, "application/soap+xml", "text/xml", 1), good, nil, ErrMalformed},
		{"truncated", ct, good[:len(good)-20], nil, ErrMalformed},
		{"no parts", related, raw(), nil, ErrMalformed},
		{"root not SOAP", related, raw("Content-Type: text/xml\r\n\r\n<e/>"), nil, ErrMalformed},
		{"start names another part", related + `; start="<other>"`, raw(rootPart), nil, ErrMalformed},
		{"attachment without Content-ID", related, raw(rootPart, "Content-Type: text/plain\r\n\r\nx"), nil, ErrMalformed},
		{"duplicate Content-ID", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\nx", "Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\ny"), nil, ErrMalformed},
		{"root Content-ID reused", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <root>\r\n\r\nx"), nil, ErrMalformed},
		{"Content-ID comment not closed", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a> (c\r\n\r\nx"), nil, ErrMalformed},
		{"text after the msg-id", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a> <b>\r\n\r\nx"), nil, ErrMalformed},
		{"Content-Transfer-Encoding comment not closed", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: binary (c\r\n\r\nx"), nil, ErrMalformed},
		{"unknown encoding", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: x-foo\r\n\r\neA=="), nil, ErrMalformed},
		{"boundary not in the body", related, []byte("--another\r\n" + rootPart + "\r\n--another--\r\n"), nil, ErrMalformed},
		{"too many parts", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\n\r\nx", "Content-Type: text/plain\r\nContent-ID: <b>\r\n\r\ny"), &Limits{MaxParts: 1}, ErrTooMany},
		{"envelope too large", ct, good, &Limits{MaxEnvelopeBytes: 3}, ErrTooLarge},
		{"package too large", ct, good, &Limits{MaxTotalBytes: 100}, ErrTooLarge},
		{"header too large", related, raw(rootPart, "Content-Type: text/plain\r\nContent-ID: <a>\r\nX-Pad: "+strings.Repeat("p", 20000)+"\r\n\r\nx"), nil, ErrTooLarge},
	}
	// What the error's Detail says (what is wrong), where it matters.
	details := map[string]string{
		"Content-ID comment not closed":                `part 1: Content-ID "<a> (c": after the msg-id "<a>": comment "(c" is not closed`,
		"text after the msg-id":                        `part 1: Content-ID "<a> <b>": "<b>" follows the msg-id "<a>"`,
		"Content-Transfer-Encoding comment not closed": `part 1: Content-Transfer-Encoding "binary (c": comment "(c" is not closed`,
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(c.body), c.ct, c.lim)
			if err == nil {
				m.Close()
				t.Fatal("accepted")
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeMimeInconsistency {
				t.Fatalf("err = %v, want *Error EBMS:0007", err)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if d := details[c.name]; !strings.Contains(e.Detail, d) {
				t.Errorf("detail %q, want %q in it", e.Detail, d)
			}
		})
	}
}

func TestWriteRejectsDuplicateContentID(t *testing.T) {
	w, _ := NewWriter(nil)
	err := w.Write(io.Discard, []byte("<e/>"), []Part{memPart("a", "text/plain", nil), memPart("a", "text/plain", nil)})
	if err == nil {
		t.Fatal("duplicate Content-ID written")
	}
}

func FuzzRead(f *testing.F) {
	ct, body := pack(f, []byte("<e/>"), memPart("a@oots", "text/plain", []byte("hello")), memPart("b@oots", "application/gzip", []byte{0x1f, 0x8b}))
	f.Add(ct, body)
	f.Add("application/soap+xml", []byte("<e/>"))
	f.Add(`multipart/related; boundary="b1"; type="application/soap+xml"; start="<root>"`, rawPackage("b1",
		"Content-Type: application/soap+xml (c)\r\nContent-ID: (r) <root> (the (root) part)\r\n\r\n<e/>",
		"Content-Type: text/xml; charset=(c)utf-8\r\nContent-Transfer-Encoding: binary (c)\r\nContent-ID: <\"a>b\"@x> (\\) c)\r\n\r\nx",
		"Content-ID: b@x (no angle brackets, no Content-Type)\r\n\r\ny"))
	// Transfer encodings: a base64 envelope, base64 and quoted-printable
	// attachments, a start parameter with a comment.
	f.Add(`multipart/related; boundary="b1"; type="application/soap+xml"; start="<root> (c)" (c)`, rawPackage("b1",
		"Content-Type: application/soap+xml\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <root>\r\n\r\nPGUv\r\nPg==",
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: BASE64 (c)\r\nContent-ID: <a@x>\r\n\r\nAAEC\r\n/f7/ aGk",
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-ID: <b@x>\r\n\r\nsoft=\r\nbreak =3D=00=ZZ  \r\nend=",
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-foo\r\nContent-ID: <c@x>\r\n\r\nz"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		m, err := Read(bytes.NewReader(body), ct, &Limits{TempDir: t.TempDir(), MemoryThreshold: 16})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not *swa.Error: %v", err)
			}
			return
		}
		defer m.Close()
		// What was read writes again and reads back the same.
		ct2, body2 := pack(t, m.Envelope, m.Parts...)
		m2, err := Read(bytes.NewReader(body2), ct2, nil)
		if err != nil {
			t.Fatalf("rewritten package does not read: %v", err)
		}
		if !bytes.Equal(m2.Envelope, m.Envelope) || len(m2.Parts) != len(m.Parts) {
			t.Fatal("rewritten package differs")
		}
		for i := range m.Parts {
			if !bytes.Equal(content(t, m.Parts[i]), content(t, m2.Parts[i])) {
				t.Fatalf("part %d differs", i)
			}
			ct := m.Parts[i].Header.Get("Content-Type")
			if m.Parts[i].ContentID != m2.Parts[i].ContentID || ct != "" && ct != m2.Parts[i].Header.Get("Content-Type") {
				t.Fatalf("part %d: Content-ID %q, Content-Type %q written, read back as %q, %q", i,
					m.Parts[i].ContentID, m.Parts[i].Header.Get("Content-Type"), m2.Parts[i].ContentID, m2.Parts[i].Header.Get("Content-Type"))
			}
		}
	})
}

func TestSize(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/part"
	os.WriteFile(file, bytes.Repeat([]byte("f"), 12345), 0o600)
	parts := []Part{
		memPart("a@oots", "text/plain", []byte("in memory")),
		{ContentID: "b@oots", Header: textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}}, Open: func() (io.ReadCloser, error) { return os.Open(file) }},
		{ContentID: "c@oots", Header: textproto.MIMEHeader{"Content-Type": {"text/plain"}}, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("stream")), nil }},
	}
	w, _ := NewWriter(nil)
	var buf bytes.Buffer
	if err := w.Write(&buf, []byte("<e/>"), parts); err != nil {
		t.Fatal(err)
	}
	n, err := w.Size([]byte("<e/>"), parts)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Size = %d, %v; Write wrote %d", n, err, buf.Len())
	}
}
