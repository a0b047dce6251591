package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
)

// DemoPreviewUser plays a demo user at the preview space of a demo node
// (a PreviewUser, for "oots conformance run -preview-login demo"): with a plain HTTP
// client and a cookie jar of its own for each decision, it follows the
// preview link, logs in at the demo identity provider of the person's
// country as the demo user (demo.Users) with the identifier given — the
// eIDAS identifier "DE/FR/3f8a2c61d9" is issued by DE, for a relying party
// of FR, local id 3f8a2c61d9; a company's identifier logs in its first
// representative on its behalf — and posts the decision with the page's
// CSRF token. Errors name the step that failed.
type DemoPreviewUser struct {
	// Roots are the anchors of the demo's HTTPS servers (the demo TLS CA,
	// Network.TLSCAFile); nil means the system's.
	Roots *x509.CertPool
	// Timeout bounds one decision; default 30 s.
	Timeout time.Duration
}

var _ PreviewUser = (*DemoPreviewUser)(nil)

// ErrDemoPreview is wrapped by the errors of DemoPreviewUser.Decide.
var ErrDemoPreview = errors.New("conformance: demo preview login")

// demoAccount finds the demo user and the login form's account value of an
// identifier.
func demoAccount(as string) (idp.User, string, error) {
	cc, local, ok := eid.LocalID(as)
	if !ok {
		return idp.User{}, "", fmt.Errorf("%q is not an eIDAS identifier CC/CC/local", as)
	}
	users := demo.Users(cc)
	for _, u := range users {
		if u.Local == local {
			return u, u.Local, nil
		}
	}
	for _, u := range users {
		for _, c := range u.Represents {
			if c.Local == local {
				return u, u.Local + "|" + c.Local, nil
			}
		}
	}
	return idp.User{}, "", fmt.Errorf("no demo user or company %q at the identity provider of %s", local, cc)
}

// Decide logs in at previewLocation as the person (or company) as and
// records d; with LogInOnly it only logs in and fails if the
// evidence is shown.
func (u *DemoPreviewUser) Decide(ctx context.Context, previewLocation, as string, d Decision) error {
	fail := func(step, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrDemoPreview, step, fmt.Sprintf(format, a...))
	}
	switch d {
	case Approve, Refuse, LogInOnly:
	default:
		return fail("decision", "%q is not approve, refuse or none", d)
	}
	who, account, err := demoAccount(as)
	if err != nil {
		return fail("choosing the demo user", "%v", err)
	}
	loc, err := url.Parse(previewLocation)
	if err != nil || loc.Scheme != "https" || !strings.HasPrefix(loc.Path, "/preview/") {
		return fail("the preview link", "%q is not an https URL of a preview (/preview/…)", previewLocation)
	}
	timeout := u.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: u.Roots, MinVersion: tls.VersionTLS12}}}
	defer c.CloseIdleConnections()

	// 1. The preview link: the start page asks to log in.
	pg, err := get(ctx, c, loc.String())
	if err != nil {
		return fail("opening the preview link", "%v", err)
	}
	if pg.status != http.StatusOK || !strings.Contains(pg.body, loc.Path+"/login") {
		return fail("opening the preview link", "HTTP %d without a login link: %s", pg.status, pg.text())
	}
	// 2. The login: the preview space sends the browser to the identity
	// provider of the eID's country.
	start := *loc
	start.Path += "/login"
	start.RawQuery = url.Values{idp.ParamCountry: {who.Country}, "lang": {"en"}}.Encode()
	pg, err = get(ctx, c, start.String())
	if err != nil {
		return fail("opening the identity provider", "%v", err)
	}
	form, ok := findForm(pg.body, `name="pin"`)
	if pg.status != http.StatusOK || !ok {
		return fail("opening the identity provider", "HTTP %d at %s without a login form: %s", pg.status, pg.url, pg.text())
	}
	// 3. The identity provider's form: account, level, PIN.
	v := form.hidden()
	v.Set("account", account)
	v.Set("loa", who.LoA.Code())
	v.Set("pin", who.PIN)
	v.Set("action", "login")
	action, err := pg.url.Parse(form.action)
	if err != nil {
		return fail("logging in", "form action %q: %v", form.action, err)
	}
	pg, err = post(ctx, c, action.String(), v)
	if err != nil {
		return fail("logging in", "%v", err)
	}
	decide, shown := findForm(pg.body, `name="decision"`)
	if d == LogInOnly {
		if shown {
			return fail("logging in", "the preview shows the evidence to %s (%s)", who.Name(), as)
		}
		return nil
	}
	if pg.status != http.StatusOK || !shown {
		return fail("logging in", "as %s (%s): HTTP %d at %s without the evidence: %s", who.Name(), as, pg.status, pg.url, pg.text())
	}
	// 4. The decision, with the page's CSRF token.
	v = decide.hidden()
	if v.Get("csrf") == "" {
		return fail("deciding", "the preview page's form has no CSRF token")
	}
	v.Set("decision", string(d))
	action, err = pg.url.Parse(decide.action)
	if err != nil {
		return fail("deciding", "form action %q: %v", decide.action, err)
	}
	// After an EDM 2.0 preview the preview space sends the user back to
	// the request's ReturnLocation, another site: that redirect is the
	// answer, and it is not followed.
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if r.URL.Host != loc.Host {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	pg, err = post(ctx, c, action.String(), v)
	if err != nil {
		return fail("deciding", "%v", err)
	}
	if pg.status >= 300 && pg.status < 400 && pg.location != "" {
		return nil
	}
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `role="status"`) {
		return fail("deciding", "%s: HTTP %d: %s", d, pg.status, pg.text())
	}
	return nil
}

// page is an HTML page as fetched, after redirects.
type page struct {
	url    *url.URL
	status int
	body   string
	// location is the Location of a redirect not followed (to
	// another site).
	location string
}

var (
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE  = regexp.MustCompile(`\s+`)
	mainRE   = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)
	formRE   = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	actionRE = regexp.MustCompile(`\baction="([^"]*)"`)
	inputRE  = regexp.MustCompile(`<input\b[^>]*>`)
	attrRE   = regexp.MustCompile(`\b(type|name|value)="([^"]*)"`)
)

// text is the visible text of the page's main element, shortened, for
// error messages.
func (p *page) text() string {
	b := p.body
	if m := mainRE.FindStringSubmatch(b); m != nil {
		b = m[1]
	}
	s := strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(b, " ")), " "))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return fmt.Sprintf("%q", s)
}

type form struct {
	action string
	inputs []map[string]string
}

// hidden returns the form's hidden inputs.
func (f *form) hidden() url.Values {
	v := url.Values{}
	for _, in := range f.inputs {
		if in["type"] == "hidden" && in["name"] != "" {
			v.Set(in["name"], in["value"])
		}
	}
	return v
}

// findForm returns the first form of body that contains marker.
func findForm(body, marker string) (*form, bool) {
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[2], marker) {
			continue
		}
		f := &form{}
		if a := actionRE.FindStringSubmatch(m[1]); a != nil {
			f.action = html.UnescapeString(a[1])
		}
		for _, in := range inputRE.FindAllString(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRE.FindAllStringSubmatch(in, -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			f.inputs = append(f.inputs, attrs)
		}
		return f, true
	}
	return nil, false
}

// maxPage bounds a page read.
const maxPage = 1 << 20

func get(ctx context.Context, c *http.Client, u string) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return do(c, req)
}

func post(ctx context.Context, c *http.Client, u string, v url.Values) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(c, req)
}

func do(c *http.Client, req *http.Request) (*page, error) {
	req.Header.Set("Accept-Language", "en")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", resp.Request.URL, err)
	}
	return &page{url: resp.Request.URL, status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}, nil
}
