package xmldsig

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"mime"
	"strings"

	"github.com/oots-go/oots/xmltree"
)

// Attachment content canonicalization (OASIS WSS SwA Profile 1.1 §5.4,
// "MIME Content Canonicalization"), applied by the
// Attachment-Content-Signature-Transform before the digest:
//
//   - XML content (text/xml, application/xml, any */*+xml such as
//     application/x-ebrs+xml... see isXML) is canonicalized with Exclusive
//     XML Canonicalization without comments and no InclusiveNamespaces;
//   - other text/* content has its line endings made CRLF (RFC 2045 §2.10
//     canonical form);
//   - any other content (application/pdf, application/gzip, octet streams)
//     is digested as its octets.
//
// The MIME type is the attachment's original Content-Type (for an encrypted
// attachment, the MimeType of its EncryptedData). XML content is parsed with
// the project's screened parser and its default limits (32 MiB): larger XML
// attachments should travel compressed (application/gzip), as OOTS P-Modes
// do for requests.

type contentKind int

const (
	binaryContent contentKind = iota
	textContent
	xmlContent
)

func kindOf(contentType string) contentKind {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch {
	case mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml"):
		return xmlContent
	case strings.HasPrefix(mt, "text/"):
		return textContent
	}
	return binaryContent
}

// ContentDigest computes the digest of a cid: reference under the
// Attachment-Content-Signature-Transform, fed by Write (streaming for binary
// and text content; XML content is collected and canonicalized by Sum).
type ContentDigest struct {
	h       hash.Hash
	kind    contentKind
	xml     bytes.Buffer
	pendCR  bool // text: the previous octet was a CR
	limit   int64
	uri     string
	tooLong bool
}

// NewContentDigest starts the digest of an attachment with the given MIME
// Content-Type for ref, which must have exactly the
// Attachment-Content-Signature-Transform and SHA-256.
func NewContentDigest(contentType string, ref *Reference) (*ContentDigest, error) {
	if len(ref.Transforms) != 1 || ref.Transforms[0] != AttachmentContent {
		return nil, fmt.Errorf("xmldsig: %w: a cid: reference needs exactly the Attachment-Content-Signature-Transform", ErrAlgorithm)
	}
	if ref.DigestMethod != SHA256 {
		return nil, fmt.Errorf("xmldsig: %w: digest %q", ErrAlgorithm, ref.DigestMethod)
	}
	return &ContentDigest{h: sha256.New(), kind: kindOf(contentType), limit: xmltree.DefaultMaxBytes, uri: ref.URI}, nil
}

// Write adds content octets.
func (d *ContentDigest) Write(p []byte) (int, error) {
	switch d.kind {
	case binaryContent:
		d.h.Write(p)
	case xmlContent:
		// Past the limit the content is dropped and Sum fails: the writer
		// itself keeps accepting so that a decryption feeding it completes.
		if d.tooLong || int64(d.xml.Len()+len(p)) > d.limit {
			d.tooLong = true
			d.xml.Reset()
			return len(p), nil
		}
		d.xml.Write(p)
	case textContent:
		start := 0
		for i, c := range p {
			switch {
			case c == '\r':
				if d.pendCR { // CR CR: the first is a lone CR
					d.h.Write(p[start:i])
					d.h.Write([]byte{'\n'})
					start = i
				}
				d.pendCR = true
			case c == '\n':
				if !d.pendCR {
					d.h.Write(p[start:i])
					d.h.Write([]byte{'\r'})
					start = i
				}
				d.pendCR = false
			default:
				if d.pendCR { // lone CR before another octet
					d.h.Write(p[start:i])
					d.h.Write([]byte{'\n'})
					start = i
				}
				d.pendCR = false
			}
		}
		d.h.Write(p[start:])
	}
	return len(p), nil
}

// Sum finishes the digest. For XML content it parses and canonicalizes the
// collected octets; content that is not well-formed XML is an error.
func (d *ContentDigest) Sum() ([]byte, error) {
	switch d.kind {
	case textContent:
		if d.pendCR {
			d.h.Write([]byte{'\n'})
			d.pendCR = false
		}
	case xmlContent:
		if d.tooLong {
			return nil, fmt.Errorf("xmldsig: XML attachment %s larger than %d octets", d.uri, d.limit)
		}
		doc, err := xmltree.ParseBytes(d.xml.Bytes(), nil)
		if err != nil {
			return nil, fmt.Errorf("xmldsig: XML attachment %s: %w", d.uri, err)
		}
		canonicalDocument(d.h, doc)
	}
	return d.h.Sum(nil), nil
}

// canonicalDocument writes the exclusive canonical form of a whole document:
// processing instructions around the document element on their own lines,
// comments omitted (Canonical XML 1.0 §2.1, Exclusive c14n §3).
func canonicalDocument(w io.Writer, doc *xmltree.Document) {
	seenRoot := false
	for _, n := range doc.Children {
		switch t := n.(type) {
		case *xmltree.Element:
			xmltree.Canonicalize(w, t, nil)
			seenRoot = true
		case *xmltree.ProcInst:
			if seenRoot {
				io.WriteString(w, "\n")
			}
			io.WriteString(w, "<?"+t.Target)
			if t.Inst != "" {
				io.WriteString(w, " "+t.Inst)
			}
			io.WriteString(w, "?>")
			if !seenRoot {
				io.WriteString(w, "\n")
			}
		}
	}
}

// DigestContent returns the digest of an attachment (MIME Content-Type
// contentType, content r) under a cid: reference with the
// Attachment-Content-Signature-Transform. Binary and text content stream.
func DigestContent(contentType string, r io.Reader, ref *Reference) ([]byte, error) {
	d, err := NewContentDigest(contentType, ref)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(d, r); err != nil {
		return nil, fmt.Errorf("xmldsig: reading %s: %w", ref.URI, err)
	}
	return d.Sum()
}
