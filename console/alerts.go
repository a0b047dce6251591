package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/smtp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/store"
)

// Alert is a condition an operator must look at.
type Alert struct {
	Kind    string `json:"kind"`    // one of the Alert… constants
	Subject string `json:"subject"` // the partner or certificate concerned
	Detail  string `json:"detail"`
}

// The kinds of alert.
const (
	// AlertSendFailed: messages to a partner failed in the last day.
	AlertSendFailed = "send_failed"
	// AlertFailureReportPending: failure reports not yet delivered to the
	// backend.
	AlertFailureReportPending = "failure_report_pending"
	// AlertReceiptHandOffPending: partners' signed receipts not handed to
	// the backend (the exchange journal) ReceiptHandOffWarning after their
	// message's delivery.
	AlertReceiptHandOffPending = "receipt_hand_off_pending"
	// AlertCertificateExpiring: a certificate ends within CertificateWarning
	// (or has ended).
	AlertCertificateExpiring = "certificate_expiring"
	// AlertPartnerFailing: the last PartnerFailures messages to a partner
	// all failed.
	AlertPartnerFailing = "partner_failing"
	// AlertLoginFailures: failed logins to the console within
	// LoginAlert.Window reached a threshold, for an account (or for names
	// that are no account, UnknownAccounts), or for all names together
	// (AllAccounts); or an account is locked.
	AlertLoginFailures = "login_failures"
	// AlertDiskLow: a file system the node writes to has less free space
	// than DiskAlert allows, or its free space cannot be measured.
	AlertDiskLow = "disk_low"
)

// Subjects of AlertLoginFailures that are not an account. Account names
// have no parentheses, so neither can be taken for one.
const (
	// UnknownAccounts: the failed logins with names that are no account,
	// taken together. The names are not given: one may be a password typed
	// into the name field, and alerts travel by e-mail and webhook. The
	// audit trail keeps them, for its readers.
	UnknownAccounts = "(unknown accounts)"
	// AllAccounts: the failed logins with any name.
	AllAccounts = "(all accounts)"
)

// Thresholds of the alerts.
const (
	CertificateWarning = 30 * 24 * time.Hour
	PartnerFailures    = 3
	// ReceiptHandOffWarning is longer than a hand-off's lease (default
	// 1 min), so that a receipt whose node stopped before handing it over,
	// and that another node hands over once the lease expired, raises no
	// alert; nor does a receipt being handed over at the time.
	ReceiptHandOffWarning = 5 * time.Minute
)

func (a Alert) key() string { return a.Kind + "\x00" + a.Subject }

// Alerts computes the current alerts from the store and the certificates.
func (s *Server) Alerts(ctx context.Context) ([]Alert, error) {
	now := s.cfg.Now()
	var out []Alert
	failed, err := s.cfg.DB.SearchOutbound(ctx, store.Search{State: apstore.OutFailed, From: now.Add(-24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	byPartner := map[string]int{}
	for _, m := range failed {
		byPartner[m.Partner]++
	}
	for p, n := range byPartner {
		out = append(out, Alert{Kind: AlertSendFailed, Subject: p, Detail: fmt.Sprintf("%d message(s) to %s failed in the last 24 hours", n, p)})
	}
	for _, p := range s.partnerNames() {
		last, err := s.cfg.DB.SearchOutbound(ctx, store.Search{Partner: p, Limit: PartnerFailures})
		if err != nil {
			return nil, err
		}
		all := len(last) == PartnerFailures
		for _, m := range last {
			all = all && m.State == apstore.OutFailed
		}
		if all {
			out = append(out, Alert{Kind: AlertPartnerFailing, Subject: p, Detail: fmt.Sprintf("the last %d messages to %s all failed: %s", PartnerFailures, p, last[0].LastError)})
		}
	}
	counts, err := s.cfg.DB.Count(ctx)
	if err != nil {
		return nil, err
	}
	if n := counts.Failures[apstore.DeliveryPending]; n > 0 {
		out = append(out, Alert{Kind: AlertFailureReportPending, Subject: "backend", Detail: fmt.Sprintf("%d send failure report(s) not yet delivered to the backend", n)})
	}
	ages, err := s.cfg.DB.QueueAges(ctx)
	if err != nil {
		return nil, err
	}
	if t := ages.ReceiptReports; !t.IsZero() && now.Sub(t) >= ReceiptHandOffWarning {
		out = append(out, Alert{Kind: AlertReceiptHandOffPending, Subject: "backend", Detail: fmt.Sprintf("%d signed receipt(s) not yet handed to the backend, the oldest delivered %s ago",
			ages.PendingReceiptReports, now.Sub(t).Truncate(time.Second))})
	}
	for _, c := range s.certificates() {
		if c.Cert == nil {
			continue
		}
		if left := c.Cert.NotAfter.Sub(now); left < CertificateWarning {
			out = append(out, Alert{Kind: AlertCertificateExpiring, Subject: c.Use + " " + c.Party + " " + c.Cert.Subject.String(),
				Detail: fmt.Sprintf("%s certificate %s ends %s (%d days)", c.Use, c.Cert.Subject, c.Cert.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))})
		}
	}
	logins, err := s.loginAlerts(ctx, now)
	if err != nil {
		return nil, err
	}
	out = append(out, logins...)
	out = append(out, s.cfg.LowDisk.alerts()...)
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out, nil
}

// LoginAlert sets when failed logins (a wrong password, a name that is no
// account, a login to a locked account; each one in the audit trail)
// raise AlertLoginFailures. The zero value is the defaults: 5 failed
// logins of one account, or 10 of any names, within 15 minutes.
type LoginAlert struct {
	// Window is how long a failed login counts; default LockFor (15 min).
	// An alert clears once its logins are older than Window.
	Window time.Duration
	// PerAccount failed logins within Window for one account, or for the
	// names that are no account taken together, raise an alert on it;
	// default MaxFailures (5), the count that locks an account. An
	// account locked now is alerted on too, until its lock ends. Negative:
	// no alert per account.
	PerAccount int
	// Total failed logins within Window, with any names, raise an alert on
	// AllAccounts (a guess at many accounts, each below PerAccount);
	// default 10. Negative: no such alert.
	Total int
}

// Defaults of LoginAlert.
const (
	DefaultLoginWindow     = LockFor
	DefaultLoginPerAccount = MaxFailures
	DefaultLoginTotal      = 10
)

func (l *LoginAlert) defaults() {
	if l.Window == 0 {
		l.Window = DefaultLoginWindow
	}
	if l.PerAccount == 0 {
		l.PerAccount = DefaultLoginPerAccount
	}
	if l.Total == 0 {
		l.Total = DefaultLoginTotal
	}
}

// loginAlerts counts the failed logins of the audit trail within the
// window, by account, and the accounts locked now. Being in the shared
// store, the count is a cluster's.
func (s *Server) loginAlerts(ctx context.Context, now time.Time) ([]Alert, error) {
	cfg := s.cfg.LoginFailures
	if cfg.PerAccount < 0 && cfg.Total < 0 {
		return nil, nil
	}
	db := s.cfg.DB
	// The names that are no account are one group (""): what is in them is
	// not repeated.
	rows, err := db.SQL().QueryContext(ctx, db.Rebind(`SELECT COALESCE(a.name, ''), COUNT(*) FROM console_audit c
		LEFT JOIN console_accounts a ON a.name = c.target
		WHERE c.action = 'login' AND c.outcome LIKE 'failed:%' AND c.time_ms > ? GROUP BY a.name`), now.Add(-cfg.Window).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("console: failed logins: %w", err)
	}
	defer rows.Close()
	failed := map[string]int{}
	total := 0
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("console: failed logins: %w", err)
		}
		if name == "" {
			name = UnknownAccounts
		}
		failed[name] += n
		total += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("console: failed logins: %w", err)
	}
	locked := map[string]time.Time{}
	if cfg.PerAccount >= 0 {
		rows, err := db.SQL().QueryContext(ctx, db.Rebind("SELECT name, locked_until FROM console_accounts WHERE locked_until > ?"), now.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("console: locked accounts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var until int64
			if err := rows.Scan(&name, &until); err != nil {
				return nil, fmt.Errorf("console: locked accounts: %w", err)
			}
			locked[name] = time.UnixMilli(until).UTC()
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("console: locked accounts: %w", err)
		}
	}
	window := cfg.Window.String()
	var out []Alert
	if cfg.PerAccount >= 0 {
		names := map[string]bool{}
		for name := range failed {
			names[name] = true
		}
		for name := range locked {
			names[name] = true
		}
		for name := range names {
			n, until := failed[name], locked[name]
			if n < cfg.PerAccount && until.IsZero() {
				continue
			}
			lock := ""
			if !until.IsZero() {
				lock = fmt.Sprintf("locked until %s after %d wrong passwords in a row", until.Format(time.RFC3339), MaxFailures)
			}
			var d string
			switch {
			case name == UnknownAccounts:
				d = fmt.Sprintf("%d failed login(s) with names that are no account in the last %s (the names are in the audit trail)", n, window)
			case n == 0:
				d = fmt.Sprintf("account %s is %s", name, lock)
			case lock == "":
				d = fmt.Sprintf("%d failed login(s) of account %s in the last %s", n, name, window)
			default:
				d = fmt.Sprintf("%d failed login(s) of account %s in the last %s; it is %s", n, name, window, lock)
			}
			out = append(out, Alert{Kind: AlertLoginFailures, Subject: name, Detail: d})
		}
	}
	if cfg.Total >= 0 && total >= cfg.Total {
		names := make([]string, 0, len(failed))
		for name := range failed {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool {
			if failed[names[i]] != failed[names[j]] {
				return failed[names[i]] > failed[names[j]]
			}
			return names[i] < names[j]
		})
		by := make([]string, len(names))
		for i, name := range names {
			by[i] = fmt.Sprintf("%s %d", name, failed[name])
		}
		out = append(out, Alert{Kind: AlertLoginFailures, Subject: AllAccounts,
			Detail: fmt.Sprintf("%d failed login(s) in the last %s: %s", total, window, strings.Join(by, ", "))})
	}
	return out, nil
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, u *user) {
	list, err := s.Alerts(r.Context())
	if err != nil {
		s.fail(w, r, u, http.StatusInternalServerError, err)
		return
	}
	s.render(w, "alerts", u, map[string]any{"Title": "Failures and alerts", "Alerts": list})
}

// Collector exposes the current alerts as the gauge oots_console_alerts
// {kind, subject} (1 per alert), for Prometheus alerting rules.
func (s *Server) Collector() prometheus.Collector { return alertCollector{s} }

type alertCollector struct{ s *Server }

var alertDesc = prometheus.NewDesc("oots_console_alerts", "Current alerts of the operator's console by kind and subject (1 each).", []string{"kind", "subject"}, nil)

func (c alertCollector) Describe(ch chan<- *prometheus.Desc) { ch <- alertDesc }

func (c alertCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.s.Alerts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(alertDesc, err)
		return
	}
	for _, a := range list {
		ch <- prometheus.MustNewConstMetric(alertDesc, prometheus.GaugeValue, 1, a.Kind, a.Subject)
	}
}

// SMTP is where alerts are mailed.
type SMTP struct {
	Addr     string   // host:port of the relay
	From     string   // envelope and header sender
	To       []string // recipients
	Username string   // PLAIN authentication when set (net/smtp allows it over TLS or to localhost only)
	Password string
}

// Notify sends alerts by webhook and/or e-mail.
type Notify struct {
	// Webhook receives a POST of a JSON array of the new alerts.
	Webhook string
	SMTP    *SMTP
	// Every is the interval between checks; default 1 min.
	Every  time.Duration
	Client *http.Client
}

// RunAlerts checks the alerts every n.Every and sends each new one once
// (an alert that clears and comes back is sent again), until ctx ends.
// Each node of a cluster that runs it sends its own notifications.
func (s *Server) RunAlerts(ctx context.Context, n Notify) {
	if n.Every <= 0 {
		n.Every = time.Minute
	}
	if n.Client == nil {
		n.Client = &http.Client{Timeout: 30 * time.Second}
	}
	sent := map[string]bool{}
	t := time.NewTicker(n.Every)
	defer t.Stop()
	for {
		list, err := s.Alerts(ctx)
		if err != nil {
			s.log.Warn("console: alerts", slog.String("error", err.Error()))
		} else {
			current := map[string]bool{}
			var fresh []Alert
			for _, a := range list {
				current[a.key()] = true
				if !sent[a.key()] {
					fresh = append(fresh, a)
				}
			}
			if len(fresh) > 0 {
				if err := n.send(ctx, fresh); err != nil {
					s.log.Warn("console: sending alerts", slog.String("error", err.Error()))
				} else {
					for _, a := range fresh {
						current[a.key()] = true
						sent[a.key()] = true
					}
				}
			}
			for k := range sent {
				if !current[k] {
					delete(sent, k)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Notify) send(ctx context.Context, alerts []Alert) error {
	var errs []string
	if n.Webhook != "" {
		b, _ := json.Marshal(alerts)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Webhook, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-OOTS-Event", "alerts")
			var resp *http.Response
			if resp, err = n.Client.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
		}
		if err != nil {
			errs = append(errs, "webhook: "+err.Error())
		}
	}
	if n.SMTP != nil {
		if err := n.SMTP.mail(alerts); err != nil {
			errs = append(errs, "smtp: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (m *SMTP) mail(alerts []Alert) error {
	var body strings.Builder
	fmt.Fprintf(&body, "From: %s\r\nTo: %s\r\nSubject: oots: %d new alert(s)\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		m.From, strings.Join(m.To, ", "), len(alerts))
	for _, a := range alerts {
		// One line per alert; line breaks in a detail cannot end the
		// message or add headers.
		fmt.Fprintf(&body, "%s %s: %s\r\n", a.Kind, a.Subject, strings.NewReplacer("\r", " ", "\n", " ").Replace(a.Detail))
	}
	var auth smtp.Auth
	if m.Username != "" {
		host, _, _ := strings.Cut(m.Addr, ":")
		auth = smtp.PlainAuth("", m.Username, m.Password, host)
	}
	return smtp.SendMail(m.Addr, auth, m.From, m.To, []byte(body.String()))
}
