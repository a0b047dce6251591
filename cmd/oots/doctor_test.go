package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// exampleConfigs and examplePModes are where the repository keeps example
// configurations of oots serve and example P-Modes.
var (
	exampleConfigs = []string{"ap/examples/*/oots.yaml", "docs/examples/*/oots.yaml"}
	examplePModes  = []string{"ap/examples/*/pmode.yaml", "docs/examples/*/pmode.yaml", "as4/pmode/testdata/example*.yaml"}
)

// runDoctorJSON runs oots doctor and returns its exit code and findings.
func runDoctorJSON(t *testing.T, args ...string) (int, []check.Finding) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, append([]string{"doctor", "-json"}, args...))
	var fs []check.Finding
	if err := json.Unmarshal(out.Bytes(), &fs); err != nil {
		t.Fatalf("doctor -json: %v\n%s%s", err, out.String(), errOut.String())
	}
	return code, fs
}

// exampleNode copies a P-Mode (and a configuration, or the 1.15 example's
// when cfg is "") into a new directory and makes the keys its P-Mode's
// profile needs with oots pki. It returns the configuration's path.
func exampleNode(t *testing.T, cfg, pm string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(pm)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pmode.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", pm, err)
	}
	kind := wssec.AS4v115
	if c.Legs[0].Security.Profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	as4WriteCredentials(t, dir, kind)
	if err := os.WriteFile(filepath.Join(dir, "pmode.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg == "" {
		cfg = filepath.Join(testenv.RepoRoot(t), "ap/examples/as4-1.15/oots.yaml")
	}
	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "oots.yaml")
	if err := os.WriteFile(file, y, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func glob(t *testing.T, root string, patterns []string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// TestDoctorExamples: every example configuration and P-Mode of the
// repository passes oots doctor, with keys made by oots pki, before the
// node's first start (no data directory yet).
func TestDoctorExamples(t *testing.T) {
	root := testenv.RepoRoot(t)
	configs := glob(t, root, exampleConfigs)
	pmodes := glob(t, root, examplePModes)
	if len(configs) < 2 || len(pmodes) < 3 {
		t.Fatalf("examples not found: %d configurations, %d P-Modes", len(configs), len(pmodes))
	}
	paired := map[string]bool{}
	cases := map[string][2]string{}
	for _, cfg := range configs {
		pm := filepath.Join(filepath.Dir(cfg), "pmode.yaml")
		paired[pm] = true
		cases[cfg] = [2]string{cfg, pm}
	}
	for _, pm := range pmodes {
		if !paired[pm] {
			cases[pm] = [2]string{"", pm}
		}
	}
	profiles := map[wssec.Profile]bool{}
	for name, tc := range cases {
		rel, _ := filepath.Rel(root, name)
		t.Run(rel, func(t *testing.T) {
			file := exampleNode(t, tc[0], tc[1])
			code, fs := runDoctorJSON(t, "-config", file, "-offline")
			for _, f := range fs {
				if f.Flag == check.Error || f.Flag == check.Fatal {
					t.Errorf("%s %s %s: %s", f.Flag, f.Rule, f.Location, f.Message)
				}
				if f.Rule == ruleKey && f.Flag == check.Info {
					for _, p := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
						if strings.Contains(f.Message, "profile "+string(p)) && tc[0] != "" {
							profiles[p] = true
						}
					}
				}
			}
			if code != 0 {
				t.Errorf("doctor: exit %d", code)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), "data")); err == nil {
				t.Error("doctor created the data directory")
			}
		})
	}
	if !profiles[wssec.AS4v115] || !profiles[wssec.AS4v20] {
		t.Errorf("example configurations for both profiles expected, have %v", profiles)
	}
}

// TestDoctorBeforeFirstStart: without a data directory the doctor says
// oots serve will create it, and fails only when it cannot be created.
func TestDoctorBeforeFirstStart(t *testing.T) {
	root := testenv.RepoRoot(t)
	file := exampleNode(t, filepath.Join(root, "ap/examples/as4-1.15/oots.yaml"), filepath.Join(root, "ap/examples/as4-1.15/pmode.yaml"))
	code, fs := runDoctorJSON(t, "-config", file, "-offline")
	if code != 0 {
		t.Fatalf("doctor: exit %d: %v", code, fs)
	}
	var said bool
	for _, f := range fs {
		if f.Rule == ruleDatabase && f.Location == "dataDir" && f.Flag == check.Info && strings.Contains(f.Message, "oots serve creates it") {
			said = true
		}
	}
	if !said {
		t.Errorf("no finding that oots serve creates the data directory: %v", fs)
	}

	// Once the directory exists, the database is opened.
	os.Mkdir(filepath.Join(filepath.Dir(file), "data"), 0o700)
	if code, fs := runDoctorJSON(t, "-config", file, "-offline"); code != 0 || !hasFinding(fs, ruleDatabase, check.Info, "migrations applied") ||
		!hasFinding(fs, ruleDatabase, check.Info, "not synced to disk") {
		t.Errorf("doctor with a data directory: exit %d: %v", code, fs)
	}
	// With every commit synced, doctor does not say that they are not.
	y, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(y), "dataDir: data", "dataDir: data\ndatabase: sqlite:data/synced.db?synchronous=full", 1)), 0o644)
	if code, fs := runDoctorJSON(t, "-config", file, "-offline"); code != 0 || !hasFinding(fs, ruleDatabase, check.Info, "migrations applied") ||
		hasFinding(fs, ruleDatabase, check.Info, "not synced to disk") {
		t.Errorf("doctor with synchronous=full: exit %d: %v", code, fs)
	}
	os.WriteFile(file, y, 0o644)

	// A data directory under a regular file cannot be created.
	os.WriteFile(filepath.Join(filepath.Dir(file), "afile"), nil, 0o644)
	bad := strings.Replace(string(y), "dataDir: data", "dataDir: afile/data", 1)
	os.WriteFile(file, []byte(bad), 0o644)
	if code, fs := runDoctorJSON(t, "-config", file, "-offline"); code != 1 || !hasFinding(fs, ruleDatabase, check.Error, "afile") {
		t.Errorf("doctor with a data directory under a file: exit %d: %v", code, fs)
	}
}

func hasFinding(fs []check.Finding, rule string, flag check.Flag, text string) bool {
	for _, f := range fs {
		if f.Rule == rule && f.Flag == flag && strings.Contains(f.Message, text) {
			return true
		}
	}
	return false
}

// TestDoctorReportsOnce: a configuration with exactly one problem (one leg
// of the other profile than the keys) gets exactly one finding for it,
// though the doctor's checks and the access point's own meet it.
func TestDoctorReportsOnce(t *testing.T) {
	root := testenv.RepoRoot(t)
	file := exampleNode(t, filepath.Join(root, "ap/examples/as4-1.15/oots.yaml"), filepath.Join(root, "ap/examples/as4-1.15/pmode.yaml"))
	pm := filepath.Join(filepath.Dir(file), "pmode.yaml")
	b, _ := os.ReadFile(pm)
	mixed := strings.Replace(string(b), "security: {profile: eDelivery-AS4-1.15,", "security: {profile: eDelivery-AS4-2.0,", 1)
	if mixed == string(b) {
		t.Fatal("the response leg's profile was not found in the example")
	}
	os.WriteFile(pm, []byte(mixed), 0o644)
	code, fs := runDoctorJSON(t, "-config", file, "-offline")
	if code != 1 {
		t.Errorf("doctor: exit %d", code)
	}
	var errs []check.Finding
	for _, f := range fs {
		if f.Flag == check.Error || f.Flag == check.Fatal {
			errs = append(errs, f)
		}
	}
	if len(errs) != 1 || errs[0].Location != "pmode legs[1].security.profile" {
		t.Errorf("want one error at pmode legs[1].security.profile, got %d: %+v", len(errs), errs)
	}
}
