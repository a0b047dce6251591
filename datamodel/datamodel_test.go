package datamodel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/oots-go/oots/datamodel"
)

var birth = map[string]string{
	"Identifier": "5d1e", "IssuingCountry": "DE", "RegistrationNumber": "G-1", "IssueDate": "2024-01-15",
	"Child/FamilyName": "Müller", "Child/GivenName": "Anna", "Child/DateOfBirth": "1985-03-14", "Child/Gender": "Female",
}

func TestRoundTrip(t *testing.T) {
	for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
		b, err := datamodel.BirthRecord().Encode(mime, birth)
		if err != nil {
			t.Fatalf("%s: %v", mime, err)
		}
		got, err := datamodel.Fields(datamodel.BirthRecord().URI, mime, b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", mime, err, b)
		}
		if len(got) != len(birth) {
			t.Errorf("%s: %v", mime, got)
		}
		for k, v := range birth {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", mime, k, got[k], v)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	uri := datamodel.BirthRecord().URI
	xmlDoc := func(child string) string {
		return `<CertificateOfBirth xmlns="` + uri + `"><Identifier>x</Identifier><IssuingCountry>DE</IssuingCountry>` +
			`<RegistrationNumber>G-1</RegistrationNumber><IssueDate>2024-01-15</IssueDate><Child>` + child + `</Child></CertificateOfBirth>`
	}
	okChild := `<FamilyName>M</FamilyName><GivenName>A</GivenName><DateOfBirth>1985-03-14</DateOfBirth>`
	tests := []struct {
		name, uri, mime, doc string
		path                 string // "" with wantErr: the document as a whole
		wantErr              error
	}{
		{"valid xml", uri, "application/xml; charset=utf-8", xmlDoc(okChild), "", nil},
		{"1.x alias", "https://sr.oots.tech.europa.eu/distributions/certificate-of-birth-1.0.0", datamodel.MimeXML, xmlDoc(okChild), "", nil},
		{"bad date", uri, datamodel.MimeXML, xmlDoc(`<FamilyName>M</FamilyName><GivenName>A</GivenName><DateOfBirth>14.03.1985</DateOfBirth>`), "Child/DateOfBirth", datamodel.ErrInvalid},
		{"impossible date", uri, datamodel.MimeXML, xmlDoc(`<FamilyName>M</FamilyName><GivenName>A</GivenName><DateOfBirth>1985-02-30</DateOfBirth>`), "Child/DateOfBirth", datamodel.ErrInvalid},
		{"missing", uri, datamodel.MimeXML, xmlDoc(`<FamilyName>M</FamilyName><DateOfBirth>1985-03-14</DateOfBirth>`), "Child/GivenName", datamodel.ErrInvalid},
		{"empty", uri, datamodel.MimeXML, xmlDoc(`<FamilyName> </FamilyName><GivenName>A</GivenName><DateOfBirth>1985-03-14</DateOfBirth>`), "Child/FamilyName", datamodel.ErrInvalid},
		{"unknown", uri, datamodel.MimeXML, xmlDoc(okChild + `<Eyes>blue</Eyes>`), "Child/Eyes", datamodel.ErrInvalid},
		{"twice", uri, datamodel.MimeXML, xmlDoc(okChild + `<GivenName>B</GivenName>`), "Child/GivenName", datamodel.ErrInvalid},
		{"code", uri, datamodel.MimeXML, xmlDoc(okChild + `<Gender>F</Gender>`), "Child/Gender", datamodel.ErrInvalid},
		{"group as value", uri, datamodel.MimeXML, strings.Replace(xmlDoc(okChild), "<Child>"+okChild+"</Child>", "<Child>Anna</Child>", 1), "Child", datamodel.ErrInvalid},
		{"mixed", uri, datamodel.MimeXML, xmlDoc("text" + okChild), "Child", datamodel.ErrInvalid},
		{"wrong root", uri, datamodel.MimeXML, `<Diploma xmlns="` + uri + `"/>`, "", datamodel.ErrInvalid},
		{"wrong namespace", uri, datamodel.MimeXML, strings.Replace(xmlDoc(okChild), `xmlns="`+uri, `xmlns="urn:x`, 1), "", datamodel.ErrInvalid},
		{"child namespace", uri, datamodel.MimeXML, xmlDoc(okChild + `<x:Gender xmlns:x="urn:x">Male</x:Gender>`), "Child/Gender", datamodel.ErrInvalid},
		{"doctype", uri, datamodel.MimeXML, `<!DOCTYPE x [<!ENTITY a "b">]>` + xmlDoc(okChild), "", datamodel.ErrInvalid},
		{"not xml", uri, datamodel.MimeXML, `<CertificateOfBirth`, "", datamodel.ErrInvalid},
		{"valid json", uri, datamodel.MimeJSON, `{"Identifier":"x","IssuingCountry":"FR","RegistrationNumber":"1","IssueDate":"2024-01-15","Child":{"FamilyName":"M","GivenName":"A","DateOfBirth":"1985-03-14"}}`, "", nil},
		{"json number", uri, datamodel.MimeJSON, `{"Identifier":1}`, "Identifier", datamodel.ErrInvalid},
		{"json country", uri, datamodel.MimeJSON, `{"Identifier":"x","IssuingCountry":"fr","RegistrationNumber":"1","IssueDate":"2024-01-15","Child":{"FamilyName":"M","GivenName":"A","DateOfBirth":"1985-03-14"}}`, "IssuingCountry", datamodel.ErrInvalid},
		{"json array", uri, datamodel.MimeJSON, `[]`, "", datamodel.ErrInvalid},
		{"json trailing", uri, datamodel.MimeJSON, `{} {}`, "", datamodel.ErrInvalid},
		{"json group as value", uri, datamodel.MimeJSON, `{"Child":"Anna"}`, "Child", datamodel.ErrInvalid},
		{"pdf", uri, "application/pdf", "%PDF-1.4", "", datamodel.ErrUnsupportedFormat},
		{"unknown model", "https://sr.oots.tech.ec.europa.eu/datamodels/none", datamodel.MimeXML, "<a/>", "", datamodel.ErrUnknownModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := datamodel.Validate(tt.uri, tt.mime, []byte(tt.doc))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
			var fe *datamodel.FieldError
			if errors.As(err, &fe) && fe.Path != tt.path {
				t.Errorf("path %q, want %q (%v)", fe.Path, tt.path, err)
			}
		})
	}
}

func TestDiploma(t *testing.T) {
	m := datamodel.SecondaryDiploma()
	v := map[string]string{"Identifier": "d1", "IssuingCountry": "FI", "IssueDate": "2008-06-30", "Holder/FamilyName": "Virtanen",
		"Holder/GivenName": "Aino", "Holder/DateOfBirth": "1990-01-01", "School/Name": "Lukio", "School/Country": "FI",
		"Qualification": "Ylioppilastutkinto", "AwardDate": "2008-06-30", "FinalGrade": "2.1"}
	for _, mime := range []string{datamodel.MimeXML, datamodel.MimeJSON} {
		if _, err := m.Encode(mime, v); err != nil {
			t.Errorf("%s: %v", mime, err)
		}
	}
	if err := datamodel.Validate(m.URI, datamodel.MimeJSON, []byte(`{"FinalGrade":2.1}`)); err == nil || strings.Contains(err.Error(), "FinalGrade") {
		t.Errorf("number grade: %v (a decimal may be a JSON number; the error must be a missing field)", err)
	}
	bad := map[string]string{"FinalGrade": "good"}
	if _, err := m.Encode(datamodel.MimeXML, bad); err == nil {
		t.Error("Encode accepted a bad value")
	}
	if _, err := m.Encode(datamodel.MimeXML, map[string]string{"Nope": "x"}); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("Encode unknown path: %v", err)
	}
	if l := m.Field("Holder/FamilyName").LabelIn("de"); l != "Familienname" {
		t.Errorf("label %q", l)
	}
	if l := m.Field("Holder/FamilyName").LabelIn("xx"); l != "Family name" {
		t.Errorf("fallback label %q", l)
	}
}

// TestDetail: the detail of a FieldError (for EDM error details and logs)
// names the field and the reason but not the value.
func TestDetail(t *testing.T) {
	v := map[string]string{}
	for k, x := range birth {
		v[k] = x
	}
	v["Child/DateOfBirth"] = "14.03.1985"
	b, err := datamodel.BirthRecord().Encode(datamodel.MimeJSON, nil)
	if err == nil {
		t.Fatalf("an empty document encoded: %s", b)
	}
	_, err = datamodel.BirthRecord().Encode(datamodel.MimeJSON, v)
	var fe *datamodel.FieldError
	if !errors.As(err, &fe) || fe.Path != "Child/DateOfBirth" || fe.Value != "14.03.1985" {
		t.Fatalf("error %v", err)
	}
	if d := fe.Detail(); strings.Contains(d, "1985") || !strings.Contains(d, "Child/DateOfBirth") || !strings.Contains(d, "xsd:date") {
		t.Errorf("detail %q", d)
	}
	if !strings.Contains(err.Error(), "14.03.1985") {
		t.Errorf("error %q does not name the value", err)
	}
}
