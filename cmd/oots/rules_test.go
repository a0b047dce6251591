package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

func TestRulesHelpers(t *testing.T) {
	b, err := os.ReadFile(testenv.Spec(t, "edm-2.0-oots-france/messages/requete.entete.xml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), ">oots-edm:v2.0<", ">oots-edm:v1.2<", 1)
	doc, err := xmltree.ParseBytes([]byte(bad), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs, ok, err := schematronFindings(nil, doc, "EBMS", "oots-edm:v2.0")
	if err != nil || !ok || len(fs) != 1 || fs[0].Rule != "R-EDM-ebMS-038" {
		t.Errorf("schematronFindings = %v, %v, %v; want R-EDM-ebMS-038", fs, ok, err)
	}
	if _, ok, err := schematronFindings(nil, doc, "DSD-RESP", "oots-cs:v2.0"); ok || err != nil {
		t.Errorf("v2.0 DSD answer: ok=%v err=%v, want no rules and no error", ok, err)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.sch"), []byte(`<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
		<sch:ns prefix="eb" uri="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"/>
		<sch:pattern><sch:rule context="eb:Property"><sch:report test="@name='SpecificationId'" id="SEEN" role="info">spec <sch:value-of select="."/></sch:report></sch:rule></sch:pattern>
	</sch:schema>`), 0o644)
	rs, err := loadRulesDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	valid, err := writeSVRL(&out, rs, doc)
	if err != nil || !valid {
		t.Fatalf("writeSVRL: valid=%v err=%v", valid, err)
	}
	if !strings.Contains(out.String(), `<svrl:successful-report test="@name='SpecificationId'" id="SEEN" role="info"`) || !strings.Contains(out.String(), "spec oots-edm:v1.2") {
		t.Errorf("SVRL:\n%s", out.String())
	}
	if _, err := loadRulesDir(filepath.Join(dir, "r.sch")); err == nil {
		t.Error("loadRulesDir on a file: no error")
	}
}
