// Command vulndb turns a folder of OSV reports (the data/osv folder of the
// Go vulnerability database's module, golang.org/x/vulndb) into the layout
// that govulncheck -db file://DIR reads (index/db.json, index/modules.json,
// index/vulns.json, ID/<id>.json), so that CI checks for known
// vulnerabilities without reaching vuln.go.dev.
//
//	go run ./.ci/vulndb OSV-DIR OUT-DIR
//
// The module index leaves out the "fixed" hint: govulncheck then reads every
// report of a module it uses and decides from the report's own ranges.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type report struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type vulnRef struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string    `json:"path"`
	Vulns []vulnRef `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: vulndb OSV-DIR OUT-DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	files, err := filepath.Glob(filepath.Join(in, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV reports in %s", in)
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	modules := map[string][]vulnRef{}
	var vulns []vuln
	var latest time.Time
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if r.ID == "" {
			return fmt.Errorf("%s: no id", f)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", r.ID+".json"), b, 0o644); err != nil {
			return err
		}
		vulns = append(vulns, vuln{r.ID, r.Modified, r.Aliases})
		seen := map[string]bool{}
		for _, a := range r.Affected {
			if p := a.Package.Name; p != "" && !seen[p] {
				seen[p] = true
				modules[p] = append(modules[p], vulnRef{r.ID, r.Modified})
			}
		}
		if r.Modified.After(latest) {
			latest = r.Modified
		}
	}
	var mods []module
	for p, v := range modules {
		mods = append(mods, module{p, v})
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": latest},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%d reports, %d modules\n", len(vulns), len(mods))
	return nil
}
