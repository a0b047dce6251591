package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// TestAlerts: a partner that keeps failing and a certificate close to its
// end raise alerts, shown on the console, exposed as metrics, and sent once
// by webhook and by e-mail.
func TestAlerts(t *testing.T) {
	peers := network(t, nil)
	fr, de := peers["AP_FR_01"], peers["AP_DE_01"]
	ctx := context.Background()
	soon, err := pki.NewCA("soon over", wssec.AS4v20, &pki.Options{Now: time.Now().Add(-time.Hour), Validity: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := console.New(ctx, console.Config{DB: fr.db, Node: fr.Node, PMode: fr.cfg.PMode,
		Certificates: func() []console.Certificate {
			return []console.Certificate{{Use: "own_signing", Party: "AP_FR_01", Cert: fr.cfg.SigningCert}, {Use: "trust_anchor", Cert: soon.Cert}}
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := srv.Alerts(ctx); err != nil || len(list) != 1 || list[0].Kind != console.AlertCertificateExpiring {
		t.Fatalf("before any failure: %+v %v", list, err)
	}
	de.down.Store(true)
	for _, q := range []string{"a", "b", "c"} {
		st, _, err := fr.Submit(ctx, submission(q))
		if err != nil {
			t.Fatal(err)
		}
		if got := waitState(t, fr, st.MessageID, 20*time.Second); got.State != apstore.OutFailed {
			t.Fatalf("%s: %+v", q, got)
		}
	}
	list, err := srv.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, a := range list {
		kinds[a.Kind] = a.Detail
	}
	if !strings.Contains(kinds[console.AlertPartnerFailing], "AP_DE_01") || !strings.Contains(kinds[console.AlertSendFailed], "3 message(s)") ||
		!strings.Contains(kinds[console.AlertCertificateExpiring], "soon over") {
		t.Errorf("alerts: %+v", list)
	}

	// As metrics, on the node's registry.
	if err := fr.MetricsRegisterer().Register(srv.Collector()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fr.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `oots_console_alerts{kind="partner_failing",subject="AP_DE_01"} 1`) {
		t.Errorf("metrics lack the alert:\n%s", rec.Body.String())
	}

	// By webhook and e-mail, each alert once.
	n := notify(t, srv, 50*time.Millisecond, true)
	n.wait(t, 1)
	time.Sleep(300 * time.Millisecond) // several more rounds: nothing new to send
	n.stop()
	var posted []console.Alert
	if posts := n.sent(); len(posts) != 1 || json.Unmarshal([]byte(posts[0]), &posted) != nil || len(posted) != len(list) {
		t.Errorf("webhook posts: %q", posts)
	}
	got := n.mails.all()
	if len(got) != 1 || !strings.Contains(got[0], "partner_failing AP_DE_01") || !strings.Contains(got[0], "Subject: oots: 3 new alert(s)") {
		t.Errorf("mails: %q", got)
	}
}

// notified runs srv's notifications every `every`, to a webhook and, with
// mail, an SMTP relay (test doubles on loopback), until stop.
type notified struct {
	mu    sync.Mutex
	posts []string    // the webhook's bodies
	mails *smtpServer // nil without mail
	stop  func()      // ends the notifications and waits for them
}

func notify(t *testing.T, srv *console.Server, every time.Duration, mail bool) *notified {
	t.Helper()
	n := &notified{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		n.posts = append(n.posts, string(b))
		n.mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	cfg := console.Notify{Webhook: hook.URL, Every: every}
	if mail {
		n.mails = smtpDouble(t)
		cfg.SMTP = &console.SMTP{Addr: n.mails.addr, From: "oots@node.example", To: []string{"ops@node.example"}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.RunAlerts(ctx, cfg)
	}()
	n.stop = func() { cancel(); <-done }
	t.Cleanup(n.stop)
	return n
}

// sent returns the webhook's bodies so far.
func (n *notified) sent() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.posts)
}

// wait waits up to 10 s for posts webhook bodies and, with mail, a mail.
func (n *notified) wait(t *testing.T, posts int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(n.sent()) >= posts && (n.mails == nil || len(n.mails.all()) > 0) {
			return
		}
	}
	t.Fatalf("fewer than %d notifications: %q", posts, n.sent())
}

// smtpServer is a test double of an SMTP relay on loopback: it speaks
// enough of RFC 5321 for net/smtp (EHLO, MAIL, RCPT, DATA, QUIT) and keeps
// each message's data.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	msgs []string
}

func (s *smtpServer) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func smtpDouble(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test double ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test double")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

// TestAlertReceiptHandOffPending: a signed receipt not handed to the
// backend raises an alert once its message was delivered
// ReceiptHandOffWarning ago, not before, and none once handed over.
func TestAlertReceiptHandOffPending(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oots.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	delivered := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, _, err := db.Enqueue(ctx, &apstore.Outbound{ID: "m1", Leg: "ootsRequestLeg", Partner: "AP_DE_01", Body: []byte("x"), Created: delivered}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimOutbound(ctx, "n1", delivered, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishOutbound(ctx, "m1", "n1", apstore.Result{State: apstore.OutDelivered, Receipt: []byte("<r/>"), Timestamp: delivered,
		Report: apstore.DeliveryPending, ReportUntil: delivered.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	now := delivered
	srv, err := console.New(ctx, console.Config{DB: db, Node: noNode{}, PMode: &pmode.Config{Self: "AP_FR_01"},
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	pending := func() *console.Alert {
		t.Helper()
		list, err := srv.Alerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if a.Kind == console.AlertReceiptHandOffPending {
				return &a
			}
		}
		return nil
	}
	now = delivered.Add(console.ReceiptHandOffWarning - time.Second)
	if a := pending(); a != nil {
		t.Errorf("before the warning: %+v", a)
	}
	now = delivered.Add(console.ReceiptHandOffWarning + time.Minute)
	if a := pending(); a == nil || a.Subject != "backend" || !strings.Contains(a.Detail, "1 signed receipt(s)") || !strings.Contains(a.Detail, "6m0s ago") {
		t.Errorf("after the warning: %+v", a)
	}
	if err := db.FinishReceiptReports(ctx, "n1", []string{"m1"}, true, time.Time{}, "", delivered.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if a := pending(); a != nil {
		t.Errorf("handed over: %+v", a)
	}
}

// noNode is a console.Node for a console that resends nothing.
type noNode struct{}

func (noNode) Resend(context.Context, string) error   { return errors.ErrUnsupported }
func (noNode) RetryNow(context.Context, string) error { return errors.ErrUnsupported }
func (noNode) Received(context.Context, string) (*ap.ReceivedMessage, error) {
	return nil, errors.ErrUnsupported
}
