// Package console is the operator's console of an oots node: server-rendered
// pages (html/template, a style sheet, no script) on the node's admin
// listener, behind a login, over the store every node of a cluster shares.
//
// # What it shows and does
//
//   - Messages sent and received, filtered by direction, state, partner,
//     leg (hence service and action), message id, conversation id and time
//     range; a
//     message's page shows its ebMS header (from the submission and its
//     P-Mode leg, or from the received user message), its attempts (count,
//     next attempt, last error, and the history of every attempt that ended
//     in an error and of the one that delivered it, store.DB.Attempts), its
//     receipt with the non-repudiation
//     digests (ebbp:NonRepudiationInformation, eDelivery AS4 §3.4), its
//     failure report, and its payloads' metadata.
//   - Resend of a failed message and retry now of a waiting one
//     (ap.Node.Resend, ap.Node.RetryNow); payload download.
//   - Partners: the P-Mode's parties and legs as loaded, and the
//     certificates (own, partners', trust anchors) with their days to
//     expiry.
//   - The audit trail of every console action, hash-chained (see
//     AuditEntry), verified on its page.
//   - The exchange journal (package journal), searched by conversation,
//     exchange or, for auditors, person, with its hash chain verified on
//     the page.
//   - Failures and alerts (Alerts): failed sends, failure reports not yet
//     delivered to the backend, certificates close to expiry, a partner
//     whose last messages all failed, repeated failed logins and locked
//     accounts (LoginAlert), a file system low on free space (DiskAlert);
//     on a page, as the metric oots_console_alerts (Collector), and sent
//     by webhook and/or SMTP (RunAlerts).
//
// # Accounts and sessions
//
// Local accounts (Accounts, created by "oots console user add") have one
// role: administrator, operator or auditor; the permissions of each are one
// table (grants). Passwords are hashed with argon2id (RFC 9106); MaxFailures
// wrong passwords in a row lock an account for LockFor. A session is a
// random cookie (HttpOnly, SameSite=Strict, Secure under TLS, Path /console/)
// stored as its SHA-256 in the database, so that any node of a cluster
// knows it, and expires after SessionTTL; every POST carries the session's
// CSRF token, and a POST whose Origin is another site's is refused. Pages
// are served with a strict Content-Security-Policy (default-src 'none').
//
// Staff may also log in through the organisation's OpenID provider
// (Config.OIDC): their groups at the provider are mapped to a role at each
// login, and a login that maps to none is refused; the session is the same
// as a password login's, keeping the mapped role.
//
// # Not yet
//
// Not implemented yet: partners found by discovery with their SMP data;
// logout at the OpenID provider (the console's logout ends its own session
// only). The journal page shows Config.Journal ("oots serve" passes the
// node's journal when its journal section is set).
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/store"
)

// Node is what the console asks of the access point (ap.Node implements
// it).
type Node interface {
	Resend(ctx context.Context, id string) error
	RetryNow(ctx context.Context, id string) error
	Received(ctx context.Context, id string) (*ap.ReceivedMessage, error)
}

var _ Node = (*ap.Node)(nil)

// pmode returns the P-Mode in use: the node's, which a reload replaces
// (ap.Node.Reload), or Config.PMode.
func (s *Server) pmode() *pmode.Config {
	if n, ok := s.cfg.Node.(interface{ Partners() ap.Partners }); ok {
		if pm := n.Partners().PMode; pm != nil {
			return pm
		}
	}
	return s.cfg.PMode
}

// Configurer changes the node's configuration for an administrator.
type Configurer interface {
	// ReplacePMode checks file, a P-Mode (YAML, or a Domibus PMode XML),
	// makes the node use it and keeps it as the node's P-Mode file. When
	// the node cannot use it, it returns an error that says why and
	// changes nothing.
	ReplacePMode(ctx context.Context, file []byte) error
	// Reload reads the node's configuration files again, as kill -HUP
	// does; an error says why they were refused, and changes nothing.
	Reload(ctx context.Context) error
	// PModeFile returns the node's P-Mode file as it is on disk: its
	// name (without directories) and its content.
	PModeFile(ctx context.Context) (name string, file []byte, err error)
}

// Certificate is a certificate the node uses, for the partners page.
type Certificate struct {
	Use   string // own_signing, partner_signing, partner_encryption, trust_anchor
	Party string
	Cert  *x509.Certificate
}

// Config is the configuration of a console.
type Config struct {
	// DB is the node's store (the console adds its own tables).
	DB *store.DB
	// Node resends, retries and reads received payloads.
	Node Node
	// PMode is the configuration as loaded, for the ebMS header of sent
	// messages and the partners page. When Node is an *ap.Node (it has
	// Partners), the P-Mode it uses now is shown instead, so that a reload
	// of the node shows.
	PMode *pmode.Config
	// Certificates lists the certificates the node uses now, shown with
	// their days to expiry and alerted on; it is called at each use, so
	// that a reload of the node's partners shows.
	Certificates func() []Certificate
	// Configure, when not nil, lets an administrator replace the node's
	// P-Mode and reload its configuration from the partners page; nil: the
	// page says that kill -HUP reloads it.
	Configure Configurer
	// Journal is the node's exchange journal, when its connectors keep one;
	// nil: the journal page says there is none.
	Journal *journal.Journal
	// LoginFailures sets when failed logins raise an alert; the zero value
	// is the defaults.
	LoginFailures LoginAlert
	// LowDisk sets which file systems must keep free space, and how much;
	// without LowDisk.Dirs there is no low-disk alert.
	LowDisk DiskAlert
	// OIDC, when set, lets staff log in through the organisation's
	// OpenID provider (see OIDC); nil: local accounts only.
	OIDC *OIDC
	// SessionTTL is the lifetime of a session; default 8 h.
	SessionTTL time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
	Rand       io.Reader
}

// Validate names the first wrong field.
func (c *Config) Validate() error {
	switch {
	case c.DB == nil:
		return errors.New("console: DB is required")
	case c.Node == nil:
		return errors.New("console: Node is required")
	case c.PMode == nil:
		return errors.New("console: PMode is required")
	case c.SessionTTL < 0:
		return errors.New("console: SessionTTL is negative")
	case c.LoginFailures.Window < 0:
		return errors.New("console: LoginFailures.Window is negative")
	case c.LowDisk.MinFreePercent > 100:
		return fmt.Errorf("console: LowDisk.MinFreePercent %g is more than 100", c.LowDisk.MinFreePercent)
	}
	for _, d := range c.LowDisk.Dirs {
		if d == "" {
			return errors.New("console: LowDisk.Dirs has an empty directory")
		}
	}
	if c.OIDC != nil {
		return c.OIDC.validate()
	}
	return nil
}

// Server serves the console under /console/.
type Server struct {
	cfg      Config
	accounts *Accounts
	audit    *Audit
	log      *slog.Logger
	pages    *template.Template
	oidc     *oidc.Client // nil without Config.OIDC
}

//go:embed templates/*.html static/*
var assets embed.FS

// New applies the console's migrations and returns its server.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	cfg.LoginFailures.defaults()
	cfg.LowDisk.defaults()
	acc, err := OpenAccounts(ctx, cfg.DB, cfg.Now, cfg.Rand)
	if err != nil {
		return nil, err
	}
	pages, err := template.New("").Funcs(template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
	}).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	srv := &Server{cfg: cfg, accounts: acc, audit: &Audit{db: cfg.DB, now: cfg.Now}, log: cfg.Logger, pages: pages}
	if cfg.OIDC != nil {
		if srv.oidc, err = cfg.OIDC.client(ctx, &cfg); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

// Audit returns the console's audit trail.
func (s *Server) Audit() *Audit { return s.audit }

// Accounts returns the console's accounts.
func (s *Server) Accounts() *Accounts { return s.accounts }

// MaxSessions is the number of sessions an account may have at once; a
// login beyond it ends the oldest.
const MaxSessions = 8

// Prefix is where the console's pages are.
const Prefix = "/console/"

// maxForm bounds a form's body.
const maxForm = 16 << 10

// maxPModeFile bounds the form that uploads a P-Mode file.
const maxPModeFile = 2 << 20

// Handler serves the console's pages under Prefix.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/static/console.css", func(w http.ResponseWriter, r *http.Request) {
		b, _ := assets.ReadFile("static/console.css")
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(b)
	})
	mux.HandleFunc("GET /console/login", s.loginPage)
	mux.HandleFunc("POST /console/login", s.login)
	mux.HandleFunc("POST /console/logout", s.session(permRead, s.logout))
	if s.oidc != nil {
		mux.HandleFunc("GET /console/oidc/login", s.oidcBegin)
		mux.HandleFunc("GET "+oidcCallback, s.oidcFinish)
	}
	mux.HandleFunc("GET /console/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/messages", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /console/messages", s.session(permRead, s.messages))
	mux.HandleFunc("GET /console/messages/{dir}/{id}", s.session(permRead, s.message))
	mux.HandleFunc("GET /console/messages/{dir}/{id}/payloads/{n}", s.session(permRead, s.payload))
	mux.HandleFunc("POST /console/messages/out/{id}/resend", s.session(permRead, s.operate("message.resend")))
	mux.HandleFunc("POST /console/messages/out/{id}/retry", s.session(permRead, s.operate("message.retry")))
	mux.HandleFunc("GET /console/partners", s.session(permRead, s.partners))
	mux.HandleFunc("POST /console/pmode", s.sessionLimit(permConfigure, maxPModeFile, s.configure("pmode.replace")))
	mux.HandleFunc("POST /console/reload", s.session(permConfigure, s.configure("node.reload")))
	mux.HandleFunc("GET /console/pmode", s.session(permConfigure, s.downloadPMode))
	mux.HandleFunc("GET /console/audit", s.session(permRead, s.auditPage))
	mux.HandleFunc("GET /console/alerts", s.session(permRead, s.alertsPage))
	mux.HandleFunc("GET /console/journal", s.session(permRead, s.journalPage))
	return headers(mux)
}

// headers sets what every answer of the console carries.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// same-origin: a form POST then carries its Origin (no-referrer would
		// send "null", which sameOrigin refuses).
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// user is the account of a request's session.
type user struct {
	Name string
	Role Role
	CSRF string
}

func (u *user) May(p string) bool {
	perm, ok := map[string]permission{"download": permDownload, "operate": permOperate, "audit": permAudit, "configure": permConfigure}[p]
	return ok && u.Role.may(perm)
}

const cookieName = "oots_console"

// session runs h for a request with a live session whose role has p, and
// checks the CSRF token of a POST.
func (s *Server) session(p permission, h func(http.ResponseWriter, *http.Request, *user)) http.HandlerFunc {
	return s.sessionLimit(p, maxForm, h)
}

// sessionLimit is session for a POST whose body may have up to limit
// bytes.
func (s *Server) sessionLimit(p permission, limit int64, h func(http.ResponseWriter, *http.Request, *user)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.user(r)
		if err != nil {
			s.fail(w, r, nil, http.StatusInternalServerError, err)
			return
		}
		if u == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "login needed", http.StatusUnauthorized)
			return
		}
		if !u.Role.may(p) {
			// Before the body is read: a role that may not post here
			// does not make the server read its upload.
			s.forbidden(w, r, u, "page.view", r.URL.Path)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := parsePost(r, limit); err != nil {
				if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
					http.Error(w, fmt.Sprintf("the form is larger than the %d bytes this page takes", limit), http.StatusRequestEntityTooLarge)
					return
				}
				http.Error(w, "the form cannot be read: "+err.Error(), http.StatusBadRequest)
				return
			}
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(u.CSRF)) != 1 {
				s.record(r, u, "csrf.refused", r.URL.Path, "denied")
				http.Error(w, "the form is stale or from another site: reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r, u)
	}
}

// parsePost reads a POST's form: multipart (a file upload) within limit
// bytes in memory, else URL-encoded.
func parsePost(r *http.Request, limit int64) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(limit)
	}
	return r.ParseForm()
}

// sameOrigin refuses a request whose Origin header names another site.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (s *Server) user(r *http.Request) (*user, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) != 43 {
		return nil, nil
	}
	var name, csrf, mapped string
	var expires int64
	err = s.cfg.DB.SQL().QueryRowContext(r.Context(), s.cfg.DB.Rebind("SELECT account, csrf, expires_at, role FROM console_sessions WHERE id_hash = ?"),
		tokenHash(c.Value)).Scan(&name, &csrf, &expires, &mapped)
	if err != nil || expires <= s.cfg.Now().UnixMilli() {
		return nil, nil
	}
	if mapped != "" {
		// An OpenID Connect login's session: its role was mapped at
		// the login, and only while the console still takes such
		// logins.
		role, err := ParseRole(mapped)
		if err != nil || s.oidc == nil {
			return nil, nil
		}
		return &user{Name: name, Role: role, CSRF: csrf}, nil
	}
	role, err := s.accounts.role(r.Context(), name)
	if err != nil {
		return nil, err
	}
	if role == "" {
		return nil, nil
	}
	return &user{Name: name, Role: role, CSRF: csrf}, nil
}

func (s *Server) random() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// record appends to the audit trail; a failure is logged (the action was
// done).
func (s *Server) record(r *http.Request, u *user, action, target, outcome string) {
	e := AuditEntry{Action: action, Target: target, Outcome: outcome, Remote: r.RemoteAddr}
	if u != nil {
		e.Actor, e.Role = u.Name, u.Role
	}
	if _, err := s.audit.Record(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("console: audit trail", slog.String("error", err.Error()), slog.String("action", action))
	}
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, u *user, action, target string) {
	s.record(r, u, action, target, "denied")
	w.WriteHeader(http.StatusForbidden)
	s.render(w, "error", u, map[string]any{"Title": "Not allowed", "Message": fmt.Sprintf("Your role (%s) may not do this.", u.Role)})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, u *user, status int, err error) {
	s.log.Error("console", slog.String("error", err.Error()), slog.String("path", r.URL.Path))
	w.WriteHeader(status)
	s.render(w, "error", u, map[string]any{"Title": "Error", "Message": err.Error()})
}

// render writes a page of the layout.
func (s *Server) render(w http.ResponseWriter, page string, u *user, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["User"] = u
	data["Page"] = page
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.pages.ExecuteTemplate(w, page, data); err != nil {
		s.log.Error("console: template", slog.String("page", page), slog.String("error", err.Error()))
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, "login", nil, s.loginData("", "", r.URL.Query().Get("next")))
}

// loginData is the login page's: an error to show, the name typed, the
// page to go to next, and the ways to log in.
func (s *Server) loginData(msg, name, next string) map[string]any {
	d := map[string]any{"Title": "Log in", "Error": msg, "Name": name, "Next": safeNext(next), "Password": s.passwordLogin()}
	if s.oidc != nil {
		d["OIDC"] = s.cfg.OIDC.name()
		d["OIDCLogin"] = "/console/oidc/login?" + url.Values{"next": {safeNext(next)}}.Encode()
	}
	return d
}

// passwordLogin reports whether local accounts log in with passwords.
func (s *Server) passwordLogin() bool { return s.cfg.OIDC == nil || !s.cfg.OIDC.DisablePasswordLogin }

// safeNext keeps a redirect after login on the console.
func safeNext(n string) string {
	if !strings.HasPrefix(n, Prefix) || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n") {
		return "/console/messages"
	}
	return n
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if !sameOrigin(r) {
		http.Error(w, "a login from another site", http.StatusForbidden)
		return
	}
	name, password := r.PostFormValue("name"), r.PostFormValue("password")
	if !s.passwordLogin() {
		s.record(r, &user{Name: clip(name)}, "login", clip(name), "failed: password login is disabled")
		w.WriteHeader(http.StatusForbidden)
		s.render(w, "login", nil, s.loginData("Passwords are not accepted here: log in with "+s.cfg.OIDC.name()+".", "", r.PostFormValue("next")))
		return
	}
	role, err := s.accounts.Authenticate(r.Context(), name, password)
	if err != nil {
		msg := "Wrong name or password."
		if errors.Is(err, ErrLocked) {
			msg = "This account is locked after too many failed logins; try again later or ask an administrator."
		} else if !errors.Is(err, ErrBadCredentials) {
			s.fail(w, r, nil, http.StatusInternalServerError, err)
			return
		}
		s.record(r, &user{Name: clip(name)}, "login", clip(name), "failed: "+err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, "login", nil, s.loginData(msg, name, r.PostFormValue("next")))
		return
	}
	if err := s.openSession(w, r, name, role, false); err != nil {
		s.fail(w, r, nil, http.StatusInternalServerError, err)
		return
	}
	s.record(r, &user{Name: name, Role: role}, "login", name, "ok")
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// openSession opens a session of account name and sets its cookie, for a
// password login or, mapped is true, an OpenID Connect login whose role
// the session keeps (a password login's role is the account's, read at
// each request).
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, name string, role Role, mapped bool) error {
	token, err1 := s.random()
	csrf, err2 := s.random()
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	kept := ""
	if mapped {
		kept = string(role)
	}
	now := s.cfg.Now()
	db := s.cfg.DB
	if _, err := db.SQL().ExecContext(r.Context(), db.Rebind("DELETE FROM console_sessions WHERE expires_at <= ?"), now.UnixMilli()); err != nil {
		return err
	}
	// At most MaxSessions live sessions per account: the oldest go.
	if _, err := db.SQL().ExecContext(r.Context(), db.Rebind(fmt.Sprintf(`DELETE FROM console_sessions WHERE account = ? AND id_hash NOT IN
		(SELECT id_hash FROM console_sessions WHERE account = ? ORDER BY expires_at DESC LIMIT %d)`, MaxSessions-1)), name, name); err != nil {
		return err
	}
	if _, err := db.SQL().ExecContext(r.Context(), db.Rebind("INSERT INTO console_sessions (id_hash, account, csrf, expires_at, role) VALUES (?, ?, ?, ?, ?)"),
		tokenHash(token), name, csrf, now.Add(s.cfg.SessionTTL).UnixMilli(), kept); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: Prefix, HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL.Seconds())})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, u *user) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.cfg.DB.SQL().ExecContext(r.Context(), s.cfg.DB.Rebind("DELETE FROM console_sessions WHERE id_hash = ?"), tokenHash(c.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	s.record(r, u, "logout", u.Name, "ok")
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// certificates returns Config.Certificates' list, none when it is unset.
func (s *Server) certificates() []Certificate {
	if s.cfg.Certificates == nil {
		return nil
	}
	return s.cfg.Certificates()
}
