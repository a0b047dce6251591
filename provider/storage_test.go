package provider

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/store"
)

// TestStorage runs one behavioural suite of the connector's storage
// against both implementations of package store's database.
func TestStorage(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		storageSuite(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "provider.db") })
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		storageSuite(t, func(t *testing.T) string { return srv.NewDatabase(t) })
	})
}

func storageSuite(t *testing.T, newDSN func(t *testing.T) string) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st storage)
	}{
		{"MarkProcessed", testMarkProcessed},
		{"UpdateRollsBack", testUpdateRollsBack},
		{"SessionRevisions", testSessionRevisions},
		{"SessionsDue", testSessionsDue},
		{"Outbox", testOutbox},
		{"Consents", testConsents},
		{"Accounts", testAccounts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(context.Background(), newDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			st, err := newSQLStore(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			tc.fn(t, st)
		})
	}
}

var st0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testMarkProcessed(t *testing.T, st storage) {
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		got, err := st.MarkProcessed(ctx, "m1@example", st0)
		if err != nil || got != want {
			t.Fatalf("call %d: MarkProcessed = %v, %v; want %v", i+1, got, err, want)
		}
	}
}

func testUpdateRollsBack(t *testing.T, st storage) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := st.Update(ctx, func(tx storageTx) error {
		if _, err := tx.MarkProcessed(ctx, "m1@example", st0); err != nil {
			return err
		}
		return tx.InsertSession(ctx, testSession("tok-1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx storageTx) error {
		if _, err := tx.MarkProcessed(ctx, "m2@example", st0); err != nil {
			return err
		}
		if err := tx.InsertSession(ctx, testSession("tok-2")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if _, err := st.LoadSession(ctx, "tok-1"); err != nil {
		t.Fatalf("committed session: %v", err)
	}
	if _, err := st.LoadSession(ctx, "tok-2"); !errors.Is(err, errNoSession) {
		t.Fatalf("session of a rolled back transaction: %v, want errNoSession", err)
	}
	if fresh, err := st.MarkProcessed(ctx, "m2@example", st0); err != nil || !fresh {
		t.Fatalf("message id of a rolled back transaction: fresh %v, %v", fresh, err)
	}
}

func testSession(token string) *session {
	return &session{Token: token, State: stateWaiting, Provider: "prov", Version: "oots-edm:v2.0", FirstRequest: []byte("<q/>"),
		Documents: []Document{{ID: "d1", Title: "Birth", Format: "application/pdf", Content: []byte("%PDF")}},
		ArriveBy:  st0.Add(time.Hour), DecideBy: st0.Add(2 * time.Hour), Created: st0, Updated: st0}
}

func testSessionRevisions(t *testing.T, st storage) {
	ctx := context.Background()
	if err := st.InsertSession(ctx, testSession("tok")); err != nil {
		t.Fatal(err)
	}
	a, err := st.LoadSession(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Documents) != 1 || string(a.Documents[0].Content) != "%PDF" || !a.DecideBy.Equal(st0.Add(2*time.Hour)) {
		t.Fatalf("loaded session differs: %+v", a)
	}
	b, err := st.LoadSession(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	a.State, a.Viewer = stateOpen, "viewer-hash"
	if ok, err := st.UpdateSession(ctx, a); err != nil || !ok {
		t.Fatalf("first writer: %v, %v", ok, err)
	}
	b.State = stateExpired
	if ok, err := st.UpdateSession(ctx, b); err != nil || ok {
		t.Fatalf("second writer at the old revision: ok %v, %v; want refused", ok, err)
	}
	got, err := st.LoadSession(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != stateOpen || got.Viewer != "viewer-hash" || got.Revision != a.Revision {
		t.Fatalf("stored session: state %s viewer %q revision %d (writer's %d)", got.State, got.Viewer, got.Revision, a.Revision)
	}
}

func testSessionsDue(t *testing.T, st storage) {
	ctx := context.Background()
	waiting := testSession("waiting") // arrive-by passes first
	open := testSession("open")
	open.State = stateOpen
	done := testSession("done")
	done.State = stateAnswered
	for _, s := range []*session{waiting, open, done} {
		if err := st.InsertSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{st0, nil},
		{st0.Add(90 * time.Minute), []string{"waiting"}},
		{st0.Add(3 * time.Hour), []string{"open", "waiting"}},
	} {
		due, err := st.SessionsDue(ctx, c.at)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range due {
			got = append(got, s.Token)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Fatalf("due at %s: %v, want %v", c.at.Sub(st0), got, c.want)
		}
	}
}

func testOutbox(t *testing.T, st storage) {
	ctx := context.Background()
	for i, s := range []*ap.Submission{
		{ClientKey: "k1", Leg: "response", RefToMessageID: "m1"},
		{ClientKey: "k2", Leg: "response", RefToMessageID: "m2"},
		{ClientKey: "k1", Leg: "response", RefToMessageID: "other"}, // a repeat: ignored
	} {
		if err := st.Enqueue(ctx, s, st0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	q, err := st.Queued(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].ClientKey != "k1" || q[0].Submission.RefToMessageID != "m1" || q[1].ClientKey != "k2" {
		t.Fatalf("queued: %+v", q)
	}
	if err := st.Dequeue(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if q, err = st.Queued(ctx); err != nil || len(q) != 1 || q[0].ClientKey != "k2" {
		t.Fatalf("after Dequeue: %+v, %v", q, err)
	}
}

func testConsents(t *testing.T, st storage) {
	ctx := context.Background()
	k := &Consent{ID: "urn:uuid:1", Provider: "prov", Requester: "req", Procedure: "A", Procedures: []string{"A", "B"},
		EvidenceType: "birth", Granted: st0, Expires: st0.Add(24 * time.Hour), subject: "anna", subjectKey: "reg-1"}
	if err := st.InsertConsent(ctx, k); err != nil {
		t.Fatal(err)
	}
	f := consentFilter{Subject: "anna", Provider: "prov", Requester: "req", EvidenceType: "birth", Procedure: "B"}
	ks, err := st.ValidConsents(ctx, f, st0.Add(time.Hour))
	if err != nil || len(ks) != 1 || len(ks[0].Procedures) != 2 || ks[0].subjectKey != "reg-1" {
		t.Fatalf("ValidConsents: %+v, %v", ks, err)
	}
	for name, g := range map[string]consentFilter{
		"other procedure": {Subject: "anna", Provider: "prov", Requester: "req", EvidenceType: "birth", Procedure: "C"},
		"other requester": {Subject: "anna", Provider: "prov", Requester: "else", EvidenceType: "birth", Procedure: "A"},
		"other subject":   {Subject: "bert", Provider: "prov", Requester: "req", EvidenceType: "birth", Procedure: "A"},
	} {
		if ks, err := st.ValidConsents(ctx, g, st0.Add(time.Hour)); err != nil || len(ks) != 0 {
			t.Errorf("%s: %d consents, %v", name, len(ks), err)
		}
	}
	if ks, err := st.ValidConsents(ctx, f, st0.Add(25*time.Hour)); err != nil || len(ks) != 0 {
		t.Fatalf("expired consent still valid: %d, %v", len(ks), err)
	}
	if ok, err := st.WithdrawConsent(ctx, "bert", k.ID, st0.Add(time.Hour)); err != nil || ok {
		t.Fatalf("withdrawn by another subject: %v, %v", ok, err)
	}
	if ok, err := st.WithdrawConsent(ctx, "anna", k.ID, st0.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("withdraw: %v, %v", ok, err)
	}
	if ok, err := st.WithdrawConsent(ctx, "anna", k.ID, st0.Add(time.Hour)); err != nil || ok {
		t.Fatalf("withdrawn twice: %v, %v", ok, err)
	}
	if ks, err := st.ValidConsents(ctx, f, st0.Add(2*time.Hour)); err != nil || len(ks) != 0 {
		t.Fatalf("withdrawn consent still valid: %d, %v", len(ks), err)
	}
	all, err := st.Consents(ctx, "anna")
	if err != nil || len(all) != 1 || !all[0].Withdrawn.Equal(st0.Add(time.Hour)) {
		t.Fatalf("Consents: %+v, %v", all, err)
	}
	d := &Disclosure{ID: "resp-1", Provider: "prov", Requester: "req", Procedure: "A", EvidenceType: "birth", Conversation: "c1",
		Documents: []string{"Birth (application/pdf)"}, ConsentID: k.ID, Sent: st0, subject: "anna"}
	if err := st.InsertDisclosure(ctx, d); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Disclosures(ctx, "anna")
	if err != nil || len(ds) != 1 || ds[0].ConsentID != k.ID || len(ds[0].Documents) != 1 || !ds[0].Sent.Equal(st0) {
		t.Fatalf("Disclosures: %+v, %v", ds, err)
	}
	if ds, err := st.Disclosures(ctx, "bert"); err != nil || len(ds) != 0 {
		t.Fatalf("another subject's disclosures: %d, %v", len(ds), err)
	}
}

func testAccounts(t *testing.T, st storage) {
	ctx := context.Background()
	if _, _, _, err := st.Account(ctx, "h1"); !errors.Is(err, errNoAccount) {
		t.Fatalf("unknown account: %v, want errNoAccount", err)
	}
	if err := st.InsertAccount(ctx, "h1", "anna", "csrf-1", st0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertAccount(ctx, "h2", "bert", "csrf-2", st0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	subj, csrf, exp, err := st.Account(ctx, "h1")
	if err != nil || subj != "anna" || csrf != "csrf-1" || !exp.Equal(st0.Add(time.Hour)) {
		t.Fatalf("Account: %q %q %v %v", subj, csrf, exp, err)
	}
	if err := st.PurgeAccounts(ctx, st0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.Account(ctx, "h1"); !errors.Is(err, errNoAccount) {
		t.Fatalf("expired account after purge: %v", err)
	}
	if _, _, _, err := st.Account(ctx, "h2"); err != nil {
		t.Fatalf("live account purged: %v", err)
	}
}
