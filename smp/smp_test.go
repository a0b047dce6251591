package smp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

func get(tb testing.TB, u string) []byte {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b
}

// TestSchemaSMP1 asks xmllint whether our SMP 1.0 documents are valid
// against the OASIS SMP 1.0 schema (with the W3C XML Signature schema).
func TestSchemaSMP1(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	store := smp.NewMemoryStore()
	store.PutParticipant(context.Background(), participant)
	m := f.metadata()
	m.Processes[0].Endpoints[0].Activation = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Processes[0].Endpoints[0].Expiration = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	store.PutServiceMetadata(context.Background(), m)
	redirected := smp.ID{Scheme: "oots-docid-qns", Value: "urn:redirected"}
	store.PutServiceMetadata(context.Background(), &smp.ServiceMetadata{Participant: participant, DocumentType: redirected,
		Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", CertificateUID: "CN=smp2,O=example,C=EU"}})
	// One process redirected (SMP 2.0): SMP 1.0 publishes the other alone;
	// every process redirected alike: SMP 1.0 redirects the document.
	mixed, allRedirected := mixedMetadata(f), smp.ID{Scheme: "oots-docid-qns", Value: "urn:all-redirected"}
	store.PutServiceMetadata(context.Background(), mixed)
	store.PutServiceMetadata(context.Background(), &smp.ServiceMetadata{Participant: participant, DocumentType: allRedirected,
		Processes: []smp.Process{{ID: process, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", CertificateUID: "CN=smp2"}}}})
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	dir := t.TempDir()
	docs := map[string][]byte{
		"group.xml":    get(t, hs.URL+"/"+participant.PathSegment()),
		"metadata.xml": get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+docType.PathSegment()),
		"redirect.xml": get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+redirected.PathSegment()),
		"mixed.xml":    get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+mixed.DocumentType.PathSegment()),
		"all.xml":      get(t, hs.URL+"/"+participant.PathSegment()+"/services/"+allRedirected.PathSegment()),
	}
	schema, _ := filepath.Abs("testdata/xsd/smp1/bdx-smp-201605.xsd")
	for name, b := range docs {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput()
		if err != nil {
			t.Errorf("%s is not valid SMP 1.0: %v\n%s\n%s", name, err, out, b)
		}
	}
	// What xmllint reads in them: the process with endpoints alone, and a
	// redirect of the whole document.
	for _, c := range []struct{ file, expr, want string }{
		{"mixed.xml", "count(//*[local-name()='Process'])", "1"},
		{"mixed.xml", "string(//*[local-name()='ProcessIdentifier'])", process.Value},
		{"all.xml", "string(//*[local-name()='Redirect']/@href)", "https://smp2.example.eu/"},
		{"all.xml", "count(//*[local-name()='ServiceInformation'])", "0"},
	} {
		if got := xpath(t, xmllint, filepath.Join(dir, c.file), c.expr); got != c.want {
			t.Errorf("%s: %s = %q, want %q", c.file, c.expr, got, c.want)
		}
	}
	// The schema is not a rubber stamp: an endpoint without a certificate
	// is refused.
	bad := bytes.Replace(docs["metadata.xml"], []byte("<Certificate>"), []byte("<Certificat>"), 1)
	p := filepath.Join(dir, "bad.xml")
	os.WriteFile(p, bad, 0o600)
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err == nil {
		t.Errorf("xmllint accepted a broken document:\n%s", out)
	}
}

// TestSchemaSMP2 asks xmllint whether our SMP 2.0 documents (signed
// service metadata and service group) are valid against the OASIS SMP 2.0
// schemas, and whether the other implementation's samples are too.
func TestSchemaSMP2(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	m := f.metadata()
	m.Processes[0].Endpoints[0].Activation = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Processes[0].Endpoints[0].Expiration = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	store := smp.NewMemoryStore()
	store.PutParticipant(context.Background(), participant)
	store.PutServiceMetadata(context.Background(), m)
	redirected := smp.ID{Scheme: "oots-docid-qns", Value: "urn:redirected"}
	store.PutServiceMetadata(context.Background(), &smp.ServiceMetadata{Participant: participant, DocumentType: redirected, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw}}})
	mixed := mixedMetadata(f)
	store.PutServiceMetadata(context.Background(), mixed)
	hs := f.server(t, store, smp.OASIS1, f.smpCred)
	dir := t.TempDir()
	base := hs.URL + smp.PathSMP2 + participant.PathSegment()
	for _, c := range []struct{ name, schema, url string }{
		{"group.xml", "ServiceGroup-2.0.xsd", base},
		{"metadata.xml", "ServiceMetadata-2.0.xsd", base + "/services/" + docType.PathSegment()},
		{"redirect.xml", "ServiceMetadata-2.0.xsd", base + "/services/" + redirected.PathSegment()},
		{"mixed.xml", "ServiceMetadata-2.0.xsd", base + "/services/" + mixed.DocumentType.PathSegment()},
		{"", "ServiceMetadata-2.0.xsd", "testdata/foreign/holodeck-smp2-servicemetadata-detailed.xml"},
		{"", "ServiceGroup-2.0.xsd", "testdata/foreign/holodeck-smp2-servicegroup-detailed.xml"},
	} {
		p := c.url
		if c.name != "" {
			p = filepath.Join(dir, c.name)
			os.WriteFile(p, get(t, c.url), 0o600)
		}
		schema, _ := filepath.Abs("testdata/xsd/smp2/" + c.schema)
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput()
		if err != nil {
			b, _ := os.ReadFile(p)
			t.Errorf("%s is not valid SMP 2.0: %v\n%s\n%s", p, err, out, b)
		}
	}
	// What xmllint reads in them: the redirect in the ProcessMetadata of
	// the processes redirected, with its two certificates, beside the
	// endpoints of the other process; the whole-document redirect in one
	// ProcessMetadata without Process.
	const pm, withRedirect = "//*[local-name()='ProcessMetadata']", "[*[local-name()='Redirect']]"
	for _, c := range []struct{ file, expr, want string }{
		{"mixed.xml", "count(" + pm + ")", "2"},
		{"mixed.xml", "count(" + pm + withRedirect + "/*[local-name()='Process'])", "2"},
		{"mixed.xml", "string(" + pm + withRedirect + "/*[local-name()='Process'][2]/*[local-name()='ID'])", "urn:oots:process:redirected-too"},
		{"mixed.xml", "count(" + pm + withRedirect + "/*[local-name()='Endpoint'])", "0"},
		{"mixed.xml", "count(" + pm + withRedirect + "/*[local-name()='Redirect']/*[local-name()='Certificate'])", "2"},
		{"mixed.xml", "string(" + pm + "[*[local-name()='Endpoint']]/*[local-name()='Process']/*[local-name()='ID'])", process.Value},
		{"redirect.xml", "count(" + pm + ")", "1"},
		{"redirect.xml", "count(" + pm + "/*[local-name()='Process'])", "0"},
		{"redirect.xml", "count(" + pm + "/*[local-name()='Redirect']/*[local-name()='Certificate'])", "2"},
	} {
		if got := xpath(t, xmllint, filepath.Join(dir, c.file), c.expr); got != c.want {
			t.Errorf("%s: %s = %q, want %q", c.file, c.expr, got, c.want)
		}
	}
}

// validSMP2 writes doc to a file named name in a new directory, has xmllint
// validate it against the OASIS SMP 2.0 schema (an error of t when it is not
// valid, label naming the case) and returns the file, for xpath.
func validSMP2(t *testing.T, xmllint, name, label string, doc []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	schema, _ := filepath.Abs("testdata/xsd/smp2/ServiceMetadata-2.0.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err != nil {
		t.Errorf("%snot valid SMP 2.0: %v\n%s\n%s", label, err, out, doc)
	}
	return p
}

// xpath returns what xmllint makes of an XPath expression on a file.
func xpath(t *testing.T, xmllint, file, expr string) string {
	t.Helper()
	out, err := exec.Command(xmllint, "--nonet", "--xpath", expr, file).Output()
	if err != nil && len(out) == 0 {
		// xmllint fails on an empty result; the empty string is the answer.
		return ""
	}
	return strings.TrimSpace(string(out))
}

// mixedMetadata is service metadata of a document type received in three
// processes: the fixture's with its endpoint, two others redirected (SMP
// 2.0) to another SMP, which signs with either of two certificates.
func mixedMetadata(f *fixture) *smp.ServiceMetadata {
	m := f.metadata()
	m.DocumentType = smp.ID{Scheme: "oots-docid-qns", Value: "urn:mixed"}
	r := &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw}}
	m.Processes = append(m.Processes,
		smp.Process{ID: smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:redirected"}, Redirect: r},
		smp.Process{ID: smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:redirected-too"}, Redirect: r})
	return m
}

// TestForeignPeppol reads service metadata published by another SMP
// implementation (a Peppol production SMP's answer, kept as test data).
func TestForeignPeppol(t *testing.T) {
	b, err := os.ReadFile("testdata/foreign/peppol-netedi-signed-service-metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, fl, err := smp.ParseServiceMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if fl != smp.Peppol || m.Participant.String() != "iso6523-actorid-upis::0088:5026744000002" ||
		!strings.HasPrefix(m.DocumentType.Value, "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##") ||
		len(m.Processes) != 1 || m.Processes[0].ID.String() != "cenbii-procid-ubl::urn:www.cenbii.eu:profile:bii05:ver2.0" {
		t.Fatalf("got %s %+v", fl, m)
	}
	e := m.Processes[0].Endpoints[0]
	if e.URL != "https://peppol.netedi.com/receive.aspx" || e.TransportProfile != "busdox-transport-as2-ver1p0" ||
		!e.Expiration.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) || e.Contact != "support@netedi.co.uk" {
		t.Fatalf("endpoint %+v", e)
	}
	// Its signature (RSA-SHA1, SHA-1 digest, no explicit c14n transform) is
	// not one a client of ours accepts: refused with a reason.
	_, _, _, err = smp.VerifyServiceMetadata(b, trust.NewStore(), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if !errors.Is(err, smp.ErrSignature) || !strings.Contains(err.Error(), "rsa-sha1") {
		t.Fatalf("verify: %v", err)
	}
}

// TestForeignPeppolInclusiveC14N: the NetEDI answer's reference has the
// enveloped-signature transform alone, so what it digests is the document
// in inclusive Canonical XML 1.0, which is what phoss-SMP signs too. Our
// canonical form of it is the one libxmlsec1 computes (its pre-digest
// data, which xmlsec1 --store-references prints). The digest itself does
// not hold for either: the kept copy was reformatted after it was signed.
func TestForeignPeppolInclusiveC14N(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	const file = "testdata/foreign/peppol-netedi-signed-service-metadata.xml"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := d.Root.Child(xmldsig.Namespace, "Signature")
	cert := strings.Join(strings.Fields(sig.Child(xmldsig.Namespace, "KeyInfo").Child(xmldsig.Namespace, "X509Data").Child(xmldsig.Namespace, "X509Certificate").Text()), "")
	der, err := base64.StdEncoding.DecodeString(cert)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "smp.pem")
	os.WriteFile(pemFile, pki.CertPEM(parsed), 0o600)
	// xmlsec1 fails the verification (the digest); its standard output
	// still holds what it digested.
	out, _ := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", pemFile, "--store-references", file).Output()
	const start, end = "== PreDigest data - start buffer:\n", "\n== PreDigest data - end buffer"
	i := bytes.Index(out, []byte(start))
	j := bytes.Index(out, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("no pre-digest data in xmlsec1's output:\n%s", out)
	}
	theirs := out[i+len(start) : j]
	d.Root.RemoveChild(sig)
	var ours bytes.Buffer
	if err := xmltree.CanonicalizeInclusive(&ours, d.Root); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours.Bytes(), theirs) {
		t.Errorf("our inclusive canonical form differs from libxmlsec1's:\n%s\n---\n%s", ours.Bytes(), theirs)
	}
}

func TestRoundTrip(t *testing.T) {
	f := getFixture(t)
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2, smp.Peppol} {
		t.Run(string(fl), func(t *testing.T) {
			m := f.metadata()
			m.Processes[0].Endpoints[0].Expiration = time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
			var b bytes.Buffer
			root := smp.ServiceMetadataElement(m, fl)
			if err := writeXML(&b, root); err != nil {
				t.Fatal(err)
			}
			got, gf, err := smp.ParseServiceMetadata(b.Bytes())
			if err != nil || gf != fl {
				t.Fatalf("%s %v\n%s", gf, err, b.Bytes())
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", m) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
			}
			// A redirect: SMP 2.0 keeps every certificate it carries, SMP
			// 1.0 and Peppol have none but the certificate's UID.
			r := &smp.ServiceMetadata{Redirect: &smp.Redirect{URL: "https://smp2.example.eu/"}}
			if fl == smp.OASIS2 {
				r.Participant, r.DocumentType = participant, docType
				r.Redirect.Certificates = [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw}
			} else {
				r.Redirect.CertificateUID = "CN=smp2,O=example,C=EU"
			}
			b.Reset()
			if err := writeXML(&b, smp.ServiceMetadataElement(r, fl)); err != nil {
				t.Fatal(err)
			}
			if got, _, err := smp.ParseServiceMetadata(b.Bytes()); err != nil || !reflect.DeepEqual(got, r) {
				t.Errorf("redirect round trip: %v\n got %+v\nwant %+v\n%s", err, got, r, b.Bytes())
			}
			g := &smp.ServiceGroup{Participant: participant, DocumentTypes: []smp.ID{docType}}
			b.Reset()
			writeXML(&b, smp.ServiceGroupElement(g, fl, func(d smp.ID) string {
				return "http://smp.example.eu/" + participant.PathSegment() + "/services/" + d.PathSegment()
			}))
			gg, gf, err := smp.ParseServiceGroup(b.Bytes())
			if err != nil || gf != fl || fmt.Sprint(gg) != fmt.Sprint(g) {
				t.Fatalf("group %s %+v %v\n%s", gf, gg, err, b.Bytes())
			}
		})
	}
}

const zone = "sml.smp.test.example"

// discoveryNet is the acceptance set-up: a real DNS server (dnsmasq)
// publishing BDXL records that point at our SMP server over HTTP.
type discoveryNet struct {
	dns       string
	good, bad *httptest.Server // our SMP; one signing with an untrusted key
}

func name(tb testing.TB, value string) string {
	tb.Helper()
	n, err := bdxl.Name(bdxl.Participant{Scheme: smp.SchemeParticipantISO6523, Value: value}, zone)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func startNet(t *testing.T) (*fixture, *discoveryNet) {
	f := getFixture(t)
	store := f.populated(t, smp.NewMemoryStore())
	// Another registered participant without the document type.
	other := smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:other"}
	store.PutParticipant(context.Background(), other)
	n := &discoveryNet{
		good: f.server(t, store, smp.OASIS1, f.smpCred),
		bad:  f.server(t, f.populated(t, smp.NewMemoryStore()), smp.OASIS1, f.rogue),
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tamper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(n.good.URL + r.URL.EscapedPath())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		w.Write(bytes.Replace(b, []byte("https://ap.example.eu/as4"), []byte("https://attacker.example.eu/as4"), 1))
	}))
	t.Cleanup(tamper.Close)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<SignedServiceMetadata>"))
		w.Write(bytes.Repeat([]byte("<x/>"), 1<<19))
	}))
	t.Cleanup(huge.Close)
	rec := func(value, u string) dnstest.Record {
		return dnstest.Record{Name: name(t, value), Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!" + u + "!"}
	}
	n.dns = dnstest.Start(t, zone, []dnstest.Record{
		rec("0088:5798000000001", n.good.URL),
		rec("0088:other", n.good.URL),
		rec("0088:notinsmp", n.good.URL),
		rec("0088:rogue", n.bad.URL),
		rec("0088:down", downURL),
		rec("0088:tampered", tamper.URL),
		rec("0088:huge", huge.URL),
		{Name: name(t, "0088:loop"), Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: "l1." + zone},
		{Name: "l1." + zone, Order: 100, Preference: 10, Service: "Meta:SMP", Replacement: name(t, "0088:loop")},
	})
	return f, n
}

func (n *discoveryNet) client(f *fixture, fl smp.Flavour) *smp.Client {
	return &smp.Client{
		BDXL:    &bdxl.Resolver{DNS: &csdiscovery.Client{Server: n.dns}, Zone: zone, AllowHTTP: true},
		Flavour: fl,
		Trust:   f.trust,
		HTTP:    &http.Client{Timeout: 5 * time.Second},
	}
}

// TestDiscovery: BDXL in a real DNS server, then our SMP over HTTP, for
// both OASIS SMP versions and the Peppol flavour.
func TestDiscovery(t *testing.T) {
	f, n := startNet(t)
	ctx := context.Background()
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2} {
		t.Run(string(fl), func(t *testing.T) {
			c := n.client(f, fl)
			tg, err := c.Resolve(ctx, participant, docType, process)
			if err != nil {
				t.Fatal(err)
			}
			if tg.URL != "https://ap.example.eu/as4" || !tg.Certificate.Equal(f.ap.Sign.Cert) || tg.TransportProfile != smp.TransportEBMS3AS4 || !tg.Signer.Equal(f.smpCred.Sign.Cert) {
				t.Fatalf("target %+v", tg)
			}
			if fl == smp.OASIS2 && !strings.Contains(tg.SMP, smp.PathSMP2) {
				t.Errorf("SMP 2.0 answer from %s", tg.SMP)
			}
			// Participant identifiers are case-insensitive.
			if _, err := c.Resolve(ctx, smp.ID{Scheme: "ISO6523-ACTORID-UPIS", Value: "0088:5798000000001"}, docType, process); err != nil {
				t.Errorf("upper case: %v", err)
			}
			for _, tc := range []struct {
				value   string
				doc     smp.ID
				process smp.ID
				kind    error
				also    error
			}{
				{"0088:unregistered", docType, process, smp.ErrParticipantUnknown, bdxl.ErrNotRegistered},
				{"0088:notinsmp", docType, process, smp.ErrParticipantUnknown, nil},
				{"0088:other", docType, process, smp.ErrDocumentNotRegistered, nil},
				{"0088:5798000000001", smp.ID{Scheme: "oots-docid-qns", Value: "urn:unknown"}, process, smp.ErrDocumentNotRegistered, nil},
				{"0088:5798000000001", docType, smp.ID{Scheme: "oots-procid", Value: "urn:other"}, smp.ErrDocumentNotRegistered, nil},
				{"0088:down", docType, process, smp.ErrUnreachable, nil},
				{"0088:rogue", docType, process, smp.ErrBadAnswer, smp.ErrUntrusted},
				{"0088:tampered", docType, process, smp.ErrBadAnswer, smp.ErrSignature},
				{"0088:huge", docType, process, smp.ErrBadAnswer, nil},
				{"0088:loop", docType, process, smp.ErrBadAnswer, bdxl.ErrBadRecord},
			} {
				p := smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: tc.value}
				if tc.value == "0088:rogue" || tc.value == "0088:tampered" || tc.value == "0088:huge" {
					// These SMPs know the fixture's participant only.
					p = participant
				}
				cl := c
				if p == participant {
					cl = n.clientFor(t, f, fl, tc.value)
				}
				_, err := cl.Resolve(ctx, p, tc.doc, tc.process)
				if !errors.Is(err, tc.kind) || tc.also != nil && !errors.Is(err, tc.also) {
					t.Errorf("%s: got %v, want %v / %v", tc.value, err, tc.kind, tc.also)
					continue
				}
				t.Logf("%s: %v", tc.value, err)
			}
		})
	}
}

// clientFor returns a client whose fixed SMP is the one the BDXL record of
// value points at, so that the fixture's participant is asked of it.
func (n *discoveryNet) clientFor(t *testing.T, f *fixture, fl smp.Flavour, value string) *smp.Client {
	t.Helper()
	u, err := (&bdxl.Resolver{DNS: &csdiscovery.Client{Server: n.dns}, Zone: zone, AllowHTTP: true}).Lookup(context.Background(), bdxl.Participant{Scheme: smp.SchemeParticipantISO6523, Value: value})
	if err != nil {
		if value == "0088:5798000000001" {
			t.Fatal(err)
		}
		return n.client(f, fl)
	}
	c := n.client(f, fl)
	c.BDXL, c.SMP = nil, u.String()
	return c
}

// TestForeignHolodeck reads the SMP 1.0 and 2.0 sample documents of
// another SMP client implementation (Holodeck B2B's), kept as test data.
func TestForeignHolodeck(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/foreign/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := smp.ID{Scheme: "urn:oasis:tc:ebcore:partyid-type:unregistered", Value: "holodeckb2b-test"}
	doc17 := smp.ID{Scheme: "bdx-docid-qns", Value: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017"}

	m, fl, err := smp.ParseServiceMetadata(read("holodeck-smp2-servicemetadata-detailed.xml"))
	if err != nil || fl != smp.OASIS2 {
		t.Fatalf("SMP 2.0 metadata: %s %v", fl, err)
	}
	if m.Participant != want || m.DocumentType != doc17 || len(m.Processes) != 1 || m.Processes[0].ID != (smp.ID{Value: "urn:cen.eu:en16931:2017"}) {
		t.Fatalf("SMP 2.0 metadata: %+v", m)
	}
	e := m.Processes[0].Endpoints[0]
	cert, err := x509.ParseCertificate(e.Certificate)
	if err != nil || cert.Subject.CommonName != "partya.examples.holodeck-b2b.com" {
		t.Fatalf("certificate: %v %v", cert, err)
	}
	// ActivationDate 2022-02-24+01:00, ExpirationDate 2024-01-01+01:00: in
	// service from the start of the one to the end of the other, there.
	if e.URL != "https://ap.sample.holodeck-b2b.org/" || e.TransportProfile != smp.TransportEBMS3AS4 || e.Contact != "sander at holodeck-b2b.org" ||
		!e.Activation.Equal(time.Date(2022, 2, 24, 0, 0, 0, 0, time.FixedZone("", 3600))) || !e.Expiration.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.FixedZone("", 3600))) {
		t.Fatalf("endpoint %+v", e)
	}

	g, fl, err := smp.ParseServiceGroup(read("holodeck-smp2-servicegroup-detailed.xml"))
	if err != nil || fl != smp.OASIS2 || g.Participant != want || len(g.DocumentTypes) != 2 || g.DocumentTypes[1] != doc17 {
		t.Fatalf("SMP 2.0 group: %s %+v %v", fl, g, err)
	}

	m, fl, err = smp.ParseServiceMetadata(read("holodeck-smp1-unsigned-servicemetadata.xml"))
	if err != nil || fl != smp.OASIS1 || m.Participant != want || m.DocumentType != doc17 ||
		m.Processes[0].Endpoints[0].URL != "https://ap.sample.holodeck-b2b.org/" || len(m.Processes[0].Endpoints[0].Certificate) != 0 {
		t.Fatalf("SMP 1.0 metadata: %s %+v %v", fl, m, err)
	}
	// Unsigned: a client refuses it.
	if _, _, _, err := smp.VerifyServiceMetadata(read("holodeck-smp1-unsigned-servicemetadata.xml"), trust.NewStore(), time.Now()); !errors.Is(err, smp.ErrSignature) || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("unsigned accepted or unclear: %v", err)
	}
}

// TestSignatureXMLSec asks libxmlsec1 to verify the enveloped signatures of
// our served SMP 1.0, 2.0 and Peppol documents, and to refuse a tampered
// one.
func TestSignatureXMLSec(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	f := getFixture(t)
	store := f.populated(t, smp.NewMemoryStore())
	dir := t.TempDir()
	cert := filepath.Join(dir, "smp.pem")
	os.WriteFile(cert, pki.CertPEM(f.smpCred.Sign.Cert), 0o600)
	check := func(name string, doc []byte) error {
		p := filepath.Join(dir, name)
		os.WriteFile(p, doc, 0o600)
		out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", cert, p).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	path := "/" + participant.PathSegment() + "/services/" + docType.PathSegment()
	for _, c := range []struct {
		fl  smp.Flavour
		url string
	}{
		{smp.OASIS1, path},
		{smp.Peppol, path},
		{smp.OASIS1, strings.TrimSuffix(smp.PathSMP2, "/") + path},
	} {
		hs := f.server(t, store, c.fl, f.smpCred)
		doc := get(t, hs.URL+c.url)
		if err := check("doc.xml", doc); err != nil {
			t.Errorf("%s %s: xmlsec1 rejects our signature: %v\n%s", c.fl, c.url, err, doc)
		}
		bad := bytes.Replace(doc, []byte("https://ap.example.eu/as4"), []byte("https://evil.example.eu/as4"), 1)
		if err := check("bad.xml", bad); err == nil {
			t.Errorf("%s %s: xmlsec1 accepted a tampered document", c.fl, c.url)
		}
	}
}

// TestPhossSignatures: service metadata signed by libxmlsec1 as phoss-SMP
// signs it (Canonical XML 1.0 for Peppol and SMP 1.0, 1.1 for SMP 2.0, the
// reference with the enveloped-signature transform alone) verifies, and a
// changed endpoint does not.
func TestPhossSignatures(t *testing.T) {
	xmlsec := testenv.Tool(t, "xmlsec1")
	f := getFixture(t)
	dir := t.TempDir()
	keyPEM, err := pki.KeyPEM(f.smpCred.Sign.Signer())
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	os.WriteFile(keyFile, keyPEM, 0o600)
	os.WriteFile(certFile, pki.CertPEM(f.smpCred.Sign.Cert), 0o600)
	for _, c := range []struct {
		fl   smp.Flavour
		c14n xmldsig.Transform
	}{{smp.Peppol, xmldsig.C14N10}, {smp.OASIS1, xmldsig.C14N10}, {smp.OASIS2, xmldsig.C14N11}} {
		t.Run(string(c.fl), func(t *testing.T) {
			var b bytes.Buffer
			if err := writeXML(&b, smp.ServiceMetadataElement(f.metadata(), c.fl)); err != nil {
				t.Fatal(err)
			}
			doc := b.String()
			end := strings.LastIndex(doc, "</")
			tmpl := doc[:end] + `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
				`<ds:CanonicalizationMethod Algorithm="` + string(c.c14n) + `"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
				`<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>` +
				`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>` +
				`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>` + doc[end:]
			in, out := filepath.Join(dir, "tmpl.xml"), filepath.Join(dir, "signed.xml")
			os.WriteFile(in, []byte(tmpl), 0o600)
			if b, err := exec.Command(xmlsec, "--sign", "--privkey-pem", keyFile+","+certFile, "--output", out, in).CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
			}
			signed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			at := f.ap.Sign.Cert.NotBefore.Add(time.Hour)
			m, fl, _, err := smp.VerifyServiceMetadata(signed, f.trust, at)
			if err != nil || fl != c.fl || m.Processes[0].Endpoints[0].URL != "https://ap.example.eu/as4" {
				t.Fatalf("VerifyServiceMetadata = %s, %v\n%s", fl, err, signed)
			}
			changed := bytes.Replace(signed, []byte("https://ap.example.eu/as4"), []byte("https://ap.evil.example/as4"), 1)
			if _, _, _, err := smp.VerifyServiceMetadata(changed, f.trust, at); !errors.Is(err, smp.ErrSignature) {
				t.Errorf("a changed endpoint: %v, want ErrSignature", err)
			}
		})
	}
}

// TestResolveStatus: an SMP that answers that it is overloaded (429) or
// timed out (408) is unreachable for now, as one with a server error is,
// so the message is tried again; other refusals are a bad answer.
func TestResolveStatus(t *testing.T) {
	f := getFixture(t)
	for _, c := range []struct {
		status int
		kind   error
	}{
		{http.StatusTooManyRequests, smp.ErrUnreachable},
		{http.StatusRequestTimeout, smp.ErrUnreachable},
		{http.StatusServiceUnavailable, smp.ErrUnreachable},
		{http.StatusForbidden, smp.ErrBadAnswer},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(c.status)
		}))
		cl := &smp.Client{SMP: srv.URL, Flavour: smp.OASIS1, Trust: f.trust, HTTP: srv.Client()}
		_, err := cl.Resolve(context.Background(), participant, docType, process)
		srv.Close()
		if !errors.Is(err, c.kind) {
			t.Errorf("HTTP %d: %v, want %v", c.status, err, c.kind)
		}
	}
}
