package smp_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/oots-go/oots/smp"
)

// BenchmarkServeSignedMetadata: one signed service metadata answer (RSA-2048
// signature per answer), in process.
func BenchmarkServeSignedMetadata(b *testing.B) {
	f := getFixture(b)
	srv, _ := smp.NewServer(smp.Config{Store: f.populated(b, smp.NewMemoryStore()), Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert})
	path := "/" + participant.PathSegment() + "/services/" + docType.PathSegment()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkResolve: a client lookup over loopback HTTP without cache
// (fetch, verify signature, validate certificates), and from the cache.
func BenchmarkResolve(b *testing.B) {
	f := getFixture(b)
	hs := f.server(b, f.populated(b, smp.NewMemoryStore()), smp.OASIS1, f.smpCred)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ttl  int
	}{{"uncached", -1}, {"cached", 0}} {
		b.Run(c.name, func(b *testing.B) {
			cl := &smp.Client{SMP: hs.URL, Trust: f.trust}
			if c.ttl < 0 {
				cl.CacheTTL = -1
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cl.Resolve(ctx, participant, docType, process); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyServiceMetadata: parse and verify one signed answer.
func BenchmarkVerifyServiceMetadata(b *testing.B) {
	f := getFixture(b)
	srv, _ := smp.NewServer(smp.Config{Store: f.populated(b, smp.NewMemoryStore()), Key: f.smpCred.Sign.Signer(), Certificate: f.smpCred.Sign.Cert})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/"+participant.PathSegment()+"/services/"+docType.PathSegment(), nil))
	doc := rec.Body.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := smp.VerifyServiceMetadata(doc, f.trust, f.ap.Sign.Cert.NotBefore.Add(1e9)); err != nil {
			b.Fatal(err)
		}
	}
}
