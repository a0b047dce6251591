package codelist

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/oots-go/oots/internal/testenv"
)

// TestLibxml2Agrees reads every source file with libxml2 (Python lxml,
// testdata/gc_rows.py) and compares every cell with the generated list.
func TestLibxml2Agrees(t *testing.T) {
	python := testenv.Python(t, "lxml")
	for _, l := range All() {
		t.Run(l.ShortName, func(t *testing.T) {
			src := sourceFile(t, l)
			if l == EDMErrorCodes {
				// libxml2 refuses the published file as we do: give it the
				// generator's correction (see EDMErrorCodes.Notes).
				src = bytes.Replace(src, []byte("QueryRequest/SimpleValue>"), []byte("QueryRequest</SimpleValue>"), 1)
			}
			cmd := exec.Command(python, "testdata/gc_rows.py")
			cmd.Stdin = bytes.NewReader(src)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("gc_rows.py: %v\n%s", err, stderr.Bytes())
			}
			var got struct {
				Key  string
				Rows []struct {
					Code  string
					Names map[string]string
				}
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if got.Key != l.Key {
				t.Errorf("key column %q, libxml2 %q", l.Key, got.Key)
			}
			var want []Code
			for _, r := range got.Rows {
				want = append(want, Code{Value: r.Code, Names: r.Names})
			}
			if diff := cmp.Diff(want, l.Codes(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rows differ (-libxml2 +generated):\n%s", diff)
			}
		})
	}
}

// The exported EDMErrorCodes (the published file is not well-formed) is
// well-formed for libxml2 too.
func TestExportWellFormed(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	b, err := EDMErrorCodes.MarshalGenericode()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xmllint, "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}
