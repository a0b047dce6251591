package apitest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// keptVars are the exported package-level variables that stay variables,
// with the reason; every other one is an error sentinel.
var keptVars = map[string]string{}

// TestNoExportedVariables: no non-test file of any package of the module
// (internal/, cmd/ and the packages that are not a promise included)
// declares an exported package-level variable other than an error
// sentinel, because any importer could change such a variable and with it
// the behaviour of every other user of the package. Tables, defaults and
// settings are constants, unexported, or functions that return a fresh
// value. A sentinel is an Err… variable of type error made by errors.New
// or fmt.Errorf, or another package's sentinel under a second name.
func TestNoExportedVariables(t *testing.T) {
	base := root(t)
	type exported struct {
		pkg, name string
		pos       string
		sentinel  bool
		alias     [2]string // the other package's path and name, for a re-export
	}
	var all []*exported
	for _, rel := range sourceFiles(t, base, func(string) bool { return false }) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(base, rel), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		pkg := path.Dir(rel)
		imports := importsOf(f)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() {
						continue
					}
					e := &exported{pkg: pkg, name: id.Name, pos: fset.Position(id.Pos()).String()}
					all = append(all, e)
					if !errName(id.Name) {
						continue
					}
					if typ, ok := vs.Type.(*ast.Ident); ok && typ.Name == "error" {
						e.sentinel = true
						continue
					}
					if i >= len(vs.Values) {
						continue
					}
					switch v := vs.Values[i].(type) {
					case *ast.CallExpr:
						if sel, ok := v.Fun.(*ast.SelectorExpr); ok {
							fn := imports[identName(sel.X)] + "." + sel.Sel.Name
							e.sentinel = fn == "errors.New" || fn == "fmt.Errorf"
						}
					case *ast.SelectorExpr:
						if p := imports[identName(v.X)]; strings.HasPrefix(p, module) && errName(v.Sel.Name) {
							e.alias = [2]string{strings.TrimPrefix(p, module), v.Sel.Name}
						}
					}
				}
			}
		}
	}
	// A re-export is a sentinel when what it names is one.
	sentinels := map[[2]string]bool{}
	for changed := true; changed; {
		changed = false
		for _, e := range all {
			if !e.sentinel && e.alias[0] != "" && sentinels[e.alias] {
				e.sentinel = true
			}
			if e.sentinel && !sentinels[[2]string{e.pkg, e.name}] {
				sentinels[[2]string{e.pkg, e.name}] = true
				changed = true
			}
		}
	}
	var bad []string
	seen := map[string]bool{}
	for _, e := range all {
		key := e.pkg + "." + e.name
		if keptVars[key] != "" {
			seen[key] = true
			continue
		}
		if !e.sentinel {
			bad = append(bad, filepath.ToSlash(strings.TrimPrefix(e.pos, base+string(filepath.Separator)))+": exported variable "+key)
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
	for key := range keptVars {
		if !seen[key] {
			t.Errorf("keptVars names %s, which is no longer an exported variable", key)
		}
	}
}

// errName reports whether name is a sentinel's: Err, then a capital or the end.
func errName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Err")
	return ok && (rest == "" || rest[0] >= 'A' && rest[0] <= 'Z')
}

func identName(x ast.Expr) string {
	if id, ok := x.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
