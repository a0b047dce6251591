package console_test

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/console"
	"github.com/oots-go/oots/journal"
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

// peer is an access point on a loopback server, with a switch that makes
// it answer 503 (a partner down for maintenance).
type peer struct {
	*ap.Node
	name string
	url  string
	db   *store.DB
	cfg  ap.Config
	down atomic.Bool
	h    http.Handler
}

func (p *peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	p.h.ServeHTTP(w, r)
}

// network starts AP_FR_01 and AP_DE_01, eDelivery AS4 2.0 (Ed25519 and
// X25519 from a test CA), on SQLite or on dsn(name) when given. A send
// gives up after 2 retries a few hundred milliseconds apart.
func network(t testing.TB, dsn func(name string) string) map[string]*peer {
	t.Helper()
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("oots console test CA", wssec.AS4v20, opt)
	if err != nil {
		t.Fatal(err)
	}
	peers := map[string]*peer{}
	creds := map[string]*pki.Party{}
	endpoints := map[string]string{}
	for _, n := range []string{"AP_FR_01", "AP_DE_01"} {
		if creds[n], err = pki.Issue(ca, n, wssec.AS4v20, opt); err != nil {
			t.Fatal(err)
		}
		p := &peer{name: n}
		srv := httptest.NewServer(p)
		t.Cleanup(srv.Close)
		p.url, endpoints[n] = srv.URL, srv.URL+"/as4"
		peers[n] = p
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, p := range peers {
		other := "AP_FR_01"
		if name == other {
			other = "AP_DE_01"
		}
		pm := pmodes(endpoints, &pmode.Retry{Timeout: 300 * time.Millisecond, Count: 2, Strategy: pmode.RetryConstant})
		pm.Self = name
		file := filepath.Join(t.TempDir(), name+".db")
		if dsn != nil {
			file = dsn(name)
		}
		db, err := store.Open(context.Background(), file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		p.db = db
		me := creds[name]
		p.cfg = ap.Config{PMode: pm, Store: db, Trust: trust.NewStore(ca.Cert),
			EncryptionCerts: map[string]*x509.Certificate{other: creds[other].Encrypt.Cert},
			SigningKey:      me.Sign.Signer(), SigningCert: me.Sign.Cert, DecryptionKey: me.Encrypt.Key,
			Logger: quiet, NodeID: name, PollInterval: 50 * time.Millisecond, Lease: 10 * time.Second,
			TempDir: t.TempDir(), Workers: 2}
		node, err := ap.New(p.cfg)
		if err != nil {
			t.Fatal(err)
		}
		p.Node, p.h = node, node.Handler()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); node.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return peers
}

func pmodes(endpoints map[string]string, retry *pmode.Retry) *pmode.Config {
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
			Security:  pmode.Security{Profile: wssec.AS4v20, Sign: true, Encrypt: true},
			Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: true,
				Retry: retry, DuplicateDetection: true},
			Properties:    []pmode.PropertyDef{{Name: "originalSender", Required: true}, {Name: "finalRecipient", Required: true}},
			Payload:       pmode.PayloadProfile{Compress: true, MaxSize: 1 << 20},
			ErrorHandling: pmode.ErrorHandling{AsResponse: true},
		}
	}
	return &pmode.Config{Parties: parties, Legs: []pmode.Leg{leg("ootsRequestLeg", "ExecuteQueryRequest"), leg("ootsResponseLeg", "ExecuteQueryResponse")}}
}

// submission is a request from FR to DE with one XML payload.
func submission(content string) *ap.Submission {
	return &ap.Submission{Leg: "ootsRequestLeg", To: "AP_DE_01",
		Properties: []ap.Property{
			{Name: "originalSender", Type: "urn:cef.eu:names:identifier:EAS:0009", Value: "00000000000002"},
			{Name: "finalRecipient", Type: "urn:cef.eu:names:identifier:EAS:9930", Value: "DE73524311"}},
		Payloads: []ap.Payload{{ContentID: "request@oots.eu", MimeType: "application/x-ebrs+xml",
			Data: []byte(`<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="` + content + `"/>`)}}}
}

// waitState polls a sent message until it leaves the queue.
func waitState(t testing.TB, p *peer, id string, timeout time.Duration) *ap.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := p.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != apstore.OutQueued || time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// consoleFor starts the console of a peer on its own loopback server (the
// admin listener) with three accounts, one per role.
func consoleFor(t testing.TB, p *peer) (*console.Server, string) {
	t.Helper()
	j, err := journal.Open(context.Background(), p.db, journal.Config{Key: make([]byte, 32), Node: p.name})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []journal.Record{
		{Event: "request.sent", Conversation: "conv-1", Exchange: "ex-1", Procedure: "T2", Outcome: "ok",
			Personal: &journal.Personal{GivenName: "Marie", FamilyName: "Dupont", Identifier: "FR/DE/123456"}},
		{Event: "response.received", Conversation: "conv-1", Exchange: "ex-1", Procedure: "T2", Outcome: "ok"},
		{Event: "request.sent", Conversation: "conv-2", Exchange: "ex-2", Procedure: "R1", Outcome: "ok",
			Personal: &journal.Personal{GivenName: "Jan", FamilyName: "Kowalski", Identifier: "PL/DE/987"}},
	} {
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := console.New(context.Background(), console.Config{DB: p.db, Node: p.Node, PMode: p.cfg.PMode,
		Certificates: func() []console.Certificate {
			return []console.Certificate{{Use: "own_signing", Party: p.name, Cert: p.cfg.SigningCert}}
		},
		Journal: j,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]console.Role{"olga": console.Operator, "aude": console.Auditor, "adam": console.Administrator} {
		if err := srv.Accounts().Add(context.Background(), name, role, password(name)); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

func password(name string) string { return name + "-correct-horse-battery" }
