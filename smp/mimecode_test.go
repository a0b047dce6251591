package smp_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	p := filepath.Join(t.TempDir(), "mimecode.xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	schema, _ := filepath.Abs("testdata/xsd/smp2/ServiceMetadata-2.0.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, p).CombinedOutput(); err != nil {
		t.Errorf("not valid SMP 2.0: %v\n%s\n%s", err, out, doc)
	}
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
