package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
)

// TestLoadPModeDomibusPartial: a node, or oots as4, started on a Domibus
// P-Mode with pull processes among push ones runs the push processes and
// warns of each pull process by name, where the whole file was refused.
func TestLoadPModeDomibusPartial(t *testing.T) {
	file, _ := filepath.Abs(filepath.Join("..", "..", "as4", "pmode", "testdata", "domibus", "gw-sample-blue.xml"))
	var warned []string
	pm, err := loadPMode(file, func(err error) { warned = append(warned, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.Legs) == 0 || len(warned) != 6 {
		t.Fatalf("%d legs, warnings %q", len(pm.Legs), warned)
	}
	for _, w := range warned {
		if !strings.Contains(w, "process tc1") || !strings.Contains(w, "pull") {
			t.Errorf("warning %q names no pull process", w)
		}
	}
	// A YAML P-Mode is read as it is, with nothing to warn of; a
	// missing file is an error.
	yamlFile, _ := filepath.Abs(filepath.Join("..", "..", "ap", "examples", "as4-2.0", "pmode.yaml"))
	warned = nil
	if pm, err := loadPMode(yamlFile, func(err error) { warned = append(warned, err.Error()) }); err != nil || len(pm.Legs) == 0 || warned != nil {
		t.Errorf("a YAML P-Mode: %v, warnings %q", err, warned)
	}
	if _, err := loadPMode(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("a missing file was read")
	}
}

// TestDoctorDomibusPartial: oots doctor names each process of a Domibus
// P-Mode that the node would leave out.
func TestDoctorDomibusPartial(t *testing.T) {
	root := testenv.RepoRoot(t)
	file := exampleNode(t, filepath.Join(root, "ap/examples/as4-1.15/oots.yaml"), filepath.Join(root, "ap/examples/as4-1.15/pmode.yaml"))
	b, err := os.ReadFile(filepath.Join(root, "as4/pmode/testdata/domibus/gw-sample-blue.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "pmode.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, fs := runDoctorJSON(t, "-config", file, "-offline")
	var n int
	for _, f := range fs {
		if f.Rule == ruleConfig && f.Flag == check.Warning && f.Location == "pmode" && strings.Contains(f.Message, "left out") && strings.Contains(f.Message, "pull") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d findings of processes left out, want the 6 pull processes: %v", n, fs)
	}
}
