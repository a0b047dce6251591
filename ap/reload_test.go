package ap_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/wssec"
)

// responseSubmission is a submission on the response leg.
func responseSubmission(content string) *ap.Submission {
	s := submission("", content)
	s.Leg = "ootsResponseLeg"
	return s
}

// TestReloadPMode: a leg added to the P-Mode by a reload is in use at once,
// on both sides, without a restart: before the sender's reload a
// submission on it is refused, after it the receiver (not yet reloaded)
// refuses the message, after the receiver's reload it is delivered. A
// message queued for a retry on a leg that the next reload drops fails,
// naming the leg.
func TestReloadPMode(t *testing.T) {
	ctx := context.Background()
	full := map[string]*pmode.Config{}
	nodes := newNet(t, netOptions{profile: wssec.AS4v20,
		retry: &pmode.Retry{Timeout: 3 * time.Second, Count: 3, Strategy: pmode.RetryConstant},
		edit: func(name string, c *ap.Config) {
			full[name] = c.PMode
			cut := *c.PMode
			cut.Legs = cut.Legs[:1] // the request leg only
			c.PMode = &cut
		}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	reload := func(n *testNode, pm *pmode.Config) {
		t.Helper()
		p := n.Partners()
		p.PMode = pm
		if err := n.Reload(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := fr.Submit(ctx, responseSubmission("before")); !errors.Is(err, ap.ErrInvalidSubmission) {
		t.Fatalf("a submission on a leg the P-Mode lacks: %v", err)
	}
	reload(fr, full["AP_FR_01"])
	st, _, err := fr.Submit(ctx, responseSubmission("sender reloaded"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutFailed || !strings.Contains(got.LastError, "EBMS:0010") {
		t.Fatalf("a message on a leg the receiver lacks: %+v", got)
	}
	reload(de, full["AP_DE_01"])
	st, _, err = fr.Submit(ctx, responseSubmission("both reloaded"))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("after both reloads: %+v", got)
	}

	// A message waiting for its retry (the receiver's endpoint closed),
	// then a reload without its leg.
	de.srv.Close()
	st, _, err = fr.Submit(ctx, submission("", "waiting"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := fr.Status(ctx, st.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt: %+v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cut := *full["AP_FR_01"]
	cut.Legs = cut.Legs[1:] // the response leg only
	reload(fr, &cut)
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutFailed || !strings.Contains(got.LastError, "ootsRequestLeg") {
		t.Fatalf("a message queued on a leg the reload dropped: %+v", got)
	}
}

// TestReloadPModeRefused: a reload that names another party as the node's
// own, or whose P-Mode is not valid, or whose leg is of another profile
// than the node's keys, is refused and changes nothing.
func TestReloadPModeRefused(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr := nodes["AP_FR_01"]
	before := fr.Partners()
	for name, edit := range map[string]func(pm *pmode.Config){
		"PMode.Self": func(pm *pmode.Config) { pm.Self = "AP_DE_01" },
		"PMode":      func(pm *pmode.Config) { pm.Legs = append(pm.Legs, pm.Legs[0]) }, // a leg named twice
		"PMode.legs[0].security.profile": func(pm *pmode.Config) {
			pm.Legs = append([]pmode.Leg(nil), pm.Legs...)
			pm.Legs[0].Security.Profile = wssec.AS4v115
		},
	} {
		pm := *before.PMode
		edit(&pm)
		p := before
		p.PMode = &pm
		var fe *ap.FieldError
		if err := fr.Reload(p); !errors.As(err, &fe) || fe.Field != name {
			t.Errorf("%s: Reload = %v, want a FieldError naming %s", name, err, name)
		}
		if fr.Partners().PMode != before.PMode {
			t.Errorf("%s: the refused reload replaced the P-Mode", name)
		}
	}
	exchange(t, nodes)
}
