package pmode_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/oots-go/oots/as4/pmode"
)

func ExampleParse() {
	b, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		panic(err)
	}
	c, err := pmode.Parse(b)
	if err != nil {
		panic(err)
	}
	leg, _ := c.Leg("ootsRequestLeg")
	fmt.Println(leg.Service.Value, leg.Action, leg.Security.Profile, leg.Reliability.Retry.Count)

	leg.Security.Profile = "rsa"
	var fe *pmode.FieldError
	if errors.As(c.Validate(), &fe) {
		fmt.Println(fe.Field)
	}
	// Output:
	// QueryManager ExecuteQueryRequest eDelivery-AS4-1.15 4
	// legs[0].security.profile
}
