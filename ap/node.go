package ap

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/fault"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// Outbox is the queue of messages to send (implemented by *store.DB).
type Outbox interface {
	Enqueue(ctx context.Context, m *apstore.Outbound) (*apstore.Outbound, bool, error)
	Outbound(ctx context.Context, id string) (*apstore.Outbound, error)
	OutboundByClientKey(ctx context.Context, key string) (*apstore.Outbound, error)
	ClaimOutbound(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Outbound, error)
	FinishOutbound(ctx context.Context, id, owner string, r apstore.Result) error
}

// Inbox holds received messages and their delivery to the backend
// (implemented by *store.DB).
type Inbox interface {
	Receive(ctx context.Context, m *apstore.Inbound) (duplicate bool, err error)
	Inbound(ctx context.Context, id string) (*apstore.Inbound, error)
	ListInbound(ctx context.Context, f apstore.InboundFilter) ([]*apstore.Inbound, error)
	Ack(ctx context.Context, id string, now time.Time) error
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*apstore.Inbound, error)
	FinishDelivery(ctx context.Context, id, owner string, delivered bool, next time.Time, errText string, now time.Time) error
}

// Store is everything the node keeps: the two queues, the failure
// reports and receipt hand-offs, retention, counts for the metrics and a
// readiness check.
type Store interface {
	Outbox
	Inbox
	FailureReports
	ReceiptReports
	Purge(ctx context.Context, before time.Time) (int64, error)
	Count(ctx context.Context) (*apstore.Counts, error)
	Ping(ctx context.Context) error
	// PayloadFileReferenced reports whether a stored message names a
	// payload file (the sweep of orphans).
	PayloadFileReferenced(ctx context.Context, file string) (bool, error)
	// Writable proves that the store takes a write now (readiness).
	Writable(ctx context.Context, node string, now time.Time) error
}

// Backend receives the messages of a node in-process (Config.Backend).
// Deliver is called at least once per received message, with the message's
// stable eb:MessageId; an implementation that records the ids it processed
// in its own transaction sees every message exactly once. An error is
// retried with the webhook's backoff, but ErrNotForBackend, which passes
// the message to the Webhook (Config.Backend).
type Backend interface {
	Deliver(ctx context.Context, m *ReceivedMessage) error
}

// ErrNotForBackend is what a Backend's Deliver, or a FailureBackend's
// SendFailed, returns (wrapped or not) for a message it does not take: the
// node pushes it to its Webhook, or, without one, counts it delivered.
var ErrNotForBackend = errors.New("ap: not for the in-process backend")

// Webhook is where received messages are pushed.
type Webhook struct {
	// URL receives a POST per message (JSON, see ReceivedMessage).
	URL string
	// Secret is the HMAC-SHA256 key of the X-OOTS-Signature header.
	Secret []byte
}

// Config is the configuration of a node. Zero fields take the documented
// defaults; Validate names the first wrong field.
type Config struct {
	// PMode holds the parties and legs; PMode.Self names this access point.
	PMode *pmode.Config
	// SigningKey and SigningCert sign messages, receipts and errors: RSA
	// (eDelivery AS4 1.15) or Ed25519 (2.0).
	SigningKey  crypto.Signer
	SigningCert *x509.Certificate
	// DecryptionKey decrypts received payloads: *rsa.PrivateKey (1.15) or
	// X25519 *ecdh.PrivateKey (2.0).
	DecryptionKey crypto.PrivateKey
	// Next, when set, is the node's next certificate: decrypting with
	// either key at once, signing with the next from Next.At (Rollover).
	Next *Rollover
	// Trust validates the partners' signing certificates.
	Trust *trust.Store
	// EncryptionCerts are the partners' encryption certificates, by party
	// name (pmode.Party.EncryptionCertificate, read by the caller).
	EncryptionCerts map[string]*x509.Certificate
	// SigningCerts are the partners' signing certificates, by party name
	// (pmode.Party.SigningCertificate, read by the caller): a partner's
	// user messages and signals must be signed with it. A partner found by
	// discovery is bound to the certificate its SMP published; any other
	// partner without one to the common name of its certificate
	// (as4.CheckSigner).
	SigningCerts map[string]*x509.Certificate
	// Discovered lists, by party name, the partners resolved by dynamic
	// discovery: their endpoint URL and encryption certificate come from
	// Discovery at send time, not from the P-Mode (see DiscoveredPartner).
	// The other partners keep their P-Mode values.
	Discovered map[string]DiscoveredPartner
	// Discovery resolves the partners of Discovered, typically an
	// *smp.Client with a BDXL resolver; required when Discovered is set.
	Discovery PartnerResolver
	// Store keeps the messages.
	Store Store
	// Webhook, when set, receives every received message (HeaderEvent
	// EventMessage) and every final send failure (EventSendFailed, a
	// SendFailure).
	Webhook *Webhook
	// Backend, when set, receives every received message in-process: the
	// OOTS connector of the same binary, with no HTTP between gateway and
	// application. Deliveries are claimed, retried and recorded exactly as
	// webhook pushes are (a returned error retries with backoff), so a
	// message is not lost when the process stops before Deliver returns.
	// A Backend that also implements FailureBackend is told of every final
	// send failure the same way.
	//
	// Backend and Webhook may both be set: the Backend takes the messages
	// (and failures) it is for and answers ErrNotForBackend for the
	// others, which the node pushes to the Webhook, with the same
	// guarantees (an OOTS node's connectors in the process, another
	// service's application behind the webhook). With a Backend alone,
	// such a message counts as delivered: it stays in the inbox
	// (GET /api/v1/inbox) for a backend that pulls.
	Backend Backend
	// APIToken, when set, is the bearer token the backend API requires.
	APIToken string
	// NodeID identifies this process as the owner of leases; default a
	// random id.
	NodeID string
	// Logger receives the structured log; default slog.Default().
	Logger *slog.Logger
	// Client posts messages and webhook calls; default NewClient(nil,
	// 30 s).
	Client *http.Client
	// MaxBodySize bounds a received HTTP body; default 64 MiB.
	MaxBodySize int64
	// MaxDecompressed and MaxCompressionRatio bound a received payload
	// once decompressed (as4.Receiver.MaxDecompressed and MaxRatio;
	// defaults 2 GiB and 200:1): a compression bomb is refused with
	// EBMS:0303 after its first megabyte.
	MaxDecompressed     int64
	MaxCompressionRatio int64
	// Workers is the number of concurrent sending workers; default 8.
	Workers int
	// Lease is how long a claimed message stays with this node before
	// another may take it; default 1 minute. It must exceed the time an
	// attempt takes (Client's timeout).
	Lease time.Duration
	// PollInterval is how often the queues are polled when idle; default
	// 500 ms. A submission to this node wakes the senders at once.
	PollInterval time.Duration
	// Retention: payloads of finished messages older than this are purged;
	// 0 keeps them.
	Retention time.Duration
	// TempDir holds spilled attachments; default os.TempDir().
	TempDir string
	// PayloadDir holds the received payloads, a file each (see
	// payloads.go); default TempDir/payloads. Nodes of a cluster on one
	// PostgreSQL database share it (a shared filesystem).
	PayloadDir string
	// MaxUpload bounds a payload uploaded for a submission (POST
	// /api/v1/payloads); default 2 GiB.
	MaxUpload int64
	// Domain is the right-hand side of generated message ids (an RFC 5322
	// dot-atom, such as a host name); default "oots". The nodes of a
	// cluster have the same, so that a backend's message named from its
	// client key (MessageIDFor) has one name whichever node takes it.
	Domain string
	// OnSent, when set, is called after each sending attempt is recorded,
	// with the message id, its new state (apstore.OutDelivered, OutQueued for
	// a retry, OutFailed) and the duration of the attempt; for benchmarks
	// and exporters of per-message events. It must not block. It is not
	// durable: a process that stops after recording an attempt and before
	// OnSent returns never calls it for that attempt. A backend learns of
	// final send failures through FailureBackend.SendFailed (or the
	// webhook's send-failed event), which is queued with the failure and
	// delivered at least once.
	OnSent func(messageID, state string, attempt time.Duration)
	// Collectors are further Prometheus collectors served on the node's
	// /metrics (an operator console's alerts, revocation checks); more can
	// be added after New with Node.MetricsRegisterer.
	Collectors []prometheus.Collector
	// Judge, when set, judges the OOTS messages the node carries (the
	// payloads of every message received and submitted, the eb:Messaging
	// header of every message received) by the business rules; findings
	// are logged, nothing is refused (see Node.judge).
	Judge Judge
	// Now and Rand: default time.Now and crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
	// Fault, for the tests of conformance kits only, is one deliberate
	// defect that the node then has (package internal/fault); the zero
	// value, the only one a program outside this module can give, is a
	// correct node.
	Fault fault.Defect
}

// FieldError is a configuration field with a wrong value.
type FieldError struct {
	Field, Problem string
}

// Error implements error: the field, then the problem.
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate checks the configuration and returns a *FieldError naming the
// first wrong field.
func (c *Config) Validate() error {
	bad := func(f, format string, a ...any) error { return &FieldError{f, fmt.Sprintf(format, a...)} }
	if c.PMode == nil {
		return bad("PMode", "required")
	}
	if err := c.PMode.Validate(); err != nil {
		return bad("PMode", "%v", err)
	}
	if c.PMode.Self == "" {
		return bad("PMode.Self", "must name this access point's party")
	}
	if _, err := c.PMode.Party(c.PMode.Self); err != nil {
		return bad("PMode.Self", "%v", err)
	}
	if c.Store == nil {
		return bad("Store", "required")
	}
	profile, perr := wssec.ProfileFor(c.SigningKey)
	for i, l := range c.PMode.Legs {
		if l.Security.Profile == pmode.ProfileNone {
			continue
		}
		if c.SigningKey == nil || c.SigningCert == nil {
			return bad("SigningKey", "leg %s is signed (%s): a signing key and certificate are required", l.Name, l.Security.Profile)
		}
		if perr != nil {
			return bad("SigningKey", "%v", perr)
		}
		if profile != l.Security.Profile {
			return bad(fmt.Sprintf("PMode.legs[%d].security.profile", i), "%s, but the signing key is for %s", l.Security.Profile, profile)
		}
		if l.Security.Encrypt && c.DecryptionKey == nil {
			return bad("DecryptionKey", "leg %s is encrypted: a decryption key is required", l.Name)
		}
		if c.Trust == nil {
			return bad("Trust", "leg %s is signed: a trust store for the partners' certificates is required", l.Name)
		}
	}
	if c.SigningKey != nil && c.SigningCert != nil {
		if !publicKeysEqual(c.SigningKey.Public(), c.SigningCert.PublicKey) {
			return bad("SigningCert", "does not match the signing key")
		}
	}
	if c.Next != nil {
		if err := c.Next.validate(c); err != nil {
			return err
		}
	}
	if len(c.Discovered) > 0 && c.Discovery == nil {
		return bad("Discovery", "required: partners are resolved by discovery")
	}
	for name, d := range c.Discovered {
		if _, err := c.PMode.Party(name); err != nil {
			return bad("Discovered["+name+"]", "%v", err)
		}
		if f, p := d.validate(); f != "" {
			return bad("Discovered["+name+"]."+f, "%s", p)
		}
	}
	if c.Domain != "" {
		if err := ValidMessageID("x@" + c.Domain); err != nil {
			return bad("Domain", "%q is not the right-hand side of a message id: %v", c.Domain, err)
		}
	}
	if c.Webhook != nil {
		if c.Webhook.URL == "" {
			return bad("Webhook.URL", "required")
		}
		if len(c.Webhook.Secret) < 16 {
			return bad("Webhook.Secret", "at least 16 bytes")
		}
	}
	if c.MaxBodySize < 0 || c.Workers < 0 || c.Lease < 0 || c.PollInterval < 0 || c.Retention < 0 {
		return bad("Config", "negative size, count or duration")
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok {
		return e.Equal(b)
	}
	return false
}

// Node is a running access point. Create it with New, serve its Handler,
// and run its workers with Run.
type Node struct {
	cfg      Config
	log      *slog.Logger
	partners atomic.Pointer[partnerState] // replaced by Reload
	metrics  *metrics
	// metricsHandler serves metrics (see MetricsHandler).
	metricsHandler http.Handler
	wake           chan struct{} // a submission is queued
	// announced counts the submissions this node queued that no worker
	// has claimed yet, as far as it knows (see claimedAnnounced).
	announced atomic.Int64
	// judgements are judgements of received messages waiting for
	// judgeLoop (see judgeLater).
	judgements chan judgement
	judging    atomic.Bool // judgeLoop runs
	// offers are idle sending workers, each offering the channel on which
	// it takes a submission queued claimed for it (see idle).
	offers   chan chan *apstore.Outbound
	pushWake chan struct{} // a received message or a failure report awaits the backend
	handed   handedOff     // receipts the backend took, to record (see markLoop)

	quiet      *quietLog // repeated errors, logged with back-off
	readyMu    sync.Mutex
	readyAt    time.Time // the last readiness probe, and its result
	readyErr   error
	mu         sync.Mutex
	senders    map[string]*as4.Sender         // by receiving party
	discovered map[string][]*x509.Certificate // by party: the signing certificate its SMP published (none: bound by name)
}

// partyCertificates gives the certificates that may sign for a partner
// (as4.PartyCertificates): its configured signing certificate, or for a
// partner found by discovery the signing certificate its SMP published
// (looked up when the partner speaks first, then kept).
func (n *Node) partyCertificates(party string) ([]*x509.Certificate, error) {
	if c := n.partners.Load().SigningCerts[party]; len(c) > 0 {
		return c, nil
	}
	d, ok := n.cfg.Discovered[party]
	if !ok {
		return nil, nil
	}
	n.mu.Lock()
	certs, known := n.discovered[party]
	n.mu.Unlock()
	if known {
		return certs, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t, err := n.cfg.Discovery.Resolve(ctx, d.Participant, d.DocumentType, d.Process)
	if err != nil {
		return nil, fmt.Errorf("%w for party %s: %w", ErrDiscovery, party, err)
	}
	return n.learn(party, t.Certificate), nil
}

// learn records the certificate a partner's SMP published, when it is a
// signing certificate (eDelivery AS4 1.15 uses one RSA certificate for
// both), and returns what binds the partner from now on. An SMP of the 2.0
// profile publishes the X25519 key agreement certificate, which signs
// nothing: the partner is then bound by name (as4.CheckSigner).
func (n *Node) learn(party string, c *x509.Certificate) []*x509.Certificate {
	var certs []*x509.Certificate
	switch c.PublicKey.(type) {
	case *rsa.PublicKey, ed25519.PublicKey, *ecdsa.PublicKey:
		certs = []*x509.Certificate{c}
	}
	n.mu.Lock()
	n.discovered[party] = certs
	n.mu.Unlock()
	return certs
}

// NewClient returns an HTTP client for a node's messages to its partners:
// TLS as tlsConfig says (nil: the defaults), a proxy from the environment,
// connections kept for reuse (64 per partner), and the whole exchange
// bounded by timeout. A request's header and a body of up to 64 KiB leave
// in one write: the transport's default buffer (4 KiB) sent a message in
// two, each a system call (and with TLS a record); an answer of that size
// (a receipt) is read in fewer.
func NewClient(tlsConfig *tls.Config, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tlsConfig,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}}
}

// New checks cfg and returns a node.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(nil, 30*time.Second)
	}
	if cfg.MaxBodySize == 0 {
		cfg.MaxBodySize = as4.DefaultMaxBodySize
	}
	if cfg.Workers == 0 {
		cfg.Workers = 8
	}
	if cfg.Lease == 0 {
		cfg.Lease = time.Minute
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = as4.DefaultMaxDecompressed
	}
	if cfg.PayloadDir == "" {
		cfg.PayloadDir = filepath.Join(cfg.TempDir, "payloads")
	}
	if err := os.MkdirAll(cfg.PayloadDir, 0o700); err != nil {
		return nil, fmt.Errorf("PayloadDir: %w", err)
	}
	if cfg.Domain == "" {
		cfg.Domain = "oots"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.NodeID == "" {
		b := make([]byte, 6)
		if _, err := io.ReadFull(cfg.Rand, b); err != nil {
			return nil, err
		}
		host, _ := os.Hostname()
		cfg.NodeID = host + "-" + hex.EncodeToString(b)
	}
	n := &Node{
		cfg:        cfg,
		log:        cfg.Logger.With(slog.String(logNode, cfg.NodeID)),
		metrics:    newMetrics(),
		quiet:      newQuietLog(cfg.Now),
		wake:       make(chan struct{}, 1),
		offers:     make(chan chan *apstore.Outbound),
		judgements: make(chan judgement, judgeQueue),
		pushWake:   make(chan struct{}, 1),
		handed:     handedOff{wake: make(chan struct{}, 1)},
		senders:    map[string]*as4.Sender{},
		discovered: map[string][]*x509.Certificate{},
	}
	n.install(partnersOf(cfg))
	n.metrics.registry.MustRegister(newStoreCollector(n), newCertCollector(n), newRevocationCollector(n))
	if n.receiptBackend() != nil {
		// Both results from the start, so that a rate of failed hand-offs
		// has data before the first failure.
		n.metrics.receiptHandOffs.WithLabelValues(handedOver)
		n.metrics.receiptHandOffs.WithLabelValues(handOffFailed)
	}
	for _, c := range cfg.Collectors {
		if err := n.metrics.registry.Register(c); err != nil {
			return nil, fmt.Errorf("ap: Config.Collectors: %w", err)
		}
	}
	n.metricsHandler = n.MetricsHandler()
	n.removeOwnTemporary()
	return n, nil
}

// Keys of log attributes.
const (
	logNode      = "node"
	logMessageID = "message_id"
	logPartner   = "partner"
	logLeg       = "leg"
	logCode      = "ebms_code"
	logError     = "error"
	logAttempt   = "attempt"
	logState     = "state"
	logDuration  = "duration"
	logRemote    = "remote"
	logCount     = "count"
)

// Handler returns the node's HTTP handler: the AS4 endpoint (POST /as4),
// the backend API (/api/v1/…), the OpenAPI document (/openapi.json),
// /metrics, /healthz and /readyz. PublicHandler and APIHandler serve the
// same routes apart, for a node whose backend API has its own listener.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	n.publicRoutes(mux)
	n.apiRoutes(mux)
	return mux
}

// PublicHandler serves what partners reach: POST /as4, /healthz and
// /readyz.
func (n *Node) PublicHandler() http.Handler {
	mux := http.NewServeMux()
	n.publicRoutes(mux)
	return mux
}

// APIHandler serves what the backend and the operator reach: the backend
// API, /openapi.json and /metrics (behind the API token when one is set).
func (n *Node) APIHandler() http.Handler {
	mux := http.NewServeMux()
	n.apiRoutes(mux)
	return mux
}

func (n *Node) publicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /as4", n.ServeAS4)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := n.ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "%v\n", err)
			return
		}
		io.WriteString(w, "ready\n")
	})
}

// ready reports whether the node can take messages now: the store takes
// a write (a full disk or a read-only database fails it, where a ping
// does not) and so does the directory of spilled attachments. The store
// is pinged every time; the write probe runs at most once a second, its
// result kept in between.
func (n *Node) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := n.cfg.Store.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	n.readyMu.Lock()
	defer n.readyMu.Unlock()
	now := n.cfg.Now()
	if now.Sub(n.readyAt) < time.Second && !n.readyAt.IsZero() {
		return n.readyErr
	}
	err := n.cfg.Store.Writable(ctx, n.cfg.NodeID, now)
	if err == nil {
		err = probeDir(n.cfg.TempDir)
	}
	n.readyAt, n.readyErr = now, err
	return err
}

// probeDir writes, syncs and removes a small file in dir.
func probeDir(dir string) error {
	f, err := os.CreateTemp(dir, ".oots-probe-*")
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	if _, err = f.Write(make([]byte, 4096)); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// Run runs the sending workers, the delivery to the webhook or backend
// (received messages and failure reports) and the retention purge until
// ctx is cancelled.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < n.cfg.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); n.sendLoop(ctx) }()
	}
	if n.cfg.Webhook != nil || n.cfg.Backend != nil {
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); n.webhookLoop(ctx) }()
		}
	}
	if n.receiptBackend() != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.markLoop(ctx) }()
	}
	if n.cfg.Retention > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); n.purgeLoop(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); n.sweepLoop(ctx) }()
	if n.cfg.Judge != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.judgeLoop(ctx) }()
	}
	wg.Wait()
	return ctx.Err()
}

// Purge removes the payloads of finished messages (sent and delivered or
// failed; received and acknowledged or pushed to the webhook) older than
// Config.Retention, and returns how many it removed. Run calls it hourly;
// with no retention it does nothing.
func (n *Node) Purge(ctx context.Context) (int64, error) {
	if n.cfg.Retention <= 0 {
		return 0, nil
	}
	return n.cfg.Store.Purge(ctx, n.cfg.Now().Add(-n.cfg.Retention))
}

func (n *Node) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if c, err := n.Purge(ctx); err != nil {
			n.quiet.fail(n.log, "purge", "purge failed", err)
		} else if c > 0 {
			n.log.Info("purged payloads", slog.Int64(logCount, c))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sleep waits d, a wake-up on wake, or the end of ctx; it reports false at
// the end.
func sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
		return true
	case <-t.C:
		return true
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

var errNotSelf = errors.New("not addressed to this access point")
