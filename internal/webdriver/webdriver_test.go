package webdriver_test

import (
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/webdriver"
)

var formPage = template.Must(template.New("form").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Greeting</title></head>
<body><main>
<h1>Greeting</h1>
<form method="post" action="/greet">
<label for="name">Your name</label> <input id="name" name="name" type="text">
<label for="country">Country</label>
<select id="country" name="country"><option value="DE">Germany</option><option value="FR">France</option></select>
<button type="submit">Greet</button>
</form>
<img src="/logo.png" alt="">
</main></body></html>`))

var resultPage = template.Must(template.New("result").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><main><h1>Hello</h1><p id="result">Hello, {{.Name}} from {{.Country}}</p></main></body></html>`))

const badPage = `<!DOCTYPE html>
<html><head><title></title></head><body>
<h1>Bad</h1><h3>Skipped</h3>
<input name="q"><button></button>
<img src="/logo.png">
<p id="x">one</p><p id="x">two</p>
</body></html>`

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		formPage.Execute(w, nil)
	})
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "greeted", Value: "yes", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		resultPage.Execute(w, map[string]string{"Name": r.PostFormValue("name"), "Country": r.PostFormValue("country")})
	})
	mux.HandleFunc("GET /bad", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(badPage))
	})
	mux.HandleFunc("GET /logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowser(t *testing.T) {
	srv := server(t)
	b := webdriver.Start(t)

	b.Get(srv.URL + "/")
	if got := b.Title(); got != "Greeting" {
		t.Errorf("Title = %q", got)
	}
	if problems := b.CheckA11y(); len(problems) != 0 {
		t.Errorf("CheckA11y of an accessible page: %q", problems)
	}
	if got := b.Find("h1").Text(); got != "Greeting" {
		t.Errorf("h1 text = %q", got)
	}
	if got := len(b.FindAll("option")); got != 2 {
		t.Errorf("FindAll(option): %d elements", got)
	}
	if got := b.Find("form").Attr("action"); got != "/greet" {
		t.Errorf("form action = %q", got)
	}
	if got := b.Find("form").Attr("no-such-attribute"); got != "" {
		t.Errorf("absent attribute = %q", got)
	}

	// Type, choose, submit by clicking the button, read the result.
	name := b.Find("#name")
	name.SendKeys("Ada")
	name.Clear()
	name.SendKeys("Ada Lovelace")
	b.Find("option[value=FR]").Click()
	b.Find("form").Submit()
	if got := b.Find("#result").Text(); got != "Hello, Ada Lovelace from FR" {
		t.Errorf("result = %q", got)
	}
	if got := b.URL(); got != srv.URL+"/greet" {
		t.Errorf("URL after submit = %q", got)
	}
	if src := b.PageSource(); !strings.Contains(src, `<p id="result">Hello, Ada Lovelace from FR</p>`) {
		t.Errorf("page source:\n%s", src)
	}

	c, ok := b.Cookie("greeted")
	if !ok || c.Value != "yes" || !c.HTTPOnly || c.SameSite != "Lax" {
		t.Errorf("cookie greeted = %+v, %v (all: %+v)", c, ok, b.Cookies())
	}
	b.DeleteCookies()
	if cs := b.Cookies(); len(cs) != 0 {
		t.Errorf("cookies after DeleteCookies: %+v", cs)
	}

	shot := filepath.Join(t.TempDir(), "result.png")
	b.Screenshot(shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width < 100 || cfg.Height < 100 {
		t.Errorf("screenshot: %+v, %v", cfg, err)
	}

	// Submitting from an element inside the form works too.
	b.Back()
	b.WaitFor(func() bool { return b.URL() == srv.URL+"/" }, 5*time.Second)
	// The browser restores the form as it was left; start afresh.
	b.Find("#name").Clear()
	b.Find("option[value=DE]").Click()
	b.Find("#name").SendKeys("Grace")
	b.Find("#name").Submit()
	if got := b.Find("#result").Text(); got != "Hello, Grace from DE" {
		t.Errorf("result of the second submission = %q", got)
	}

	// Failures carry the WebDriver error code.
	_, err = b.Lookup("#no-such-element")
	var we *webdriver.Error
	if !errors.As(err, &we) || we.Code != webdriver.CodeNoSuchElement || we.Status != http.StatusNotFound {
		t.Errorf("Lookup of a missing element: %v", err)
	}
	_, err = b.Lookup("p[")
	if !errors.As(err, &we) || we.Code != webdriver.CodeInvalidSelector {
		t.Errorf("Lookup with an invalid selector: %v", err)
	}

	// The accessibility check finds the faults of a bad page.
	b.Get(srv.URL + "/bad")
	problems := b.CheckA11y()
	for _, want := range []string{
		"html has no lang attribute",
		"the page has no title",
		"input[name=q] has no label",
		"button has no accessible name",
		"img has no alt attribute",
		`heading h3 "Skipped" skips a level (after h1)`,
		`id "x" is used more than once`,
	} {
		if !slices.Contains(problems, want) {
			t.Errorf("CheckA11y misses %q; found %q", want, problems)
		}
	}
	if len(problems) != 7 {
		t.Errorf("CheckA11y found %d problems, want 7: %q", len(problems), problems)
	}
}

// TestFindWaits: Find waits for an element that appears later, and WaitFor
// polls its condition.
func TestFindWaits(t *testing.T) {
	srv := server(t)
	b := webdriver.Start(t)
	b.Get(srv.URL + "/")
	// The element is added after a delay by a script run from the test
	// (the pages themselves have none).
	b.Execute(`setTimeout(() => { const p = document.createElement('p'); p.id = 'late'; p.textContent = 'here'; document.body.append(p); }, 300);`, nil)
	if _, err := b.Lookup("#late"); err == nil {
		t.Fatal("#late exists at once")
	}
	if got := b.Find("#late").Text(); got != "here" {
		t.Errorf("late element text = %q", got)
	}
	n := 0
	b.WaitFor(func() bool { n++; return n == 3 }, 5*time.Second)
	if n != 3 {
		t.Errorf("WaitFor stopped after %d calls", n)
	}
}

// TestStaleElement: an element the page replaced (as a live update does)
// is found again by its selector, and WaitForText waits through the
// replacement.
func TestStaleElement(t *testing.T) {
	srv := server(t)
	b := webdriver.Start(t)
	b.Get(srv.URL + "/")
	b.Execute(`const p = document.createElement('p'); p.id = 'live'; p.textContent = 'waiting'; document.body.append(p);`, nil)
	el := b.Find("#live")
	if got := el.Text(); got != "waiting" {
		t.Fatalf("text = %q", got)
	}
	b.Execute(`const q = document.createElement('p'); q.id = 'live'; q.textContent = 'received'; document.getElementById('live').replaceWith(q);`, nil)
	if got := el.Text(); got != "received" {
		t.Errorf("text of the replaced element = %q, want the new element's", got)
	}
	b.Execute(`setTimeout(() => { const q = document.createElement('p'); q.id = 'live'; q.textContent = 'refused'; document.getElementById('live').replaceWith(q); }, 300);`, nil)
	if got := b.WaitForText("#live", "refused", 5*time.Second); got != "refused" {
		t.Errorf("WaitForText = %q", got)
	}
}

// TestAxe: axe-core finds nothing serious on an accessible page and finds
// the serious faults of a bad one (missing lang, unlabelled field, nameless
// button, image without alt, duplicate id).
func TestAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	srv := server(t)
	b := webdriver.Start(t)
	b.Get(srv.URL + "/")
	if problems := b.AxeSerious(); len(problems) != 0 {
		t.Errorf("axe-core on an accessible page: %q", problems)
	}
	b.Get(srv.URL + "/bad")
	var ids []string
	for _, v := range b.Axe() {
		if v.Serious() {
			ids = append(ids, v.ID)
		}
	}
	for _, want := range []string{"html-has-lang", "label", "button-name", "image-alt"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe-core misses %s on the bad page; found %q", want, ids)
		}
	}
	// Run twice on one page: axe-core is injected once and runs again.
	if again := b.AxeSerious(); len(again) != len(ids) {
		t.Errorf("second run found %d serious violations, first %d", len(again), len(ids))
	}
}

// TestClickAway: a click the page does not act on is made again, and a form
// whose answer is slow is sent once, not again.
func TestClickAway(t *testing.T) {
	var posts atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		formPage.Execute(w, nil)
	})
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(7 * time.Second) // longer than ClickAway's wait for a navigation to begin
		}
		resultPage.Execute(w, map[string]string{"Name": r.PostFormValue("name"), "Country": r.PostFormValue("country")})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := webdriver.Start(t)

	// The first click is swallowed, as a page that is not ready may.
	b.Get(srv.URL + "/")
	b.Execute(`let first = true; document.querySelector("button").addEventListener("click", (e) => { if (first) { first = false; e.preventDefault() } }); return true`, nil)
	b.Find("button").ClickAway()
	if got := b.Find("#result").Text(); !strings.HasPrefix(got, "Hello") || posts.Load() != 1 {
		t.Errorf("after a swallowed click: %q, %d posts, want the result page and 1 post", got, posts.Load())
	}

	// A slow answer: the navigation began, so no second click.
	posts.Store(0)
	b.Get(srv.URL + "/")
	b.Execute(`document.querySelector("form").action = "/greet?slow=1"; return true`, nil)
	b.Find("button").ClickAway()
	if got := b.Find("#result").Text(); !strings.HasPrefix(got, "Hello") || posts.Load() != 1 {
		t.Errorf("after a slow answer: %q, %d posts, want the result page and 1 post", got, posts.Load())
	}
}
