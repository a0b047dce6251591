package schematron

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/xmltree"
)

// batchSize is the number of messages of the benchmark batch: half evidence
// requests, half evidence responses.
const batchSize = 1000

var (
	reAnyDate  = regexp.MustCompile(`\b(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]`)
	reFamily   = regexp.MustCompile(`(<sdg:FamilyName>)[^<]*`)
	reGiven    = regexp.MustCompile(`(<sdg:GivenName>)[^<]*`)
	reIdentVal = regexp.MustCompile(`(<sdg:Identifier schemeID="eidas">[A-Z]{2}/[A-Z]{2}/)[^<]*`)
)

// batchDoc is one message of the benchmark batch.
type batchDoc struct {
	kind string
	data []byte
}

// benchBatch generates batchSize evidence requests and responses from the TDD
// 1.0 samples with varied values (fresh UUIDs, dates, names, identifiers).
// Deterministic.
func benchBatch(tb testing.TB) []batchDoc {
	tb.Helper()
	req, err := os.ReadFile(testenv.Spec(tb, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := os.ReadFile(testenv.Spec(tb, "tdd-1.0/xml/edm/birth-2-evidence-response.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2026, 11))
	names := []string{"Dupont", "Müller", "Rossi", "García", "Nowak", "Jansen", "Virtanen", "Papadopoulos"}
	vary := func(b []byte) []byte {
		b = reUUID.ReplaceAllFunc(b, func([]byte) []byte {
			return fmt.Appendf(nil, "%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
		})
		b = reAnyDate.ReplaceAllFunc(b, func([]byte) []byte {
			return fmt.Appendf(nil, "%04d-%02d-%02d", 1950+r.IntN(70), 1+r.IntN(12), 1+r.IntN(28))
		})
		b = reFamily.ReplaceAll(b, []byte("${1}"+names[r.IntN(len(names))]))
		b = reGiven.ReplaceAll(b, []byte("${1}"+names[r.IntN(len(names))]))
		b = reIdentVal.ReplaceAll(b, fmt.Appendf(nil, "${1}%09d", r.IntN(1e9)))
		return b
	}
	out := make([]batchDoc, batchSize)
	for i := range out {
		if i%2 == 0 {
			out[i] = batchDoc{KindEDMRequest, vary(req)}
		} else {
			out[i] = batchDoc{KindEDMResponse, vary(resp)}
		}
	}
	return out
}

// validateBatch parses and validates every message of the batch with the
// TDD 1.0 EDM rule files of its kind and returns the number of findings.
func validateBatch(tb testing.TB, batch []batchDoc) int {
	n := 0
	for _, d := range batch {
		doc, err := xmltree.ParseBytes(d.data, nil)
		if err != nil {
			tb.Fatal(err)
		}
		rs, err := ForKind(d.kind, "oots-edm:v1.0")
		if err != nil {
			tb.Fatal(err)
		}
		n += len(rs.Validate(doc))
	}
	return n
}

// BenchmarkValidateBatch validates a batch of 1,000 evidence requests and
// responses (parse + structure and content rule files) and reports
// documents per second.
func BenchmarkValidateBatch(b *testing.B) {
	batch := benchBatch(b)
	validateBatch(b, batch[:2]) // compile the rule sets outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		validateBatch(b, batch)
	}
	b.ReportMetric(float64(b.N*batchSize)/time.Since(start).Seconds(), "docs/s")
	if c := cpuTime() - cpu; c > 0 {
		b.ReportMetric(float64(b.N*batchSize)/c.Seconds(), "docs/cpu-s")
	}
}

// BenchmarkValidateParallel is the same batch spread over GOMAXPROCS
// goroutines sharing the cached rule sets, as the access point would.
func BenchmarkValidateParallel(b *testing.B) {
	batch := benchBatch(b)
	validateBatch(b, batch[:2])
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			validateBatch(b, batch[i%batchSize:i%batchSize+1])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
}

// TestSaxonThroughput measures Saxon-HE on the benchmark batch in one JVM run
// per rule file (-s:DIR), and our engine on the same batch in the same
// process, and prints both. It is slow, so it runs only when
// OOTS_SAXON_THROUGHPUT=1:
//
//	OOTS_SAXON_THROUGHPUT=1 go test ./schematron -run TestSaxonThroughput -v
func TestSaxonThroughput(t *testing.T) {
	if os.Getenv("OOTS_SAXON_THROUGHPUT") != "1" {
		t.Skip("set OOTS_SAXON_THROUGHPUT=1 to measure Saxon's throughput")
	}
	sx := newSaxon(t)
	batch := benchBatch(t)
	tmp := t.TempDir()
	byKind := map[string][]string{}
	for i, d := range batch {
		dir := filepath.Join(tmp, "docs", d.kind)
		os.MkdirAll(dir, 0o755)
		name := fmt.Sprintf("d%04d.xml", i)
		if err := os.WriteFile(filepath.Join(dir, name), d.data, 0o644); err != nil {
			t.Fatal(err)
		}
		byKind[d.kind] = append(byKind[d.kind], name)
	}
	var schs []string
	for _, kind := range []string{KindEDMRequest, KindEDMResponse} {
		files, _ := Files(kind, "oots-edm:v1.0")
		for _, f := range files {
			schs = append(schs, filepath.Join(testenv.SpecDir(t), "tdd-1.0/sch", filepath.Base(f)))
		}
	}
	xsls := sx.compile(t, filepath.Join(tmp, "compiled"), schs)
	t.Logf("batch of %d evidence requests and responses, EDM-REQ/RESP S+C (TDD 1.0)", batchSize)

	// Saxon with the JVM's defaults, then with the options of the
	// differential runs (C1 only, serial GC): the better is Saxon's figure.
	for _, jvm := range [][]string{nil, fastJVM} {
		sx.jvm = jvm
		saxonRun(t, sx, tmp, batch, byKind, xsls)
	}
	validateBatch(t, batch[:2])
	ours, ourCPU0 := time.Now(), cpuTime()
	validateBatch(t, batch)
	goTime, goCPU := time.Since(ours), cpuTime()-ourCPU0

	t.Logf("oots schematron (one goroutine): %v → %.0f docs/s; CPU %v → %.0f docs per CPU-second",
		goTime.Round(time.Millisecond), batchSize/goTime.Seconds(), goCPU.Round(time.Millisecond), batchSize/goCPU.Seconds())
}

// saxonRun times Saxon on the batch (one JVM run per rule file over the
// directory of its kind) and logs wall and CPU rates.
func saxonRun(t *testing.T, sx *saxon, tmp string, batch []batchDoc, byKind map[string][]string, xsls map[string]string) {
	t.Helper()
	// JVM start-up and stylesheet compilation, measured on one document.
	one := filepath.Join(tmp, "one")
	os.MkdirAll(one, 0o755)
	os.WriteFile(filepath.Join(one, "d.xml"), batch[0].data, 0o644)
	startup := time.Now()
	if _, err := sx.run(xsls["EDM-REQ-S.sch"], one, filepath.Join(tmp, "out-one"), []string{"d.xml"}); err != nil {
		t.Fatal(err)
	}
	jvm := time.Since(startup)

	start, saxonCPU0 := time.Now(), sx.cpu
	runs := 0
	for _, kind := range []string{KindEDMRequest, KindEDMResponse} {
		files, _ := Files(kind, "oots-edm:v1.0")
		for _, f := range files {
			base := filepath.Base(f)
			if _, err := sx.run(xsls[base], filepath.Join(tmp, "docs", kind), filepath.Join(tmp, "out", base), byKind[kind]); err != nil {
				t.Fatal(err)
			}
			runs++
		}
	}
	saxon, saxonCPU := time.Since(start), sx.cpu-saxonCPU0

	saxonRate := batchSize / saxon.Seconds()
	saxonWarm := batchSize / (saxon - time.Duration(runs)*jvm).Seconds()
	t.Logf("Saxon-HE %v (%d JVM runs, -s:DIR): %v → %.0f docs/s (%.0f docs/s without %d × %v JVM start-up); CPU %v → %.0f docs per CPU-second",
		sx.jvm, runs, saxon.Round(time.Millisecond), saxonRate, saxonWarm, runs, jvm.Round(time.Millisecond), saxonCPU.Round(time.Millisecond), batchSize/saxonCPU.Seconds())
}
