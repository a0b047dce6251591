package smp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

// rollover is an endpoint publishing three certificates, as while its
// access point rolls its encryption key over: a signing certificate, the
// old encryption certificate in use days D to D+4 in +01:00 (its
// ExpirationDate D+4) and the new one from D+5 on; Certificate, the one in
// use, is the old one.
type rollover struct {
	signing, old, new []byte
	active, switchAt  time.Time // the start of D and of D+5, in +01:00
}

func newRollover(t *testing.T) rollover {
	t.Helper()
	f := getFixture(t)
	next, err := pki.Issue(f.ca, "ap-receiver-next", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	cet := time.FixedZone("", 3600)
	// Within both certificates' own validity.
	active := startOfDay(next.Sign.Cert.NotBefore.In(cet)).AddDate(0, 0, 2)
	return rollover{signing: f.smpCred.Sign.Cert.Raw, old: f.ap.Sign.Cert.Raw, new: next.Sign.Cert.Raw, active: active, switchAt: active.AddDate(0, 0, 5)}
}

func (r rollover) metadata(f *fixture) *smp.ServiceMetadata {
	m := f.metadata()
	e := &m.Processes[0].Endpoints[0]
	e.Certificate = r.old
	e.Certificates = []smp.EndpointCertificate{
		{Type: smp.CertificateSigning, Certificate: r.signing},
		{Type: smp.CertificateEncryption, Description: "until the roll-over", Certificate: r.old, Activation: r.active, Expiration: r.switchAt},
		{Type: smp.CertificateEncryption, Certificate: r.new, Activation: r.switchAt},
	}
	return m
}

// TestEndpointCertificateRollover: an SMP 2.0 endpoint publishing several
// certificates, each with its TypeCode and dates. Our server writes them
// all (xmllint: valid SMP 2.0, and every certificate read back with its
// type and dates), our reader keeps them all, and a lookup takes the
// encryption certificate whose window holds its time: the old one up to
// the last instant of its ExpirationDate, the new one from the start of
// its ActivationDate, the most recently activated one when both are in
// use, none (an error naming the endpoint and the dates) before any is.
func TestEndpointCertificateRollover(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	ctx := context.Background()
	r := newRollover(t)
	m := r.metadata(f)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	store := smp.NewMemoryStore()
	store.PutParticipant(ctx, participant)
	if err := store.PutServiceMetadata(ctx, m); err != nil {
		t.Fatal(err)
	}
	hs := f.server(t, store, smp.OASIS1, f.smpCred)

	// The outside witness: the schema, and an XPath read-back.
	doc := get(t, hs.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment())
	p := validSMP2(t, xmllint, "rollover.xml", "", doc)
	const certs = "//*[local-name()='Endpoint']/*[local-name()='Certificate']"
	day := func(t time.Time) string { return t.Format("2006-01-02") + "+01:00" }
	child := func(i int, local string) string {
		return "string(" + certs + "[" + strconv.Itoa(i) + "]/*[local-name()='" + local + "'])"
	}
	for _, c := range []struct{ expr, want string }{
		{"count(" + certs + ")", "3"},
		{child(1, "TypeCode"), "signing"},
		{"count(" + certs + "[1]/*[local-name()='ActivationDate' or local-name()='ExpirationDate'])", "0"},
		{child(1, "ContentBinaryObject"), base64.StdEncoding.EncodeToString(r.signing)},
		{child(2, "TypeCode"), "encryption"},
		{child(2, "Description"), "until the roll-over"},
		{child(2, "ActivationDate"), day(r.active)},
		{child(2, "ExpirationDate"), day(r.switchAt.AddDate(0, 0, -1))},
		{child(2, "ContentBinaryObject"), base64.StdEncoding.EncodeToString(r.old)},
		{child(3, "TypeCode"), "encryption"},
		{child(3, "ActivationDate"), day(r.switchAt)},
		{"count(" + certs + "[3]/*[local-name()='ExpirationDate'])", "0"},
		{child(3, "ContentBinaryObject"), base64.StdEncoding.EncodeToString(r.new)},
	} {
		if got := xpath(t, xmllint, p, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}

	// Our reader keeps them all.
	got, _, err := smp.ParseServiceMetadata(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Processes[0].Endpoints[0]
	if !bytes.Equal(e.Certificate, r.old) || !sameCertificates(e.Certificates, m.Processes[0].Endpoints[0].Certificates) {
		t.Fatalf("read back %+v", e)
	}

	old := f.ap.Sign.Cert
	newCert, err := x509.ParseCertificate(r.new)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		at   time.Time
		want []byte // nil: no certificate in use
	}{
		{"just before the old certificate's ActivationDate", r.active.Add(-time.Nanosecond), nil},
		{"the start of the old certificate's ActivationDate", r.active, old.Raw},
		{"the last instant of the old certificate's ExpirationDate", r.switchAt.Add(-time.Nanosecond), old.Raw},
		{"the start of the new certificate's ActivationDate", r.switchAt, newCert.Raw},
		{"a year on", r.switchAt.AddDate(1, 0, 0), newCert.Raw},
	} {
		cl := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return c.at }}
		tg, err := cl.Resolve(ctx, participant, docType, process)
		switch {
		case c.want == nil:
			if !errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrNoCertificateInUse) ||
				!strings.Contains(err.Error(), "endpoint https://ap.example.eu/as4 publishes no encryption certificate in use at "+c.at.Format(time.RFC3339)) ||
				!strings.Contains(err.Error(), "certificate 1 (encryption) ActivationDate "+day(r.active)+", ExpirationDate "+day(r.switchAt.AddDate(0, 0, -1))) ||
				!strings.Contains(err.Error(), "certificate 2 (encryption) ActivationDate "+day(r.switchAt)) {
				t.Errorf("%s: %+v %v", c.name, tg, err)
			}
		case err != nil || !bytes.Equal(tg.Certificate.Raw, c.want):
			t.Errorf("%s: %v, the %s certificate", c.name, err, which(tg, old.Raw, newCert.Raw))
		}
	}

	// The new certificate listed first: the old one is still taken in its
	// window.
	m.Processes[0].Endpoints[0].Certificates[1], m.Processes[0].Endpoints[0].Certificates[2] = m.Processes[0].Endpoints[0].Certificates[2], m.Processes[0].Endpoints[0].Certificates[1]
	store.PutServiceMetadata(ctx, m)
	cl := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return r.active.AddDate(0, 0, 1) }}
	if tg, err := cl.Resolve(ctx, participant, docType, process); err != nil || !tg.Certificate.Equal(old) {
		t.Errorf("the new certificate listed first, in the old one's window: %v, the %s certificate", err, which(tg, old.Raw, newCert.Raw))
	}

	// Overlapping windows, the old certificate in use five days more: the
	// new one is preferred from its activation on, and a target cached
	// just before is not used beyond it.
	m = r.metadata(f)
	m.Processes[0].Endpoints[0].Certificates[1].Expiration = r.switchAt.AddDate(0, 0, 5)
	store.PutServiceMetadata(ctx, m)
	now := r.switchAt.Add(-time.Minute)
	cached := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: f.trust, Now: func() time.Time { return now }}
	for _, c := range []struct {
		at   time.Time
		want *[]byte
	}{
		{r.switchAt.Add(-time.Minute), &r.old},
		{r.switchAt.Add(time.Minute), &r.new},
		{r.switchAt.AddDate(0, 0, 1), &r.new},
	} {
		now = c.at
		if tg, err := cached.Resolve(ctx, participant, docType, process); err != nil || !bytes.Equal(tg.Certificate.Raw, *c.want) {
			t.Errorf("overlapping windows, at %s: %v, the %s certificate", c.at.Format(time.RFC3339), err, which(tg, old.Raw, newCert.Raw))
		}
	}
}

// TestEndpointCertificateOwnValidity: the dates an SMP publishes choose
// the certificate; its own validity (notBefore, notAfter) is then checked
// as before, not in the choice. An old certificate that has itself
// expired is not taken once the SMP publishes the new one in use; one the
// SMP still publishes in use after its own notAfter is refused.
func TestEndpointCertificateOwnValidity(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	r := newRollover(t)
	short, err := pki.Issue(f.ca, "ap-receiver-short", wssec.AS4v115, &pki.Options{Now: r.active.Add(-time.Hour), Validity: 5 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m := r.metadata(f)
	e := &m.Processes[0].Endpoints[0]
	e.Certificate = short.Sign.Cert.Raw
	e.Certificates[1].Certificate = short.Sign.Cert.Raw
	store := smp.NewMemoryStore()
	store.PutParticipant(ctx, participant)
	store.PutServiceMetadata(ctx, m)
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	at := short.Sign.Cert.NotAfter.Add(time.Hour) // after the switch
	cl := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return at }}
	if tg, err := cl.Resolve(ctx, participant, docType, process); err != nil || !bytes.Equal(tg.Certificate.Raw, r.new) {
		t.Errorf("the new certificate in use, the old one expired: %v, the %s certificate", err, which(tg, short.Sign.Cert.Raw, r.new))
	}
	// The SMP publishes the old one in use longer than it is valid.
	e.Certificates[1].Expiration = r.switchAt.AddDate(0, 0, 10)
	e.Certificates[2].Activation = r.switchAt.AddDate(0, 0, 11)
	store.PutServiceMetadata(ctx, m)
	if _, err := cl.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrUntrusted) || errors.Is(err, smp.ErrNoCertificateInUse) || !strings.Contains(err.Error(), "is not valid now") {
		t.Errorf("published in use beyond its own validity: %v", err)
	}
}

// TestEndpointCertificatesStored: an endpoint stored in the old form (one
// "certificate") reads, validates and publishes as before; one with its
// certificates keeps them through the JSON of the management API, and
// SMP 1.0 and Peppol documents publish the certificate in use alone. What
// Validate refuses: a certificate in use not among the certificates, an
// empty one.
func TestEndpointCertificatesStored(t *testing.T) {
	f := getFixture(t)
	r := newRollover(t)
	old := `{"participant":{"scheme":"` + participant.Scheme + `","value":"` + participant.Value + `"},"documentType":{"scheme":"` + docType.Scheme + `","value":"` + docType.Value +
		`"},"processes":[{"id":{"scheme":"` + process.Scheme + `","value":"` + process.Value + `"},"endpoints":[{"transportProfile":"` + smp.TransportEBMS3AS4 +
		`","url":"https://ap.example.eu/as4","certificate":"` + base64.StdEncoding.EncodeToString(r.old) + `"}]}]}`
	var m smp.ServiceMetadata
	if err := json.Unmarshal([]byte(old), &m); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeXML(&b, smp.ServiceMetadataElement(&m, smp.OASIS2))
	if got, _, err := smp.ParseServiceMetadata(b.Bytes()); err != nil || !bytes.Equal(got.Processes[0].Endpoints[0].Certificate, r.old) || got.Processes[0].Endpoints[0].Certificates != nil {
		t.Fatalf("the old form, published and read back: %+v %v\n%s", got, err, b.Bytes())
	}

	// Through the management API.
	hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
	pu := hs.URL + smp.PathAPI + "participants/" + participant.PathSegment()
	mu := pu + "/services/" + docType.PathSegment()
	call(t, "PUT", pu, "secret", nil)
	if st, body := call(t, "PUT", mu, "secret", json.RawMessage(old)); st/100 != 2 {
		t.Fatalf("the old form: %d %s", st, body)
	}
	rm := r.metadata(f)
	if st, body := call(t, "PUT", mu, "secret", rm); st/100 != 2 {
		t.Fatalf("with certificates: %d %s", st, body)
	}
	st, body := call(t, "GET", mu, "secret", nil)
	var back smp.ServiceMetadata
	if err := json.Unmarshal([]byte(body), &back); st != http.StatusOK || err != nil || !sameCertificates(back.Processes[0].Endpoints[0].Certificates, rm.Processes[0].Endpoints[0].Certificates) {
		t.Fatalf("read back %d %v: %s", st, err, body)
	}
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.Peppol} {
		b.Reset()
		writeXML(&b, smp.ServiceMetadataElement(rm, fl))
		if !strings.Contains(b.String(), base64.StdEncoding.EncodeToString(r.old)) || strings.Contains(b.String(), base64.StdEncoding.EncodeToString(r.new)) {
			t.Errorf("%s: not the certificate in use alone:\n%s", fl, b.Bytes())
		}
	}

	bad := r.metadata(f)
	bad.Processes[0].Endpoints[0].Certificate = f.rogue.Sign.Cert.Raw
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "is not among its certificates") {
		t.Errorf("the certificate in use not among them: %v", err)
	}
	if st, body := call(t, "PUT", mu, "secret", bad); st != http.StatusBadRequest || !strings.Contains(body, "is not among its certificates") {
		t.Errorf("the certificate in use not among them, through the API: %d %s", st, body)
	}
	bad = r.metadata(f)
	bad.Processes[0].Endpoints[0].Certificates[2].Certificate = nil
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "certificate 3 of the") {
		t.Errorf("an empty certificate: %v", err)
	}
}

// TestEndpointCertificateAt: the choice alone, without dates, of a type
// none has, and of an endpoint without Certificates.
func TestEndpointCertificateAt(t *testing.T) {
	f := getFixture(t)
	r := newRollover(t)
	e := r.metadata(f).Processes[0].Endpoints[0]
	if c, err := e.CertificateAt(smp.CertificateSigning, r.active.AddDate(-1, 0, 0)); err != nil || !bytes.Equal(c.Certificate, r.signing) {
		t.Errorf("signing: %+v %v", c, err)
	}
	if c, err := e.CertificateAt("ENCRYPTION", r.switchAt); err != nil || !bytes.Equal(c.Certificate, r.new) {
		t.Errorf("the type compared without regard to case: %+v %v", c, err)
	}
	// No certificate of the type: any will do, within its dates (a
	// "sign-and-encrypt" certificate).
	e.Certificates = []smp.EndpointCertificate{{Type: "sign-and-encrypt", Certificate: r.old, Expiration: r.switchAt}}
	if c, err := e.CertificateAt(smp.CertificateEncryption, r.active); err != nil || !bytes.Equal(c.Certificate, r.old) {
		t.Errorf("sign-and-encrypt: %+v %v", c, err)
	}
	if _, err := e.CertificateAt(smp.CertificateEncryption, r.switchAt); !errors.Is(err, smp.ErrNoCertificateInUse) || !strings.Contains(err.Error(), "certificate 1 (sign-and-encrypt) ExpirationDate "+r.switchAt.AddDate(0, 0, -1).Format("2006-01-02")+"+01:00") {
		t.Errorf("sign-and-encrypt, expired: %v", err)
	}
	e.Certificates = nil
	if c, err := e.CertificateAt(smp.CertificateEncryption, time.Time{}); err != nil || !bytes.Equal(c.Certificate, r.old) {
		t.Errorf("without Certificates: %+v %v", c, err)
	}
}

// sameCertificates reports whether two lists hold the same certificates,
// types, descriptions and instants.
func sameCertificates(a, b []smp.EndpointCertificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Description != b[i].Description || !bytes.Equal(a[i].Certificate, b[i].Certificate) ||
			!a[i].Activation.Equal(b[i].Activation) || !a[i].Expiration.Equal(b[i].Expiration) {
			return false
		}
	}
	return true
}

// which names the certificate of a target: "old", "new" or "no".
func which(tg smp.Target, old, next []byte) string {
	switch {
	case tg.Certificate == nil:
		return "no"
	case bytes.Equal(tg.Certificate.Raw, old):
		return "old"
	case bytes.Equal(tg.Certificate.Raw, next):
		return "new"
	}
	return "other"
}

// TestSMP1FollowsRollover: an SMP 1.0 or Peppol document carries one
// certificate per endpoint, the encryption certificate in use when the SMP
// answers: the old one before the roll-over's day, the new one from it,
// with nothing written in between; the stored entry is not changed. Before
// any is in use, the stored Certificate. xmllint reads the certificate out
// of the signed document.
func TestSMP1FollowsRollover(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	ctx := context.Background()
	r := newRollover(t)
	m := r.metadata(f)
	store := smp.NewMemoryStore()
	store.PutParticipant(ctx, participant)
	if err := store.PutServiceMetadata(ctx, m); err != nil {
		t.Fatal(err)
	}
	var now time.Time
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.Peppol} {
		srv, err := smp.NewServer(smp.Config{Store: store, Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert, Flavour: fl, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		defer hs.Close()
		for _, c := range []struct {
			at   time.Time
			want []byte
		}{
			{r.active.Add(-time.Hour), r.old}, // none in use: the stored one
			{r.active.Add(time.Hour), r.old},
			{r.switchAt.Add(-time.Second), r.old},
			{r.switchAt, r.new},
			{r.switchAt.AddDate(1, 0, 0), r.new},
		} {
			now = c.at
			doc := get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+docType.PathSegment())
			p := filepath.Join(t.TempDir(), "smp1.xml")
			os.WriteFile(p, doc, 0o600)
			out, err := exec.Command(xmllint, "--nonet", "--xpath", "normalize-space(//*[local-name()='Endpoint']/*[local-name()='Certificate'])", p).Output()
			if err != nil {
				t.Fatalf("%s at %s: xmllint: %v\n%s", fl, c.at, err, doc)
			}
			if got := strings.TrimSpace(string(out)); got != base64.StdEncoding.EncodeToString(c.want) {
				t.Errorf("%s at %s: the document carries another certificate than the one in use", fl, c.at)
			}
		}
	}
	stored, err := store.ServiceMetadata(ctx, participant, docType)
	if err != nil || !bytes.Equal(stored.Processes[0].Endpoints[0].Certificate, r.old) {
		t.Errorf("the stored entry changed: %v", err)
	}
}
