package main

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// builder writes a protobuf message field by field.
type builder struct{ b []byte }

func (w *builder) varint(num protowire.Number, v uint64) {
	w.b = protowire.AppendTag(w.b, num, protowire.VarintType)
	w.b = protowire.AppendVarint(w.b, v)
}

func (w *builder) bytes(num protowire.Number, v []byte) {
	w.b = protowire.AppendTag(w.b, num, protowire.BytesType)
	w.b = protowire.AppendBytes(w.b, v)
}

func (w *builder) packed(num protowire.Number, vs ...uint64) {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, v)
	}
	w.bytes(num, p)
}

// handMade is a CPU profile written as runtime/pprof writes one (packed
// sample fields, inlined frames as lines of one location, innermost
// first), but for one sample whose fields are not packed. Function i is
// named by string i.
func handMade() []byte {
	strs := []string{"", "samples", "count", "cpu", "nanoseconds",
		"crypto/internal/fips140/edwards25519/field.feMul", // 5
		"github.com/oots-go/oots/xmldsig.(*Signer).Sign",   // 6
		"runtime.mallocgc",                              // 7
		"github.com/oots-go/oots/xmltree.Parse",         // 8
		"modernc.org/sqlite/lib._sqlite3VdbeExec",       // 9
		"runtime.schedule",                              // 10
		"runtime.memclrNoHeapPointers",                  // 11
		"net/http.(*conn).serve",                        // 12
		"github.com/oots-go/oots/as4.(*Receiver).Serve", // 13
	}
	var p builder
	for _, t := range [][2]uint64{{1, 2}, {3, 4}} {
		var vt builder
		vt.varint(valueTypeType, t[0])
		vt.varint(valueTypeUnit, t[1])
		p.bytes(profileSampleType, vt.b)
	}
	sample := func(ns uint64, locs ...uint64) {
		var s builder
		s.packed(sampleLocationID, locs...)
		s.packed(sampleValue, 1, ns)
		p.bytes(profileSample, s.b)
	}
	sample(10e6, 1, 2)    // feMul in Sign: cryptography
	sample(20e6, 3, 2)    // memclr inlined in mallocgc, in Sign: allocation
	sample(40e6, 4)       // mallocgc inlined in Parse: allocation
	sample(80e6, 5, 4, 2) // SQLite under Parse: the store
	{                     // the scheduler, fields not packed: other
		var s builder
		s.varint(sampleLocationID, 6)
		s.varint(sampleValue, 1)
		s.varint(sampleValue, 160e6)
		p.bytes(profileSample, s.b)
	}
	sample(320e6, 8, 7) // Serve under the HTTP server: oots
	sample(640e6, 7)    // the HTTP server itself: HTTP
	location := func(id uint64, fns ...uint64) {
		var l builder
		l.varint(locationID, id)
		l.varint(3, 0x401000+id) // its address, ignored
		for _, f := range fns {
			var ln builder
			ln.varint(lineFunctionID, f)
			ln.varint(2, 10) // the line number, ignored
			l.bytes(locationLine, ln.b)
		}
		p.bytes(profileLocation, l.b)
	}
	location(1, 5)
	location(2, 6)
	location(3, 11, 7)
	location(4, 7, 8)
	location(5, 9)
	location(6, 10)
	location(7, 12)
	location(8, 13)
	for id := uint64(5); id < uint64(len(strs)); id++ {
		var f builder
		f.varint(functionID, id)
		f.varint(functionName, id)
		f.varint(4, 0) // its file name, ignored
		p.bytes(profileFunction, f.b)
	}
	for _, s := range strs {
		p.bytes(profileStringTable, []byte(s))
	}
	return p.b
}

func TestBudget(t *testing.T) {
	want := budget{
		parts[0].name: 10e6,  // cryptography
		parts[1].name: 80e6,  // store
		parts[2].name: 60e6,  // allocation
		parts[3].name: 640e6, // HTTP
		parts[4].name: 320e6, // oots
		other:         160e6,
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(handMade())
	zw.Close()
	for name, data := range map[string][]byte{"plain": handMade(), "gzip": z.Bytes()} {
		got, err := budgetOf(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %d ns, want %d", name, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %v", name, got)
		}
	}
	var out strings.Builder
	b, _ := budgetOf(handMade())
	if err := b.write(&out, 10); err != nil {
		t.Fatal(err)
	}
	// 640 ms of 1,270 over 10 messages: 50.4 %, 64,000 µs each.
	rows := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if name, rest, ok := strings.Cut(line, "  "); ok {
			rows[name] = strings.Join(strings.Fields(rest), " ")
		}
	}
	if got := rows["HTTP and network"]; got != "0.64 50.4 % 64000" {
		t.Errorf("HTTP and network: %q in\n%s", got, out.String())
	}
	if got := rows["total"]; got != "1.27 100.0 % 127000" {
		t.Errorf("total: %q in\n%s", got, out.String())
	}
}

func TestBudgetRefuses(t *testing.T) {
	p := handMade()
	for name, data := range map[string][]byte{
		"truncated":     p[:len(p)-3],
		"not a CPU one": bytes.Replace(p, []byte("nanoseconds"), []byte("bytesxxxxxx"), 1),
		"no samples":    {},
		"not gzip":      {0x1f, 0x8b, 0, 0},
	} {
		b, err := budgetOf(data)
		if err == nil {
			err = b.write(&strings.Builder{}, 0)
		}
		if err == nil {
			t.Errorf("%s: read as %v", name, b)
		}
	}
}

// TestBudgetOfRealProfile reads a profile runtime/pprof wrote while this
// test signed with Ed25519: most of its time is cryptography.
func TestBudgetOfRealProfile(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skipf("a CPU profile is already being written: %v", err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 64)
	// Sign until the process has had 400 ms of CPU (not of wall time: on
	// a loaded machine 300 ms of wall time gave 50 ms of samples), at
	// most 30 s.
	cpu0 := cpuTime()
	for end := time.Now().Add(30 * time.Second); cpuTime()-cpu0 < 400*time.Millisecond && time.Now().Before(end); {
		for range 100 {
			ed25519.Sign(key, msg)
		}
	}
	pprof.StopCPUProfile()
	b, err := budgetOf(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, v := range b {
		total += v
	}
	if total < 100e6 || b[parts[0].name] < total/2 {
		t.Errorf("cryptography %d ns of %d: %v", b[parts[0].name], total, b)
	}
	// go tool pprof, which reads the same file by itself, counts the
	// same total.
	file := filepath.Join(t.TempDir(), "cpu.prof")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount", "1", file).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Total samples = (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("go tool pprof printed no total:\n%s", out)
	}
	theirs, err := time.ParseDuration(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	// pprof rounds to its unit: ten milliseconds, one sample, of slack.
	if d := time.Duration(total) - theirs; d > 10*time.Millisecond || d < -10*time.Millisecond {
		t.Errorf("total %v, go tool pprof's %v", time.Duration(total), theirs)
	}
}

// FuzzBudgetOf: any input is read or refused with an error, never a
// panic; and a profile that is read can be written as a table.
func FuzzBudgetOf(f *testing.F) {
	f.Add(handMade())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := budgetOf(data)
		if err != nil {
			return
		}
		b.write(io.Discard, 3)
	})
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
