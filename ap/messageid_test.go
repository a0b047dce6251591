package ap_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/wssec"
)

// TestChosenMessageID: a backend in the node's process may name its message
// before submitting it; the partner receives it under that id, a repeated
// submission with the same client key is the same message, and an id that
// is malformed or another submission's is refused without queuing.
func TestChosenMessageID(t *testing.T) {
	ctx := context.Background()
	nodes := newNet(t, netOptions{profile: wssec.AS4v20})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	id, err := fr.NewMessageID()
	other, _ := fr.NewMessageID()
	if err != nil || ap.ValidMessageID(id) != nil || id == other {
		t.Fatalf("NewMessageID = %q, %q, %v", id, other, err)
	}
	if a, b := fr.MessageIDFor("k1"), fr.MessageIDFor("k2"); a != fr.MessageIDFor("k1") || a == b || ap.ValidMessageID(a) != nil {
		t.Errorf("MessageIDFor: %q, %q", a, b)
	}
	// Every atext character is allowed (RFC 5322 §3.2.3).
	if err := ap.ValidMessageID("a!#$%&'*+-/=?^_`{|}~.z@x-y.example"); err != nil {
		t.Errorf("atext: %v", err)
	}
	s := submission("chosen-1", "c1")
	s.MessageID = id
	st, created, err := fr.Submit(ctx, s)
	if err != nil || !created || st.MessageID != id {
		t.Fatalf("Submit = %+v, %v, %v; want the chosen id %s", st, created, err, id)
	}
	if got := waitState(t, fr, id, 20*time.Second); got.State != apstore.OutDelivered {
		t.Fatalf("FR → DE: %+v", got)
	}
	if in, err := de.db.Inbound(ctx, id); err != nil || in.Partner != "AP_FR_01" {
		t.Fatalf("DE received %v, %v under the chosen id", in, err)
	}
	again := submission("chosen-1", "c1")
	again.MessageID = id
	if st, created, err := fr.Submit(ctx, again); err != nil || created || st.MessageID != id {
		t.Errorf("the same submission again = %+v, %v, %v; want the first, not created", st, created, err)
	}
	for _, tc := range []struct {
		name, key, id, want string
	}{
		{"taken, no client key", "", id, "taken"},
		{"taken, another client key", "chosen-2", id, "taken"},
		{"no domain", "", "abc", "id@domain"},
		{"empty left", "", "@example.org", "id@domain"},
		{"space", "", "a b@example.org", "character"},
		{"angle brackets", "", "<a@example.org>", "character"},
		{"two @", "", "a@b@example.org", "character"},
		{"specials", "", "a(b)@example.org", "character"},
		{"a quote", "", `"a"@example.org`, "character"},
		{"empty atom", "", "a..b@example.org", "dot-atom"},
		{"trailing dot", "", "a@example.org.", "dot-atom"},
		{"too long", "", strings.Repeat("a", 250) + "@example.org", "255"},
	} {
		s := submission(tc.key, "c2")
		s.MessageID = tc.id
		_, _, err := fr.Submit(ctx, s)
		if !errors.Is(err, ap.ErrInvalidSubmission) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Submit = %v, want an invalid submission naming %q", tc.name, err, tc.want)
		}
	}
	if list, _ := fr.db.ClaimOutbound(ctx, "probe", time.Now().Add(time.Hour), time.Second, 10); len(list) != 0 {
		t.Errorf("refused submissions were queued: %d", len(list))
	}
	// An id with atext that a URL path reserves is escaped in the
	// Location of the REST API's answer, which leads to its status.
	odd := "a/b?c#d%e@example.org"
	s = submission("odd-key", "c4")
	s.MessageID = odd
	if _, _, err := fr.Submit(ctx, s); err != nil {
		t.Fatal(err)
	}
	posted, h := apiHeader(t, fr, http.MethodPost, "/api/v1/messages", submission("odd-key", "c4"), nil)
	loc := h.Get("Location")
	var got ap.Status
	if code := api(t, fr, http.MethodGet, loc, nil, &got); posted != http.StatusOK || code != http.StatusOK || got.MessageID != odd {
		t.Errorf("the same key over REST: HTTP %d, Location %q gives HTTP %d %q", posted, loc, code, got.MessageID)
	}
	// Over REST, the id another submission has is refused as in the
	// process (TestAPIChosenMessageID has the rest).
	s = submission("", "c3")
	s.MessageID = odd
	var e struct{ Error string }
	if code := api(t, fr, "POST", "/api/v1/messages", s, &e); code != http.StatusConflict || !strings.Contains(e.Error, "taken") {
		t.Errorf("REST with a taken messageId: HTTP %d %q", code, e.Error)
	}
}

// TestSubmitLegForPartner: a P-Mode with two legs of the same service and
// action, each for other partners (a profile per partner while partners
// move between AS4 profiles): a submission naming one leg goes to a
// partner that only the other lists on that other leg, and its status
// says so; a partner no such leg lists is refused as before.
func TestSubmitLegForPartner(t *testing.T) {
	ctx := context.Background()
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) {
		if name != "AP_FR_01" {
			return
		}
		pm := *c.PMode
		pm.Legs = slices.Clone(pm.Legs)
		alt := pm.Legs[0]
		alt.Name = "ootsRequestLegDE"
		pm.Legs[0].Responder.Parties = []string{"AP_FR_01"}
		pm.Legs = append(pm.Legs, alt)
		// A party on no leg of the service and action.
		pm.Parties = append(slices.Clone(pm.Parties), pmode.Party{Name: "AP_XX_01", IDs: []pmode.PartyID{{Type: ootsIDType, Value: "AP_XX_01"}}, Endpoint: "http://127.0.0.1:1/as4"})
		c.PMode = &pm
	}})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	s := submission("leg-for-partner", "lp1")
	s.To = "AP_DE_01"
	st, created, err := fr.Submit(ctx, s)
	if err != nil || !created || st.Leg != "ootsRequestLegDE" {
		t.Fatalf("Submit on ootsRequestLeg to AP_DE_01 = %+v, %v, %v; want it on ootsRequestLegDE", st, created, err)
	}
	if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutDelivered || got.Leg != "ootsRequestLegDE" {
		t.Fatalf("FR → DE: %+v", got)
	}
	if in, err := de.db.Inbound(ctx, st.MessageID); err != nil || in.Partner != "AP_FR_01" {
		t.Fatalf("DE received %v, %v", in, err)
	}
	// A party of the P-Mode that no leg of the service and action lists
	// as a responder is refused as before.
	bad := submission("", "lp2")
	bad.To = "AP_XX_01"
	if _, _, err := fr.Submit(ctx, bad); !errors.Is(err, ap.ErrInvalidSubmission) || !strings.Contains(err.Error(), "not a responder") {
		t.Errorf("a partner no leg lists: %v, want ErrInvalidSubmission naming the leg", err)
	}
}
