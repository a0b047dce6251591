package provider_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/schematron"
)

// TestOfficialRuleFiles: with Config.Rules naming a directory of official
// rule files for oots-edm:v1.0 (the TDD 1.0 files laid out as the official
// repository, one assertion altered to fail every request), a valid request
// is refused with EDM:ERR:0003 and the altered rule's id; with the embedded
// rules the same request is not.
func TestOfficialRuleFiles(t *testing.T) {
	root := testenv.OfficialTree(t, testenv.Replace(t, "OOTS-EDM/sch/EDM-REQ-C.sch",
		`test="rim:Value='oots-edm:v1.0'" id="R-EDM-REQ-C001"`, `test="rim:Value='oots-edm:v9.9'" flag="fatal" id="R-EDM-REQ-C001"`))
	cat, err := schematron.NewCatalogue(schematron.Official{Version: string(edm.V1_0), FS: os.DirFS(root), Name: filepath.Base(root)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules *schematron.Catalogue
		want  bool
	}{{"embedded", nil, false}, {"official", cat, true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "", func(c *provider.Config) { c.Rules = tc.rules })
			q := e.request(edm.V1_0, berlin, user(t, anna))
			n := len(e.send.all())
			e.deliver(e.message(q, "c-rules", ""))
			as := e.answers(n)
			if len(as) != 1 {
				t.Fatalf("%d answers", len(as))
			}
			var code, detail string
			if as[0].Error != nil {
				exc := exceptionOf(t, as[0])
				code, detail = string(exc.Code), exc.Detail
			}
			refused := code == "EDM:ERR:0003" && strings.Contains(detail, "R-EDM-REQ-C001")
			if refused != tc.want {
				t.Errorf("answer %s %q; refused by R-EDM-REQ-C001: %v, want %v", code, detail, refused, tc.want)
			}
		})
	}
}
