package genericode

import (
	"bytes"

	"github.com/oots-go/oots/xmltree"
)

// Marshal writes cl as a Genericode 1.0 document: the Identification, the
// ColumnSet with one Key on the code column, and every row with its values in
// ColumnSet order. What Parse does not keep (annotations, alternate
// locations, further LongNames and Keys) is not written. A Column without
// ShortName or Data type gets its Id and "string", as the Genericode schema
// requires both. A list without ShortName, Version, canonical URIs, Key or
// columns is refused with ErrInvalid.
func (cl *CodeList) Marshal() ([]byte, error) {
	for _, f := range []struct{ name, v string }{
		{"ShortName", cl.ShortName}, {"Version", cl.Version}, {"CanonicalUri", cl.CanonicalURI},
		{"CanonicalVersionUri", cl.CanonicalVersionURI}, {"Key", cl.Key},
	} {
		if f.v == "" {
			return nil, &Error{Err: ErrInvalid, Msg: "cannot write a code list without " + f.name}
		}
	}
	root := xmltree.NewElement(Namespace, "gc", "CodeList")
	root.DeclareNS("gc", Namespace)
	text := func(parent *xmltree.Element, local, s string) {
		parent.AddElement("", "", local).AddText(s)
	}
	id := root.AddElement("", "", "Identification")
	text(id, "ShortName", cl.ShortName)
	if cl.LongName != "" {
		text(id, "LongName", cl.LongName)
	}
	text(id, "Version", cl.Version)
	text(id, "CanonicalUri", cl.CanonicalURI)
	text(id, "CanonicalVersionUri", cl.CanonicalVersionURI)
	if cl.LocationURI != "" {
		text(id, "LocationUri", cl.LocationURI)
	}
	if cl.AgencyName != "" || cl.AgencyID != "" {
		ag := id.AddElement("", "", "Agency")
		if cl.AgencyName != "" {
			text(ag, "LongName", cl.AgencyName)
		}
		if cl.AgencyID != "" {
			text(ag, "Identifier", cl.AgencyID)
		}
	}
	cs := root.AddElement("", "", "ColumnSet")
	for _, c := range cl.Columns {
		col := cs.AddElement("", "", "Column")
		col.SetAttr("", "", "Id", c.ID)
		if c.Use != "" {
			col.SetAttr("", "", "Use", c.Use)
		}
		text(col, "ShortName", orDefault(c.ShortName, c.ID))
		d := col.AddElement("", "", "Data")
		d.SetAttr("", "", "Type", orDefault(c.Type, "string"))
		if c.Lang != "" {
			d.SetAttr("", "", "Lang", c.Lang)
		}
	}
	key := cs.AddElement("", "", "Key")
	key.SetAttr("", "", "Id", "codeKey")
	text(key, "ShortName", "CodeKey")
	key.AddElement("", "", "ColumnRef").SetAttr("", "", "Ref", cl.Key)
	scl := root.AddElement("", "", "SimpleCodeList")
	for _, r := range cl.Rows {
		row := scl.AddElement("", "", "Row")
		for _, c := range cl.Columns {
			s, ok := r.Values[c.ID]
			if !ok {
				continue
			}
			v := row.AddElement("", "", "Value")
			v.SetAttr("", "", "ColumnRef", c.ID)
			text(v, "SimpleValue", s)
		}
	}
	var b bytes.Buffer
	err := xmltree.Write(&b, &xmltree.Document{Root: root, Children: []xmltree.Node{root}}, xmltree.WriteOptions{Declaration: true, Indent: "   "})
	if err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
