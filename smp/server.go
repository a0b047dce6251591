package smp

import (
	"bytes"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oots-go/oots/xmltree"
)

// PathSMP2 is the path prefix of the SMP 2.0 REST binding (SMP 2.0 REST binding).
const PathSMP2 = "/bdxr-smp-2/"

// PathAPI is the path prefix of the JSON management API.
const PathAPI = "/api/smp/v1/"

// Config configures a Server.
type Config struct {
	// Store holds the entries. Required.
	Store Store
	// Key and Certificate sign the service metadata. Required.
	Key         crypto.Signer
	Certificate *x509.Certificate
	// Flavour is what the root paths /{participant} and
	// /{participant}/services/{documentType} serve: OASIS1 (default) or
	// Peppol. SMP 2.0 is always served under PathSMP2.
	Flavour Flavour
	// BaseURL is the public URL of the server, for the hrefs of SMP 1.0
	// service groups; default from the request (scheme and Host).
	BaseURL string
	// AdminToken is the bearer token of the management API; empty disables
	// the API.
	AdminToken string
	// MaxBody bounds a management request body; default 1 MiB.
	MaxBody int64
	// Logger receives one line per refused management request; default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock that chooses, for an SMP 1.0 or Peppol document, the
	// certificate of an endpoint with several (Endpoint.Certificates) that
	// is in use at the time of the request; default time.Now.
	Now func() time.Time
}

// Validate reports the first configuration error, naming the field.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("smp: Config.Store is not set")
	case c.Key == nil || c.Certificate == nil:
		return errors.New("smp: Config.Key and Config.Certificate (the SMP signing credential) are required")
	case c.Flavour != "" && c.Flavour != OASIS1 && c.Flavour != Peppol:
		return fmt.Errorf("smp: Config.Flavour %q: the root paths serve %s or %s", c.Flavour, OASIS1, Peppol)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("smp: Config.BaseURL %q is not an absolute URL", c.BaseURL)
		}
	}
	return nil
}

// Server is an SMP: the read interface of the three flavours and the
// management API. It is an http.Handler.
type Server struct {
	cfg Config
}

// NewServer checks cfg and returns the server.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Flavour == "" {
		cfg.Flavour = OASIS1
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{cfg: cfg}, nil
}

// unescapeSegment decodes one percent-encoded path segment.
func unescapeSegment(s string) (string, error) {
	return url.PathUnescape(s)
}

// route splits an escaped path "/{participant}[/services/{documentType}]"
// into identifiers.
func route(escaped string) (participant ID, doc *ID, err error) {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	if len(segs) != 1 && (len(segs) != 3 || segs[1] != "services") {
		return ID{}, nil, errors.New("the path is not /{participant} or /{participant}/services/{documentType}")
	}
	ps, err := unescapeSegment(segs[0])
	if err != nil {
		return ID{}, nil, fmt.Errorf("participant segment: %v", err)
	}
	if participant, err = ParseID(ps); err != nil {
		return ID{}, nil, err
	}
	if len(segs) == 3 {
		ds, err := unescapeSegment(segs[2])
		if err != nil {
			return ID{}, nil, fmt.Errorf("document type segment: %v", err)
		}
		d, err := ParseID(ds)
		if err != nil {
			return ID{}, nil, err
		}
		doc = &d
	}
	return participant, doc, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, PathAPI):
		s.serveAPI(w, r, "/"+strings.TrimPrefix(path, PathAPI))
	case strings.HasPrefix(path, PathSMP2):
		s.serveRead(w, r, OASIS2, "/"+strings.TrimPrefix(path, PathSMP2), PathSMP2)
	default:
		s.serveRead(w, r, s.cfg.Flavour, path, "/")
	}
}

func (s *Server) serveRead(w http.ResponseWriter, r *http.Request, f Flavour, path, prefix string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the SMP read interface is GET only", http.StatusMethodNotAllowed)
		return
	}
	if path == "/" {
		http.Error(w, "SMP: ask for /{participant} or /{participant}/services/{documentType}", http.StatusNotFound)
		return
	}
	p, doc, err := route(path)
	if err != nil {
		http.Error(w, "SMP: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var root *xmltree.Element
	if doc == nil {
		g, err := s.cfg.Store.ServiceGroup(ctx, p)
		if err != nil {
			s.storeError(w, err, fmt.Sprintf("participant %s is not registered", p))
			return
		}
		base := s.baseURL(r) + strings.TrimSuffix(prefix, "/")
		root = ServiceGroupElement(g, f, func(d ID) string {
			return base + "/" + g.Participant.PathSegment() + "/services/" + d.PathSegment()
		})
	} else {
		m, err := s.cfg.Store.ServiceMetadata(ctx, p, *doc)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				if _, gerr := s.cfg.Store.ServiceGroup(ctx, p); errors.Is(gerr, ErrNotFound) {
					err = fmt.Errorf("%w: participant %s is not registered", ErrNotFound, p)
				} else {
					err = fmt.Errorf("%w: document type %s is not registered for participant %s", ErrNotFound, *doc, p)
				}
			}
			s.storeError(w, err, "")
			return
		}
		if f != OASIS2 {
			m = publishedInUse(m, s.now())
		}
		root = ServiceMetadataElement(m, f)
		if err := signDocument(root, s.cfg.Key, s.cfg.Certificate); err != nil {
			s.cfg.Logger.Error("smp: signing service metadata", "participant", p.String(), "documentType", doc.String(), "error", err)
			http.Error(w, "SMP: cannot sign the answer", http.StatusInternalServerError)
			return
		}
	}
	var b bytes.Buffer
	if err := xmltree.WriteElement(&b, root, xmltree.WriteOptions{}); err != nil {
		http.Error(w, "SMP: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(b.Bytes())
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// publishedInUse returns m with, for each endpoint that has several
// certificates, Certificate the encryption certificate in use at (an SMP
// 1.0 or Peppol document carries one): a key roll-over announced with
// dates is then followed by every flavour on its day, not only when the
// entry is written again. An endpoint with none in use keeps its
// Certificate. m itself, which a store may share, is not changed.
func publishedInUse(m *ServiceMetadata, at time.Time) *ServiceMetadata {
	var out *ServiceMetadata
	for i, p := range m.Processes {
		for j, e := range p.Endpoints {
			if len(e.Certificates) == 0 {
				continue
			}
			c, err := e.CertificateAt(CertificateEncryption, at)
			if err != nil || bytes.Equal(c.Certificate, e.Certificate) {
				continue
			}
			if out == nil {
				cp := *m
				cp.Processes = slices.Clone(m.Processes)
				for k := range cp.Processes {
					cp.Processes[k].Endpoints = slices.Clone(cp.Processes[k].Endpoints)
				}
				out = &cp
			}
			out.Processes[i].Endpoints[j].Certificate = c.Certificate
		}
	}
	if out == nil {
		return m
	}
	return out
}

func (s *Server) storeError(w http.ResponseWriter, err error, notFound string) {
	if errors.Is(err, ErrNotFound) {
		if notFound == "" {
			notFound = err.Error()
		}
		http.Error(w, "SMP: "+notFound, http.StatusNotFound)
		return
	}
	s.cfg.Logger.Error("smp: store", "error", err)
	http.Error(w, "SMP: storage error", http.StatusInternalServerError)
}

func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serveAPI is the management API:
//
//	GET    participants                               list (JSON array of "scheme::value")
//	PUT    participants/{participant}                 create the service group (no body, or {})
//	DELETE participants/{participant}                 remove it and its metadata
//	GET    participants/{participant}                 the service group (JSON)
//	PUT    participants/{participant}/services/{doc}  create or replace metadata (JSON ServiceMetadata)
//	GET    participants/{participant}/services/{doc}  the metadata (JSON)
//	DELETE participants/{participant}/services/{doc}  remove it
//
// A body with a member that is not exactly the name of a field its
// request knows (names are matched with their case), or anything after
// its JSON value, is refused with 400 naming it (decodeBody).
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	if s.cfg.AdminToken == "" {
		http.Error(w, "SMP: the management API is disabled (no admin token configured)", http.StatusForbidden)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) != 1 {
		s.cfg.Logger.Warn("smp: management request refused: bad or missing bearer token", "remote", r.RemoteAddr, "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="smp"`)
		http.Error(w, "SMP: a valid bearer token is required", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	if path == "/participants" {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ids, err := s.cfg.Store.Participants(ctx)
		if err != nil {
			s.storeError(w, err, "")
			return
		}
		list := make([]string, 0, len(ids))
		for _, id := range ids {
			list = append(list, id.String())
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	rest, ok := strings.CutPrefix(path, "/participants")
	if !ok {
		http.Error(w, "SMP: unknown management path", http.StatusNotFound)
		return
	}
	p, doc, err := route(rest)
	if err != nil {
		http.Error(w, "SMP: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case doc == nil && r.Method == http.MethodPut:
		// The participant is in the path: a body, if any, is a JSON
		// object without fields.
		if !s.decodeBody(w, r, &struct{}{}, "an empty JSON object (the participant is in the path)", true) {
			return
		}
		if err := s.cfg.Store.PutParticipant(ctx, p); err != nil {
			s.storeError(w, err, "")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case doc == nil && r.Method == http.MethodDelete:
		if err := s.cfg.Store.DeleteParticipant(ctx, p); err != nil {
			s.storeError(w, err, fmt.Sprintf("participant %s is not registered", p))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case doc == nil && r.Method == http.MethodGet:
		g, err := s.cfg.Store.ServiceGroup(ctx, p)
		if err != nil {
			s.storeError(w, err, fmt.Sprintf("participant %s is not registered", p))
			return
		}
		writeJSON(w, http.StatusOK, g)
	case doc != nil && r.Method == http.MethodPut:
		var m ServiceMetadata
		if !s.decodeBody(w, r, &m, "a JSON service metadata", false) {
			return
		}
		m.Participant, m.DocumentType = p, *doc
		if err := m.Validate(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, pr := range m.Processes {
			for _, e := range pr.Endpoints {
				if _, err := x509.ParseCertificate(e.Certificate); err != nil {
					http.Error(w, fmt.Sprintf("smp: the certificate of endpoint %s is not a DER X.509 certificate: %v", e.URL, err), http.StatusBadRequest)
					return
				}
			}
		}
		redirects := []*Redirect{m.Redirect}
		for _, pr := range m.Processes {
			redirects = append(redirects, pr.Redirect)
		}
		for _, r := range redirects {
			for i, c := range r.certificates() {
				if _, err := x509.ParseCertificate(c); err != nil {
					http.Error(w, fmt.Sprintf("smp: certificate %d of the redirect to %s is not a DER X.509 certificate: %v", i+1, r.URL, err), http.StatusBadRequest)
					return
				}
			}
		}
		if err := s.cfg.Store.PutServiceMetadata(ctx, &m); err != nil {
			s.storeError(w, err, fmt.Sprintf("participant %s is not registered: create it first", p))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case doc != nil && r.Method == http.MethodGet:
		m, err := s.cfg.Store.ServiceMetadata(ctx, p, *doc)
		if err != nil {
			s.storeError(w, err, fmt.Sprintf("no metadata for %s of %s", *doc, p))
			return
		}
		writeJSON(w, http.StatusOK, m)
	case doc != nil && r.Method == http.MethodDelete:
		if err := s.cfg.Store.DeleteServiceMetadata(ctx, p, *doc); err != nil {
			s.storeError(w, err, fmt.Sprintf("no metadata for %s of %s", *doc, p))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// decodeBody reads the JSON body of a management request into v, and
// answers the request itself when it cannot: 413 when the body is larger
// than MaxBody, 400 when it is not one JSON value of what (e.g. "a JSON
// service metadata"): a member whose name is not exactly that of a field
// of v (a misspelt "certificate" is not silently an endpoint without one,
// nor is "Certificate" taken for it), a member given twice, or anything
// after the value (readJSON). An empty body is accepted, as v's zero
// value, when empty is set. Every body of the API is read by it, so that
// no request quietly drops or mistakes what it was sent.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any, what string, empty bool) bool {
	err := readJSON(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody), v)
	if empty && errors.Is(err, io.EOF) {
		return true
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("SMP: the body is larger than %d bytes", s.cfg.MaxBody), http.StatusRequestEntityTooLarge)
	default:
		http.Error(w, "SMP: the body is not "+what+": "+err.Error(), http.StatusBadRequest)
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
