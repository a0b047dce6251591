package edm

import (
	"strings"
	"testing"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/regrep"
)

// TestErrorCatalogue: the error table of this package and the official
// error code lists agree code for code: message and exception type.
func TestErrorCatalogue(t *testing.T) {
	lists := map[Kind]*codelist.List{KindEvidenceError: codelist.EDMErrorCodes(), KindEBError: codelist.EBErrorCodes(),
		KindDSDError: codelist.DSDErrorCodes(), KindLCMError: codelist.LCMErrorCodes()}
	count := map[Kind]int{}
	for _, e := range ErrorCodes() {
		count[e.Kind]++
		l := lists[e.Kind]
		c, ok := l.Lookup(string(e.Code))
		if !ok {
			t.Errorf("%s is not in %s", e.Code, l.ShortName)
			continue
		}
		if got := c.Names[codelist.ColumnValue]; strings.TrimSpace(got) != e.Message {
			t.Errorf("%s: message %q, code list says %q", e.Code, e.Message, got)
		}
		prefix := map[string]string{regrep.NamespaceRS: "rs:", regrep.NamespaceQuery: "query:"}[e.Type.Space]
		if got := c.Names[codelist.ColumnType]; got != prefix+e.Type.Local {
			t.Errorf("%s: type %s%s, code list says %q", e.Code, prefix, e.Type.Local, got)
		}
		if !codelist.ErrorSeverities().Contains(e.Severity) {
			t.Errorf("%s: severity %q is not in ErrorSeverity", e.Code, e.Severity)
		}
	}
	for k, l := range lists {
		if count[k] != l.Len() {
			t.Errorf("%s: %d codes in the table, %d in the list", k, count[k], l.Len())
		}
	}
}

// TestErrorCatalogueByVersion: the codes the table gives for a version are
// those of the code list of that version (codelist.InVersion), which for
// 2.0 lacks EB:ERR:0004.
func TestErrorCatalogueByVersion(t *testing.T) {
	names := map[Kind]string{KindEvidenceError: "EDMErrorCodes", KindEBError: "EBErrorCodes", KindDSDError: "DSDErrorCodes", KindLCMError: "LCMErrorCodes"}
	for _, v := range []Version{V1_0, V1_2, V2_0, CSv1, CSv20} {
		for k, name := range names {
			l, err := codelist.InVersion(name, string(v))
			if err != nil {
				t.Fatal(err)
			}
			var table []string
			for _, e := range ErrorCodes() {
				if e.Kind == k && e.In(v) {
					table = append(table, string(e.Code))
				}
			}
			var list []string
			for _, c := range l.Codes() {
				list = append(list, c.Value)
			}
			if strings.Join(table, " ") != strings.Join(list, " ") {
				t.Errorf("%s in %s: table %v, code list %v", name, v, table, list)
			}
		}
	}
	if _, ok := LookupErrorIn("EB:ERR:0004", CSv20); ok {
		t.Error("EB:ERR:0004 exists in oots-cs:v2.0")
	}
	if _, ok := LookupErrorIn("EB:ERR:0004", CSv1); !ok {
		t.Error("EB:ERR:0004 is missing from oots-cs:v1")
	}
}
