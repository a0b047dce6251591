// Package pdf writes small text-only PDF 1.4 documents (ISO 32000-1 §7:
// file structure, cross-reference table, literal strings) and checks the
// structure of such a file. It is how the demo data produces real evidence
// documents; it is not a general PDF library.
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// linesPerPage is how many text lines fit on one A4 page at 14 pt
// leading between the margins.
const linesPerPage = 52

// titleWidth is how many characters of the title fit on one line at 16 pt
// between the margins; titleLeading the distance between its lines.
const (
	titleWidth   = 55
	titleLeading = 18
)

// Text writes a PDF 1.4 document of A4 pages with the given title and lines
// of text in Helvetica (WinAnsiEncoding: Latin letters with diacritics are
// kept, other characters become "?"), with a correct cross-reference table.
// Long lines are wrapped, the title too (a title in two languages, say);
// the document gets as many pages as it needs. It is how the demo data
// service produces real evidence documents.
func Text(title string, lines []string) []byte {
	var wrapped []string
	for _, l := range lines {
		wrapped = append(wrapped, wrap(l, 90)...)
	}
	heading := wrap(title, titleWidth)
	// The title's lines after its first push the text of the first page
	// down by this many lines of text.
	lower := ((len(heading)-1)*titleLeading + 13) / 14
	var pages [][]string
	for room := linesPerPage - lower; len(wrapped) > room; room = linesPerPage {
		pages = append(pages, wrapped[:room])
		wrapped = wrapped[room:]
	}
	pages = append(pages, wrapped)

	// Objects: 1 catalog, 2 page tree, 3 font, 4 info, then per page a
	// page object and its content stream.
	var objs [][]byte
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	objs = append(objs,
		[]byte("<< /Type /Catalog /Pages 2 0 R >>"),
		[]byte(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))),
		[]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
		[]byte("<< /Title "+literal(title)+" /Producer (oots) >>"),
	)
	for i, p := range pages {
		var c bytes.Buffer
		c.WriteString("BT\n/F1 11 Tf\n14 TL\n56 790 Td\n")
		if i == 0 {
			c.WriteString("/F1 16 Tf\n" + literal(heading[0]) + " Tj\n")
			for _, h := range heading[1:] {
				c.WriteString("0 -" + strconv.Itoa(titleLeading) + " Td\n" + literal(h) + " Tj\n")
			}
			c.WriteString("T*\nT*\n/F1 11 Tf\n")
		}
		for _, l := range p {
			c.WriteString(literal(l) + " Tj\nT*\n")
		}
		c.WriteString("ET\n")
		objs = append(objs,
			[]byte(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 6+2*i)),
			[]byte(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.Bytes())))
	}

	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// literal returns s as a PDF literal string in WinAnsiEncoding.
func literal(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		c, ok := winAnsi(r)
		if !ok {
			c = '?'
		}
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte(')')
	return b.String()
}

// winAnsi maps a rune to WinAnsiEncoding (Windows-1252): ASCII, Latin-1 and
// the few letters of 0x80–0x9f that Latin European names need.
func winAnsi(r rune) (byte, bool) {
	switch {
	case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
		return byte(r), true
	}
	switch r {
	case '€':
		return 0x80, true
	case 'Š':
		return 0x8a, true
	case 'š':
		return 0x9a, true
	case 'Ž':
		return 0x8e, true
	case 'ž':
		return 0x9e, true
	case 'Œ':
		return 0x8c, true
	case 'œ':
		return 0x9c, true
	case '–':
		return 0x96, true
	case '’':
		return 0x92, true
	}
	return 0, false
}

// wrap splits a line at spaces into pieces of at most n characters.
func wrap(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		cut := strings.LastIndexByte(string([]rune(s)[:n]), ' ')
		if cut <= 0 {
			cut = len(string([]rune(s)[:n]))
		}
		out = append(out, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	return append(out, s)
}

// ErrMalformed: Check found the file's structure broken.
var ErrMalformed = errors.New("pdf: malformed file")

var (
	startxrefRE = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`)
	streamRE    = regexp.MustCompile(`(?s)<< /Length (\d+) >>\nstream\n`)
)

// Check reads the structure of a PDF 1.4 file as Text writes it: the
// header and end marker, startxref pointing at the cross-reference table,
// every entry of the table pointing at its object, the trailer's /Size
// agreeing with the table, and each stream's /Length ending at endstream.
// Errors wrap ErrMalformed.
func Check(b []byte) error {
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		return fmt.Errorf("%w: not a PDF 1.4 file", ErrMalformed)
	}
	m := startxrefRE.FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("%w: no startxref", ErrMalformed)
	}
	xref, err := strconv.Atoi(string(m[1]))
	if err != nil || xref >= len(b) || !bytes.HasPrefix(b[xref:], []byte("xref\n0 ")) {
		return fmt.Errorf("%w: startxref %s does not point at the xref table", ErrMalformed, m[1])
	}
	lines := strings.Split(string(b[xref:]), "\n")
	f := strings.Fields(lines[1])
	if len(f) != 2 {
		return fmt.Errorf("%w: xref subsection header %q", ErrMalformed, lines[1])
	}
	count, err := strconv.Atoi(f[1])
	if err != nil || count < 1 || len(lines) < 2+count {
		return fmt.Errorf("%w: xref subsection header %q", ErrMalformed, lines[1])
	}
	if lines[2] != "0000000000 65535 f " {
		return fmt.Errorf("%w: xref entry 0: %q", ErrMalformed, lines[2])
	}
	for i := 1; i < count; i++ {
		e := lines[2+i]
		if len(e) != 19 || !strings.HasSuffix(e, " 00000 n ") {
			return fmt.Errorf("%w: xref entry %d: %q", ErrMalformed, i, e)
		}
		off, err := strconv.Atoi(e[:10])
		if want := strconv.Itoa(i) + " 0 obj\n"; err != nil || off >= len(b) || !bytes.HasPrefix(b[off:], []byte(want)) {
			return fmt.Errorf("%w: xref entry %d does not point at object %d", ErrMalformed, i, i)
		}
	}
	if !bytes.Contains(b, []byte("trailer\n<< /Size "+strconv.Itoa(count)+" /Root 1 0 R")) {
		return fmt.Errorf("%w: trailer /Size does not match the xref table", ErrMalformed)
	}
	for _, sm := range streamRE.FindAllSubmatchIndex(b, -1) {
		n, err := strconv.Atoi(string(b[sm[2]:sm[3]]))
		if err != nil || sm[1]+n > len(b) || !bytes.HasPrefix(b[sm[1]+n:], []byte("endstream")) {
			return fmt.Errorf("%w: stream at %d: /Length %s does not end at endstream", ErrMalformed, sm[1], b[sm[2]:sm[3]])
		}
	}
	return nil
}
