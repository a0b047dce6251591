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
	lists := map[Kind]*codelist.List{KindEvidenceError: codelist.EDMErrorCodes, KindEBError: codelist.EBErrorCodes,
		KindDSDError: codelist.DSDErrorCodes, KindLCMError: codelist.LCMErrorCodes}
	count := map[Kind]int{}
	for _, e := range ErrorCodes {
		count[e.Kind]++
		l := lists[e.Kind]
		c, ok := l.Lookup(e.Code)
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
		if !codelist.ErrorSeverities.Contains(e.Severity) {
			t.Errorf("%s: severity %q is not in ErrorSeverity", e.Code, e.Severity)
		}
	}
	for k, l := range lists {
		if count[k] != l.Len() {
			t.Errorf("%s: %d codes in the table, %d in the list", k, count[k], l.Len())
		}
	}
}
