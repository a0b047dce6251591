package demo_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
)

// TestUsers: every demo country has the test persons of a demo identity
// provider (demo.Users), valid for its configuration, with the
// identifiers the evidence rules want, one pair of namesakes and a company.
var personIDFormat = regexp.MustCompile(`(?i)[a-z]{2}/[a-z]{2}/[a-z0-9]{9}`)

func TestUsers(t *testing.T) {
	if demo.Users("IT") != nil {
		t.Error("users for a country without demo")
	}
	for _, cc := range demo.Countries() {
		t.Run(cc, func(t *testing.T) {
			us := demo.Users(strings.ToLower(cc))
			if len(us) < 3 {
				t.Fatalf("%d persons, want at least 3", len(us))
			}
			idpKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			cfg := idp.Config{Country: cc, Issuer: "https://idp.example", Key: idpKey, Users: us,
				Clients: map[string]idp.Registration{"p": {RedirectURIs: []string{"https://p.example/cb"}, Country: "FR"}}}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("demo users: %v", err)
			}
			type key struct{ family, given, born string }
			same := map[key][]string{}
			companies := 0
			for _, u := range us {
				if _, err := time.Parse(time.DateOnly, u.Person.DateOfBirth); err != nil {
					t.Errorf("%s: %v", u.Local, err)
				}
				if u.Person.PlaceOfBirth == "" || u.Person.CurrentAddress == "" || u.Person.Gender == "" {
					t.Errorf("%s lacks an optional attribute of the demo", u.Local)
				}
				if strings.Contains(u.Local, "/") {
					t.Errorf("local identifier %q has a slash", u.Local)
				}
				// The format of a person's identifier in evidence
				// (R-EDM-RESP-C028 of the TDD 1.0 business rules).
				if id := u.Identified("SE").Identifier; !personIDFormat.MatchString(id) {
					t.Errorf("identifier %q does not match %s", id, personIDFormat)
				}
				id := u.Identified("SE").Identifier
				if c, l, ok := eid.LocalID(id); !ok || c != cc || l != u.Local || !strings.HasPrefix(id, cc+"/SE/") {
					t.Errorf("identifier %q of %s", id, u.Local)
				}
				k := key{u.Person.FamilyName, u.Person.GivenName, u.Person.DateOfBirth}
				same[k] = append(same[k], u.Local)
				for _, co := range u.Represents {
					companies++
					if co.LegalPerson.VATRegistration == "" || co.LegalPerson.RegisteredAddress == "" {
						t.Errorf("company %s lacks VAT number or address", co.Local)
					}
				}
			}
			if companies == 0 {
				t.Error("no company")
			}
			twins := 0
			for _, ids := range same {
				if len(ids) == 2 {
					twins++
				}
			}
			if twins != 1 {
				t.Errorf("%d pairs with the same name and birth date, want 1", twins)
			}
			// A fresh copy each time.
			us[0].Person.FamilyName = "X"
			if demo.Users(cc)[0].Person.FamilyName == "X" {
				t.Error("DemoUsers shares its data between calls")
			}
		})
	}
}
