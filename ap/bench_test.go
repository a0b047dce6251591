package ap_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/internal/gcfloor"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmlenc"
)

// BenchmarkExchange: two nodes on loopback, one-way push with signed (and
// encrypted) messages and signed receipts, small payloads; c backend
// clients (1: latency alone; 8: throughput) each submit a message and wait
// until its receipt is recorded. It reports messages per second and the
// latency from submission to the recorded receipt (p50, p99), per profile
// and store (sqlite-full: SQLite with ?synchronous=full, each commit synced
// to disk; sqlite-unix: SQLite's unix VFS writing the log, ?vfs=unix;
// floor: the queues in maps in memory, floorStore, to show what the rest
// of an exchange costs).
//
// The process runs with the heap floor oots serve gives a node
// (internal/gcfloor): by default its default, unless GOGC is set, as oots
// serve does; OOTS_BENCH_HEAP_FLOOR sets it as heapFloor would (bytes, -1
// for none):
//
//	go test ./ap -run '^$' -bench Exchange -benchtime 1000x
//	GOGC=100 go test ./ap -run '^$' -bench Exchange -benchtime 1000x   # Go's own pacing
//	OOTS_BENCH_HEAP_FLOOR=67108864 go test ./ap -run '^$' -bench Exchange -benchtime 1000x
func BenchmarkExchange(b *testing.B) {
	setting, _ := strconv.ParseInt(os.Getenv("OOTS_BENCH_HEAP_FLOOR"), 10, 64)
	if floor := gcfloor.Configured(setting, os.Getenv); floor > 0 {
		defer gcfloor.Start(floor)()
	}
	for _, st := range []string{"sqlite", "sqlite-full", "sqlite-unix", "postgres", "floor"} {
		for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
			for _, clients := range []int{1, benchClients} {
				b.Run(fmt.Sprintf("%s/%s/c%d", profile, st, clients), func(b *testing.B) {
					dsn := sqliteDSN
					switch st {
					case "sqlite-full": // each commit synced to disk
						dsn = func(tb testing.TB, name string) string { return sqliteDSN(tb, name) + "?synchronous=full" }
					case "sqlite-unix": // each frame of the log written as SQLite writes it
						dsn = func(tb testing.TB, name string) string { return sqliteDSN(tb, name) + "?vfs=unix" }
					case "postgres":
						dsn = pgDSN(b)
					}
					benchExchange(b, profile, dsn, clients, st == "floor")
				})
			}
		}
	}
}

const benchClients = 8

func benchExchange(b *testing.B, profile wssec.Profile, dsn func(testing.TB, string) string, clients int, floor bool) {
	var mu sync.Mutex
	waiting := map[string]chan string{} // clients waiting for a message's end
	early := map[string]string{}        // ends reported before the client waited
	nodes := newNet(b, netOptions{profile: profile, dsn: dsn, floor: floor, edit: func(name string, c *ap.Config) {
		c.Workers = benchClients
		c.OnSent = func(id, state string, _ time.Duration) {
			if state == apstore.OutQueued {
				return
			}
			mu.Lock()
			if ch := waiting[id]; ch != nil {
				ch <- state
				delete(waiting, id)
			} else {
				early[id] = state
			}
			mu.Unlock()
		}
	}})
	fr := nodes["AP_FR_01"]
	ctx := context.Background()
	// Warm up: connections, caches.
	if st, _, err := fr.Submit(ctx, submission("", "warm")); err != nil {
		b.Fatal(err)
	} else if got := waitState(b, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		b.Fatalf("warm-up: %+v", got)
	}
	drive(b, clients, func() func(int) error {
		ch := make(chan string, 1)
		return func(int) error {
			st, _, err := fr.Submit(ctx, submission("", "bench"))
			if err != nil {
				return err
			}
			mu.Lock()
			state, done := early[st.MessageID]
			if done {
				delete(early, st.MessageID)
			} else {
				waiting[st.MessageID] = ch
			}
			mu.Unlock()
			if !done {
				state = <-ch
			}
			if state != apstore.OutDelivered {
				return fmt.Errorf("message %s: %s", st.MessageID, state)
			}
			return nil
		}
	})
}

// drive runs b.N messages on clients goroutines, each with its own send
// function of newClient, and reports messages per second, the latency of a
// send (p50, p99) and the CPU time of the process (both nodes, their
// stores' clients, the benchmark) per message: a figure that other load
// on the machine does not inflate as much as wall time.
func drive(b *testing.B, clients int, newClient func() func(i int) error) {
	lat := make([]time.Duration, b.N)
	jobs := make(chan int)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send := newClient()
			for i := range jobs {
				t0 := time.Now()
				if err := send(i); err != nil {
					b.Error(err)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := range b.N {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/msg")
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkPlainPOST is the ceiling: the same bytes as a packed AS4 message,
// posted over loopback HTTP by 8 clients to a handler that reads them and
// answers with a receipt-sized body; no security, no store.
func BenchmarkPlainPOST(b *testing.B) {
	for _, profile := range []wssec.Profile{wssec.AS4v115, wssec.AS4v20} {
		b.Run(string(profile), func(b *testing.B) {
			nodes := newNet(b, netOptions{profile: profile})
			msg := packFor(b, nodes["AP_FR_01"], submission("", "bench"))
			answer := bytes.Repeat([]byte("r"), 4096)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/soap+xml")
				w.Write(answer)
			}))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
			drive(b, benchClients, func() func(int) error {
				return func(int) error {
					resp, err := client.Post(srv.URL, msg.contentType, bytes.NewReader(msg.body))
					if err != nil {
						return err
					}
					io.Copy(io.Discard, resp.Body)
					return resp.Body.Close()
				}
			})
		})
	}
}

// BenchmarkExchangeLowerBound is what any AS4 2.0 exchange of the
// benchmark's messages costs on this machine in Go on SQLite, with no XML
// at all: per message, the plain POST of BenchmarkPlainPOST (the packed
// message's bytes, a receipt-sized answer), the cryptography both nodes
// cannot do without (the sender's X25519 key and agreement, HKDF, AES key
// wrap and AES-GCM of the payload, SHA-256 of what it signs and an Ed25519
// signature; the receiver's agreement, unwrap, decryption, digest and
// verification, and its receipt's digest and signature; the sender's check
// of the receipt), and the three durable writes of the store (the
// submission before the send, the received message before its receipt,
// the delivery with its receipt), each the least a write costs on SQLite
// as the store opens it: an append to a table without indexes (see
// BenchmarkSQLiteFloor in package store); no-store: without the writes.
// 8 clients, CPU per message of
// the whole process, as BenchmarkExchange reports it; compare in one run:
//
//	go test ./ap -run '^$' -bench 'ExchangeLowerBound|Exchange/eDelivery-AS4-2.0/sqlite$/c8|PlainPOST/eDelivery-AS4-2.0' -benchtime 4000x
func BenchmarkExchangeLowerBound(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchLowerBound(b, true) })
	b.Run("no-store", func(b *testing.B) { benchLowerBound(b, false) })
}

func benchLowerBound(b *testing.B, stored bool) {
	ctx := context.Background()
	nodes := newNet(b, netOptions{profile: wssec.AS4v20})
	msg := packFor(b, nodes["AP_FR_01"], submission("", "bench"))
	payload := []byte(strings.Repeat("evidence ", 12)) // the benchmark's small payload
	answer := bytes.Repeat([]byte("r"), 4096)
	// Each store's append, prepared once, as the store prepares its
	// statements.
	open := func(name string) *sql.Stmt {
		db, err := store.Open(ctx, sqliteDSN(b, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE bound_log (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, bytes BLOB NOT NULL)"); err != nil {
			b.Fatal(err)
		}
		st, err := db.SQL().PrepareContext(ctx, "INSERT INTO bound_log (id, bytes) VALUES (?, ?)")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	senderDB, receiverDB := open("sender"), open("receiver")
	appendRow := func(st *sql.Stmt, id string, p []byte) {
		if !stored {
			return
		}
		if _, err := st.ExecContext(ctx, id, p); err != nil {
			b.Error(err)
		}
	}
	senderSig, senderSigPub := mustEd25519(b)
	receiverSig, receiverSigPub := mustEd25519(b)
	receiverKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			b.Error(err)
			return
		}
		// What the sender put in headers: its key, the wrapped key, the
		// encrypted payload, its signature.
		eph, err := ecdh.X25519().NewPublicKey(decodeHeader(r.Header, "Eph"))
		if err != nil {
			b.Error(err)
			return
		}
		sum := sha256.Sum256(body)
		if !ed25519.Verify(senderSigPub, sum[:], decodeHeader(r.Header, "Sig")) {
			b.Error("signature")
			return
		}
		shared, err := receiverKey.ECDH(eph)
		if err != nil {
			b.Error(err)
			return
		}
		kek, err := hkdf.Key(sha256.New, shared, nil, "bound", 16)
		if err != nil {
			b.Error(err)
			return
		}
		cek, err := xmlenc.Unwrap(kek, decodeHeader(r.Header, "Key"))
		if err != nil {
			b.Error(err)
			return
		}
		var plain bytes.Buffer
		if _, err := xmlenc.DecryptGCM(&plain, bytes.NewReader(decodeHeader(r.Header, "Data")), cek); err != nil {
			b.Error(err)
			return
		}
		appendRow(receiverDB, r.Header.Get("Id"), body)
		rsum := sha256.Sum256(answer)
		w.Header().Set("Sig", base64.StdEncoding.EncodeToString(ed25519.Sign(receiverSig, rsum[:])))
		w.Header().Set("Content-Type", "application/soap+xml")
		w.Write(answer)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	send := func(i int) error {
		id := fmt.Sprintf("%08x-6d3f-4c1e-9a6e-1d2b3c4d5e6f@ap.example", uint32(i)*2654435761)
		appendRow(senderDB, id, payload[:60]) // the submission
		eph, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		shared, err := eph.ECDH(receiverKey.PublicKey())
		if err != nil {
			return err
		}
		kek, err := hkdf.Key(sha256.New, shared, nil, "bound", 16)
		if err != nil {
			return err
		}
		cek, err := xmlenc.NewKey(rand.Reader)
		if err != nil {
			return err
		}
		wrapped, err := xmlenc.Wrap(kek, cek)
		if err != nil {
			return err
		}
		var sealed bytes.Buffer
		iv := make([]byte, 12)
		rand.Read(iv)
		if _, err := xmlenc.EncryptGCM(&sealed, bytes.NewReader(payload), cek, iv); err != nil {
			return err
		}
		sum := sha256.Sum256(msg.body)
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(msg.body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", msg.contentType)
		req.Header.Set("Id", id)
		for k, v := range map[string][]byte{"Eph": eph.PublicKey().Bytes(), "Key": wrapped, "Data": sealed.Bytes(), "Sig": ed25519.Sign(senderSig, sum[:])} {
			req.Header.Set(k, base64.StdEncoding.EncodeToString(v))
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		receipt, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		rsum := sha256.Sum256(receipt)
		if !ed25519.Verify(receiverSigPub, rsum[:], decodeHeader(resp.Header, "Sig")) {
			return errors.New("receipt's signature")
		}
		appendRow(senderDB, id, receipt) // the delivery
		return nil
	}
	if err := send(-1); err != nil { // warm up
		b.Fatal(err)
	}
	drive(b, benchClients, func() func(int) error { return send })
}

func mustEd25519(b *testing.B) (ed25519.PrivateKey, ed25519.PublicKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return priv, pub
}

// decodeHeader returns the bytes a header of a request or response of
// BenchmarkExchangeLowerBound carries in base64.
func decodeHeader(h http.Header, name string) []byte {
	p, _ := base64.StdEncoding.DecodeString(h.Get(name))
	return p
}
