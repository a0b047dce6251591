package schematron

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/xmltree"
	"github.com/oots-go/oots/xpath"
)

//go:embed rules/tdd-1.0/*.sch rules/legacy-0.99/*.sch rules/edm-2.0/*.sch
var embedded embed.FS

// Names of the embedded rule sets (directories of Rules()).
const (
	// SetTDD10 holds the 21 official TDD 1.0 Schematron files, unchanged. They
	// judge EDM v1.x messages and v1 Common Services answers.
	SetTDD10 = "tdd-1.0"
	// SetLegacy099 holds the older (0.99) official set, unchanged; informative.
	SetLegacy099 = "legacy-0.99"
	// SetEDM20 holds the project's own rule files for the EDM v2.0 deltas
	// (the official 2.0.1 files are not published where we can obtain them).
	SetEDM20 = "edm-2.0"
)

// Rules returns the embedded rule files: tdd-1.0/*.sch, legacy-0.99/*.sch and
// edm-2.0/*.sch.
func Rules() fs.FS {
	sub, err := fs.Sub(embedded, "rules")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// ErrNoRules is returned by ForKind when no embedded rule set applies to a
// message kind and specification version (for example an ebMS header of a
// v1.x exchange, or a v2.0 Common Services answer: the official 2.0 rules
// for those are not available).
var ErrNoRules = errors.New("no schematron rules for this message kind and version")

// Message kinds, as the official rule-file groups name them (TDD sch/README).
const (
	KindEDMRequest      = "EDM-REQ"
	KindEDMResponse     = "EDM-RESP"
	KindEDMError        = "EDM-ERR"
	KindEBRequirements  = "EB-REQ"
	KindEBEvidenceTypes = "EB-EVI"
	KindEBError         = "EB-ERR"
	KindEBSubmit        = "EB-SUB"
	KindDSDResponse     = "DSD-RESP"
	KindDSDError        = "DSD-ERR"
	KindDSDSubmit       = "DSD-SUB"
	KindLCMSuccess      = "LCM-SUC"
	KindLCMError        = "LCM-ERR"
	KindEBMS            = "EBMS"
)

// tdd10 lists the files of each kind in the TDD 1.0 set. The TDD README's
// table gives EDM-ERR-S/C for EDM-RESP: a typo, the EDM-RESP files exist.
var tdd10 = map[string][]string{
	KindEDMRequest:      {"EDM-REQ-S.sch", "EDM-REQ-C.sch"},
	KindEDMResponse:     {"EDM-RESP-S.sch", "EDM-RESP-C.sch"},
	KindEDMError:        {"EDM-ERR-S.sch", "EDM-ERR-C.sch"},
	KindDSDResponse:     {"DSD-RESP-S.sch", "DSD-RESP-C.sch"},
	KindDSDError:        {"DSD-ERR-S.sch", "DSD-ERR-C.sch"},
	KindDSDSubmit:       {"DSD-SUB-S.sch", "DSD-SUB-C.sch"},
	KindEBRequirements:  {"EB-REQ-S.sch", "EB-REQ-C.sch"},
	KindEBEvidenceTypes: {"EB-EVI-S.sch", "EB-EVI-C.sch"},
	KindEBError:         {"EB-ERR.sch"},
	KindEBSubmit:        {"EB-SUB-S.sch", "EB-SUB-C.sch"},
	KindLCMSuccess:      {"LCM-SUC.sch"},
	KindLCMError:        {"LCM-ERR.sch"},
}

var edm20 = map[string][]string{
	KindEDMRequest:  {"EDM-REQ-S-2.0.sch", "EDM-REQ-C-2.0.sch"},
	KindEDMResponse: {"EDM-RESP-S-2.0.sch", "EDM-RESP-C-2.0.sch"},
	KindEDMError:    {"EDM-ERR-S-2.0.sch", "EDM-ERR-C-2.0.sch"},
	KindEBMS:        {"EDM-ebMS-2.0.sch"},
}

var legacy099 = map[string][]string{
	KindEDMRequest:      {"evidence_request.sch"},
	KindEDMResponse:     {"evidence_response.sch"},
	KindEDMError:        {"evidence_exception.sch"},
	KindDSDResponse:     {"dsd_query_response.sch"},
	KindDSDError:        {"dsd_query_error.sch"},
	KindDSDSubmit:       {"dsd_lcm_submit.sch"},
	KindEBRequirements:  {"eb_query_response.sch"},
	KindEBEvidenceTypes: {"eb_getfr_query_response.sch"},
	KindEBError:         {"eb_error_response.sch"},
	KindLCMSuccess:      {"cs_lcm_success.sch"},
	KindLCMError:        {"cs_lcm_error.sch"},
}

// Files returns the embedded rule files (paths within Rules()) that apply to
// a message kind and specification version:
//   - oots-edm:v1.0, v1.1, v1.2 and oots-cs:v1 (or ""): the TDD 1.0 files;
//   - oots-edm:v2.0: our edm-2.0 files, for EDM-REQ, EDM-RESP, EDM-ERR and EBMS;
//   - "legacy-0.99": the 0.99 files (not a specification version of the
//     shared vocabulary; for comparisons with old samples).
//
// Anything else is ErrNoRules.
func Files(kind, version string) ([]string, error) {
	var set string
	var table map[string][]string
	switch version {
	case "oots-edm:v1.0", "oots-edm:v1.1", "oots-edm:v1.2", "oots-cs:v1", "":
		set, table = SetTDD10, tdd10
	case "oots-edm:v2.0":
		set, table = SetEDM20, edm20
	case SetLegacy099:
		set, table = SetLegacy099, legacy099
	default:
		return nil, fmt.Errorf("%w: unknown specification version %q", ErrNoRules, version)
	}
	files, ok := table[kind]
	if !ok {
		return nil, fmt.Errorf("%w: kind %q, version %q", ErrNoRules, kind, version)
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = set + "/" + f
	}
	return out, nil
}

// RuleSet is a list of compiled schemas run together on a document: the
// structure and content files of one message kind, or every file of a
// directory. It is safe for concurrent use.
type RuleSet struct {
	Name    string
	Schemas []*Schema
}

var (
	schemaCache sync.Map // embedded path → *cachedSchema
	setCache    sync.Map // kind + "\x00" + version → *cachedSet
)

type cachedSchema struct {
	once sync.Once
	s    *Schema
	err  error
}

type cachedSet struct {
	once sync.Once
	rs   *RuleSet
	err  error
}

// fixedVersion is the assertion of the TDD 1.0 EDM content files that the
// SpecificationIdentifier is "oots-edm:v1.0" (R-EDM-REQ-C001,
// R-EDM-RESP-C002, R-EDM-ERR-C001).
const fixedVersion = "rim:Value='oots-edm:v1.0'"

// embeddedSchemaFor compiles an embedded rule file once per version. The
// TDD 1.0 files judge EDM 1.1 and 1.2 too (the 1.2.x files are not
// available here), and their one assertion that names the version, the
// fixed SpecificationIdentifier, then names the message's own version: a
// valid 1.2 message is not refused for saying 1.2. This is the only change
// to the official text; ApproximatedVersions says so.
func embeddedSchemaFor(p, version string) (*Schema, error) {
	key := p
	if approximated(p, version) {
		key = p + "\x00" + version
	}
	v, _ := schemaCache.LoadOrStore(key, &cachedSchema{})
	c := v.(*cachedSchema)
	c.once.Do(func() {
		if key == p {
			c.s, c.err = Load(Rules(), p)
			return
		}
		b, err := fs.ReadFile(Rules(), p)
		if err != nil {
			c.err = err
			return
		}
		text := strings.ReplaceAll(string(b), fixedVersion, "rim:Value='"+version+"'")
		text = strings.ReplaceAll(text, `fixed value "oots-edm:v1.0"`, `fixed value "`+version+`"`)
		doc, err := xmltree.ParseBytes([]byte(text), nil)
		if err != nil {
			c.err = &SchemaError{Schema: p, Msg: "not well-formed", Err: err}
			return
		}
		c.s, c.err = compileDoc(path.Base(p), doc, nil) // the EDM files include none
	})
	return c.s, c.err
}

// ApproximatedVersions returns the EDM versions judged by the TDD 1.0 files
// with the fixed SpecificationIdentifier set to the message's version
// (embeddedSchemaFor): the official files of those versions are not
// embedded; a node given them (NewCatalogue) uses them instead. The slice
// is fresh on each call.
func ApproximatedVersions() []string { return slices.Clone(approximatedVersions) }

var approximatedVersions = []string{"oots-edm:v1.1", "oots-edm:v1.2"}

func approximated(p, version string) bool {
	if !strings.HasPrefix(p, SetTDD10+"/EDM-") {
		return false
	}
	for _, v := range approximatedVersions {
		if v == version {
			return true
		}
	}
	return false
}

// ForKind returns the embedded rule set for a message kind (EDM-REQ,
// EDM-RESP, EDM-ERR, EB-REQ, EB-EVI, EB-ERR, EB-SUB, DSD-RESP, DSD-ERR,
// DSD-SUB, LCM-SUC, LCM-ERR, EBMS) and specification version (see Files).
// Each rule file is compiled on first use and cached for the life of the
// process, so calling ForKind on every message is cheap.
func ForKind(kind, version string) (*RuleSet, error) {
	key := kind + "\x00" + version
	v, _ := setCache.LoadOrStore(key, &cachedSet{})
	c := v.(*cachedSet)
	c.once.Do(func() {
		files, err := Files(kind, version)
		if err != nil {
			c.err = err
			return
		}
		rs := &RuleSet{Name: kind + " " + version}
		for _, f := range files {
			s, err := embeddedSchemaFor(f, version)
			if err != nil {
				c.err = err
				return
			}
			rs.Schemas = append(rs.Schemas, s)
		}
		c.rs = rs
	})
	return c.rs, c.err
}

// LoadDir compiles every .sch file of the rule folder of dir in fsys
// (SchDir: dir, dir/sch or dir/OOTS-EDM/sch; sorted by name), for
// `oots validate --rules DIR`.
func LoadDir(fsys fs.FS, dir string) (*RuleSet, error) {
	dir, err := SchDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("schematron: %w", err)
	}
	rs := &RuleSet{Name: dir}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sch") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("schematron: no .sch files in %s", dir)
	}
	for _, n := range names {
		s, err := Load(fsys, path.Join(dir, n))
		if err != nil {
			return nil, err
		}
		rs.Schemas = append(rs.Schemas, s)
	}
	return rs, nil
}

// RuleEvaluationError is the rule id of the finding Validate reports when a
// schema cannot be evaluated on a document (an *EvalError).
const RuleEvaluationError = "SCH-EVALUATION-ERROR"

// Validate runs every schema of the set on doc and returns the findings:
// rule = assertion id, flag, location (Saxon-style path), message. A schema
// that raises a dynamic XPath error on doc yields one fatal finding with rule
// RuleEvaluationError naming the schema and the assertion, as Saxon would
// refuse the document.
func (rs *RuleSet) Validate(doc *xmltree.Document) []check.Finding {
	reps, errs := rs.Run(doc, nil)
	var out []check.Finding
	for i, rep := range reps {
		if errs[i] != nil {
			loc := "/"
			var ee *EvalError
			if errors.As(errs[i], &ee) {
				loc = ee.Location
			}
			out = append(out, check.Finding{Rule: RuleEvaluationError, Flag: check.Fatal, Location: loc, Message: errs[i].Error()})
			continue
		}
		out = append(out, rep.Findings()...)
	}
	return out
}

// Run runs every schema of the set on doc, sharing one XPath view of the
// document, and returns one report and one error per schema (in the order
// of rs.Schemas; a report is nil where its error is not).
func (rs *RuleSet) Run(doc *xmltree.Document, opt *Options) ([]*Report, []error) {
	reps := make([]*Report, len(rs.Schemas))
	errs := make([]error, len(rs.Schemas))
	if doc == nil || doc.Root == nil {
		for i := range errs {
			errs[i] = fmt.Errorf("schematron: %w", xmltree.ErrNoRoot)
		}
		return reps, errs
	}
	d := xpath.NewDocument(doc)
	for i, s := range rs.Schemas {
		reps[i], errs[i] = s.run(d, opt)
	}
	return reps, errs
}
