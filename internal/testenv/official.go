package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OfficialTree lays the TDD 1.0 files of ../shared/oots-spec/tdd-1.0 out in
// a temporary directory as the official repository (code.europa.eu
// oots/tdd/tdd_chapters) lays them out — OOTS-EDM/sch/*.sch,
// OOTS-EDM/xsd/…, OOTS-EDM/codelists/… — and returns the repository root.
// alter, when not nil, may change a file on its way (its path relative to
// the root, with slashes) and returns the bytes to write; returning nil
// leaves the file out.
func OfficialTree(tb testing.TB, alter func(rel string, b []byte) []byte) string {
	tb.Helper()
	src := Spec(tb, "tdd-1.0")
	root := tb.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "xml/") {
			return nil // the samples are not part of OOTS-EDM
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel = "OOTS-EDM/" + rel
		if alter != nil {
			if b = alter(rel, b); b == nil {
				return nil
			}
		}
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		tb.Fatalf("testenv: official tree: %v", err)
	}
	return root
}

// Replace returns an alter function for OfficialTree that replaces old by
// new, once, in the file rel, and fails the test when old is not there.
func Replace(tb testing.TB, rel, old, new string) func(string, []byte) []byte {
	return func(p string, b []byte) []byte {
		if p != rel {
			return b
		}
		if !strings.Contains(string(b), old) {
			tb.Fatalf("testenv: %q not found in %s", old, rel)
		}
		return []byte(strings.Replace(string(b), old, new, 1))
	}
}
