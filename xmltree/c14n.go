package xmltree

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
)

// ExcC14N is the algorithm URI of Exclusive XML Canonicalization 1.0 without
// comments, the only canonicalization the eDelivery AS4 profiles use.
const ExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

// Canonicalize writes the exclusive canonical form (without comments) of the
// subtree rooted at e, as if e were the apex of the document subset
// (https://www.w3.org/TR/xml-exc-c14n/ §3). inclusive is the
// InclusiveNamespaces PrefixList; "#default" names the default namespace.
//
// Namespace prefixes come from the names themselves (Element.Prefix/Space,
// Attr.Prefix/Space), so a tree built in code canonicalizes correctly whether
// or not it carries declarations; prefixes of the inclusive list are looked up
// in the declarations in scope.
func Canonicalize(w io.Writer, e *Element, inclusive []string) error {
	bw := getWriter(w)
	defer putWriter(bw, w)
	incl := map[string]bool{}
	for _, p := range inclusive {
		if p == "#default" {
			p = ""
		}
		incl[p] = true
	}
	c14nElement(bw, e, nil, incl)
	return bw.Flush()
}

// The algorithm URIs of Canonical XML (inclusive) 1.0 and 1.1 without
// comments, which some SMP implementations sign with.
const (
	C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
)

// CanonicalizeInclusive writes the inclusive canonical form without
// comments of e's subtree as the apex of a document subset: Canonical XML
// 1.0 (https://www.w3.org/TR/xml-c14n/ §2.3), which Canonical XML 1.1 agrees
// with here. Every namespace in scope is rendered on the first element of
// the output where an output ancestor does not render it already, the apex
// taking those declared on e's ancestors. That is exclusive c14n with every
// prefix in scope at e or declared below it in the InclusiveNamespaces
// PrefixList (exc-c14n §3: such prefixes are treated as inclusive c14n
// treats them), which is how it is written.
//
// The attributes in the xml namespace that inclusive c14n carries over from
// e's ancestors to the apex (and that 1.1 treats differently from 1.0) are
// not implemented: an ancestor with one is refused with an error.
func CanonicalizeInclusive(w io.Writer, e *Element) error {
	prefixes := map[string]bool{"#default": true}
	add := func(x *Element) {
		for _, ns := range x.NS {
			if ns.Prefix != "" {
				prefixes[ns.Prefix] = true
			}
		}
	}
	for a := e.Parent(); a != nil; a = a.Parent() {
		for _, at := range a.Attr {
			if at.Space == NamespaceXML {
				return fmt.Errorf("xmltree: inclusive canonicalization of %s: its ancestor %s has xml:%s, which would be carried over (not implemented)", e.Name.Local, a.Name.Local, at.Local)
			}
		}
		add(a)
	}
	e.Walk(func(x *Element) bool {
		add(x)
		return true
	})
	list := make([]string, 0, len(prefixes))
	for p := range prefixes {
		list = append(list, p)
	}
	return Canonicalize(w, e, list)
}

// Canonical returns the exclusive canonical form of e's subtree.
func (e *Element) Canonical(inclusive ...string) []byte {
	var b bytes.Buffer
	Canonicalize(&b, e, inclusive)
	return b.Bytes()
}

func c14nElement(w *bufio.Writer, e *Element, rendered *scope, incl map[string]bool) {
	// Namespace nodes to render (§3 of exc-c14n: visibly utilized prefixes,
	// plus those of the InclusiveNamespaces PrefixList in scope). An element
	// uses a handful of prefixes at most, so a small slice on the stack
	// stands for the set (a later binding of a prefix replaces an earlier).
	var wantBuf [8]NS
	want := wantBuf[:0]
	put := func(p, u string) {
		for i := range want {
			if want[i].Prefix == p {
				want[i].URI = u
				return
			}
		}
		want = append(want, NS{Prefix: p, URI: u})
	}
	has := func(p string) bool {
		for i := range want {
			if want[i].Prefix == p {
				return true
			}
		}
		return false
	}
	put(e.Prefix, e.Space)
	for _, a := range e.Attr {
		if a.Space != "" && a.Space != NamespaceXML {
			p := a.Prefix
			if p == "" {
				// Unprefixed namespaced attribute (built in code): use a prefix in scope.
				continue
			}
			put(p, a.Space)
		}
	}
	for p := range incl {
		if has(p) {
			continue
		}
		if u, ok := e.LookupPrefix(p); ok && (p != "" || u != "") {
			put(p, u)
		}
	}
	var outBuf [8]NS
	out := outBuf[:0]
	for _, ns := range want {
		p, u := ns.Prefix, ns.URI
		if p == "xml" {
			continue
		}
		r, ok := rendered.lookup(p)
		if ok && r == u {
			continue
		}
		if p == "" && u == "" && !ok {
			continue
		}
		out = append(out, NS{Prefix: p, URI: u})
	}
	sortNS(out)
	for _, ns := range out {
		rendered = &scope{prefix: ns.Prefix, uri: ns.URI, next: rendered}
	}
	// Attributes in canonical order (namespace URI, then local name); most
	// elements have them in that order already and are not copied.
	attrs := e.Attr
	if !slices.IsSortedFunc(attrs, compareAttr) {
		attrs = slices.Clone(attrs)
		slices.SortStableFunc(attrs, compareAttr)
	}
	w.WriteByte('<')
	writeQName(w, e)
	writeNSDecls(w, out)
	for _, a := range attrs {
		w.WriteByte(' ')
		switch {
		case a.Space == NamespaceXML:
			w.WriteString("xml:")
		case a.Prefix != "" && a.Space != "":
			w.WriteString(a.Prefix)
			w.WriteByte(':')
		}
		w.WriteString(a.Local)
		w.WriteString(`="`)
		escapeAttr(w, a.Value)
		w.WriteByte('"')
	}
	w.WriteByte('>')
	for _, c := range e.Children {
		switch t := c.(type) {
		case *Element:
			c14nElement(w, t, rendered, incl)
		case *CharData:
			escapeText(w, t.Data)
		case *ProcInst:
			w.WriteString("<?")
			w.WriteString(t.Target)
			if t.Inst != "" {
				w.WriteByte(' ')
				w.WriteString(t.Inst)
			}
			w.WriteString("?>")
		}
	}
	w.WriteString("</")
	writeQName(w, e)
	w.WriteByte('>')
}

// compareAttr orders attributes as exclusive c14n wants them: by namespace
// URI, then by local name (no-namespace attributes first).
func compareAttr(a, b Attr) int {
	if c := cmp.Compare(a.Space, b.Space); c != 0 {
		return c
	}
	return cmp.Compare(a.Local, b.Local)
}

// writeQName writes e's qualified name as written (prefix:local).
func writeQName(w *bufio.Writer, e *Element) {
	if e.Prefix != "" {
		w.WriteString(e.Prefix)
		w.WriteByte(':')
	}
	w.WriteString(e.Local)
}
