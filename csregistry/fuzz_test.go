package csregistry_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/testenv"
)

// FuzzSubmitXML: any LCM input is answered with a RegistryResponse, from
// the operator and from a Member State's party alike; a rejected one
// changes nothing.
func FuzzSubmitXML(f *testing.F) {
	for _, p := range []string{"tdd-1.0/xml/lcm/5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml", "tdd-1.0/xml/lcm/5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"} {
		b, err := os.ReadFile(testenv.Spec(f, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, n := range []string{"eb.xml", "dsd.xml"} {
		b, err := fs.ReadFile(demo.CommonServices(), n)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`<lcm:RemoveObjectsRequest xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0"><rim:ObjectRefList><rim:ObjectRef id="urn:uuid:a"/></rim:ObjectRefList></lcm:RemoveObjectsRequest>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := csregistry.Open(context.Background(), csregistry.Config{})
		if err != nil {
			t.Fatal(err)
		}
		before := r.Snapshot()
		resp, err := r.SubmitXML(context.Background(), b)
		// The same input from a Member State's party: refused or applied
		// only for its own objects, never a crash.
		if de, _ := csregistry.Open(context.Background(), csregistry.Config{}); de != nil {
			if r2, err2 := de.SubmitXMLAs(context.Background(), csregistry.Submitter{Party: "AP-DE", Country: "DE"}, b); r2 == nil || (err2 == nil) != (r2.Kind() == edm.KindLCMSuccess) {
				t.Fatalf("as DE: %v answered with %v", err2, r2)
			}
		}
		if resp == nil {
			t.Fatal("no RegistryResponse")
		}
		if _, merr := resp.Marshal(); merr != nil {
			t.Fatalf("response not written: %v", merr)
		}
		if err != nil {
			var le *edm.Error
			if !errors.As(err, &le) || resp.Kind() != edm.KindLCMError {
				t.Fatalf("rejection %v answered with %s", err, resp.Kind())
			}
			if r.Snapshot() != before {
				t.Fatal("a rejected request changed the registry")
			}
		} else if resp.Kind() != edm.KindLCMSuccess {
			t.Fatalf("accepted, answered with %s", resp.Kind())
		}
	})
}
