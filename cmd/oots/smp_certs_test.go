package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

// smpCertsFixture: a CA, the SMP's signing credential, another SMP's
// (smp-b) and two access point certificates, ap-old and ap-new, written to
// dir; days around today, in UTC, as "oots smp" takes them.
type smpCertsFixture struct {
	dir, db, trust string
	oldPEM, newPEM string
	today          time.Time
}

const (
	certsPart = "iso6523-actorid-upis::0088:5790000000001"
	certsDoc  = "oots-docid-qns::urn:oots:QueryRequest"
	certsProc = "oots-procid::urn:oots:evidence-exchange"
)

func newSMPCertsFixture(t *testing.T) *smpCertsFixture {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.NewCA("smp certs CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	smpCred, _ := pki.Issue(ca, "smp", wssec.AS4v115, nil)
	smpB, _ := pki.Issue(ca, "smp-b", wssec.AS4v115, nil)
	oldAP, _ := pki.Issue(ca, "ap-old", wssec.AS4v115, nil)
	newAP, _ := pki.Issue(ca, "ap-new", wssec.AS4v115, nil)
	ca.WriteFiles(dir, "ca")
	smpCred.Sign.WriteFiles(dir, "smp")
	smpB.Sign.WriteFiles(dir, "smp-b")
	oldAP.Sign.WriteFiles(dir, "ap-old")
	newAP.Sign.WriteFiles(dir, "ap-new")
	y, m, d := time.Now().UTC().Date()
	return &smpCertsFixture{dir: dir, db: filepath.Join(dir, "oots.db"), trust: filepath.Join(dir, "ca.cert.pem"),
		oldPEM: filepath.Join(dir, "ap-old.cert.pem"), newPEM: filepath.Join(dir, "ap-new.cert.pem"),
		today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// day is today plus n days, as an xs:date in UTC.
func (f *smpCertsFixture) day(n int) string {
	return f.today.AddDate(0, 0, n).Format("2006-01-02") + "Z"
}

// serve runs "oots smp serve" on the fixture's database until the test
// ends and returns its base URL.
func (f *smpCertsFixture) serve(t *testing.T) string {
	t.Helper()
	return f.serveAs(t, f.db, "smp")
}

// serveAs runs "oots smp serve" on the database db, signing with the
// credential written to the fixture's directory as name, until the test
// ends and returns its base URL.
func (f *smpCertsFixture) serveAs(t *testing.T, db, name string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	first := &lineWriter{line: make(chan string, 1)}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, &Env{Stdout: first, Stderr: &stderr, Getenv: func(string) string { return "" }}, []string{"smp", "serve", "-addr", "127.0.0.1:0", "-db", db,
			"-key", filepath.Join(f.dir, name+".key.pem"), "-cert", filepath.Join(f.dir, name+".cert.pem")})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d: %s", code, stderr.String())
		}
	})
	select {
	case line := <-first.line:
		return strings.TrimPrefix(line, "listening on ")
	case code := <-done:
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve printed no address in 30 s")
	}
	return ""
}

// lookupAt runs "oots smp lookup -at" and returns the certificate line.
func (f *smpCertsFixture) lookupAt(t *testing.T, base, flavour, at string) string {
	t.Helper()
	args := []string{"smp", "lookup", "-trust", f.trust, "-smp", base, "-flavour", flavour}
	if at != "" {
		args = append(args, "-at", at)
	}
	code, out, errs := runOots(t, append(args, certsPart, certsDoc, certsProc)...)
	if code != 0 {
		t.Errorf("lookup %s -at %s: %d %s %s", flavour, at, code, out, errs)
		return ""
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "certificate:") {
			return l
		}
	}
	return out
}

// xmlRead serves as the outside witness: the SMP 2.0 document served,
// valid against the OASIS SMP 2.0 schema by xmllint, and what xmllint
// reads of it at each XPath.
func xmlRead(t *testing.T, base string, exprs ...string) []string {
	t.Helper()
	return xmlReadFlavour(t, base, smp.OASIS2, exprs...)
}

// xmlReadFlavour is xmlRead of the document served in flavour fl: SMP 2.0,
// or at the root SMP 1.0 (oots smp serve's default flavour), valid against
// the OASIS SMP 1.0 schema.
func xmlReadFlavour(t *testing.T, base string, fl smp.Flavour, exprs ...string) []string {
	t.Helper()
	xmllint := testenv.Tool(t, "xmllint")
	p, _ := smp.ParseID(certsPart)
	d, _ := smp.ParseID(certsDoc)
	prefix, xsd := smp.PathSMP2, "../../smp/testdata/xsd/smp2/ServiceMetadata-2.0.xsd"
	if fl != smp.OASIS2 {
		prefix, xsd = "/", "../../smp/testdata/xsd/smp1/bdx-smp-201605.xsd"
	}
	resp, err := http.Get(base + prefix + p.PathSegment() + "/services/" + d.PathSegment())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s document: %s %s", fl, resp.Status, body)
	}
	file := filepath.Join(t.TempDir(), "smp.xml")
	os.WriteFile(file, body, 0o600)
	schema, _ := filepath.Abs(xsd)
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, file).CombinedOutput(); err != nil {
		t.Errorf("the served %s document is not valid: %v\n%s\n%s", fl, err, out, body)
	}
	var got []string
	for _, e := range exprs {
		out, err := exec.Command(xmllint, "--nonet", "--xpath", e, file).Output()
		if err != nil && len(out) == 0 {
			out = nil // xmllint fails on an empty result
		}
		got = append(got, strings.TrimSpace(string(out)))
	}
	return got
}

// certXPath reads TypeCode|ActivationDate|ExpirationDate of every
// endpoint certificate, in document order, one string.
const certXPath = `concat(` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][1]/*[local-name()='TypeCode'], '|', ` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][1]/*[local-name()='ActivationDate'], '|', ` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][1]/*[local-name()='ExpirationDate'], ' ', ` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][2]/*[local-name()='TypeCode'], '|', ` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][2]/*[local-name()='ActivationDate'], '|', ` +
	`//*[local-name()='Endpoint']/*[local-name()='Certificate'][2]/*[local-name()='ExpirationDate'])`

// TestSMPAddCertificates: "oots smp add" with two -cert publishes a key
// roll-over: ap-old until the day before ap-new's first day. "oots smp
// list" shows both with their type, subject and days and which is in use;
// the SMP 2.0 document served is valid and carries both with their dates;
// "oots smp lookup -at" takes ap-old on its last day and ap-new on its
// first, and SMP 1.0 publishes the one in use today.
func TestSMPAddCertificates(t *testing.T) {
	f := newSMPCertsFixture(t)
	code, out, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap.example.eu/as4",
		"-cert", f.oldPEM+",from="+f.day(-30)+",until="+f.day(9),
		"-cert", f.newPEM+",type=encryption,from="+f.day(10))
	if code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	wantOld := "certificate encryption  CN=ap-old,O=oots test,C=EU  from " + f.day(-30) + " until " + f.day(9) + "  (in use)"
	wantNew := "certificate encryption  CN=ap-new,O=oots test,C=EU  from " + f.day(10)
	code, out, errs = runOots(t, "smp", "list", "-db", f.db)
	if code != 0 || !strings.Contains(out, "    "+wantOld+"\n") || !strings.Contains(out, "    "+wantNew+"\n") {
		t.Errorf("list: %d\n%s\nwant lines\n%s\n%s\n%s", code, out, wantOld, wantNew, errs)
	}

	base := f.serve(t)
	got := xmlRead(t, base, "count(//*[local-name()='Endpoint']/*[local-name()='Certificate'])", certXPath)
	if want := "encryption|" + f.day(-30) + "|" + f.day(9) + " encryption|" + f.day(10) + "|"; got[0] != "2" || got[1] != want {
		t.Errorf("SMP 2.0 certificates: %q, want 2 and %q", got, want)
	}
	for _, c := range []struct{ flavour, at, want string }{
		{"oasis-smp-2", "", "CN=ap-old"},
		{"oasis-smp-2", f.today.AddDate(0, 0, 9).Add(23 * time.Hour).Format(time.RFC3339), "CN=ap-old"},
		{"oasis-smp-2", f.day(10), "CN=ap-new"},
		{"oasis-smp-2", f.day(40), "CN=ap-new"},
		// SMP 1.0 carries one certificate: the one in use at the
		// server's time (today), whatever time the client asks at.
		{"oasis-smp-1", f.day(10), "CN=ap-old"},
	} {
		if l := f.lookupAt(t, base, c.flavour, c.at); !strings.Contains(l, c.want) {
			t.Errorf("lookup %s at %q: %q, want %s", c.flavour, c.at, l, c.want)
		}
	}
	if code, _, errs := runOots(t, "smp", "lookup", "-trust", f.trust, "-smp", base, "-at", "tomorrow", certsPart, certsDoc, certsProc); code != 2 || !strings.Contains(errs, `-at "tomorrow"`) {
		t.Errorf("lookup -at tomorrow: %d %s", code, errs)
	}
}

// TestSMPAddCertificateErrors: a -cert that cannot be published is refused
// with the flag and the value named, and nothing is written.
func TestSMPAddCertificateErrors(t *testing.T) {
	f := newSMPCertsFixture(t)
	for _, c := range []struct{ cert, want string }{
		{f.oldPEM + ",from=2026-13-01", `invalid value "` + f.oldPEM + `,from=2026-13-01" for flag -cert: from=2026-13-01: not a date`},
		{f.oldPEM + ",until=2026-12-01+15:00", "until=2026-12-01+15:00: the time zone is not within ±14:00"},
		{f.oldPEM + ",from=2026-12-02,until=2026-12-01", "for flag -cert: until= is before from="},
		{f.oldPEM + ",from=2026-12-01,from=2026-12-02", "from= is given twice"},
		{f.oldPEM + ",from=2026-12-01,kind=x", `"kind=x" is not type=, from= or until=`},
		{f.oldPEM + ",type=", "type= is empty"},
		{f.oldPEM + ",until=" + f.day(-1), "-cert: no certificate is in use today or later"},
		{filepath.Join(f.dir, "none.pem") + ",from=2026-12-01", "none.pem: no such file"},
	} {
		code, _, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
			"-url", "https://ap.example.eu/as4", "-cert", c.cert)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("-cert %s: %d %s\nwant %s", c.cert, code, errs, c.want)
		}
	}
	if code, out, _ := runOots(t, "smp", "list", "-db", f.db); code != 0 || strings.Contains(out, "ap.example.eu") {
		t.Errorf("list after refused adds: %d %s", code, out)
	}
	// A certificate not in use yet is published, with a warning: until its
	// first day an SMP 2.0 lookup finds none.
	code, out, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap.example.eu/as4", "-cert", f.newPEM+",from="+f.day(3))
	if code != 0 || !strings.Contains(errs, "warning: SMP 2.0 lookups fail until a certificate is in use") || !strings.Contains(out, "(published by SMP 1.0 and Peppol)") {
		t.Errorf("add of a future certificate: %d %s %s", code, out, errs)
	}
}

// TestSMPRollover: "oots smp rollover" turns an endpoint published with one
// certificate into a roll-over: the old one until the day before -from, the
// new one from -from; lookups before and after take each; a second
// roll-over over a planned one, the same certificate again and a day that
// is over are refused, naming the flag.
func TestSMPRollover(t *testing.T) {
	f := newSMPCertsFixture(t)
	if code, _, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap.example.eu/as4", "-cert", f.oldPEM); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	rollover := func(args ...string) (int, string, string) {
		return runOots(t, append([]string{"smp", "rollover", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc}, args...)...)
	}
	code, out, errs := rollover("-new-cert", f.newPEM, "-from", f.day(5))
	wantOld := "certificate encryption  CN=ap-old,O=oots test,C=EU  until " + f.day(4) + "  (in use)"
	wantNew := "certificate encryption  CN=ap-new,O=oots test,C=EU  from " + f.day(5)
	if code != 0 || !strings.Contains(out, wantOld) || !strings.Contains(out, wantNew) {
		t.Fatalf("rollover: %d\n%s%s\nwant\n%s\n%s", code, out, errs, wantOld, wantNew)
	}
	if code, out, _ := runOots(t, "smp", "list", "-db", f.db); code != 0 || !strings.Contains(out, "    "+wantOld+"\n") || !strings.Contains(out, "    "+wantNew+"\n") {
		t.Errorf("list after rollover: %d\n%s", code, out)
	}
	for _, c := range []struct{ args []string }{
		{[]string{"-new-cert", f.newPEM, "-from", f.day(7)}},
		{[]string{"-new-cert", f.oldPEM, "-from", f.day(7)}},
	} {
		if code, _, errs := rollover(c.args...); code != 2 || !strings.Contains(errs, "-new-cert") {
			t.Errorf("rollover %v: %d %s", c.args, code, errs)
		}
	}
	if code, _, errs := rollover("-new-cert", f.newPEM, "-from", f.day(-1)); code != 2 || !strings.Contains(errs, `-from "`+f.day(-1)+`": the day is over`) {
		t.Errorf("rollover from yesterday: %d %s", code, errs)
	}
	if code, _, errs := rollover("-new-cert", f.newPEM, "-from", "1 December"); code != 2 || !strings.Contains(errs, `-from "1 December": not a date`) {
		t.Errorf("rollover from a bad date: %d %s", code, errs)
	}
	if code, _, errs := rollover("-new-cert", f.newPEM, "-from", f.day(5), "-transport", "other"); code != 1 || !strings.Contains(errs, "no other endpoint") {
		t.Errorf("rollover of no endpoint: %d %s", code, errs)
	}

	base := f.serve(t)
	got := xmlRead(t, base, certXPath)
	if want := "encryption||" + f.day(4) + " encryption|" + f.day(5) + "|"; got[0] != want {
		t.Errorf("SMP 2.0 certificates: %q, want %q", got[0], want)
	}
	for _, c := range []struct{ at, want string }{
		{f.day(4), "CN=ap-old"},
		{f.day(5), "CN=ap-new"},
	} {
		if l := f.lookupAt(t, base, "oasis-smp-2", c.at); !strings.Contains(l, c.want) {
			t.Errorf("lookup at %s: %q, want %s", c.at, l, c.want)
		}
	}
}

// TestSMPListRedirectCertificates: "oots smp list" shows the signing
// certificates of a redirect as SMP 2.0 publishes them, with their
// TypeCode (signing when none was given), days, mimeCode (when not the
// default) and description, and which is in use; an endpoint's
// certificates alike.
func TestSMPListRedirectCertificates(t *testing.T) {
	ctx := context.Background()
	f := newSMPCertsFixture(t)
	der := func(file string) []byte {
		pemBytes, _ := os.ReadFile(file)
		c, err := pki.ParseCertPEM(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		return c.Raw
	}
	st, closeDB, err := openSMPStore(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := smp.ParseID(certsPart)
	d, _ := smp.ParseID(certsDoc)
	pr, _ := smp.ParseID(certsProc)
	st.PutParticipant(ctx, p)
	switchDay := f.today.AddDate(0, 0, 10)
	if err := st.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: p, DocumentType: d, Processes: []smp.Process{{ID: pr, Redirect: &smp.Redirect{
		URL:          "https://other-smp.example.eu",
		Certificates: [][]byte{der(f.oldPEM), der(f.newPEM)},
		Validity:     []smp.Validity{{Expiration: switchDay}, {Activation: switchDay}},
		MimeCodes:    []string{"application/pkix-cert"},
		Types:        []string{"sign-and-encrypt"},
		Descriptions: []string{"", "from the roll-over on"},
	}}, {ID: smp.ID{Scheme: pr.Scheme, Value: "urn:oots:other"}, Endpoints: []smp.Endpoint{{
		TransportProfile: smp.TransportEBMS3AS4, URL: "https://ap.example.eu/as4", Certificate: der(f.oldPEM),
		Certificates: []smp.EndpointCertificate{{Type: smp.CertificateEncryption, Description: "the AP's key", Certificate: der(f.oldPEM), MimeCode: "application/pkix-cert"}},
	}}}}}); err != nil {
		t.Fatal(err)
	}
	closeDB()
	code, out, _ := runOots(t, "smp", "list", "-db", f.db)
	for _, want := range []string{
		"redirect https://other-smp.example.eu\n",
		"    certificate sign-and-encrypt  CN=ap-old,O=oots test,C=EU  until " + f.day(9) + "  mimeCode application/pkix-cert  (not for signing: lookups refuse it)\n",
		"    certificate signing  CN=ap-new,O=oots test,C=EU  from " + f.day(10) + `  description "from the roll-over on"` + "\n",
		"    certificate encryption  CN=ap-old,O=oots test,C=EU  at any time  mimeCode application/pkix-cert  description \"the AP's key\"  (in use)\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list: %d\n%s\nwant %q", code, out, want)
		}
	}
}

// TestSMPRolloverDropsExpired: a roll-over leaves out the certificates
// whose last day is over, saying so, and keeps the others.
func TestSMPRolloverDropsExpired(t *testing.T) {
	f := newSMPCertsFixture(t)
	expired := filepath.Join(f.dir, "ca.cert.pem")
	if code, _, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap.example.eu/as4", "-cert", expired+",until="+f.day(-1), "-cert", f.oldPEM+",type=encryption"); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	code, out, errs := runOots(t, "smp", "rollover", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-new-cert", f.newPEM, "-from", f.day(2))
	if code != 0 || !strings.Contains(out, "dropped: encryption  CN=smp certs CA,O=oots test,C=EU  until "+f.day(-1)+"\n") {
		t.Fatalf("rollover: %d %s %s", code, out, errs)
	}
	code, out, _ = runOots(t, "smp", "list", "-db", f.db)
	if code != 0 || strings.Contains(out, "CA") || !strings.Contains(out, "CN=ap-old,O=oots test,C=EU  until "+f.day(1)+"  (in use)") ||
		!strings.Contains(out, "CN=ap-new,O=oots test,C=EU  from "+f.day(2)) {
		t.Errorf("list: %d\n%s", code, out)
	}
}

// TestSMPDocs: docs/smp.md has a section for every "oots smp" command and,
// in it, every flag of the command.
func TestSMPDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/smp.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, s := range strings.Split(string(b), "\n## ")[1:] {
		head, body, _ := strings.Cut(s, "\n")
		sections[strings.Trim(head, "`")] = body
	}
	_, _, usage := runOots(t, "smp", "help")
	_, list, _ := strings.Cut(usage, "commands:\n")
	var commands []string
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			commands = append(commands, f[0])
		}
	}
	if len(commands) < 7 {
		t.Fatalf("commands %v from\n%s", commands, usage)
	}
	for _, c := range commands {
		body, ok := sections["oots smp "+c]
		if !ok {
			t.Errorf("docs/smp.md: no section `oots smp %s`", c)
			continue
		}
		_, _, help := runOots(t, "smp", c, "-h")
		n := 0
		for _, l := range strings.Split(help, "\n") {
			if !strings.HasPrefix(l, "  -") {
				continue
			}
			name := strings.Fields(l)[0]
			n++
			if !strings.Contains(body, "`"+name+"`") {
				t.Errorf("docs/smp.md, `oots smp %s`: flag %s is not described", c, name)
			}
		}
		if n == 0 {
			t.Errorf("oots smp %s -h lists no flag:\n%s", c, help)
		}
	}
}
