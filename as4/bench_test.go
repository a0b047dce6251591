package as4_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/wssec"
)

// BenchmarkPackUnpack measures a signed and encrypted request with a small
// payload through Pack, the HTTP request bytes and Unpack, per profile.
func BenchmarkPackUnpack(b *testing.B) {
	for _, profile := range profiles[:2] {
		b.Run(string(profile), func(b *testing.B) {
			f := getFixture(b, profile)
			c := config(profile)
			s, r := f.senderOf(b, c), f.receiverOf(b, c)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				p, err := s.Pack(request())
				if err != nil {
					b.Fatal(err)
				}
				req := wire(b, p)
				in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
				if err != nil {
					b.Fatal(err)
				}
				for _, pl := range in.Payloads {
					rc, err := pl.Open()
					if err != nil {
						b.Fatal(err)
					}
					buf, _ = io.ReadAll(rc)
					rc.Close()
				}
				in.Close()
				p.Close()
			}
			_ = buf
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// patternReader yields n pseudo-random (incompressible) bytes.
type patternReader struct {
	n, x uint64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	if uint64(len(b)) > p.n {
		b = b[:p.n]
	}
	var w [8]byte
	for i := 0; i < len(b); i += 8 {
		p.x ^= p.x << 13
		p.x ^= p.x >> 7
		p.x ^= p.x << 17
		binary.LittleEndian.PutUint64(w[:], p.x)
		copy(b[i:], w[:])
	}
	p.n -= uint64(len(b))
	return len(b), nil
}

func (p *patternReader) Close() error { return nil }

// peakHeap samples the heap in use until stop is called and returns the
// largest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if v := m.HeapInuse + m.StackInuse; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkLargePayload sends one 1 GiB payload (OOTS_AS4_BENCH_SIZE
// overrides the size in bytes) through Pack, a request file on disk and
// Unpack, signed and encrypted (and, in the +gzip case, compressed; the
// payload is incompressible, so that case measures gzip's cost), and
// reports the peak heap in use. Run it alone:
// go test ./as4 -run '^$' -bench LargePayload -benchtime 1x
func BenchmarkLargePayload(b *testing.B) {
	size := uint64(1 << 30)
	if s := os.Getenv("OOTS_AS4_BENCH_SIZE"); s != "" {
		var n uint64
		for _, c := range s {
			n = n*10 + uint64(c-'0')
		}
		size = n
	}
	for _, bc := range []struct {
		name    string
		profile wssec.Profile
		gzip    bool
	}{
		{string(wssec.AS4v115), wssec.AS4v115, false},
		{string(wssec.AS4v20), wssec.AS4v20, false},
		{string(wssec.AS4v20) + "+gzip", wssec.AS4v20, true},
	} {
		profile := bc.profile
		b.Run(bc.name, func(b *testing.B) {
			f := getFixture(b, profile)
			c := config(profile)
			c.Legs[0].Payload.Compress = bc.gzip
			dir := b.TempDir()
			s, r := f.senderOf(b, c), f.receiverOf(b, c)
			s.TempDir, r.TempDir = dir, dir
			runtime.GC()
			stop := peakHeap()
			for b.Loop() {
				out := request()
				out.Payloads = []as4.Payload{{ContentID: "big@oots", MimeType: "application/octet-stream",
					Open: func() (io.ReadCloser, error) { return &patternReader{n: size, x: 88172645463325252}, nil }}}
				p, err := s.Pack(out)
				if err != nil {
					b.Fatal(err)
				}
				reqFile := filepath.Join(dir, "request.http")
				fw, err := os.Create(reqFile)
				if err != nil {
					b.Fatal(err)
				}
				if err := p.WriteRequest(fw, ""); err != nil {
					b.Fatal(err)
				}
				fw.Close()
				p.Close()

				fr, err := os.Open(reqFile)
				if err != nil {
					b.Fatal(err)
				}
				req, err := http.ReadRequest(bufio.NewReaderSize(fr, 64<<10))
				if err != nil {
					b.Fatal(err)
				}
				in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
				if err != nil {
					b.Fatal(err)
				}
				fr.Close()
				os.Remove(reqFile)
				rc, err := in.Payloads[0].Open()
				if err != nil {
					b.Fatal(err)
				}
				h := sha256.New()
				n, err := io.Copy(h, rc)
				rc.Close()
				in.Close()
				if err != nil || uint64(n) != size {
					b.Fatalf("payload: %d bytes, %v", n, err)
				}
			}
			peak := stop()
			b.SetBytes(int64(size))
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkSignReceipt measures making and signing a receipt for a received
// AS4 2.0 message (Receiver.Receipt, then SignSignal: the signal's tree,
// WS-Security, the envelope's bytes) beside the cryptography it cannot do
// without (SHA-256 of the signed parts' canonical bytes, Ed25519 of the
// SignedInfo), which bounds what a writer that signs while it writes could
// save per receipt.
//
//	go test ./as4 -run '^$' -bench SignReceipt -benchtime 20000x
func BenchmarkSignReceipt(b *testing.B) {
	f := getFixture(b, wssec.AS4v20)
	c := config(wssec.AS4v20)
	r := f.receiverOf(b, c)
	req := wire(b, f.packRequest(b, c))
	body, err := io.ReadAll(req.Body)
	if err != nil {
		b.Fatal(err)
	}
	in := f.unpack(b, c, req.Header.Get("Content-Type"), body)
	sc := &wssec.SignConfig{SigningKey: f.receiver.Sign.Signer(), SigningCert: f.receiver.Sign.Cert, Profile: wssec.AS4v20, Now: clock, Timestamp: wssec.TimestampRequired}
	signed, err := func() ([]byte, error) {
		m, err := r.Receipt(in)
		if err != nil {
			return nil, err
		}
		return as4.SignSignal(m, sc)
	}()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("receipt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := r.Receipt(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := as4.SignSignal(m, sc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cryptography", func(b *testing.B) {
		// The receipt's eb:Messaging, Body and Timestamp are less than its
		// bytes; its SignedInfo about 1 KB.
		key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
		b.ReportAllocs()
		for b.Loop() {
			sha256.Sum256(signed[:len(signed)/2])
			ed25519.Sign(key, signed[:1024])
		}
	})
}
