package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/tlsprofile"
	"github.com/oots-go/oots/wssec"
)

// writeTLSCert writes a self-signed server certificate for 127.0.0.1.
func writeTLSCert(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "tls.cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "tls.key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestServeTLS: two nodes exchange a message over HTTPS, each trusting the
// other's server certificate through tls.partnerCAs.
func TestServeTLS(t *testing.T) {
	n := writeServeNet(t, wssec.AS4v20, "", nil, "tls: {certificate: tls.cert.pem, key: tls.key.pem, partnerCAs: [tls.cert.pem]}\n")
	cert := writeTLSCert(t, n.dir)
	pm, _ := os.ReadFile(filepath.Join(n.dir, "pmode.yaml"))
	os.WriteFile(filepath.Join(n.dir, "pmode.yaml"), []byte(strings.ReplaceAll(string(pm), "http://127.0.0.1", "https://127.0.0.1")), 0o644)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	url := func(name, path string) string { return strings.Replace(n.url(name, path), "http://", "https://", 1) }
	for _, name := range serveParties {
		ctx, cancel := context.WithCancel(context.Background())
		var log syncBuffer
		done := make(chan int)
		go func() {
			done <- Main(ctx, &Env{Stdout: &log, Stderr: &log, Getenv: func(string) string { return "" }}, []string{"serve", "-config", n.configs[name]})
		}()
		t.Cleanup(func() { cancel(); <-done })
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := client.Get(url(name, "/readyz"))
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v\n%s", name, err, log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Plain HTTP is refused by a TLS listener.
	if resp, err := http.Get(n.url("AP_DE_01", "/healthz")); err == nil && resp.StatusCode == 200 {
		t.Error("the TLS listener answered plain HTTP")
	}
	// The listener follows the TLS profile of TDD 3.7: TLS 1.3 by
	// preference, nothing below TLS 1.2.
	host := strings.TrimPrefix(url("AP_DE_01", ""), "https://")
	if c, err := tls.Dial("tcp", host, &tls.Config{RootCAs: pool}); err != nil {
		t.Error(err)
	} else {
		if tls13, err := tlsprofile.Check(c.ConnectionState()); err != nil || !tls13 {
			t.Errorf("listener: TLS 1.3 %v, %v", tls13, err)
		}
		c.Close()
	}
	if c, err := tls.Dial("tcp", host, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		c.Close()
		t.Error("the listener accepted TLS 1.1")
	}
	req := `{"leg": "ootsRequestLeg", "to": "AP_DE_01", "properties": [{"name": "originalSender", "value": "a"}, {"name": "finalRecipient", "value": "b"}],
		"payloads": [{"mimeType": "application/xml", "data": "PHEvPg=="}]}`
	resp, err := client.Post(url("AP_FR_01", "/api/v1/messages"), "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ MessageID, State string }
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for st.State != "delivered" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if resp, err := client.Get(url("AP_FR_01", "/api/v1/messages/"+st.MessageID)); err == nil {
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
	}
	if st.State != "delivered" {
		t.Fatalf("over TLS: %+v", st)
	}
}

// FuzzServeConfig: any configuration file is read into a configuration or
// refused with an error; never a panic.
func FuzzServeConfig(f *testing.F) {
	n := writeServeNet(f, wssec.AS4v20, "", nil, "webhook: {url: http://127.0.0.1:1/hook, secret: 0123456789abcdef}\n")
	good, _ := os.ReadFile(n.configs["AP_FR_01"])
	f.Add(good)
	f.Add([]byte("listen: x\n"))
	f.Add([]byte("tls: {certificate: a}\nlease: -1s\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		file := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadServeConfig(file, nil, false)
		if err == nil && c.Validate() != nil {
			t.Fatal("loaded a configuration that Validate refuses")
		}
	})
}
