// Package cstest holds what the tests of the Common Services packages (eb,
// dsd, csclient, csregistry, the CLI) share: registries loaded with the
// captured answers of the Commission's acceptance services or with the demo
// data, a test signing chain, and the comparison of registry content after
// canonicalisation.
package cstest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/internal/xmltree"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/trust"
)

// CaptureDir is the folder of the captured answers, relative to the shared
// specification folder.
const CaptureDir = "edm-2.0-oots-france/common_services"

// Captures are the captured answers, in load order: the whole EB catalogue
// first, then the answers that add evidence type lists and data services.
var Captures = []string{"eb_requirements_catalogue.xml", "eb_evidence_types_fr.xml", "eb_requirements_fr.xml", "dsd_data_services_fi.xml"}

// CaptureTolerance lists the TDD 1.0 rules that the content of the
// Commission's 2.0 answers fails when submitted: the 1.0 Procedures list
// lacks the procedure codes of the 2.0 catalogue (00, X10, X11, AM1…); the
// rules expect the production Semantic Repository host where the acceptance
// one (sr.acc.oots.tech.ec.europa.eu) is used, and oots-edm:v1.0 as access
// service version; and an EB submission must include evidence types and
// lists, which the requirements catalogue has none of.
var CaptureTolerance = []string{
	"R-EB-SUB-C001", "R-EB-SUB-C012", "R-EB-SUB-C023", "R-EDM-REQ-S044", "R-EDM-REQ-S045",
	"R-DSD-SUB-C002", "R-DSD-SUB-C023",
}

var (
	captureOnce sync.Once
	captureReg  *csregistry.Registry
	captureErr  error
)

// CaptureRegistry returns a registry into which every capture was loaded
// through LCM (csregistry.FromAnswer and Submit with the official rules). It
// is loaded once per test binary (the rules take seconds on the 600 KB
// catalogue) and must not be changed by the tests.
func CaptureRegistry(tb testing.TB) *csregistry.Registry {
	tb.Helper()
	dir := testenv.Spec(tb, CaptureDir)
	captureOnce.Do(func() {
		r, err := csregistry.Open(context.Background(), csregistry.Config{TolerateRules: CaptureTolerance})
		if err != nil {
			captureErr = err
			return
		}
		for _, n := range Captures {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err == nil {
				err = r.LoadFile(context.Background(), b)
			}
			if err != nil {
				captureErr = err
				return
			}
		}
		captureReg = r
	})
	if captureErr != nil {
		tb.Fatalf("loading the captures: %v", captureErr)
	}
	return captureReg
}

// Capture returns a captured answer's body.
func Capture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Spec(tb, CaptureDir), name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Signer returns a fresh ES256 signing chain (an Ed25519 test CA and an ES256
// signing certificate) and the trust store of its CA.
func Signer(tb testing.TB) (*csrest.Signer, *trust.Store) {
	tb.Helper()
	ca, err := pki.NewCA("oots cs test CA", pki.EdDSA, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := pki.IssueES256(ca, "oots cs test signer", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &csrest.Signer{Key: c.Key.(*ecdsa.PrivateKey), Chain: []*x509.Certificate{c.Cert, ca.Cert}}, trust.NewStore(ca.Cert)
}

// Content returns the registry content of an answer: for each
// rim:RegistryObject of its list, the exclusive canonical form of the SDG
// element its slot holds, whitespace between elements removed. Object ids,
// which each service generates, are left out.
func Content(tb testing.TB, body []byte) []string {
	tb.Helper()
	doc, err := xmltree.ParseBytes(body, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, l := range doc.Root.ChildrenNamed(regrep.NamespaceRIM, "RegistryObjectList") {
		for _, o := range l.ChildrenNamed(regrep.NamespaceRIM, "RegistryObject") {
			for _, s := range o.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
				for _, v := range s.ChildrenNamed(regrep.NamespaceRIM, "SlotValue") {
					for _, e := range v.Elements() {
						c := e.Copy()
						c.StripInsignificant()
						out = append(out, string(bytes.TrimSpace(c.Canonical())))
					}
				}
			}
		}
	}
	return out
}
