// Package httplimit bounds what an HTTP server gives its clients, so that
// slow or many clients cannot exhaust it: connections open at once,
// requests in flight, and a minimum transfer rate for request bodies and
// responses (a client that sends or reads one byte every few seconds is cut
// once it falls behind). Requests beyond the in-flight bound are answered
// HTTP 503 with Retry-After before the server is exhausted.
//
// The rate is a floor on the average: a body or response may stall for the
// grace period, then must move at least MinRate bytes per second on
// average since it began. A megabyte at the default floor has about 2 minutes;
// an AS4 partner on any real network is far above it.
package httplimit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config holds the bounds; zero fields take the defaults.
type Config struct {
	// MaxConns is the number of connections open at once; more are closed
	// at once. Default 1024.
	MaxConns int `yaml:"maxConns"`
	// MaxInFlight is the number of requests handled at once; more are
	// answered HTTP 503 with Retry-After. Default 256.
	MaxInFlight int `yaml:"maxInFlight"`
	// MinRate is the slowest average transfer rate of a request body or a
	// response, in bytes per second, after Grace. Default 8 KiB/s.
	MinRate int64 `yaml:"minRate"`
	// Grace is how long a body or response may take before MinRate
	// counts. Default 10 s.
	Grace time.Duration `yaml:"grace"`
	// RetryAfter is the Retry-After of a 503. Default 5 s.
	RetryAfter time.Duration `yaml:"retryAfter"`
	// Now is the clock; default time.Now.
	Now func() time.Time `yaml:"-"`
}

// Defaults.
const (
	DefaultMaxConns    = 1024
	DefaultMaxInFlight = 256
	DefaultMinRate     = 8 << 10
	DefaultGrace       = 10 * time.Second
	DefaultRetryAfter  = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MinRate <= 0 {
		c.MinRate = DefaultMinRate
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports a negative bound, naming the field.
func (c Config) Validate() error {
	switch {
	case c.MaxConns < 0:
		return errors.New("maxConns must not be negative")
	case c.MaxInFlight < 0:
		return errors.New("maxInFlight must not be negative")
	case c.MinRate < 0:
		return errors.New("minRate must not be negative")
	case c.Grace < 0:
		return errors.New("grace must not be negative")
	}
	return nil
}

// Limiter applies a Config to a listener and a handler; it counts what it
// refused.
type Limiter struct {
	cfg      Config
	inFlight chan struct{}
	conns    atomic.Int64
	// Refused counts connections closed at MaxConns, requests answered 503
	// at MaxInFlight, and bodies or responses cut for being too slow.
	RefusedConns, RefusedRequests, SlowCut atomic.Int64
}

// New returns a Limiter for cfg (defaults filled in).
func New(cfg Config) *Limiter {
	cfg = cfg.withDefaults()
	return &Limiter{cfg: cfg, inFlight: make(chan struct{}, cfg.MaxInFlight)}
}

// Config returns the bounds in force.
func (l *Limiter) Config() Config { return l.cfg }

// Listener returns ln with at most MaxConns connections open: a connection
// beyond it is closed as soon as it is accepted (before any TLS handshake,
// so wrap ln with TLS after this). Clients retry.
func (l *Limiter) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, l: l} }

type listener struct {
	net.Listener
	l *Limiter
}

func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ln.l.conns.Add(1) > int64(ln.l.cfg.MaxConns) {
			ln.l.conns.Add(-1)
			ln.l.RefusedConns.Add(1)
			c.Close()
			continue
		}
		return &conn{Conn: c, l: ln.l}, nil
	}
}

type conn struct {
	net.Conn
	l    *Limiter
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() { c.l.conns.Add(-1) })
	return c.Conn.Close()
}

// Conns is the number of connections open.
func (l *Limiter) Conns() int64 { return l.conns.Load() }

// Handler returns h with the in-flight bound and the minimum transfer rate
// of request bodies and responses. A request beyond MaxInFlight gets 503
// with Retry-After; a body that falls below the rate fails its reads (the
// handler sees an error, the connection is closed), a response that falls
// below it fails its writes.
func (l *Limiter) Handler(h http.Handler) http.Handler {
	retry := strconv.Itoa(int((l.cfg.RetryAfter + time.Second - 1) / time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case l.inFlight <- struct{}{}:
			defer func() { <-l.inFlight }()
		default:
			l.RefusedRequests.Add(1)
			w.Header().Set("Retry-After", retry)
			w.Header().Set("Connection", "close")
			http.Error(w, "the server is at its limit of requests in flight; retry later", http.StatusServiceUnavailable)
			return
		}
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &body{ReadCloser: r.Body, rc: rc, t: transfer{l: l}}
		}
		h.ServeHTTP(&writer{ResponseWriter: w, rc: rc, t: transfer{l: l}}, r)
		// What the handler left in the buffers is flushed after it
		// returns: within the grace period.
		rc.SetWriteDeadline(l.cfg.Now().Add(l.cfg.Grace))
	})
}

// deadline is when n bytes must have moved, for a transfer that began at
// start.
func (l *Limiter) deadline(start time.Time, n int64) time.Time {
	return start.Add(l.cfg.Grace + time.Duration(float64(n)/float64(l.cfg.MinRate)*float64(time.Second)))
}

// ErrTooSlow is wrapped by the read errors of a body that fell below the
// minimum rate.
var ErrTooSlow = errors.New("httplimit: the client sends too slowly")

// transfer is the bookkeeping of a body or an answer under the rate
// floor: it begins with its first read or write.
type transfer struct {
	l     *Limiter
	start time.Time
	n     int64
}

// deadline is when the n bytes moved so far plus more must have moved.
func (t *transfer) deadline(more int64) time.Time {
	if t.start.IsZero() {
		t.start = t.l.cfg.Now()
	}
	return t.l.deadline(t.start, t.n+more)
}

// moved counts n bytes and reports whether err is the deadline passing (a
// transfer cut for slowness, counted).
func (t *transfer) moved(n int, err error) bool {
	t.n += int64(n)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		t.l.SlowCut.Add(1)
		return true
	}
	return false
}

type body struct {
	io.ReadCloser
	rc *http.ResponseController
	t  transfer
}

func (b *body) Read(p []byte) (int, error) {
	// The peer must stay ahead of the floor: what it sent so far buys it
	// time, at MinRate, beyond the grace period.
	if err := b.rc.SetReadDeadline(b.t.deadline(0)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := b.ReadCloser.Read(p)
	if b.t.moved(n, err) {
		l := b.t.l
		return n, fmt.Errorf("%w: %d bytes in %s (at least %d B/s after %s): %w", ErrTooSlow, b.t.n,
			l.cfg.Now().Sub(b.t.start).Round(time.Millisecond), l.cfg.MinRate, l.cfg.Grace, err)
	}
	return n, err
}

type writer struct {
	http.ResponseWriter
	rc *http.ResponseController
	t  transfer
}

func (w *writer) Write(p []byte) (int, error) {
	// The write blocks until all of p is out: it has the time of p too.
	if err := w.rc.SetWriteDeadline(w.t.deadline(int64(len(p)))); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := w.ResponseWriter.Write(p)
	w.t.moved(n, err)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
