package smp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

// redirected is a process the tests' first SMP redirects to another SMP.
var redirected = smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:redirected"}

// TestProcessRedirect: in SMP 2.0 a Redirect belongs to the ProcessMetadata
// holding it. The client follows it for the processes that ProcessMetadata
// lists, and uses the endpoints of the other ProcessMetadata for theirs,
// without asking the other SMP.
func TestProcessRedirect(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	other, err := pki.Issue(f.ca, "smp2.example.eu", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	// SMP B serves the redirected process, signed by its own key.
	storeB := smp.NewMemoryStore()
	storeB.PutParticipant(ctx, participant)
	atB := f.metadata()
	atB.Processes[0].ID = redirected
	atB.Processes[0].Endpoints[0].URL = "https://ap-b.example.eu/as4"
	if err := storeB.PutServiceMetadata(ctx, atB); err != nil {
		t.Fatal(err)
	}
	srvB, err := smp.NewServer(smp.Config{Store: storeB, Key: other.Sign.Signer(), Certificate: other.Sign.Cert})
	if err != nil {
		t.Fatal(err)
	}
	hsB, asked := countingServer(t, srvB)

	// SMP A: the fixture's process has endpoints here; the other process
	// is redirected to B.
	storeA := smp.NewMemoryStore()
	storeA.PutParticipant(ctx, participant)
	atA := f.metadata()
	atA.Processes = append(atA.Processes, smp.Process{ID: redirected, Redirect: &smp.Redirect{URL: hsB.URL, Certificates: [][]byte{other.Sign.Cert.Raw}}})
	if err := atA.Validate(); err != nil {
		t.Fatal(err)
	}
	storeA.PutServiceMetadata(ctx, atA)
	hsA := f.server(t, storeA, smp.OASIS1, f.smpCred)
	c := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1}

	tg, err := c.Resolve(ctx, participant, docType, process)
	if err != nil || tg.URL != "https://ap.example.eu/as4" || !tg.Signer.Equal(f.smpCred.Sign.Cert) || !strings.HasPrefix(tg.SMP, hsA.URL) || asked.Load() != 0 {
		t.Fatalf("the process with endpoints here: %+v %v (the other SMP asked %d times)", tg, err, asked.Load())
	}
	tg, err = c.Resolve(ctx, participant, docType, redirected)
	if err != nil || tg.URL != "https://ap-b.example.eu/as4" || !tg.Signer.Equal(other.Sign.Cert) || !strings.HasPrefix(tg.SMP, hsB.URL) || asked.Load() != 1 {
		t.Fatalf("the redirected process: %+v %v (the other SMP asked %d times)", tg, err, asked.Load())
	}
	// A process no ProcessMetadata lists is not registered; the redirect
	// of another process is not followed for it.
	if _, err := c.Resolve(ctx, participant, docType, smp.ID{Scheme: "oots-procid", Value: "urn:unlisted"}); !errors.Is(err, smp.ErrDocumentNotRegistered) || asked.Load() != 1 {
		t.Fatalf("an unlisted process: %v (the other SMP asked %d times)", err, asked.Load())
	}

	// SMP 1.0 cannot redirect one process: its document has the other
	// process alone.
	c1 := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS1, Trust: f.trust, CacheTTL: -1}
	if tg, err := c1.Resolve(ctx, participant, docType, process); err != nil || tg.URL != "https://ap.example.eu/as4" {
		t.Fatalf("SMP 1.0, the process with endpoints: %+v %v", tg, err)
	}
	if _, err := c1.Resolve(ctx, participant, docType, redirected); !errors.Is(err, smp.ErrDocumentNotRegistered) {
		t.Fatalf("SMP 1.0, the redirected process: %v", err)
	}

	// B redirecting the process again is refused; B redirecting another
	// process is no concern.
	storeB.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType,
		Processes: []smp.Process{{ID: redirected, Redirect: &smp.Redirect{URL: hsA.URL}}}})
	if _, err := c.Resolve(ctx, participant, docType, redirected); !errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), "redirects again") {
		t.Fatalf("redirected again: %v", err)
	}
	atB.Processes = append(atB.Processes, smp.Process{ID: process, Redirect: &smp.Redirect{URL: hsA.URL}})
	storeB.PutServiceMetadata(ctx, atB)
	if tg, err := c.Resolve(ctx, participant, docType, redirected); err != nil || tg.URL != "https://ap-b.example.eu/as4" {
		t.Fatalf("B redirecting another process: %+v %v", tg, err)
	}

	// A ProcessMetadata without Process (as another SMP 2.0 may publish
	// it; ours publishes processes by name) is for any process: its
	// redirect is followed for a process no other ProcessMetadata lists.
	atA.Processes[1].ID = smp.ID{}
	storeA.PutServiceMetadata(ctx, atA)
	if tg, err := c.Resolve(ctx, participant, docType, process); err != nil || tg.URL != "https://ap.example.eu/as4" {
		t.Fatalf("a listed process beside a redirect for any process: %+v %v", tg, err)
	}
	if tg, err := c.Resolve(ctx, participant, docType, redirected); err != nil || tg.URL != "https://ap-b.example.eu/as4" {
		t.Fatalf("an unlisted process, redirected for any process: %+v %v", tg, err)
	}
}

// TestReadProcessRedirect reads SMP 2.0 documents whose redirects are for
// some processes, writes them back and reads them again to the same model,
// and refuses inconsistent ones, saying what is wrong.
func TestReadProcessRedirect(t *testing.T) {
	f := getFixture(t)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	cert := func(der []byte) string {
		return `<sma:Certificate><smb:ContentBinaryObject mimeCode="application/base64">` + b64(der) + `</smb:ContentBinaryObject></sma:Certificate>`
	}
	endpoint := `<sma:Endpoint><smb:TransportProfileID>` + smp.TransportEBMS3AS4 + `</smb:TransportProfileID><smb:AddressURI>https://ap.example.eu/as4</smb:AddressURI>` + cert(f.ap.Sign.Cert.Raw) + `</sma:Endpoint>`
	redirect := `<sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` + cert(f.smpCred.Sign.Cert.Raw) + cert(f.ap.Sign.Cert.Raw) + `</sma:Redirect>`
	proc := func(v string) string {
		return `<sma:Process><smb:ID schemeID="oots-procid">` + v + `</smb:ID></sma:Process>`
	}
	doc := func(pms ...string) []byte {
		return []byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
			`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
			`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
			strings.Join(pms, "") + `</se:ServiceMetadata>`)
	}
	pm := func(parts ...string) string {
		return `<sma:ProcessMetadata>` + strings.Join(parts, "") + `</sma:ProcessMetadata>`
	}

	m, _, err := smp.ParseServiceMetadata(doc(pm(proc(process.Value), endpoint), pm(proc("urn:p2"), proc("urn:p3"), redirect)))
	if err != nil {
		t.Fatal(err)
	}
	r := &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw}}
	if m.Redirect != nil || len(m.Processes) != 3 || m.Processes[0].ID != process || m.Processes[0].Redirect != nil || len(m.Processes[0].Endpoints) != 1 ||
		m.Processes[1].ID.Value != "urn:p2" || m.Processes[2].ID.Value != "urn:p3" ||
		!reflect.DeepEqual(m.Processes[1].Redirect, r) || !reflect.DeepEqual(m.Processes[2].Redirect, r) || len(m.Processes[1].Endpoints)+len(m.Processes[2].Endpoints) != 0 {
		t.Fatalf("read %+v", m)
	}
	// Written as read: the two redirected processes share one
	// ProcessMetadata again.
	var out bytes.Buffer
	if err := writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "<cac:ProcessMetadata>"); n != 2 {
		t.Errorf("written with %d ProcessMetadata, want 2:\n%s", n, out.Bytes())
	}
	again, _, err := smp.ParseServiceMetadata(out.Bytes())
	if err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("read again: %v\n got %+v\nwant %+v", err, again, m)
	}

	// The one ProcessMetadata, a Redirect for any process: the document
	// redirects as a whole.
	m, _, err = smp.ParseServiceMetadata(doc(pm(redirect)))
	if err != nil || !reflect.DeepEqual(m.Redirect, r) || len(m.Processes) != 0 {
		t.Fatalf("a whole-document redirect: %+v %v", m, err)
	}
	// Beside another ProcessMetadata, a Redirect without Process is for
	// any process the others do not list.
	m, _, err = smp.ParseServiceMetadata(doc(pm(proc(process.Value), endpoint), pm(redirect)))
	if err != nil || m.Redirect != nil || len(m.Processes) != 2 || m.Processes[1].ID != (smp.ID{}) || !reflect.DeepEqual(m.Processes[1].Redirect, r) {
		t.Fatalf("a redirect for any process: %+v %v", m, err)
	}
	out.Reset()
	writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2))
	if again, _, err := smp.ParseServiceMetadata(out.Bytes()); err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("a redirect for any process, read again: %v %+v\n%s", err, again, out.Bytes())
	}

	for _, c := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"endpoint and redirect", doc(pm(proc("urn:p2"), endpoint, redirect)), "ProcessMetadata 1 has both cac:Endpoint and cac:Redirect"},
		{"two redirects", doc(pm(proc("urn:p2"), redirect, redirect)), "ProcessMetadata 1 has 2 cac:Redirect elements"},
		{"endpoints, then a redirect", doc(pm(proc("urn:p2"), endpoint), pm(proc("urn:p2"), redirect)), "process oots-procid::urn:p2 has endpoints in one ProcessMetadata and a redirect in another"},
		{"a redirect, then endpoints", doc(pm(redirect), pm(endpoint)), "any process (a ProcessMetadata without Process) has endpoints in one ProcessMetadata and a redirect in another"},
		{"two redirects apart", doc(pm(proc("urn:p2"), redirect), pm(proc("urn:p2"), strings.Replace(redirect, "smp2.example.eu", "smp3.example.eu", 1))), "has two redirects, to https://smp2.example.eu/ and to https://smp3.example.eu/"},
		{"two redirects to one SMP apart", doc(pm(proc("urn:p2"), redirect), pm(proc("urn:p2"), strings.Replace(redirect, b64(f.ap.Sign.Cert.Raw), b64(f.smpCred.Sign.Cert.Raw), 1))),
			"has two redirects to https://smp2.example.eu/ that differ in their certificates, their dates, their mimeCodes, their TypeCodes or their descriptions"},
		{"two redirects to one SMP, TypeCodes apart", doc(pm(proc("urn:p2"), redirect), pm(proc("urn:p2"), strings.Replace(redirect, "<sma:Certificate>", "<sma:Certificate><smb:TypeCode>sign-and-encrypt</smb:TypeCode>", 1))),
			"has two redirects to https://smp2.example.eu/ that differ"},
		{"two redirects to one SMP, descriptions apart", doc(pm(proc("urn:p2"), redirect), pm(proc("urn:p2"), strings.Replace(redirect, "<sma:Certificate>", "<sma:Certificate><smb:Description>the old key</smb:Description>", 1))),
			"has two redirects to https://smp2.example.eu/ that differ"},
		{"no PublisherURI", doc(pm(proc("urn:p2"), `<sma:Redirect>`+cert(f.smpCred.Sign.Cert.Raw)+`</sma:Redirect>`)), "cac:Redirect without cbc:PublisherURI"},
		{"a bad certificate", doc(pm(proc("urn:p2"), strings.Replace(redirect, b64(f.ap.Sign.Cert.Raw), "!!", 1))), "redirect to https://smp2.example.eu/, certificate 2"},
	} {
		_, _, err := smp.ParseServiceMetadata(c.doc)
		if !errors.Is(err, smp.ErrBadDocument) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestValidateProcessRedirect: what the server publishes of redirected
// processes must be sayable in every flavour.
func TestValidateProcessRedirect(t *testing.T) {
	f := getFixture(t)
	to := func(u string) *smp.Redirect { return &smp.Redirect{URL: u} }
	for _, c := range []struct {
		name  string
		procs []smp.Process
		want  string // "" valid
	}{
		{"one process redirected", []smp.Process{f.metadata().Processes[0], {ID: redirected, Redirect: to("https://smp2.example.eu/")}}, ""},
		{"all redirected alike", []smp.Process{{ID: process, Redirect: to("https://smp2.example.eu/")}, {ID: redirected, Redirect: to("https://smp2.example.eu/")}}, ""},
		{"all redirected, not alike", []smp.Process{{ID: process, Redirect: to("https://smp2.example.eu/")}, {ID: redirected, Redirect: to("https://smp3.example.eu/")}}, "every process is redirected, not all alike"},
		{"endpoints and a redirect", []smp.Process{{ID: process, Endpoints: f.metadata().Processes[0].Endpoints, Redirect: to("https://smp2.example.eu/")}}, "process oots-procid::urn:oots:process:evidence-exchange has both endpoints and a redirect"},
		{"listed twice", []smp.Process{f.metadata().Processes[0], {ID: process, Redirect: to("https://smp2.example.eu/")}}, "is listed twice, and redirected in one of them"},
		{"no URL", []smp.Process{f.metadata().Processes[0], {ID: redirected, Redirect: to("")}}, `the redirect URL "" of process oots-procid::urn:oots:process:redirected is not a URL`},
	} {
		m := &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Processes: c.procs}
		err := m.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// All redirected alike: SMP 1.0 and Peppol documents redirect as a
	// whole.
	m := &smp.ServiceMetadata{Participant: participant, DocumentType: docType,
		Processes: []smp.Process{{ID: process, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", CertificateUID: "CN=smp2"}}}}
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.Peppol} {
		var b bytes.Buffer
		writeXML(&b, smp.ServiceMetadataElement(m, fl))
		got, _, err := smp.ParseServiceMetadata(b.Bytes())
		if err != nil || !reflect.DeepEqual(got.Redirect, m.Processes[0].Redirect) {
			t.Errorf("%s: %+v %v\n%s", fl, got, err, b.Bytes())
		}
	}
}

// TestRedirectFromAnother: a signed SMP 2.0 document that redirects, but
// names another participant or document type than asked (another's
// document, replayed or misfiled), is refused before its redirect is
// followed, though the SMP it redirects to answers for the participant
// asked; the answer of the SMP redirected to is held to the same.
func TestRedirectFromAnother(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	other, hsB, asked := f.smpB(t)

	// Documents signed by the trusted first SMP, redirecting to B, each
	// served whatever is asked.
	someoneElse := smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:5798000000002"}
	anotherDoc := smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:another-document"}
	signed := func(p, d smp.ID, whole bool) []byte {
		t.Helper()
		store := smp.NewMemoryStore()
		store.PutParticipant(ctx, p)
		m := &smp.ServiceMetadata{Participant: p, DocumentType: d}
		if whole {
			m.Redirect = &smp.Redirect{URL: hsB.URL}
		} else {
			m.Processes = []smp.Process{{ID: process, Redirect: &smp.Redirect{URL: hsB.URL}}, {ID: redirected, Endpoints: f.metadata().Processes[0].Endpoints}}
		}
		if err := store.PutServiceMetadata(ctx, m); err != nil {
			t.Fatal(err)
		}
		hs := f.server(t, store, smp.OASIS1, f.smpCred)
		return get(t, hs.URL+smp.PathSMP2+p.PathSegment()+"/services/"+d.PathSegment())
	}
	for _, c := range []struct {
		name  string
		doc   []byte
		want  string // "" followed
		asked int32  // B's requests after the lookup
	}{
		{"the participant and document type asked", signed(participant, docType, true), "", 1},
		{"the participant asked in other case", signed(smp.ID{Scheme: participant.Scheme, Value: strings.ToUpper(participant.Value)}, docType, true), "", 2},
		{"another participant", signed(someoneElse, docType, true), "the document redirecting to " + hsB.URL + " is about participant " + someoneElse.String(), 2},
		{"another document type", signed(participant, anotherDoc, true), "is about document type " + anotherDoc.String(), 2},
		{"another participant, the process redirected", signed(someoneElse, docType, false), "is about participant " + someoneElse.String(), 2},
	} {
		doc := c.doc
		first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(doc) }))
		cl := &smp.Client{SMP: first.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1}
		tg, err := cl.Resolve(ctx, participant, docType, process)
		first.Close()
		switch {
		case c.want == "" && (err != nil || !tg.Signer.Equal(other.Sign.Cert)):
			t.Errorf("%s: %+v %v", c.name, tg, err)
		case c.want != "" && (!errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %+v %v, want %q", c.name, tg, err, c.want)
		}
		if n := asked.Load(); n != c.asked {
			t.Errorf("%s: B asked %d times in all, want %d", c.name, n, c.asked)
		}
		asked.Store(c.asked)
	}

	// The SMP redirected to answering for another participant.
	storeC := smp.NewMemoryStore()
	storeC.PutParticipant(ctx, someoneElse)
	atC := f.metadata()
	atC.Participant = someoneElse
	storeC.PutServiceMetadata(ctx, atC)
	hsC := f.server(t, storeC, smp.OASIS1, other)
	answer := get(t, hsC.URL+smp.PathSMP2+someoneElse.PathSegment()+"/services/"+docType.PathSegment())
	hsD := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(answer) }))
	t.Cleanup(hsD.Close)
	storeA := smp.NewMemoryStore()
	storeA.PutParticipant(ctx, participant)
	storeA.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: &smp.Redirect{URL: hsD.URL}})
	hsA := f.server(t, storeA, smp.OASIS1, f.smpCred)
	for _, fl := range []smp.Flavour{smp.OASIS1, smp.OASIS2} {
		cl := &smp.Client{SMP: hsA.URL, Flavour: fl, Trust: f.trust, CacheTTL: -1}
		if _, err := cl.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrBadAnswer) || !strings.Contains(err.Error(), "the answer is about participant "+someoneElse.String()) {
			t.Errorf("%s: the SMP redirected to answers for another: %v", fl, err)
		}
	}
}

// TestRedirectCertificateDates: an SMP 2.0 Redirect publishes when each
// certificate of the other SMP is in use (ActivationDate, ExpirationDate:
// whole days in their time zone, as an endpoint's). Our server publishes
// them (xmllint: valid SMP 2.0, and the dates read back), and the client
// refuses an answer signed by a certificate outside its window, accepts
// one inside, and keeps no cached target beyond it.
func TestRedirectCertificateDates(t *testing.T) {
	xmllint := testenv.Tool(t, "xmllint")
	f := getFixture(t)
	ctx := context.Background()
	other, hsB, asked := f.smpB(t)

	// B's certificate in use days D to D+4 in +01:00, within its own
	// validity; the first certificate, another, at any time.
	cet := time.FixedZone("", 3600)
	active := startOfDay(other.Sign.Cert.NotBefore.In(cet)).AddDate(0, 0, 2)
	expired := active.AddDate(0, 0, 5)
	storeA := smp.NewMemoryStore()
	storeA.PutParticipant(ctx, participant)
	r := &smp.Redirect{URL: hsB.URL, Certificates: [][]byte{f.smpCred.Sign.Cert.Raw, other.Sign.Cert.Raw},
		Validity: []smp.Validity{{}, {Activation: active, Expiration: expired}}}
	if err := storeA.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: r}); err != nil {
		t.Fatal(err)
	}
	hsA := f.server(t, storeA, smp.OASIS1, f.smpCred)

	doc := get(t, hsA.URL+smp.PathSMP2+participant.PathSegment()+"/services/"+docType.PathSegment())
	p := validSMP2(t, xmllint, "redirect.xml", "", doc)
	const certs = "//*[local-name()='Redirect']/*[local-name()='Certificate']"
	for _, c := range []struct{ expr, want string }{
		{"count(" + certs + "[1]/*[local-name()='ActivationDate' or local-name()='ExpirationDate'])", "0"},
		{"string(" + certs + "[2]/*[local-name()='ActivationDate'])", active.Format("2006-01-02") + "+01:00"},
		{"string(" + certs + "[2]/*[local-name()='ExpirationDate'])", active.AddDate(0, 0, 4).Format("2006-01-02") + "+01:00"},
	} {
		if got := xpath(t, xmllint, p, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}
	got, _, err := smp.ParseServiceMetadata(doc)
	if err != nil || !reflect.DeepEqual(got.Redirect, r) {
		t.Fatalf("read back %v, want %v", err, r.Validity)
	}

	for _, c := range windowBoundaries(active, expired) {
		cl := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return c.at }}
		tg, err := cl.Resolve(ctx, participant, docType, process)
		switch {
		case c.in && (err != nil || !tg.Signer.Equal(other.Sign.Cert)):
			t.Errorf("%s (%s): %+v %v", c.name, c.at.UTC().Format(time.RFC3339Nano), tg, err)
		case !c.in && (!errors.Is(err, smp.ErrBadAnswer) || !errors.Is(err, smp.ErrUntrusted) || !strings.Contains(err.Error(), "publishes for use from "+active.Format(time.RFC3339))):
			t.Errorf("%s (%s): %+v %v", c.name, c.at.UTC().Format(time.RFC3339Nano), tg, err)
		}
	}

	// The same certificate listed again for a later window: either window
	// will do.
	r.Certificates = append(r.Certificates, other.Sign.Cert.Raw)
	r.Validity = append(r.Validity, smp.Validity{Activation: expired.AddDate(0, 0, 1)})
	storeA.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: r})
	for _, c := range []struct {
		at    time.Time
		inUse bool
	}{{active, true}, {expired, false}, {expired.AddDate(0, 0, 1), true}} {
		cl := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS2, Trust: f.trust, CacheTTL: -1, Now: func() time.Time { return c.at }}
		if _, err := cl.Resolve(ctx, participant, docType, process); (err == nil) != c.inUse {
			t.Errorf("listed twice, at %s: %v", c.at.Format(time.RFC3339), err)
		}
	}

	// A target cached within the window is not used after it.
	now := expired.Add(-time.Minute)
	cl := &smp.Client{SMP: hsA.URL, Flavour: smp.OASIS2, Trust: f.trust, Now: func() time.Time { return now }}
	if _, err := cl.Resolve(ctx, participant, docType, process); err != nil {
		t.Fatal(err)
	}
	before := asked.Load()
	now = expired.Add(time.Second)
	if _, err := cl.Resolve(ctx, participant, docType, process); !errors.Is(err, smp.ErrUntrusted) || asked.Load() != before+1 {
		t.Errorf("cached beyond the window: %v (B asked %d times since)", err, asked.Load()-before)
	}
}

// TestReadRedirectCertificateDates reads the dates of an SMP 2.0
// Redirect's certificates, as another SMP may publish them (on some
// certificates only, without a time zone), and refuses a date that is not
// an xs:date, saying which certificate.
func TestReadRedirectCertificateDates(t *testing.T) {
	f := getFixture(t)
	b64 := base64.StdEncoding.EncodeToString
	cert := func(dates string, der []byte) string {
		return `<sma:Certificate><smb:TypeCode>signing</smb:TypeCode>` + dates + `<smb:ContentBinaryObject mimeCode="application/base64">` + b64(der) + `</smb:ContentBinaryObject></sma:Certificate>`
	}
	doc := func(certs ...string) []byte {
		return []byte(`<se:ServiceMetadata xmlns:se="` + smp.NamespaceSMP2ServiceMetadata + `" xmlns:smb="` + smp.NamespaceSMP2Basic + `" xmlns:sma="` + smp.NamespaceSMP2Aggregate + `">` +
			`<smb:SMPVersionID>2.0</smb:SMPVersionID><smb:ID schemeID="` + docType.Scheme + `">` + docType.Value + `</smb:ID>` +
			`<smb:ParticipantID schemeID="` + participant.Scheme + `">` + participant.Value + `</smb:ParticipantID>` +
			`<sma:ProcessMetadata><sma:Redirect><smb:PublisherURI>https://smp2.example.eu/</smb:PublisherURI>` + strings.Join(certs, "") + `</sma:Redirect></sma:ProcessMetadata></se:ServiceMetadata>`)
	}
	m, _, err := smp.ParseServiceMetadata(doc(cert("", f.smpCred.Sign.Cert.Raw), cert(`<smb:ActivationDate>2026-12-06</smb:ActivationDate><smb:ExpirationDate>2027-06-30-05:00</smb:ExpirationDate>`, f.ap.Sign.Cert.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := []smp.Validity{{}, {Activation: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), Expiration: time.Date(2027, 7, 1, 5, 0, 0, 0, time.UTC)}}
	if v := m.Redirect.Validity; len(v) != 2 || v[0] != (smp.Validity{}) || !v[1].Activation.Equal(want[1].Activation) || !v[1].Expiration.Equal(want[1].Expiration) {
		t.Fatalf("read %+v, want %+v", v, want)
	}
	var out bytes.Buffer
	writeXML(&out, smp.ServiceMetadataElement(m, smp.OASIS2))
	if again, _, err := smp.ParseServiceMetadata(out.Bytes()); err != nil || !reflect.DeepEqual(again.Redirect, m.Redirect) {
		t.Fatalf("read again: %+v %v\n%s", again, err, out.Bytes())
	}
	// Without dates, none.
	if m, _, err := smp.ParseServiceMetadata(doc(cert("", f.smpCred.Sign.Cert.Raw))); err != nil || m.Redirect.Validity != nil {
		t.Fatalf("without dates: %+v %v", m, err)
	}
	_, _, err = smp.ParseServiceMetadata(doc(cert("", f.smpCred.Sign.Cert.Raw), cert(`<smb:ExpirationDate>2027-02-30</smb:ExpirationDate>`, f.ap.Sign.Cert.Raw)))
	if !errors.Is(err, smp.ErrBadDocument) || !strings.Contains(err.Error(), `redirect to https://smp2.example.eu/, certificate 2: smp: malformed SMP document: cbc:ExpirationDate "2027-02-30"`) {
		t.Errorf("a bad date: %v", err)
	}
	// More windows than certificates cannot be published.
	bad := &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Validity: []smp.Validity{{}}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "1 validity windows for 0 certificates") {
		t.Errorf("a window without certificate: %v", err)
	}
}

// TestValidateWindows: a published endpoint, endpoint certificate or
// redirect certificate whose activation is not before its expiration would
// never be in use: the server refuses to publish it; a window in order, or
// open on either side, is published.
func TestValidateWindows(t *testing.T) {
	f := getFixture(t)
	day := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	later, same := window{day, day.AddDate(0, 0, 1)}, window{day, day}
	inverted := window{day.AddDate(0, 0, 1), day}
	for _, c := range []struct {
		name string
		w    window
		want string // "" valid
	}{
		{"in order", later, ""},
		{"open end", window{day, time.Time{}}, ""},
		{"open start", window{time.Time{}, day}, ""},
		{"empty", same, "not before it expires"},
		{"inverted", inverted, "not before it expires"},
	} {
		for _, where := range []string{"endpoint", "certificate", "redirect"} {
			m := f.metadata()
			e := &m.Processes[0].Endpoints[0]
			switch where {
			case "endpoint":
				e.Activation, e.Expiration = c.w.From, c.w.Until
			case "certificate":
				e.Certificates = []smp.EndpointCertificate{{Type: smp.CertificateEncryption, Certificate: e.Certificate, Activation: c.w.From, Expiration: c.w.Until}}
			case "redirect":
				m.Processes = append(m.Processes, smp.Process{ID: redirected, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/",
					Certificates: [][]byte{e.Certificate}, Validity: []smp.Validity{{Activation: c.w.From, Expiration: c.w.Until}}}})
			}
			err := m.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("%s %s: %v, want %q", where, c.name, err, c.want)
			}
		}
	}
}

// window is a test's activation and expiration.
type window struct{ From, Until time.Time }
