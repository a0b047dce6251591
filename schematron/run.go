package schematron

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
	"github.com/oots-go/oots/xpath"
)

// ErrEvaluation is returned (wrapped in an *EvalError) when an XPath
// expression of a schema raises a dynamic error on a document (for example
// matches() applied to several nodes). Saxon stops the whole validation in
// that case; so do we, and the report says which assertion failed to run.
var ErrEvaluation = errors.New("schematron rule could not be evaluated")

// ErrCancelled is the cause of the *EvalError returned when Options.Cancel
// fires during a validation.
var ErrCancelled = errors.New("validation cancelled")

// EvalError names the schema, the rule context or assertion, and the node at
// which evaluation failed.
type EvalError struct {
	Schema   string
	Where    string // e.g. `assert R-EDM-REQ-S004 test "..."`
	Location string // path of the context node
	Err      error
}

// Error names the schema, the expression, the node and the XPath error.
func (e *EvalError) Error() string {
	return fmt.Sprintf("schematron %s: %s at %s: %v", e.Schema, e.Where, e.Location, e.Err)
}

// Unwrap lets errors.Is find ErrEvaluation and the XPath error.
func (e *EvalError) Unwrap() []error { return []error{ErrEvaluation, e.Err} }

// Defect reports whether the assertion id of the official rule files is
// known to raise a dynamic error on valid messages, and why. When such an
// assertion cannot be evaluated, the run reports a warning for it (rule id
// kept) and continues with the other assertions, instead of refusing the
// document as a whole (which Saxon does). What the defective test means to
// check is checked elsewhere, as named in the reason.
func Defect(id string) (reason string, known bool) {
	reason, known = defects[id]
	return reason, known
}

// defects is the table behind Defect.
var defects = map[string]string{
	"R-EDM-ERR-C022": "its test count(rim:Slot[@name='PreviewLocation']=1) compares the PreviewLocation URL with the number 1 " +
		"(a misplaced parenthesis), which fails on every error response that carries a PreviewLocation (TDD 1.0 EDM-ERR-C.sch); " +
		"package edm checks the slot instead (present exactly with severity PreviewRequired, an https URL)",
}

// Options tune one validation run. The zero value is ready to use.
type Options struct {
	// Now is the clock of fn:current-dateTime() and friends; time.Now when nil.
	Now func() time.Time
	// FiredRules records, in the report, every rule applied to a node (for
	// SVRL svrl:fired-rule); off by default as it costs an allocation per node.
	FiredRules bool
	// Cancel, when not nil, ends the validation with an *EvalError when it
	// receives (or is closed): a bound on time for untrusted rule files.
	Cancel <-chan struct{}

	// noErrata, set only by this package's tests, evaluates the known
	// defects of Defect as any other assertion, as Saxon does.
	noErrata bool
}

// Result is one fired assertion: a failed sch:assert or a successful
// sch:report.
type Result struct {
	Report      bool   // true for a successful sch:report, false for a failed sch:assert
	ID          string // the assertion's id (the business rule id)
	Flag        string // the assertion's flag, inherited from its rule when absent
	Role        string
	Test        string // the XPath test, as written
	Context     string // the rule context, as written
	Pattern     string // the pattern id, if any
	Location    string // location of the node the rule fired on, as Saxon's SVRL gives it
	Path        string // readable location: prefixed names and positions, /@name for an attribute
	Text        string // the message with value-of/name evaluated, white space normalized
	Diagnostics []Diagnostic

	patternIndex int
}

// Diagnostic is the evaluated text of an sch:diagnostic an assertion refers to.
type Diagnostic struct {
	ID   string
	Text string
}

// FiredRule records that a rule was the one applied to a node (SVRL
// svrl:fired-rule).
type FiredRule struct {
	Pattern  int // index of the pattern in the schema
	Context  string
	ID       string
	Location string
}

// Report is the outcome of one schema on one document: what fired, in
// pattern order and, within a pattern, in document order.
type Report struct {
	Schema  *Schema
	Results []Result
	Fired   []FiredRule

	noErrata bool // Options.noErrata of the run
}

// Findings converts the report to the project's findings vocabulary: rule =
// assertion id, flag, location, normalized message text. An assertion
// without a flag takes its role when the role is a flag word, else "error".
func (r *Report) Findings() []check.Finding {
	out := make([]check.Finding, 0, len(r.Results))
	for _, res := range r.Results {
		out = append(out, res.Finding())
	}
	return out
}

// Finding converts one result.
func (res Result) Finding() check.Finding {
	msg := res.Text
	for _, d := range res.Diagnostics {
		if d.Text != "" {
			msg += " [" + d.Text + "]"
		}
	}
	return check.Finding{Rule: res.ID, Flag: flagOf(res.Flag, res.Role), Location: res.Path, Message: msg}
}

func flagOf(flag, role string) check.Flag {
	for _, s := range []string{flag, role} {
		switch f := check.Flag(strings.ToLower(s)); f {
		case check.Fatal, check.Error, check.Warning, check.Info:
			return f
		}
	}
	return check.Error
}

// Run validates doc against the schema, the way the ISO skeleton's XSLT does:
// every pattern walks the document; a node is handled by the first rule of
// the pattern whose context matches it; the rule's lets are bound, then its
// assertions are tested in order.
func (s *Schema) Run(doc *xmltree.Document, opt *Options) (*Report, error) {
	if doc == nil || doc.Root == nil {
		return nil, fmt.Errorf("schematron %s: %w", s.Name, xmltree.ErrNoRoot)
	}
	return s.run(xpath.NewDocument(doc), opt)
}

func (s *Schema) run(d *xpath.Document, opt *Options) (*Report, error) {
	var now func() time.Time
	fired := false
	var cancel <-chan struct{}
	if opt != nil {
		now, fired, cancel = opt.Now, opt.FiredRules, opt.Cancel
	}
	if now == nil {
		now = time.Now
	}
	root := d.Root()
	rep := &Report{Schema: s, noErrata: opt != nil && opt.noErrata}
	globals := make(map[string]xpath.Sequence, len(s.lets))
	top := &xpath.Context{Item: root, Position: 1, Size: 1, Variables: globals, Now: now, Cancel: cancel}
	for _, l := range s.lets {
		v, err := l.expr.Evaluate(top)
		if err != nil {
			return nil, &EvalError{Schema: s.Name, Where: "let $" + l.name, Location: "/", Err: err}
		}
		globals[l.name] = v
	}
	for pi, p := range s.patterns {
		if err := s.runPattern(rep, pi, p, top, fired); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func (s *Schema) runPattern(rep *Report, pi int, p *pattern, top *xpath.Context, fired bool) error {
	if len(p.rules) == 1 {
		r := p.rules[0]
		nodes, err := r.match.Nodes(top)
		if err != nil {
			return &EvalError{Schema: s.Name, Where: fmt.Sprintf("rule context %q", r.context), Location: "/", Err: err}
		}
		for _, n := range nodes {
			if !s.visits(n) {
				continue
			}
			if err := s.apply(rep, pi, p, r, n, top, fired); err != nil {
				return err
			}
		}
		return nil
	}
	// Several rules: the first rule (in schema order) that matches a node
	// wins; the nodes are then handled in document order.
	type hit struct {
		n    xpath.Node
		rule *rule
	}
	var hits []hit
	var seen map[xpath.Node]struct{}
	for _, r := range p.rules {
		nodes, err := r.match.Nodes(top)
		if err != nil {
			return &EvalError{Schema: s.Name, Where: fmt.Sprintf("rule context %q", r.context), Location: "/", Err: err}
		}
		for _, n := range nodes {
			if !s.visits(n) {
				continue
			}
			if seen == nil {
				seen = make(map[xpath.Node]struct{})
			}
			if _, dup := seen[n]; dup {
				continue
			}
			seen[n] = struct{}{}
			hits = append(hits, hit{n, r})
		}
	}
	if len(hits) > 1 {
		order := documentOrder(top.Item.(xpath.Node))
		sort.SliceStable(hits, func(i, j int) bool { return order.less(hits[i].n, hits[j].n) })
	}
	for _, h := range hits {
		if err := s.apply(rep, pi, p, h.rule, h.n, top, fired); err != nil {
			return err
		}
	}
	return nil
}

// docOrder ranks the nodes of a document: elements by their position in a
// walk of the tree, an attribute right after its element, the document node
// first.
type docOrder map[*xmltree.Element]int

func documentOrder(root xpath.Node) docOrder {
	o := docOrder{}
	src := root.Document().Source()
	if src == nil || src.Root == nil {
		return o
	}
	i := 0
	src.Root.Walk(func(e *xmltree.Element) bool {
		o[e] = i
		i++
		return true
	})
	return o
}

func (o docOrder) key(n xpath.Node) (int, int) {
	switch n.Kind() {
	case xpath.DocumentNode:
		return -1, 0
	case xpath.AttributeNode:
		return o[n.Element()], 1
	}
	if e := n.Element(); e != nil {
		return o[e], 0
	}
	return o[n.Parent().Element()], 2
}

func (o docOrder) less(a, b xpath.Node) bool {
	ka, sa := o.key(a)
	kb, sb := o.key(b)
	if ka != kb {
		return ka < kb
	}
	return sa < sb
}

// visits reports whether the skeleton's traversal reaches n at all.
func (s *Schema) visits(n xpath.Node) bool {
	switch n.Kind() {
	case xpath.DocumentNode, xpath.ElementNode:
		return true
	case xpath.AttributeNode:
		return s.visitAttrs
	case xpath.CommentNode, xpath.ProcessingInstructionNode:
		return s.visitOther
	}
	return false
}

func (s *Schema) apply(rep *Report, pi int, p *pattern, r *rule, n xpath.Node, top *xpath.Context, fired bool) error {
	globals, now, cancel := top.Variables, top.Now, top.Cancel
	if cancel != nil {
		select {
		case <-cancel:
			return &EvalError{Schema: s.Name, Where: fmt.Sprintf("rule context %q", r.context), Location: readablePath(n), Err: ErrCancelled}
		default:
		}
	}
	vars := globals
	if len(r.lets) > 0 {
		vars = make(map[string]xpath.Sequence, len(globals)+len(r.lets))
		for k, v := range globals {
			vars[k] = v
		}
	}
	ctx := &xpath.Context{Item: n, Position: 1, Size: 1, Variables: vars, Now: now, Cancel: cancel}
	for _, l := range r.lets {
		v, err := l.expr.Evaluate(ctx)
		if err != nil {
			return &EvalError{Schema: s.Name, Where: "let $" + l.name, Location: readablePath(n), Err: err}
		}
		vars[l.name] = v
	}
	if fired {
		rep.Fired = append(rep.Fired, FiredRule{Pattern: pi, Context: r.context, ID: r.id, Location: n.Path()})
	}
	for _, a := range r.checks {
		ok, err := a.expr.EvaluateBoolean(ctx)
		if reason, known := Defect(a.id); err != nil && known && !rep.noErrata {
			// A known defect of the official file: the assertion cannot be
			// evaluated here; say so and go on with the others.
			rep.Results = append(rep.Results, Result{ID: a.id, Flag: "warning", Test: a.test, Context: r.context, Pattern: p.id,
				Location: n.Path(), Path: readablePath(n), Text: "not evaluated, a defect of the official rule: " + reason + " (" + err.Error() + ")",
				patternIndex: pi})
			continue
		}
		if err != nil {
			return &EvalError{Schema: s.Name, Where: fmt.Sprintf("%s %s test %q", kindName(a), a.id, a.test), Location: readablePath(n), Err: err}
		}
		if ok != a.report {
			continue
		}
		text, err := s.text(a.msg, ctx)
		if err != nil {
			return &EvalError{Schema: s.Name, Where: fmt.Sprintf("message of %s", a.id), Location: readablePath(n), Err: err}
		}
		res := Result{
			Report: a.report, ID: a.id, Flag: a.flag, Role: a.role, Test: a.test,
			Context: r.context, Pattern: p.id, Location: n.Path(), Path: readablePath(n), Text: text,
			patternIndex: pi,
		}
		for _, d := range a.diagnostics {
			t, err := s.text(d.msg, ctx)
			if err != nil {
				return &EvalError{Schema: s.Name, Where: "diagnostic " + d.id, Location: readablePath(n), Err: err}
			}
			res.Diagnostics = append(res.Diagnostics, Diagnostic{ID: d.id, Text: t})
		}
		rep.Results = append(rep.Results, res)
	}
	return nil
}

func kindName(a *assertion) string {
	if a.report {
		return "report"
	}
	return "assert"
}

func (s *Schema) text(m message, ctx *xpath.Context) (string, error) {
	var b strings.Builder
	for _, part := range m {
		if part.expr == nil {
			b.WriteString(part.text)
			continue
		}
		v, err := part.expr.EvaluateString(ctx)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return normalize(b.String()), nil
}

// readablePath locates n for people: the element path with prefixes as
// written and positions among same-named siblings (xmltree.Element.Path),
// "/@name" appended for an attribute, "/" for the document node.
func readablePath(n xpath.Node) string {
	switch n.Kind() {
	case xpath.ElementNode:
		return n.Element().Path()
	case xpath.AttributeNode:
		return n.Element().Path() + "/@" + n.QName()
	case xpath.DocumentNode:
		return "/"
	}
	if e := n.Element(); e != nil {
		return e.Path()
	}
	return n.Path()
}
