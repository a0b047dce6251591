package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// The official rule files a node, "oots validate" and "oots rules" use: the
// rules section of the serve configuration (-config) or -official flags,
// made into one schematron.Catalogue (the built-in rules where none is
// given).

// officialVersion maps a key of the rules section or of -official to the
// specification version it judges: "1.2", "1.2.5", "v1.2" and
// "oots-edm:v1.2" all name oots-edm:v1.2 (a TDD release 1.2.x), "2.0.1"
// names oots-edm:v2.0.
func officialVersion(key string) (string, error) {
	k := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(key), "oots-edm:"), "v")
	parts := strings.Split(k, ".")
	if len(parts) >= 2 {
		v := "oots-edm:v" + parts[0] + "." + parts[1]
		for _, o := range schematron.OfficialVersions() {
			if v == o {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("%q is not an EDM version (1.0, 1.1, 1.2 or 2.0)", key)
}

// newCatalogue compiles the official rule files of dirs (key of the rules
// section → directory, relative to base). Errors name the field.
func newCatalogue(field string, dirs map[string]string, base string) (*schematron.Catalogue, error) {
	keys := make([]string, 0, len(dirs))
	for k := range dirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var official []schematron.Official
	seen := map[string]string{}
	for _, k := range keys {
		v, err := officialVersion(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("%s: %q and %q both name %s", field, other, k, v)
		}
		seen[v] = k
		dir := dirs[k]
		if dir == "" {
			return nil, fmt.Errorf("%s.%s: empty directory", field, k)
		}
		if !filepath.IsAbs(dir) && base != "" {
			dir = filepath.Join(base, dir)
		}
		if st, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", field, k, err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("%s.%s: %s is not a directory", field, k, dir)
		}
		official = append(official, schematron.Official{Version: v, FS: os.DirFS(dir), Name: dir})
	}
	c, err := schematron.NewCatalogue(official...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return c, nil
}

// officialFlags are the flags that choose the rule files, shared by
// "oots validate" and "oots rules": -config (the rules section of a serve
// configuration) and -official VERSION=DIR, which wins over the file for
// its version.
type officialFlags struct {
	config string
	dirs   map[string]string
}

func addOfficialFlags(fl *flag.FlagSet) *officialFlags {
	o := &officialFlags{dirs: map[string]string{}}
	fl.StringVar(&o.config, "config", "", "use the official rule files of the rules section of this serve configuration `FILE`, as oots serve does")
	fl.Func("official", "judge an EDM version with the official rule files of a directory, `VERSION=DIR` (1.2=tdd_chapters-1.2.5, 2.0=…; the repository root, OOTS-EDM or OOTS-EDM/sch); repeatable", func(s string) error {
		k, dir, ok := strings.Cut(s, "=")
		if !ok || dir == "" {
			return fmt.Errorf("%q is not VERSION=DIR", s)
		}
		if _, err := officialVersion(k); err != nil {
			return err
		}
		o.dirs[k] = dir
		return nil
	})
	return o
}

// catalogue returns the catalogue the flags name: the file's rules section
// (relative to the file), then each -official over it.
func (o *officialFlags) catalogue(env *Env) (*schematron.Catalogue, error) {
	dirs := map[string]string{}
	if o.config != "" {
		c, err := readServeConfig(o.config, env.Getenv)
		if err != nil {
			return nil, err
		}
		for k, d := range c.Rules {
			dirs[k] = c.path(d)
		}
	}
	for k, d := range o.dirs {
		v, _ := officialVersion(k)
		for other := range dirs {
			if w, _ := officialVersion(other); w == v {
				delete(dirs, other)
			}
		}
		dirs[k] = d
	}
	return newCatalogue("rules", dirs, "")
}

// runRules implements "oots rules [-config FILE] [-official VERSION=DIR]...
// [-json]": for every message kind of every specification version, the
// rule set that judges it, its origin and the SHA-256 of each file.
func runRules(_ context.Context, env *Env, args []string) int {
	fl := flag.NewFlagSet("rules", flag.ContinueOnError)
	fl.SetOutput(env.Stderr)
	asJSON := fl.Bool("json", false, "print JSON: an array of {version, kind, origin, dir, files: [{path, sha256}], note}")
	off := addOfficialFlags(fl)
	fl.Usage = func() {
		fmt.Fprintln(env.Stderr, `usage: oots rules [-config oots.yaml] [-official VERSION=DIR]... [-json]

Lists, for every message kind of every specification version, the business
rules (Schematron) that judge it: built-in (the embedded files, by path) or
official (a directory of official rule files, from the rules section of the
configuration or -official), with the SHA-256 of each file read, included
files too. A kind whose files the directory lacks keeps the built-in ones,
and the note says so.`)
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 0 {
		fl.Usage()
		return 2
	}
	cat, err := off.catalogue(env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots rules: %v\n", err)
		return 2
	}
	entries, err := cat.Entries()
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots rules: %v\n", err)
		return 2
	}
	if *asJSON {
		b, err := json.MarshalIndent(entries, "", "  ")
		if err != nil {
			fmt.Fprintf(env.Stderr, "oots rules: %v\n", err)
			return 2
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return 0
	}
	for _, e := range entries {
		origin := e.Origin
		if origin == "" {
			origin = "none"
		}
		fmt.Fprintln(env.Stdout, strings.TrimRight(fmt.Sprintf("%-14s %-9s %-9s %s", e.Version, e.Kind, origin, e.Dir), " "))
		if e.Note != "" {
			fmt.Fprintf(env.Stdout, "    note: %s\n", e.Note)
		}
		for _, f := range e.Files {
			fmt.Fprintf(env.Stdout, "    %s  %s\n", f.SHA256, f.Path)
		}
	}
	return 0
}

// logRules tells the operator, at start-up, which directories of official
// rule files judge which version, and which kinds of those versions keep
// the built-in rules (the directory lacks their files).
func logRules(logger *slog.Logger, cat *schematron.Catalogue) {
	official := cat.Official()
	if len(official) == 0 {
		logger.Info("business rules: the built-in rule files (oots rules lists them)")
		return
	}
	entries, err := cat.Entries()
	if err != nil {
		logger.Error("business rules", slog.String("error", err.Error()))
		return
	}
	for _, e := range entries {
		if _, ok := official[e.Version]; !ok {
			continue
		}
		if e.Origin == schematron.OriginOfficial {
			logger.Info("business rules: official rule files", slog.String("version", e.Version), slog.String("kind", e.Kind), slog.String("dir", e.Dir))
		} else {
			logger.Warn("business rules: the official directory lacks this kind's files", slog.String("version", e.Version), slog.String("kind", e.Kind), slog.String("note", e.Note))
		}
	}
}

// judgeWith is the access point's judge (ap.Config.Judge) of oots serve:
// a payload that is an OOTS message is judged by the rules cat gives for
// its kind and version; anything else (a PDF, XML of another vocabulary)
// is not judged.
func judgeWith(cat *schematron.Catalogue) ap.Judge {
	return func(p []byte) (string, []check.Finding, bool) {
		lim := edm.Limits()
		doc, err := xmltree.ParseBytes(p, &lim)
		if err != nil {
			return "", nil, false
		}
		kind, version, err := edm.Detect(doc)
		if err != nil {
			return "", nil, false
		}
		what := strings.TrimSpace(string(kind) + " " + string(version))
		rs, err := cat.ForKind(string(kind), string(version))
		if err != nil {
			return what, nil, true // no rules for it: nothing to report
		}
		return what, rs.Validate(doc), true
	}
}
