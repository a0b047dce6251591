package csclient_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/testenv"
)

// httpCacheSemanticsVersion is the version of the npm package
// http-cache-semantics that .ci/http-cache-semantics installs.
const httpCacheSemanticsVersion = "4.3.0"

// httpCacheSemantics returns node and the directory of http-cache-semantics
// installed in <user cache dir>/oots-test/http-cache-semantics (or
// $OOTS_HTTP_CACHE_SEMANTICS_DIR), or skips the test (fails under
// OOTS_REQUIRE_VERIFIERS=1).
func httpCacheSemantics(t *testing.T) (node, module string) {
	t.Helper()
	node = testenv.Tool(t, "node")
	dir := os.Getenv("OOTS_HTTP_CACHE_SEMANTICS_DIR")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = filepath.Join(os.TempDir(), "cache")
		}
		dir = filepath.Join(c, "oots-test", "http-cache-semantics")
	}
	module = filepath.Join(dir, "node_modules", "http-cache-semantics")
	hint := fmt.Sprintf("bash .ci/http-cache-semantics, or npm install --prefix %s http-cache-semantics@%s", dir, httpCacheSemanticsVersion)
	raw, err := os.ReadFile(filepath.Join(module, "package.json"))
	if err != nil {
		if testenv.Required() {
			t.Fatalf("http-cache-semantics is missing and OOTS_REQUIRE_VERIFIERS=1: %s", hint)
		}
		t.Skipf("http-cache-semantics is missing (%s)", hint)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != httpCacheSemanticsVersion {
		t.Fatalf("http-cache-semantics %q installed, want %s: %s", pkg.Version, httpCacheSemanticsVersion, hint)
	}
	return node, module
}

// TestCacheControlAgainstHTTPCacheSemantics feeds the same answer fields to
// the client and to http-cache-semantics (the RFC 9111 cache rules of the npm
// HTTP stack, as a private cache) and compares whether each reuses the
// answer and for how long. Where they differ on purpose, the case says why.
func TestCacheControlAgainstHTTPCacheSemantics(t *testing.T) {
	node, module := httpCacheSemantics(t)
	const ttl = 1000 * time.Hour // above every lifetime below: the answer's fields decide
	date := time.Now().UTC().Truncate(time.Second)
	httpDate := func(d time.Duration) string { return date.Add(d).Format(http.TimeFormat) }
	type field struct{ name, value string }
	cc := func(lines ...string) []field {
		var fs []field
		for _, l := range lines {
			fs = append(fs, field{"Cache-Control", l})
		}
		return fs
	}
	cases := []struct {
		fields []field
		// lower gives the witness the directive names in lower case:
		// RFC 9111 §5.2 compares them without regard to case, the
		// package compares them exactly.
		lower bool
		// heuristic: no explicit lifetime; the client gives the answer
		// its TTL (RFC 9111 §4.2.2 allows heuristic freshness for a 200
		// answer), the package gives none without Last-Modified.
		heuristic bool
		// differs says why the client departs from the package.
		differs string
		want    time.Duration // the client's lifetime, 0 for not reused
	}{
		{fields: nil, heuristic: true, want: ttl},
		{fields: cc("max-age=60"), want: 60 * time.Second},
		{fields: cc("max-age=0"), want: 0},
		{fields: cc("no-store"), want: 0},
		{fields: cc("no-cache"), want: 0},
		{fields: cc("max-age=60, no-cache"), want: 0},
		{fields: cc("private", "max-age=120"), want: 120 * time.Second},
		{fields: cc("public, max-age=300"), want: 300 * time.Second},
		{fields: cc("s-maxage=600, max-age=60"), want: 60 * time.Second},
		{fields: cc("s-maxage=600"), heuristic: true, want: ttl},
		{fields: cc(`max-age="90"`), want: 90 * time.Second},
		{fields: cc("max-age = 45"), want: 45 * time.Second},
		{fields: cc("Max-Age=60"), lower: true, want: 60 * time.Second},
		{fields: cc("NO-STORE"), lower: true, want: 0},
		{fields: cc("private, No-Cache"), lower: true, want: 0},
		{fields: cc("max-age=60", "no-store"), want: 0},
		{fields: cc("no-store", "max-age=60"), want: 0},
		{fields: cc("max-age=abc"), want: 0},
		{fields: cc("max-age"), want: 0},
		{fields: cc("max-age=99999999999"), want: ttl},
		{fields: []field{{"Expires", httpDate(300 * time.Second)}}, want: 300 * time.Second},
		{fields: []field{{"Expires", httpDate(-time.Hour)}}, want: 0},
		{fields: []field{{"Expires", "0"}}, want: 0},
		{fields: append(cc("max-age=60"), field{"Expires", httpDate(300 * time.Second)}), want: 60 * time.Second},
		{fields: append(cc("max-age=60"), field{"Age", "20"}), want: 40 * time.Second},
		{fields: append(cc("max-age=60"), field{"Age", "100"}), want: 0},
		{fields: append(cc("max-age=60"), field{"Age", "x"}), want: 60 * time.Second},
		{fields: cc(`no-cache="set-cookie"`), want: ttl,
			differs: "RFC 9111 §5.2.2.4: no-cache with field names forbids reusing those fields only; the package treats it as plain no-cache"},
		{fields: cc("max-age=60", "max-age=120"), want: 0,
			differs: "RFC 9111 §4.2.1: repeated max-age is used first or makes the answer stale; the package takes the last"},
		{fields: cc("max-age=-5"), want: 0},
		{fields: cc(`foo="a, max-age=9999", max-age=30`), want: 30 * time.Second},
	}

	// The witness: each case served by its own path to Node's HTTP client.
	witness := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || i < 0 || i >= len(cases) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Date", httpDate(0))
		for _, f := range cases[i].fields {
			v := f.value
			if cases[i].lower {
				v = strings.ToLower(v)
			}
			w.Header().Add(f.name, v)
		}
		w.Write([]byte("<x/>"))
	}))
	defer witness.Close()
	out, err := exec.Command(node, filepath.Join("testdata", "cache_policy.js"), module, witness.URL, strconv.Itoa(len(cases))).Output()
	if err != nil {
		t.Fatalf("cache_policy.js: %v", err)
	}
	var theirs []struct {
		Storable bool
		Fresh    float64
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Storable bool
			Fresh    float64
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("cache_policy.js printed %q: %v", sc.Text(), err)
		}
		theirs = append(theirs, r)
	}
	if len(theirs) != len(cases) {
		t.Fatalf("cache_policy.js answered %d cases of %d", len(theirs), len(cases))
	}

	e := newEnv(t)
	for i, c := range cases {
		e.tamper = func(h http.Header, b []byte) []byte {
			h.Set("Date", httpDate(0))
			for _, f := range c.fields {
				h.Add(f.name, f.value)
			}
			return b
		}
		now := date
		cl := e.client(t, csclient.Config{TTL: ttl, Now: func() time.Time { return now }})
		before := e.hits.Load()
		var answers [2]*csclient.Answer
		for j := range answers {
			a, err := cl.Query(context.Background(), csdiscovery.EvidenceBroker, csclient.QueryRequirements, url.Values{"procedure-id": {"R1"}, "country-code": {"DE"}})
			if err != nil {
				t.Fatal(err)
			}
			answers[j] = a
		}
		var ours time.Duration
		if answers[1].Cached {
			ours = answers[0].Expires.Sub(now)
			if e.hits.Load()-before != 1 {
				t.Errorf("case %d: %d requests for a cached answer", i, e.hits.Load()-before)
			}
		} else if e.hits.Load()-before != 2 || !answers[0].Expires.Equal(now) {
			t.Errorf("case %d: %d requests, expiry %s for an answer not reused", i, e.hits.Load()-before, answers[0].Expires.Sub(now))
		}

		their := time.Duration(theirs[i].Fresh) * time.Second
		if !theirs[i].Storable {
			their = 0
		}
		name := fmt.Sprint(c.fields)
		if ours != c.want {
			t.Errorf("%s: the client reuses the answer for %s, want %s", name, ours, c.want)
		}
		switch {
		case c.heuristic:
			if their != 0 || !theirs[i].Storable {
				t.Errorf("%s: http-cache-semantics storable=%v fresh %s; the case assumes storable without an explicit lifetime", name, theirs[i].Storable, their)
			}
		case c.differs != "":
			if min(their, ttl) == ours {
				t.Errorf("%s: http-cache-semantics now agrees (%s); drop the note %q", name, their, c.differs)
			}
		case min(their, ttl) != ours:
			t.Errorf("%s: the client reuses the answer for %s, http-cache-semantics for %s", name, ours, their)
		}
	}
}
