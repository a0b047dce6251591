package apitest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/oots-go/oots/"

// supported is the list of the README; the test fails when a package is
// added to the module without being placed on one side or the other.
var supported = []string{
	"xmltree", "xmldsig", "xmlenc", "regrep", "edm", "datamodel", "codelist", "check",
	"xpath", "schematron", "wssec", "as4", "as4/swa", "as4/pmode", "trust", "pkcs11",
	"csdiscovery", "bdxl", "smp", "csquery", "jades", "csclient",
	"ap", "ap/apstore", "store", "exchange", "requester", "provider", "eid", "eid/oidc", "eid/saml", "journal",
}

// deliberate are the exported declarations of supported packages that name
// an internal type on purpose, with the reason.
var deliberate = map[string]string{
	// A field whose type no program outside the module can name: the zero
	// value (a correct node) is the only one it can give.
	"ap.Config names internal/fault": "deliberate defects for the conformance kit's own tests",
}

var unsupported = []string{
	"demonet", "conformance", "portal", "idp", "pki",
	"eb", "dsd", "csregistry", "semrepo", "lcm", "console",
}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEveryPackageIsPlaced: each package directory outside internal/, cmd/
// and testdata is either supported or named as not a promise, and each of
// the latter says so in its package comment.
func TestEveryPackageIsPlaced(t *testing.T) {
	base := root(t)
	placed := map[string]bool{}
	for _, p := range supported {
		placed[p] = true
	}
	for _, p := range unsupported {
		placed[p] = true
		if !strings.Contains(packageComment(t, filepath.Join(base, p)), "not a supported API") {
			t.Errorf("%s: its package comment does not say it is not a supported API", p)
		}
	}
	outside := func(rel string) bool { return path.Base(rel) == "internal" || rel == "cmd" }
	for _, rel := range sourceFiles(t, base, outside) {
		if dir := path.Dir(rel); dir != "." && !placed[dir] {
			placed[dir] = true // report once
			t.Errorf("package %s is neither supported nor named as not a promise in the README", dir)
		}
	}
}

// sourceFiles returns the non-test Go files under base, as paths relative
// to it with slashes, not entering hidden or testdata directories, nor
// those for which skip (given the directory's relative path) is true.
func sourceFiles(t *testing.T, base string, skip func(rel string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || skip(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSupportedSignatures: the exported declarations of supported packages
// (functions, methods, types, their fields, variables and constants) name
// only the standard library, modules outside this one, and supported
// packages.
func TestSupportedSignatures(t *testing.T) {
	base := root(t)
	ok := map[string]bool{}
	for _, p := range supported {
		ok[module+p] = true
	}
	var bad []string
	for _, p := range supported {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(base, p, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if !buildable(f) {
				continue
			}
			imports := importsOf(f)
			for _, use := range exportedQualifiers(f) {
				path := imports[use.pkg]
				if strings.HasPrefix(path, module) && !ok[path] && deliberate[p+"."+use.decl+" names "+strings.TrimPrefix(path, module)] == "" {
					bad = append(bad, fset.Position(use.pos).String()+": "+use.decl+" names "+strings.TrimPrefix(path, module))
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(filepath.ToSlash(strings.TrimPrefix(b, base+string(filepath.Separator))))
	}
}

// buildable leaves out files behind a build tag other than the default
// build's (the pkcs11 build's files are checked by their own build).
func buildable(f *ast.File) bool {
	for _, g := range f.Comments {
		for _, c := range g.List {
			if strings.HasPrefix(c.Text, "//go:build") && c.Pos() < f.Package {
				return strings.Contains(c.Text, "!")
			}
		}
	}
	return true
}

type qualifier struct {
	pkg, decl string
	pos       token.Pos
}

func exportedQualifiers(f *ast.File) []qualifier {
	var out []qualifier
	collect := func(decl string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false // a body, not a signature
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					out = append(out, qualifier{id.Name, decl, x.Pos()})
				}
			case *ast.Field:
				// unexported struct fields are not API
				if len(x.Names) > 0 && !anyExported(x.Names) {
					return false
				}
			}
			return true
		})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || (d.Recv != nil && !exportedReceiver(d.Recv)) {
				continue
			}
			collect(d.Name.Name, d.Type)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						collect(s.Name.Name, s.Type)
					}
				case *ast.ValueSpec:
					if anyExported(s.Names) {
						collect(s.Names[0].Name, s.Type)
					}
				}
			}
		}
	}
	return out
}

func anyExported(ids []*ast.Ident) bool {
	for _, id := range ids {
		if id.IsExported() {
			return true
		}
	}
	return false
}

func exportedReceiver(r *ast.FieldList) bool {
	t := r.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return true
		}
	}
}

func packageComment(t *testing.T, dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var all strings.Builder
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			all.WriteString(f.Doc.Text())
		}
	}
	return all.String()
}

// TestREADMEListsTheSame: the README's two lists are this test's lists.
func TestREADMEListsTheSame(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "### Which packages are a supported API")
	if i < 0 {
		t.Fatal("README: no section \"Which packages are a supported API\"")
	}
	text = text[i:]
	sup, rest, _ := strings.Cut(text[strings.Index(text, "- **Supported**"):], "- **Not a promise**")
	rest, _, _ = strings.Cut(rest, "\n\n")
	for _, c := range []struct {
		name, text string
		want       []string
	}{{"supported", sup, supported}, {"not a promise", rest, unsupported}} {
		var names []string
		for j, f := range strings.Split(c.text, "`") {
			if j%2 == 1 && f != "internal/" && f != "cmd/" {
				names = append(names, f)
			}
		}
		want := append([]string(nil), c.want...)
		sort.Strings(want)
		sort.Strings(names)
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Errorf("README %s: %v, test: %v", c.name, names, want)
		}
	}
}

// importsOf maps the names a file uses for its imports (the last element
// of the path, or the name it gives) to the import paths.
func importsOf(f *ast.File) map[string]string {
	imports := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		local := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			local = im.Name.Name
		}
		imports[local] = p
	}
	return imports
}
