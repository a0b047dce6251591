package schematron

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// Origins of a rule set (Entry.Origin).
const (
	// OriginBuiltIn: the embedded files of Rules().
	OriginBuiltIn = "built-in"
	// OriginOfficial: the files of a directory of official rule files
	// given for the version (Official).
	OriginOfficial = "official"
)

// officialFiles names the files of each kind in the official repository
// (code.europa.eu oots/tdd/tdd_chapters, OOTS-EDM/sch): the names of the TDD
// 1.0 set, and from 2.0 EDM-ebMS.sch for the ebMS header.
var officialFiles = func() map[string][]string {
	m := map[string][]string{KindEBMS: {"EDM-ebMS.sch"}}
	for k, v := range tdd10 {
		m[k] = v
	}
	return m
}()

// Official is a directory of official rule files given for one
// specification version: the tdd_chapters repository of a TDD release
// (1.2.x for oots-edm:v1.2, 2.0.x for oots-edm:v2.0), as that repository
// lays it out.
type Official struct {
	// Version is the specification version the files judge:
	// oots-edm:v1.0, oots-edm:v1.1, oots-edm:v1.2 or oots-edm:v2.0.
	Version string
	// FS is the directory: the repository root, its OOTS-EDM folder or its
	// OOTS-EDM/sch folder (SchDir finds the rule files).
	FS fs.FS
	// Name names the directory in reports and errors (its path).
	Name string
}

// OfficialVersions returns the specification versions that a directory of
// official rule files can be given for (the EDM versions; the Common
// Services answers keep the embedded rules), a fresh slice on each call.
func OfficialVersions() []string { return slices.Clone(officialVersions) }

var officialVersions = []string{"oots-edm:v1.0", "oots-edm:v1.1", "oots-edm:v1.2", "oots-edm:v2.0"}

// ErrNoSchematron is returned by SchDir for a directory that holds no .sch
// file, nor a sch or OOTS-EDM/sch folder with one.
var ErrNoSchematron = errors.New("no .sch files")

// SchDir returns the folder of fsys (within dir) that holds the rule files:
// dir itself when it holds a .sch file, else dir/sch, else dir/OOTS-EDM/sch,
// so that dir may be the official repository's root, its OOTS-EDM folder or
// its sch folder.
func SchDir(fsys fs.FS, dir string) (string, error) {
	for _, d := range []string{dir, path.Join(dir, "sch"), path.Join(dir, "OOTS-EDM", "sch")} {
		entries, err := fs.ReadDir(fsys, d)
		if err != nil {
			if d == dir {
				return "", fmt.Errorf("schematron: %w", err)
			}
			continue
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sch") {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("schematron: %w in %s, %s/sch or %s/OOTS-EDM/sch", ErrNoSchematron, dir, dir, dir)
}

// File is one rule file of a rule set, with the files it includes, and
// its SHA-256 checksum (hex).
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Entry says which rule set judges one message kind of one specification
// version.
type Entry struct {
	Version string `json:"version"`
	Kind    string `json:"kind"`
	// Origin is OriginBuiltIn or OriginOfficial; empty when no rules apply.
	Origin string `json:"origin,omitempty"`
	// Dir is the directory of the files: the embedded path
	// (schematron/rules/tdd-1.0, …) or the official directory's name with
	// the folder where the rule files were found.
	Dir string `json:"dir,omitempty"`
	// Files are the rule files and the files they include, in the order
	// they are read.
	Files []File `json:"files,omitempty"`
	// Note explains a fall-back to the built-in files or the absence of
	// rules.
	Note string `json:"note,omitempty"`
}

// Catalogue says which rule files judge each message kind of each
// specification version: the embedded sets of ForKind, except for the
// versions given a directory of official files (NewCatalogue), whose kinds
// are judged by the files of that directory (EDM-REQ → EDM-REQ-S.sch and
// EDM-REQ-C.sch, …, EBMS → EDM-ebMS.sch). A kind whose files the directory
// lacks keeps the embedded set, and its Entry says so.
//
// A nil *Catalogue is the embedded sets. A Catalogue is immutable and safe
// for concurrent use; every file is compiled when it is made.
type Catalogue struct {
	official map[string]*officialSet // version → set
}

type officialSet struct {
	name, dir string
	kinds     map[string]*RuleSet
	entries   map[string]Entry // kind → entry (official or fall-back)
}

// recordingFS remembers the files a schema load reads, for checksums.
type recordingFS struct {
	fs.FS
	read []File
}

func (r *recordingFS) ReadFile(name string) ([]byte, error) {
	b, err := fs.ReadFile(r.FS, name)
	if err == nil {
		sum := sha256.Sum256(b)
		r.read = append(r.read, File{Path: name, SHA256: hex.EncodeToString(sum[:])})
	}
	return b, err
}

// NewCatalogue compiles the official rule files of each given directory.
// It fails on a version that cannot be given one (see OfficialVersions), a
// version given twice, a directory without rule files (ErrNoSchematron) or
// a rule file that does not compile (*SchemaError naming file and line).
func NewCatalogue(dirs ...Official) (*Catalogue, error) {
	c := &Catalogue{official: map[string]*officialSet{}}
	for _, o := range dirs {
		if !officialVersion(o.Version) {
			return nil, fmt.Errorf("schematron: %q: official rule files can be given for %s only", o.Version, strings.Join(officialVersions, ", "))
		}
		if _, dup := c.official[o.Version]; dup {
			return nil, fmt.Errorf("schematron: %s: two directories of official rule files", o.Version)
		}
		if o.FS == nil {
			return nil, fmt.Errorf("schematron: %s: no directory", o.Version)
		}
		set, err := loadOfficial(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		c.official[o.Version] = set
	}
	return c, nil
}

func officialVersion(v string) bool {
	for _, o := range officialVersions {
		if v == o {
			return true
		}
	}
	return false
}

func loadOfficial(o Official) (*officialSet, error) {
	dir, err := SchDir(o.FS, ".")
	if err != nil {
		return nil, err
	}
	set := &officialSet{name: o.Name, dir: path.Join(o.Name, dir), kinds: map[string]*RuleSet{}, entries: map[string]Entry{}}
	for _, kind := range sortedKinds(officialFiles) {
		names := officialFiles[kind]
		var missing []string
		for _, n := range names {
			if st, err := fs.Stat(o.FS, path.Join(dir, n)); err != nil || st.IsDir() {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			set.entries[kind] = Entry{Note: fmt.Sprintf("%s not in %s", strings.Join(missing, " and "), set.dir)}
			continue
		}
		rec := &recordingFS{FS: o.FS}
		rs := &RuleSet{Name: kind + " " + o.Version + " (" + set.dir + ")"}
		for _, n := range names {
			s, err := Load(rec, path.Join(dir, n))
			if err != nil {
				return nil, err
			}
			rs.Schemas = append(rs.Schemas, s)
		}
		for i := range rec.read {
			rec.read[i].Path = strings.TrimPrefix(rec.read[i].Path, dir+"/")
		}
		set.kinds[kind] = rs
		set.entries[kind] = Entry{Origin: OriginOfficial, Dir: set.dir, Files: rec.read}
	}
	if len(set.kinds) == 0 {
		return nil, fmt.Errorf("schematron: none of the official rule files (EDM-REQ-S.sch, …) in %s", set.dir)
	}
	return set, nil
}

func sortedKinds(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ForKind returns the rule set that judges a message kind of a
// specification version: the official files given for the version where
// the directory has those of the kind, else the embedded set
// (package-level ForKind, whose errors it returns).
func (c *Catalogue) ForKind(kind, version string) (*RuleSet, error) {
	if c != nil {
		if set := c.official[version]; set != nil {
			if rs := set.kinds[kind]; rs != nil {
				return rs, nil
			}
		}
	}
	return ForKind(kind, version)
}

// Official reports the directories of official rule files the catalogue
// uses, by version (the name given and the sch folder found in it).
func (c *Catalogue) Official() map[string]string {
	out := map[string]string{}
	if c != nil {
		for v, s := range c.official {
			out[v] = s.dir
		}
	}
	return out
}

// catalogueGrid is what Entries lists: the message kinds of each version.
var catalogueGrid = []struct {
	versions []string
	kinds    []string
}{
	{officialVersions, []string{KindEDMRequest, KindEDMResponse, KindEDMError, KindEBMS}},
	{[]string{"oots-cs:v1", "oots-cs:v2.0"}, []string{KindEBRequirements, KindEBEvidenceTypes, KindEBError, KindEBSubmit,
		KindDSDResponse, KindDSDError, KindDSDSubmit, KindLCMSuccess, KindLCMError}},
}

// Entries lists, for every message kind of every specification version,
// the rule set that judges it, where its files come from and their
// checksums: what a node configured with this catalogue will use.
func (c *Catalogue) Entries() ([]Entry, error) {
	var out []Entry
	for _, g := range catalogueGrid {
		for _, v := range g.versions {
			for _, k := range g.kinds {
				e, err := c.entry(k, v)
				if err != nil {
					return nil, err
				}
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func (c *Catalogue) entry(kind, version string) (Entry, error) {
	var note string
	if c != nil {
		if set := c.official[version]; set != nil {
			e := set.entries[kind]
			if e.Origin == OriginOfficial {
				e.Version, e.Kind = version, kind
				return e, nil
			}
			note = e.Note
		}
	}
	e := Entry{Version: version, Kind: kind, Note: note}
	files, err := Files(kind, version)
	if errors.Is(err, ErrNoRules) {
		if e.Note != "" {
			e.Note += ", and no built-in rules: structure and code lists only"
		} else {
			e.Note = "no business rules: structure and code lists only"
		}
		return e, nil
	}
	if err != nil {
		return e, err
	}
	if e.Note != "" {
		e.Note += ": the built-in files"
	}
	if slices.ContainsFunc(files, func(f string) bool { return approximated(f, version) }) {
		if e.Note != "" {
			e.Note += "; "
		}
		e.Note += "the TDD 1.0 files, their fixed SpecificationIdentifier set to " + version + " (no files of this version are built in)"
	}
	e.Origin, e.Dir = OriginBuiltIn, "schematron/rules/"+path.Dir(files[0])
	for _, f := range files {
		b, err := fs.ReadFile(Rules(), f)
		if err != nil {
			return e, fmt.Errorf("schematron: %w", err)
		}
		sum := sha256.Sum256(b)
		e.Files = append(e.Files, File{Path: path.Base(f), SHA256: hex.EncodeToString(sum[:])})
	}
	return e, nil
}
