package csrest

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
)

// Endpoint is the HTTP side that the Evidence Broker and the Data Service
// Directory share: GET/HEAD on a path ending in /rest/search, Accept-Version
// negotiation, the answer cache (keyed by version, query string and registry
// generation), signing, and the error answers. S is the registry snapshot a
// query is answered from; it is also the cache's generation, so a changed
// registry never gets a stale answer.
type Endpoint[S any] struct {
	// Snapshot returns the registry content to answer from now.
	Snapshot func() S
	// Answer answers a raw query string in version v: the answer document,
	// or the exception the requester gets and the precise cause for the log.
	Answer func(snap S, raw string, v edm.Version) (body []byte, exc *edm.Exception, cause string)
	// BadVersion is the exception for an unacceptable Accept-Version header.
	BadVersion func() *edm.Exception
	// Timestamp reports whether an error answer carries the Timestamp slot
	// (nil: always).
	Timestamp func(exc *edm.Exception) bool
	// Signer signs every answer; nil sends them unsigned.
	Signer *Signer
	// Cache reuses signed answers; it must not be nil (a zero TTL disables it).
	Cache *Cache
	// Now is the clock of the signatures.
	Now func() time.Time
	// Log receives the precise cause of each refused query.
	Log *slog.Logger
}

// Settings are what the Evidence Broker and DSD configurations share for
// their endpoint; zero values take the documented defaults.
type Settings struct {
	Signer       *Signer       // nil: answers go unsigned
	CacheFor     time.Duration // default one minute; negative turns the cache off
	CacheEntries int           // default 4096
	Now          func() time.Time
	Logger       *slog.Logger // nil discards
}

// Apply fills e's signer, cache, clock and logger from s, with the defaults.
func (e *Endpoint[S]) Apply(s Settings) *Endpoint[S] {
	if s.CacheFor == 0 {
		s.CacheFor = time.Minute
	}
	if s.CacheEntries == 0 {
		s.CacheEntries = 4096
	}
	e.Signer, e.Cache, e.Now, e.Log = s.Signer, NewCache(s.CacheFor, s.CacheEntries), s.Now, s.Logger
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	return e
}

// Log attribute keys.
const (
	logQuery = "query"
	logCode  = "code"
	logCause = "cause"
)

// ServeHTTP answers one query.
func (e *Endpoint[S]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/rest/search") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	now := e.Now()
	v, err := Version(r.Header)
	if err != nil {
		e.fail(w, edm.CSv1, e.BadVersion(), "", nil, now)
		return
	}
	snap := e.Snapshot()
	key := string(v) + "?" + r.URL.RawQuery
	if a := e.Cache.Get(key, snap, now); a != nil {
		a.Send(w)
		return
	}
	body, exc, cause := e.Answer(snap, r.URL.RawQuery, v)
	if exc != nil {
		e.Log.Info("query refused", logQuery, r.URL.RawQuery, logCode, exc.Code, logCause, cause)
		e.fail(w, v, exc, key, snap, now)
		return
	}
	e.write(w, body, key, snap, now)
}

func (e *Endpoint[S]) write(w http.ResponseWriter, body []byte, key string, gen any, now time.Time) {
	a, err := NewAnswer(body, e.Signer, now)
	if err != nil {
		e.Log.Error("answer not signed", logCause, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if key != "" {
		e.Cache.Put(key, gen, now, a)
	}
	a.Send(w)
}

func (e *Endpoint[S]) fail(w http.ResponseWriter, v edm.Version, exc *edm.Exception, key string, gen any, now time.Time) {
	if e.Timestamp == nil || e.Timestamp(exc) {
		exc.Timestamp = now.UTC().Format(time.RFC3339)
	}
	b, err := edm.NewServiceError(v, exc).Marshal()
	if err != nil {
		e.Log.Error("error answer not written", logCause, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	e.write(w, b, key, gen, now)
}
