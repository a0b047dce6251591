package httplimit

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve runs h behind l on a loopback listener; it returns the address.
func serve(t *testing.T, l *Limiter, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: l.Handler(h), ReadHeaderTimeout: 2 * time.Second}
	go srv.Serve(l.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// readAll is a handler that reads the body and answers its length.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d", n)
})

// slowClient sends a request whose body of 100 kB trickles in, one byte
// every gap, until the server closes the connection or answers; it reports
// how long that took.
func slowClient(addr string, gap time.Duration, stop <-chan struct{}) (time.Duration, error) {
	start := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		return time.Since(start), nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, c) // returns when the server closes
	}()
	for {
		select {
		case <-done:
			return time.Since(start), nil
		case <-stop:
			return time.Since(start), fmt.Errorf("still open after the test's end")
		case <-time.After(gap):
			if _, err := c.Write([]byte{'x'}); err != nil {
				<-done
				return time.Since(start), nil
			}
		}
	}
}

// Hundreds of clients that send their bodies a byte at a time are cut once
// they fall below the minimum rate, and meanwhile a normal request is
// answered at once.
func TestSlowBodiesAreCut(t *testing.T) {
	l := New(Config{MinRate: 1000, Grace: 500 * time.Millisecond, MaxConns: 1000, MaxInFlight: 1000})
	addr := serve(t, l, readAll)
	const clients = 300
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var longest time.Duration
	var errs []error
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := slowClient(addr, 200*time.Millisecond, stop)
			mu.Lock()
			defer mu.Unlock()
			longest = max(longest, d)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	// While they trickle, a normal request.
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader(strings.Repeat("y", 50000)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "50000" {
		t.Fatalf("a normal request among the slow ones: HTTP %d %s", resp.StatusCode, b)
	}
	timer := time.AfterFunc(20*time.Second, func() { close(stop) })
	wg.Wait()
	timer.Stop()
	if len(errs) > 0 {
		t.Fatalf("%d slow clients were not cut: %v", len(errs), errs[0])
	}
	if got := l.SlowCut.Load(); got < clients {
		t.Errorf("%d bodies cut for slowness, want %d", got, clients)
	}
	// 1000 B/s after 0.5 s: a byte every 0.2 s falls behind within about
	// a second of the grace period.
	if longest > 3*time.Second {
		t.Errorf("the slowest client was held %s", longest)
	}
	t.Logf("%d slow clients cut, the slowest after %s", clients, longest.Round(time.Millisecond))
	http.DefaultClient.CloseIdleConnections() // the normal request's
	deadline := time.Now().Add(10 * time.Second)
	for l.Conns() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := l.Conns(); n != 0 {
		t.Errorf("%d connections still open", n)
	}
}

// Beyond MaxInFlight a request is answered 503 with Retry-After; beyond
// MaxConns a connection is closed at once.
func TestInFlightAndConnectionBounds(t *testing.T) {
	release := make(chan struct{})
	busy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "done")
	})
	l := New(Config{MaxInFlight: 2, MaxConns: 4, RetryAfter: 7 * time.Second})
	addr := serve(t, l, busy)
	defer close(release)
	for range 2 {
		go http.Get("http://" + addr + "/")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(l.inFlight) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The third request comes on a connection of its own, closed after
	// its answer, so that only the two busy ones stay open.
	third := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := third.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("the third request: HTTP %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// waitConns waits until the listener counts n open connections: the
	// test steps on its counters, not on how fast the server runs.
	waitConns := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for l.Conns() != n {
			if time.Now().After(deadline) {
				t.Fatalf("the listener counts %d open connections, want %d", l.Conns(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitConns(2)
	// Four connections open (two busy, two idle): the fifth is closed.
	for n := int64(3); n <= 4; n++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		waitConns(n)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Fatalf("the fifth connection was answered: %q", line)
	}
	if l.RefusedConns.Load() == 0 {
		t.Error("no connection counted as refused")
	}
}
