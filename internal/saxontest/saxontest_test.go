package saxontest

import (
	"reflect"
	"slices"
	"sort"
	"testing"
)

func TestParseSVRL(t *testing.T) {
	const report = `<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
<svrl:fired-rule context="/"/>
<svrl:failed-assert id="R-1" flag="error" location="/a"><svrl:text>x</svrl:text></svrl:failed-assert>
<svrl:successful-report flag="warning" location="/b"/>
<failed-assert id="not-svrl"/>
</svrl:schematron-output>`
	want := []Fired{{ID: "R-1", Flag: "error", Location: "/a"}, {ID: "-", Flag: "warning", Location: "/b"}}
	got, err := parseSVRL([]byte(report))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseSVRL = %v, %v; want %v", got, err, want)
	}
	// A report cut short is an error, not a clean pass.
	got, err = parseSVRL([]byte(report[:len(report)/2]))
	if err == nil {
		t.Errorf("a truncated report gives %v and no error", got)
	}
}

// Errors reports the error and fatal assertions, a failed run among them,
// and nothing else.
func TestErrors(t *testing.T) {
	result := map[string]map[string][]Fired{
		"A.sch": {"d1": {{ID: "R1", Flag: "error"}, {ID: "R2", Flag: "warning"}, {ID: "-", Flag: "-"}}},
		"B.sch": {"d2": {{ID: Failed, Flag: "fatal"}}, "d3": {{ID: "R3", Flag: "info"}}},
	}
	var got []string
	Errors(result, func(rules, doc string, f Fired) { got = append(got, rules+" "+doc+" "+f.ID) })
	sort.Strings(got)
	if want := []string{"A.sch d1 R1", "B.sch d2 " + Failed}; !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
}
