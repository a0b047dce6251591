// Command cpubudget reads a CPU profile (the pprof format that
// runtime/pprof and go test -cpuprofile write) and says where its time
// went, in the parts an AS4 exchange is made of: cryptography, the store,
// the collector and the allocator, HTTP and the network, the rest of oots
// (XML, WS-Security, AS4, the node), and everything else (the scheduler,
// the test's own goroutines).
//
// Each sample goes to one part: that of its innermost frame that belongs
// to any (inlined frames included), so the allocation inside an XML
// function is the allocator's and the XML function that calls the
// allocator is not charged for it. With -messages, the number of messages
// the profiled run exchanged, it also gives each part per message:
//
//	go test -c -o after.test ./ap
//	./after.test -test.run '^$' -test.bench 'Exchange/eDelivery-AS4-2.0/sqlite$/c8' -test.benchtime 8000x -test.cpuprofile cpu.prof
//	go run ./ap/internal/cpubudget -messages 8000 cpu.prof
//
// The profile also holds what ran before the benchmark's timer started
// (two nodes starting, a warm-up message): a few milliseconds in all.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protowire"
)

// part is one share of the budget: the functions whose names match re.
type part struct {
	name string
	re   *regexp.Regexp
}

// parts, in the order they are printed; a frame matching several belongs
// to the first.
var parts = []part{
	{"cryptography", regexp.MustCompile(`^crypto/`)},
	{"store (SQLite, PostgreSQL, database/sql)", regexp.MustCompile(`^(modernc\.org/|database/sql\.|github\.com/jackc/|github\.com/oots-go/oots/store\.)`)},
	{"allocation and garbage collection", regexp.MustCompile(`^runtime\.(mallocgc|gcBgMarkWorker|bgsweep|bgscavenge|gcAssistAlloc)$`)},
	{"HTTP and network", regexp.MustCompile(`^(net/http\.|net\.|internal/poll\.|net/textproto\.|mime/multipart\.|mime\.)`)},
	{"oots: XML, WS-Security, AS4, node", regexp.MustCompile(`^github\.com/oots-go/oots/`)},
}

// other is the part of a sample none of whose frames is in parts.
const other = "other (scheduler, runtime, test)"

func main() {
	messages := flag.Int("messages", 0, "the number of messages the profiled run exchanged (0: no figure per message)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cpubudget [-messages N] cpu.prof")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *messages < 0 {
		flag.Usage()
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var b budget
		if b, err = budgetOf(data); err == nil {
			err = b.write(os.Stdout, *messages)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpubudget:", err)
		os.Exit(1)
	}
}

// budget is the CPU time of a profile by part (parts, then other), in
// nanoseconds.
type budget map[string]int64

func (b budget) write(w io.Writer, messages int) error {
	var total int64
	for _, v := range b {
		total += v
	}
	if total <= 0 {
		return errors.New("the profile holds no CPU time")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "part\tseconds\tshare"
	if messages > 0 {
		head += "\tµs per message"
	}
	fmt.Fprintln(tw, head)
	row := func(name string, v int64) {
		line := fmt.Sprintf("%s\t%.2f\t%.1f %%", name, float64(v)/1e9, 100*float64(v)/float64(total))
		if messages > 0 {
			line += fmt.Sprintf("\t%.0f", float64(v)/1e3/float64(messages))
		}
		fmt.Fprintln(tw, line)
	}
	for _, p := range parts {
		row(p.name, b[p.name])
	}
	row(other, b[other])
	row("total", total)
	return tw.Flush()
}

// budgetOf reads a profile, gzip-compressed or not, and adds up the CPU
// time of its samples by part.
func budgetOf(data []byte) (budget, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		if data, err = io.ReadAll(io.LimitReader(zr, 1<<30)); err != nil {
			return nil, fmt.Errorf("decompressing the profile: %w", err)
		}
	}
	p, err := parseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("reading the profile: %w", err)
	}
	value := -1
	for i, t := range p.sampleTypes {
		if p.str(t.typ) == "cpu" && p.str(t.unit) == "nanoseconds" {
			value = i
		}
	}
	if value < 0 {
		return nil, errors.New("not a CPU profile: no sample type cpu/nanoseconds")
	}
	// The part of each function, decided once.
	partOf := map[uint64]string{}
	for id, name := range p.functions {
		for _, pt := range parts {
			if pt.re.MatchString(p.str(name)) {
				partOf[id] = pt.name
				break
			}
		}
	}
	b := budget{}
	for _, s := range p.samples {
		if value >= len(s.values) {
			return nil, errors.New("a sample has fewer values than sample types")
		}
		b[p.partOfSample(s, partOf)] += s.values[value]
	}
	return b, nil
}

// partOfSample is the part of a sample's innermost frame that has one.
func (p *profile) partOfSample(s sample, partOf map[uint64]string) string {
	for _, loc := range s.locations {
		for _, fn := range p.locations[loc] { // innermost inlined frame first
			if pt, ok := partOf[fn]; ok {
				return pt
			}
		}
	}
	return other
}

// profile is what cpubudget needs of a pprof profile (profile.proto of
// github.com/google/pprof): its sample types, samples, the functions of
// each location, and the names of functions.
type profile struct {
	sampleTypes []valueType
	samples     []sample
	locations   map[uint64][]uint64 // location id → function ids, innermost first
	functions   map[uint64]int64    // function id → index of its name in strings
	strings     []string
}

type valueType struct{ typ, unit int64 }

type sample struct {
	locations []uint64 // innermost first
	values    []int64
}

func (p *profile) str(i int64) string {
	if i < 0 || i >= int64(len(p.strings)) {
		return ""
	}
	return p.strings[i]
}

// Field numbers of profile.proto.
const (
	profileSampleType  = 1
	profileSample      = 2
	profileLocation    = 4
	profileFunction    = 5
	profileStringTable = 6

	valueTypeType = 1
	valueTypeUnit = 2

	sampleLocationID = 1
	sampleValue      = 2

	locationID   = 1
	locationLine = 4

	lineFunctionID = 1

	functionID   = 1
	functionName = 2
)

func parseProfile(b []byte) (*profile, error) {
	p := &profile{locations: map[uint64][]uint64{}, functions: map[uint64]int64{}}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case profileSampleType:
			var t valueType
			err := fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
				switch {
				case num == valueTypeType && typ == protowire.VarintType:
					t.typ = int64(n)
				case num == valueTypeUnit && typ == protowire.VarintType:
					t.unit = int64(n)
				}
				return nil
			})
			p.sampleTypes = append(p.sampleTypes, t)
			return err
		case profileSample:
			var s sample
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
				switch num {
				case sampleLocationID:
					return varints(typ, v, n, func(x uint64) { s.locations = append(s.locations, x) })
				case sampleValue:
					return varints(typ, v, n, func(x uint64) { s.values = append(s.values, int64(x)) })
				}
				return nil
			})
			p.samples = append(p.samples, s)
			return err
		case profileLocation:
			var id uint64
			var fns []uint64
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
				switch {
				case num == locationID && typ == protowire.VarintType:
					id = n
				case num == locationLine && typ == protowire.BytesType:
					return fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
						if num == lineFunctionID && typ == protowire.VarintType {
							fns = append(fns, n)
						}
						return nil
					})
				}
				return nil
			})
			p.locations[id] = fns
			return err
		case profileFunction:
			var id uint64
			var name int64
			err := fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
				switch {
				case num == functionID && typ == protowire.VarintType:
					id = n
				case num == functionName && typ == protowire.VarintType:
					name = int64(n)
				}
				return nil
			})
			p.functions[id] = name
			return err
		case profileStringTable:
			p.strings = append(p.strings, string(v))
		}
		return nil
	})
	return p, err
}

// fields calls f for each field of the protobuf message b: its number, its
// wire type, and its bytes (length-delimited) or value (varint).
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, k := protowire.ConsumeTag(b)
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, k = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, k = protowire.ConsumeBytes(b)
		default:
			k = protowire.ConsumeFieldValue(num, typ, b)
		}
		if k < 0 {
			return protowire.ParseError(k)
		}
		b = b[k:]
		if err := f(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

// varints calls f for a repeated varint field's values, packed (bytes) or
// not (one varint).
func varints(typ protowire.Type, v []byte, n uint64, f func(uint64)) error {
	switch typ {
	case protowire.VarintType:
		f(n)
	case protowire.BytesType:
		for len(v) > 0 {
			x, k := protowire.ConsumeVarint(v)
			if k < 0 {
				return protowire.ParseError(k)
			}
			f(x)
			v = v[k:]
		}
	}
	return nil
}
