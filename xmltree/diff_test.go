package xmltree

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oots-go/oots/internal/testenv"
)

// Parse has a tokenizer of its own; before, it read encoding/xml's tokens
// (parseStd, kept in stdparse_test.go). The two agree on what they accept
// and on the tree they build, except where encoding/xml is laxer than XML
// 1.0 (Fifth Edition) and Namespaces in XML 1.0, or stricter than them.
// Each such difference is a row below, checked against both parsers, and is
// told apart in FuzzParseDifferential by the detail of our error.
//
// Stricter than encoding/xml (we refuse, it accepted):
var stricter = []struct {
	name, src, detail string
}{
	// §3.1 [40] STag ::= '<' Name (S Attribute)* S? '>'
	{"attributes without white space", `<a x="1"y="2"/>`, detailAttrSpace},
	// Namespaces §3: a QName is NCName or NCName ':' NCName.
	{"name starting with a colon", `<:a/>`, detailQName},
	{"name ending with a colon", `<a xmlns:="urn:x"/>`, detailQName},
	{"local part starting with a digit", `<a xmlns:p="urn:p" p:1="v"/>`, detailQName},
	// Namespaces §7: no colon in processing instruction targets.
	{"colon in a processing instruction target", `<a><?p:q x?></a>`, detailQName},
	// §2.5, §2.6: comments and processing instructions are made of Char.
	{"control character in a comment", "<a><!-- \x01 --></a>", detailCommentChar},
	{"invalid UTF-8 in a comment", "<a><!-- \xff --></a>", detailCommentChar},
	{"control character in a processing instruction", "<a><?p \x01?></a>", detailPIChar},
	// §2.6 [16] PI ::= '<?' PITarget (S (Char* - (Char* '?>' Char*)))? '?>'
	{"no white space after a PI target", `<a><?p"x"?></a>`, detailPISpace},
	// §2.8: the XML declaration, if any, is the very first thing, with a version.
	{"XML declaration after white space", " <?xml version=\"1.0\"?><a/>", detailReservedPI},
	{"XML declaration after the root", `<a/><?xml version="1.0"?>`, detailReservedPI},
	{"XML declaration in upper case", `<?XML version="1.0"?><a/>`, detailReservedPI},
	{"XML declaration without version", `<?xml encoding="UTF-8"?><a/>`, detailXMLDecl},
	{"XML declaration with other content", `<?xml version="1.0" foo="bar"?><a/>`, detailXMLDecl},
	{"XML declaration with an unclosed version", `<?xml version="?><a x=""/>`, detailXMLDecl},
	// §4.1 WFC: Legal Character; a surrogate is not a Char.
	{"character reference to a surrogate", `<a>&#xD800;</a>`, detailSurrogate},
	// §2.8 [27] Misc ::= Comment | PI | S: no references, no CDATA outside the root.
	{"character reference outside the root", `<a/>&#32;`, detailMisc},
	{"CDATA section outside the root", `<a/><![CDATA[ ]]>`, detailMisc},
	// §3.1 WFC: Unique Att Spec, which covers namespace declarations.
	{"namespace declared twice", `<a xmlns:p="urn:1" xmlns:p="urn:2"/>`, detailDupNS},
	{"default namespace declared twice", `<a xmlns="urn:1" xmlns="urn:1"/>`, detailDupNS},
}

// Laxer than encoding/xml (we accept, it refused), with what we build:
var laxer = []struct {
	name, src, canonical string
}{
	// §4.3.3, Appendix F: a UTF-8 document may begin with a byte order mark.
	{"byte order mark", "\uFEFF<a>x</a>", "<a>x</a>"},
	// §2.3 NameStartChar of the Fifth Edition, beyond the older Appendix B
	// letters that encoding/xml knows.
	{"name character of the fifth edition", "<a\u0D4E/>", "<a\u0D4E></a\u0D4E>"},
}

// And the same document gives a different tree:
//   - line ends in comments and processing instructions are normalized to
//     line feeds (§2.11); encoding/xml kept carriage returns there;
//   - an empty CDATA section adds no empty text node;
//   - Element.Line is the line of the '<' of the start tag; encoding/xml's
//     position was its end, not counting line feeds inside attribute
//     values.

func TestParseStricterThanEncodingXML(t *testing.T) {
	for _, tt := range stricter {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseStd([]byte(tt.src), nil); err != nil {
				t.Fatalf("encoding/xml now refuses it (%v): the row can go", err)
			}
			_, err := ParseBytes([]byte(tt.src), nil)
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Detail, tt.detail) {
				t.Fatalf("got %v, want a *SyntaxError about %q", err, tt.detail)
			}
		})
	}
}

func TestParseLaxerThanEncodingXML(t *testing.T) {
	for _, tt := range laxer {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseStd([]byte(tt.src), nil); err == nil {
				t.Fatal("encoding/xml now accepts it: the row can go")
			}
			doc, err := ParseBytes([]byte(tt.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(doc.Root.Canonical()); got != tt.canonical {
				t.Errorf("got %s, want %s", got, tt.canonical)
			}
		})
	}
}

func TestParseTreeDifferences(t *testing.T) {
	src := "<a>\r\n<!--x\r\ny\rz--><?p a\r\nb?><b><![CDATA[]]></b><c\n k='\n'\n/></a>"
	doc, err := ParseBytes([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := parseStd([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	kids := doc.Root.Children
	if c := kids[1].(*Comment); c.Data != "x\ny\nz" {
		t.Errorf("comment %q, want line ends normalized", c.Data)
	}
	if c := old.Root.Children[1].(*Comment); c.Data != "x\r\ny\rz" {
		t.Errorf("encoding/xml's comment %q", c.Data)
	}
	if pi := kids[2].(*ProcInst); pi.Inst != "a\nb" {
		t.Errorf("processing instruction %q, want line ends normalized", pi.Inst)
	}
	if b := doc.Root.Elements()[0]; len(b.Children) != 0 {
		t.Errorf("<b> has %d children, want none", len(b.Children))
	}
	if b := old.Root.Elements()[0]; len(b.Children) != 1 {
		t.Errorf("encoding/xml's <b> has %d children", len(b.Children))
	}
	if c := doc.Root.Elements()[1]; c.Line != 4 {
		t.Errorf("<c> on line %d, want 4", c.Line)
	}
	if c := old.Root.Elements()[1]; c.Line != 6 {
		t.Errorf("encoding/xml's <c> on line %d", c.Line)
	}
}

// FuzzParseDifferential compares Parse with the encoding/xml parser it
// replaced: both accept or both refuse, and when both accept they build the
// same tree, but for the differences listed above.
func FuzzParseDifferential(f *testing.F) {
	if dir := filepath.Join(testenv.RepoRoot(f), "..", "shared", "oots-spec"); dirExists(dir) {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
				if b, err := os.ReadFile(p); err == nil && len(b) < 16<<10 {
					f.Add(b)
				}
			}
			return nil
		})
	}
	for _, s := range []string{
		`<a xmlns="urn:x" xmlns:p="urn:p" p:q="&amp;&#x41;&#66;" r='"&lt;'><![CDATA[<x>]]>t<!--c--><?pi x?></a>`,
		"<?xml version='1.0' encoding='utf-8' standalone='no' ?>\n<a\tx = \"1\r\n2\t\" >\r\nt\rx</a >\n<!--e-->",
		`<p:a xmlns:p="urn:p"><b xmlns=""/><p:c xml:lang="en"/></p:a>`,
		"<a>]]&gt;&#xD;&#10;</a>",
	} {
		f.Add([]byte(s))
	}
	for _, tt := range stricter {
		f.Add([]byte(tt.src))
	}
	for _, tt := range laxer {
		f.Add([]byte(tt.src))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := &Limits{MaxBytes: 1 << 20, MaxDepth: 64}
		doc, err := ParseBytes(b, lim)
		// A byte order mark, which encoding/xml refused, is left out for it.
		old, oerr := parseStd(bytes.TrimPrefix(b, []byte("\uFEFF")), lim)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			if oerr == nil && !stricterDetail(se.Detail) {
				t.Fatalf("we refuse what encoding/xml accepted: %v", err)
			}
			return
		}
		if oerr != nil {
			if laxerName(oerr) {
				return
			}
			t.Fatalf("we accept what encoding/xml refused: %v", oerr)
		}
		if d := diffNodes(old.Children, doc.Children, "/"); d != "" {
			t.Fatalf("trees differ: %s", d)
		}
	})
}

func stricterDetail(detail string) bool {
	for _, d := range []string{detailAttrSpace, detailQName, detailCommentChar, detailPIChar, detailPISpace,
		detailXMLDecl, detailReservedPI, detailSurrogate, detailMisc, detailDupNS} {
		if strings.Contains(detail, d) {
			return true
		}
	}
	return false
}

// laxerName reports an error of encoding/xml on a name with characters
// beyond ASCII, which our Fifth Edition name rules accept.
func laxerName(err error) bool {
	_, name, ok := strings.Cut(err.Error(), "invalid XML name: ")
	if !ok {
		return false
	}
	for _, r := range name {
		if r >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// diffNodes compares the nodes of encoding/xml's tree (want) with ours (got),
// but for the documented differences, and returns the first one found.
func diffNodes(want, got []Node, at string) string {
	var w []Node
	for _, n := range want {
		if cd, ok := n.(*CharData); !ok || cd.Data != "" {
			w = append(w, n)
		}
	}
	if len(w) != len(got) {
		return fmt.Sprintf("%s: %d nodes, want %d", at, len(got), len(w))
	}
	for i, n := range w {
		g := got[i]
		if g.Parent() != nil && at != "/" && g.Parent().Path() != at {
			return fmt.Sprintf("%s: node %d has parent %s", at, i, g.Parent().Path())
		}
		switch n := n.(type) {
		case *Element:
			e, ok := g.(*Element)
			if !ok {
				return fmt.Sprintf("%s: node %d is %T, want an element", at, i, g)
			}
			if e.Name != n.Name || e.Prefix != n.Prefix {
				return fmt.Sprintf("%s: element %v (%s), want %v (%s)", at, e.Name, e.Prefix, n.Name, n.Prefix)
			}
			if fmt.Sprint(e.NS) != fmt.Sprint(n.NS) || fmt.Sprint(e.Attr) != fmt.Sprint(n.Attr) {
				return fmt.Sprintf("%s: <%s> has %q %q, want %q %q", at, e.QName(), e.NS, e.Attr, n.NS, n.Attr)
			}
			if d := diffNodes(n.Children, e.Children, e.Path()); d != "" {
				return d
			}
		case *CharData:
			if c, ok := g.(*CharData); !ok || c.Data != n.Data {
				return fmt.Sprintf("%s: node %d is %#v, want text %q", at, i, g, n.Data)
			}
		case *Comment:
			if c, ok := g.(*Comment); !ok || c.Data != lineEnds(n.Data) {
				return fmt.Sprintf("%s: node %d is %#v, want comment %q", at, i, g, n.Data)
			}
		case *ProcInst:
			if p, ok := g.(*ProcInst); !ok || p.Target != n.Target || p.Inst != lineEnds(n.Inst) {
				return fmt.Sprintf("%s: node %d is %#v, want processing instruction %q %q", at, i, g, n.Target, n.Inst)
			}
		}
	}
	return ""
}

func lineEnds(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
