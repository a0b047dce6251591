package ap_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/internal/gcfloor"
	"github.com/oots-go/oots/wssec"
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
	lat := make([]time.Duration, b.N)
	cpu0 := cpuTime()
	var next sync.WaitGroup
	jobs := make(chan int)
	b.ResetTimer()
	start := time.Now()
	for range clients {
		next.Add(1)
		go func() {
			defer next.Done()
			ch := make(chan string, 1)
			for i := range jobs {
				t0 := time.Now()
				st, _, err := fr.Submit(ctx, submission("", "bench"))
				if err != nil {
					b.Error(err)
					return
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
					b.Errorf("message %s: %s", st.MessageID, state)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		jobs <- i
	}
	close(jobs)
	next.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, lat, elapsed)
	// CPU time of the process (both nodes, both stores' clients, the
	// benchmark) per message: a figure that other load on the machine
	// does not inflate as much as wall time.
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
			lat := make([]time.Duration, b.N)
			jobs := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range benchClients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range jobs {
						t0 := time.Now()
						resp, err := client.Post(srv.URL, msg.contentType, bytes.NewReader(msg.body))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						lat[i] = time.Since(t0)
					}
				}()
			}
			for i := 0; i < b.N; i++ {
				jobs <- i
			}
			close(jobs)
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			reportLatency(b, lat, elapsed)
		})
	}
}
