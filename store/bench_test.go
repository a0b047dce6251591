package store_test

import (
	"context"
	"fmt"
	"os"
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

// BenchmarkWALPages counts the pages SQLite's write-ahead log gets for
// each of a message's three commits, sizes as in the AS4 2.0 exchange
// (a 600-byte submission, a 4.5 KB receipt, a 1.2 KB header): the WAL's
// growth over the commit divided by a frame's size, with checkpoints off.
// Each page is two pwrite calls.
//
//	go test ./store -run '^$' -bench WALPages -benchtime 200x
func BenchmarkWALPages(b *testing.B) {
	ctx := context.Background()
	file := b.TempDir() + "/oots.db"
	db, err := store.Open(ctx, file)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		b.Fatal(err)
	}
	walSize := func() int64 {
		fi, err := os.Stat(file + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	const frame = 24 + 4096 // frame header and page
	body, receipt, header := make([]byte, 600), make([]byte, 4500), make([]byte, 1200)
	var enqueue, finish, receive int64
	for i := range b.N {
		id := fmt.Sprintf("%08x-6d3f-4c1e-9a6e-1d2b3c4d5e6f@ap.example", i)
		now := time.Now()
		w0 := walSize()
		if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id, Leg: "l", Partner: "P", Body: body, Created: now, LeaseOwner: "w", LeaseUntil: now.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
		w1 := walSize()
		if err := db.FinishOutbound(ctx, id, "w", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: now}); err != nil {
			b.Fatal(err)
		}
		w2 := walSize()
		if _, err := db.Receive(ctx, &apstore.Inbound{MessageID: "in-" + id, Partner: "P", Leg: "l", Header: header, Body: body[:100], Received: now}); err != nil {
			b.Fatal(err)
		}
		w3 := walSize()
		enqueue, finish, receive = enqueue+w1-w0, finish+w2-w1, receive+w3-w2
	}
	per := func(n int64) float64 { return float64(n) / frame / float64(b.N) }
	b.ReportMetric(per(enqueue), "pages/enqueue")
	b.ReportMetric(per(finish), "pages/finish")
	b.ReportMetric(per(receive), "pages/receive")
}

// BenchmarkWALSystemCalls measures, apart from SQLite, what the system calls
// of the write-ahead log cost on this machine: a commit of 12 pages written
// as SQLite's unix VFS writes it (a pwrite for each frame's 24-octet header
// and one for its 4 KiB page: 24 calls) against the same bytes in one call,
// and a lock and unlock of one byte of a file (fcntl F_SETLK, as the log's
// shared-memory locks are taken). An exchanged message's three commits make
// about 24 of those writes and 14 of those locks: this is what a VFS that
// wrote a commit's frames at once, or exclusive locking, could save.
//
//	go test ./store -run '^$' -bench WALSystemCalls -benchtime 20000x
func BenchmarkWALSystemCalls(b *testing.B) {
	f, err := os.CreateTemp(b.TempDir(), "wal")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	const frames, frame = 12, 24 + 4096
	header, page := make([]byte, 24), make([]byte, 4096)
	write := func(p []byte, off int64) {
		if _, err := syscall.Pwrite(fd, p, off); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("commit-24-writes", func(b *testing.B) {
		for i := range b.N {
			off := int64(i%100) * frames * frame
			for range frames {
				write(header, off)
				write(page, off+24)
				off += frame
			}
		}
	})
	b.Run("commit-1-write", func(b *testing.B) {
		buf := make([]byte, 0, frames*frame)
		for i := range b.N {
			buf = buf[:0]
			for range frames {
				buf = append(append(buf, header...), page...)
			}
			write(buf, int64(i%100)*frames*frame)
		}
	})
	b.Run("lock-unlock", func(b *testing.B) {
		lock := syscall.Flock_t{Type: syscall.F_WRLCK, Start: 120, Len: 1}
		unlock := syscall.Flock_t{Type: syscall.F_UNLCK, Start: 120, Len: 1}
		for range b.N {
			if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lock); err != nil {
				b.Fatal(err)
			}
			if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &unlock); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSQLiteFloor measures what one durable write costs on SQLite as the
// store opens it (its VFS, WAL, synchronous=normal), one goroutine, CPU per
// row: a sent message's Enqueue and FinishOutbound, the store's Receive of
// a message with a 1.2 KB header and a 2.5 KB body (three indexes), the
// same bytes appended to a table without any
// index (the least a message written once could cost), that append without
// the bytes, and appends four to a transaction. It bounds what a store
// redesign could gain on SQLite: see ap/README.md, "What a write costs on
// SQLite".
//
//	go test ./store -run '^$' -bench SQLiteFloor -benchtime 8000x
func BenchmarkSQLiteFloor(b *testing.B) {
	ctx := context.Background()
	header, body := make([]byte, 1200), make([]byte, 2500)
	open := func(b *testing.B) *store.DB {
		db, err := store.Open(ctx, b.TempDir()+"/oots.db")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE floor_log (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, header BLOB NOT NULL, body BLOB)"); err != nil {
			b.Fatal(err)
		}
		return db
	}
	// Ids in a scattered order, as uuids arrive (a bijection of 0..2^32-1,
	// so none repeats).
	id := func(i int) string {
		return fmt.Sprintf("%08x-6d3f-4c1e-9a6e-1d2b3c4d5e6f@ap.example", uint32(i)*2654435761)
	}
	// perRow runs run, which writes rows up to b.N rounded up to whole
	// steps of step, and reports the CPU per row written.
	perRow := func(b *testing.B, step int, run func()) {
		cpu0 := cpuTime()
		b.ResetTimer()
		run()
		rows := (b.N + step - 1) / step * step
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1000/float64(rows), "cpu-µs/row")
	}
	b.Run("enqueue-and-finish", func(b *testing.B) {
		// A sent message's two writes, as the exchange makes them: queued
		// leased to a worker (a 600-byte submission), delivered with a
		// 4.5 KB receipt; per write.
		db := open(b)
		sub, receipt := make([]byte, 600), make([]byte, 4500)
		perRow(b, 2, func() {
			for i := 0; i < b.N; i += 2 {
				now := time.Now()
				if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: id(i), Leg: "l", Partner: "P", Body: sub, Created: now, LeaseOwner: "w", LeaseUntil: now.Add(time.Minute)}); err != nil {
					b.Fatal(err)
				}
				if err := db.FinishOutbound(ctx, id(i), "w", apstore.Result{State: apstore.OutDelivered, Receipt: receipt, Timestamp: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("receive", func(b *testing.B) {
		db := open(b)
		perRow(b, 1, func() {
			for i := range b.N {
				if _, err := db.Receive(ctx, &apstore.Inbound{MessageID: id(i), Partner: "P", Leg: "l", Header: header, Body: body}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	for _, c := range []struct {
		name         string
		header, body []byte
		perTx        int
	}{{"append", header, body, 1}, {"append-no-bytes", []byte{0}, []byte{0}, 1}, {"append-4-per-transaction", header, body, 4}} {
		b.Run(c.name, func(b *testing.B) {
			db := open(b)
			st, err := db.SQL().PrepareContext(ctx, "INSERT INTO floor_log (id, header, body) VALUES (?, ?, ?)")
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			perRow(b, c.perTx, func() {
				for i := 0; i < b.N; i += c.perTx {
					if c.perTx == 1 {
						if _, err := st.ExecContext(ctx, id(i), c.header, c.body); err != nil {
							b.Fatal(err)
						}
						continue
					}
					tx, err := db.SQL().BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					for j := range c.perTx {
						if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, id(i+j), c.header, c.body); err != nil {
							b.Fatal(err)
						}
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
