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
	"path"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/schematron"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// CaptureDir is the folder of the captured answers, relative to the shared
// specification folder.
const CaptureDir = "edm-2.0-oots-france/common_services"

// captures are the captured answers, in load order: the whole EB catalogue
// first, then the answers that add evidence type lists and data services.
var captures = []string{"eb_requirements_catalogue.xml", "eb_evidence_types_fr.xml", "eb_requirements_fr.xml", "dsd_data_services_fi.xml"}

// captureTolerance lists the TDD 1.0 rules that the content of the
// Commission's 2.0 answers fails when submitted: the 1.0 Procedures list
// lacks the procedure codes of the 2.0 catalogue (00, X10, X11, AM1…); the
// rules expect the production Semantic Repository host where the acceptance
// one (sr.acc.oots.tech.ec.europa.eu) is used, and oots-edm:v1.0 as access
// service version; and an EB submission must include evidence types and
// lists, which the requirements catalogue has none of.
var captureTolerance = []string{
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
		r, err := csregistry.Open(context.Background(), csregistry.Config{TolerateRules: captureTolerance})
		if err != nil {
			captureErr = err
			return
		}
		for _, n := range captures {
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
	ca, err := pki.NewCA("oots cs test CA", wssec.AS4v20, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := pki.IssueES256(ca, "oots cs test signer", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &csrest.Signer{Key: c.Key.(*ecdsa.PrivateKey), Chain: []*x509.Certificate{c.Cert, ca.Cert}}, trust.NewStore(ca.Cert)
}

// AnySigner returns a fresh signing chain, for handlers whose signatures
// the test does not check.
func AnySigner(tb testing.TB) *csrest.Signer {
	tb.Helper()
	s, _ := Signer(tb)
	return s
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

// Answer is a Common Services answer to check with the official rules.
type Answer struct {
	Name string
	Body []byte
}

// CheckRules runs the official TDD 1.0 rule files of each answer's kind on
// it, through our engine (package schematron) and through the independent
// verifier (Saxon-HE, one JVM run for all answers), and fails the test on
// any error or fatal finding of either.
func CheckRules(t *testing.T, answers []Answer) {
	t.Helper()
	docs := map[string][]byte{}
	rules := map[string][]string{}
	flags := map[string]map[string]check.Flag{} // our engine's flag per rule id, per answer
	for _, a := range answers {
		m, _, err := edm.ParseBytes(a.Body)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		rs, err := schematron.ForKind(string(m.Kind()), string(edm.CSv1))
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		doc, err := xmltree.ParseBytes(a.Body, nil)
		if err != nil {
			t.Fatal(err)
		}
		flags[a.Name] = map[string]check.Flag{}
		for _, f := range rs.Validate(doc) {
			flags[a.Name][f.Rule] = f.Flag
			if f.Flag == check.Error || f.Flag == check.Fatal {
				t.Errorf("%s (%s): our engine: %s %s %s: %s", a.Name, m.Kind(), f.Rule, f.Flag, f.Location, f.Message)
			}
		}
		files, err := schematron.Files(string(m.Kind()), string(edm.CSv1))
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := docs[a.Name]; dup {
			t.Fatalf("two answers named %q", a.Name)
		}
		docs[a.Name] = a.Body
		for _, f := range files {
			sch := testenv.Spec(t, "tdd-1.0/sch/"+path.Base(f))
			rules[sch] = append(rules[sch], a.Name)
		}
	}
	for sch, perDoc := range saxontest.Run(t, docs, rules) {
		for name, fired := range perDoc {
			for _, f := range fired {
				// An assertion without a flag: its role (which the SVRL
				// does not carry) decides, as our engine read it.
				ours, seen := flags[name][f.ID]
				if f.Flag == "error" || f.Flag == "fatal" || f.Flag == "-" && (!seen || ours == check.Error || ours == check.Fatal) {
					t.Errorf("%s: Saxon %s: %s %s %s", name, sch, f.ID, f.Flag, f.Location)
				}
			}
		}
	}
}

// DemoRegistry returns a registry loaded with the demo data set.
func DemoRegistry(tb testing.TB) *csregistry.Registry {
	tb.Helper()
	r, err := csregistry.Open(context.Background(), csregistry.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := demo.Load(context.Background(), r); err != nil {
		tb.Fatal(err)
	}
	return r
}

// RuleCounts runs the official TDD 1.0 rules of the answer's kind through our
// engine and counts the error and fatal findings per rule id. The 2.0
// answers of the Commission's services fail some 1.0 rules; ours must fail
// the same ones, the same number of times (the captured answers are the
// reference shape of 2.0 answers).
func RuleCounts(tb testing.TB, body []byte) map[string]int {
	tb.Helper()
	m, _, err := edm.ParseBytes(body)
	if err != nil {
		tb.Fatal(err)
	}
	rs, err := schematron.ForKind(string(m.Kind()), string(edm.CSv1))
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := xmltree.ParseBytes(body, nil)
	if err != nil {
		tb.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range rs.Validate(doc) {
		if f.Flag == check.Error || f.Flag == check.Fatal {
			counts[f.Rule]++
		}
	}
	return counts
}

// LoadCaptures returns a new registry into which the named captures were
// loaded through LCM, for tests that do not need the whole catalogue.
func LoadCaptures(tb testing.TB, names ...string) *csregistry.Registry {
	tb.Helper()
	r, err := csregistry.Open(context.Background(), csregistry.Config{TolerateRules: captureTolerance})
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		if err := r.LoadFile(context.Background(), Capture(tb, n)); err != nil {
			tb.Fatalf("loading %s: %v", n, err)
		}
	}
	return r
}
