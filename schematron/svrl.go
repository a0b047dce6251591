package schematron

import (
	"io"
	"sort"

	"github.com/oots-go/oots/xmltree"
)

// WriteSVRL writes the reports as one SVRL document (ISO/IEC 19757-3 Annex
// D): an svrl:schematron-output holding, per report, svrl:ns-prefix-in-
// attribute-values for the schema's namespaces, an svrl:active-pattern per
// pattern, svrl:fired-rule elements when the report recorded them
// (Options.FiredRules), and an svrl:failed-assert or svrl:successful-report
// with id, flag, role, location, test and svrl:text per fired assertion.
func WriteSVRL(w io.Writer, reports ...*Report) error {
	root := xmltree.NewElement(NamespaceSVRL, "svrl", "schematron-output")
	root.DeclareNS("svrl", NamespaceSVRL)
	for _, rep := range reports {
		if rep == nil || rep.Schema == nil {
			continue
		}
		s := rep.Schema
		if s.Title != "" {
			root.SetAttr("", "", "title", s.Title)
		}
		prefixes := make([]string, 0, len(s.ns))
		for p := range s.ns {
			if p != "xml" {
				prefixes = append(prefixes, p)
			}
		}
		sort.Strings(prefixes)
		for _, p := range prefixes {
			e := root.AddElement(NamespaceSVRL, "svrl", "ns-prefix-in-attribute-values")
			e.SetAttr("", "", "uri", s.ns[p])
			e.SetAttr("", "", "prefix", p)
		}
		// Results are in pattern order; interleave them after their pattern.
		ri, fi := 0, 0
		for pi, p := range s.patterns {
			ap := root.AddElement(NamespaceSVRL, "svrl", "active-pattern")
			if p.id != "" {
				ap.SetAttr("", "", "id", p.id)
			}
			if s.Name != "" {
				ap.SetAttr("", "", "name", s.Name)
			}
			for fi < len(rep.Fired) && rep.Fired[fi].Pattern == pi {
				f := rep.Fired[fi]
				fr := root.AddElement(NamespaceSVRL, "svrl", "fired-rule")
				fr.SetAttr("", "", "context", f.Context)
				if f.ID != "" {
					fr.SetAttr("", "", "id", f.ID)
				}
				fi++
			}
			for ri < len(rep.Results) && rep.Results[ri].patternIndex == pi {
				writeResult(root, rep.Results[ri])
				ri++
			}
		}
	}
	return xmltree.Write(w, &xmltree.Document{Root: root, Children: []xmltree.Node{root}}, xmltree.WriteOptions{Declaration: true, Indent: "  "})
}

func writeResult(root *xmltree.Element, r Result) {
	name := "failed-assert"
	if r.Report {
		name = "successful-report"
	}
	e := root.AddElement(NamespaceSVRL, "svrl", name)
	e.SetAttr("", "", "test", r.Test)
	if r.ID != "" {
		e.SetAttr("", "", "id", r.ID)
	}
	if r.Flag != "" {
		e.SetAttr("", "", "flag", r.Flag)
	}
	if r.Role != "" {
		e.SetAttr("", "", "role", r.Role)
	}
	e.SetAttr("", "", "location", r.Location)
	for _, d := range r.Diagnostics {
		dr := e.AddElement(NamespaceSVRL, "svrl", "diagnostic-reference")
		dr.SetAttr("", "", "diagnostic", d.ID)
		dr.AddText(d.Text)
	}
	e.AddElement(NamespaceSVRL, "svrl", "text").AddText(r.Text)
}
