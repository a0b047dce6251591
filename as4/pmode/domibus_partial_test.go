package pmode

import (
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
)

// TestImportDomibusPartial: the Domibus sample gateway's P-Mode has six
// pull processes among sixteen push ones. ImportDomibus refuses the file
// at the first pull process; ImportDomibusPartial imports the legs of the
// push processes and reports each pull process by name. xmllint, reading
// the same file with XPath, counts the legs of the push processes and the
// pull processes.
func TestImportDomibusPartial(t *testing.T) {
	const file = "testdata/domibus/gw-sample-blue.xml"
	xmllint := testenv.Tool(t, "xmllint")
	count := func(xpath string) int {
		t.Helper()
		out, err := exec.Command(xmllint, "--xpath", xpath, file).Output()
		if err != nil {
			t.Fatalf("xmllint --xpath %s: %v", xpath, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("xmllint --xpath %s: %q", xpath, out)
		}
		return n
	}
	process := "//*[local-name()='process']"
	pushLegs := count("count(" + process + "[@binding='push' or @binding='pushAndPush']/*[local-name()='legs']/*[local-name()='leg'])")
	pulls := count("count(" + process + "[@binding='pull'])")
	if pushLegs == 0 || pulls == 0 {
		t.Fatalf("the file has %d push legs and %d pull processes", pushLegs, pulls)
	}

	if _, err := ImportDomibus(domibusFile(t, "gw-sample-blue.xml")); err == nil || !strings.Contains(err.Error(), "oots has no pull") {
		t.Fatalf("ImportDomibus = %v, want the pull process refused", err)
	}
	c, skipped, err := ImportDomibusPartial(domibusFile(t, "gw-sample-blue.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Legs) != pushLegs {
		t.Errorf("%d legs imported, xmllint counts %d legs of push processes", len(c.Legs), pushLegs)
	}
	if len(skipped) != pulls {
		t.Errorf("%d processes left out, xmllint counts %d pull processes: %v", len(skipped), pulls, skipped)
	}
	for _, err := range skipped {
		if !strings.Contains(err.Error(), "process tc1") || !strings.Contains(err.Error(), "oots has no pull") {
			t.Errorf("left out: %v, want a pull process named", err)
		}
	}
	for _, l := range c.Legs {
		if l.Binding != BindingPush || l.Name == "" {
			t.Errorf("leg %+v", l)
		}
	}

	// A leg configuration shared by a push process and a pull process
	// left out keeps its own name: the legs are named as a strict import
	// of the file without its pull processes names them.
	shared := strings.Replace(string(domibusFile(t, "gw-sample-blue.xml")),
		`<leg name="pullTestcase13tc13Action"/>`, `<leg name="pushTestcase1tc1Action"/>`, 1)
	c, _, err = ImportDomibusPartial([]byte(shared))
	if err != nil {
		t.Fatal(err)
	}
	pushOnly := regexp.MustCompile(`(?s)<process name="[^"]*" [^>]*binding="pull".*?</process>`).ReplaceAllString(shared, "")
	strict, err := ImportDomibus([]byte(pushOnly))
	if err != nil {
		t.Fatalf("the file without its pull processes: %v", err)
	}
	var got, want []string
	for _, l := range c.Legs {
		got = append(got, l.Name)
	}
	for _, l := range strict.Legs {
		want = append(want, l.Name)
	}
	if !slices.Equal(got, want) || !slices.Contains(got, "pushTestcase1tc1Action") {
		t.Errorf("legs %q, want those of the file without its pull processes, %q", got, want)
	}

	// A file all of whose processes are left out is not a configuration.
	if _, _, err := ImportDomibusPartial(domibusFile(t, "dynamic-discovery-sender.xml")); err == nil || !strings.Contains(err.Error(), "no responderParties") {
		t.Errorf("a file with nothing to import: %v", err)
	}
}
