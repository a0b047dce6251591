package provider_test

import (
	"context"
	"fmt"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/provider"
)

// The demo register of Germany answers a query about one of the test
// persons of the demo identity provider, identified for a French portal.
func ExampleRecords() {
	ctx := context.Background()
	recs, err := demo.Records(ctx, "DE")
	if err != nil {
		panic(err)
	}
	auths, err := demo.Authorities(ctx, "DE", recs)
	if err != nil {
		panic(err)
	}
	var birth string
	for _, a := range auths {
		if a.Agent.Identifier.Value == "DE-EP-BERLIN1" {
			birth = a.EvidenceTypes[0].Classification
		}
	}
	anna := eid.NaturalPerson{Identifier: "DE/FR/3f8a2c61d9", FamilyName: "Müller", GivenName: "Anna", DateOfBirth: "1985-03-14"}
	res, err := recs.Find(ctx, provider.Query{EvidenceType: birth, Subject: provider.Subject{Person: &anna},
		Formats: []provider.Format{{Format: "application/pdf"}}})
	if err != nil {
		panic(err)
	}
	for _, m := range res.Matches {
		for _, d := range m.Documents {
			fmt.Println(m.Subject, d.Title, d.Format, d.IssuingDate)
		}
	}
	// Output:
	// person:3f8a2c61d9 Geburtsurkunde (Certificate of birth) application/pdf 2024-01-15
}

// A second request names its preview session by the PreviewLocation it
// copies from the EDM:ERR:0002 answer.
func ExampleParsePreviewLocation() {
	token, err := provider.ParsePreviewLocation("https://preview.example.de", "https://preview.example.de/preview/q3J9m0Vd2c8Yk1pXr5sTzw")
	fmt.Println(token, err)
	_, err = provider.ParsePreviewLocation("https://preview.example.de", "https://elsewhere.example/preview/q3J9m0Vd2c8Yk1pXr5sTzw")
	fmt.Println(err)
	// Output:
	// q3J9m0Vd2c8Yk1pXr5sTzw <nil>
	// provider: not a preview location of this provider: "https://elsewhere.example/preview/q3J9m0Vd2c8Yk1pXr5sTzw" is not under https://preview.example.de
}
