package demonet_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/oots-go/oots/demonet"
)

func startNet(t testing.TB, cfg demonet.Config) *demonet.Network {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if os.Getenv("OOTS_E2E_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	n, err := demonet.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestPagesAnswer: every server of every node answers over HTTPS, and every
// web page a citizen opens (portal, preview space, identity provider)
// carries HSTS.
func TestPagesAnswer(t *testing.T) {
	n := startNet(t, demonet.Config{})
	for _, nd := range n.Nodes {
		for _, u := range []struct {
			url  string
			hsts bool
		}{
			{nd.PortalURL + "/", true}, {nd.APURL + "/healthz", false},
			{nd.IdPURL + "/.well-known/jwks.json", true}, {nd.PreviewURL + "/preview.css", true},
		} {
			resp, err := n.Client().Get(u.url)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: HTTP %d %s", u.url, resp.StatusCode, b)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); u.hsts && got == "" {
				t.Errorf("%s: no Strict-Transport-Security", u.url)
			}
		}
	}
}
