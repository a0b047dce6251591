package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

func runAS4CLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code := Main(context.Background(), env, append([]string{"as4"}, args...))
	return code, out.String(), errOut.String()
}

// as4WriteCredentials makes, with "oots pki", a CA and the credentials of
// AP_FR_01 and AP_DE_01 in dir (ca/, fr/, de/), the layout the example
// P-Mode names.
func as4WriteCredentials(t *testing.T, dir string, kind wssec.Profile) {
	t.Helper()
	for _, args := range [][]string{
		{"pki", "ca", "-profile", pkiFlag(kind), "-out", filepath.Join(dir, "ca")},
		{"pki", "issue", "-profile", pkiFlag(kind), "-ca", filepath.Join(dir, "ca"), "-name", "AP_FR_01", "-out", filepath.Join(dir, "fr")},
		{"pki", "issue", "-profile", pkiFlag(kind), "-ca", filepath.Join(dir, "ca"), "-name", "AP_DE_01", "-out", filepath.Join(dir, "de")},
	} {
		var out, errOut bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), env, args); code != 0 {
			t.Fatalf("oots %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
	}
}

func TestAS4PackUnpack(t *testing.T) {
	for _, tc := range []struct {
		profile wssec.Profile
		kind    wssec.Profile
	}{{wssec.AS4v115, wssec.AS4v115}, {wssec.AS4v20, wssec.AS4v20}} {
		t.Run(string(tc.profile), func(t *testing.T) {
			dir := t.TempDir()
			as4WriteCredentials(t, dir, tc.kind)
			b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "as4/pmode/testdata/example.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			y := strings.ReplaceAll(string(b), "profile: eDelivery-AS4-1.15", "profile: "+string(tc.profile))
			pm := filepath.Join(dir, "pmode.yaml")
			os.WriteFile(pm, []byte(y), 0o644)
			payload := filepath.Join(dir, "query.xml")
			content := `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="q1"/>`
			os.WriteFile(payload, []byte(content), 0o644)
			req := filepath.Join(dir, "request.http")
			p := func(n string) string { return filepath.Join(dir, n) }

			code, stdout, stderr := runAS4CLI(t, "pack", "--pmode", pm, "--leg", "ootsRequestLeg", "--to", "AP_DE_01",
				"--key", p("fr/AP_FR_01.sign.key.pem"), "--cert", p("fr/AP_FR_01.sign.cert.pem"), "--peer-cert", p("de/AP_DE_01.enc.cert.pem"),
				"--payload", "q1@oots.eu="+payload+";type=application/x-ebrs+xml",
				"--property", "originalSender=00000000000002;type=urn:cef.eu:names:identifier:EAS:0009",
				"--property", "finalRecipient=DE73524311;type=urn:cef.eu:names:identifier:EAS:9930",
				"-o", req)
			if code != 0 {
				t.Fatalf("pack: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "ootsRequestLeg") {
				t.Errorf("pack stdout: %s", stdout)
			}
			raw, _ := os.ReadFile(req)
			if !bytes.HasPrefix(raw, []byte("POST /as4 HTTP/1.1\r\nHost: ap.de.example\r\nContent-Type: multipart/related;")) {
				t.Errorf("request starts %q", raw[:min(len(raw), 120)])
			}
			if bytes.Contains(raw, []byte("xsd:query:4.0")) {
				t.Error("the payload travels in clear")
			}

			out := filepath.Join(dir, "out")
			unpack := []string{"unpack", "--pmode", pm, "--self", "AP_DE_01", "--key", p("de/AP_DE_01.enc.key.pem"), "--trust", p("ca/ca.cert.pem"), "-d", out}
			resp := p("response.http")
			code, _, stderr = runAS4CLI(t, append(unpack, "--response", resp, "--sign-key", p("de/AP_DE_01.sign.key.pem"), "--sign-cert", p("de/AP_DE_01.sign.cert.pem"), req)...)
			if code != 0 {
				t.Fatalf("unpack: exit %d: %s", code, stderr)
			}
			store, err := trust.LoadFiles(p("ca/ca.cert.pem"))
			if err != nil {
				t.Fatal(err)
			}
			verify := &wssec.VerifyConfig{Profile: wssec.Profile(tc.profile), RequireSignature: true, Trust: store}
			receipt := as4ReadResponse(t, resp, verify)
			if receipt.Receipt == nil || len(receipt.Receipt.NonRepudiation) != 3 { // Messaging, Body, the payload
				t.Errorf("response is not a receipt with 3 NRR references: %+v", receipt)
			}
			var h as4HeaderJSON
			hb, err := os.ReadFile(filepath.Join(out, "header.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(hb, &h); err != nil {
				t.Fatal(err)
			}
			if receipt.MessageInfo.RefToMessageID != h.MessageID {
				t.Errorf("receipt refers to %q, message is %q", receipt.MessageInfo.RefToMessageID, h.MessageID)
			}
			if h.Action != "ExecuteQueryRequest" || h.Leg != "ootsRequestLeg" || h.Security != string(tc.profile) ||
				len(h.Payloads) != 1 || h.Payloads[0].ContentID != "q1@oots.eu" || !strings.Contains(h.Signer, "AP_FR_01") ||
				len(h.NRR) != 3 || h.Properties[0].Type != "urn:cef.eu:names:identifier:EAS:0009" {
				t.Errorf("header.json:\n%s", hb)
			}
			got, _ := os.ReadFile(filepath.Join(out, h.Payloads[0].File))
			if string(got) != content {
				t.Errorf("payload = %q", got)
			}

			// A message for another access point, a tampered message and a stale one are rejected with exit 1.
			code, _, stderr = runAS4CLI(t, append([]string{"unpack", "--pmode", pm, "--self", "AP_FR_01", "--key", p("de/AP_DE_01.enc.key.pem"), "--trust", p("ca/ca.cert.pem"), "-d", out}, req)...)
			if code != 1 || !strings.Contains(stderr, "EBMS:0010") {
				t.Errorf("wrong recipient: exit %d, %s", code, stderr)
			}
			tampered := filepath.Join(dir, "tampered.http")
			os.WriteFile(tampered, bytes.Replace(raw, []byte("DE73524311"), []byte("DE73524312"), 1), 0o644)
			code, _, stderr = runAS4CLI(t, append(unpack, "--response", resp, "--sign-key", p("de/AP_DE_01.sign.key.pem"), "--sign-cert", p("de/AP_DE_01.sign.cert.pem"), tampered)...)
			if code != 1 || !strings.Contains(stderr, "EBMS:0101") {
				t.Errorf("tampered: exit %d, %s", code, stderr)
			}
			if sig := as4ReadResponse(t, resp, verify); len(sig.Errors) != 1 || sig.Errors[0].Code != as4.FailedAuthentication || sig.Errors[0].RefToMessageInError != h.MessageID {
				t.Errorf("response to a tampered message: %+v", sig)
			}
			// Certificates from the P-Mode: the receiver's encryption certificate
			// for pack, the parties' signing certificates as the trust store.
			req2 := p("request2.http")
			code, _, stderr = runAS4CLI(t, "pack", "--pmode", pm, "--leg", "ootsRequestLeg", "--to", "AP_DE_01",
				"--key", p("fr/AP_FR_01.sign.key.pem"), "--cert", p("fr/AP_FR_01.sign.cert.pem"),
				"--payload", "="+payload+";type=application/x-ebrs+xml", "--property", "originalSender=a", "--property", "finalRecipient=b", "-o", req2)
			if code != 0 {
				t.Fatalf("pack with P-Mode certificates: exit %d: %s", code, stderr)
			}
			code, _, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--self", "AP_DE_01", "--key", p("de/AP_DE_01.enc.key.pem"), "-d", p("out2"), req2)
			if code != 0 {
				t.Fatalf("unpack with P-Mode certificates: exit %d: %s", code, stderr)
			}

			// The receipt, judged as the sender judges it: signed by AP_DE_01,
			// about the message, with the digests of what was signed. Flags
			// may follow the file.
			code, stdout, stderr = runAS4CLI(t, "unpack", resp, "--pmode", pm, "--self", "AP_FR_01", "--trust", p("ca/ca.cert.pem"), "--sent", req)
			if code != 1 || !strings.Contains(stdout, "error signal") || !strings.Contains(stdout, "EBMS:0101") {
				t.Errorf("the error signal for the tampered message, against the message: exit %d\n%s%s", code, stdout, stderr)
			}
			resp2 := p("response2.http")
			code, _, stderr = runAS4CLI(t, append(unpack[:len(unpack)-2], "-d", p("out3"), req, "--response", resp2, "--sign-key", p("de/AP_DE_01.sign.key.pem"), "--sign-cert", p("de/AP_DE_01.sign.cert.pem"))...)
			if code != 0 {
				t.Fatalf("unpack with flags after the file: exit %d: %s", code, stderr)
			}
			code, stdout, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--trust", p("ca/ca.cert.pem"), "--sent", req, resp2)
			if code != 0 || !strings.Contains(stdout, "verified receipt for "+h.MessageID) || !strings.Contains(stdout, "3 non-repudiation digests") {
				t.Errorf("receipt --sent: exit %d\n%s%s", code, stdout, stderr)
			}
			code, stdout, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--trust", p("ca/ca.cert.pem"), "--sent", req2, resp2)
			if code != 1 || !strings.Contains(stderr, "EBMS:0302") {
				t.Errorf("receipt against another message: exit %d\n%s%s", code, stdout, stderr)
			}
			// A receipt signed by a party other than the one the message
			// went to (AP_FR_01 signs a receipt for a message to AP_DE_01).
			resp3 := p("response3.http")
			code, _, stderr = runAS4CLI(t, append(unpack[:len(unpack)-2], "-d", p("out4"), "--response", resp3, "--sign-key", p("fr/AP_FR_01.sign.key.pem"), "--sign-cert", p("fr/AP_FR_01.sign.cert.pem"), req)...)
			if code != 0 {
				t.Fatalf("unpack: exit %d: %s", code, stderr)
			}
			code, stdout, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--trust", p("ca/ca.cert.pem"), "--sent", req, resp3)
			if code != 1 || !strings.Contains(stderr, "EBMS:0101") || !strings.Contains(stderr, "not signed by the receiving party") {
				t.Errorf("receipt of a third party: exit %d\n%s%s", code, stdout, stderr)
			}

			// A message of AP_FR_01 signed with another trusted certificate
			// (AP_DE_01's): refused, EBMS:0101 naming both.
			spoof := p("spoof.http")
			code, _, stderr = runAS4CLI(t, "pack", "--pmode", pm, "--leg", "ootsRequestLeg", "--from", "AP_FR_01", "--to", "AP_DE_01",
				"--key", p("de/AP_DE_01.sign.key.pem"), "--cert", p("de/AP_DE_01.sign.cert.pem"),
				"--payload", "="+payload+";type=application/x-ebrs+xml", "--property", "originalSender=a", "--property", "finalRecipient=b", "-o", spoof)
			if code != 0 {
				t.Fatalf("pack: exit %d: %s", code, stderr)
			}
			code, _, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--self", "AP_DE_01", "--key", p("de/AP_DE_01.enc.key.pem"), "--trust", p("ca/ca.cert.pem"), "-d", p("out-spoof"), spoof)
			if code != 1 || !strings.Contains(stderr, "EBMS:0101") || !strings.Contains(stderr, "AP_FR_01") || !strings.Contains(stderr, "AP_DE_01") {
				t.Errorf("a message signed by another party: exit %d, %s", code, stderr)
			}

			// With a P-Mode that requires a Timestamp, the message carries
			// one, and a stale message is refused.
			pmTS := p("pmode-ts.yaml")
			os.WriteFile(pmTS, []byte(strings.ReplaceAll(y, "timestamp: none", "timestamp: required")), 0o644)
			reqTS := p("request-ts.http")
			code, _, stderr = runAS4CLI(t, "pack", "--pmode", pmTS, "--leg", "ootsRequestLeg", "--to", "AP_DE_01",
				"--key", p("fr/AP_FR_01.sign.key.pem"), "--cert", p("fr/AP_FR_01.sign.cert.pem"),
				"--payload", "="+payload+";type=application/x-ebrs+xml", "--property", "originalSender=a", "--property", "finalRecipient=b", "-o", reqTS)
			if code != 0 {
				t.Fatalf("pack: exit %d: %s", code, stderr)
			}
			if rawTS, _ := os.ReadFile(reqTS); !bytes.Contains(rawTS, []byte("<wsu:Timestamp")) || bytes.Contains(raw, []byte("<wsu:Timestamp")) {
				t.Errorf("Timestamp: required P-Mode %v, default P-Mode %v", bytes.Contains(rawTS, []byte("<wsu:Timestamp")), bytes.Contains(raw, []byte("<wsu:Timestamp")))
			}
			unpackTS := []string{"unpack", "--pmode", pmTS, "--self", "AP_DE_01", "--key", p("de/AP_DE_01.enc.key.pem"), "--trust", p("ca/ca.cert.pem")}
			code, _, stderr = runAS4CLI(t, append(unpackTS, "--now", time.Now().Add(time.Hour).Format(time.RFC3339), "-d", p("out5"), reqTS)...)
			if code != 1 || !strings.Contains(stderr, "EBMS:0101") || !strings.Contains(stderr, "expired") {
				t.Errorf("stale: exit %d, %s", code, stderr)
			}
			// --now is the time of everything the answer says: the receipt's
			// eb:Timestamp and its wsu:Created.
			at := time.Now().Add(30 * time.Second).UTC().Truncate(time.Second)
			respTS := p("response-ts.http")
			code, _, stderr = runAS4CLI(t, append(unpackTS, "--now", at.Format(time.RFC3339), "-d", p("out6"), "--response", respTS,
				"--sign-key", p("de/AP_DE_01.sign.key.pem"), "--sign-cert", p("de/AP_DE_01.sign.cert.pem"), reqTS)...)
			if code != 0 {
				t.Fatalf("unpack --now: exit %d: %s", code, stderr)
			}
			rb, _ := os.ReadFile(respTS)
			stamp := at.Format("2006-01-02T15:04:05.000Z")
			if !bytes.Contains(rb, []byte("<wsu:Created>"+stamp+"</wsu:Created>")) || !bytes.Contains(rb, []byte(">"+stamp+"</eb:Timestamp>")) {
				t.Errorf("--now %s: the receipt has another time:\n%s", stamp, rb)
			}
		})
	}
}

// as4ReadResponse reads an HTTP response file holding a signal and verifies it.
func as4ReadResponse(t *testing.T, path string, cfg *wssec.VerifyConfig) *as4.SignalMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resp, err := http.ReadResponse(bufio.NewReader(f), nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := as4.ReadSignal(resp.Header.Get("Content-Type"), resp.Body, cfg)
	if err != nil {
		t.Fatalf("response: %v", err)
	}
	return sig
}

func TestAS4PackDomibusPMode(t *testing.T) {
	dir := t.TempDir()
	as4WriteCredentials(t, dir, wssec.AS4v115)
	// The P-Mode's one party is blue_gw: its messages must be signed by a
	// certificate of that name.
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }},
		[]string{"pki", "issue", "-profile", pkiFlag(wssec.AS4v115), "-ca", filepath.Join(dir, "ca"), "-name", "blue_gw", "-out", filepath.Join(dir, "fr")}); code != 0 {
		t.Fatalf("pki issue: %s", errOut.String())
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("q.xml"), []byte("<q/>"), 0o644)
	pm := testenv.Spec(t, "edm-2.0-oots-france/pmode/configuration_PMode_Domibus.xml")
	code, _, stderr := runAS4CLI(t, "pack", "--pmode", pm, "--leg", "ootsRequestLeg",
		"--key", p("fr/blue_gw.sign.key.pem"), "--cert", p("fr/blue_gw.sign.cert.pem"), "--peer-cert", p("de/AP_DE_01.enc.cert.pem"),
		"--payload", "="+p("q.xml")+";type=application/x-ebrs+xml",
		"--property", "originalSender=a", "--property", "finalRecipient=b", "-o", p("r.http"))
	if code != 0 {
		t.Fatalf("pack: exit %d: %s", code, stderr)
	}
	raw, _ := os.ReadFile(p("r.http"))
	if !bytes.HasPrefix(raw, []byte("POST /domibus/services/msh HTTP/1.1\r\nHost: localhost:8080\r\n")) {
		t.Errorf("request starts %q", raw[:80])
	}
	code, _, stderr = runAS4CLI(t, "unpack", "--pmode", pm, "--key", p("de/AP_DE_01.enc.key.pem"), "--trust", p("ca/ca.cert.pem"), "-d", p("out"), p("r.http"))
	if code != 0 {
		t.Fatalf("unpack: exit %d: %s", code, stderr)
	}
}

func TestAS4Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"frob"}, {"pack"}, {"unpack", "--pmode", "x"}, {"pack", "--pmode", "/nonexistent", "--leg", "l", "-o", "x"}} {
		if code, _, _ := runAS4CLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// pkiFlag is the -profile value of oots pki that issues the keys of p.
func pkiFlag(p wssec.Profile) string {
	for k, v := range pkiProfiles {
		if v == p {
			return k
		}
	}
	return string(p)
}
