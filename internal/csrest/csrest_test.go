package csrest

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oots-go/oots/edm"
)

func TestParams(t *testing.T) {
	m, order, err := Params("queryId=urn%3Ax&country-code=FR&&TypeOfInsurance=public+sector")
	if err != nil || m["queryId"] != "urn:x" || m["TypeOfInsurance"] != "public sector" || len(order) != 3 || order[2] != "TypeOfInsurance" {
		t.Fatalf("%v %v %v", m, order, err)
	}
	for _, c := range []struct{ raw, param string }{
		{"a=1&a=2", "a"},
		{"=1", `""`},
		{"a=%zz", "a"},
		{"a=%00", "a"},
		{"a=%C3%28", "a"},
		{"a=" + strings.Repeat("x", MaxValue+1), "a"},
		{strings.Repeat("a", MaxQuery+1), "query"},
	} {
		_, _, err := Params(c.raw)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%.40q: %v, want an error on %s", c.raw, err, c.param)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, c := range []struct {
		header []string
		want   edm.Version
		err    bool
	}{
		{nil, edm.CSv1, false},
		{[]string{"oots-cs:v2.0"}, edm.CSv20, false},
		{[]string{"oots-cs:v1.2"}, edm.CSv1, false},
		{[]string{"oots-cs:v9, oots-cs:v2.0"}, edm.CSv20, false},
		{[]string{"oots-cs:v9"}, "", true},
	} {
		h := http.Header{}
		for _, v := range c.header {
			h.Add(HeaderAcceptVersion, v)
		}
		v, err := Version(h)
		if v != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, ErrVersion)) {
			t.Errorf("%v: %s %v", c.header, v, err)
		}
	}
}

// FuzzParams: Params never panics, and what it accepts survives
// re-encoding.
func FuzzParams(f *testing.F) {
	for _, s := range []string{
		"queryId=urn%3Afdc%3Aoots%3Aeb%3Aebxml-regrep%3Aqueries%3Arequirements-by-procedure-and-jurisdiction&procedure-id=R1&country-code=DE",
		"queryId=urn:fdc:oots:dsd:ebxml-regrep:queries:dataservices-by-evidencetype-and-jurisdiction&evidence-type-classification=https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e&country-code=DE&b07146b6-1468-41a7-a10f-ee2a61429dbc=ApplicantHasBeenResidentInGermany",
		"a=1&a=2", "startIndex=5&maxResults=10", "%ff=%00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, order, err := Params(raw)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParamError", err)
			}
			return
		}
		if len(m) != len(order) {
			t.Fatalf("%d values, %d names", len(m), len(order))
		}
		v := url.Values{}
		for k, val := range m {
			v.Set(k, val)
		}
		m2, _, err := Params(v.Encode())
		if err != nil && !strings.Contains(err.Error(), "longer than") {
			t.Fatalf("re-encoded query refused: %v", err)
		}
		if err == nil {
			for k, val := range m {
				if m2[k] != val {
					t.Fatalf("%q: %q became %q", k, val, m2[k])
				}
			}
		}
		if _, err := ReadPage(m); err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatal(err)
			}
		}
	})
}
