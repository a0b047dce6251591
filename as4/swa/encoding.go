package swa

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

// Content-Transfer-Encoding (RFC 2045 §6). AS4 senders write "binary", but
// a SOAP stack may send an attachment base64 or quoted-printable encoded,
// as RFC 2045 §6 and RFC 2046 §5.1 allow in any MIME body part, and as SwA
// does not forbid. Read decodes such a part as it streams it, so that the
// content of a Part (and the Envelope) is the content as the sender had it.
//
// That is also what WS-Security covers (OASIS WSS SwA Profile 1.1.1): the
// transfer encoding belongs to the MIME layer, which may change it on the
// way, and is not part of what is signed. §5.4.4 (Processing Rules for
// Attachment Signing), step 4: a reference's transforms must not include
// one for a MIME transfer encoding purpose such as base64, "since transfer
// encoding is left to the MIME layer". Under the
// Attachment-Content-Signature-Transform (the only one the eDelivery AS4
// profiles use) the digest is that of the decoded content, canonicalized by
// media type (§5.4.2 MIME Content Canonicalization; xmldsig.ContentDigest);
// the Attachment-Complete-Signature-Transform adds the MIME headers as
// §5.4.1 (MIME Header Canonicalization) canonicalizes them, which keeps
// Content-Description, Content-Disposition, Content-ID, Content-Location
// and Content-Type only: Content-Transfer-Encoding is never digested, so a
// part the transport re-encoded verifies under either transform (package
// wssec refuses the Complete transform: no eDelivery AS4 profile uses it).
// An encrypted part (§5.5, Attachment-Content-Only encryption) has the
// ciphertext octets as its content, which a transfer encoding wraps like
// any other: the receiver removes the transfer encoding, then decrypts (the
// Attachment-Ciphertext-Transform takes the part's content octets).
//
// A part whose content Read decoded has no Content-Transfer-Encoding in its
// Part.Header (as mime/multipart.Reader.NextPart does for
// quoted-printable): its content is no longer encoded. "7bit", "8bit" and
// "binary" are identity encodings (RFC 2045 §6.2: no encoding has been
// performed) and stay in the header; the content is not checked against the
// label (a "7bit" part with 8-bit octets is read as it is, as Python's
// email package reads it). Any other mechanism (an x-token or IANA token
// this reader does not know, RFC 2045 §6.3) is refused with an error
// naming it: RFC 2045 §6.4 would have the part read as
// application/octet-stream, but an AS4 payload that cannot be decoded
// cannot be delivered.
//
// Decoding never makes content larger (three octets per four base64
// characters; at most one octet per quoted-printable character), so every
// bound on the encoded bytes (Limits.MaxTotalBytes) also bounds the decoded
// ones; the envelope's bound (Limits.MaxEnvelopeBytes) applies to its
// encoded and to its decoded bytes.

// decodeContent returns the reader of the content of a part with the header
// h, read from r through its Content-Transfer-Encoding, and removes that
// field from h when it decodes. max, when positive, bounds the encoded
// bytes read from r (ErrTooLarge). The binary path returns r itself.
func decodeContent(r io.Reader, h textproto.MIMEHeader, max int64) (io.Reader, error) {
	cte := strings.ToLower(h.Get("Content-Transfer-Encoding"))
	var dec io.Reader
	switch cte {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "base64":
		if max > 0 {
			r = &boundedReader{r: r, max: max}
		}
		dec = &base64Reader{r: r}
	case "quoted-printable":
		if max > 0 {
			r = &boundedReader{r: r, max: max}
		}
		dec = qpReader{quotedprintable.NewReader(r)}
	default:
		return nil, fmt.Errorf("%w: Content-Transfer-Encoding %q is not one this receiver decodes (RFC 2045 §6.1: 7bit, 8bit, binary, quoted-printable, base64)", ErrMalformed, cte)
	}
	h.Del("Content-Transfer-Encoding")
	return dec, nil
}

// boundedReader fails with ErrTooLarge once more than max bytes are read.
type boundedReader struct {
	r      io.Reader
	n, max int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.n += int64(n); b.n > b.max {
		return n, fmt.Errorf("%w: encoded content of more than %d bytes", ErrTooLarge, b.max)
	}
	return n, err
}

// qpReader is mime/quotedprintable.Reader (lenient as RFC 2045 §6.7 asks
// of decoders: a "=" not followed by two hex digits is itself, trailing
// white space is removed) with its own errors made ErrMalformed.
type qpReader struct{ r *quotedprintable.Reader }

func (q qpReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, bufio.ErrBufferFull):
		// The decoder reads a line at a time into a 4 KiB buffer;
		// RFC 2045 §6.7 (5) allows 76 characters.
		err = fmt.Errorf("%w: quoted-printable content: a line longer than 4096 bytes (RFC 2045 §6.7: at most 76)", ErrMalformed)
	case strings.HasPrefix(err.Error(), "quotedprintable:"):
		err = fmt.Errorf("%w: quoted-printable content: %v", ErrMalformed, err)
	}
	return n, err
}

// base64Reader decodes base64 content (RFC 2045 §6.8) as it is read, as
// the section asks of decoders: characters outside the base64 alphabet
// (line breaks, white space) are ignored, and the first "=" ends the data
// (what follows it is read and ignored). Content that ends without its
// padding is decoded as far as it goes, as Python's email package does; a
// last quantum of a single character (six bits: no octet) is malformed.
type base64Reader struct {
	r   io.Reader
	in  [4096]byte
	q   [4096 + 3]byte // alphabet characters, not yet decoded
	nq  int
	dec [(4096 + 4) / 4 * 3]byte
	out []byte // decoded, not yet read
	end bool   // the data has ended ("=" seen)
	err error
}

func (d *base64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// fill reads the next block of encoded content and decodes its whole
// quanta; at the end of the content, the last partial quantum.
func (d *base64Reader) fill() {
	n, err := d.r.Read(d.in[:])
	for _, c := range d.in[:n] {
		if d.end {
			break
		}
		switch {
		case c == '=':
			d.end = true
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			d.q[d.nq] = c
			d.nq++
		}
	}
	whole := d.nq / 4 * 4
	last := err == io.EOF
	if last || d.end {
		whole = d.nq
	}
	if whole > 0 {
		if d.nq%4 == 1 && whole == d.nq {
			d.err = fmt.Errorf("%w: base64 content ends with a single character of a quantum (RFC 2045 §6.8)", ErrMalformed)
			return
		}
		m, derr := base64.RawStdEncoding.Decode(d.dec[:], d.q[:whole])
		if derr != nil {
			d.err = fmt.Errorf("%w: base64 content: %v", ErrMalformed, derr)
			return
		}
		d.out = d.dec[:m]
		d.nq = copy(d.q[:], d.q[whole:d.nq])
	}
	if err != nil {
		d.err = err
	}
}
