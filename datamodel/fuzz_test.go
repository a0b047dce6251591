package datamodel_test

import (
	"errors"
	"testing"

	"github.com/oots-go/oots/datamodel"
)

// FuzzValidate: any document is accepted or refused with a known error,
// never a panic; an accepted document's fields re-encode to a valid one.
func FuzzValidate(f *testing.F) {
	for _, m := range datamodel.Models {
		for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
			b, err := m.Encode(mime, map[string]string{"Identifier": "x", "IssuingCountry": "DE", "IssueDate": "2020-01-01"})
			if err == nil {
				f.Add(mime == datamodel.MimeJSON, m == datamodel.SecondaryDiploma, b)
			}
			f.Add(mime == datamodel.MimeJSON, m == datamodel.SecondaryDiploma, []byte(`<CertificateOfBirth xmlns="`+m.URI+`"><Child><GivenName>A</GivenName></Child></CertificateOfBirth>`))
			f.Add(mime == datamodel.MimeJSON, m == datamodel.SecondaryDiploma, []byte(`{"Holder":{"FamilyName":"x"},"FinalGrade":1.5}`))
		}
	}
	f.Fuzz(func(t *testing.T, json, diploma bool, doc []byte) {
		m, mime := datamodel.BirthRecord, datamodel.MimeXML
		if diploma {
			m = datamodel.SecondaryDiploma
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
