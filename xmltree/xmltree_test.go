package xmltree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/oots-go/oots/internal/testenv"
)

// sampleFiles lists every XML file of the shared specification artifacts.
func sampleFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(testenv.SpecDir(tb), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".xml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) < 50 {
		tb.Fatalf("found only %d sample files", len(files))
	}
	return files
}

// TestCanonicalAgainstLibxml2 compares our exclusive c14n of every sample's
// root element with lxml's (libxml2), byte for byte.
func TestCanonicalAgainstLibxml2(t *testing.T) {
	files := sampleFiles(t)
	py := testenv.Python(t, "lxml")
	out := t.TempDir()
	cmd := exec.Command(py, append([]string{"testdata/c14n.py", out}, files...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lxml c14n: %v\n%s", err, b)
	}
	for i, f := range files {
		want, err := os.ReadFile(filepath.Join(out, strconv.Itoa(i)+".c14n"))
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseBytes(src, nil)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if got := doc.Root.Canonical(); !bytes.Equal(got, want) {
			t.Errorf("%s: canonical form differs from libxml2's\n got: %.300s\nwant: %.300s", filepath.Base(f), got, want)
		}
	}
}

// TestWriteRoundTrip: writing a parsed sample and parsing it again gives the
// same canonical form, with and without re-indentation of element content.
func TestWriteRoundTrip(t *testing.T) {
	for _, f := range sampleFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseBytes(src, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := doc.Root.Canonical()
		var b bytes.Buffer
		if err := Write(&b, doc, WriteOptions{Declaration: true}); err != nil {
			t.Fatal(err)
		}
		doc2, err := ParseBytes(b.Bytes(), nil)
		if err != nil {
			t.Fatalf("%s: reparse: %v", filepath.Base(f), err)
		}
		if got := doc2.Root.Canonical(); !bytes.Equal(got, want) {
			t.Errorf("%s: round trip changed the document", filepath.Base(f))
		}
		// Indented output differs only in whitespace between elements.
		b.Reset()
		Write(&b, doc, WriteOptions{Indent: "  "})
		doc3, err := ParseBytes(b.Bytes(), nil)
		if err != nil {
			t.Fatalf("%s: reparse indented: %v", filepath.Base(f), err)
		}
		doc.Root.StripInsignificant()
		doc3.Root.StripInsignificant()
		if !bytes.Equal(doc.Root.Canonical(), doc3.Root.Canonical()) {
			t.Errorf("%s: indentation changed content", filepath.Base(f))
		}
	}
}

func TestCanonicalExclusiveNamespaces(t *testing.T) {
	src := `<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u" xmlns="urn:d">` +
		`<b:child b:x="1" y="2" a:z="3"><plain>t&amp;&lt;&gt;&#13;</plain><a:leaf xmlns:a="urn:a"/></b:child></a:root>`
	doc, err := ParseBytes([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	child := doc.Root.Elements()[0]
	tests := []struct {
		incl []string
		want string
	}{
		{nil, `<b:child xmlns:a="urn:a" xmlns:b="urn:b" y="2" a:z="3" b:x="1"><plain xmlns="urn:d">t&amp;&lt;&gt;&#xD;</plain><a:leaf></a:leaf></b:child>`},
		{[]string{"unused"}, `<b:child xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:u" y="2" a:z="3" b:x="1"><plain xmlns="urn:d">t&amp;&lt;&gt;&#xD;</plain><a:leaf></a:leaf></b:child>`},
		{[]string{"#default"}, `<b:child xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" y="2" a:z="3" b:x="1"><plain>t&amp;&lt;&gt;&#xD;</plain><a:leaf></a:leaf></b:child>`},
	}
	for _, tt := range tests {
		if got := string(child.Canonical(tt.incl...)); got != tt.want {
			t.Errorf("inclusive %v:\n got %s\nwant %s", tt.incl, got, tt.want)
		}
	}
}

func TestCanonicalBuiltTree(t *testing.T) {
	// A tree built in code, without declarations, canonicalizes with the
	// namespaces its names use.
	root := NewElement("urn:x", "x", "Root")
	c := root.AddElement("", "", "NoNS")
	c.SetAttr(NamespaceXML, "xml", "lang", "en")
	c.AddText("v")
	d := root.AddElement("urn:y", "", "Default")
	d.AddElement("", "", "Empty")
	want := `<x:Root xmlns:x="urn:x"><NoNS xml:lang="en">v</NoNS><Default xmlns="urn:y"><Empty xmlns=""></Empty></Default></x:Root>`
	if got := string(root.Canonical()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var b bytes.Buffer
	WriteElement(&b, root, WriteOptions{})
	doc, err := ParseBytes(b.Bytes(), nil)
	if err != nil {
		t.Fatalf("written tree does not parse: %v\n%s", err, b.String())
	}
	if got := string(doc.Root.Canonical()); got != want {
		t.Errorf("after write: got %s", got)
	}
}

func TestParseRejects(t *testing.T) {
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)
	tests := []struct {
		name string
		src  string
		lim  *Limits
		want error
	}{
		{"dtd", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, nil, ErrDTD},
		{"external entity", `<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>`, nil, ErrDTD},
		{"undefined entity", `<a>&x;</a>`, nil, ErrSyntax},
		{"deep", deep, nil, ErrTooDeep},
		{"too many elements", "<a>" + strings.Repeat("<b/>", 20) + "</a>", &Limits{MaxElements: 10}, ErrTooManyElements},
		{"too many attributes", `<a x="1" y="2" z="3"/>`, &Limits{MaxAttrs: 2}, ErrTooManyAttrs},
		{"too large", "<a>" + strings.Repeat("x", 2000) + "</a>", &Limits{MaxBytes: 1000}, ErrTooLarge},
		{"undeclared element prefix", `<p:a/>`, nil, ErrNamespace},
		{"undeclared attribute prefix", `<a p:x="1"/>`, nil, ErrNamespace},
		{"mismatched tags", `<a></b>`, nil, ErrSyntax},
		{"unclosed", `<a><b></b>`, nil, ErrSyntax},
		{"two roots", `<a/><b/>`, nil, ErrSyntax},
		{"text after root", `<a/>x`, nil, ErrSyntax},
		{"empty", ``, nil, ErrNoRoot},
		{"duplicate attribute", `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, nil, ErrSyntax},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, nil, ErrSyntax},
		{"XML 1.1", `<?xml version="1.1"?><a/>`, nil, ErrSyntax},
		{"DTD inside the root", `<a><!DOCTYPE a></a>`, nil, ErrDTD},
		{"entity declaration", `<!ENTITY x "y"><a/>`, nil, ErrDTD},
		{"unclosed DTD", `<!DOCTYPE a`, nil, ErrDTD},
		{"character reference to NUL", `<a>&#0;</a>`, nil, ErrSyntax},
		{"character reference beyond Unicode", `<a>&#x110000;</a>`, nil, ErrSyntax},
		{"character reference to U+FFFE", `<a x="&#xFFFE;"/>`, nil, ErrSyntax},
		{"upper-case X in a character reference", `<a>&#X41;</a>`, nil, ErrSyntax},
		{"empty character reference", `<a>&#x;</a>`, nil, ErrSyntax},
		{"reference without semicolon", `<a>&amp</a>`, nil, ErrSyntax},
		{"bare ampersand", `<a>a & b</a>`, nil, ErrSyntax},
		{"control character in text", "<a>\x01</a>", nil, ErrSyntax},
		{"control character in an attribute", "<a x='\x1f'/>", nil, ErrSyntax},
		{"control character in CDATA", "<a><![CDATA[\x00]]></a>", nil, ErrSyntax},
		{"invalid UTF-8 in text", "<a>\xc3\x28</a>", nil, ErrSyntax},
		{"encoded surrogate in text", "<a>\xed\xa0\x80</a>", nil, ErrSyntax},
		{"U+FFFF in text", "<a>\uFFFF</a>", nil, ErrSyntax},
		{"invalid UTF-8 in a name", "<a\xff/>", nil, ErrSyntax},
		{"]]> in text", `<a>]]></a>`, nil, ErrSyntax},
		{"< in an attribute", `<a x="<"/>`, nil, ErrSyntax},
		{"unquoted attribute", `<a x=1/>`, nil, ErrSyntax},
		{"attribute without value", `<a x/>`, nil, ErrSyntax},
		{"unclosed attribute value", `<a x="1/>`, nil, ErrSyntax},
		{"-- in a comment", `<a><!-- a -- b --></a>`, nil, ErrSyntax},
		{"comment ending in ---", `<a><!-- a ---></a>`, nil, ErrSyntax},
		{"unclosed comment", `<a><!-- a`, nil, ErrSyntax},
		{"unclosed CDATA", `<a><![CDATA[ a`, nil, ErrSyntax},
		{"unclosed processing instruction", `<a><?p a`, nil, ErrSyntax},
		{"name starting with a digit", `<1a/>`, nil, ErrSyntax},
		{"space after <", `< a/>`, nil, ErrSyntax},
		{"two colons", `<a:b:c xmlns:a="urn:a"/>`, nil, ErrNamespace},
		{"end tag with attributes", `<a></a x="1">`, nil, ErrSyntax},
		{"end tag before any start", `</a>`, nil, ErrSyntax},
		{"prefix in end tag differs", `<p:a xmlns:p="u" xmlns:q="u"></q:a>`, nil, ErrSyntax},
		{"xml prefix rebound", `<a xmlns:xml="urn:x"/>`, nil, ErrNamespace},
		{"xmlns prefix declared", `<a xmlns:xmlns="urn:x"/>`, nil, ErrNamespace},
		{"prefix undeclared with empty value", `<a xmlns:p=""/>`, nil, ErrNamespace},
		{"xmlns as element prefix", `<xmlns:a/>`, nil, ErrNamespace},
		{"prefix out of scope", `<a><b xmlns:p="u"/><p:c/></a>`, nil, ErrNamespace},
		{"duplicate attribute by name", `<a x="1" x="2"/>`, nil, ErrSyntax},
		{"text before the root", `x<a/>`, nil, ErrSyntax},
		{"comments only", `<!-- c -->`, nil, ErrNoRoot},
		{"lone <", `<a>x<`, nil, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tt.src), tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
		})
	}
}

// hugeText streams a document whose one text node is n bytes long, without
// allocating it.
type hugeText struct {
	head, tail string
	n, off     int64
}

func (h *hugeText) Read(p []byte) (int, error) {
	total := int64(len(h.head)) + h.n + int64(len(h.tail))
	if h.off >= total {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && h.off < total {
		switch {
		case h.off < int64(len(h.head)):
			p[k] = h.head[h.off]
		case h.off < int64(len(h.head))+h.n:
			p[k] = 'x'
		default:
			p[k] = h.tail[h.off-int64(len(h.head))-h.n]
		}
		k++
		h.off++
	}
	return k, nil
}

func TestParseHugeTextNode(t *testing.T) {
	r := &hugeText{head: "<a>", tail: "</a>", n: 200 << 20}
	_, err := Parse(r, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("200 MB text node: got %v, want ErrTooLarge", err)
	}
	if r.off > DefaultMaxBytes+1<<20 {
		t.Errorf("parser read %d bytes, past the limit", r.off)
	}
}

func TestPathAndLookup(t *testing.T) {
	doc, err := ParseBytes([]byte(`<r:a xmlns:r="urn:r"><r:b/><r:b><c xml:lang="en"/></r:b></r:a>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := doc.Root.ChildrenNamed("urn:r", "b")[1].Elements()[0]
	if got := c.Path(); got != "/r:a/r:b[2]/c" {
		t.Errorf("Path = %q", got)
	}
	if v, _ := c.AttrValue(NamespaceXML, "lang"); v != "en" {
		t.Errorf("xml:lang = %q", v)
	}
	if u, ok := c.LookupPrefix("r"); !ok || u != "urn:r" {
		t.Errorf("LookupPrefix(r) = %q, %v", u, ok)
	}
	cp := c.Parent().Copy()
	if cp.Parent() != nil || len(cp.NS) != 1 || cp.NS[0].URI != "urn:r" {
		t.Errorf("Copy did not carry the in-scope declaration: %+v", cp.NS)
	}
}

func FuzzParse(f *testing.F) {
	if dir := filepath.Join(testenv.RepoRoot(f), "..", "shared", "oots-spec"); dirExists(dir) {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
				if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
					f.Add(b)
				}
			}
			return nil
		})
	}
	f.Add([]byte(`<a xmlns="urn:x" xmlns:p="urn:p" p:q="&amp;"><![CDATA[<x>]]><!--c--><?pi x?></a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := &Limits{MaxBytes: 1 << 20, MaxDepth: 64}
		doc, err := ParseBytes(b, lim)
		// A stream read a byte at a time (Parse's pooled read-ahead) gives
		// the same answer as the document in memory.
		sdoc, serr := Parse(iotest.OneByteReader(bytes.NewReader(b)), lim)
		if (err == nil) != (serr == nil) {
			t.Fatalf("ParseBytes: %v; Parse: %v", err, serr)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			return
		}
		c1 := doc.Root.Canonical()
		if cs := sdoc.Root.Canonical(); !bytes.Equal(c1, cs) {
			t.Fatalf("Parse and ParseBytes differ:\n%s\n%s", c1, cs)
		}
		var buf bytes.Buffer
		Write(&buf, doc, WriteOptions{})
		doc2, err := ParseBytes(buf.Bytes(), nil)
		if err != nil {
			t.Fatalf("our output does not parse: %v\n%s", err, buf.Bytes())
		}
		if c2 := doc2.Root.Canonical(); !bytes.Equal(c1, c2) {
			t.Fatalf("round trip changed canonical form:\n%s\n%s", c1, c2)
		}
		// Each child element of the root, detached, means what its copy
		// means, also written alone and parsed again.
		for _, c := range doc2.Root.Elements() {
			checkDetach(t, c)
		}
	})
}

// checkDetach detaches e and checks it against a Copy taken before: the
// same canonical form and written bytes, and written alone, a document
// whose canonical form is the same again.
func checkDetach(t *testing.T, e *Element) {
	t.Helper()
	parent, cp := e.Parent(), e.Copy()
	e.Detach()
	if e.Parent() != nil || slices.Contains(parent.Children, Node(e)) {
		t.Fatalf("<%s> still has a parent after Detach", e.QName())
	}
	var got, want bytes.Buffer
	WriteElement(&got, e, WriteOptions{})
	WriteElement(&want, cp, WriteOptions{})
	if got.String() != want.String() {
		t.Fatalf("Detach and Copy write differently:\n%s\n%s", got.Bytes(), want.Bytes())
	}
	if !bytes.Equal(e.Canonical(), cp.Canonical()) {
		t.Fatalf("Detach and Copy differ in canonical form:\n%s\n%s", e.Canonical(), cp.Canonical())
	}
	alone, err := ParseBytes(got.Bytes(), nil)
	if err != nil {
		t.Fatalf("a detached element written alone does not parse: %v\n%s", err, got.Bytes())
	}
	if !bytes.Equal(alone.Root.Canonical(), e.Canonical()) {
		t.Fatalf("a detached element written alone means something else:\n%s\n%s", alone.Root.Canonical(), e.Canonical())
	}
	// encoding/xml, which resolves names itself, reads the same tree in it.
	std, err := parseStd(got.Bytes(), nil)
	if err != nil {
		if laxerName(err) {
			return
		}
		t.Fatalf("encoding/xml refuses a detached element written alone: %v\n%s", err, got.Bytes())
	}
	if d := diffNodes(std.Children, []Node{e}, "/"); d != "" {
		t.Fatalf("encoding/xml reads a detached element written alone otherwise: %s\n%s", d, got.Bytes())
	}
}

// Detach keeps the namespaces an element inherits, leaves its neighbours
// and the rest of the document as they were, and does nothing to a root.
func TestDetach(t *testing.T) {
	doc, err := ParseBytes([]byte(`<r:a xmlns:r="urn:r" xmlns="urn:d" xmlns:u="urn:u"><r:b u:k="1"><c/></r:b><d xmlns=""><e/></d><f/></r:a>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, d := doc.Root.Elements()[0], doc.Root.Elements()[1]
	checkDetach(t, b)
	var out bytes.Buffer
	WriteElement(&out, b, WriteOptions{})
	if want := `<r:b xmlns="urn:d" xmlns:r="urn:r" xmlns:u="urn:u" u:k="1"><c/></r:b>`; out.String() != want {
		t.Errorf("detached: %s, want %s", out.String(), want)
	}
	checkDetach(t, d)
	out.Reset()
	WriteElement(&out, d, WriteOptions{})
	if want := `<d xmlns="" xmlns:r="urn:r" xmlns:u="urn:u"><e/></d>`; out.String() != want {
		t.Errorf("detached: %s, want %s", out.String(), want)
	}
	out.Reset()
	WriteElement(&out, doc.Root, WriteOptions{})
	if want := `<r:a xmlns:r="urn:r" xmlns="urn:d" xmlns:u="urn:u"><f/></r:a>`; out.String() != want {
		t.Errorf("what remains: %s, want %s", out.String(), want)
	}
	root := doc.Root
	root.Detach()
	if doc.Root != root || len(root.Elements()) != 1 {
		t.Error("Detach changed a root element")
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func BenchmarkParseCanonical(b *testing.B) {
	src, err := os.ReadFile(testenv.Spec(b, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := ParseBytes(src, nil)
		if err != nil {
			b.Fatal(err)
		}
		doc.Root.Canonical()
	}
}

func TestAttributeValueNormalization(t *testing.T) {
	src := "<a x=\"a&#10;b\" y=\"a\r\nb\tc\" z='q\"&#9;'><!-- \"x\n --><![CDATA[ y=\"\n\" ]]><?p a=\"\n\"?>t\nu</a>"
	doc, err := ParseBytes([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "<a x=\"a&#xA;b\" y=\"a b c\" z=\"q&quot;&#x9;\"> y=\"\n\" <?p a=\"\n\"?>t\nu</a>"
	if got := string(doc.Root.Canonical()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Children of parsed elements share blocks of memory; adding a child to one
// element must not change its neighbours.
func TestParsedChildrenGrowApart(t *testing.T) {
	doc, err := ParseBytes([]byte(`<r><a k="1" xmlns:p="urn:p"><x/>t</a><b m="2" xmlns:q="urn:q"><y/></b><c/></r>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := doc.Root.Elements()[0], doc.Root.Elements()[1]
	a.AddElement("", "", "added")
	a.AddText("more")
	a.SetAttr("", "", "l", "3")
	a.DeclareNS("s", "urn:s")
	c := a.Copy()
	c.SetAttr("", "", "n", "4")
	c.DeclareNS("t", "urn:t")
	var out bytes.Buffer
	if err := WriteElement(&out, doc.Root, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := `<r><a xmlns:p="urn:p" xmlns:s="urn:s" k="1" l="3"><x/>t<added/>more</a><b xmlns:q="urn:q" m="2"><y/></b><c/></r>`; out.String() != want {
		t.Errorf("got %s, want %s", out.String(), want)
	}
	if b.Elements()[0].Parent() != b {
		t.Error("parent of <y> is not <b>")
	}
}

// Each limit is inclusive: a document exactly at it parses, from memory and
// from a stream.
func TestParseLimitsInclusive(t *testing.T) {
	lim := &Limits{MaxBytes: 200, MaxDepth: 3, MaxElements: 4, MaxAttrs: 3}
	for _, src := range []string{
		`<a><b><c/></b></a>`,
		`<a><b/><b/><b/></a>`,
		`<a xmlns="urn:x" x="1" y="2"/>`,
		`<a>` + strings.Repeat("x", 193) + `</a>`,
	} {
		if _, err := ParseBytes([]byte(src), lim); err != nil {
			t.Errorf("ParseBytes(%.30s…): %v", src, err)
		}
		if _, err := Parse(strings.NewReader(src), lim); err != nil {
			t.Errorf("Parse(%.30s…): %v", src, err)
		}
	}
	for src, want := range map[string]error{
		`<a><b><c><d/></c></b></a>`:               ErrTooDeep,
		`<a><b/><b/><b/><b/></a>`:                 ErrTooManyElements,
		`<a xmlns="urn:x" x="1" y="2" z="3"/>`:    ErrTooManyAttrs,
		`<a>` + strings.Repeat("x", 194) + `</a>`: ErrTooLarge,
	} {
		if _, err := ParseBytes([]byte(src), lim); !errors.Is(err, want) {
			t.Errorf("ParseBytes(%.30s…): %v, want %v", src, err, want)
		}
		if _, err := Parse(strings.NewReader(src), lim); !errors.Is(err, want) {
			t.Errorf("Parse(%.30s…): %v, want %v", src, err, want)
		}
	}
}

// Values and text with nothing to unescape are slices of the document;
// the others are built apart and must not overlap.
func TestParseUnescapedValues(t *testing.T) {
	src := "<a x='1&amp;2' y=\"a\tb\r\nc\" z='plain'>t&lt;u\r\nv<b>w</b><![CDATA[c\r]]>&#x1F600;<c/></a>"
	doc, err := ParseBytes([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Root
	for _, tt := range []struct{ got, want string }{
		{r.SelectAttr("", "x"), "1&2"},
		{r.SelectAttr("", "y"), "a b c"},
		{r.SelectAttr("", "z"), "plain"},
		{r.Children[0].(*CharData).Data, "t<u\nv"},
		{r.Children[2].(*CharData).Data, "c\n\U0001F600"},
		{r.Elements()[0].Text(), "w"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Built elements carve their children, attributes and declarations from
// blocks shared by the tree; growing one must not change another.
func TestBuiltTreeGrowsApart(t *testing.T) {
	root := NewElement("urn:r", "r", "root")
	var kids []*Element
	for i := range 3 {
		k := root.AddElement("", "", "k"+strconv.Itoa(i))
		k.SetAttr("", "", "a", "1")
		k.DeclareNS("p", "urn:p")
		kids = append(kids, k)
	}
	for i, k := range kids {
		for j := range 6 {
			k.AddElement("", "", "c"+strconv.Itoa(i)+strconv.Itoa(j))
			k.AddText(strconv.Itoa(j))
		}
		for j := range 5 {
			k.SetAttr("", "", "b"+strconv.Itoa(j), strconv.Itoa(i))
			k.DeclareNS("q"+strconv.Itoa(j), "urn:q"+strconv.Itoa(i))
		}
	}
	for i, k := range kids {
		if len(k.Children) != 12 || len(k.Attr) != 6 || len(k.NS) != 6 {
			t.Fatalf("k%d: %d children, %d attributes, %d declarations", i, len(k.Children), len(k.Attr), len(k.NS))
		}
		for j, c := range k.Elements() {
			if c.Local != "c"+strconv.Itoa(i)+strconv.Itoa(j) || c.Parent() != k {
				t.Errorf("k%d child %d is %s", i, j, c.Local)
			}
		}
		if got := k.Text(); got != "012345" {
			t.Errorf("k%d text %q", i, got)
		}
		if k.SelectAttr("", "b4") != strconv.Itoa(i) || k.NS[5].URI != "urn:q"+strconv.Itoa(i) {
			t.Errorf("k%d: attributes %v, declarations %v", i, k.Attr, k.NS)
		}
	}
	leaf := kids[0].Elements()[0]
	leaf.AddText("only")
	if leaf.Text() != "only" || kids[0].Elements()[1].Text() != "" {
		t.Error("Text of one text node")
	}
}

func TestInScope(t *testing.T) {
	doc, err := ParseBytes([]byte(`<a xmlns="urn:d" xmlns:p="urn:p1" xmlns:z="urn:z"><b xmlns="" xmlns:p="urn:p2"><c xmlns:y="urn:y"/></b></a>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := doc.Root.Elements()[0].Elements()[0]
	want := []NS{{"p", "urn:p2"}, {"y", "urn:y"}, {"z", "urn:z"}}
	if got := c.InScope(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("InScope = %v, want %v", got, want)
	}
	want = []NS{{"", "urn:d"}, {"p", "urn:p1"}, {"z", "urn:z"}}
	if got := doc.Root.InScope(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("InScope = %v, want %v", got, want)
	}
}

// A reader that fails is reported as ErrSyntax, and its own error stays
// visible to errors.Is (a deadline is not mistaken for bad XML only).
func TestParseReadErrorWrapsCause(t *testing.T) {
	cause := errors.New("connection reset")
	_, err := Parse(io.MultiReader(strings.NewReader("<a>"), iotest.ErrReader(cause)), nil)
	if !errors.Is(err, ErrSyntax) || !errors.Is(err, cause) {
		t.Fatalf("got %v, want ErrSyntax wrapping the reader's error", err)
	}
}

// TestCanonicalizeInclusive: the apex takes every namespace in scope and a
// descendant its own declarations, used or not; xml: attributes of an
// ancestor, which inclusive c14n would carry over, are refused. (libxmlsec1
// judges it in package xmldsig and smp: it signs with it.)
func TestCanonicalizeInclusive(t *testing.T) {
	d, err := ParseBytes([]byte(`<r xmlns="urn:d" xmlns:a="urn:a" xmlns:u="urn:u"><a:e b="2" a="1"><f xmlns:v="urn:v"/></a:e></r>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := d.Root.Elements()[0]
	var b bytes.Buffer
	if err := CanonicalizeInclusive(&b, e); err != nil {
		t.Fatal(err)
	}
	if want := `<a:e xmlns="urn:d" xmlns:a="urn:a" xmlns:u="urn:u" a="1" b="2"><f xmlns:v="urn:v"></f></a:e>`; b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	if got := string(e.Canonical()); got != `<a:e xmlns:a="urn:a" a="1" b="2"><f xmlns="urn:d"></f></a:e>` {
		t.Errorf("exclusive: %s", got)
	}
	d, err = ParseBytes([]byte(`<r xml:lang="fi"><e/></r>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CanonicalizeInclusive(io.Discard, d.Root.Elements()[0]); err == nil || !strings.Contains(err.Error(), "xml:lang") {
		t.Errorf("an inherited xml:lang: %v", err)
	}
	if err := CanonicalizeInclusive(io.Discard, d.Root); err != nil {
		t.Errorf("xml:lang on the apex itself: %v", err)
	}
}

// TestParseHostileSize: a document of 32 MiB of nothing but "</" is refused
// at its first bytes at once, not after one byte search for each '<'
// before the parse, which sizes its blocks by the start tags it counts (up
// to maxBlock, beyond which no block grows, within the first 4 × maxBlock
// '<').
func TestParseHostileSize(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{strings.Repeat("<", 8*maxBlock), maxBlock},
		{strings.Repeat("<a/>", 8*maxBlock), maxBlock},
		{strings.Repeat("</", 8*maxBlock), 0},
		{"<a><b/><!-- c --><?pi?></a>", 2},
		{"<a>" + strings.Repeat("<b/>", 100) + "</a>", 101},
	} {
		if got := startTags(c.src); got != c.want {
			t.Errorf("%.20q… (%d bytes): %d start tags counted, want %d", c.src, len(c.src), got, c.want)
		}
	}
	src := strings.Repeat("</", (DefaultMaxBytes-1)/2)
	l := (&Limits{}).withDefaults()
	best := time.Hour
	for range 3 {
		start := time.Now()
		if _, err := parseString(src, l); err == nil {
			t.Fatal("32 MiB of </ parsed")
		}
		best = min(best, time.Since(start))
	}
	if best > 20*time.Millisecond {
		t.Errorf("32 MiB of </ refused in %v, more than 20 ms", best)
	}
}
