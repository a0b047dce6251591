package requester_test

import (
	"testing"

	"github.com/oots-go/oots/requester"
)

// TestWithheldIdentifiers: the request omits the eIDAS identifier of a
// person whose eID a country of Config.WithheldIdentifiers issued, and
// keeps the others'.
func TestWithheldIdentifiers(t *testing.T) {
	cs := commonServices(t)
	for _, tc := range []struct {
		withheld []string
		want     bool // an Identifier in the request
	}{{nil, true}, {[]string{"FR"}, true}, {[]string{"DE"}, false}} {
		f := newFixture(t, sqliteDSN(t), cs, func(c *requester.Config) { c.WithheldIdentifiers = tc.withheld })
		j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
		must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
		_, req := f.sender.last(t)
		np := req.Request.NaturalPerson
		if np == nil || np.FamilyName != "Mustermann" {
			t.Fatalf("%v: no person in the request", tc.withheld)
		}
		if got := np.Identifier != nil; got != tc.want {
			t.Errorf("withheld %v: identifier sent %v, want %v", tc.withheld, got, tc.want)
		}
	}
}
