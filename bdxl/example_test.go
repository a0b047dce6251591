package bdxl_test

import (
	"fmt"

	"github.com/oots-go/oots/bdxl"
)

func ExampleName() {
	p, _ := bdxl.ParseParticipant("iso6523-actorid-upis::0088:5798000000001")
	n, _ := bdxl.Name(p, bdxl.ZoneEDelivery)
	fmt.Println(n)
	l, _ := bdxl.LegacyName(p, bdxl.ZoneEDelivery)
	fmt.Println(l)
	// Output:
	// reana6asz6h7dlkfrw4fbjgue7z74gx3uta2oik2p6tawtasctoq.iso6523-actorid-upis.edelivery.tech.ec.europa.eu
	// B-4c7e158a31c6dfa533dcfaf4b80fb205.iso6523-actorid-upis.edelivery.tech.ec.europa.eu
}
