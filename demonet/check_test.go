package demonet_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/saxontest"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// officialDefects are official TDD 1.0 rules that no message of their kind
// can pass, with the reason; they are not run by the independent verifier.
var officialDefects = map[string]string{
	"EDM-ERR-C.sch": "its R-EDM-ERR-C022 compares the PreviewLocation URL with the number 1, an error on every preview request",
}

// exchanged returns the RegRep document of every message the nodes of n
// received (each message of the network is received by one node), by
// eb:MessageId.
func exchanged(t *testing.T, n *demonet.Network) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, nd := range n.Nodes {
		var after int64
		for {
			ms, err := nd.DB.ListInbound(context.Background(), apstore.InboundFilter{AfterSeq: after, IncludeAcked: true, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				break
			}
			for _, m := range ms {
				after = m.Seq
				rm, err := nd.AP.Received(context.Background(), m.MessageID)
				if err != nil || len(rm.Payloads) == 0 {
					t.Fatalf("%s: message %s has no payload: %v", nd.Country, m.MessageID, err)
				}
				out[nd.Country+" "+m.MessageID] = rm.Payloads[0].Data
			}
		}
	}
	return out
}

// checkExchanged runs on every exchanged message what `oots validate` runs
// (structure, code lists, the business rules of its version) and, for EDM
// 1.x, the official TDD 1.0 Schematron through the independent verifier
// (Saxon, one JVM run per rule file: package saxontest); it returns the
// kinds seen.
func checkExchanged(t *testing.T, n *demonet.Network) map[string]int {
	t.Helper()
	kinds := map[string]int{}
	docs, kindOf, rules := map[string][]byte{}, map[string]string{}, map[string][]string{}
	lim := edm.Limits()
	for id, doc := range exchanged(t, n) {
		tree, err := xmltree.Parse(strings.NewReader(string(doc)), &lim)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		m, findings, err := edm.ParseDocument(tree)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		kinds[string(m.Kind())+" "+string(m.Version())]++
		findings = append(findings, edm.Check(m)...)
		rs, err := schematron.ForKind(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		findings = append(findings, rs.Validate(tree)...)
		for _, f := range findings {
			if f.Flag == check.Fatal || f.Flag == check.Error {
				t.Errorf("%s (%s %s): %s %s at %s: %s", id, m.Kind(), m.Version(), f.Rule, f.Flag, f.Location, f.Message)
			}
		}
		if m.Version().Is2() {
			continue
		}
		name := strings.NewReplacer(" ", "_", "@", "_", "/", "_").Replace(id) + ".xml"
		docs[name], kindOf[name] = doc, string(m.Kind())
		files, err := schematron.Files(string(m.Kind()), string(m.Version()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, skip := officialDefects[filepath.Base(f)]; !skip {
				sch := testenv.Spec(t, "tdd-1.0/sch/"+filepath.Base(f))
				rules[sch] = append(rules[sch], name)
			}
		}
	}
	saxontest.Errors(saxontest.Run(t, docs, rules), func(sch, name string, f saxontest.Fired) {
		t.Errorf("%s (%s): official rules %s: %s %s %s", name, kindOf[name], sch, f.ID, f.Flag, f.Location)
	})
	return kinds
}
