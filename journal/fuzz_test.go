package journal_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/journal"
)

// chainExport returns an export of n chained entries, built without a
// database.
func chainExport(tb testing.TB, n int) string {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	var prev journal.Hash
	for i := 1; i <= n; i++ {
		e := &journal.Entry{Seq: int64(i), Time: time.UnixMilli(1795000000000 + int64(i)).UTC(), Node: "node-a",
			Event: journal.EventResponseReceived, Conversation: "c", Outcome: "EDM:ERR:0002", Prev: prev}
		if i == 2 {
			e.Sealed = []byte("nonce-and-ciphertext-with-tag")
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		if err := enc.Encode(e); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.String()
}

// FuzzVerifyExport: the parser of exports never panics, and what it accepts
// is accepted again once re-encoded entry by entry.
func FuzzVerifyExport(f *testing.F) {
	valid := chainExport(f, 3)
	f.Add(valid)
	f.Add(strings.Replace(valid, `"c"`, `"d"`, 1))
	f.Add("")
	f.Add("{}\n")
	f.Add(`{"seq":1,"time":"2026-11-22T10:00:00Z","node":"n","event":"e","prev":"` + strings.Repeat("0", 64) + `","hash":"` + strings.Repeat("0", 64) + `"}`)
	f.Fuzz(func(t *testing.T, text string) {
		if err := journal.VerifyExport(strings.NewReader(text)); err != nil {
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		sc := bufio.NewScanner(strings.NewReader(text))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e journal.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("accepted line does not decode: %v", err)
			}
			if err := enc.Encode(&e); err != nil {
				t.Fatal(err)
			}
		}
		if err := journal.VerifyExport(&buf); err != nil {
			t.Fatalf("accepted export, re-encoded, is refused: %v\n%s", err, buf.String())
		}
	})
}
