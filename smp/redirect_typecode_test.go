package smp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/smp"
)

// TestRedirectCertificateTypeCode: the TypeCode and Description of an SMP
// 2.0 Redirect's certificates go round as read: read from another SMP's
// document and written back (xmllint: valid SMP 2.0, and the TypeCode and
// Description of each certificate read back), stored through the
// management API and published by our server; a certificate without
// TypeCode is written with CertificateSigning, and read so beside one of
// another TypeCode. A document whose
// certificates are all of the type signing, without description, reads
// without Types and Descriptions. A TypeCode or description without its
// certificate, or one that would not be read back as given, is refused.
func TestRedirectCertificateTypeCode(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	b64 := base64.StdEncoding.EncodeToString
	// cert is a Redirect's Certificate; typeCode and description are left
	// out when empty.
	cert := func(typeCode, description string, der []byte) string {
		s := `<sma:Certificate>`
		if typeCode != "" {
			s += `<smb:TypeCode>` + typeCode + `</smb:TypeCode>`
		}
		if description != "" {
			s += `<smb:Description>` + description + `</smb:Description>`
		}
		return s + `<smb:ContentBinaryObject mimeCode="application/base64">` + b64(der) + `</smb:ContentBinaryObject></sma:Certificate>`
	}
	doc := func(certs ...string) []byte {
		return []byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
			`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
			`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
			`<sma:ProcessMetadata><sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` + strings.Join(certs, "") + `</sma:Redirect></sma:ProcessMetadata></se:ServiceMetadata>`)
	}
	of := func(cert int, local string) string {
		return "string(//*[local-name()='Redirect']/*[local-name()='Certificate'][" + strconv.Itoa(cert) + "]/*[local-name()='" + local + "'])"
	}
	const count = "count(//*[local-name()='Redirect']/*[local-name()='Certificate']/*[local-name()='Description'])"
	// valid asks xmllint whether doc is valid SMP 2.0, for the TypeCode
	// and Description of each of its Redirect's certificates (want, in
	// pairs) and for the number of Descriptions.
	valid := func(name string, doc []byte, descriptions int, want ...string) {
		t.Helper()
		p := validSMP2(t, xmllint, "redirect.xml", name+": ", doc)
		for i := 0; i+1 < len(want); i += 2 {
			for j, local := range []string{"TypeCode", "Description"} {
				if got := xpath(t, xmllint, p, of(i/2+1, local)); got != want[i+j] {
					t.Errorf("%s: %s = %q, want %q", name, of(i/2+1, local), got, want[i+j])
				}
			}
		}
		if got := xpath(t, xmllint, p, count); got != strconv.Itoa(descriptions) {
			t.Errorf("%s: %s = %s, want %d", name, count, got, descriptions)
		}
	}

	// Read from another SMP's document, and written back as read; the
	// certificate without TypeCode with the default.
	in := doc(cert("sign-and-encrypt", "the key in use", f.smpCred.Sign.Cert.Raw), cert("", "", f.ap.Sign.Cert.Raw),
		cert(smp.CertificateSigning, "from 2027 on", f.ap.Sign.Cert.Raw))
	valid("the document read", in, 2, "sign-and-encrypt", "the key in use", "", "", smp.CertificateSigning, "from 2027 on")
	m, _, err := smp.ParseServiceMetadata(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(m.Redirect.Types, "|"), "sign-and-encrypt|"+smp.CertificateSigning+"|"+smp.CertificateSigning; got != want {
		t.Errorf("read with the TypeCodes %q, want %q", got, want)
	}
	if got, want := strings.Join(m.Redirect.Descriptions, "|"), "the key in use||from 2027 on"; got != want {
		t.Errorf("read with the descriptions %q, want %q", got, want)
	}
	var out bytes.Buffer
	if err := writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2)); err != nil {
		t.Fatal(err)
	}
	valid("written back", out.Bytes(), 2, "sign-and-encrypt", "the key in use", smp.CertificateSigning, "", smp.CertificateSigning, "from 2027 on")
	again, _, err := smp.ParseServiceMetadata(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Redirect, m.Redirect) {
		t.Errorf("read again with the TypeCodes %q and descriptions %q, want %q and %q", again.Redirect.Types, again.Redirect.Descriptions, m.Redirect.Types, m.Redirect.Descriptions)
	}
	// All of the type signing (or none), without description: none kept,
	// and written alike.
	m, _, err = smp.ParseServiceMetadata(doc(cert(smp.CertificateSigning, "", f.smpCred.Sign.Cert.Raw), cert("", "", f.ap.Sign.Cert.Raw)))
	if err != nil || m.Redirect.Types != nil || m.Redirect.Descriptions != nil {
		t.Fatalf("of the default TypeCode: %+v %v", m, err)
	}
	out.Reset()
	writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2))
	valid("of the default TypeCode, written", out.Bytes(), 0, smp.CertificateSigning, "", smp.CertificateSigning, "")

	// Stored through the management API, given back by it, and published
	// by our server: a process's redirect and the whole document's.
	hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
	pu := hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	if st, body := call(t, "PUT", pu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("put participant: %d %s", st, body)
	}
	r := &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw, f.ap.Sign.Cert.Raw},
		Types: []string{"", "sign-and-encrypt"}, Descriptions: []string{"Übergang, ab 2027"}}
	for _, c := range []struct {
		name string
		m    *smp.ServiceMetadata
	}{
		{"a process's redirect", &smp.ServiceMetadata{Processes: append(f.metadata().Processes, smp.Process{ID: redirected, Redirect: r})}},
		{"the whole document's redirect", &smp.ServiceMetadata{Redirect: r}},
	} {
		if st, body := call(t, "PUT", mu, "secret", c.m); st != http.StatusNoContent {
			t.Fatalf("%s: put metadata: %d %s", c.name, st, body)
		}
		st, body := call(t, "GET", mu, "secret", nil)
		var stored smp.ServiceMetadata
		if err := json.Unmarshal([]byte(body), &stored); st != http.StatusOK || err != nil {
			t.Fatalf("%s: get metadata: %d %v %s", c.name, st, err, body)
		}
		sr := stored.Redirect
		if sr == nil {
			sr = stored.Processes[len(stored.Processes)-1].Redirect
		}
		if !reflect.DeepEqual(sr.Types, r.Types) || !reflect.DeepEqual(sr.Descriptions, r.Descriptions) {
			t.Errorf("%s: stored with the TypeCodes %q and descriptions %q", c.name, sr.Types, sr.Descriptions)
		}
		doc := get(t, hs.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment())
		valid(c.name, doc, 1, smp.CertificateSigning, "Übergang, ab 2027", "sign-and-encrypt", "", smp.CertificateSigning, "")
		read, _, err := smp.ParseServiceMetadata(doc)
		if err != nil {
			t.Fatal(err)
		}
		rr := read.Redirect
		if rr == nil {
			rr = read.Processes[len(read.Processes)-1].Redirect
		}
		if got, want := strings.Join(rr.Types, "|"), smp.CertificateSigning+"|sign-and-encrypt|"+smp.CertificateSigning; got != want {
			t.Errorf("%s: read back with the TypeCodes %q, want %q", c.name, got, want)
		}
		if got, want := strings.Join(rr.Descriptions, "|"), "Übergang, ab 2027||"; got != want {
			t.Errorf("%s: read back with the descriptions %q, want %q", c.name, got, want)
		}
	}

	// Stored before a redirect held several certificates: the one
	// "certificate" comes first, without a TypeCode or description.
	var old smp.Redirect
	if err := json.Unmarshal([]byte(`{"url":"https://smp2.example.eu/","certificate":"`+b64(f.smpCred.Sign.Cert.Raw)+`","certificates":["`+b64(f.ap.Sign.Cert.Raw)+`"],"types":["sign"],"descriptions":["next"]}`), &old); err != nil ||
		len(old.Certificates) != 2 || strings.Join(old.Types, "|") != "|sign" || strings.Join(old.Descriptions, "|") != "|next" {
		t.Errorf("the former form: %+v %v", old, err)
	}

	for _, c := range []struct {
		name                string
		types, descriptions []string
		want                string
	}{
		{"more TypeCodes than certificates", []string{"", "", "", "signing"}, nil, "the redirect to https://smp2.example.eu/ has 4 TypeCodes for 3 certificates"},
		{"more descriptions than certificates", nil, []string{"", "", "", "a"}, "the redirect to https://smp2.example.eu/ has 4 descriptions for 3 certificates"},
		{"a TypeCode with a line break", []string{"", "sign\nencrypt"}, nil, `certificate 2 of the redirect to https://smp2.example.eu/ has the TypeCode "sign\nencrypt", with the character U+000A, which xsd:normalizedString reads as a space`},
		{"a TypeCode with white space at an end", []string{" signing"}, nil, `certificate 1 of the redirect to https://smp2.example.eu/ has the TypeCode " signing", with white space at an end`},
		{"a description with a control character", nil, []string{"", "", "bell\a"}, `certificate 3 of the redirect to https://smp2.example.eu/ has the description "bell\a", with the character U+0007, which XML cannot carry`},
	} {
		r.Types, r.Descriptions = c.types, c.descriptions
		if st, body := call(t, "PUT", mu, "secret", &smp.ServiceMetadata{Redirect: r}); st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %s", c.name, st, body, c.want)
		}
	}
	// A description may hold a line break.
	r.Types, r.Descriptions = nil, []string{"line one\nline two"}
	if st, body := call(t, "PUT", mu, "secret", &smp.ServiceMetadata{Redirect: r}); st != http.StatusNoContent {
		t.Errorf("a description with a line break: %d %s", st, body)
	}
}

// TestRedirectSignerTypeCode: a lookup that follows an SMP 2.0 Redirect
// accepts the other SMP's answer only when it is signed by one of the
// Redirect's certificates of the TypeCode signing (without regard to
// case) or of none: one the redirect publishes for another use is
// refused, saying so, even beside a certificate for signing; a
// certificate listed for both uses is accepted for signing, within the
// days it is published for.
func TestRedirectSignerTypeCode(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	other, hsB, _ := f.smpB(t)
	storeA := smp.NewMemoryStore()
	storeA.PutParticipant(ctx, participant)
	hsA := f.server(t, storeA, smp.OASIS1, f.smpCred)
	now := time.Now()
	later := smp.Validity{Activation: startOfDay(now).AddDate(0, 0, 2)}

	for _, c := range []struct {
		name     string
		certs    [][]byte
		types    []string
		validity []smp.Validity
		want     string // "" when accepted, else what the error says
	}{
		{"no TypeCode", [][]byte{other.Sign.Cert.Raw}, nil, nil, ""},
		{"signing", [][]byte{other.Sign.Cert.Raw}, []string{smp.CertificateSigning}, nil, ""},
		{"Signing", [][]byte{other.Sign.Cert.Raw}, []string{"Signing"}, nil, ""},
		{"encryption", [][]byte{other.Sign.Cert.Raw}, []string{smp.CertificateEncryption}, nil,
			`signed by "` + other.Sign.Cert.Subject.String() + `", which the redirect from ` + hsA.URL + smp.PathSMP2 + participant.PathSegment() + `/services/` + docType.PathSegment() +
				` carries with the TypeCode "encryption", not "signing": a certificate for another use than signing the SMP's metadata`},
		{"a domain's code", [][]byte{other.Sign.Cert.Raw}, []string{"tls-server"}, nil, ` carries with the TypeCode "tls-server", not "signing"`},
		{"for encryption, beside another for signing", [][]byte{f.smpCred.Sign.Cert.Raw, other.Sign.Cert.Raw}, []string{"", smp.CertificateEncryption}, nil,
			` carries with the TypeCode "encryption", not "signing"`},
		{"listed for two other uses", [][]byte{other.Sign.Cert.Raw, other.Sign.Cert.Raw, other.Sign.Cert.Raw}, []string{smp.CertificateEncryption, "tls-server", smp.CertificateEncryption}, nil,
			` carries with the TypeCode "encryption" and "tls-server", not "signing"`},
		{"listed for encryption and for signing", [][]byte{other.Sign.Cert.Raw, other.Sign.Cert.Raw}, []string{smp.CertificateEncryption, ""}, nil, ""},
		// Listed for signing, not yet: the error names the days.
		{"listed for encryption now, and for signing later", [][]byte{other.Sign.Cert.Raw, other.Sign.Cert.Raw}, []string{smp.CertificateEncryption, ""}, []smp.Validity{{}, later},
			` publishes for use from ` + later.Activation.Format(time.RFC3339) + `, not at `},
	} {
		r := &smp.Redirect{URL: hsB.URL, Certificates: c.certs, Types: c.types, Validity: c.validity}
		if err := storeA.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: r}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cl := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return now }}
		tg, err := cl.Resolve(ctx, participant, docType, process)
		switch {
		case c.want == "" && (err != nil || !tg.Signer.Equal(other.Sign.Cert)):
			t.Errorf("%s: %+v %v, want the answer of %s", c.name, tg, err, hsB.URL)
		case c.want != "" && (!errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrUntrusted) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %+v %v\nwant ErrBadAnswer and ErrUntrusted saying %s", c.name, tg, err, c.want)
		}
	}

	// Read from another SMP's document: a certificate without TypeCode
	// signs the other SMP's metadata, one of another TypeCode does not.
	b64 := base64.StdEncoding.EncodeToString
	m, _, err := smp.ParseServiceMetadata([]byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
		`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
		`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
		`<sma:ProcessMetadata><sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` +
		`<sma:Certificate><smb:ContentBinaryObject mimeCode="application/base64">` + b64(other.Sign.Cert.Raw) + `</smb:ContentBinaryObject></sma:Certificate>` +
		`<sma:Certificate><smb:TypeCode>encryption</smb:TypeCode><smb:ContentBinaryObject mimeCode="application/base64">` + b64(f.ap.Sign.Cert.Raw) + `</smb:ContentBinaryObject></sma:Certificate>` +
		`<sma:Certificate><smb:TypeCode>SIGNING</smb:TypeCode><smb:ContentBinaryObject mimeCode="application/base64">` + b64(f.smpCred.Sign.Cert.Raw) + `</smb:ContentBinaryObject></sma:Certificate>` +
		`</sma:Redirect></sma:ProcessMetadata></se:ServiceMetadata>`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true, false} {
		if got := m.Redirect.SignsMetadata(i); got != want {
			t.Errorf("certificate %d of the document read: SignsMetadata = %v, want %v", i+1, got, want)
		}
	}
}
