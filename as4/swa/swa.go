// Package swa reads and writes SOAP 1.2 messages with attachments in a MIME
// multipart/related package (SOAP Messages with Attachments; RFC 2387
// multipart/related; ebMS3 Core §5.1 packaging; SOAP 1.2 media type
// application/soap+xml, RFC 3902), as AS4 sends them: the root part is the
// SOAP envelope, each payload is one attachment with a Content-ID.
//
// Both directions stream. Write copies each attachment from its Open
// function to the output; Read keeps the envelope in memory (it is bounded by
// Limits.MaxEnvelopeBytes) and spills every attachment larger than
// Limits.MemoryThreshold to a temporary file, so memory does not grow with
// the payload size. Malformed or oversized input is an *Error whose Code is
// the ebMS error code a receiver reports (EBMS:0007 MimeInconsistency).
//
// The MIME header fields Read interprets are structured fields, where RFC 822
// comments may stand (RFC 2045 §5.1, §6.1, §7; RFC 5322 §3.2.2: in
// parentheses, nesting, with quoted-pairs). A Content-ID is the msg-id
// between its angle brackets, without the white space and comments around
// it ("<a@x> (first part)" is a@x; a Content-ID some sender wrote without
// angle brackets is read up to white space or a comment); Content-Type and
// Content-Transfer-Encoding are read, and kept in Part.Header, without their
// comments, and a media type with white space around its "/" ("text / xml",
// RFC 822 linear white space between tokens) as "text/xml". A cid: URL (an eb:PartInfo href, a ds:Reference URI) names the
// part whose Content-ID is its content-id as written or, failing that,
// percent-decoded (RFC 2392; ResolveCID); its scheme may be written in
// any case ("CID:", RFC 3986 §3.1). Write writes Content-IDs as they
// are given, without comments. The transport's Content-Type is read
// without its comments too; its start parameter is a msg-id, read as a
// Content-ID is.
//
// Read decodes parts sent base64 or quoted-printable (RFC 2045 §6.7, §6.8)
// as it streams them: Envelope and Part content are the decoded octets,
// which are what WS-Security signs and encrypts (SwA Profile 1.1.1 §5.4.4;
// see encoding.go). Write always sends binary.
package swa

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/oots-go/oots/internal/exact"
	"github.com/oots-go/oots/internal/spill"
)

// Media types of AS4 packaging.
const (
	// SOAP12 is the SOAP 1.2 media type (RFC 3902).
	SOAP12 = "application/soap+xml"
	// MultipartRelated is the media type of a SOAP-with-attachments package.
	MultipartRelated = "multipart/related"
)

// Part is one attachment. Its fields are those of wssec.Part, so that the
// two convert into each other.
type Part struct {
	// ContentID is the Content-ID without "cid:" and without angle brackets.
	ContentID string
	// Header holds the MIME headers of the part (at least Content-Type).
	Header textproto.MIMEHeader
	// Open returns the content; it may be called more than once.
	Open func() (io.ReadCloser, error)
}

// Error is a packaging failure, with the ebMS error code a receiver reports.
type Error struct {
	Code   string // "EBMS:0007" MimeInconsistency
	Detail string
	Err    error
}

// CodeMimeInconsistency is the ebMS error code of every Read failure.
const CodeMimeInconsistency = "EBMS:0007"

// Error implements error: code, short description, detail and cause.
func (e *Error) Error() string {
	s := "swa: " + e.Code + ": " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errors that Read wraps in *Error, for callers that branch on them.
var (
	ErrTooLarge  = errors.New("message too large")
	ErrTooMany   = errors.New("too many MIME parts")
	ErrMalformed = errors.New("malformed MIME")
)

func mimeErr(err error, format string, args ...any) *Error {
	return &Error{Code: CodeMimeInconsistency, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Message is a SOAP message with its attachments.
type Message struct {
	// Envelope is the serialized SOAP 1.2 envelope (the root part).
	Envelope []byte
	// EnvelopeHeader holds the MIME headers of the root part.
	EnvelopeHeader textproto.MIMEHeader
	// Parts are the attachments in the order of the package.
	Parts []Part

	removes []func() error // of the temporary files backing attachments
}

// Close removes the temporary files backing attachments read by Read.
func (m *Message) Close() error {
	var first error
	for _, remove := range m.removes {
		if err := remove(); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	m.removes = nil
	return first
}

// Writer writes one multipart/related package.
type Writer struct {
	boundary string
	rootID   string
}

// NewWriter returns a Writer with a random boundary and root Content-ID
// drawn from rand (crypto/rand.Reader when nil).
func NewWriter(rnd io.Reader) (*Writer, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	b := make([]byte, 24)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, fmt.Errorf("swa: drawing boundary: %w", err)
	}
	return &Writer{
		boundary: "MIMEBoundary_" + hex.EncodeToString(b[:16]),
		rootID:   "root." + hex.EncodeToString(b[16:]) + "@oots",
	}, nil
}

// ContentType returns the Content-Type of the package, with the boundary,
// the root part's media type and Content-ID (RFC 2387 §3: type, start).
func (w *Writer) ContentType() string {
	return mime.FormatMediaType(MultipartRelated, map[string]string{
		"boundary": w.boundary,
		"type":     SOAP12,
		"start":    "<" + w.rootID + ">",
	})
}

// Write writes the package: the envelope as root part, then each attachment,
// copied from its Open function (streaming; nothing is buffered whole).
func (w *Writer) Write(out io.Writer, envelope []byte, parts []Part) error {
	// The layout of mime/multipart.Writer (RFC 2046 §5.1.1): a delimiter
	// line, the header fields sorted by name, an empty line, the content;
	// each part's header block goes out in one write.
	hdr := make([]byte, 0, 512)
	hdr = append(hdr, "--"...)
	hdr = append(hdr, w.boundary...)
	hdr = append(hdr, "\r\n"...)
	hdr = appendField(hdr, "Content-ID", "<"+w.rootID+">")
	hdr = appendField(hdr, "Content-Transfer-Encoding", "binary")
	hdr = appendField(hdr, "Content-Type", SOAP12+"; charset=UTF-8")
	hdr = append(hdr, "\r\n"...)
	if _, err := out.Write(hdr); err != nil {
		return fmt.Errorf("swa: writing root part: %w", err)
	}
	if _, err := out.Write(envelope); err != nil {
		return fmt.Errorf("swa: writing root part: %w", err)
	}
	seen := map[string]bool{w.rootID: true}
	type field struct {
		name   string
		values []string
	}
	var fields []field
	for i, p := range parts {
		if p.ContentID == "" || seen[p.ContentID] {
			return fmt.Errorf("swa: part %d: empty or duplicate Content-ID %q", i, p.ContentID)
		}
		seen[p.ContentID] = true
		ct := p.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		fields = append(fields[:0],
			field{"Content-Type", []string{ct}},
			field{"Content-Transfer-Encoding", []string{"binary"}},
			field{"Content-ID", []string{"<" + p.ContentID + ">"}})
		for k, v := range p.Header {
			switch textproto.CanonicalMIMEHeaderKey(k) {
			case "Content-Type", "Content-Id", "Content-Transfer-Encoding":
			default:
				fields = append(fields, field{k, v})
			}
		}
		slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
		hdr = append(hdr[:0], "\r\n--"...)
		hdr = append(hdr, w.boundary...)
		hdr = append(hdr, "\r\n"...)
		for _, f := range fields {
			for _, v := range f.values {
				hdr = appendField(hdr, f.name, v)
			}
		}
		hdr = append(hdr, "\r\n"...)
		if _, err := out.Write(hdr); err != nil {
			return fmt.Errorf("swa: part %s: %w", p.ContentID, err)
		}
		if err := copyPart(out, p); err != nil {
			return fmt.Errorf("swa: part %s: %w", p.ContentID, err)
		}
	}
	hdr = append(hdr[:0], "\r\n--"...)
	hdr = append(hdr, w.boundary...)
	hdr = append(hdr, "--\r\n"...)
	_, err := out.Write(hdr)
	return err
}

// appendField appends the header field "name: value" and its line break.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

// Size returns the number of bytes Write writes for the same envelope and
// parts. Attachments backed by files (or by anything with a Stat or Size
// method) are not read; others are read once to count them.
func (w *Writer) Size(envelope []byte, parts []Part) (int64, error) {
	var c counter
	sized := make([]Part, len(parts))
	var extra int64
	for i, p := range parts {
		sized[i] = p
		rc, err := p.Open()
		if err != nil {
			return 0, err
		}
		n, ok := knownSize(rc)
		rc.Close()
		if ok {
			extra += n
			sized[i].Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(nil)), nil }
		}
	}
	if err := w.Write(&c, envelope, sized); err != nil {
		return 0, err
	}
	return int64(c) + extra, nil
}

func knownSize(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size(), true
		}
	case interface{ Size() int64 }:
		return v.Size(), true
	}
	return 0, false
}

type counter int64

func (c *counter) Write(b []byte) (int, error) { *c += counter(len(b)); return len(b), nil }

func copyPart(w io.Writer, p Part) error {
	rc, err := p.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// Limits bound what Read accepts. A zero field takes the default.
type Limits struct {
	MaxParts         int   // attachments; default 100
	MaxHeaderBytes   int   // MIME header block of one part; default 16 KiB (the standard library reads at most 10 MiB before this check)
	MaxEnvelopeBytes int64 // the root part; default 4 MiB
	MaxTotalBytes    int64 // the whole package; default 8 GiB
	MemoryThreshold  int64 // attachments up to this size stay in memory; default 1 MiB
	TempDir          string
}

func (l *Limits) withDefaults() Limits {
	var o Limits
	if l != nil {
		o = *l
	}
	if o.MaxParts == 0 {
		o.MaxParts = 100
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = 16 << 10
	}
	if o.MaxEnvelopeBytes == 0 {
		o.MaxEnvelopeBytes = 4 << 20
	}
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = 8 << 30
	}
	if o.MemoryThreshold == 0 {
		o.MemoryThreshold = 1 << 20
	}
	return o
}

// readers holds the 64 KiB read-ahead buffers of Read; every part is read
// to its end (into memory or a file) before Read returns, so a buffer is
// free again then.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// Read reads a message given the Content-Type of its transport. A plain
// application/soap+xml message has no attachments. A multipart/related one
// must name type="application/soap+xml" (media types match without regard
// to case, RFC 2045 §5.1) and give every attachment a unique Content-ID; its
// root part is the one the start parameter names, wherever it is, or else
// the first (RFC 2387 §3.2). An attachment without a Content-Type, or with
// one that cannot be parsed, is text/plain (RFC 2045 §5.2): the payload's
// type is what its eb:PartInfo says. Comments in Content-ID, Content-Type
// and Content-Transfer-Encoding are read as the package comment says; a
// Content-ID or Content-Transfer-Encoding whose comment is not closed, or
// with text after its msg-id, is refused. A part sent base64 or
// quoted-printable is decoded, and its Content-Transfer-Encoding field
// removed from its header; one sent in another encoding than those and
// 7bit, 8bit or binary is refused with an error naming the encoding, as is
// malformed base64. The caller must Close the message to remove spilled
// files, also after an error in later processing.
func Read(r io.Reader, contentType string, lim *Limits) (*Message, error) {
	l := lim.withDefaults()
	// RFC 2045 §5.1: comments may stand in a Content-Type, outside its
	// quoted strings.
	ct := contentType
	if u, err := uncomment(ct); err == nil {
		ct = slashLWS(u)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, mimeErr(ErrMalformed, "Content-Type %q: %v", contentType, err)
	}
	cr := &countingReader{r: r, max: l.MaxTotalBytes}
	switch mt {
	case SOAP12:
		env, err := readAll(cr, l.MaxEnvelopeBytes)
		if err != nil {
			return nil, mimeErr(err, "SOAP envelope")
		}
		return &Message{Envelope: env, EnvelopeHeader: textproto.MIMEHeader{"Content-Type": {contentType}}}, nil
	case MultipartRelated:
	default:
		return nil, mimeErr(ErrMalformed, "media type %q is neither %s nor %s", mt, SOAP12, MultipartRelated)
	}
	if t := params["type"]; !strings.EqualFold(t, SOAP12) {
		return nil, mimeErr(ErrMalformed, "multipart/related type parameter is %q, want %q", t, SOAP12)
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > 70 {
		return nil, mimeErr(ErrMalformed, "multipart/related without a valid boundary")
	}
	// RFC 2387 §3.4: start := cid, cid := msg-id (RFC 822), the value of a
	// Content-ID field: it is read as msgID reads the Content-IDs it is
	// compared with. Inside the quoted-string that carries it (its "<", ">"
	// and "@" are tspecials, RFC 2045 §5.1), parentheses are not a comment
	// of the Content-Type field (RFC 822 §3.4.3: quoted-strings are not
	// scanned for comments); they are part of the msg-id's value, where RFC
	// 822 §3.1.4 lets comments stand between its tokens:
	// start="<root@x> (a comment)" names the part <root@x>, as Python's
	// email package reads it (the parameter '<root@x> (a comment)', whose
	// msg-id is root@x; TestStartParameterComments).
	start, err := msgID(params["start"])
	if err != nil {
		return nil, mimeErr(ErrMalformed, "multipart/related start parameter %q: %v", params["start"], err)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(cr)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	mr := multipart.NewReader(br, boundary)
	msg := &Message{}
	ok := false
	defer func() {
		if !ok {
			msg.Close()
		}
	}()
	seen := map[string]bool{}
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			switch {
			case cr.exceeded:
				err = fmt.Errorf("%w: package larger than %d bytes", ErrTooLarge, cr.max)
			case i == 0 && errors.Is(err, io.EOF):
				return nil, mimeErr(ErrMalformed, "no part is delimited by the boundary %q in the %d bytes of the body", boundary, cr.n)
			}
			return nil, mimeErr(classify(err), "part %d", i)
		}
		h := p.Header
		if hs := headerSize(h); hs > l.MaxHeaderBytes {
			return nil, mimeErr(ErrTooLarge, "part %d: MIME header of %d bytes, limit %d", i, hs, l.MaxHeaderBytes)
		}
		id, err := msgID(h.Get("Content-Id"))
		if err != nil {
			return nil, mimeErr(ErrMalformed, "part %d: Content-ID %q: %v", i, h.Get("Content-Id"), err)
		}
		if err := uncommentFields(h); err != nil {
			return nil, mimeErr(ErrMalformed, "part %d: %v", i, err)
		}
		if start == "" && i == 0 || start != "" && id == start && msg.Envelope == nil {
			pmt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
			if err != nil || pmt != SOAP12 {
				return nil, mimeErr(ErrMalformed, "root part Content-Type %q is not %s", h.Get("Content-Type"), SOAP12)
			}
			content, err := decodeContent(p, h, l.MaxEnvelopeBytes)
			if err != nil {
				return nil, mimeErr(err, "part %d", i)
			}
			if msg.Envelope, err = readAll(content, l.MaxEnvelopeBytes); err != nil {
				return nil, mimeErr(err, "SOAP envelope part")
			}
			msg.EnvelopeHeader = h
			seen[id] = true
			continue
		}
		if len(msg.Parts) == l.MaxParts {
			return nil, mimeErr(ErrTooMany, "more than %d attachments", l.MaxParts)
		}
		if id == "" {
			return nil, mimeErr(ErrMalformed, "attachment %d has no Content-ID", i)
		}
		if seen[id] {
			return nil, mimeErr(ErrMalformed, "duplicate Content-ID %q", id)
		}
		seen[id] = true
		content, err := decodeContent(p, h, 0)
		if err != nil {
			return nil, mimeErr(err, "attachment %q", id)
		}
		part, err := msg.store(content, id, h, l)
		if err != nil {
			if cr.exceeded {
				err = fmt.Errorf("%w: package larger than %d bytes", ErrTooLarge, cr.max)
			}
			return nil, mimeErr(classify(err), "attachment %q", id)
		}
		msg.Parts = append(msg.Parts, part)
	}
	if msg.Envelope == nil {
		if start != "" {
			return nil, mimeErr(ErrMalformed, "no part has the Content-ID %q that the start parameter names", start)
		}
		return nil, mimeErr(ErrMalformed, "no root part")
	}
	ok = true
	return msg, nil
}

// uncommentFields removes the comments from the Content-Type and
// Content-Transfer-Encoding fields of h (RFC 2045 §5.1, §6.1: structured
// fields, where RFC 822 comments may appear), and the white space around
// the "/" of the media type ("text / xml"), neither of which
// mime.ParseMediaType reads. A Content-Type whose comment is not closed stays as it is
// (it cannot be parsed: text/plain, RFC 2045 §5.2); such a
// Content-Transfer-Encoding is an error.
func uncommentFields(h textproto.MIMEHeader) error {
	for j, v := range h["Content-Type"] {
		if u, err := uncomment(v); err == nil {
			h["Content-Type"][j] = slashLWS(u)
		}
	}
	for j, v := range h["Content-Transfer-Encoding"] {
		u, err := uncomment(v)
		if err != nil {
			return fmt.Errorf("Content-Transfer-Encoding %q: %v", v, err)
		}
		h["Content-Transfer-Encoding"][j] = u
	}
	return nil
}

// store keeps a part in memory up to the threshold, then spills the rest to
// a temporary file, removed by Close.
func (m *Message) store(r io.Reader, id string, h textproto.MIMEHeader, l Limits) (Part, error) {
	w := &spill.Writer{Dir: l.TempDir, Pattern: "oots-swa-*", Limit: l.MemoryThreshold}
	if _, err := w.ReadFrom(r); err != nil {
		w.Discard()
		return Part{}, err
	}
	open, remove, err := w.Finish()
	if err != nil {
		return Part{}, err
	}
	m.removes = append(m.removes, remove)
	return Part{ContentID: id, Header: h, Open: open}, nil
}

func readAll(r io.Reader, max int64) ([]byte, error) {
	b, more, err := exact.Read(r, max)
	if err != nil {
		return nil, classify(err)
	}
	if more {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

func classify(err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooMany) || errors.Is(err, ErrMalformed) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated (%v)", ErrMalformed, err)
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// countingReader fails with ErrTooLarge once more than max bytes are read.
type countingReader struct {
	r        io.Reader
	n        int64
	max      int64
	exceeded bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		// One byte more tells whether the package ends exactly at the limit.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n == 0 {
			return 0, io.EOF
		}
		c.exceeded = true
		return 0, fmt.Errorf("%w: package larger than %d bytes", ErrTooLarge, c.max)
	}
	if rem := c.max - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func headerSize(h textproto.MIMEHeader) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
