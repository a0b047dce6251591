package xpath

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompileErrors(t *testing.T) {
	sc := &StaticContext{Namespaces: testNS, Variables: []string{"v"}}
	for _, c := range []struct{ expr, code string }{
		{"", "XPST0003"},
		{"1 +", "XPST0003"},
		{"(1, 2", "XPST0003"},
		{"a[", "XPST0003"},
		{"'abc", "XPST0003"},
		{"1 2", "XPST0003"},
		{"(: open comment", "XPST0003"},
		{"a/", "XPST0003"},
		{"@", "XPST0003"},
		{"child::", "XPST0003"},
		{"foo::a", "XPST0003"},
		{"namespace::*", "XPST0010"},
		{"if (1) then 2", "XPST0003"},
		{"for $x in 1 return", "XPST0003"},
		{"some $x in 1", "XPST0003"},
		{"12abc", "XPST0003"},
		{"1e", "XPST0003"},
		{"#", "XPST0003"},
		{"x:a", "XPST0081"},
		{"x:*", "XPST0081"},
		{"x:f()", "XPST0081"},
		{"$undefined", "XPST0008"},
		{"for $x in 1 return $y", "XPST0008"},
		{"unknown()", "XPST0017"},
		{"count()", "XPST0017"},
		{"count(1, 2)", "XPST0017"},
		{"concat('a')", "XPST0017"},
		{"r:f()", "XPST0017"},
		{"xs:unknown('1')", "XPST0017"},
		{"xs:integer('1', '2')", "XPST0017"},
		{"1 instance of xs:unknown", "XPST0051"},
		{"1 cast as xs:anyAtomicType", "XPST0080"},
		{"1 cast as r:type", "XPST0051"},
		{"schema-element(a)", "XPST0017"},
		{"matches('a', '(')", "FORX0002"},
		{"matches('a', '[a')", "FORX0002"},
		{"matches('a', 'a{2')", "FORX0002"},
		{"matches('a', '*a')", "FORX0002"},
		{"matches('a', 'a]')", "FORX0002"},
		{"matches('a', '\\q')", "FORX0002"},
		{"matches('a', '\\p{IsKlingon}')", "FORX0002"},
		{"matches('a', '[z-a]')", "FORX0002"},
		{"matches('a', 'a{2000}')", "FORX0002"},
		{"matches('a', 'a', 'g')", "FORX0001"},
		{"tokenize('a', '(?i)a')", "FORX0002"},
		{"99999999999999999999", "FOAR0002"},
		{strings.Repeat("(", MaxDepth) + "1" + strings.Repeat(")", MaxDepth), "XPST0003"},
		{strings.Repeat("a[", MaxDepth) + "1" + strings.Repeat("]", MaxDepth), "XPST0003"},
		{strings.Repeat("-", MaxDepth+1) + "1", "XPST0003"},
	} {
		_, err := Compile(c.expr, sc)
		var xe *Error
		if !errors.As(err, &xe) {
			t.Errorf("Compile(%.40q) = %v, want *Error %s", c.expr, err, c.code)
			continue
		}
		if xe.Code != c.code || !xe.Static || !errors.Is(err, ErrStatic) {
			t.Errorf("Compile(%.40q) = %v (static %v), want static %s", c.expr, err, xe.Static, c.code)
		}
	}
}

// TestBoundedEvaluation: adversarial expressions end with an error, quickly.
func TestBoundedEvaluation(t *testing.T) {
	doc := testDoc(t)
	for _, c := range []struct{ expr, code string }{
		{"1 to 100000000000", "XPDY0130"},
		{"count(for $a in 1 to 1000000 return for $b in 1 to 1000000 return 1)", "XPDY0130"},
		{"count((1 to 1000000, 1 to 1000000))", "XPDY0130"},
		{"some $a in 1 to 1000000, $b in 1 to 1000000 satisfies $a = -$b", "XPDY0130"},
		{"count(//node()[count(//node()[count(//node()[count(//node()[count(//node()[count(//node()) > 0]) > 0]) > 0]) > 0]) > 0])", "XPDY0130"},
	} {
		e, err := Compile(c.expr, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		start := time.Now()
		_, err = e.Evaluate(&Context{Item: doc.Root()})
		var xe *Error
		if !errors.As(err, &xe) || xe.Code != c.code || !errors.Is(err, ErrDynamic) {
			t.Errorf("%s: %v, want %s", c.expr, err, c.code)
		}
		t.Logf("%s: %v after %v", c.expr, err, time.Since(start))
	}
	// Cancellation.
	cancel := make(chan struct{})
	close(cancel)
	e := MustCompile("count(for $a in 1 to 1000 return for $b in 1 to 1000 return $b)", nil)
	if _, err := e.Evaluate(&Context{Cancel: cancel}); err == nil {
		t.Error("cancelled evaluation returned no error")
	}
}

func TestRegexTranslation(t *testing.T) {
	for _, c := range []struct{ pattern, flags, want string }{
		{"abc", "", "abc"},
		{"a.c", "", `a[^\n\r]c`},
		{"a.c", "s", `a[\x00-\x{10FFFF}]c`},
		{"^a$", "m", "(?m)^a$"},
		{"a", "i", "(?i)a"},
		{"a b\tc", "x", "abc"},
		{"[a b]", "x", `[\x{20}a-b]`},
		{"[a-f0-9]{8}", "", "[0-9a-f]{8}"},
		{`\s`, "", `[\x{9}-\x{A}\x{D}\x{20}]`},
		{`[a-z-[aeiou]]`, "", "[b-df-hj-np-tv-z]"},
		{`[^a]`, "", `[\x{0}-\x{60}b-\x{10FFFF}]`},
		{`\$\.\-`, "", `\$\.-`},
		{"a*?b+?c??", "", "a*?b+?c??"},
		{"(a|b)", "", "(a|b)"},
		{"a{2,}", "", "a{2,}"},
		{"a.c", "q", `a\.c`},
	} {
		got, err := translateRegex(c.pattern, c.flags)
		if err != nil || got != c.want {
			t.Errorf("translateRegex(%q, %q) = %q, %v; want %q", c.pattern, c.flags, got, err, c.want)
		}
	}
}
