package csregistry_test

import (
	"context"
	"fmt"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/demo"
)

// Example loads the demo data set into a registry kept in memory and looks a
// requirement up.
func Example() {
	ctx := context.Background()
	r, err := csregistry.Open(ctx, csregistry.Config{})
	if err != nil {
		panic(err)
	}
	if err := demo.Load(ctx, r); err != nil {
		panic(err)
	}
	s := r.Snapshot()
	fmt.Println(len(s.Requirements()), "requirements,", len(s.AllDataServices()), "data services")
	rq := s.Requirements()[0]
	fmt.Println(rq.Requirement.Name[0].Value, "in", len(rq.Frameworks), "reference frameworks (R1 and T2 in four countries)")
	// Output:
	// 4 requirements, 16 data services
	// Proof of birth in 8 reference frameworks (R1 and T2 in four countries)
}
