package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/internal/webdriver"
)

// TestBrowserOperatorResendsFailedMessage is the console's acceptance
// journey in headless Chromium: an operator logs in, finds a failed message
// by partner and time, reads why it failed, resends it once the partner is
// back and sees it delivered; an auditor can read but not resend, nor
// download a payload; every action is in the audit trail, whose chain the
// audit page verifies. Every page passes axe-core (no serious or critical
// violation) at 1280 and 375 pixels wide, without horizontal overflow at
// 375.
func TestBrowserOperatorResendsFailedMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	peers := network(t, nil)
	fr, de := peers["AP_FR_01"], peers["AP_DE_01"]
	srv, base := consoleFor(t, fr)
	ctx := context.Background()

	// One message delivered, then one that fails while DE is down.
	ok, _, err := fr.Submit(ctx, submission("q-ok"))
	if err != nil {
		t.Fatal(err)
	}
	if st := waitState(t, fr, ok.MessageID, 20*time.Second); st.State != apstore.OutDelivered {
		t.Fatalf("first message: %+v", st)
	}
	de.down.Store(true)
	bad, _, err := fr.Submit(ctx, submission("q-bad"))
	if err != nil {
		t.Fatal(err)
	}
	if st := waitState(t, fr, bad.MessageID, 20*time.Second); st.State != apstore.OutFailed {
		t.Fatalf("second message: %+v", st)
	}

	b := webdriver.Start(t)
	// Pages and the waits for them get 15 s, not the default 5: Chromium
	// is slow on a loaded machine.
	b.Timeout = 15 * time.Second
	check := func(name string) {
		t.Helper()
		for _, width := range []int{1280, 375} {
			if err := b.Command("POST", "/window/rect", map[string]int{"width": width, "height": 900}, nil); err != nil {
				t.Fatalf("window size %d: %v", width, err)
			}
			if v := b.AxeSerious(); len(v) > 0 {
				t.Errorf("%s at %d px: axe-core: %q", name, width, v)
			}
			if width == 375 {
				var fits bool
				b.Execute(`return document.documentElement.scrollWidth <= document.documentElement.clientWidth;`, &fits)
				if !fits {
					t.Errorf("%s at 375 px: the page overflows horizontally", name)
				}
			}
		}
		b.Command("POST", "/window/rect", map[string]int{"width": 1280, "height": 900}, nil)
	}
	login := func(name string) {
		t.Helper()
		b.DeleteCookies()
		b.Get(base + "/console/messages")
		if !strings.Contains(b.URL(), "/console/login") {
			t.Fatalf("without a session: %s", b.URL())
		}
		b.Find("#name").SendKeys(name)
		b.Find("#password").SendKeys(password(name))
		b.Find(`form[action="/console/login"] button`).Click()
		b.WaitFor(func() bool { return strings.Contains(b.URL(), "/console/messages") }, 10*time.Second)
	}

	// A wrong password is refused, on an accessible page.
	b.Get(base + "/console/login")
	check("login")
	b.Find("#name").SendKeys("olga")
	b.Find("#password").SendKeys("not-the-password")
	b.Find(`form[action="/console/login"] button`).Click()
	if msg := b.Find("#login-error").Text(); !strings.Contains(msg, "Wrong name or password") {
		t.Errorf("wrong password: %q", msg)
	}

	// The operator finds the failed message by partner, state and time.
	login("olga")
	check("messages")
	b.Find(`#partner option[value="AP_DE_01"]`).Click()
	b.Find(`#state option[value="failed"]`).Click()
	from := time.Now().UTC().Add(-10 * time.Minute).Format("2006-01-02T15:04")
	to := time.Now().UTC().Add(10 * time.Minute).Format("2006-01-02T15:04")
	// datetime-local inputs take their value by script (typing depends on
	// the browser's locale).
	b.Execute(`document.getElementById('from').value = arguments[0]; document.getElementById('to').value = arguments[1]; return true;`, nil, from, to)
	b.Find(`form.filters button`).Click()
	b.WaitFor(func() bool { return strings.Contains(b.URL(), "state=failed") }, 10*time.Second)
	rows := b.FindAll("tbody tr")
	if len(rows) != 1 || !strings.Contains(rows[0].Text(), bad.MessageID) {
		var texts []string
		for _, r := range rows {
			texts = append(texts, r.Text())
		}
		t.Fatalf("failed messages to AP_DE_01: %q", texts)
	}
	check("messages-filtered")
	// Outside the time range, nothing.
	past := url.Values{"partner": {"AP_DE_01"}, "from": {"2020-01-01T00:00"}, "to": {"2020-01-02T00:00"}}
	b.Get(base + "/console/messages?" + past.Encode())
	if n := len(b.FindAll("tbody tr")); n != 0 {
		t.Errorf("messages of 2020: %d", n)
	}
	b.Back()

	// Why it failed.
	b.Find(`a[href="/console/messages/out/` + bad.MessageID + `"]`).Click()
	if why := b.Find("#last-error").Text(); !strings.Contains(why, "EBMS:") {
		t.Errorf("the reason shown: %q", why)
	}
	if st := b.Find("#state").Text(); st != "failed" {
		t.Errorf("state shown: %q", st)
	}
	// Every attempt, each with its error, the last one the failure.
	failed := waitState(t, fr, bad.MessageID, time.Second)
	history := b.FindAll("#attempts tbody tr")
	if len(history) != failed.Attempts || failed.Attempts == 0 {
		t.Fatalf("the page lists %d attempts, the message had %d", len(history), failed.Attempts)
	}
	for i, row := range history {
		text := row.Text()
		outcome := "retried"
		if i == len(history)-1 {
			outcome = "failed"
		}
		if !strings.Contains(text, "EBMS:") || !strings.Contains(text, outcome) {
			t.Errorf("attempt %d of %d: %q", i+1, len(history), text)
		}
	}
	check("message-failed")

	// The partner is back; the operator resends; the message is delivered.
	de.down.Store(false)
	b.Find(`form[action$="/resend"] button`).Click()
	b.WaitFor(func() bool {
		b.Get(base + "/console/messages/out/" + bad.MessageID)
		return b.Find("#state").Text() == "delivered"
	}, 20*time.Second)
	if len(b.FindAll("#nrr tbody tr td.id")) == 0 {
		t.Errorf("the delivered message shows no receipt digests")
	}
	// The history keeps the failed attempts and ends with the delivery,
	// counted from 1 again after the resend.
	history = b.FindAll("#attempts tbody tr")
	if len(history) != failed.Attempts+1 || !strings.Contains(history[len(history)-1].Text(), "delivered") {
		var texts []string
		for _, r := range history {
			texts = append(texts, r.Text())
		}
		t.Errorf("attempts after the resend: %q", texts)
	}
	check("message-delivered")
	b.Get(base + "/console/partners")
	check("partners")
	b.Get(base + "/console/alerts")
	check("alerts")
	b.Get(base + "/console/journal?conversation=conv-1")
	check("journal")

	// The operator may download the payload (audited).
	operator := sessionOf(t, b)
	if code, body := get(t, operator, base+"/console/messages/out/"+bad.MessageID+"/payloads/0"); code != 200 || !strings.Contains(body, `id="q-bad"`) {
		t.Errorf("operator's download: %d %q", code, body)
	}
	// The operator may not read the audit trail.
	if code, _ := get(t, operator, base+"/console/audit"); code != http.StatusForbidden {
		t.Errorf("operator on the audit trail: HTTP %d", code)
	}
	b.Find(`form.logout button`).Click()
	b.WaitFor(func() bool { return strings.Contains(b.URL(), "/console/login") }, 10*time.Second)

	// The auditor reads the message, without the resend button, and may
	// neither resend nor download.
	login("aude")
	b.Get(base + "/console/messages/out/" + ok.MessageID)
	if len(b.FindAll(`form[action$="/resend"], form[action$="/retry"]`)) != 0 {
		t.Error("the auditor is offered a resend or retry")
	}
	if txt := b.Find("main").Text(); !strings.Contains(txt, "not for your role") {
		t.Errorf("the auditor's payload cell: %q", txt)
	}
	check("message-auditor")
	auditor := sessionOf(t, b)
	csrf := b.Find(`form.logout input[name="csrf"]`).Attr("value")
	if code := post(t, auditor, base+"/console/messages/out/"+bad.MessageID+"/resend", csrf); code != http.StatusForbidden {
		t.Errorf("auditor's resend: HTTP %d", code)
	}
	if code, _ := get(t, auditor, base+"/console/messages/out/"+bad.MessageID+"/payloads/0"); code != http.StatusForbidden {
		t.Errorf("auditor's download: HTTP %d", code)
	}
	// A POST without the CSRF token is refused even for an operator.
	if code := post(t, operator, base+"/console/messages/out/"+bad.MessageID+"/resend", ""); code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("resend without the CSRF token: HTTP %d", code)
	}

	// The audit trail has every action, and its chain holds.
	b.Get(base + "/console/journal?person=Dupont")
	check("journal-person")
	b.Get(base + "/console/audit")
	check("audit")
	if txt := b.Find("#chain").Text(); !strings.Contains(txt, "Hash chain verified") {
		t.Errorf("chain: %q", txt)
	}
	entries, err := srv.Audit().List(ctx, console.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ actor, action, target, outcome string }{
		{"olga", "login", "olga", "failed"},
		{"olga", "login", "olga", "ok"},
		{"olga", "message.resend", bad.MessageID, "ok"},
		{"olga", "payload.download", "out:" + bad.MessageID + "#0", "ok"},
		{"olga", "audit.view", "", "denied"},
		{"olga", "logout", "olga", "ok"},
		{"aude", "login", "aude", "ok"},
		{"aude", "message.resend", bad.MessageID, "denied"},
		{"aude", "payload.download", "out:" + bad.MessageID + "#0", "denied"},
	}
	for _, w := range want {
		found := false
		for _, e := range entries {
			if e.Actor == w.actor && e.Action == w.action && e.Target == w.target && strings.HasPrefix(e.Outcome, w.outcome) && e.Remote != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("the audit trail lacks %+v", w)
		}
	}
	if n, err := srv.Audit().Verify(ctx); err != nil || n < int64(len(want)) {
		t.Errorf("Verify = %d, %v", n, err)
	}
}

// sessionOf returns the browser's console cookie.
func sessionOf(t *testing.T, b *webdriver.Browser) *http.Cookie {
	t.Helper()
	c, ok := b.Cookie("oots_console")
	if !ok {
		t.Fatal("no console cookie")
	}
	return &http.Cookie{Name: "oots_console", Value: c.Value}
}

func get(t *testing.T, c *http.Cookie, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(c)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, c *http.Cookie, u, csrf string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
