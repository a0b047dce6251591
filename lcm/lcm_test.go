package lcm_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

const csParty = "cs-lcm-projectathon"

// backend routes what an access point receives: LCM messages to the LCM
// part, the rest is recorded as unexpected.
type backend struct {
	mu         sync.Mutex
	part       ap.Backend
	unexpected []string
}

func (b *backend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	b.mu.Lock()
	part := b.part
	b.mu.Unlock()
	if !lcm.Is(m) || part == nil {
		b.mu.Lock()
		b.unexpected = append(b.unexpected, m.Service.Value+" "+m.Action)
		b.mu.Unlock()
		return nil
	}
	return part.Deliver(ctx, m)
}

type network struct {
	nodes    map[string]*ap.Node
	backends map[string]*backend
	dbs      map[string]*store.DB
	reg      *csregistry.Registry
}

// start runs three access points on loopback — the Common Services party
// and two Member States' — on the P-Mode imported from the Domibus file,
// with RSA credentials (the eDelivery AS4 1.15 profile of Domibus "rsa")
// issued by one CA, and the LCM server on the Common Services' node.
func start(t *testing.T) *network {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	raw, err := os.ReadFile("testdata/projectathon-lcm-pmode.xml")
	if err != nil {
		t.Fatal(err)
	}
	parties := []string{"oots-de", "oots-fr", csParty}
	ca, err := pki.NewCA("oots LCM test CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]*pki.Party{}
	handlers := map[string]http.Handler{}
	var mu sync.Mutex
	x := string(raw)
	for _, p := range parties {
		if creds[p], err = pki.Issue(ca, p, wssec.AS4v115, nil); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			h := handlers[p]
			mu.Unlock()
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		x = strings.ReplaceAll(x, "ENDPOINT-"+p+`"`, srv.URL+`/as4"`)
	}
	n := &network{nodes: map[string]*ap.Node{}, backends: map[string]*backend{}, dbs: map[string]*store.DB{}}
	if n.reg, err = csregistry.Open(ctx, csregistry.Config{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, p := range parties {
		pm, err := pmode.ImportDomibus([]byte(x))
		if err != nil {
			t.Fatal(err)
		}
		pm.Self = p
		enc, sign := map[string]*x509.Certificate{}, map[string]*x509.Certificate{}
		for _, o := range parties {
			if o != p {
				enc[o], sign[o] = creds[o].Encrypt.Cert, creds[o].Sign.Cert
			}
		}
		dir := t.TempDir()
		db, err := store.Open(ctx, filepath.Join(dir, "ap.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		b := &backend{}
		node, err := ap.New(ap.Config{PMode: pm, Store: db, Backend: b, Logger: log, NodeID: p, PollInterval: 20 * time.Millisecond,
			SigningKey: creds[p].Sign.Signer(), SigningCert: creds[p].Sign.Cert, DecryptionKey: creds[p].Encrypt.Key,
			Trust: trust.NewStore(ca.Cert), EncryptionCerts: enc, SigningCerts: sign,
			TempDir: filepath.Join(dir, "tmp"), PayloadDir: filepath.Join(dir, "payloads")})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		handlers[p] = node.Handler()
		mu.Unlock()
		n.nodes[p], n.backends[p], n.dbs[p] = node, b, db
		done := make(chan struct{})
		go func() { node.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	srv, err := lcm.NewServer(lcm.ServerConfig{Registry: n.reg, AP: n.nodes[csParty], Parties: map[string]string{"oots-de": "DE", "oots-fr": "FR"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	n.backends[csParty].part = srv
	return n
}

// client returns the LCM client of a Member State's access point.
func (n *network) client(t *testing.T, party string) *lcm.Client {
	t.Helper()
	c, err := lcm.NewClient(lcm.ClientConfig{AP: n.nodes[party], To: csParty, Timeout: 30 * time.Second,
		Properties: []ap.Property{{Name: "originalSender", Value: party}, {Name: "finalRecipient", Value: csParty}}})
	if err != nil {
		t.Fatal(err)
	}
	n.backends[party].mu.Lock()
	n.backends[party].part = c
	n.backends[party].mu.Unlock()
	return c
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/lcm/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	sampleEB  = "5-4-LCM-Submit-Objects-to-the-Evidence-Broker-Birth-Certificate.xml"
	sampleDSD = "5-5-LCM-Submit-Objects-to-the-DSD-Birth-Certificate.xml"
)

// TestProjectathonExchange replays a Projectathon-style LCM exchange on
// the real LCM legs of an imported Domibus P-Mode: the German access point
// submits the official LCM samples (German objects) to cs-lcm-projectathon
// over AS4 (signed, encrypted, compressed, with signed receipts) and gets
// LCM-SUC on lcmResponseLeg; then the French access point's submission of
// the same German objects, and the German one that removes the evidence
// type classification the DSD uses, are refused on lcmErrorLeg with their
// LCM:ERR codes, and the registry is unchanged.
func TestProjectathonExchange(t *testing.T) {
	n := start(t)
	ctx := context.Background()
	de, fr := n.client(t, "oots-de"), n.client(t, "oots-fr")

	for _, s := range []string{sampleEB, sampleDSD} {
		res, err := de.Submit(ctx, sample(t, s))
		if err != nil {
			t.Fatal(err)
		}
		if e := res.Refused(); e != nil {
			t.Fatalf("%s refused: %s %s", s, e.Code, e.Detail)
		}
		if res.Leg != lcm.DefaultLegs().Response || res.Response.Kind() != edm.KindLCMSuccess || !res.Delivered {
			t.Fatalf("%s: answer on %q, kind %s, delivered %v", s, res.Leg, res.Response.Kind(), res.Delivered)
		}
		checkReceipt(t, n.dbs["oots-de"], res.MessageID)
		// The Common Services' answer was delivered too, against the
		// German access point's signed receipt.
		waitDelivered(t, n.nodes[csParty], "lcm-answer:"+res.MessageID, n.dbs[csParty])
	}
	snap := n.reg.Snapshot()
	if snap.Objects(csregistry.EvidenceBroker) == 0 || snap.Objects(csregistry.DataServiceDirectory) == 0 {
		t.Fatal("nothing registered")
	}

	refused := func(c *lcm.Client, body []byte, code string) {
		t.Helper()
		res, err := c.Submit(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		e := res.Refused()
		if e == nil || string(e.Code) != code || res.Leg != lcm.DefaultLegs().Error || res.Response.Kind() != edm.KindLCMError || !res.Delivered {
			t.Fatalf("answer on %q, kind %s, exception %+v, want %s on %s", res.Leg, res.Response.Kind(), e, code, lcm.DefaultLegs().Error)
		}
		if n.reg.Snapshot() != snap {
			t.Error("a refused request changed the registry")
		}
	}
	// Another Member State's objects.
	refused(fr, sample(t, sampleDSD), "LCM:ERR:0001")
	// A new version of the evidence type with another classification: the
	// code the DSD uses would leave the Evidence Broker.
	m, _, err := edm.ParseBytes(sample(t, sampleEB))
	if err != nil {
		t.Fatal(err)
	}
	sub := m.(*edm.SubmitObjectsRequest)
	sub.ID = "urn:uuid:0b4a0a35-2a8e-4d2c-9a43-00000000000e"
	changed := false
	for _, o := range sub.Objects {
		if p, ok := o.Payload.(*edm.EvidenceType); ok {
			o.VersionInfo = &regrep.VersionInfo{VersionName: "2"}
			p.EvidenceTypeClassification = edm.SRID{V1: true, Kind: edm.SREvidenceTypeClassifications, Country: "DE", UUID: "0b4a0a35-2a8e-4d2c-9a43-000000000001"}.String()
			changed = true
		}
	}
	if !changed {
		t.Fatal("no evidence type in the sample")
	}
	b, err := sub.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	refused(de, b, "LCM:ERR:0003")

	for p, b := range n.backends {
		if len(b.unexpected) > 0 {
			t.Errorf("%s received %v", p, b.unexpected)
		}
	}
}

// checkReceipt: the access point kept the receipt of the request, a signed
// ebMS receipt with the non-repudiation information of what it signed.
func checkReceipt(t *testing.T, db *store.DB, id string) {
	t.Helper()
	o, err := db.Outbound(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	r := string(o.Receipt)
	for _, want := range []string{"Receipt", "NonRepudiationInformation", "SignatureValue"} {
		if !strings.Contains(r, want) {
			t.Errorf("receipt of %s has no %s", id, want)
		}
	}
}

func waitDelivered(t *testing.T, node *ap.Node, key string, db *store.DB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		o, err := db.OutboundByClientKey(context.Background(), key)
		if err == nil && o.State == apstore.OutDelivered {
			checkReceipt(t, db, o.ID)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the answer %s was not delivered", key)
}
