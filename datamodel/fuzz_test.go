package datamodel_test

import (
	"errors"
	"testing"

	"github.com/oots-go/oots/datamodel"
)

// diploma is a complete SecondaryDiploma (birth is a complete BirthRecord).
var diploma = map[string]string{"Identifier": "d1", "IssuingCountry": "FI", "IssueDate": "2008-06-30", "Holder/FamilyName": "Virtanen",
	"Holder/GivenName": "Aino", "Holder/DateOfBirth": "1990-01-01", "School/Name": "Lukio", "School/Country": "FI",
	"Qualification": "Ylioppilastutkinto", "AwardDate": "2008-06-30", "FinalGrade": "2.1"}

// FuzzValidate: any document is accepted or refused with a known error,
// never a panic; an accepted document's fields re-encode to a valid one.
// Each model has a valid seed in each format, so that the re-encoding is
// checked on the seeds too.
func FuzzValidate(f *testing.F) {
	valid := map[string]map[string]string{datamodel.BirthRecord().URI: birth, datamodel.SecondaryDiploma().URI: diploma}
	for _, m := range datamodel.Models() {
		for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
			b, err := m.Encode(mime, valid[m.URI])
			if err != nil {
				f.Fatalf("seed of %s as %s: %v", m.URI, mime, err)
			}
			f.Add(mime == datamodel.MimeJSON, m.URI == datamodel.SecondaryDiploma().URI, b)
			f.Add(mime == datamodel.MimeJSON, m.URI == datamodel.SecondaryDiploma().URI, []byte(`<CertificateOfBirth xmlns="`+m.URI+`"><Child><GivenName>A</GivenName></Child></CertificateOfBirth>`))
			f.Add(mime == datamodel.MimeJSON, m.URI == datamodel.SecondaryDiploma().URI, []byte(`{"Holder":{"FamilyName":"x"},"FinalGrade":1.5}`))
		}
	}
	f.Fuzz(func(t *testing.T, json, diploma bool, doc []byte) {
		m, mime := datamodel.BirthRecord(), datamodel.MimeXML
		if diploma {
			m = datamodel.SecondaryDiploma()
		}
		if json {
			mime = datamodel.MimeJSON
		}
		got, err := m.Read(mime, doc)
		if err != nil {
			if !errors.Is(err, datamodel.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		for _, out := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
			if _, err := m.Encode(out, got); err != nil {
				t.Fatalf("valid fields %v do not re-encode as %s: %v", got, out, err)
			}
		}
	})
}
