package demo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/provider"
)

// TestDocumentTitles: each demo register titles its documents as a
// register of its country would, in the country's language with the
// English beside it (the data set's titles of the evidence type), the
// structured versions and the PDF's own title alike; the documents keep
// their identifiers.
func TestDocumentTitles(t *testing.T) {
	for _, c := range []struct {
		country, title, structured string
	}{
		{"DE", "Geburtsurkunde (Certificate of birth)", "Geburtsurkunde, strukturierte Daten (Certificate of birth, structured data)"},
		{"FR", "Extrait d'acte de naissance (Extract of birth certificate)",
			"Extrait d'acte de naissance, données structurées (Extract of birth certificate, structured data)"},
		{"FI", "Syntymätodistus (Birth certificate)", "Syntymätodistus, rakenteiset tiedot (Birth certificate, structured data)"},
		{"SE", "Personbevis om födelse (Personal certificate of birth)",
			"Personbevis om födelse, strukturerade data (Personal certificate of birth, structured data)"},
	} {
		rs, err := demo.Records(context.Background(), c.country)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rs.People {
			var birth []provider.Document
			for _, ds := range p.Evidence {
				if ds[0].Title == c.title {
					birth = ds
				}
			}
			if len(birth) != 3 {
				t.Errorf("%s %s: no birth certificate titled %q with its two structured versions", c.country, p.Key, c.title)
				continue
			}
			if !strings.Contains(string(birth[0].Content), "/Title (") || !strings.Contains(string(birth[0].Content), " Tj") {
				t.Errorf("%s %s: the PDF has no title", c.country, p.Key)
			}
			for _, d := range birth[1:] {
				if d.Title != c.structured {
					t.Errorf("%s %s: the %s version is titled %q, want %q", c.country, p.Key, d.Format, d.Title, c.structured)
				}
			}
			// The identifiers the documents had when titled in English.
			if p.Key == "person:3f8a2c61d9" {
				for i, id := range []string{"7fccb0b9-503d-5a3e-8d84-10d2f66a0bca", "769ce33b-3afe-56c8-9acd-67c5f313eed8", "9cb0fdd9-6cb1-59ce-8609-4cddea011ee5"} {
					if birth[i].ID != id {
						t.Errorf("Anna Müller's %s birth certificate is %s, was %s", birth[i].Format, birth[i].ID, id)
					}
				}
			}
		}
		// Every other document of the register too, but the Finnish
		// certificate of residence, which is in Finnish (its English is a
		// translation of its own).
		for _, p := range rs.People {
			for _, ds := range p.Evidence {
				if d := ds[0]; !strings.Contains(d.Title, " (") && d.Title != "Asuinpaikkatodistus" {
					t.Errorf("%s %s: %q is not titled in two languages", c.country, p.Key, d.Title)
				}
			}
		}
		for _, co := range rs.Companies {
			for _, ds := range co.Evidence {
				if d := ds[0]; !strings.Contains(d.Title, " (") {
					t.Errorf("%s %s: %q is not titled in two languages", c.country, co.Key, d.Title)
				}
			}
		}
	}
}
