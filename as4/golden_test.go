package as4_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The exact HTTP request Pack writes for an unsecured leg, with time and
// randomness fixed, is kept in testdata (go test ./as4 -run Golden -update
// rewrites it). It shows the wire format and catches unintended changes.
func TestGoldenRequest(t *testing.T) {
	c := config(pmode.ProfileNone)
	s := &as4.Sender{PMode: c, Now: clock, Rand: rand.NewChaCha8([32]byte{'o', 'o', 't', 's'}), Domain: "oots.example"}
	out := request()
	out.ConversationID = "e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24"
	p, err := s.Pack(out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var got bytes.Buffer
	if err := p.WriteRequest(&got, ""); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "request-unsecured.http")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	// The compressed parts are compared by their content: the bytes gzip
	// writes depend on the Go release's compress/flate.
	if g, w := wireForm(t, got.Bytes()), wireForm(t, want); g != w {
		t.Errorf("request differs from %s (run with -update after checking the change)\ngot:\n%s\nwant:\n%s", golden, g, w)
	}
	// The golden request unpacks.
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(want)))
	if err != nil {
		t.Fatal(err)
	}
	in, err := (&as4.Receiver{PMode: c, Now: clock}).Unpack(req.Header.Get("Content-Type"), req.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.UserMessage.CollaborationInfo.ConversationID != out.ConversationID || len(in.Payloads) != 2 {
		t.Errorf("golden request unpacks to %+v", in.UserMessage)
	}
}

// wireForm renders an HTTP request with its MIME parts, every header but
// Content-Length in order, and each gzip-compressed part as the text it
// decompresses to.
func wireForm(t *testing.T, raw []byte) string {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	headers := func(h map[string][]string) {
		var keys []string
		for k := range h {
			if k != "Content-Length" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(h[k], ", "))
		}
	}
	fmt.Fprintf(&b, "%s %s %s\nHost: %s\n", req.Method, req.URL, req.Proto, req.Host)
	headers(req.Header)
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(req.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("--part\n")
		headers(part.Header)
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			b.WriteString("(gzip)\n")
		}
		b.Write(body)
		b.WriteString("\n")
	}
	return b.String()
}
