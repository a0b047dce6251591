package tlsprofile_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/tlsprofile"
)

// certificate makes a self-signed ECDSA certificate for 127.0.0.1.
func certificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// handshake runs a real TLS handshake over loopback TCP and returns the
// client's view of the connection.
func handshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.(*tls.Conn).Handshake()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err == nil {
		defer c.Close()
		st := c.ConnectionState()
		<-done
		return st, nil
	}
	<-done
	return tls.ConnectionState{}, err
}

func TestProfile(t *testing.T) {
	cert, pool := certificate(t)
	// Both sides with the profile: TLS 1.3, which Check accepts.
	st, err := handshake(t, tlsprofile.Server(cert), tlsprofile.Client(pool))
	if err != nil {
		t.Fatal(err)
	}
	if tls13, err := tlsprofile.Check(st); err != nil || !tls13 {
		t.Errorf("profile to profile: TLS 1.3 %v, %v", tls13, err)
	}
	// A TLS 1.2-only peer meets the profile over ECDHE.
	c12 := tlsprofile.Client(pool)
	c12.MaxVersion = tls.VersionTLS12
	st, err = handshake(t, tlsprofile.Server(cert), c12)
	if err != nil {
		t.Fatal(err)
	}
	if tls13, err := tlsprofile.Check(st); err != nil || tls13 || st.Version != tls.VersionTLS12 {
		t.Errorf("TLS 1.2 peer: %s, %v, %v", tls.VersionName(st.Version), tls13, err)
	}
	for _, c := range []struct {
		name           string
		server, client *tls.Config
	}{
		{"TLS 1.1 client to a profile server", tlsprofile.Server(cert), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
		{"profile client to a TLS 1.1 server", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, tlsprofile.Client(pool)},
		{"TLS 1.2 client offering only P-521", tlsprofile.Server(cert), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CurvePreferences: []tls.CurveID{tls.CurveP521}}},
		{"TLS 1.2 client offering only CBC", tlsprofile.Server(cert), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}},
	} {
		if _, err := handshake(t, c.server, c.client); err == nil {
			t.Errorf("%s: the handshake succeeded", c.name)
		}
	}
	// Check refuses states outside the profile.
	for _, st := range []tls.ConnectionState{
		{Version: tls.VersionTLS11},
		{Version: tls.VersionTLS12, CipherSuite: tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
		{Version: tls.VersionTLS13, CurveID: tls.CurveP521},
	} {
		if _, err := tlsprofile.Check(st); err == nil || !strings.Contains(err.Error(), "tlsprofile") {
			t.Errorf("%+v accepted: %v", st, err)
		}
	}
}
