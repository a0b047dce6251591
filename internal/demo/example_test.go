package demo_test

import (
	"fmt"

	"github.com/oots-go/oots/internal/demo"
)

// The French test persons, whose identifiers the demo evidence providers
// of France use.
func ExampleUsers() {
	for _, u := range demo.Users("FR") {
		fmt.Println(u.Local, u.Name(), u.Person.DateOfBirth, u.Identified("DE").Identifier)
		for _, c := range u.Represents {
			fmt.Println("  represents", c.LegalPerson.LegalName, c.Identified("FR", "DE").Identifier)
		}
	}
	// Output:
	// a4c7e19b02 Élodie Lefèvre 1990-05-09 FR/DE/a4c7e19b02
	// d39f62b7c1 Camille Martin 1988-02-29 FR/DE/d39f62b7c1
	// 6e1b58a9f4 Camille Martin 1988-02-29 FR/DE/6e1b58a9f4
	// 0c85d27e3b Jean-François Dubois 1971-12-24 FR/DE/0c85d27e3b
	//   represents Boulangerie Dubois SARL FR/DE/823456781
}
