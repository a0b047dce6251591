package smp_test

import (
	"io"

	"github.com/oots-go/oots/xmltree"
)

func writeXML(w io.Writer, e *xmltree.Element) error {
	return xmltree.WriteElement(w, e, xmltree.WriteOptions{})
}
