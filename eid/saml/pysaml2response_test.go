package saml

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmlenc"
)

// pysaml2Response describes a response that pysaml2 writes as the BE test
// node (its key, its entity ID); the zero value with its defaults is the
// honest answer: response and assertion signed, the assertion encrypted
// with AES-256-GCM, marie's natural-person attributes.
type pysaml2Response struct {
	noResponseSignature, noAssertionSignature, plain bool
	dataEncryption                                   xmlenc.Algorithm
	identity                                         map[string][]string
	valueAttributes                                  map[string][]map[string]string
}

var pysaml2Attributes = map[string]string{
	"PersonIdentifier": attrPersonIdentifier.Name, "FamilyName": attrFamilyName.Name, "FirstName": attrFirstName.Name,
	"DateOfBirth": attrDateOfBirth.Name, "Gender": attrGender.Name, "BirthName": attrBirthName.Name, "PlaceOfBirth": attrPlaceOfBirth.Name,
}

// write runs testdata/pysaml2_response.py for the login b of a and returns
// the base64 SAMLResponse.
func (p pysaml2Response) write(t *testing.T, a *Authenticator, b *begun) string {
	t.Helper()
	testenv.SkipShort(t, "pysaml2")
	py := testenv.Python(t, "saml2")
	testenv.Tool(t, "xmlsec1")
	dir := t.TempDir()
	kder, err := x509.MarshalPKCS8PrivateKey(nodeBE.key)
	if err != nil {
		t.Fatal(err)
	}
	md, err := a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: nodeBE.cert.Raw}),
		"sp.xml":   md,
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	identity := p.identity
	if identity == nil {
		identity = map[string][]string{"PersonIdentifier": {"BE/NL/1234567890"}, "FamilyName": {"Janssens"}, "FirstName": {"Marie"}, "DateOfBirth": {"1985-04-12"}}
	}
	data := p.dataEncryption
	if data == "" {
		data = xmlenc.AES256GCM
	}
	session := map[xmlenc.Algorithm]string{xmlenc.AES128GCM: "aes-128", xmlenc.AES192GCM: "aes-192", xmlenc.AES256GCM: "aes-256"}[data]
	conf, err := json.Marshal(map[string]any{
		"entityID": nodeBE.entityID, "keyFile": filepath.Join(dir, "key.pem"), "certFile": filepath.Join(dir, "cert.pem"),
		"spMetadata": filepath.Join(dir, "sp.xml"), "spEntityID": a.EntityID(), "inResponseTo": b.requestID,
		"destination": testBase + ACSPath, "loa": string(eidLoA), "nameID": identity["PersonIdentifier"][0],
		"attributes": pysaml2Attributes, "identity": identity,
		"signResponse": !p.noResponseSignature, "signAssertion": !p.noAssertionSignature, "encrypt": !p.plain,
		"dataEncryption": string(data), "sessionKey": session, "valueAttributes": p.valueAttributes,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "conf.json"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "pysaml2_response.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, filepath.Join(dir, "conf.json"))
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pysaml2: %v: %s", err, stderr.String())
	}
	return string(out)
}

const eidLoA = "http://eidas.europa.eu/LoA/substantial"

// TestPysaml2Responses answers logins with responses that pysaml2 and
// xmlsec1 write as an eIDAS node on them would: the algorithms xmlsec1
// uses, the signatures eIDAS requires, and attribute values as eIDAS types
// them (a name in two scripts, xs:date).
func TestPysaml2Responses(t *testing.T) {
	marie := func(family []string, dob string) map[string][]string {
		return map[string][]string{"PersonIdentifier": {"BE/NL/1234567890"}, "FamilyName": family, "FirstName": {"Marie"}, "DateOfBirth": {dob}}
	}
	natural := map[string]string{"xmlns:eidas-natural": "http://eidas.europa.eu/attributes/naturalperson", "xsi:type": "eidas-natural:CurrentFamilyNameType"}
	notLatin := map[string]string{"LatinScript": "false"}
	for k, v := range natural {
		notLatin[k] = v
	}
	for _, tc := range []struct {
		name string
		p    pysaml2Response
		// family and dob are the subject's when the login is accepted;
		// refused, the error names the check.
		family, dob, refused string
	}{
		// xmlsec1 transports the key with rsa-oaep-mgf1p (SHA-1
		// digest, MGF1-SHA1), pysaml2's default.
		{name: "AES-256-GCM", p: pysaml2Response{}, family: "Janssens", dob: "1985-04-12"},
		{name: "AES-128-GCM", p: pysaml2Response{dataEncryption: xmlenc.AES128GCM}, family: "Janssens", dob: "1985-04-12"},
		// eIDAS SAML Message Format: the response and the assertion
		// are both signed.
		{name: "response not signed", p: pysaml2Response{noResponseSignature: true}, refused: "response signature"},
		{name: "assertion not signed", p: pysaml2Response{noAssertionSignature: true}, refused: "assertion signature"},
		{name: "name in two scripts", p: pysaml2Response{identity: marie([]string{"Παπαδοπούλου", "Papadopoulou"}, "1985-04-12"),
			valueAttributes: map[string][]map[string]string{"FamilyName": {notLatin, natural}, "DateOfBirth": {{"xsi:type": "xs:date"}}}},
			family: "Papadopoulou", dob: "1985-04-12"},
		{name: "name in two scripts (Latin first)", p: pysaml2Response{identity: marie([]string{"Papadopoulou", "Παπαδοπούλου"}, "1985-04-12"),
			valueAttributes: map[string][]map[string]string{"FamilyName": {natural, notLatin}}},
			family: "Papadopoulou", dob: "1985-04-12"},
		{name: "two Latin names", p: pysaml2Response{identity: marie([]string{"Janssens", "Peeters"}, "1985-04-12")}, refused: "CurrentFamilyName has 2 values, 2 of them in Latin script"},
		{name: "name in three values", p: pysaml2Response{identity: marie([]string{"Παπαδοπούλου", "Papadopoulou", "Παπαδοπούλου"}, "1985-04-12"),
			valueAttributes: map[string][]map[string]string{"FamilyName": {notLatin, natural, notLatin}}}, refused: "CurrentFamilyName has 3 values"},
		{name: "identifier in two scripts", p: pysaml2Response{identity: map[string][]string{"PersonIdentifier": {"BE/NL/1234567890", "BE/NL/9876543210"}, "FamilyName": {"Janssens"}, "FirstName": {"Marie"}, "DateOfBirth": {"1985-04-12"}},
			valueAttributes: map[string][]map[string]string{"PersonIdentifier": {{}, {"LatinScript": "false"}}}}, refused: "PersonIdentifier has 2 values"},
		{name: "date of birth with a time zone", p: pysaml2Response{identity: marie([]string{"Janssens"}, "1985-04-12+02:00"),
			valueAttributes: map[string][]map[string]string{"DateOfBirth": {{"xsi:type": "xs:date"}}}}, family: "Janssens", dob: "1985-04-12"},
		{name: "date of birth not a date", p: pysaml2Response{identity: marie([]string{"Janssens"}, "12/04/1985")}, refused: `DateOfBirth "12/04/1985" is not an xs:date`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestSP(t, nil)
			b := begin(t, a, "BE")
			s, err := answer(t, a, b, tc.p.write(t, a, b))
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("error %v, want one naming %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Person.Identifier != "BE/NL/1234567890" || s.Person.FamilyName != tc.family || s.Person.DateOfBirth != tc.dob {
				t.Errorf("person %+v, want family name %q, born %s", *s.Person, tc.family, tc.dob)
			}
		})
	}
}
