package csdiscovery_test

import (
	"context"
	"fmt"

	"github.com/oots-go/oots/csdiscovery"
)

// The discovery name of a Common Services instance (SPEC.md §5).
func ExampleQuery_Name() {
	q := csdiscovery.Query{Country: "FR", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance}
	name, err := q.Name("")
	fmt.Println(name, err)
	// Output: fr.eb.v2.cs.acc.oots.tech.ec.europa.eu <nil>
}

// A connector configured with a DNS server and, for the Evidence Broker, a
// static override (here: the Projectathon instance). The override answers
// without a DNS query; the other services are looked up by NAPTR.
func ExampleResolver_Lookup() {
	r, err := csdiscovery.New(csdiscovery.Config{
		Server: "127.0.0.1:53",
		Static: map[string]string{"eb": "https://projectathon.oots-common-services.eu/query/eb/"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := r.Lookup(context.Background(), csdiscovery.Query{
		Country: "fr", Service: csdiscovery.EvidenceBroker, Major: 2, Environment: csdiscovery.Acceptance,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Source, res.URL.JoinPath("rest", "search"))
	// Output: static https://projectathon.oots-common-services.eu/query/eb/rest/search
}

// The U-NAPTR rewrite of a terminal record, and a refused one.
func ExampleNAPTR_URI() {
	ok := csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Regexp: "!^.*$!https://query.cs.acc.oots.tech.ec.europa.eu/!"}
	fmt.Println(ok.URI())
	bad := csdiscovery.NAPTR{Order: 100, Preference: 10, Flags: "U", Regexp: `!^(.*)$!https://\1/!`}
	_, err := bad.URI()
	fmt.Println(err)
	// Output:
	// https://query.cs.acc.oots.tech.ec.europa.eu/ <nil>
	// regexp "!^(.*)$!https://\\1/!" matches "^(.*)$"; U-NAPTR allows only .* (RFC 4848 §2.2) or ^.*$
}
