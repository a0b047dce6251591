package ap_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
)

// countingConn counts the writes (system calls) on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A message of the size of an exchange's (here 20 KB) leaves in one write,
// header and body: with the transport's default 4 KiB buffer it took two.
func TestNewClientOneWrite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	client := ap.NewClient(nil, 10*time.Second)
	var writes atomic.Int64
	client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, writes: &writes}, nil
	}
	for range 3 {
		writes.Store(0)
		resp, err := client.Post(srv.URL, "multipart/related", bytes.NewReader(make([]byte, 20000)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n := writes.Load(); n != 1 {
			t.Fatalf("a 20 KB request took %d writes, want 1", n)
		}
	}
}
