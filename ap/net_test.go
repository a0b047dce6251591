package ap_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

const (
	gatewayRole = "http://sdg.europa.eu/edelivery/gateway"
	ootsIDType  = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
	ebrsType    = "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"
)

// pmodes returns the P-Modes of a two-party network: a request and a
// response leg under profile, with the given retry policy.
func pmodes(profile wssec.Profile, endpoints map[string]string, retry *pmode.Retry) *pmode.Config {
	var parties []pmode.Party
	for _, n := range []string{"AP_FR_01", "AP_DE_01"} {
		parties = append(parties, pmode.Party{Name: n, IDs: []pmode.PartyID{{Type: ootsIDType, Value: n}}, Endpoint: endpoints[n]})
	}
	leg := func(name, action string) pmode.Leg {
		return pmode.Leg{
			Name: name, MEP: pmode.MEPOneWay, Binding: pmode.BindingPush,
			Initiator: pmode.PartyRole{Parties: []string{"AP_FR_01", "AP_DE_01"}, Role: gatewayRole},
			Responder: pmode.PartyRole{Parties: []string{"AP_FR_01", "AP_DE_01"}, Role: gatewayRole},
			Service:   pmode.Service{Value: "QueryManager", Type: ebrsType},
			Action:    action,
			Security:  pmode.Security{Profile: profile, Sign: profile != pmode.ProfileNone, Encrypt: profile != pmode.ProfileNone},
			Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: profile != pmode.ProfileNone,
				Retry: retry, DuplicateDetection: true},
			Properties:    []pmode.PropertyDef{{Name: "originalSender", Required: true}, {Name: "finalRecipient", Required: true}},
			Payload:       pmode.PayloadProfile{Compress: true, MaxSize: 1 << 20},
			ErrorHandling: pmode.ErrorHandling{AsResponse: true},
		}
	}
	return &pmode.Config{Parties: parties, Legs: []pmode.Leg{leg("ootsRequestLeg", "ExecuteQueryRequest"), leg("ootsResponseLeg", "ExecuteQueryResponse")}}
}

// creds holds a CA and both parties' credentials of a profile.
type creds struct {
	ca      *pki.Credential
	parties map[string]*pki.Party
}

var (
	credMu  sync.Mutex
	credSet = map[wssec.Profile]*creds{}
)

func credentials(tb testing.TB, profile wssec.Profile) *creds {
	tb.Helper()
	credMu.Lock()
	defer credMu.Unlock()
	if c := credSet[profile]; c != nil {
		return c
	}
	kind := wssec.AS4v115
	if profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("oots ap test CA", kind, opt)
	if err != nil {
		tb.Fatal(err)
	}
	c := &creds{ca: ca, parties: map[string]*pki.Party{}}
	for _, n := range []string{"AP_FR_01", "AP_DE_01"} {
		if c.parties[n], err = pki.Issue(ca, n, kind, opt); err != nil {
			tb.Fatal(err)
		}
	}
	credSet[profile] = c
	return c
}

// testNode is a node on a loopback HTTP server.
type testNode struct {
	*ap.Node
	name  string
	url   string
	db    *store.DB
	srv   *httptest.Server
	cfg   ap.Config
	down  atomic.Bool // answer every request with 503
	stop  context.CancelFunc
	done  chan struct{}
	inner http.Handler
}

// restartWith runs, until the test ends, a new node on n's configuration
// and database (n stopped before) with backend as its backend.
func restartWith(t *testing.T, ctx context.Context, n *testNode, backend ap.Backend) {
	t.Helper()
	cfg := n.cfg
	cfg.Backend = backend
	node, err := ap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); node.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (n *testNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if n.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	n.inner.ServeHTTP(w, r)
}

type netOptions struct {
	profile wssec.Profile
	retry   *pmode.Retry
	dsn     func(tb testing.TB, name string) string // default SQLite in a temp dir
	floor   bool                                    // the queues in floorStore (benchmark only)
	webhook map[string]*ap.Webhook
	edit    func(name string, c *ap.Config)
}

func sqliteDSN(tb testing.TB, name string) string {
	return filepath.Join(tb.TempDir(), name+".db")
}

// pgDSN starts one PostgreSQL server for the test and gives each node its
// own database.
func pgDSN(t testing.TB) func(tb testing.TB, name string) string {
	srv := pgtest.Start(t)
	return func(tb testing.TB, name string) string { return srv.NewDatabase(tb) }
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newNet starts two nodes, AP_FR_01 and AP_DE_01, that trust each other.
func newNet(t testing.TB, o netOptions) map[string]*testNode {
	t.Helper()
	if o.profile == "" {
		o.profile = wssec.AS4v20
	}
	if o.dsn == nil {
		o.dsn = sqliteDSN
	}
	c := credentials(t, o.profile)
	nodes := map[string]*testNode{}
	endpoints := map[string]string{}
	for _, name := range []string{"AP_FR_01", "AP_DE_01"} {
		tn := &testNode{name: name}
		tn.srv = httptest.NewServer(tn)
		t.Cleanup(tn.srv.Close)
		tn.url = tn.srv.URL
		endpoints[name] = tn.srv.URL + "/as4"
		nodes[name] = tn
	}
	for name, tn := range nodes {
		pm := pmodes(o.profile, endpoints, o.retry)
		pm.Self = name
		db, err := store.Open(context.Background(), o.dsn(t, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		tn.db = db
		other := "AP_FR_01"
		if name == other {
			other = "AP_DE_01"
		}
		me := c.parties[name]
		var st ap.Store = db
		if o.floor {
			st = newFloorStore(db)
		}
		cfg := ap.Config{PMode: pm, Store: st, Trust: trust.NewStore(c.ca.Cert),
			EncryptionCerts: map[string]*x509.Certificate{other: c.parties[other].Encrypt.Cert},
			Logger:          quietLog, NodeID: name, PollInterval: 50 * time.Millisecond, Lease: 10 * time.Second,
			TempDir: t.TempDir(), Workers: 4}
		if o.profile != pmode.ProfileNone {
			cfg.SigningKey, cfg.SigningCert, cfg.DecryptionKey = me.Sign.Signer(), me.Sign.Cert, me.Encrypt.Key
		}
		if o.webhook != nil {
			cfg.Webhook = o.webhook[name]
		}
		if o.edit != nil {
			o.edit(name, &cfg)
		}
		node, err := ap.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tn.Node, tn.cfg, tn.inner = node, cfg, node.Handler()
		ctx, cancel := context.WithCancel(context.Background())
		tn.stop, tn.done = cancel, make(chan struct{})
		go func() { defer close(tn.done); node.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-tn.done })
	}
	return nodes
}

// submission returns a request from FR to DE with one XML payload.
func submission(key, content string) *ap.Submission {
	return &ap.Submission{ClientKey: key, Leg: "ootsRequestLeg", To: "AP_DE_01",
		Properties: []ap.Property{
			{Name: "originalSender", Type: "urn:cef.eu:names:identifier:EAS:0009", Value: "00000000000002"},
			{Name: "finalRecipient", Type: "urn:cef.eu:names:identifier:EAS:9930", Value: "DE73524311"}},
		Payloads: []ap.Payload{{ContentID: "request@oots.eu", MimeType: "application/x-ebrs+xml",
			Data: []byte(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="` + content + `"/>`)}}}
}

// waitState polls a message's status until it is not queued.
func waitState(t testing.TB, n *testNode, id string, timeout time.Duration) *ap.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := n.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != apstore.OutQueued || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// api calls the node's backend API and decodes the JSON answer into out.
func api(t *testing.T, n *testNode, method, path string, in, out any, header ...string) int {
	t.Helper()
	code, _ := apiHeader(t, n, method, path, in, out, header...)
	return code
}

// apiHeader is api that also returns the answer's header.
func apiHeader(t *testing.T, n *testNode, method, path string, in, out any, header ...string) (int, http.Header) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.url+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}
