package demonet

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// CSParty is the P-Mode party of the Common Services' access point, which
// receives the Member States' LCM requests (POST /as4 on the Common
// Services' server), as cs-lcm-projectathon does for the Commission's.
const CSParty = "cs-lcm-demo"

// addLCM adds to a P-Mode the Common Services' party (endpoint cs, none
// for "") and the LCM legs between it and every access point, with the
// security, reliability and properties of the exchange legs.
func addLCM(pm *pmode.Config, countries []string, cs string) {
	pm.Parties = append(pm.Parties, pmode.Party{Name: CSParty, IDs: []pmode.PartyID{{Type: CSPartyType, Value: CSParty}}, Endpoint: cs})
	var template pmode.Leg
	for _, l := range pm.Legs {
		if l.Action == exchange.ActionRequest {
			template = l
		}
	}
	parties := []string{CSParty}
	for _, cc := range countries {
		parties = append(parties, partyName(cc))
	}
	template.Initiator.Parties, template.Responder.Parties = parties, parties
	pm.Legs = append(pm.Legs, lcm.PModeLegs(template, lcm.DefaultLegs())...)
}

// CSPartyType is the party id type of CSParty.
const CSPartyType = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"

// csAccessPoint makes the Common Services' access point: LCM legs only,
// every Member State's access point a static partner, and the LCM server
// on the registry, which lets each party change its own country's
// objects.
func (n *Network) csAccessPoint(db *store.DB, reg *csregistry.Registry, endpoints map[string]string) (*ap.Node, error) {
	dir, err := mkdir(filepath.Join(n.cfg.Dir, "cs", "ap"))
	if err != nil {
		return nil, err
	}
	if _, err := mkdir(filepath.Join(dir, "tmp")); err != nil {
		return nil, err
	}
	pm := pmodes(n.cfg.Countries, endpoints, "", "")
	pm.Self = CSParty
	addLCM(pm, n.cfg.Countries, "")
	pm.Legs = slices.DeleteFunc(pm.Legs, func(l pmode.Leg) bool { return l.Service.Value != lcm.Service })
	pm.Parties = slices.DeleteFunc(pm.Parties, func(p pmode.Party) bool { return p.Name == TesterParty })
	enc, sign := map[string]*x509.Certificate{}, map[string]*x509.Certificate{}
	parties := map[string]string{}
	for cc, p := range n.keys.aps {
		enc[partyName(cc)], sign[partyName(cc)] = p.Encrypt.Cert, p.Sign.Cert
		parties[partyName(cc)] = cc
	}
	me := n.keys.csAP
	be := &lcmBackend{}
	node, err := ap.New(ap.Config{PMode: pm, Store: db, Trust: trust.NewStore(n.keys.ca.Cert), MaxBodySize: MaxBodySize,
		SigningKey: me.Sign.Signer(), SigningCert: me.Sign.Cert, DecryptionKey: me.Encrypt.Key, EncryptionCerts: enc, SigningCerts: sign,
		Backend: be, Client: n.client, Logger: n.cfg.Logger.With("component", "ap"), NodeID: CSParty,
		PollInterval: n.cfg.PollInterval, TempDir: filepath.Join(dir, "tmp"), PayloadDir: filepath.Join(dir, "payloads"), Domain: "oots.cs"})
	if err != nil {
		return nil, err
	}
	srv, err := lcm.NewServer(lcm.ServerConfig{Registry: reg, AP: node, Parties: parties, Logger: n.cfg.Logger.With("component", "lcm")})
	if err != nil {
		return nil, err
	}
	be.part = srv
	return node, nil
}

// lcmBackend hands the LCM messages an access point receives to its LCM
// part (the server or a client); the Common Services' access point takes
// nothing else.
type lcmBackend struct{ part ap.Backend }

func (b *lcmBackend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	if !lcm.Is(m) {
		return fmt.Errorf("demonet: the Common Services take LCM messages only, not %s %s", m.Service.Value, m.Action)
	}
	return b.part.Deliver(ctx, m)
}

// lcmClient returns the LCM client of a node's access point.
func lcmClient(cc string, node *ap.Node) (*lcm.Client, error) {
	return lcm.NewClient(lcm.ClientConfig{AP: node, To: CSParty, Properties: []ap.Property{
		{Name: exchange.PropOriginalSender, Type: Scheme(cc), Value: partyName(cc)},
		{Name: exchange.PropFinalRecipient, Type: CSPartyType, Value: CSParty}}})
}

// ErrNotPublished is returned by Start when a Member State's data was
// refused by the Common Services.
var ErrNotPublished = errors.New("demonet: the Common Services refused a Member State's data")

// publishLCM has every node submit its own part of the demo data set
// (demo.Submissions: its Evidence Broker objects with the
// requirements they fulfil, then its DSD objects) to the Common Services
// over AS4, all nodes at once, and waits for the answers.
func (n *Network) publishLCM(ctx context.Context) error {
	subs, err := demo.Submissions(ctx, n.cfg.SREnvironment)
	if err != nil {
		return err
	}
	errs := make([]error, len(n.Nodes))
	var wg sync.WaitGroup
	for i, nd := range n.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range subs[nd.Country] {
				if s == nil {
					continue
				}
				b, err := s.Marshal()
				if err != nil {
					errs[i] = err
					return
				}
				res, err := nd.PublishLCM(ctx, b)
				if err != nil {
					errs[i] = fmt.Errorf("demonet: node %s: publishing its %s data: %w", nd.Country, s.Kind(), err)
					return
				}
				if e := res.Refused(); e != nil {
					errs[i] = fmt.Errorf("%w: %s's %s data: %s %s", ErrNotPublished, nd.Country, s.Kind(), e.Code, e.Detail)
					return
				}
				nd.mu.Lock()
				nd.Published = append(nd.Published, res)
				nd.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// PublishLCM submits an LCM request document to the Common Services over
// AS4 from the node's access point and returns the answer (see
// lcm.Client.Submit).
func (nd *Node) PublishLCM(ctx context.Context, request []byte) (*lcm.Result, error) {
	return nd.lcm.Submit(ctx, request)
}

// operatorData loads into an empty registry what no network node
// publishes: the requirements (which come from the Semantic Repository)
// and the data of the demo countries that are not in the network.
func (n *Network) operatorData(ctx context.Context, reg *csregistry.Registry) error {
	subs, err := demo.Submissions(ctx, n.cfg.SREnvironment)
	if err != nil {
		return err
	}
	owners := []string{""}
	for cc := range subs {
		if cc != "" && !slices.Contains(n.cfg.Countries, cc) {
			owners = append(owners, cc)
		}
	}
	slices.Sort(owners)
	for _, cc := range owners {
		for _, s := range subs[cc] {
			if s == nil {
				continue
			}
			if err := reg.Submit(ctx, s); err != nil {
				return fmt.Errorf("demonet: Common Services data of %q: %w", cc, err)
			}
		}
	}
	return nil
}
