package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// replaceNet is AP_FR_01 of a serve network as a node in this process with
// its reloader (what the console's administrators use), and the P-Mode
// file's text with a partner's endpoint changed: a P-Mode the node takes.
func replaceNet(t *testing.T) (n *serveNet, r *reloader, edited []byte) {
	t.Helper()
	n = writeServeNet(t, wssec.AS4v20, "", nil, "")
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
	b, err := os.ReadFile(filepath.Join(n.dir, "pmode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	edited = []byte(strings.Replace(string(b), "/as4\n", "/as4/moved\n", 1))
	if string(edited) == string(b) {
		t.Fatal("the P-Mode has no endpoint to change")
	}
	return n, &reloader{node: node, load: load, logger: quiet}, edited
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
