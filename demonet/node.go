package demonet

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/internal/nodewire"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/portal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// Node is the national node of one Member State.
type Node struct {
	Country string
	// URLs of the node's servers: the demo procedure portal, the preview
	// space, the identity provider, and the access point (POST /as4, the
	// backend API /api/v1/…, the requester's REST API
	// /api/requester/v1/…, /metrics).
	PortalURL, PreviewURL, IdPURL, APURL string
	// APIToken is the bearer token of the access point's backend API
	// (/api/v1/…), kept in Dir/keys/api-token-CC; the requester's REST API
	// has its own, RequesterToken (Dir/keys/requester-token-CC).
	APIToken, RequesterToken string
	// ConformanceTarget is the target file of the node for "oots
	// conformance run -target" (in Network.ConformanceDir).
	ConformanceTarget string
	// DB is the node's database (every component's tables).
	DB *store.DB
	// PMode is the access point's P-Mode configuration; the party of a
	// partner found by dynamic discovery has no endpoint in it.
	PMode     *pmode.Config
	AP        *ap.Node
	Requester *requester.Connector
	Provider  *provider.Connector
	Journal   *journal.Journal
	// Published are the answers of the Common Services to the node's
	// publication of its data at start (LCM over AS4): its Evidence Broker
	// objects, then its DSD objects.
	Published []*lcm.Result

	lcm *lcm.Client
	mu  sync.Mutex
}

func (n *Network) accessPoint(cc string, db *store.DB, endpoints map[string]string, backend *nodewire.Dispatch, dir string) (*ap.Node, *pmode.Config, string, error) {
	me := n.keys.aps[cc]
	discovered, resolver := n.discoveredPartners(cc)
	enc, sign := map[string]*x509.Certificate{}, map[string]*x509.Certificate{}
	static := map[string]string{}
	for other, p := range n.keys.aps {
		if _, ok := discovered[partyName(other)]; other != cc && !ok {
			enc[partyName(other)], sign[partyName(other)] = p.Encrypt.Cert, p.Sign.Cert
		}
	}
	enc[TesterParty], sign[TesterParty] = n.keys.tester.Encrypt.Cert, n.keys.tester.Sign.Cert
	enc[CSParty], sign[CSParty] = n.keys.csAP.Encrypt.Cert, n.keys.csAP.Sign.Cert
	for other, ep := range endpoints {
		if _, ok := discovered[partyName(other)]; !ok {
			static[other] = ep
		}
	}
	token, err := apiToken(filepath.Join(n.cfg.Dir, "keys", "api-token-"+cc))
	if err != nil {
		return nil, nil, "", err
	}
	pm := pmodes(n.cfg.Countries, static, n.cfg.TesterEndpoint, cc)
	addLCM(pm, n.cfg.Countries, n.CS+"/as4")
	cfg := ap.Config{PMode: pm, APIToken: token, MaxBodySize: MaxBodySize, Fault: n.cfg.Fault, Store: db, Trust: trust.NewStore(n.keys.ca.Cert),
		SigningKey: me.Sign.Signer(), SigningCert: me.Sign.Cert, DecryptionKey: me.Encrypt.Key, EncryptionCerts: enc, SigningCerts: sign,
		Discovered: discovered, Backend: backend, Client: n.client, Logger: n.cfg.Logger.With("component", "ap"), NodeID: partyName(cc),
		PollInterval: n.cfg.PollInterval, TempDir: filepath.Join(dir, "tmp"), PayloadDir: filepath.Join(dir, "payloads"), Domain: "oots." + cc}
	if resolver != nil {
		cfg.Discovery = resolver
	}
	node, err := ap.New(cfg)
	return node, cfg.PMode, token, err
}

// countryNames are the demo countries' names in English.
var countryNames = map[string]string{"DE": "Germany", "FR": "France", "FI": "Finland", "SE": "Sweden"}

// startNode starts the national node of cc on its four listeners (portal,
// preview space, identity provider, access point).
func (n *Network) startNode(ctx, runCtx context.Context, cc string, endpoints map[string]string, l [4]*listener) (*Node, error) {
	dir, err := mkdir(filepath.Join(n.cfg.Dir, cc))
	if err != nil {
		return nil, err
	}
	if _, err := mkdir(filepath.Join(dir, "tmp")); err != nil {
		return nil, err
	}
	nd := &Node{Country: cc, PortalURL: l[0].url, PreviewURL: l[1].url, IdPURL: l[2].url, APURL: l[3].url}
	// Every record of the node carries its party, as the access point's
	// own records (ap.Config.NodeID) and the journal's entries do; the
	// access point adds it itself, so its logger comes from n.cfg.Logger.
	log := n.cfg.Logger.With("node", partyName(cc))
	if nd.DB, err = store.Open(ctx, filepath.Join(dir, "oots.db")); err != nil {
		return nil, err
	}
	n.closers = append(n.closers, nd.DB.Close)

	key, err := secretFile(filepath.Join(n.cfg.Dir, "keys", "journal-"+cc+".key"))
	if err != nil {
		return nil, err
	}
	if nd.Journal, err = journal.Open(ctx, nd.DB, journal.Config{Key: key, Node: partyName(cc)}); err != nil {
		return nil, err
	}
	// The retention period (12 months): what is older goes at each start,
	// journaled.
	if _, err := nd.Journal.PurgeExpired(ctx); err != nil {
		return nil, err
	}

	// The identity provider of cc, with every node's portal and preview
	// space as relying parties.
	clients := map[string]idp.Registration{}
	for i, other := range n.cfg.Countries {
		portalURL, preview := n.nodeURL(i, 0), n.nodeURL(i, 1)
		clients["portal-"+other] = idp.Registration{Name: "Procedure portal of " + countryNames[other],
			RedirectURIs: []string{portalURL + portal.CallbackPath}, Country: other}
		clients["preview-"+other] = idp.Registration{Name: "Preview space of " + countryNames[other],
			RedirectURIs: []string{preview + provider.PreviewCallbackPath, preview + provider.ConsentsPath + provider.ConsentsCallbackPath}, Country: other}
	}
	idpSrv, err := idp.New(idp.Config{Country: cc, Issuer: nd.IdPURL, Key: n.keys.idp[cc], Clients: clients, Users: demo.Users(cc),
		Session: IdPSession, Logger: log.With("component", "idp")})
	if err != nil {
		return nil, err
	}
	n.serve(l[2], idpSrv)
	trusted := map[string]idp.Trusted{}
	for i, other := range n.cfg.Countries {
		trusted[other] = idp.Trusted{Issuer: n.nodeURL(i, 2), Key: &n.keys.idp[other].PublicKey}
	}
	// wrap adds the SAML service provider's routes (ACS, metadata) to
	// the handler of each web application that has one.
	wrap := map[string]func(http.Handler) http.Handler{}
	login := func(client, base string) (eid.Authenticator, error) {
		demo, err := idp.NewClient(idp.ClientConfig{ClientID: client + "-" + cc, Providers: trusted, BaseURL: base, HTTPClient: n.client,
			Logger: log.With("component", client+" login")})
		if err != nil || (len(n.cfg.OIDC) == 0 && len(n.cfg.SAML) == 0) {
			return demo, err
		}
		mux := &eid.Mux{Default: demo, ByCountry: map[string]eid.OwningAuthenticator{}}
		if len(n.cfg.OIDC) > 0 {
			// The countries of Config.OIDC log in at their OpenID provider,
			// the others at the demo identity providers.
			pending, err := oidc.NewSQLPending(ctx, nd.DB, client)
			if err != nil {
				return nil, err
			}
			rp, err := oidc.New(oidc.Config{Providers: n.cfg.OIDC, Country: cc, BaseURL: base, Reauthenticate: client == "preview", Pending: pending,
				Logger: log.With("component", client+" oidc login")})
			if err != nil {
				return nil, err
			}
			for c := range n.cfg.OIDC {
				mux.ByCountry[c] = rp
			}
		}
		if len(n.cfg.SAML) > 0 {
			// The countries of Config.SAML log in at their eIDAS node.
			sp, err := n.samlSP(ctx, cc, nd.DB, client, base, log.With("component", client+" saml login"))
			if err != nil {
				return nil, err
			}
			wrap[client] = sp.Handler
			for c := range n.cfg.SAML {
				mux.ByCountry[c] = sp
			}
		}
		return mux, nil
	}
	wrapped := func(client string, h http.Handler) http.Handler {
		if w := wrap[client]; w != nil {
			return w(h)
		}
		return h
	}

	// The provider connector and its preview space.
	records, err := demo.Records(ctx, cc)
	if err != nil {
		return nil, err
	}
	authorities, err := demo.Authorities(ctx, cc, records)
	if err != nil {
		return nil, err
	}
	procedureTitles, err := demo.ProcedureTitles(ctx)
	if err != nil {
		return nil, err
	}
	procedureNames := demo.ProcedureNamesOf(procedureTitles)
	inEnv(records, authorities, n.cfg.SREnvironment)
	for i := range authorities {
		authorities[i].WithoutPreview = n.cfg.WithoutPreview
		if n.cfg.DataService != nil {
			authorities[i].DataService = n.cfg.DataService(cc, authorities[i].DataService)
		}
	}
	cat, err := demoCatalogue(ctx, cc, n.cfg.SREnvironment)
	if err != nil {
		return nil, err
	}
	n.cats[cc] = cat
	authorities = append(authorities, testAuthorities(cat, authorities)...)
	beyond := !slices.Contains(n.cfg.StandardNodes, cc)
	previewLogin, err := login("preview", nd.PreviewURL)
	if err != nil {
		return nil, err
	}
	var returns []string
	for i := range n.cfg.Countries {
		returns = append(returns, n.nodeURL(i, 0)+"/")
	}
	be := &nodewire.Dispatch{Journal: nd.Journal}
	if nd.AP, nd.PMode, nd.APIToken, err = n.accessPoint(cc, nd.DB, endpoints, be, dir); err != nil {
		return nil, err
	}
	nd.Provider, err = provider.New(provider.Config{DB: nd.DB, Sender: nd.AP, Providers: authorities, PreviewBase: nd.PreviewURL,
		ReturnAllow: returns, Authenticator: previewLogin, Timeouts: provider.Timeouts{T1: n.cfg.T1, T2: n.cfg.T2, T3: n.cfg.T3},
		Consent: provider.ConsentPolicy{Enabled: beyond, Validity: n.cfg.ConsentValidity}, Rules: n.cfg.Rules, ProcedureNames: procedureNames,
		Journal: nd.Journal, Logger: log.With("component", "provider")})
	if err != nil {
		return nil, err
	}
	n.serve(l[1], wrapped("preview", nd.Provider.Handler()))

	// The requester connector and the portal.
	cs, err := n.csClient()
	if err != nil {
		return nil, err
	}
	if nd.RequesterToken, err = apiToken(filepath.Join(n.cfg.Dir, "keys", "requester-token-"+cc)); err != nil {
		return nil, err
	}
	nd.Requester, err = requester.New(ctx, requester.Config{DB: nd.DB, Sender: nd.AP, Services: cs,
		Requester: edm.Agent{Identifier: edm.SchemeID(Scheme(cc), cc+"-ER-PORTAL"), Name: []edm.Text{edm.Lang("EN", "Procedure portal of "+countryNames[cc])},
			Address: &edm.Address{AdminUnitLevel1: cc}, Classification: "ER"},
		Route: route, Background: beyond, APIToken: nd.RequesterToken, T1: n.cfg.T1, T2: n.cfg.T2, T3: n.cfg.T3, Journal: nd.Journal, Logger: log.With("component", "requester"),
		// Every second: a deferred evidence (a few seconds in the demo,
		// demo.DeferFor) is asked for again on time.
		SweepEvery: time.Second})
	if err != nil {
		return nil, err
	}
	be.Provider, be.Requester, be.Failed = nd.Provider, nd.Requester, nd.Requester.ReportSendFailure
	if nd.lcm, err = lcmClient(cc, nd.AP); err != nil {
		return nil, err
	}
	be.LCM = nd.lcm
	portalLogin, err := login("portal", nd.PortalURL)
	if err != nil {
		return nil, err
	}
	var others []string
	for _, other := range n.cfg.Countries {
		if other != cc {
			others = append(others, other)
		}
	}
	pt, err := portal.New(portal.Config{Country: cc, Name: "Procedure portal of " + countryNames[cc], BaseURL: nd.PortalURL, Service: nd.Requester,
		Authenticator: portalLogin, Procedures: portal.DemoProcedures(procedureTitles), Countries: others, DB: nd.DB, PreferStructured: beyond, Logger: log.With("component", "portal")})
	if err != nil {
		return nil, err
	}
	n.serve(l[0], wrapped("portal", pt.Handler()))

	mux := http.NewServeMux()
	mux.Handle(requester.APIPrefix+"/", nd.Requester.Handler())
	mux.Handle("/", nd.AP.Handler())
	n.serve(l[3], mux)

	for _, run := range []func(context.Context) error{nd.AP.Run, nd.Provider.Run, nd.Requester.Run} {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); run(runCtx) }()
	}
	return nd, nil
}

// nodeURL is the URL of listener j of the i-th node once the listeners are
// open.
func (n *Network) nodeURL(i, j int) string { return n.urls[10*(i+1)+j] }

// route maps a DSD AccessService identifier to the P-Mode party of the demo
// network: the party is named by its id; the conformance tester's
// AccessService (TesterCountry) is the kit's party TesterParty.
func route(id edm.Identifier) (string, error) {
	for cc := range schemes {
		if id.Value == partyName(cc) {
			return id.Value, nil
		}
	}
	if id.Value == TesterParty {
		return TesterParty, nil
	}
	return "", fmt.Errorf("demonet: no access point %q in the network", id.Value)
}

// secretFile reads a 32-byte key, making it on first use.
func secretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = make([]byte, 32)
		rand.Read(b)
		err = os.WriteFile(path, b, 0o600)
	}
	if err == nil && len(b) != 32 {
		err = fmt.Errorf("demonet: %s does not hold a 32-byte key", path)
	}
	return b, err
}

// inEnv names the evidence types of a node's register and evidence
// providers as the Common Services of the environment env of the Semantic
// Repository do (demo.ID).
func inEnv(records *provider.Records, auths []provider.Authority, env string) {
	if env == "" {
		return
	}
	rename := func(m map[string][]provider.Document) map[string][]provider.Document {
		out := make(map[string][]provider.Document, len(m))
		for k, v := range m {
			out[demo.ID(k, env)] = v
		}
		return out
	}
	for i := range records.People {
		records.People[i].Evidence = rename(records.People[i].Evidence)
	}
	for i := range records.Companies {
		records.Companies[i].Evidence = rename(records.Companies[i].Evidence)
	}
	for i := range auths {
		for j := range auths[i].EvidenceTypes {
			t := &auths[i].EvidenceTypes[j]
			t.Classification = demo.ID(t.Classification, env)
		}
	}
}
