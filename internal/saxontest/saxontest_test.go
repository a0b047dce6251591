package saxontest

import (
	"reflect"
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
