package codelist

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/oots-go/oots/internal/testenv"
)

// TestLibxml2Agrees reads every source file with libxml2 (Python lxml,
// testdata/gc_rows.py) and compares every cell with the generated list.
func TestLibxml2Agrees(t *testing.T) {
	python := testenv.Python(t, "lxml")
	args := []string{"testdata/gc_rows.py"}
	paths := make(map[*List]string)
	for _, l := range All() {
		p := testenv.Spec(t, "tdd-1.0/codelists/"+l.Source)
		if l == EDMErrorCodes() {
			// libxml2 refuses the published file as we do: give it the
			// generator's correction (see EDMErrorCodes.Notes).
			src := bytes.Replace(sourceFile(t, l), []byte("QueryRequest/SimpleValue>"), []byte("QueryRequest</SimpleValue>"), 1)
			p = filepath.Join(t.TempDir(), "EDMErrorCodes-CodeList.gc")
			if err := os.WriteFile(p, src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		paths[l] = p
		args = append(args, p)
	}
	cmd := exec.Command(python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gc_rows.py: %v\n%s", err, stderr.Bytes())
	}
	var lists map[string]struct {
		Key  string
		Rows []struct {
			Code  string
			Names map[string]string
		}
	}
	if err := json.Unmarshal(out, &lists); err != nil {
		t.Fatal(err)
	}
	for l, p := range paths {
		got, ok := lists[p]
		if !ok {
			t.Errorf("%s: no answer from gc_rows.py", l.ShortName)
			continue
		}
		if got.Key != l.Key {
			t.Errorf("%s: key column %q, libxml2 %q", l.ShortName, l.Key, got.Key)
		}
		var want []Code
		for _, r := range got.Rows {
			want = append(want, Code{Value: r.Code, Names: r.Names})
		}
		if diff := cmp.Diff(want, l.Codes(), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: rows differ (-libxml2 +generated):\n%s", l.ShortName, diff)
		}
	}
}

// The exported EDMErrorCodes (the published file is not well-formed) is
// well-formed for libxml2 too.
func TestExportWellFormed(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	b, err := EDMErrorCodes().MarshalGenericode()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(xmllint, "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}
