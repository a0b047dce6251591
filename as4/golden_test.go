package as4_test

import (
	"bufio"
	"bytes"
	"flag"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
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
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("request differs from %s (run with -update after checking the change)", golden)
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
