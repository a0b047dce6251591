package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/smp"
)

// XPaths the tests read the served documents with.
const (
	xpRedirectURI   = "string(//*[local-name()='Redirect']/*[local-name()='PublisherURI'])"
	xpRedirectCerts = "count(//*[local-name()='Redirect']/*[local-name()='Certificate'])"
	xpRedirectCert  = "concat(//*[local-name()='Redirect']/*[local-name()='Certificate']/*[local-name()='TypeCode'], '|', " +
		"//*[local-name()='Redirect']/*[local-name()='Certificate']/*[local-name()='ActivationDate'], '|', " +
		"//*[local-name()='Redirect']/*[local-name()='Certificate']/*[local-name()='ExpirationDate'])"
	xpEndpoints   = "count(//*[local-name()='Endpoint'])"
	xpHref        = "string(//*[local-name()='Redirect']/@href)"
	xpUID         = "string(//*[local-name()='Redirect']/*[local-name()='CertificateUID'])"
	xpServiceDays = "concat(//*[local-name()='Endpoint']/*[local-name()='ActivationDate'], '|', //*[local-name()='Endpoint']/*[local-name()='ExpirationDate'])"
)

// TestSMPRedirect: "oots smp redirect" publishes that another SMP serves
// the document type, with that SMP's signing certificate and, for SMP 1.0,
// its subject as the CertificateUID: both documents served are valid by
// xmllint and carry the redirect, and "oots smp lookup" follows it in
// either flavour to the endpoint the other SMP publishes, signed by it. A
// redirect of one process leaves the other's endpoints here. A redirect
// naming a certificate that does not sign the other SMP's answers, or the
// one that does for another use than signing (its TypeCode), makes lookups
// refuse them.
func TestSMPRedirect(t *testing.T) {
	f := newSMPCertsFixture(t)
	const other = "oots-procid::urn:oots:other"
	smpB := filepath.Join(f.dir, "smp-b.cert.pem")
	dbB := filepath.Join(f.dir, "b.db")
	if code, _, errs := runOots(t, "smp", "add", "-db", dbB, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap-b.example.eu/as4", "-cert", f.newPEM); code != 0 {
		t.Fatalf("add at SMP B: %d %s", code, errs)
	}
	baseB := f.serveAs(t, dbB, "smp-b")

	code, out, errs := runOots(t, "smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-url", baseB, "-cert", smpB)
	wantLine := certsPart + " " + certsDoc + " redirect " + baseB + `  certificateUID "CN=smp-b,O=oots test,C=EU"` + "\n" +
		"  certificate signing  CN=smp-b,O=oots test,C=EU  at any time  (in use)\n"
	if code != 0 || out != wantLine {
		t.Fatalf("redirect: %d\n%s%s\nwant\n%s", code, out, errs, wantLine)
	}
	baseA := f.serve(t)
	if got := xmlRead(t, baseA, xpRedirectURI, xpRedirectCerts, xpRedirectCert, xpEndpoints); strings.Join(got, " ") != baseB+" 1 signing|| 0" {
		t.Errorf("SMP 2.0 redirect: %q, want %s, 1 certificate, signing without dates, no endpoint", got, baseB)
	}
	if got := xmlReadFlavour(t, baseA, smp.OASIS1, xpHref, xpUID); got[0] != baseB || got[1] != "CN=smp-b,O=oots test,C=EU" {
		t.Errorf("SMP 1.0 redirect: %q", got)
	}
	lookup := func(flavour, proc string) (int, string, string) {
		return runOots(t, "smp", "lookup", "-trust", f.trust, "-smp", baseA, "-flavour", flavour, certsPart, certsDoc, proc)
	}
	for _, fl := range []string{"oasis-smp-1", "oasis-smp-2"} {
		code, out, errs := lookup(fl, certsProc)
		if code != 0 || !strings.Contains(out, "endpoint:          https://ap-b.example.eu/as4\n") ||
			!strings.Contains(out, "SMP:               "+baseB+"/") || !strings.Contains(out, "signed by:         CN=smp-b,") {
			t.Errorf("lookup %s through the redirect: %d %s %s", fl, code, out, errs)
		}
	}

	// One process redirected, from yesterday on; another served here.
	if code, _, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", other,
		"-url", "https://ap.example.eu/as4", "-cert", f.oldPEM); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	code, out, errs = runOots(t, "smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", baseB, "-cert", smpB+",from="+f.day(-1))
	if code != 0 || !strings.Contains(errs, "warning: SMP 1.0 and Peppol documents cannot redirect one process: they leave process "+certsProc+" out") {
		t.Fatalf("redirect -process: %d %s %s", code, out, errs)
	}
	code, out, _ = runOots(t, "smp", "list", "-db", f.db)
	for _, want := range []string{
		"  " + certsDoc + "  " + other + "  " + smp.TransportEBMS3AS4 + "  https://ap.example.eu/as4\n",
		"  " + certsDoc + "  " + certsProc + "  redirect " + baseB + `  certificateUID "CN=smp-b,O=oots test,C=EU"` + "\n" +
			"    certificate signing  CN=smp-b,O=oots test,C=EU  from " + f.day(-1) + "  (in use)\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list: %d\n%s\nwant %q", code, out, want)
		}
	}
	if got := xmlRead(t, baseA, xpRedirectURI, xpRedirectCert, xpEndpoints); strings.Join(got, " ") != baseB+" signing|"+f.day(-1)+"| 1" {
		t.Errorf("SMP 2.0 redirect of a process: %q", got)
	}
	if code, out, errs := lookup("oasis-smp-2", certsProc); code != 0 || !strings.Contains(out, "https://ap-b.example.eu/as4") || !strings.Contains(out, "signed by:         CN=smp-b,") {
		t.Errorf("lookup of the redirected process: %d %s %s", code, out, errs)
	}
	if code, out, errs := lookup("oasis-smp-2", other); code != 0 || !strings.Contains(out, "https://ap.example.eu/as4") || !strings.Contains(out, "signed by:         CN=smp,") {
		t.Errorf("lookup of the process served here: %d %s %s", code, out, errs)
	}

	// A redirect with a certificate that is not the other SMP's: its
	// answers are refused, in SMP 2.0 by the certificate, in SMP 1.0 by
	// the CertificateUID.
	if code, _, errs := runOots(t, "smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-url", baseB, "-cert", f.oldPEM); code != 0 {
		t.Fatalf("redirect: %d %s", code, errs)
	}
	for _, c := range []struct{ flavour, want string }{
		{"oasis-smp-2", `signed by "CN=smp-b,O=oots test,C=EU", not by any of the 1 certificates the redirect`},
		{"oasis-smp-1", `signed by "CN=smp-b,O=oots test,C=EU", not by the certificate "CN=ap-old,O=oots test,C=EU" the redirect`},
	} {
		if code, out, errs := lookup(c.flavour, certsProc); code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("lookup %s through a redirect naming another certificate: %d %s %s\nwant %s", c.flavour, code, out, errs, c.want)
		}
	}

	// The other SMP's certificate, but published for another use than
	// signing: published with warnings, listed as refused, and an SMP 2.0
	// lookup refuses the answers it signs, naming the TypeCode.
	code, out, errs = runOots(t, "smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-url", baseB, "-cert", smpB+",type=encryption")
	if code != 0 || !strings.Contains(out, "  certificate encryption  CN=smp-b,O=oots test,C=EU  at any time  (not for signing: lookups refuse it)\n") ||
		!strings.Contains(errs, `warning: lookups refuse the other SMP's answers signed by certificate 1: its TypeCode "encryption" is not signing`) ||
		!strings.Contains(errs, "warning: lookups refuse the other SMP's answers until one of its certificates is in use") {
		t.Errorf("redirect with a certificate of the TypeCode encryption: %d %s %s", code, out, errs)
	}
	if code, out, errs := lookup("oasis-smp-2", certsProc); code != 1 || !strings.Contains(errs, `signed by "CN=smp-b,O=oots test,C=EU", which the redirect from `) ||
		!strings.Contains(errs, `carries with the TypeCode "encryption", not "signing"`) {
		t.Errorf("lookup through a redirect with the certificate for encryption: %d %s %s", code, out, errs)
	}
}

// TestSMPRedirectErrors: a redirect that cannot be published, or that no
// lookup could follow, is refused naming the flag, and nothing is written.
func TestSMPRedirectErrors(t *testing.T) {
	f := newSMPCertsFixture(t)
	smpB := filepath.Join(f.dir, "smp-b.cert.pem")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "https://smp-b.example.eu"}, "oots smp redirect: -cert: a redirect needs the other SMP's signing certificate"},
		{[]string{"-cert", smpB}, "-url: the other SMP's URL is required"},
		{[]string{"-url", "http://smp-b.example.eu", "-cert", smpB}, `-url "http://smp-b.example.eu": not https`},
		{[]string{"-url", "smp-b.example.eu/smp", "-cert", smpB}, `-url "smp-b.example.eu/smp": not an absolute URL`},
		{[]string{"-url", "ftp://smp-b.example.eu", "-cert", smpB}, `-url "ftp://smp-b.example.eu": the scheme is ftp, not https`},
		{[]string{"-url", "https://smp-b.example.eu/?x=1", "-cert", smpB}, "with a query"},
		{[]string{"-url", "https://smp-b.example.eu", "-cert", smpB + ",from=" + f.day(2) + ",until=" + f.day(1)}, "for flag -cert: until= is before from="},
		{[]string{"-url", "https://smp-b.example.eu", "-cert", smpB + ",until=" + f.day(-1)}, "-cert: every certificate has had its last day"},
		{[]string{"-url", "https://smp-b.example.eu", "-cert", smpB, "-uid", "CN=someone else"}, `-uid "CN=someone else" names none of the -cert certificates`},
		{[]string{"-url", "https://smp-b.example.eu", "-cert", smpB, "-cert", f.oldPEM}, "-uid: the certificates have several subjects (CN=smp-b,O=oots test,C=EU; CN=ap-old,O=oots test,C=EU)"},
	} {
		args := append([]string{"smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc}, c.args...)
		if code, _, errs := runOots(t, args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("redirect %v: %d %s\nwant %s", c.args, code, errs, c.want)
		}
	}
	if code, out, _ := runOots(t, "smp", "list", "-db", f.db); code != 0 || out != "" {
		t.Errorf("list after refused redirects: %d %q", code, out)
	}
	// Two processes redirected differently, and none served: an SMP 1.0
	// document can only redirect the whole document type.
	redirect := func(args ...string) (int, string, string) {
		return runOots(t, append([]string{"smp", "redirect", "-db", f.db, "-participant", certsPart, "-doc", certsDoc}, args...)...)
	}
	if code, _, errs := redirect("-process", certsProc, "-url", "https://smp-b.example.eu", "-cert", smpB); code != 0 {
		t.Fatalf("redirect: %d %s", code, errs)
	}
	if code, _, errs := redirect("-process", "oots-procid::urn:oots:other", "-url", "https://smp-c.example.eu", "-cert", smpB); code != 2 || !strings.Contains(errs, "every process is redirected, not all alike") {
		t.Errorf("a second process redirected elsewhere: %d %s", code, errs)
	}
	// Several subjects with -uid naming one: published.
	if code, out, errs := redirect("-url", "https://smp-b.example.eu", "-cert", smpB, "-cert", f.oldPEM, "-uid", "smp-b"); code != 0 || !strings.Contains(out, `certificateUID "smp-b"`) {
		t.Errorf("redirect -uid with two certificates: %d %s %s", code, out, errs)
	}
	// A certificate not in use yet: published, with a warning.
	if code, out, errs := redirect("-url", "https://smp-b.example.eu", "-cert", smpB+",from="+f.day(3)); code != 0 ||
		!strings.Contains(errs, "warning: lookups refuse the other SMP's answers until one of its certificates is in use") {
		t.Errorf("redirect with a certificate from a later day: %d %s %s", code, out, errs)
	}
}

// TestSMPAddServiceDates: "oots smp add -service-from -service-until"
// publishes the endpoint's days in service: SMP 2.0 ActivationDate and
// ExpirationDate, SMP 1.0 ServiceActivationDate and ServiceExpirationDate
// (the first instant after the last day), valid by xmllint; lookups take
// the endpoint on its last day and skip it the day after. A window that
// is not one is refused naming the flag.
func TestSMPAddServiceDates(t *testing.T) {
	f := newSMPCertsFixture(t)
	add := func(args ...string) (int, string, string) {
		return runOots(t, append([]string{"smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
			"-url", "https://ap.example.eu/as4", "-cert", f.oldPEM}, args...)...)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-service-from", "2026-13-01"}, `-service-from "2026-13-01": not a date`},
		{[]string{"-service-until", "31 December"}, `-service-until "31 December": not a date`},
		{[]string{"-service-from", f.day(5), "-service-until", f.day(4)}, `-service-until "` + f.day(4) + `" is before -service-from "` + f.day(5) + `"`},
		{[]string{"-service-until", f.day(-1)}, `-service-until "` + f.day(-1) + `": the day is over`},
	} {
		if code, _, errs := add(c.args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("add %v: %d %s\nwant %s", c.args, code, errs, c.want)
		}
	}
	if code, out, _ := runOots(t, "smp", "list", "-db", f.db); code != 0 || out != "" {
		t.Errorf("list after refused adds: %d %q", code, out)
	}
	code, out, errs := add("-service-from", f.day(3))
	if code != 0 || !strings.Contains(errs, "warning: lookups skip the endpoint until its first day in service, "+f.day(3)) {
		t.Errorf("add from a later day: %d %s %s", code, out, errs)
	}

	code, out, errs = add("-service-from", f.day(-2), "-service-until", f.day(30), "-description", "the AP", "-contact", "mailto:ap@example.eu")
	days := "  in service from " + f.day(-2) + " until " + f.day(30)
	if code != 0 || !strings.Contains(out, " https://ap.example.eu/as4"+days+"\n") || errs != "" {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, out, _ := runOots(t, "smp", "list", "-db", f.db); code != 0 || !strings.Contains(out, "  "+smp.TransportEBMS3AS4+"  https://ap.example.eu/as4"+days+"\n") {
		t.Errorf("list: %d %s", code, out)
	}
	base := f.serve(t)
	got := xmlRead(t, base, xpServiceDays, "string(//*[local-name()='Endpoint']/*[local-name()='Description'])", "string(//*[local-name()='Endpoint']/*[local-name()='Contact'])")
	if want := f.day(-2) + "|" + f.day(30) + " the AP mailto:ap@example.eu"; strings.Join(got, " ") != want {
		t.Errorf("SMP 2.0 endpoint: %q, want %q", got, want)
	}
	instant := func(n int) string { return f.today.AddDate(0, 0, n).Format(time.RFC3339) }
	got = xmlReadFlavour(t, base, smp.OASIS1, "string(//*[local-name()='ServiceActivationDate'])", "string(//*[local-name()='ServiceExpirationDate'])")
	if got[0] != instant(-2) || got[1] != instant(31) {
		t.Errorf("SMP 1.0 endpoint in service from %q until %q, want %s and %s", got[0], got[1], instant(-2), instant(31))
	}
	for _, fl := range []string{"oasis-smp-1", "oasis-smp-2"} {
		if l := f.lookupAt(t, base, fl, f.today.AddDate(0, 0, 30).Add(23*time.Hour).Format(time.RFC3339)); !strings.Contains(l, "CN=ap-old") {
			t.Errorf("lookup %s on the last day in service: %q", fl, l)
		}
		code, out, errs := runOots(t, "smp", "lookup", "-trust", f.trust, "-smp", base, "-flavour", fl, "-at", f.day(31), certsPart, certsDoc, certsProc)
		if code != 1 || !strings.Contains(errs, "is not in service at "+instant(31)) {
			t.Errorf("lookup %s the day after: %d %s %s", fl, code, out, errs)
		}
	}
}

// TestSMPRedirectAPI: "oots smp redirect -api" and "oots smp add -api
// -service-until" publish through the management API of a running SMP
// what they publish in the database: the documents it serves are valid by
// xmllint and carry the redirect with its certificate's days and
// CertificateUID, and the endpoint's last day.
func TestSMPRedirectAPI(t *testing.T) {
	f := newSMPCertsFixture(t)
	key, cert, err := loadSMPCredential(filepath.Join(f.dir, "smp.key.pem"), filepath.Join(f.dir, "smp.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := smp.NewServer(smp.Config{Store: smp.NewMemoryStore(), Key: key, Certificate: cert, AdminToken: "api-secret"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	withToken := func(k string) string {
		if k == smpTokenEnv {
			return "api-secret"
		}
		return ""
	}
	run := func(args ...string) (int, string, string) {
		return runOotsEnv(t, withToken, append([]string{"smp", args[0], "-api", hs.URL, "-participant", certsPart, "-doc", certsDoc}, args[1:]...)...)
	}
	smpB := filepath.Join(f.dir, "smp-b.cert.pem")
	if code, out, errs := run("redirect", "-url", "https://smp-b.example.eu/smp", "-cert", smpB+",type=sign-and-encrypt,from="+f.day(-1)+",until="+f.day(60), "-uid", "smp-b"); code != 0 {
		t.Fatalf("redirect -api: %d %s %s", code, out, errs)
	}
	if got := xmlRead(t, hs.URL, xpRedirectURI, xpRedirectCert); strings.Join(got, " ") != "https://smp-b.example.eu/smp sign-and-encrypt|"+f.day(-1)+"|"+f.day(60) {
		t.Errorf("SMP 2.0 redirect: %q", got)
	}
	if got := xmlReadFlavour(t, hs.URL, smp.OASIS1, xpHref, xpUID); strings.Join(got, " ") != "https://smp-b.example.eu/smp smp-b" {
		t.Errorf("SMP 1.0 redirect: %q", got)
	}

	if code, out, errs := run("add", "-process", certsProc, "-url", "https://ap.example.eu/as4", "-cert", f.oldPEM, "-service-until", f.day(20)); code != 0 {
		t.Fatalf("add -api: %d %s %s", code, out, errs)
	}
	if got := xmlRead(t, hs.URL, xpServiceDays, xpRedirectCerts); strings.Join(got, " ") != "|"+f.day(20)+" 0" {
		t.Errorf("SMP 2.0 endpoint: %q", got)
	}
	if got := xmlReadFlavour(t, hs.URL, smp.OASIS1, "string(//*[local-name()='ServiceExpirationDate'])"); got[0] != f.today.AddDate(0, 0, 21).Format(time.RFC3339) {
		t.Errorf("SMP 1.0 ServiceExpirationDate %q", got[0])
	}
	if code, out, errs := run("redirect", "-process", "oots-procid::urn:oots:other", "-url", "https://smp-b.example.eu", "-cert", smpB); code != 0 {
		t.Fatalf("redirect -api -process: %d %s %s", code, out, errs)
	}
	code, out, errs := runOotsEnv(t, withToken, "smp", "list", "-api", hs.URL)
	for _, want := range []string{
		"https://ap.example.eu/as4  in service until " + f.day(20) + "\n",
		"oots-procid::urn:oots:other  redirect https://smp-b.example.eu  certificateUID \"CN=smp-b,O=oots test,C=EU\"\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("list -api: %d %s %s\nwant %q", code, out, errs, want)
		}
	}
	if got := xmlRead(t, hs.URL, "count(//*[local-name()='ProcessMetadata'])", xpRedirectURI); strings.Join(got, " ") != "2 https://smp-b.example.eu" {
		t.Errorf("SMP 2.0 document: %q", got)
	}
}
