package conformance_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// lateBackend hands the node's messages to the connector created after the
// node (each needs the other).
type lateBackend struct {
	mu   sync.Mutex
	conn *provider.Connector
}

func (b *lateBackend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	b.mu.Lock()
	c := b.conn
	b.mu.Unlock()
	if c == nil {
		return fmt.Errorf("the connector is not ready")
	}
	return c.Deliver(ctx, m)
}

// ootsPMode is the P-Mode of a kit (AP-KIT) and a node (AP-DE): the OOTS
// legs of request, response and error, signed and encrypted.
func ootsPMode(self string, endpoints map[string]string) *pmode.Config {
	const partyType = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
	pm := &pmode.Config{Self: self}
	for _, name := range []string{"AP-KIT", "AP-DE"} {
		pm.Parties = append(pm.Parties, pmode.Party{Name: name, IDs: []pmode.PartyID{{Type: partyType, Value: name}}, Endpoint: endpoints[name]})
	}
	leg := func(name, action, from, to string) pmode.Leg {
		return pmode.Leg{Name: name, MEP: pmode.MEPOneWay, Binding: pmode.BindingPush,
			Initiator: pmode.PartyRole{Parties: []string{from}, Role: as4.OOTSRole}, Responder: pmode.PartyRole{Parties: []string{to}, Role: as4.OOTSRole},
			Service: pmode.Service{Value: as4.OOTSQueryManager, Type: as4.OOTSServiceType}, Action: action,
			Security:    pmode.Security{Profile: wssec.AS4v115, Sign: true, Encrypt: true},
			Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: true, DuplicateDetection: true, Retry: &pmode.Retry{Timeout: 10 * time.Second, Count: 10, Strategy: "CONSTANT"}},
			Properties: []pmode.PropertyDef{{Name: "originalSender", Required: true}, {Name: "finalRecipient", Required: true},
				{Name: "SpecificationId"}, {Name: "ExchangeId"}},
			Payload: pmode.PayloadProfile{Compress: true}}
	}
	pm.Legs = []pmode.Leg{
		leg(exchange.DefaultLegs().Request, exchange.ActionRequest, "AP-KIT", "AP-DE"),
		leg(exchange.DefaultLegs().Response, exchange.ActionResponse, "AP-DE", "AP-KIT"),
		leg(exchange.DefaultLegs().Error, exchange.ActionError, "AP-DE", "AP-KIT"),
	}
	return pm
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestEDMScenariosOverAS4 composes a whole provider node — an access
// point (package ap) on loopback with the provider connector as its
// backend — and runs the scenarios through the kit's own access point
// (AS4Peer): requests signed and encrypted to the node's /as4, answers
// received at the kit's endpoint.
func TestEDMScenariosOverAS4(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := &pki.Options{Now: time.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("conformance test AP CA", wssec.AS4v115, opt)
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]*pki.Party{}
	for _, name := range []string{"AP-KIT", "AP-DE"} {
		if creds[name], err = pki.Issue(ca, name, wssec.AS4v115, opt); err != nil {
			t.Fatal(err)
		}
	}
	roots := trust.NewStore(ca.Cert)
	kitAddr := freeAddr(t)
	var nodeHandler http.Handler = http.NotFoundHandler()
	var hmu sync.Mutex
	nodeSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.Lock()
		h := nodeHandler
		hmu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer nodeSrv.Close()
	endpoints := map[string]string{"AP-KIT": "http://" + kitAddr + "/as4", "AP-DE": nodeSrv.URL + "/as4"}

	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "ap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	backend := &lateBackend{}
	de := creds["AP-DE"]
	node, err := ap.New(ap.Config{PMode: ootsPMode("AP-DE", endpoints), SigningKey: de.Sign.Key.(crypto.Signer), SigningCert: de.Sign.Cert,
		DecryptionKey: de.Encrypt.Key, Trust: roots, EncryptionCerts: map[string]*x509.Certificate{"AP-KIT": creds["AP-KIT"].Encrypt.Cert},
		Store: db, Backend: backend, PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	conn, previewSrv, idp, birth := newConnector(t, node)
	backend.mu.Lock()
	backend.conn = conn
	backend.mu.Unlock()
	hmu.Lock()
	nodeHandler = node.Handler()
	hmu.Unlock()
	done := make(chan struct{})
	go func() { node.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	kit := creds["AP-KIT"]
	peer, err := conformance.NewAS4Peer(&conformance.AS4Target{PMode: ootsPMode("AP-KIT", endpoints), Node: "AP-DE", Leg: exchange.DefaultLegs().Request,
		SigningKey: kit.Sign.Key.(crypto.Signer), SigningCert: kit.Sign.Cert, DecryptionKey: kit.Encrypt.Key, Trust: roots,
		NodeEncryptionCert: de.Encrypt.Cert, Listen: kitAddr}, exchange.Legs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	// The scenarios of a scenario file, as a tester writes them, and those
	// with deliberately wrong expectations.
	scenarios, err := conformance.ParseScenarios([]byte(demoScenarioFile(t, birth)))
	if err != nil {
		t.Fatal(err)
	}
	all, wantFail := projectathon(t, birth)
	for _, s := range all {
		if _, wrong := wantFail[s.ID]; wrong {
			scenarios = append(scenarios, s)
		}
	}
	user := &browserUser{srv: previewSrv, idp: idp}
	start := time.Now()
	rep, err := conformance.Run(ctx, conformance.Config{EDM: &conformance.EDMTarget{Name: "DE node (ap + provider)", Node: peer, User: user, Scenarios: scenarios, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scenarios over AS4 in %s", len(rep.Cases), time.Since(start).Round(time.Millisecond))
	checkScenarios(t, rep, wantFail)
}
