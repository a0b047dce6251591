package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// lcmBackend hands a Member State node's LCM answers to its client.
type lcmClientBackend struct{ c *lcm.Client }

func (b *lcmClientBackend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	return b.c.Deliver(ctx, m)
}

// TestCSServeLCMOverAS4: "oots cs serve -as4" receives LCM over AS4 on the
// P-Mode imported from a Projectathon-style Domibus file: the German access
// point's submission of the official German sample is applied; the French
// node ("oots serve"), through "oots lcm submit", submits German objects
// and is refused with LCM:ERR:0001; each answered on its leg with signed
// receipts.
func TestCSServeLCMOverAS4(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	parties := []string{"oots-de", "oots-fr", "cs-lcm-projectathon"}
	ca, err := pki.NewCA("oots cs serve LCM test CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteFiles(dir, "ca"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "lcm", "testdata", "projectathon-lcm-pmode.xml"))
	if err != nil {
		t.Fatal(err)
	}
	x := string(raw)
	creds, ports := map[string]*pki.Party{}, map[string]int{}
	for _, p := range parties {
		if creds[p], err = pki.Issue(ca, p, wssec.AS4v115, nil); err != nil {
			t.Fatal(err)
		}
		if err := creds[p].WriteFiles(dir, p); err != nil {
			t.Fatal(err)
		}
		ports[p] = freePort(t)
		x = strings.ReplaceAll(x, "ENDPOINT-"+p+`"`, fmt.Sprintf(`http://127.0.0.1:%d/as4"`, ports[p]))
	}
	pm, err := pmode.ImportDomibus([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	// The Common Services' P-Mode: the imported one, with the partners'
	// certificates (a Domibus file keeps them in its truststore).
	for i := range pm.Parties {
		p := &pm.Parties[i]
		p.SigningCertificate, p.EncryptionCertificate = p.Name+".sign.cert.pem", p.Name+".enc.cert.pem"
	}
	y, err := pm.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pmode.yaml"), y, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:%d
dataDir: data-cs
pmode: pmode.yaml
self: cs-lcm-projectathon
keys:
  signingKey: cs-lcm-projectathon.sign.key.pem
  signingCertificate: cs-lcm-projectathon.sign.cert.pem
  decryptionKey: cs-lcm-projectathon.enc.key.pem
  trust: [ca.cert.pem]
api: {insecureOpen: true}
pollInterval: 50ms
log: {level: warn, format: json}
`, ports["cs-lcm-projectathon"])
	if err := os.WriteFile(filepath.Join(dir, "cs.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		env := &Env{Stdout: &stderr, Stderr: &stderr, Getenv: func(string) string { return "" }}
		done <- Main(ctx, env, []string{"cs", "serve", "-addr", "127.0.0.1:0", "-trust-out", filepath.Join(dir, "cs-ca.pem"),
			"-as4", filepath.Join(dir, "cs.yaml"), "-lcm-party", "oots-de=DE", "-lcm-party", "oots-fr=FR"})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("oots cs serve: exit %d\n%s", code, stderr.String())
		}
	})
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports["cs-lcm-projectathon"]), &stderr)

	// The German access point, in this process.
	clients := map[string]*lcm.Client{}
	for _, p := range parties[:1] {
		mpm, err := pmode.ImportDomibus([]byte(x))
		if err != nil {
			t.Fatal(err)
		}
		mpm.Self = p
		enc, sign := map[string]*x509.Certificate{}, map[string]*x509.Certificate{}
		for _, o := range parties {
			enc[o], sign[o] = creds[o].Encrypt.Cert, creds[o].Sign.Cert
		}
		db, err := store.Open(ctx, filepath.Join(dir, p+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		be := &lcmClientBackend{}
		node, err := ap.New(ap.Config{PMode: mpm, Store: db, Backend: be, NodeID: p, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
			SigningKey: creds[p].Sign.Signer(), SigningCert: creds[p].Sign.Cert, DecryptionKey: creds[p].Encrypt.Key,
			Trust: trust.NewStore(ca.Cert), EncryptionCerts: enc, SigningCerts: sign,
			TempDir: filepath.Join(dir, p, "tmp"), PayloadDir: filepath.Join(dir, p, "payloads")})
		if err != nil {
			t.Fatal(err)
		}
		if be.c, err = lcm.NewClient(lcm.ClientConfig{AP: node, To: "cs-lcm-projectathon", Timeout: 30 * time.Second,
			Properties: []ap.Property{{Name: "originalSender", Value: p}, {Name: "finalRecipient", Value: "cs-lcm-projectathon"}}}); err != nil {
			t.Fatal(err)
		}
		clients[p] = be.c
		srv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[p]), Handler: node.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.ListenAndServe()
		t.Cleanup(func() { srv.Close() })
		runDone := make(chan struct{})
		go func() { node.Run(ctx); close(runDone) }()
		t.Cleanup(func() { cancel(); <-runDone })
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/"+name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	res, err := clients["oots-de"].Submit(ctx, read("5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if e := res.Refused(); e != nil || res.Leg != lcm.DefaultLegs().Response || !res.Delivered {
		t.Fatalf("DE: answer on %s, delivered %v, refused %+v", res.Leg, res.Delivered, e)
	}
	// The French node runs "oots serve"; "oots lcm submit" goes through its
	// backend API.
	fr := fmt.Sprintf(`listen: 127.0.0.1:%d
dataDir: data-fr
pmode: pmode.yaml
self: oots-fr
keys:
  signingKey: oots-fr.sign.key.pem
  signingCertificate: oots-fr.sign.cert.pem
  decryptionKey: oots-fr.enc.key.pem
  trust: [ca.cert.pem]
api: {insecureOpen: true}
pollInterval: 50ms
log: {level: warn, format: json}
`, ports["oots-fr"])
	if err := os.WriteFile(filepath.Join(dir, "fr.yaml"), []byte(fr), 0o644); err != nil {
		t.Fatal(err)
	}
	var frLog syncBuffer
	frDone := make(chan int, 1)
	go func() {
		env := &Env{Stdout: &frLog, Stderr: &frLog, Getenv: func(string) string { return "" }}
		frDone <- Main(ctx, env, []string{"serve", "-config", filepath.Join(dir, "fr.yaml")})
	}()
	t.Cleanup(func() { cancel(); <-frDone })
	api := fmt.Sprintf("http://127.0.0.1:%d", ports["oots-fr"])
	waitReady(t, api+"/readyz", &frLog)
	sample := filepath.Join(dir, "dsd.xml")
	if err := os.WriteFile(sample, read("5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	code := Main(ctx, &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}, []string{"lcm", "submit", "-api", api,
		"-to", "cs-lcm-projectathon", "-timeout", "30s", "-property", "originalSender=oots-fr", "-property", "finalRecipient=cs-lcm-projectathon", sample})
	if code != 1 || !strings.Contains(out.String(), "refused LCM:ERR:0001") || !strings.Contains(out.String(), "on lcmErrorLeg") {
		t.Fatalf("oots lcm submit: exit %d, want 1 with LCM:ERR:0001 on lcmErrorLeg\n%s%s\n%s", code, out.String(), errOut.String(), frLog.String())
	}
	t.Log(strings.TrimSpace(out.String()))
}

// TestLCMTokens: the tokens file of the LCM binding, and what it refuses.
func TestLCMTokens(t *testing.T) {
	got, err := parseLCMTokens("f", []byte("# comment\n\noperator-token-0123456789 - operator\nde-token-0123456789abc DE AP-DE\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["operator-token-0123456789"].Country != "" || got["de-token-0123456789abc"].Country != "DE" || got["de-token-0123456789abc"].Party != "AP-DE" {
		t.Errorf("tokens %+v", got)
	}
	for _, bad := range []string{"", "short DE AP-DE\n", "de-token-0123456789abc de AP-DE\n", "de-token-0123456789abc DE\n",
		"de-token-0123456789abc DE a\nde-token-0123456789abc FR b\n"} {
		if _, err := parseLCMTokens("f", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseLCMTokens(f *testing.F) {
	f.Add([]byte("operator-token-0123456789 - operator\nde-token-0123456789abc DE AP-DE\n"))
	f.Add([]byte("# x\nshort DE a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		toks, err := parseLCMTokens("f", b)
		if err != nil {
			return
		}
		for tok, s := range toks {
			if len(tok) < 16 || (s.Country != "" && !countryCode.MatchString(s.Country)) || s.Party == "" {
				t.Errorf("accepted token %q for %+v", tok, s)
			}
		}
	})
}
