package demo

import (
	"strings"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
)

// Users returns the test users of the demo identity provider of a
// country (DE, FR, FI or SE; any case), nil for another country. Each call
// returns a fresh copy. The demo evidence providers hold records for these
// persons and companies under their Local identifiers.
//
// Germany (pseudonymous identifiers, as the German eID sends them):
//
//	3f8a2c61d9  Anna Müller, 1985-03-14, München      PIN 1234, High
//	b71e04f5a2  Anna Müller, 1985-03-14, Köln         PIN 2345, Substantial (same name and birth date as above)
//	5c29d8e310  Jürgen Weiß, 1962-11-02, Düsseldorf   PIN 3456, High; represents Weiß Maschinenbau GmbH (DE348213907)
//	e0947b6cf8  Zeynep Öztürk née Yılmaz, 1993-07-21  PIN 4567, Low
//
// France:
//
//	a4c7e19b02  Élodie Lefèvre, 1990-05-09, Lyon          PIN 1234, Substantial
//	d39f62b7c1  Camille Martin, 1988-02-29, Nantes        PIN 2345, High
//	6e1b58a9f4  Camille Martin, 1988-02-29, Lille         PIN 3456, Substantial (same name and birth date as above)
//	0c85d27e3b  Jean-François Dubois, 1971-12-24, Bordeaux PIN 4567, High; represents Boulangerie Dubois SARL (SIREN 823456781)
//
// Finland (electronic identification numbers of the form the Finnish eID sends, eight digits and a check
// character; the personal identity code, with its hyphen or century sign, would not match the
// XX/YY/ZZZZZZZZZ identifier format of the EDM business rules):
//
//	99900124S  Aino Virtanen, 1987-06-12, Helsinki      PIN 1234, High
//	99900137C  Aino Virtanen, 1987-06-12, Oulu          PIN 2345, Substantial (same name and birth date as above)
//	99900140N  Matti Häkkinen, 1959-09-30, Tampere      PIN 3456, High; represents Häkkinen Oy (FI27348154)
//	99900153F  Björn Lindqvist, 1972-04-04, Vaasa       PIN 4567, Low
//
// Sweden (personal identity numbers):
//
//	197904032385  Erik Johansson, 1979-04-03, Göteborg    PIN 1234, High
//	197904032716  Erik Johansson, 1979-04-03, Uppsala     PIN 2345, Substantial (same name and birth date as above)
//	198211192466  Åsa Lindström, 1982-11-19, Malmö        PIN 3456, Substantial
//	196507083910  Lars Nyström, 1965-07-08, Umeå          PIN 4567, High; represents Nyström Bygg AB (5592140635)
func Users(country string) []idp.User {
	var us []idp.User
	switch strings.ToUpper(country) {
	case "DE":
		us = demoDE()
	case "FR":
		us = demoFR()
	case "FI":
		us = demoFI()
	case "SE":
		us = demoSE()
	default:
		return nil
	}
	for i := range us {
		us[i].Country = strings.ToUpper(country)
	}
	return us
}

func person(family, given, born, place, address, gender string) eid.NaturalPerson {
	return eid.NaturalPerson{FamilyName: family, GivenName: given, DateOfBirth: born,
		PlaceOfBirth: place, CurrentAddress: address, Gender: gender}
}

func demoDE() []idp.User {
	return []idp.User{
		{Local: "3f8a2c61d9", PIN: "1234", LoA: eid.LoAHigh,
			Person: person("Müller", "Anna", "1985-03-14", "München", "Lindenstraße 12, 10969 Berlin", "Female")},
		{Local: "b71e04f5a2", PIN: "2345", LoA: eid.LoASubstantial,
			Person: person("Müller", "Anna", "1985-03-14", "Köln", "Bahnhofstraße 3, 20095 Hamburg", "Female")},
		{Local: "5c29d8e310", PIN: "3456", LoA: eid.LoAHigh,
			Person: person("Weiß", "Jürgen", "1962-11-02", "Düsseldorf", "Königsallee 27, 40212 Düsseldorf", "Male"),
			Represents: []idp.Company{{Local: "DE348213907", LegalPerson: eid.LegalPerson{
				LegalName:         "Weiß Maschinenbau GmbH",
				RegisteredAddress: "Industriestraße 5, 40472 Düsseldorf",
				VATRegistration:   "DE285739461",
			}}}},
		{Local: "e0947b6cf8", PIN: "4567", LoA: eid.LoALow,
			Person: func() eid.NaturalPerson {
				p := person("Öztürk", "Zeynep", "1993-07-21", "Hamburg", "Schanzenstraße 40, 20357 Hamburg", "Female")
				p.BirthName = "Yılmaz"
				return p
			}()},
	}
}

func demoFR() []idp.User {
	return []idp.User{
		{Local: "a4c7e19b02", PIN: "1234", LoA: eid.LoASubstantial,
			Person: person("Lefèvre", "Élodie", "1990-05-09", "Lyon", "12 rue de la République, 69002 Lyon", "Female")},
		{Local: "d39f62b7c1", PIN: "2345", LoA: eid.LoAHigh,
			Person: person("Martin", "Camille", "1988-02-29", "Nantes", "4 place Graslin, 44000 Nantes", "Female")},
		{Local: "6e1b58a9f4", PIN: "3456", LoA: eid.LoASubstantial,
			Person: person("Martin", "Camille", "1988-02-29", "Lille", "27 rue Esquermoise, 59800 Lille", "Male")},
		{Local: "0c85d27e3b", PIN: "4567", LoA: eid.LoAHigh,
			Person: person("Dubois", "Jean-François", "1971-12-24", "Bordeaux", "8 allée des Chênes, 33000 Bordeaux", "Male"),
			Represents: []idp.Company{{Local: "823456781", LegalPerson: eid.LegalPerson{
				LegalName:         "Boulangerie Dubois SARL",
				RegisteredAddress: "15 cours de l’Intendance, 33000 Bordeaux",
				VATRegistration:   "FR47823456781",
			}}}},
	}
}

func demoFI() []idp.User {
	return []idp.User{
		{Local: "99900124S", PIN: "1234", LoA: eid.LoAHigh,
			Person: person("Virtanen", "Aino", "1987-06-12", "Helsinki", "Mannerheimintie 15 A 7, 00100 Helsinki", "Female")},
		{Local: "99900137C", PIN: "2345", LoA: eid.LoASubstantial,
			Person: person("Virtanen", "Aino", "1987-06-12", "Oulu", "Isokatu 22 B 4, 90100 Oulu", "Female")},
		{Local: "99900140N", PIN: "3456", LoA: eid.LoAHigh,
			Person: person("Häkkinen", "Matti", "1959-09-30", "Tampere", "Hämeenkatu 9, 33100 Tampere", "Male"),
			Represents: []idp.Company{{Local: "FI27348154", LegalPerson: eid.LegalPerson{
				LegalName:         "Häkkinen Oy",
				RegisteredAddress: "Sähkötie 3, 33960 Pirkkala",
				VATRegistration:   "FI27348154",
			}}}},
		{Local: "99900153F", PIN: "4567", LoA: eid.LoALow,
			Person: person("Lindqvist", "Björn", "1972-04-04", "Vaasa", "Strandgatan 6, 65100 Vasa", "Male")},
	}
}

func demoSE() []idp.User {
	return []idp.User{
		{Local: "197904032385", PIN: "1234", LoA: eid.LoAHigh,
			Person: person("Johansson", "Erik", "1979-04-03", "Göteborg", "Kungsportsavenyen 10, 411 36 Göteborg", "Male")},
		{Local: "197904032716", PIN: "2345", LoA: eid.LoASubstantial,
			Person: person("Johansson", "Erik", "1979-04-03", "Uppsala", "Svartbäcksgatan 8, 753 20 Uppsala", "Male")},
		{Local: "198211192466", PIN: "3456", LoA: eid.LoASubstantial,
			Person: person("Lindström", "Åsa", "1982-11-19", "Malmö", "Södergatan 14, 211 34 Malmö", "Female")},
		{Local: "196507083910", PIN: "4567", LoA: eid.LoAHigh,
			Person: person("Nyström", "Lars", "1965-07-08", "Umeå", "Storgatan 48, 903 26 Umeå", "Male"),
			Represents: []idp.Company{{Local: "5592140635", LegalPerson: eid.LegalPerson{
				LegalName:         "Nyström Bygg AB",
				RegisteredAddress: "Verkstadsgatan 2, 904 32 Umeå",
				VATRegistration:   "SE559214063501",
			}}}},
	}
}
