package xpath

import (
	"errors"
	"fmt"
	"sync"
)

// errInternal marks a recovered panic: a bug of the engine, never expected.
var errInternal = errors.New("internal error")

// ctxPool recycles evaluation states: a rule engine evaluates many small
// expressions per document.
var ctxPool = sync.Pool{New: func() any { return new(evalCtx) }}

// expr is a node of a compiled expression tree.
type expr interface {
	eval(c *evalCtx) (Sequence, error)
}

// Evaluate evaluates the expression and returns the resulting sequence.
// Errors are *Error values with the XPath error code.
func (e *Expr) Evaluate(ctx *Context) (res Sequence, err error) {
	if ctx == nil {
		ctx = &Context{}
	}
	c := ctxPool.Get().(*evalCtx)
	*c = evalCtx{item: ctx.Item, current: ctx.Item, pos: ctx.Position, size: ctx.Size, nowFn: ctx.Now, cancel: ctx.Cancel}
	defer func() {
		*c = evalCtx{}
		ctxPool.Put(c)
	}()
	if c.pos == 0 {
		c.pos = 1
	}
	if c.size == 0 {
		c.size = 1
	}
	if e.slots > 0 {
		c.vars = make([]Sequence, e.slots)
	}
	if len(e.extVars) > 0 {
		c.ext = make([]Sequence, len(e.extVars))
		for i, name := range e.extVars {
			v, ok := ctx.Variables[name]
			if !ok {
				if ctx.Lookup == nil {
					return nil, dynErr(codeCtxAbsent, "variable $%s has no value", name)
				}
				if c.pending == nil {
					c.pending = make([]bool, len(e.extVars))
				}
				c.pending[i] = true
				c.lookup = ctx.Lookup
			}
			c.ext[i] = v
		}
	}
	defer func() {
		// A safety net: no input may crash the caller. Reaching it is a bug
		// of the engine, reported as such.
		if r := recover(); r != nil {
			res, err = nil, &Error{Code: codeLimit, Pos: -1, Message: fmt.Sprintf("internal error evaluating %q: %v", e.src, r), Err: errInternal}
		}
	}()
	return e.root.eval(c)
}

// EvaluateBoolean returns the effective boolean value of the result (XPath
// 2.0 §2.4.3), as sch:assert and sch:report use it.
func (e *Expr) EvaluateBoolean(ctx *Context) (bool, error) {
	s, err := e.Evaluate(ctx)
	if err != nil {
		return false, err
	}
	return ebv(s)
}

// EvaluateString returns the string value of the result: the string values
// of its items joined by single spaces, as xsl:value-of (and so
// sch:value-of) prints it.
func (e *Expr) EvaluateString(ctx *Context) (string, error) {
	s, err := e.Evaluate(ctx)
	if err != nil {
		return "", err
	}
	return joinStrings(s), nil
}

// Nodes evaluates the expression, which must return nodes only (XPTY0004
// otherwise), and returns them in document order without duplicates.
func (e *Expr) Nodes(ctx *Context) ([]Node, error) {
	s, err := e.Evaluate(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Node, 0, len(s))
	for _, it := range s {
		n, ok := it.(Node)
		if !ok {
			return nil, dynErr(codeType, "expression %q returned the atomic value %s where nodes are required", e.src, describe(it))
		}
		out = append(out, n)
	}
	return sortNodes(out), nil
}
