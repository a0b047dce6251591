package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// replaceNet is AP_FR_01 of a serve network as a node in this process with
// its reloader (what the console's administrators use), and the P-Mode
// file's text with a partner's endpoint changed: a P-Mode the node takes.
func replaceNet(t *testing.T) (n *serveNet, r *reloader, edited []byte) {
	t.Helper()
	n = writeServeNet(t, wssec.AS4v20, "", nil, "")
	r = reloaderOf(t, n)
	b, err := os.ReadFile(filepath.Join(n.dir, "pmode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	edited = []byte(strings.Replace(string(b), "/as4\n", "/as4/moved\n", 1))
	if string(edited) == string(b) {
		t.Fatal("the P-Mode has no endpoint to change")
	}
	return n, r, edited
}

// reloaderOf makes AP_FR_01 of n a node in this process, from its
// configuration file as oots serve reads it, and returns its reloader.
func reloaderOf(t *testing.T, n *serveNet) *reloader {
	t.Helper()
	load := func() (*serveConfig, error) {
		return loadServeConfig(n.configs["AP_FR_01"], func(string) string { return "" }, false)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := c.nodeConfig(quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Store, cfg.TempDir = db, t.TempDir()
	node, err := ap.New(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &reloader{node: node, load: load, logger: quiet}
}

// TestReplacePModeKeepsMode: the uploaded P-Mode, and the file it replaces
// kept as .previous, have the mode the pmode file had, not the 0600 of a
// temporary file, so that other readers of the configuration still read
// them.
func TestReplacePModeKeepsMode(t *testing.T) {
	n, r, edited := replaceNet(t)
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	if err := os.Chmod(pmFile, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplacePMode(context.Background(), edited); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{pmFile, pmFile + ".previous"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v, want -rw-r-----", filepath.Base(f), fi.Mode().Perm())
		}
	}
}

// TestReplacePModeThroughSymlink: when the pmode file is a symbolic link
// (to a file a deployment manages), the upload replaces the file it leads
// to, kept beside it as .previous, and the link stays: a later kill -HUP
// still reads the managed file.
func TestReplacePModeThroughSymlink(t *testing.T) {
	n, r, edited := replaceNet(t)
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	managed := filepath.Join(n.dir, "managed", "pmode-v1.yaml")
	if err := os.Mkdir(filepath.Dir(managed), 0o755); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(pmFile, managed); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("managed", "pmode-v1.yaml"), pmFile); err != nil {
		t.Fatal(err)
	}
	if err := r.ReplacePMode(context.Background(), edited); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(pmFile); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("pmode.yaml is no longer a symbolic link: %v %v", fi.Mode(), err)
	}
	if b, err := os.ReadFile(managed); err != nil || string(b) != string(edited) {
		t.Errorf("the managed file is not the uploaded one: %v", err)
	}
	if b, err := os.ReadFile(managed + ".previous"); err != nil || string(b) != string(before) {
		t.Errorf("the managed file's .previous is not the replaced file: %v", err)
	}
	if got := r.node.Partners().PMode; !slices.ContainsFunc(got.Parties, func(p pmode.Party) bool { return strings.HasSuffix(p.Endpoint, "/moved") }) {
		t.Errorf("the node does not use the uploaded P-Mode: %+v", got.Parties)
	}
}

// TestReplacePModeRefusedKeepsPrevious: a P-Mode the node refuses leaves
// both the pmode file and the kept .previous as they were, so that the
// file before the last accepted upload is not lost by a refused one.
func TestReplacePModeRefusedKeepsPrevious(t *testing.T) {
	n, r, edited := replaceNet(t)
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	original, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReplacePMode(context.Background(), edited); err != nil {
		t.Fatal(err)
	}
	wrongLeg := strings.Replace(string(edited), "profile: "+string(wssec.AS4v20), "profile: "+string(wssec.AS4v115), 1)
	if err := r.ReplacePMode(context.Background(), []byte(wrongLeg)); err == nil || !strings.Contains(err.Error(), "security.profile") {
		t.Fatalf("a P-Mode the node cannot use: %v", err)
	}
	for f, want := range map[string][]byte{pmFile: edited, pmFile + ".previous": original} {
		if got, err := os.ReadFile(f); err != nil || string(got) != string(want) {
			t.Errorf("%s after a refused upload: %v\n%s", filepath.Base(f), err, got)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(n.dir, ".pmode-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestReplacePModeKeepsKind: a Domibus PMode XML uploaded over a YAML
// P-Mode file is refused, naming both kinds, and changes nothing.
func TestReplacePModeKeepsKind(t *testing.T) {
	n, r, _ := replaceNet(t)
	pmFile := filepath.Join(n.dir, "pmode.yaml")
	before, err := os.ReadFile(pmFile)
	if err != nil {
		t.Fatal(err)
	}
	xml := []byte(`<?xml version="1.0"?><db:configuration xmlns:db="http://domibus.eu/configuration" party="AP_FR_01"/>`)
	if err := r.ReplacePMode(context.Background(), xml); err == nil || !strings.Contains(err.Error(), "holds a YAML P-Mode and the upload is a Domibus PMode XML") {
		t.Fatalf("an XML upload over a YAML file: %v", err)
	}
	if after, _ := os.ReadFile(pmFile); string(after) != string(before) {
		t.Error("the refused upload changed the file")
	}
}

// TestReplacePModeRelativeConfig: with the configuration named by a
// relative path (oots serve -config conf/oots.yaml), the upload is checked
// and used as with an absolute one.
func TestReplacePModeRelativeConfig(t *testing.T) {
	n, r, edited := replaceNet(t)
	t.Chdir(filepath.Dir(n.dir))
	rel := filepath.Join(filepath.Base(n.dir), filepath.Base(n.configs["AP_FR_01"]))
	r.load = func() (*serveConfig, error) { return loadServeConfig(rel, func(string) string { return "" }, false) }
	if err := r.ReplacePMode(context.Background(), edited); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(n.dir, "pmode.yaml")); string(got) != string(edited) {
		t.Error("the pmode file is not the uploaded one")
	}
}
