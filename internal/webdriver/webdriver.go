// Package webdriver is a minimal client of the W3C WebDriver protocol
// (https://www.w3.org/TR/webdriver2/) for the end-to-end tests of the web
// pages: it starts chromedriver and a headless Chromium (the Debian packages
// chromium-driver and chromium), and drives them over HTTP/JSON: navigation
// (§10), element retrieval by CSS selector (§12), element interaction (§12.5:
// click, send keys), document (§13: page source, script), cookies (§14) and
// screenshots (§17).
//
// It is a test tool: a Browser belongs to one test, and its methods fail the
// test (tb.Fatal) with the WebDriver error code and message when a command
// fails. Lookup and Command return the *Error instead, for tests that expect
// a failure.
//
// When chromedriver or chromium is not installed, Start skips the test, or
// fails it under OOTS_REQUIRE_VERIFIERS=1 (as in CI, which installs both).
package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/testenv"
)

// DefaultTimeout is how long Find waits for an element by default.
const DefaultTimeout = 5 * time.Second

// elementKey is the web element identifier of WebDriver §12.1.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// Error is an error a WebDriver command returned (WebDriver §6.6).
type Error struct {
	Command string // method and endpoint of the command, for example "POST /element"
	Status  int    // HTTP status
	Code    string // error code, for example "no such element"
	Message string // the driver's explanation
}

func (e *Error) Error() string {
	return fmt.Sprintf("webdriver: %s: %s (HTTP %d): %s", e.Command, e.Code, e.Status, e.Message)
}

// Error codes the tests branch on (WebDriver §6.6).
const (
	CodeNoSuchElement   = "no such element"
	CodeInvalidSelector = "invalid selector"
	CodeStaleElement    = "stale element reference"
)

// Browser is a WebDriver session with a headless Chromium.
type Browser struct {
	// Timeout is how long Find waits for an element to appear;
	// DefaultTimeout unless changed.
	Timeout time.Duration

	tb      testing.TB
	base    string // http://127.0.0.1:port of chromedriver
	session string
	client  *http.Client
}

// Start starts chromedriver on a free loopback port and a headless Chromium
// session with a fresh profile in a temporary directory. Both are ended when
// the test ends.
func Start(tb testing.TB) *Browser {
	tb.Helper()
	return StartWith(tb, Options{})
}

// Options change the session that StartWith creates.
type Options struct {
	// AcceptInsecureCerts accepts any server certificate (WebDriver §7.2
	// acceptInsecureCerts), for servers with a test CA.
	AcceptInsecureCerts bool
	// Args are more Chromium command-line arguments.
	Args []string
}

// StartWith is Start with options.
func StartWith(tb testing.TB, o Options) *Browser {
	tb.Helper()
	driver := testenv.Sbin(tb, "chromedriver", "chromium-driver")
	chromium := testenv.Sbin(tb, "chromium", "chromium")
	// The profile directory is removed last, after the browser has exited.
	profile := tb.TempDir()
	b := &Browser{Timeout: DefaultTimeout, tb: tb, client: &http.Client{Timeout: 60 * time.Second}}

	var out lockedBuffer
	var err error
	for range 3 { // a port found free may be taken before chromedriver binds it
		var port int
		if port, err = freePort(); err != nil {
			break
		}
		if err = b.startDriver(driver, port, &out); err == nil {
			break
		}
	}
	if err != nil {
		tb.Fatalf("webdriver: starting chromedriver: %v\n%s", err, out.String())
	}

	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args": append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,1024"}, o.Args...),
		},
		"acceptInsecureCerts": o.AcceptInsecureCerts,
	}}}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(http.MethodPost, "/session", caps, &created); err != nil {
		tb.Fatalf("webdriver: creating a session: %v\n%s", err, out.String())
	}
	if created.SessionID == "" {
		tb.Fatalf("webdriver: the new session has no id")
	}
	b.session = "/session/" + created.SessionID
	tb.Cleanup(func() {
		if err := b.call(http.MethodDelete, b.session, nil, nil); err != nil {
			tb.Logf("webdriver: deleting the session: %v", err)
		}
	})
	return b
}

// startDriver runs chromedriver on port and waits until it is ready
// (WebDriver §8.3 Status).
func (b *Browser) startDriver(path string, port int, out io.Writer) error {
	cmd := exec.Command(path, "--port="+strconv.Itoa(port))
	cmd.Stdout = out
	cmd.Stderr = out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		killProcessGroup(cmd)
		<-exited
	}
	b.base = "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := b.call(http.MethodGet, "/status", nil, &st); err == nil && st.Ready {
			b.tb.Cleanup(stop)
			return nil
		}
		select {
		case err := <-exited:
			exited <- err
			stop()
			return fmt.Errorf("chromedriver exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return errors.New("chromedriver not ready within 20s")
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer collects the output of chromedriver.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// call sends a command to path (absolute on the driver) with in as its JSON
// body and decodes the response's value into out.
func (b *Browser) call(method, path string, in, out any) error {
	cmdName := method + " " + strings.TrimPrefix(path, b.session)
	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("webdriver: %s: %w", cmdName, err)
		}
		body = bytes.NewReader(buf)
	} else if method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, body)
	if err != nil {
		return fmt.Errorf("webdriver: %s: %w", cmdName, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("webdriver: %s: %w", cmdName, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("webdriver: %s: %w", cmdName, err)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver: %s: HTTP %d, not a WebDriver response: %.200q", cmdName, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		if e.Error == "" {
			e.Error = "unknown error"
		}
		return &Error{Command: cmdName, Status: resp.StatusCode, Code: e.Error, Message: e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(env.Value, out); err != nil {
			return fmt.Errorf("webdriver: %s: decoding the value: %w", cmdName, err)
		}
	}
	return nil
}

// Command sends a command of the session: path is relative to the session
// (for example "/url"), in the JSON body (nil for none), and out receives the
// value of the answer. A failed command returns an *Error.
func (b *Browser) Command(method, path string, in, out any) error {
	return b.call(method, b.session+path, in, out)
}

func (b *Browser) must(err error) {
	b.tb.Helper()
	if err != nil {
		b.tb.Fatal(err)
	}
}

// Get navigates to url and waits for the page to load (WebDriver §10.1).
func (b *Browser) Get(url string) {
	b.tb.Helper()
	b.must(b.Command(http.MethodPost, "/url", map[string]string{"url": url}, nil))
}

// URL returns the URL of the current page.
func (b *Browser) URL() string {
	b.tb.Helper()
	var s string
	b.must(b.Command(http.MethodGet, "/url", nil, &s))
	return s
}

// Title returns the title of the current page.
func (b *Browser) Title() string {
	b.tb.Helper()
	var s string
	b.must(b.Command(http.MethodGet, "/title", nil, &s))
	return s
}

// Back goes back one page in the history and waits for it to load.
func (b *Browser) Back() {
	b.tb.Helper()
	b.must(b.Command(http.MethodPost, "/back", nil, nil))
}

// PageSource returns the serialised DOM of the current page.
func (b *Browser) PageSource() string {
	b.tb.Helper()
	var s string
	b.must(b.Command(http.MethodGet, "/source", nil, &s))
	return s
}

// Screenshot saves a PNG image of the current viewport at path.
func (b *Browser) Screenshot(path string) {
	b.tb.Helper()
	var s string
	b.must(b.Command(http.MethodGet, "/screenshot", nil, &s))
	png, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.tb.Fatalf("webdriver: screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		b.tb.Fatalf("webdriver: screenshot: not a PNG image")
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.tb.Fatalf("webdriver: screenshot: %v", err)
	}
}

// Execute runs script synchronously in the page (WebDriver §13.2.1) with
// args (available as arguments[i]) and decodes its return value into out
// (nil to ignore it).
func (b *Browser) Execute(script string, out any, args ...any) {
	b.tb.Helper()
	b.must(b.execute(script, out, args...))
}

// execute is Execute returning the error, for a caller to whom a page that
// cannot run a script (it is changing) is an answer.
func (b *Browser) execute(script string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.Command(http.MethodPost, "/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// Cookie is a cookie of the current page's origin (WebDriver §14).
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Expiry   int64  `json:"expiry,omitempty"`
	SameSite string `json:"sameSite,omitempty"` // Lax, Strict or None
}

// Cookies returns the cookies visible to the current page, HttpOnly ones
// included.
func (b *Browser) Cookies() []Cookie {
	b.tb.Helper()
	var cs []Cookie
	b.must(b.Command(http.MethodGet, "/cookie", nil, &cs))
	return cs
}

// Cookie returns the named cookie of the current page and whether there is
// one.
func (b *Browser) Cookie(name string) (Cookie, bool) {
	b.tb.Helper()
	for _, c := range b.Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return Cookie{}, false
}

// DeleteCookies deletes the cookies visible to the current page.
func (b *Browser) DeleteCookies() {
	b.tb.Helper()
	b.must(b.Command(http.MethodDelete, "/cookie", nil, nil))
}

// SetWindowSize sets the size of the browser window in CSS pixels
// (WebDriver §11.8.2), for example 375 wide to check a page on a phone.
func (b *Browser) SetWindowSize(width, height int) {
	b.tb.Helper()
	b.must(b.Command(http.MethodPost, "/window/rect", map[string]int{"width": width, "height": height}, nil))
}

// WaitFor polls cond until it returns true, and fails the test when it has
// not within timeout.
func (b *Browser) WaitFor(cond func() bool, timeout time.Duration) {
	b.tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.tb.Fatalf("webdriver: condition not met within %v (page %s)", timeout, b.URL())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Element is an element of the current page.
type Element struct {
	b   *Browser
	id  string
	css string // the selector that found it, for messages
	// scope is where css was looked up ("" for the page, or the path of
	// a parent element): a stale element is found again there.
	scope string
}

type locator struct {
	Using string `json:"using"`
	Value string `json:"value"`
}

func (b *Browser) find(scope, css string) (*Element, error) {
	var ref map[string]string
	if err := b.Command(http.MethodPost, scope+"/element", locator{"css selector", css}, &ref); err != nil {
		return nil, err
	}
	if ref[elementKey] == "" {
		return nil, fmt.Errorf("webdriver: find %q: no element reference in the answer", css)
	}
	return &Element{b: b, id: ref[elementKey], css: css, scope: scope}, nil
}

func (b *Browser) findAll(scope, css string) ([]*Element, error) {
	var refs []map[string]string
	if err := b.Command(http.MethodPost, scope+"/elements", locator{"css selector", css}, &refs); err != nil {
		return nil, err
	}
	els := make([]*Element, 0, len(refs))
	for _, r := range refs {
		els = append(els, &Element{b: b, id: r[elementKey], css: css, scope: scope})
	}
	return els, nil
}

// Lookup returns the first element that the CSS selector css matches now,
// without waiting; an *Error with Code CodeNoSuchElement when there is none.
func (b *Browser) Lookup(css string) (*Element, error) {
	return b.find("", css)
}

// Find returns the first element that css matches, waiting up to b.Timeout
// for it to appear, and fails the test when none does.
func (b *Browser) Find(css string) *Element {
	b.tb.Helper()
	return b.poll("", css)
}

func (b *Browser) poll(scope, css string) *Element {
	b.tb.Helper()
	deadline := time.Now().Add(b.Timeout)
	for {
		el, err := b.find(scope, css)
		if err == nil {
			return el
		}
		var we *Error
		if !errors.As(err, &we) || we.Code != CodeNoSuchElement || time.Now().After(deadline) {
			b.tb.Fatalf("webdriver: find %q (waited up to %v): %v", css, b.Timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FindAll returns every element that css matches now (none is not an
// error).
func (b *Browser) FindAll(css string) []*Element {
	b.tb.Helper()
	els, err := b.findAll("", css)
	b.must(err)
	return els
}

func (e *Element) path(rest string) string { return "/element/" + e.id + rest }

// do runs an element command that only reads; when the element has gone
// stale (the page replaced it, as a live update does) it finds the element
// again by its selector, in its scope, and retries, until b.Timeout.
func (e *Element) do(what string, cmd func() error) {
	e.b.tb.Helper()
	deadline := time.Now().Add(e.b.Timeout)
	for {
		err := cmd()
		var we *Error
		if err == nil || !errors.As(err, &we) || we.Code != CodeStaleElement || time.Now().After(deadline) {
			e.must(what, err)
			return
		}
		fresh, ferr := e.b.find(e.scope, e.css)
		if ferr != nil {
			var fe *Error
			if !errors.As(ferr, &fe) || fe.Code != CodeNoSuchElement {
				e.must(what, ferr)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		e.id = fresh.id
	}
}

// WaitForText waits until the text of the first element that css matches
// contains want, finding the element again whenever the page replaced
// it, and returns the text; it fails the test after timeout.
func (b *Browser) WaitForText(css, want string, timeout time.Duration) string {
	b.tb.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		el, err := b.find("", css)
		if err == nil {
			var s string
			err = b.Command(http.MethodGet, el.path("/text"), nil, &s)
			if err == nil {
				last = s
				if strings.Contains(s, want) {
					return s
				}
			}
		}
		var we *Error
		if err != nil && (!errors.As(err, &we) || (we.Code != CodeNoSuchElement && we.Code != CodeStaleElement)) {
			b.tb.Fatalf("webdriver: text of %q: %v", css, err)
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("webdriver: %q does not say %q within %v (page %s); it says %q", css, want, timeout, b.URL(), last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *Element) must(what string, err error) {
	e.b.tb.Helper()
	if err != nil {
		e.b.tb.Fatalf("webdriver: %s of %q: %v", what, e.css, err)
	}
}

// Find returns the first descendant of e that css matches, waiting as
// Browser.Find does.
func (e *Element) Find(css string) *Element {
	e.b.tb.Helper()
	return e.b.poll(e.path(""), css)
}

// FindAll returns every descendant of e that css matches now.
func (e *Element) FindAll(css string) []*Element {
	e.b.tb.Helper()
	els, err := e.b.findAll(e.path(""), css)
	e.must("find all "+css, err)
	return els
}

// Click clicks the element (WebDriver §12.5.1) and, when that navigates,
// waits for the new page to load. Unlike the commands that read, it does
// not retry on a stale element: the click may have been made (a form sent)
// before the driver noticed the page change, and must not be made twice.
func (e *Element) Click() {
	e.b.tb.Helper()
	e.must("click", e.b.Command(http.MethodPost, e.path("/click"), nil, nil))
}

// leaving marks the page as on its way out at the first sign that a
// navigation to another document began: a form's submit event or a click
// on a link to another document that no listener cancelled (both come
// while the click is made), the Navigation API's navigate event,
// beforeunload or pagehide. Chromium under load was seen to start a form's
// navigation without the page's beforeunload listener having run within
// five seconds, so that event alone is not enough: a second click would
// then send the form twice.
const leaving = `window.__webdriverLeaving = false;
const leave = () => { window.__webdriverLeaving = true };
const here = (target) => !target || target === "_self";
const elsewhere = (a) => here(a.getAttribute("target")) && !(a.hash && a.href.split("#")[0] === location.href.split("#")[0]);
addEventListener("submit", (e) => {
	const target = (e.submitter && e.submitter.getAttribute("formtarget")) || e.target.getAttribute("target");
	if (!e.defaultPrevented && here(target)) leave();
});
addEventListener("click", (e) => {
	const a = e.target instanceof Element && e.target.closest("a[href]");
	if (a && !e.defaultPrevented && elsewhere(a)) leave();
});
if (window.navigation) navigation.addEventListener("navigate", (e) => { if (!e.destination.sameDocument) leave() });
addEventListener("beforeunload", leave);
addEventListener("pagehide", leave);
return true`

// ClickAway clicks an element that leaves the page — a form's button, a
// link — and makes sure that it did. It waits for the page to have loaded
// before the click, and a click that the page did not act on (no
// navigation began: none of the events a navigation away fires first
// came) is made again, up to three times. A
// navigation that began is never clicked twice, however slow its answer:
// a form is not sent twice. It returns once the next page is there.
func (e *Element) ClickAway() {
	e.b.tb.Helper()
	// is runs a script that answers true or false; a script that cannot
	// run (the page is changing) answers false.
	is := func(script string) bool {
		var yes bool
		return e.b.execute(script, &yes) == nil && yes
	}
	e.b.WaitFor(func() bool { return is(`return document.readyState === "complete"`) }, e.b.Timeout)
	e.b.Execute(leaving, nil)
	for attempt := 1; ; attempt++ {
		e.Click()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			// Another page, this one on its way out, or a page that
			// cannot run a script because it is changing.
			var stays bool
			if err := e.b.execute(`return window.__webdriverLeaving === false`, &stays); err != nil || !stays {
				e.b.WaitFor(func() bool {
					return is(`return window.__webdriverLeaving === undefined && document.readyState === "complete"`)
				}, e.b.Timeout)
				return
			}
		}
		if attempt == 3 {
			e.b.tb.Fatalf("webdriver: %d clicks on %q did not leave %s", attempt, e.css, e.b.URL())
		}
		e.b.tb.Logf("webdriver: the click on %q did not leave %s: clicking again", e.css, e.b.URL())
	}
}

// SendKeys types text into the element (WebDriver §12.5.3).
func (e *Element) SendKeys(text string) {
	e.b.tb.Helper()
	e.must("send keys", e.b.Command(http.MethodPost, e.path("/value"), map[string]string{"text": text}, nil))
}

// Clear empties an editable element (WebDriver §12.5.2).
func (e *Element) Clear() {
	e.b.tb.Helper()
	e.must("clear", e.b.Command(http.MethodPost, e.path("/clear"), nil, nil))
}

// Text returns the rendered text of the element.
func (e *Element) Text() string {
	e.b.tb.Helper()
	var s string
	e.do("text", func() error { return e.b.Command(http.MethodGet, e.path("/text"), nil, &s) })
	return s
}

// Attr returns the value of the element's attribute name, "" when it has
// none.
func (e *Element) Attr(name string) string {
	e.b.tb.Helper()
	var s *string
	e.do("attribute "+name, func() error { return e.b.Command(http.MethodGet, e.path("/attribute/"+name), nil, &s) })
	if s == nil {
		return ""
	}
	return *s
}

// Tag returns the element's tag name in lower case.
func (e *Element) Tag() string {
	e.b.tb.Helper()
	var s string
	e.do("tag name", func() error { return e.b.Command(http.MethodGet, e.path("/name"), nil, &s) })
	return strings.ToLower(s)
}

// Submit submits a form the way a user does: by clicking its first submit
// button. e is the form, or an element inside it.
func (e *Element) Submit() {
	e.b.tb.Helper()
	form := e
	if e.Tag() != "form" {
		var ref map[string]string
		e.must("submit", e.b.execute("return arguments[0].form || arguments[0].closest('form');", &ref, map[string]string{elementKey: e.id}))
		if ref[elementKey] == "" {
			e.b.tb.Fatalf("webdriver: submit: %q is not in a form", e.css)
		}
		form = &Element{b: e.b, id: ref[elementKey], css: "form of " + e.css}
	}
	buttons := form.FindAll(`button[type=submit], button:not([type]), input[type=submit], input[type=image]`)
	if len(buttons) == 0 {
		e.b.tb.Fatalf("webdriver: submit: the form %q has no submit button", form.css)
	}
	buttons[0].Click()
}
