package wssec_test

import (
	"crypto/aes"
	"crypto/cipher"
	"flag"
	"io"
	"net/textproto"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// BenchmarkSecureProcess: sign+encrypt, serialize, parse, verify+decrypt of
// a user message with two small attachments, per profile.
func BenchmarkSecureProcess(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) {
			f := getFixture(b, p)
			raw, _ := os.ReadFile("testdata/envelope.xml")
			scfg, vcfg := f.signConfig(b, true), f.verifyConfig(b, true)
			b.ResetTimer()
			for b.Loop() {
				doc, _ := xmltree.ParseBytes(raw, nil)
				out, err := wssec.Secure(doc, testParts(), scfg)
				if err != nil {
					b.Fatal(err)
				}
				rdoc, err := xmltree.ParseBytes(doc.Bytes(), nil)
				if err != nil {
					b.Fatal(err)
				}
				res, err := wssec.Process(rdoc, out, vcfg)
				if err != nil {
					b.Fatal(err)
				}
				res.Close()
				for _, o := range out {
					o.Remove()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

var largeMiB = flag.Int("large-mib", 1024, "attachment size of BenchmarkLargeAttachment in MiB")

// stream is a deterministic pseudo-random attachment of n bytes (AES-CTR
// keystream), generated on the fly so that the benchmark holds no payload.
func stream(n int64) io.ReadCloser {
	blk, _ := aes.NewCipher(make([]byte, 16))
	r := cipher.StreamReader{S: cipher.NewCTR(blk, make([]byte, 16)), R: zeros{}}
	return io.NopCloser(io.LimitReader(r, n))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// BenchmarkLargeAttachment sends one attachment of -large-mib MiB (default
// 1 GiB) through Secure (digest, encrypt to a temporary file) and Process
// (decrypt to a temporary file until the GCM tag verifies, digest) and
// reports the peak heap in use (sampled every 10 ms) and the process's peak
// resident set (VmHWM).
func BenchmarkLargeAttachment(b *testing.B) {
	for _, p := range profiles {
		b.Run(string(p), func(b *testing.B) {
			f := getFixture(b, p)
			n := int64(*largeMiB) << 20
			raw, _ := os.ReadFile("testdata/envelope.xml")
			h := textproto.MIMEHeader{}
			h.Set("Content-Type", "application/pdf")
			part := wssec.Part{ContentID: "big@oots.example", Header: h,
				Open: func() (io.ReadCloser, error) { return stream(n), nil }}
			scfg, vcfg := f.signConfig(b, true), f.verifyConfig(b, true)
			runtime.GC()
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ms runtime.MemStats
				t := time.NewTicker(10 * time.Millisecond)
				defer t.Stop()
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
			b.SetBytes(n)
			b.ResetTimer()
			for b.Loop() {
				doc, _ := xmltree.ParseBytes(raw, nil)
				out, err := wssec.Secure(doc, []wssec.Part{part}, scfg)
				if err != nil {
					b.Fatal(err)
				}
				rdoc, _ := xmltree.ParseBytes(doc.Bytes(), nil)
				res, err := wssec.Process(rdoc, out, vcfg)
				if err != nil {
					b.Fatal(err)
				}
				st, err := os.Stat(fileOf(b, res.Parts[0]))
				if err != nil || st.Size() != n {
					b.Fatalf("decrypted size %v, %v", st, err)
				}
				res.Close()
				out[0].Remove()
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(vmHWM())/(1<<20), "VmHWM-MiB")
		})
	}
}

func fileOf(tb testing.TB, p wssec.Part) string {
	rc, err := p.Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	f, ok := rc.(*os.File)
	if !ok {
		tb.Fatalf("decrypted part is not file-backed: %T", rc)
	}
	return f.Name()
}
