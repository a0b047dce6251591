package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/lcm"
	"github.com/oots-go/oots/store"
)

// lcmFlags are the options of "oots cs serve" for the LCM interface.
type lcmFlags struct {
	tokens  string   // -lcm-tokens FILE
	as4     string   // -as4 CONFIG.yaml
	parties []string // -lcm-party PARTY=CC (repeatable)
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// readLCMTokens reads the bearer tokens of the HTTP binding of LCM: one a
// line, "TOKEN COUNTRY PARTY" — COUNTRY the Member State whose objects the
// caller changes, "-" for the operator; PARTY a name for the logs. Blank
// lines and lines starting with # are skipped. A token is at least 16
// characters.
func readLCMTokens(path string) (csregistry.LCMTokens, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-lcm-tokens: %w", err)
	}
	return parseLCMTokens(path, b)
}

func parseLCMTokens(path string, b []byte) (csregistry.LCMTokens, error) {
	out := csregistry.LCMTokens{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("-lcm-tokens: %s line %d: want TOKEN COUNTRY PARTY", path, line)
		}
		if len(f[0]) < 16 {
			return nil, fmt.Errorf("-lcm-tokens: %s line %d: the token is shorter than 16 characters", path, line)
		}
		s := csregistry.Submitter{Party: f[2]}
		if f[1] != "-" {
			if !countryCode.MatchString(f[1]) {
				return nil, fmt.Errorf("-lcm-tokens: %s line %d: country %q is not an ISO 3166-1 alpha-2 code or -", path, line, f[1])
			}
			s.Country = f[1]
		}
		if _, dup := out[f[0]]; dup {
			return nil, fmt.Errorf("-lcm-tokens: %s line %d: the token is used twice", path, line)
		}
		out[f[0]] = s
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-lcm-tokens: %s holds no token", path)
	}
	return out, nil
}

// lcmParties reads the -lcm-party values: PARTY=CC.
func lcmParties(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		p, cc, ok := strings.Cut(v, "=")
		if !ok || p == "" || !countryCode.MatchString(cc) {
			return nil, fmt.Errorf("-lcm-party %q: want PARTY=CC (a P-Mode party and an ISO 3166-1 alpha-2 code)", v)
		}
		out[p] = cc
	}
	return out, nil
}

// serveLCMAS4 runs the access point of the Common Services for LCM over AS4
// (package lcm): the node of the "oots serve" configuration file at path
// (its P-Mode holds the LCM legs and the Member States' parties), with the
// LCM server on reg as its backend for the parties of parties. It returns
// the address it listens on and a function that stops it.
func serveLCMAS4(ctx context.Context, env *Env, log *slog.Logger, reg *csregistry.Registry, path string, parties map[string]string) (string, func(), error) {
	if len(parties) == 0 {
		return "", nil, fmt.Errorf("-as4: no -lcm-party: no Member State could submit")
	}
	c, err := loadServeConfig(path, env.Getenv, false)
	if err != nil {
		return "", nil, fmt.Errorf("-as4: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(c.path(c.DataDir), "tmp"), 0o700); err != nil {
		return "", nil, fmt.Errorf("-as4: dataDir: %w", err)
	}
	ncfg, err := c.nodeConfig(log.With("component", "ap"), nil)
	if err != nil {
		return "", nil, fmt.Errorf("-as4: %w", err)
	}
	for p := range parties {
		if _, err := ncfg.PMode.Party(p); err != nil {
			return "", nil, fmt.Errorf("-lcm-party: %s is not a party of the P-Mode %s", p, c.PMode)
		}
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return "", nil, fmt.Errorf("-as4: database: %w", err)
	}
	be := &csLCMBackend{log: log}
	ncfg.Store, ncfg.Backend = db, be
	node, err := ap.New(*ncfg)
	if err != nil {
		db.Close()
		return "", nil, fmt.Errorf("-as4: %w", err)
	}
	srv, err := lcm.NewServer(lcm.ServerConfig{Registry: reg, AP: node, Parties: parties, Logger: log.With("component", "lcm")})
	if err != nil {
		db.Close()
		return "", nil, err
	}
	be.srv = srv
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		db.Close()
		return "", nil, fmt.Errorf("-as4: listen: %w", err)
	}
	hs := &http.Server{Handler: node.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go hs.Serve(ln)
	go func() { node.Run(runCtx); close(done) }()
	return ln.Addr().String(), func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		hs.Shutdown(sctx)
		cancel()
		<-done
		db.Close()
	}, nil
}

// csLCMBackend hands the LCM requests the Common Services' access point
// receives to the LCM server.
// receives to the LCM server; another message is logged and dropped (the
// Common Services take LCM messages only).
type csLCMBackend struct {
	srv *lcm.Server
	log *slog.Logger
}

func (b *csLCMBackend) Deliver(ctx context.Context, m *ap.ReceivedMessage) error {
	if !lcm.Is(m) {
		b.log.Warn("not an LCM message: dropped", "messageId", m.MessageID, "service", m.Service.Value, "action", m.Action)
		return nil
	}
	return b.srv.Deliver(ctx, m)
}
