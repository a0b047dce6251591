package demonet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnsserver"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// DiscoveredCountry is the demo country whose access point the others find
// by dynamic discovery (BDXL, then SMP) instead of static P-Modes.
const DiscoveredCountry = "SE"

// DNSZone is the BDXL zone of the demo network's DNS server (an SML zone).
const DNSZone = "sml.oots-demo.test"

// The identifiers the discovered access point is registered under in the
// SMP: the document type and process of the OOTS evidence exchange (every
// message to the access point, whatever its action, is looked up with
// them).
var (
	discoveryDocument = smp.ID{Scheme: "oots-docid-qns", Value: "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0::QueryRequest##oots-edm:v1.0"}
	discoveryProcess  = smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:evidence-exchange"}
)

// Participant returns the SMP participant identifier of a demo country's
// access point: its party id under the EAS code of the country as ISO 6523
// ICD, in the iso6523-actorid-upis scheme (e.g.
// iso6523-actorid-upis::0007:AP-SE). Only the ISO 6523 form is a valid BDXL
// scheme label, not the URN of the P-Mode party id.
func Participant(cc string) smp.ID {
	return smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: schemes[cc] + ":" + partyName(cc)}
}

// discovery is the demo network's dynamic discovery infrastructure: the
// DNS server of the BDXL zone and the SMP.
type discovery struct {
	dns         *dnsserver.Server
	smpURL      string
	smpCA       *pki.Credential
	store       smp.Store
	smpRequests atomic.Uint64
}

// startDiscovery starts the DNS server (Port+2, UDP and TCP) and the SMP
// (Port+1, HTTPS, its entries in Dir/smp/smp.db, signed with
// keys/smp-signer.*, issued by keys/smp-ca.*), registers the access point of
// DiscoveredCountry with its endpoint and encryption certificate, and
// publishes the BDXL record of its participant pointing to the SMP.
func (n *Network) startDiscovery(ctx context.Context, endpoints map[string]string) error {
	d := &discovery{}
	n.disc = d
	smpLn, err := n.listen(1)
	if err != nil {
		return err
	}
	d.smpURL = smpLn.url
	port := 0
	if n.cfg.Port != 0 {
		port = n.cfg.Port + 2
	}
	if d.dns, err = dnsserver.Start(dnsserver.Config{Zone: DNSZone, Addr: net.JoinHostPort(n.cfg.Host, strconv.Itoa(port)),
		Logger: n.cfg.Logger.With("component", "dns")}); err != nil {
		return fmt.Errorf("demonet: DNS server: %w", err)
	}
	n.closers = append(n.closers, d.dns.Close)
	n.DNS, n.SMP = d.dns.Addr(), d.smpURL

	keys := filepath.Join(n.cfg.Dir, "keys")
	if d.smpCA, err = credential(keys, "smp-ca", func() (*pki.Credential, error) { return pki.NewCA("oots demo SMP CA", wssec.AS4v20, nil) }); err != nil {
		return err
	}
	signer, err := credential(keys, "smp-signer", func() (*pki.Credential, error) {
		p, err := pki.Issue(d.smpCA, "oots demo SMP", wssec.AS4v20, nil)
		if err != nil {
			return nil, err
		}
		return p.Sign, nil
	})
	if err != nil {
		return err
	}
	dir, err := mkdir(filepath.Join(n.cfg.Dir, "smp"))
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, filepath.Join(dir, "smp.db"))
	if err != nil {
		return err
	}
	n.closers = append(n.closers, db.Close)
	st, err := smp.NewSQLStore(ctx, db)
	if err != nil {
		return err
	}
	log := n.cfg.Logger.With("component", "smp")
	srv, err := smp.NewServer(smp.Config{Store: st, Key: signer.Signer(), Certificate: signer.Cert, BaseURL: d.smpURL, Logger: log})
	if err != nil {
		return err
	}
	n.serve(smpLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.smpRequests.Add(1)
		log.Debug("smp request", slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()))
		srv.ServeHTTP(w, r)
	}))

	cc := DiscoveredCountry
	if _, ok := endpoints[cc]; !ok {
		return nil // not in this network: nothing to discover
	}
	d.store = st
	p := Participant(cc)
	if err := st.PutParticipant(ctx, p); err != nil {
		return fmt.Errorf("demonet: SMP registration of %s: %w", p, err)
	}
	if err := st.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: p, DocumentType: discoveryDocument,
		Processes: []smp.Process{{ID: discoveryProcess, Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportEBMS3AS4,
			URL: endpoints[cc], Certificate: n.keys.aps[cc].Encrypt.Cert.Raw, Description: "Access point of " + countryNames[cc]}}}}}); err != nil {
		return fmt.Errorf("demonet: SMP registration of %s: %w", p, err)
	}
	return n.publish(cc)
}

// bdxlName is the BDXL name of a country's participant in DNSZone.
func bdxlName(cc string) (string, error) {
	p := Participant(cc)
	return bdxl.Name(bdxl.Participant{Scheme: p.Scheme, Value: p.Value}, DNSZone)
}

// publish sets the U-NAPTR record of cc's participant: Meta:SMP, the SMP's
// base URL.
func (n *Network) publish(cc string) error {
	name, err := bdxlName(cc)
	if err != nil {
		return err
	}
	return n.disc.dns.SetNAPTR(name, []csdiscovery.NAPTR{{Order: 100, Preference: 10, Flags: "U", Service: bdxl.Service,
		Regexp: "!^.*$!" + n.disc.smpURL + "/!"}})
}

// discoveredPartners returns what the access point of cc needs to reach
// the discovered access point: its P-Mode party marked as discovered, and
// a resolver (BDXL against the demo DNS server, then the SMP, whose
// signature must chain to the demo SMP CA; the endpoint certificate must be
// issued by the AS4 CA). Nil for DiscoveredCountry itself, which sends
// statically.
func (n *Network) discoveredPartners(cc string) (map[string]ap.DiscoveredPartner, ap.PartnerResolver) {
	// DiscoveredCountry is registered (d.store set) only when it runs a node.
	if n.disc == nil || n.disc.store == nil || cc == DiscoveredCountry {
		return nil, nil
	}
	return map[string]ap.DiscoveredPartner{partyName(DiscoveredCountry): {Participant: Participant(DiscoveredCountry),
			DocumentType: discoveryDocument, Process: discoveryProcess}},
		&smp.Client{
			BDXL:              &bdxl.Resolver{DNS: &csdiscovery.Client{Server: n.disc.dns.Addr(), Timeout: time.Second}, Zone: DNSZone},
			Trust:             trust.NewStore(n.disc.smpCA.Cert),
			EndpointTrust:     trust.NewStore(n.keys.ca.Cert),
			TransportProfiles: []string{smp.TransportEBMS3AS4},
			HTTP:              n.client,
			CacheTTL:          time.Minute,
		}
}
