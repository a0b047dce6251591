package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/eid/oidc"
	"github.com/oots-go/oots/eid/saml"
)

// nodeSections checks the journal, requester and provider sections: the
// files they name, the P-Mode legs the connectors need, and, with network,
// that the Common Services and the data services answer.
func (d *doctor) nodeSections(ctx context.Context, c *serveConfig, ncfg *ap.Config, network bool, timeout time.Duration) {
	if c.Journal != nil {
		if key, err := readSmallFile(c.path(c.Journal.KeyFile)); err != nil {
			d.add(ruleConfig, check.Error, "journal.keyFile", "%v", err)
		} else if len(key) != 32 {
			d.add(ruleConfig, check.Error, "journal.keyFile", "%d bytes: the key is 32 random bytes", len(key))
		} else {
			d.add(ruleConfig, check.Info, "journal.keyFile", "journal key read")
		}
	}
	if ncfg.Webhook != nil && c.connected() {
		d.add(ruleConfig, check.Info, "webhook", "the connectors take the evidence exchange's messages; the webhook gets the others and their send failures")
	}
	if !c.connected() {
		return
	}
	if legs, err := exchangeLegs(ncfg.PMode); err != nil {
		d.add(rulePMode, check.Error, "pmode", "%v", err)
	} else {
		d.add(rulePMode, check.Info, "pmode", "the connectors use the legs %s, %s and %s", legs.Request, legs.Response, legs.Error)
	}
	var probes []probe
	if r := c.Requester; r != nil {
		if _, err := r.commonServices(c); err != nil {
			d.add(ruleConfig, check.Error, "requester.commonServices", "%v", err)
		}
		if err := r.checkRoutes(ncfg.PMode); err != nil {
			d.add(ruleConfig, check.Error, "requester.routes", "%v", err)
		}
		if r.CommonServices.EB != "" {
			// Discovered ones are checked with the environment.
			probes = append(probes, probe{"requester.commonServices.eb", r.CommonServices.EB}, probe{"requester.commonServices.dsd", r.CommonServices.DSD})
		}
	}
	if p := c.Provider; p != nil {
		if _, err := p.tlsConfig(c, nil); err != nil {
			d.add(ruleConfig, check.Error, "provider.tls", "%v", err)
		}
		ps := map[string]oidc.Provider{}
		for cc, f := range p.Login.OIDC {
			if err := readOIDCProvider(ps, cc+"="+c.path(f)); err != nil {
				d.add(ruleConfig, check.Error, "provider.login.oidc."+cc, "%v", err)
			}
		}
		if sp := p.Login.SAML; sp != nil {
			nodes := map[string]saml.Node{}
			for cc, f := range sp.Nodes {
				if err := readSAMLNode(nodes, cc+"="+c.path(f)); err != nil {
					d.add(ruleConfig, check.Error, "provider.login.saml.nodes."+cc, "%v", err)
				}
			}
			d.samlKeys(c, sp.SigningKey, sp.SigningCertificate, sp.EncryptionKey, sp.EncryptionCertificate)
		}
		if p.TLS == nil && (c.TLS == nil || c.TLS.Certificate == "") && !loopback(p.Listen) {
			d.add(ruleExposure, check.Warning, "provider.listen", "the preview space %s serves plain HTTP beyond this machine: put TLS here (provider.tls) or in a proxy in front of it", p.Listen)
		}
		for i, a := range p.Providers {
			for j, t := range a.EvidenceTypes {
				probes = append(probes, probe{fmt.Sprintf("provider.providers[%d].evidenceTypes[%d].dataService", i, j), t.DataService})
			}
		}
	}
	if !network {
		return
	}
	client := &http.Client{Timeout: timeout, Transport: ncfg.Client.Transport}
	var seen []string
	for _, pr := range probes {
		if slices.Contains(seen, pr.url) {
			continue
		}
		seen = append(seen, pr.url)
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, pr.url, nil)
		if err != nil {
			d.add(ruleReach, check.Error, pr.field, "%q: %v", pr.url, err)
			continue
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			d.add(ruleReach, check.Error, pr.field, "%s unreachable: %v", pr.url, err)
			continue
		}
		resp.Body.Close()
		d.add(ruleReach, check.Info, pr.field, "%s answered HTTP %d in %v", pr.url, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	}
}

// probe is a URL the doctor reaches, and the field that names it.
type probe struct{ field, url string }

// samlKeys checks the preview space's SAML keys as "oots serve" reads them
// at start (samlKeys, then saml.Config.ValidateKeys: the kinds and sizes of
// the keys, each with its certificate); a key transport the encryption key
// cannot decrypt is a warning.
func (d *doctor) samlKeys(c *serveConfig, signKey, signCert, encKey, encCert string) {
	const at = "provider.login.saml"
	cfg, err := samlKeys(c, signKey, signCert, encKey, encCert, func(msg string) { d.add(ruleConfig, check.Warning, at+".encryptionKey", "%s", msg) })
	if err == nil {
		err = cfg.ValidateKeys()
	}
	if err != nil {
		d.add(ruleConfig, check.Error, at, "%v", err)
		return
	}
	d.add(ruleConfig, check.Info, at+".encryptionKey", "the keys are those of their certificates; the encryption key decrypts an eIDAS node's key transport")
}
