package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// BenchmarkMessageCycle measures the store's share of one message: enqueue,
// claim, finish with a receipt (sender) and receive (receiver), by 8
// concurrent workers.
//
//	go test ./store -run '^$' -bench MessageCycle -benchtime 5000x
func BenchmarkMessageCycle(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchCycle(b, b.TempDir()+"/oots.db") })
	b.Run("postgres", func(b *testing.B) { benchCycle(b, pgtest.Start(b).NewDatabase(b)) })
}

func benchCycle(b *testing.B, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	body := make([]byte, 2048)
	receipt := make([]byte, 4096)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	b.ResetTimer()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("w", w)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				id := fmt.Sprint("m", i)
				now := time.Now()
				if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, ClientKey: "k" + id, Leg: "l", Partner: "P", Body: body, Created: now}); err != nil {
					b.Error(err)
					return
				}
				got, err := db.ClaimOutbound(ctx, owner, now, time.Minute, 1)
				if err != nil {
					b.Error(err)
					return
				}
				for _, m := range got {
					if err := db.FinishOutbound(ctx, m.ID, owner, apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: now}); err != nil {
						b.Error(err)
						return
					}
				}
				if _, err := db.Receive(ctx, &apstore.Inbound{MessageID: "in-" + id, Partner: "P", Leg: "l", Header: body[:512], Body: body, Received: now}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// The CPU time of the process per cycle (SQLite's engine runs in it;
	// PostgreSQL's server does not): a figure that other load on the
	// machine inflates less than wall time.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
