package edm

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/xmltree"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/built")

// TestGolden: the built messages equal the golden files of testdata/built
// after exclusive c14n (go test -run Golden -update rewrites them), so that a
// change of the written form shows in review.
func TestGolden(t *testing.T) {
	all := built()
	all[KindEvidenceRequest+"-legal"] = buildLegalRequest()
	all[KindEvidenceRequest+"-v2.0"] = buildRequestV2()
	all[KindEvidenceRequest+"-v2.0-formats"] = buildRequestV2Formats()
	for kind, m := range all {
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		path := filepath.Join("testdata", "built", string(kind)+".xml")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Golden -update)", err)
		}
		a, err1 := xmltree.ParseBytes(out, nil)
		b, err2 := xmltree.ParseBytes(want, nil)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", kind, err1, err2)
		}
		if !bytes.Equal(a.Root.Canonical(), b.Root.Canonical()) {
			t.Errorf("%s differs from %s:\n%s", kind, path, out)
		}
	}
}
