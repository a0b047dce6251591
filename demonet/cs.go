package demonet

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"path/filepath"
	"time"

	"github.com/oots-go/oots/csclient"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/csserver"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// startCS starts the Common Services in the environment
// Config.SREnvironment, kept in Dir/cs/cs.db (cs-<environment>.db; a restart
// reads it back), with their access point (CSParty). An empty registry
// gets what no network node publishes (operatorData); the nodes publish
// the rest over AS4 (publishLCM).
func (n *Network) startCS(ctx, runCtx context.Context, ln *listener, endpoints map[string]string) error {
	dir, err := mkdir(filepath.Join(n.cfg.Dir, "cs"))
	if err != nil {
		return err
	}
	name, cfg := "cs.db", csregistry.Config{Logger: n.cfg.Logger}
	if env := n.cfg.SREnvironment; env != "" {
		name, cfg.TolerateRules = "cs-"+env+".db", csregistry.EnvironmentRules()
	}
	db, err := store.Open(ctx, filepath.Join(dir, name))
	if err != nil {
		return err
	}
	n.closers = append(n.closers, db.Close)
	st, err := csregistry.NewSQLStore(ctx, db)
	if err != nil {
		return err
	}
	cfg.Store = st
	reg, err := csregistry.Open(ctx, cfg)
	if err != nil {
		return err
	}
	snap := reg.Snapshot()
	if snap.Objects(csregistry.EvidenceBroker)+snap.Objects(csregistry.DataServiceDirectory) == 0 {
		if err := n.operatorData(ctx, reg); err != nil {
			return err
		}
	}
	// The tester Member State's data goes in once the Member States
	// published theirs (its requirement is theirs): Start, after
	// publishLCM.
	n.csReg, n.csStore = reg, st
	signer := &csrest.Signer{Key: n.keys.cs.Key.(*ecdsa.PrivateKey), Chain: []*x509.Certificate{n.keys.cs.Cert, n.keys.csCA.Cert}}
	mux, err := csserver.Mux(reg, signer, n.cfg.Logger, nil, time.Minute)
	if err != nil {
		return err
	}
	// The Common Services' access point: the Member States publish their
	// data over AS4 (publishLCM).
	node, err := n.csAccessPoint(db, reg, endpoints)
	if err != nil {
		return err
	}
	mux.Handle("POST /as4", node.PublicHandler())
	n.wg.Add(1)
	go func() { defer n.wg.Done(); node.Run(runCtx) }()
	n.serve(ln, mux)
	return nil
}

// csClient returns a client of the network's Common Services for a node.
func (n *Network) csClient() (*csclient.Client, error) {
	return csclient.New(csclient.Config{EBURL: n.CS + "/", DSDURL: n.CS + "/", Trust: trust.NewStore(n.keys.csCA.Cert),
		HTTP: n.client, TTL: time.Minute})
}
