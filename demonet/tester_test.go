package demonet_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestConformanceFiles: the network writes what the conformance kit needs
// to test each node (target file, scenario file, the kit's P-Mode and
// credentials, the anchors), every node's backend API wants its token, and a
// restarted network keeps the kit's credentials and the tokens.
func TestConformanceFiles(t *testing.T) {
	testenv.SkipShort(t, "a demo network and conformance runs (seconds)")
	ctx := context.Background()
	dir := t.TempDir()
	tester := "http://" + freeAddr(t) + "/as4"
	cfg := demonet.Config{Dir: dir, Countries: []string{"DE", "FR"}, TesterEndpoint: tester}
	n, err := demonet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cdir := n.ConformanceDir
	cert := func() string {
		b, err := os.ReadFile(filepath.Join(cdir, demonet.TesterParty+".sign.cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	firstCert, tokens := cert(), map[string]string{}
	for _, nd := range n.Nodes {
		tokens[nd.Country] = nd.APIToken
		if len(nd.APIToken) != 64 {
			t.Errorf("%s: API token %q is not 32 bytes in hex", nd.Country, nd.APIToken)
		}
		// The backend API is closed without the token.
		for _, tok := range []string{"", "wrong", nd.APIToken} {
			req, _ := http.NewRequest(http.MethodGet, nd.APURL+"/api/v1/inbox", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := n.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := http.StatusUnauthorized
			if tok == nd.APIToken {
				want = http.StatusOK
			}
			if resp.StatusCode != want {
				t.Errorf("%s: /api/v1/inbox with token %q: HTTP %d, want %d", nd.Country, tok, resp.StatusCode, want)
			}
		}
		// The target file: every path resolves to a file that exists.
		if nd.ConformanceTarget != filepath.Join(cdir, nd.Country+".yaml") {
			t.Errorf("%s: target file %q", nd.Country, nd.ConformanceTarget)
		}
		b, err := os.ReadFile(nd.ConformanceTarget)
		if err != nil {
			t.Fatal(err)
		}
		tf, err := conformance.ParseTarget(b)
		if err != nil {
			t.Fatalf("%s: %v", nd.ConformanceTarget, err)
		}
		tf.Resolve(cdir)
		for _, p := range []string{tf.PMode, tf.Keys, tf.APITokenFile, tf.TLSCA, tf.CSTrust, tf.Scenarios} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: %v", nd.Country, err)
			}
		}
		if tok, _ := os.ReadFile(tf.APITokenFile); strings.TrimSpace(string(tok)) != nd.APIToken {
			t.Errorf("%s: the token file does not hold the node's token", nd.Country)
		}
		if tf.Node != "AP-"+nd.Country || tf.AS4 != nd.APURL+"/as4" || tf.Listen != strings.TrimSuffix(strings.TrimPrefix(tester, "http://"), "/as4") ||
			tf.MaxBody != demonet.MaxBodySize || tf.Leg != demonet.TestLeg || tf.PreviewLogin != conformance.PreviewLoginDemo {
			t.Errorf("%s: target %+v", nd.Country, tf)
		}
		// The scenario file: TC01–TC10, a requester of another country.
		b, err = os.ReadFile(tf.Scenarios)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := conformance.ParseScenarios(b)
		if err != nil {
			t.Fatalf("%s: %v", tf.Scenarios, err)
		}
		if len(sc) != 10 {
			t.Errorf("%s: %d scenarios, want 10", nd.Country, len(sc))
		}
		for i, s := range sc {
			if want := fmt.Sprintf("TC%02d", i+1); s.ID != want {
				t.Errorf("%s: scenario %d is %s, want %s", nd.Country, i, s.ID, want)
			}
			q := s.Requests[0].Request
			if s.Requests[0].To != "AP-"+nd.Country || q.EvidenceRequester[0].Identifier.Value != demonet.KitRequester(nd.Country) ||
				strings.HasPrefix(demonet.KitRequester(nd.Country), nd.Country) {
				t.Errorf("%s: %s goes to %s from %s", nd.Country, s.ID, s.Requests[0].To, q.EvidenceRequester[0].Identifier.Value)
			}
		}
		if p := sc[0].Requests[0].Request.EvidenceProvider.Identifier.Value; p != demonet.TestProvider(nd.Country) {
			t.Errorf("%s: TC01 asks %s, want the test service", nd.Country, p)
		}
	}
	// The kit's P-Mode: the tester at its endpoint, every node with its
	// certificates, the test leg.
	b, err := os.ReadFile(filepath.Join(cdir, "pmode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := pmode.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Self != demonet.TesterParty {
		t.Errorf("the kit's P-Mode is of %q", pm.Self)
	}
	for _, p := range pm.Parties {
		if p.Name == demonet.TesterParty && p.Endpoint != tester {
			t.Errorf("the tester's endpoint is %q, want %q", p.Endpoint, tester)
		}
		if _, err := os.Stat(filepath.Join(cdir, p.EncryptionCertificate)); err != nil || p.Endpoint == "" {
			t.Errorf("party %s: endpoint %q, encryption certificate %v", p.Name, p.Endpoint, err)
		}
	}
	if leg, err := pm.Leg(demonet.TestLeg); err != nil || leg.Service.Value != as4.TestService || leg.Action != as4.TestAction {
		t.Errorf("test leg: %+v, %v", leg, err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n2 := startNet(t, cfg)
	if cert() != firstCert {
		t.Error("the restarted network issued the kit new credentials")
	}
	for _, nd := range n2.Nodes {
		if nd.APIToken != tokens[nd.Country] {
			t.Errorf("%s: the restarted node has a new API token", nd.Country)
		}
	}
}

// TestPreviewUserErrors: the preview user says which step failed.
func TestPreviewUserErrors(t *testing.T) {
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}})
	roots := x509.NewCertPool()
	roots.AddCert(n.TLSCA)
	u := &conformance.DemoPreviewUser{Roots: roots}
	de := n.Node("DE")
	for _, tc := range []struct {
		name, loc, as string
		d             conformance.Decision
		step          string
	}{
		{"unknown decision", de.PreviewURL + "/preview/x", "DE/FR/3f8a2c61d9", "maybe", "decision"},
		{"not an identifier", de.PreviewURL + "/preview/x", "3f8a2c61d9", conformance.Approve, "choosing the demo user"},
		{"unknown user", de.PreviewURL + "/preview/x", "DE/FR/0000000000", conformance.Approve, "choosing the demo user"},
		{"plain http", strings.Replace(de.PreviewURL, "https:", "http:", 1) + "/preview/x", "DE/FR/3f8a2c61d9", conformance.Approve, "the preview link"},
		{"no preview", de.PreviewURL + "/consents", "DE/FR/3f8a2c61d9", conformance.Approve, "the preview link"},
		{"unknown token", de.PreviewURL + "/preview/unknowntoken0123456789", "DE/FR/3f8a2c61d9", conformance.Refuse, "opening the preview link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := u.Decide(context.Background(), tc.loc, tc.as, tc.d)
			if !errors.Is(err, conformance.ErrDemoPreview) || !strings.Contains(err.Error(), tc.step) {
				t.Errorf("error %v, want ErrDemoPreview at step %q", err, tc.step)
			}
		})
	}
	// Without the demo CA the preview space is not trusted.
	err := (&conformance.DemoPreviewUser{}).Decide(context.Background(), de.PreviewURL+"/preview/x", "DE/FR/3f8a2c61d9", conformance.Approve)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the demo CA: %v", err)
	}
}
