package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
)

// TestSMPRolloverUntyped: an endpoint whose certificate in use has no
// TypeCode (as an SMP 2.0 document or the management API may publish it)
// is rolled over as one of the encryption type is: by default the new
// certificate takes the type of the one in use, so that the old one ends
// the day before -from and a lookup takes the old one until then and the
// new one from then on. Typed "encryption" beside an untyped one, the new
// certificate alone was the encryption certificate, and lookups found none
// in use before -from.
func TestSMPRolloverUntyped(t *testing.T) {
	ctx := context.Background()
	f := newSMPCertsFixture(t)
	der := func(file string) []byte {
		b, _ := os.ReadFile(file)
		c, err := pki.ParseCertPEM(b)
		if err != nil {
			t.Fatal(err)
		}
		return c.Raw
	}
	p, _ := smp.ParseID(certsPart)
	d, _ := smp.ParseID(certsDoc)
	pr, _ := smp.ParseID(certsProc)
	st, closeDB, err := openSMPStore(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	st.PutParticipant(ctx, p)
	old := der(f.oldPEM)
	if err := st.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: p, DocumentType: d, Processes: []smp.Process{{ID: pr, Endpoints: []smp.Endpoint{{
		TransportProfile: smp.TransportEBMS3AS4, URL: "https://ap.example.eu/as4", Certificate: old,
		Certificates: []smp.EndpointCertificate{{Certificate: old, Description: "no TypeCode"}},
	}}}}}); err != nil {
		t.Fatal(err)
	}
	closeDB()
	if code, out, errs := runOots(t, "smp", "rollover", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-new-cert", f.newPEM, "-from", f.day(5)); code != 0 {
		t.Fatalf("rollover: %d %s %s", code, out, errs)
	}
	st, closeDB, err = openSMPStore(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	m, err := st.ServiceMetadata(ctx, p, d)
	if err != nil {
		t.Fatal(err)
	}
	e := m.Processes[0].Endpoints[0]
	for _, c := range []struct {
		day  int
		want string
	}{{0, f.oldPEM}, {4, f.oldPEM}, {5, f.newPEM}, {30, f.newPEM}} {
		got, err := e.CertificateAt(smp.CertificateEncryption, f.today.AddDate(0, 0, c.day).Add(12*3600e9))
		if err != nil || !bytes.Equal(got.Certificate, der(c.want)) {
			t.Errorf("day %+d: %v, want %s", c.day, err, c.want)
		}
	}
}
