package demonet_test

import (
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
)

// TestDeferredJourney walks, in headless Chromium, the journey of the demo
// person whose evidence the provider defers (Åsa Lindström's certificate of
// residence in Sweden, demo.DeferFor): the portal says when the
// evidence will be available, asks for it again by itself at that time,
// and the journey then goes on through the preview to the submission.
// Every message exchanged passes the rules of its version, and a deferred
// response is among them.
func TestDeferredJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser journey")
	}
	n := startNet(t, demonet.Config{Countries: []string{"DE", "SE"}})
	who := demo.Users("SE")[2]
	if who.Local != "198211192466" {
		t.Fatalf("the demo's deferred person is %s %s", who.Person.GivenName, who.Person.FamilyName)
	}
	u := newUser(t, n)
	u.start(n.Node("DE"), "S1", "SE", who, false)
	u.request()
	text := u.expect("portal-deferred", "Available at")
	if !strings.Contains(text, "The evidence will be available later") || !strings.Contains(text, "Your procedure is kept") {
		t.Errorf("the deferral is not explained:\n%s", text)
	}
	// The page refreshes itself; the connector asks again after
	// demo.DeferFor and the provider then asks for the preview.
	deadline := time.Now().Add(demo.DeferFor + 30*time.Second)
	for !strings.Contains(u.text(), "Go to the preview") {
		if time.Now().After(deadline) {
			t.Fatalf("no preview link after the deferral:\n%s", u.text())
		}
		time.Sleep(500 * time.Millisecond)
	}
	seen := u.preview(who, false, true)
	if !strings.Contains(seen, who.Person.FamilyName) {
		t.Errorf("the preview does not show the subject's evidence:\n%s", seen)
	}
	u.submit()

	kinds := checkExchanged(t, n)
	t.Logf("messages checked: %v", kinds)
	deferred := 0
	for _, doc := range exchanged(t, n) {
		if m, _, err := edm.ParseBytes(doc); err == nil {
			if r, ok := m.(*edm.QueryResponse); ok && r.Deferred() {
				deferred++
			}
		}
	}
	if deferred != 1 {
		t.Errorf("%d deferred responses exchanged, want 1", deferred)
	}
}
