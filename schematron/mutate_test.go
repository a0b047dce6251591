package schematron

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/oots-go/oots/xmltree"
)

// A deterministic mutator of sample messages for the differential test: each
// operator makes one small change of the kind the business rules are meant
// to catch. The same seed gives the same mutants on every run.

const (
	nsRIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0"
	nsSDG = "http://data.europa.eu/p4s"
)

var (
	reUUID = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	reDate = regexp.MustCompile(`^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}`)
)

type mutation struct {
	name  string
	apply func(r *rand.Rand, root *xmltree.Element) bool // false: not applicable to this document
}

// elements returns the elements of the tree in document order that satisfy keep.
func elements(root *xmltree.Element, keep func(*xmltree.Element) bool) []*xmltree.Element {
	var out []*xmltree.Element
	root.Walk(func(e *xmltree.Element) bool {
		if keep(e) {
			out = append(out, e)
		}
		return true
	})
	return out
}

func pick[T any](r *rand.Rand, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[r.IntN(len(xs))], true
}

func isLeaf(e *xmltree.Element) bool { return len(e.Elements()) == 0 }

var mutations = []mutation{
	{"drop-slot", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return e.Is(nsRIM, "Slot") }))
		return ok && e.Parent().RemoveChild(e)
	}},
	{"duplicate-slot", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return e.Is(nsRIM, "Slot") }))
		if !ok {
			return false
		}
		p := e.Parent()
		for i, c := range p.Children {
			if c == xmltree.Node(e) {
				p.InsertChild(i+1, e.Copy())
				return true
			}
		}
		return false
	}},
	{"drop-element", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return e != root && e.Space == nsSDG }))
		return ok && e.Parent().RemoveChild(e)
	}},
	{"duplicate-element", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return e != root && e.Space == nsSDG && isLeaf(e) }))
		if !ok {
			return false
		}
		p := e.Parent()
		for i, c := range p.Children {
			if c == xmltree.Node(e) {
				p.InsertChild(i+1, e.Copy())
				return true
			}
		}
		return false
	}},
	{"unknown-code", func(r *rand.Rand, root *xmltree.Element) bool {
		codes := []string{"Classification", "LevelOfAssurance", "Format", "Language", "AdminUnitLevel1", "Gender", "JurisdictionLevel", "AuthenticationLevelOfAssurance"}
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool {
			if !isLeaf(e) {
				return false
			}
			for _, c := range codes {
				if e.Local == c {
					return true
				}
			}
			// rim:Value of a String slot holds codes too (Procedure, SpecificationIdentifier).
			return e.Is(nsRIM, "Value") && len(strings.TrimSpace(e.Text())) < 20
		}))
		if !ok {
			return false
		}
		e.SetText([]string{"ZZ", "unknown-code", "xx", ""}[r.IntN(4)])
		return true
	}},
	{"break-uuid", func(r *rand.Rand, root *xmltree.Element) bool {
		type target struct {
			e    *xmltree.Element
			attr int // -1 for text
		}
		var ts []target
		root.Walk(func(e *xmltree.Element) bool {
			for i, a := range e.Attr {
				if reUUID.MatchString(a.Value) {
					ts = append(ts, target{e, i})
				}
			}
			if isLeaf(e) && reUUID.MatchString(e.Text()) {
				ts = append(ts, target{e, -1})
			}
			return true
		})
		t, ok := pick(r, ts)
		if !ok {
			return false
		}
		breaker := []func(string) string{
			func(s string) string {
				return reUUID.ReplaceAllStringFunc(s, func(u string) string { return u[:8] + u[9:] })
			},
			func(s string) string {
				return reUUID.ReplaceAllStringFunc(s, func(u string) string { return "g" + u[1:] })
			},
			func(s string) string {
				return reUUID.ReplaceAllStringFunc(s, func(u string) string { return u[:len(u)-3] })
			},
			func(s string) string { return strings.Replace(s, "urn:uuid:", "uuid:", 1) },
		}[r.IntN(4)]
		if t.attr >= 0 {
			t.e.Attr[t.attr].Value = breaker(t.e.Attr[t.attr].Value)
		} else {
			t.e.SetText(breaker(t.e.Text()))
		}
		return true
	}},
	{"break-date", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return isLeaf(e) && reDate.MatchString(e.Text()) }))
		if !ok {
			return false
		}
		e.SetText([]string{"2023-13-45T25:61:00Z", "06/04/2023", "2023-02-30", "yesterday"}[r.IntN(4)])
		return true
	}},
	{"url-scheme", func(r *rand.Rand, root *xmltree.Element) bool {
		type target struct {
			e    *xmltree.Element
			attr int
		}
		var ts []target
		root.Walk(func(e *xmltree.Element) bool {
			for i, a := range e.Attr {
				if strings.Contains(a.Value, "https://") || strings.HasPrefix(a.Value, "cid:") {
					ts = append(ts, target{e, i})
				}
			}
			if isLeaf(e) && strings.Contains(e.Text(), "https://") {
				ts = append(ts, target{e, -1})
			}
			return true
		})
		t, ok := pick(r, ts)
		if !ok {
			return false
		}
		fix := func(s string) string {
			s = strings.Replace(s, "https://", []string{"http://", "ftp://", "https:/"}[r.IntN(3)], 1)
			return strings.Replace(s, "cid:", "mid:", 1)
		}
		if t.attr >= 0 {
			t.e.Attr[t.attr].Value = fix(t.e.Attr[t.attr].Value)
		} else {
			t.e.SetText(fix(t.e.Text()))
		}
		return true
	}},
	{"swap-namespace", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return e.Space == nsSDG || e.Space == nsRIM }))
		if !ok {
			return false
		}
		// Move the element (not its descendants) to another namespace with a
		// fresh prefix, so the document stays namespace-well-formed.
		if e.Space == nsSDG {
			e.Space = nsRIM
		} else {
			e.Space = nsSDG
		}
		e.Prefix = "mx"
		e.DeclareNS("mx", e.Space)
		return true
	}},
	{"remove-attribute", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return len(e.Attr) > 0 }))
		if !ok {
			return false
		}
		a := e.Attr[r.IntN(len(e.Attr))]
		e.RemoveAttr(a.Space, a.Local)
		return true
	}},
	{"change-attribute", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return len(e.Attr) > 0 }))
		if !ok {
			return false
		}
		i := r.IntN(len(e.Attr))
		e.Attr[i].Value = []string{"", "unknown", "rim:StringValueType", "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure", "EN"}[r.IntN(5)]
		return true
	}},
	{"empty-text", func(r *rand.Rand, root *xmltree.Element) bool {
		e, ok := pick(r, elements(root, func(e *xmltree.Element) bool { return isLeaf(e) && strings.TrimSpace(e.Text()) != "" }))
		if !ok {
			return false
		}
		e.SetText([]string{"", "  ", "x"}[r.IntN(3)])
		return true
	}},
}

// mutants returns n mutants of doc (fewer if operators do not apply), each
// with a name saying what was changed. Deterministic for a given seed.
func mutants(doc *xmltree.Document, seed uint64, n int) (names []string, docs []*xmltree.Document) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for tries := 0; len(docs) < n && tries < 4*n; tries++ {
		m := mutations[r.IntN(len(mutations))]
		root := doc.Root.Copy()
		if !m.apply(r, root) {
			continue
		}
		names = append(names, fmt.Sprintf("%s-%d", m.name, tries))
		docs = append(docs, &xmltree.Document{Root: root, Children: []xmltree.Node{root}})
	}
	return names, docs
}
