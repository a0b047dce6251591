package schematron

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/oots-go/oots/xmltree"
	"github.com/oots-go/oots/xpath"
)

// NamespaceSchematron is the namespace of ISO Schematron (ISO/IEC 19757-3).
const NamespaceSchematron = "http://purl.oclc.org/dsdl/schematron"

// NamespaceSVRL is the namespace of the Schematron Validation Report Language.
const NamespaceSVRL = "http://purl.oclc.org/dsdl/svrl"

// ErrSchema is returned (wrapped in a *SchemaError) when a .sch file is not a
// usable Schematron schema: not an sch:schema, a rule without context, an
// XPath expression that does not compile, an unknown abstract pattern.
var ErrSchema = errors.New("invalid schematron schema")

// SchemaError reports what is wrong in a schema and where.
type SchemaError struct {
	Schema string // name of the schema (file name), may be empty
	Line   int    // line of the offending element, 0 when unknown
	Msg    string
	Err    error // underlying error (an XPath or XML error), may be nil
}

// Error returns "schematron NAME:LINE: what: cause".
func (e *SchemaError) Error() string {
	var b strings.Builder
	b.WriteString("schematron")
	if e.Schema != "" {
		b.WriteString(" ")
		b.WriteString(e.Schema)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrSchema and the underlying cause.
func (e *SchemaError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrSchema, e.Err}
	}
	return []error{ErrSchema}
}

// Schema is one compiled Schematron schema (one .sch file). It is immutable
// after compilation and safe for concurrent use.
type Schema struct {
	// Name is the name the schema was loaded under (its file name), used in
	// reports and error messages.
	Name string
	// Title is the sch:title of the schema, if any.
	Title string

	ns       map[string]string
	lets     []*let // schema-level and pattern-level lets: global, evaluated once per document
	patterns []*pattern
	// Which nodes the ISO skeleton visits (iso_schematron_skeleton_for_xslt1
	// $attributes and $only-child-elements): attributes only when some
	// context mentions "@" or "attribute"; comments and processing
	// instructions only when no context contains "(".
	visitAttrs, visitOther bool
}

type pattern struct {
	id    string
	rules []*rule
}

type rule struct {
	context string
	match   *xpath.Expr // the context as a root-anchored expression
	id      string
	flag    string
	role    string
	lets    []*let
	checks  []*assertion
}

type let struct {
	name  string
	value string
	expr  *xpath.Expr
}

type assertion struct {
	report      bool // sch:report (fires when true) rather than sch:assert
	id          string
	flag        string
	role        string
	test        string
	expr        *xpath.Expr
	msg         message
	diagnostics []diagnostic
	line        int
}

// diagnostic is an sch:diagnostic an assertion refers to, compiled in the
// scope of the assertion's rule (its lets are visible, as in the skeleton).
type diagnostic struct {
	id  string
	msg message
}

// message is the content of an assertion or diagnostic: text with
// sch:value-of and sch:name evaluated at the context node.
type message []msgPart

type msgPart struct {
	text string
	expr *xpath.Expr // value-of select (or name(path)); nil for text
}

// Compile reads and compiles a Schematron schema. sch:include is not
// supported by Compile (there is no base to resolve it against); use Load.
func Compile(r io.Reader) (*Schema, error) {
	doc, err := xmltree.Parse(r, nil)
	if err != nil {
		return nil, &SchemaError{Msg: "not well-formed", Err: err}
	}
	return compileDoc("", doc, nil)
}

// Load reads and compiles the schema named name in fsys. sch:include hrefs
// are resolved relative to name within fsys.
func Load(fsys fs.FS, name string) (*Schema, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("schematron: %w", err)
	}
	doc, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		return nil, &SchemaError{Schema: name, Msg: "not well-formed", Err: err}
	}
	include := func(href string) (*xmltree.Element, error) {
		p := path.Join(path.Dir(name), href)
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		d, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			return nil, err
		}
		return d.Root, nil
	}
	s, err := compileDoc(path.Base(name), doc, include)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func isSch(e *xmltree.Element, local string) bool { return e.Is(NamespaceSchematron, local) }

type compiler struct {
	name     string
	include  func(href string) (*xmltree.Element, error)
	sc       *xpath.StaticContext
	abstract map[string]*xmltree.Element // abstract patterns by id
	absRules map[string]*xmltree.Element // abstract rules by id
	diags    map[string]*xmltree.Element // sch:diagnostic by id
	depth    int
}

func (c *compiler) errf(e *xmltree.Element, err error, format string, args ...any) error {
	line := 0
	if e != nil {
		line = e.Line
	}
	return &SchemaError{Schema: c.name, Line: line, Msg: fmt.Sprintf(format, args...), Err: err}
}

func compileDoc(name string, doc *xmltree.Document, include func(string) (*xmltree.Element, error)) (*Schema, error) {
	c := &compiler{name: name, include: include, abstract: map[string]*xmltree.Element{}, absRules: map[string]*xmltree.Element{}, diags: map[string]*xmltree.Element{}}
	root := doc.Root
	if !isSch(root, "schema") {
		return nil, c.errf(root, nil, "root element is {%s}%s, not sch:schema", root.Space, root.Local)
	}
	if qb := root.SelectAttr("", "queryBinding"); qb != "" && qb != "xslt2" && qb != "xslt" && qb != "xpath2" && qb != "xpath" {
		return nil, c.errf(root, nil, "queryBinding %q is not supported (xslt, xslt2, xpath, xpath2)", qb)
	}
	children, err := c.expandIncludes(root.Elements())
	if err != nil {
		return nil, err
	}
	s := &Schema{Name: name, ns: map[string]string{"xml": xmltree.NamespaceXML}}
	// Namespaces first: the ISO skeleton declares them all on the stylesheet.
	for _, e := range children {
		if isSch(e, "ns") {
			s.ns[e.SelectAttr("", "prefix")] = e.SelectAttr("", "uri")
		}
	}
	c.sc = &xpath.StaticContext{Namespaces: s.ns}
	for _, e := range children {
		switch {
		case isSch(e, "title"):
			s.Title = normalize(e.DeepText())
		case isSch(e, "pattern") && e.SelectAttr("", "abstract") == "true":
			c.abstract[e.SelectAttr("", "id")] = e
		case isSch(e, "pattern"):
			for _, r := range e.Elements() {
				if isSch(r, "rule") && r.SelectAttr("", "abstract") == "true" {
					c.absRules[r.SelectAttr("", "id")] = r
				}
			}
		}
	}
	// Visiting flags, computed like the skeleton does over every rule context.
	s.visitOther = true
	for _, e := range children {
		if !isSch(e, "pattern") {
			continue
		}
		for _, r := range e.Elements() {
			if !isSch(r, "rule") {
				continue
			}
			ctx := r.SelectAttr("", "context")
			if strings.Contains(ctx, "@") || strings.Contains(ctx, "attribute") {
				s.visitAttrs = true
			}
			if strings.Contains(ctx, "(") {
				s.visitOther = false
			}
		}
	}
	// Global lets (schema level), then patterns with their own lets, which the
	// skeleton also makes global variables.
	for _, e := range children {
		if isSch(e, "let") {
			l, err := c.let(e, nil)
			if err != nil {
				return nil, err
			}
			s.lets = append(s.lets, l)
			c.sc.Variables = append(c.sc.Variables, l.name)
		}
	}
	for _, e := range children {
		if !isSch(e, "diagnostics") {
			continue
		}
		for _, d := range e.Elements() {
			if isSch(d, "diagnostic") {
				c.diags[d.SelectAttr("", "id")] = d
			}
		}
	}
	for _, e := range children {
		if !isSch(e, "pattern") || e.SelectAttr("", "abstract") == "true" {
			continue
		}
		var params map[string]string
		if isA := e.SelectAttr("", "is-a"); isA != "" {
			abs, ok := c.abstract[isA]
			if !ok {
				return nil, c.errf(e, nil, "pattern is-a %q: no abstract pattern with that id", isA)
			}
			params = map[string]string{}
			for _, p := range e.ChildrenNamed(NamespaceSchematron, "param") {
				params[p.SelectAttr("", "name")] = p.SelectAttr("", "value")
			}
			id := e.SelectAttr("", "id")
			e = abs
			if id != "" {
				e = abs.Copy()
				e.SetAttr("", "", "id", id)
			}
		}
		p, err := c.pattern(s, e, params)
		if err != nil {
			return nil, err
		}
		s.patterns = append(s.patterns, p)
	}
	return s, nil
}

// expandIncludes replaces sch:include elements by the element they point to
// (ISO/IEC 19757-3 §5.4.4), recursively.
func (c *compiler) expandIncludes(in []*xmltree.Element) ([]*xmltree.Element, error) {
	var out []*xmltree.Element
	for _, e := range in {
		if !isSch(e, "include") {
			if isSch(e, "pattern") && hasInclude(e) {
				e = e.Copy()
				kids, err := c.expandIncludes(e.Elements())
				if err != nil {
					return nil, err
				}
				e.Children = nil
				for _, k := range kids {
					e.AddChild(k)
				}
			}
			out = append(out, e)
			continue
		}
		href := e.SelectAttr("", "href")
		if c.include == nil {
			return nil, c.errf(e, nil, "sch:include of %q needs a file system (use Load)", href)
		}
		if c.depth > 16 {
			return nil, c.errf(e, nil, "sch:include nested too deeply")
		}
		inc, err := c.include(href)
		if err != nil {
			return nil, c.errf(e, err, "sch:include %q", href)
		}
		c.depth++
		more, err := c.expandIncludes([]*xmltree.Element{inc})
		c.depth--
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func hasInclude(e *xmltree.Element) bool {
	for _, k := range e.Elements() {
		if isSch(k, "include") {
			return true
		}
	}
	return false
}

// substitute replaces $name parameters of an abstract pattern instance,
// longest names first so that $ab is not taken for $a followed by b.
func substitute(s string, params map[string]string) string {
	if len(params) == 0 || !strings.Contains(s, "$") {
		return s
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		s = strings.ReplaceAll(s, "$"+n, params[n])
	}
	return s
}

func (c *compiler) compile(e *xmltree.Element, what, expr string, vars []string) (*xpath.Expr, error) {
	sc := &xpath.StaticContext{Namespaces: c.sc.Namespaces, Variables: vars}
	x, err := xpath.Compile(expr, sc)
	if err != nil {
		return nil, c.errf(e, err, "%s %q", what, expr)
	}
	return x, nil
}

func (c *compiler) let(e *xmltree.Element, params map[string]string) (*let, error) {
	name := e.SelectAttr("", "name")
	if name == "" {
		return nil, c.errf(e, nil, "sch:let without name")
	}
	value, ok := e.AttrValue("", "value")
	if !ok {
		// ISO allows the value as element content; the files we run do not use it.
		return nil, c.errf(e, nil, "sch:let %q without value attribute", name)
	}
	value = substitute(value, params)
	x, err := c.compile(e, "let $"+name, value, c.sc.Variables)
	if err != nil {
		return nil, err
	}
	return &let{name: name, value: value, expr: x}, nil
}

func (c *compiler) pattern(s *Schema, e *xmltree.Element, params map[string]string) (*pattern, error) {
	p := &pattern{id: e.SelectAttr("", "id")}
	for _, k := range e.Elements() {
		switch {
		case isSch(k, "let"):
			l, err := c.let(k, params)
			if err != nil {
				return nil, err
			}
			s.lets = append(s.lets, l)
			c.sc.Variables = append(c.sc.Variables, l.name)
		case isSch(k, "rule") && k.SelectAttr("", "abstract") != "true":
			r, err := c.rule(k, params)
			if err != nil {
				return nil, err
			}
			p.rules = append(p.rules, r)
		}
	}
	return p, nil
}

// anchor turns an XSLT pattern into an expression evaluated from the document
// node that selects exactly the nodes the pattern matches (XSLT 2.0 §5.5.3:
// a node matches when it is in root(.)//(P)): each branch of a union that
// does not start with "/" gets a leading "//".
func anchor(pat string) string {
	branches := splitUnion(pat)
	for i, b := range branches {
		b = strings.TrimSpace(b)
		if !strings.HasPrefix(b, "/") {
			b = "//" + b
		}
		branches[i] = b
	}
	return strings.Join(branches, " | ")
}

// splitUnion splits a pattern at top-level "|" (outside predicates,
// parentheses and string literals).
func splitUnion(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '[' || ch == '(':
			depth++
		case ch == ']' || ch == ')':
			depth--
		case ch == '|' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func (c *compiler) rule(e *xmltree.Element, params map[string]string) (*rule, error) {
	r := &rule{
		context: substitute(e.SelectAttr("", "context"), params),
		id:      e.SelectAttr("", "id"),
		flag:    e.SelectAttr("", "flag"),
		role:    e.SelectAttr("", "role"),
	}
	if strings.TrimSpace(r.context) == "" {
		return nil, c.errf(e, nil, "sch:rule without context")
	}
	x, err := c.compile(e, "rule context", anchor(r.context), c.sc.Variables)
	if err != nil {
		return nil, err
	}
	r.match = x
	vars := append([]string(nil), c.sc.Variables...)
	if err := c.ruleBody(r, e, params, &vars, 0); err != nil {
		return nil, err
	}
	return r, nil
}

func (c *compiler) ruleBody(r *rule, e *xmltree.Element, params map[string]string, vars *[]string, depth int) error {
	if depth > 16 {
		return c.errf(e, nil, "sch:extends nested too deeply")
	}
	for _, k := range e.Elements() {
		switch {
		case isSch(k, "let"):
			name := k.SelectAttr("", "name")
			value, ok := k.AttrValue("", "value")
			if name == "" || !ok {
				return c.errf(k, nil, "sch:let needs name and value")
			}
			value = substitute(value, params)
			x, err := c.compile(k, "let $"+name, value, *vars)
			if err != nil {
				return err
			}
			r.lets = append(r.lets, &let{name: name, value: value, expr: x})
			*vars = append(*vars, name)
		case isSch(k, "assert"), isSch(k, "report"):
			a := &assertion{
				report: isSch(k, "report"),
				id:     k.SelectAttr("", "id"),
				flag:   k.SelectAttr("", "flag"),
				role:   k.SelectAttr("", "role"),
				test:   substitute(k.SelectAttr("", "test"), params),
				line:   k.Line,
			}
			if a.flag == "" {
				a.flag = r.flag
			}
			if a.role == "" {
				a.role = r.role
			}
			x, err := c.compile(k, "test of "+a.id, a.test, *vars)
			if err != nil {
				return err
			}
			a.expr = x
			saved := c.sc.Variables
			c.sc.Variables = *vars
			m, err := c.message(k, params)
			if err != nil {
				c.sc.Variables = saved
				return err
			}
			a.msg = m
			for _, id := range strings.Fields(k.SelectAttr("", "diagnostics")) {
				d, ok := c.diags[id]
				if !ok {
					c.sc.Variables = saved
					return c.errf(k, nil, "assertion %s refers to diagnostic %q, which does not exist", a.id, id)
				}
				dm, err := c.message(d, params)
				if err != nil {
					c.sc.Variables = saved
					return err
				}
				a.diagnostics = append(a.diagnostics, diagnostic{id: id, msg: dm})
			}
			c.sc.Variables = saved
			r.checks = append(r.checks, a)
		case isSch(k, "extends"):
			id := k.SelectAttr("", "rule")
			abs, ok := c.absRules[id]
			if !ok {
				return c.errf(k, nil, "sch:extends rule %q: no abstract rule with that id", id)
			}
			if err := c.ruleBody(r, abs, params, vars, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// message compiles the mixed content of an assertion or diagnostic.
func (c *compiler) message(e *xmltree.Element, params map[string]string) (message, error) {
	var m message
	var walk func(e *xmltree.Element) error
	walk = func(e *xmltree.Element) error {
		for _, n := range e.Children {
			switch n := n.(type) {
			case *xmltree.CharData:
				m = append(m, msgPart{text: n.Data})
			case *xmltree.Element:
				switch {
				case isSch(n, "value-of"):
					sel := substitute(n.SelectAttr("", "select"), params)
					x, err := c.compile(n, "value-of", sel, c.sc.Variables)
					if err != nil {
						return err
					}
					m = append(m, msgPart{expr: x})
				case isSch(n, "name"):
					p := substitute(n.SelectAttr("", "path"), params)
					if p == "" {
						p = "."
					}
					x, err := c.compile(n, "name", "name("+p+")", c.sc.Variables)
					if err != nil {
						return err
					}
					m = append(m, msgPart{expr: x})
				default: // sch:emph, sch:dir, sch:span and foreign markup: their text
					if err := walk(n); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(e); err != nil {
		return nil, err
	}
	return m, nil
}

// normalize collapses runs of XML white space and trims, like
// fn:normalize-space.
func normalize(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}), " ")
}
