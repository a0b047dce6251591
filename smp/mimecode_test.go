package smp_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/smp"
)

// TestEndpointCertificateMimeCode: the mimeCode of an SMP 2.0 endpoint
// certificate's ContentBinaryObject, which the schema requires, goes round
// as it was given: stored through the management API, published by our
// server (xmllint: valid SMP 2.0, and the mimeCode of each certificate
// read back), read by our client; one not given is published as
// MimeCodeDefault. A single encryption certificate with a mimeCode of its
// own keeps it too (it is not read as Certificate alone). What is not a
// media type is refused.
func TestEndpointCertificateMimeCode(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	r := newRollover(t)
	const pkix = "application/pkix-cert"
	m := r.metadata(f)
	m.Processes[0].Endpoints[0].Certificates[1].MimeCode = pkix
	alone := smp.Endpoint{TransportProfile: smp.TransportPeppolAS4, URL: ap2, Certificate: r.new,
		Certificates: []smp.EndpointCertificate{{Type: smp.CertificateEncryption, Certificate: r.new, MimeCode: pkix}}}
	m.Processes[0].Endpoints = append(m.Processes[0].Endpoints, alone)

	// Stored through the management API, and given back by it.
	hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
	pu := hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	if st, body := call(t, "PUT", pu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("put participant: %d %s", st, body)
	}
	if st, body := call(t, "PUT", mu, "secret", m); st != http.StatusNoContent {
		t.Fatalf("put metadata: %d %s", st, body)
	}
	st, body := call(t, "GET", mu, "secret", nil)
	var stored smp.ServiceMetadata
	if err := json.Unmarshal([]byte(body), &stored); st != http.StatusOK || err != nil {
		t.Fatalf("get metadata: %d %v %s", st, err, body)
	}
	if got := mimeCodes(stored.Processes[0].Endpoints); got != "|"+pkix+"||"+pkix {
		t.Errorf("stored with the mimeCodes %q", got)
	}

	// Published: the outside witness.
	doc := get(t, hs.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment())
	p := validSMP2(t, xmllint, "mimecode.xml", "", doc)
	mimeOf := func(endpoint, cert int) string {
		return "string((//*[local-name()='Endpoint'])[" + strconv.Itoa(endpoint) + "]/*[local-name()='Certificate'][" + strconv.Itoa(cert) + "]/*[local-name()='ContentBinaryObject']/@mimeCode)"
	}
	for _, c := range []struct{ expr, want string }{
		{mimeOf(1, 1), smp.MimeCodeDefault},
		{mimeOf(1, 2), pkix},
		{mimeOf(1, 3), smp.MimeCodeDefault},
		{mimeOf(2, 1), pkix},
	} {
		if got := xpath(t, xmllint, p, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}

	// Read back by our client.
	read, _, err := smp.ParseServiceMetadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mimeCodes(read.Processes[0].Endpoints), smp.MimeCodeDefault+"|"+pkix+"|"+smp.MimeCodeDefault+"|"+pkix; got != want {
		t.Errorf("read back with the mimeCodes %q, want %q", got, want)
	}

	m.Processes[0].Endpoints[0].Certificates[0].MimeCode = "not a type"
	if st, body := call(t, "PUT", mu, "secret", m); st != http.StatusBadRequest || !strings.Contains(body, `certificate 1 of the `+smp.TransportEBMS3AS4+` endpoint of process `+process.String()+` has the mimeCode "not a type", not a media type`) {
		t.Errorf("a mimeCode that is not a media type: %d %s", st, body)
	}
}

// mimeCodes lists the mimeCodes of the endpoints' certificates, joined by
// "|".
func mimeCodes(eps []smp.Endpoint) string {
	var s []string
	for _, e := range eps {
		for _, c := range e.Certificates {
			s = append(s, c.MimeCode)
		}
	}
	return strings.Join(s, "|")
}

// TestRedirectCertificateMimeCode: the mimeCode of an SMP 2.0 Redirect
// certificate's ContentBinaryObject goes round as that of an endpoint
// certificate: read from another SMP's document and written back as read
// (xmllint: valid SMP 2.0, and the mimeCode of each certificate read
// back), stored through the management API and published by our server,
// MimeCodeDefault when not given. A document whose certificates all have
// MimeCodeDefault reads without MimeCodes. What is not a media type, or a
// mimeCode without its certificate, is refused.
func TestRedirectCertificateMimeCode(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	const pkix = "application/pkix-cert"
	b64 := base64.StdEncoding.EncodeToString
	cert := func(mimeCode string, der []byte) string {
		return `<sma:Certificate><smb:TypeCode>signing</smb:TypeCode><smb:ContentBinaryObject mimeCode="` + mimeCode + `">` + b64(der) + `</smb:ContentBinaryObject></sma:Certificate>`
	}
	doc := func(certs ...string) []byte {
		return []byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
			`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
			`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
			`<sma:ProcessMetadata><sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` + strings.Join(certs, "") + `</sma:Redirect></sma:ProcessMetadata></se:ServiceMetadata>`)
	}
	mimeOf := func(cert int) string {
		return "string(//*[local-name()='Redirect']/*[local-name()='Certificate'][" + strconv.Itoa(cert) + "]/*[local-name()='ContentBinaryObject']/@mimeCode)"
	}
	// valid asks xmllint whether doc is valid SMP 2.0 and for the
	// mimeCodes of its Redirect's certificates.
	valid := func(name string, doc []byte, want ...string) {
		t.Helper()
		p := validSMP2(t, xmllint, "redirect.xml", name+": ", doc)
		for i, w := range want {
			if got := xpath(t, xmllint, p, mimeOf(i+1)); got != w {
				t.Errorf("%s: %s = %q, want %q", name, mimeOf(i+1), got, w)
			}
		}
	}

	// Read from another SMP's document, and written back as read.
	in := doc(cert(pkix, f.smpCred.Sign.Cert.Raw), cert(smp.MimeCodeDefault, f.ap.Sign.Cert.Raw))
	valid("the document read", in, pkix, smp.MimeCodeDefault)
	m, _, err := smp.ParseServiceMetadata(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Redirect.MimeCodes, "|"); got != pkix+"|"+smp.MimeCodeDefault {
		t.Errorf("read with the mimeCodes %q", got)
	}
	var out bytes.Buffer
	if err := writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2)); err != nil {
		t.Fatal(err)
	}
	valid("written back", out.Bytes(), pkix, smp.MimeCodeDefault)
	if again, _, err := smp.ParseServiceMetadata(out.Bytes()); err != nil || !reflect.DeepEqual(again.Redirect, m.Redirect) {
		t.Errorf("read again: %v\n got %+v\nwant %+v", err, again, m.Redirect)
	}
	// All of the default mimeCode: none kept, and written alike.
	m, _, err = smp.ParseServiceMetadata(doc(cert(smp.MimeCodeDefault, f.smpCred.Sign.Cert.Raw)))
	if err != nil || m.Redirect.MimeCodes != nil {
		t.Fatalf("of the default mimeCode: %+v %v", m, err)
	}

	// Stored through the management API, given back by it, and published
	// by our server: a process's redirect and the whole document's.
	hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
	pu := hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	if st, body := call(t, "PUT", pu, "secret", nil); st != http.StatusNoContent {
		t.Fatalf("put participant: %d %s", st, body)
	}
	r := &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw, f.ap.Sign.Cert.Raw},
		MimeCodes: []string{"", pkix}}
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
		if got := strings.Join(sr.MimeCodes, "|"); got != "|"+pkix {
			t.Errorf("%s: stored with the mimeCodes %q", c.name, got)
		}
		doc := get(t, hs.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment())
		valid(c.name, doc, smp.MimeCodeDefault, pkix, smp.MimeCodeDefault)
		read, _, err := smp.ParseServiceMetadata(doc)
		if err != nil {
			t.Fatal(err)
		}
		rr := read.Redirect
		if rr == nil {
			rr = read.Processes[len(read.Processes)-1].Redirect
		}
		if got, want := strings.Join(rr.MimeCodes, "|"), smp.MimeCodeDefault+"|"+pkix+"|"+smp.MimeCodeDefault; got != want {
			t.Errorf("%s: read back with the mimeCodes %q, want %q", c.name, got, want)
		}
	}

	// Stored before a redirect held several certificates: the one
	// "certificate" comes first, without a mimeCode of its own.
	var old smp.Redirect
	if err := json.Unmarshal([]byte(`{"url":"https://smp2.example.eu/","certificate":"`+b64(f.smpCred.Sign.Cert.Raw)+`","certificates":["`+b64(f.ap.Sign.Cert.Raw)+`"],"mimeCodes":["`+pkix+`"]}`), &old); err != nil ||
		len(old.Certificates) != 2 || strings.Join(old.MimeCodes, "|") != "|"+pkix {
		t.Errorf("the former form: %+v %v", old, err)
	}

	for _, c := range []struct {
		name      string
		mimeCodes []string
		want      string
	}{
		{"not a media type", []string{"", "not a type"}, `certificate 2 of the redirect to https://smp2.example.eu/ has the mimeCode "not a type", not a media type`},
		{"more mimeCodes than certificates", []string{"", "", "", pkix}, "the redirect to https://smp2.example.eu/ has 4 mimeCodes for 3 certificates"},
	} {
		r.MimeCodes = c.mimeCodes
		if st, body := call(t, "PUT", mu, "secret", &smp.ServiceMetadata{Redirect: r}); st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %s", c.name, st, body, c.want)
		}
	}
}

// TestReadCertificateWithoutMimeCode: an SMP 2.0 certificate whose
// ContentBinaryObject lacks the mimeCode the schema requires (xmllint:
// not valid SMP 2.0, for that attribute), or has an empty one, could not
// be written back as read: a certificate without mimeCode is written with
// MimeCodeDefault, so reading and writing would change the document. It
// is refused at read, as a document without another part the schema
// requires, naming the certificate and the attribute: a redirect's or an
// endpoint's, beside certificates with a mimeCode or alone.
func TestReadCertificateWithoutMimeCode(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	b64 := base64.StdEncoding.EncodeToString
	// cert is a Certificate whose ContentBinaryObject has the attribute
	// mimeCode (e.g. ` mimeCode="application/base64"`), or none.
	cert := func(mimeCode string, der []byte) string {
		return `<sma:Certificate><smb:TypeCode>signing</smb:TypeCode><smb:ContentBinaryObject` + mimeCode + `>` + b64(der) + `</smb:ContentBinaryObject></sma:Certificate>`
	}
	doc := func(pm string) []byte {
		return []byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
			`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
			`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
			`<sma:ProcessMetadata>` + pm + `</sma:ProcessMetadata></se:ServiceMetadata>`)
	}
	redirect := func(certs ...string) []byte {
		return doc(`<sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` + strings.Join(certs, "") + `</sma:Redirect>`)
	}
	endpoint := func(certs ...string) []byte {
		return doc(`<sma:Process><smb:ID schemeID="` + process.Scheme + `">` + process.Value + `</smb:ID></sma:Process>` +
			`<sma:Endpoint><smb:TransportProfileID>` + smp.TransportEBMS3AS4 + `</smb:TransportProfileID><smb:AddressURI>https://ap.example.eu/as4</smb:AddressURI>` +
			strings.Join(certs, "") + `</sma:Endpoint>`)
	}
	const (
		pkix    = ` mimeCode="application/pkix-cert"`
		none    = ``
		empty   = ` mimeCode=" "`
		missing = `smp: malformed SMP document: cbc:ContentBinaryObject without the attribute mimeCode, which the SMP 2.0 schema requires (udt:BinaryObjectType)`
		blank   = `smp: malformed SMP document: cbc:ContentBinaryObject with an empty mimeCode, not a media type`
	)
	smpCert, apCert := f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw

	// The witness: without the attribute, the document is not SMP 2.0.
	p := filepath.Join(t.TempDir(), "no-mimecode.xml")
	if err := os.WriteFile(p, redirect(cert(pkix, smpCert), cert(none, apCert)), 0o600); err != nil {
		t.Fatal(err)
	}
	schema, _ := filepath.Abs("testdata/xsd/smp2/ServiceMetadata-2.0.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err == nil || !strings.Contains(string(out), "mimeCode") {
		t.Errorf("xmllint on a certificate without mimeCode: %v\n%s", err, out)
	}

	for _, c := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"a redirect's, beside one with a mimeCode", redirect(cert(pkix, smpCert), cert(none, apCert)), "redirect to https://smp2.example.eu/, certificate 2: " + missing},
		{"a redirect's, alone", redirect(cert(none, smpCert)), "redirect to https://smp2.example.eu/, certificate 1: " + missing},
		{"a redirect's, empty", redirect(cert(empty, smpCert), cert(pkix, apCert)), "redirect to https://smp2.example.eu/, certificate 1: " + blank},
		{"an endpoint's, beside one with a mimeCode", endpoint(cert(pkix, smpCert), cert(none, apCert)), "endpoint https://ap.example.eu/as4, certificate 2: " + missing},
		{"an endpoint's, alone", endpoint(cert(none, apCert)), "endpoint https://ap.example.eu/as4, certificate 1: " + missing},
		{"an endpoint's, empty", endpoint(cert(` mimeCode=""`, apCert)), "endpoint https://ap.example.eu/as4, certificate 1: " + blank},
	} {
		m, _, err := smp.ParseServiceMetadata(c.doc)
		if !errors.Is(err, smp.ErrBadDocument) || !strings.Contains(fmt.Sprint(err), c.want) {
			var out bytes.Buffer
			if err == nil {
				writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2))
			}
			t.Errorf("%s: %v\nwant ErrBadDocument saying %s\nread\n%s\nwritten back\n%s", c.name, err, c.want, c.doc, out.Bytes())
		}
	}

	// With every mimeCode, read and written back as it was.
	in := redirect(cert(pkix, smpCert), cert(` mimeCode="`+smp.MimeCodeDefault+`"`, apCert))
	m, _, err := smp.ParseServiceMetadata(in)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2)); err != nil {
		t.Fatal(err)
	}
	w := validSMP2(t, xmllint, "written.xml", "written back: ", out.Bytes())
	for i, want := range []string{"application/pkix-cert", smp.MimeCodeDefault} {
		expr := "string(//*[local-name()='Redirect']/*[local-name()='Certificate'][" + strconv.Itoa(i+1) + "]/*[local-name()='ContentBinaryObject']/@mimeCode)"
		if got := xpath(t, xmllint, w, expr); got != want {
			t.Errorf("written back: %s = %q, want %q", expr, got, want)
		}
	}
}
