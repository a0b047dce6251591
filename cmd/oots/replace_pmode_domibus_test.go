package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/wssec"
)

// domibusFile returns a P-Mode published with Domibus, unmodified
// (as4/pmode/testdata/domibus, EUPL-1.2).
func domibusFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "as4", "pmode", "testdata", "domibus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// domibusNode is the Domibus sample gateway blue_gw as an oots node in
// this process, started as oots serve starts it on the Domibus PMode XML
// file named (copied unmodified as pmode.xml beside its configuration),
// with eDelivery AS4 1.15 keys issued to blue_gw: the node's reloader
// (what the console's administrators use), the pmode file and the log.
// self is the configuration's self ("": the file's own party).
func domibusNode(t *testing.T, file, self string) (r *reloader, pmFile string, log *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"pki", "ca", "-profile", pkiFlag(wssec.AS4v115), "-out", filepath.Join(dir, "ca")},
		{"pki", "issue", "-profile", pkiFlag(wssec.AS4v115), "-ca", filepath.Join(dir, "ca"), "-name", "blue_gw", "-out", filepath.Join(dir, "blue")},
	} {
		var out, errOut bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		if code := Main(context.Background(), env, args); code != 0 {
			t.Fatalf("oots %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
	}
	pmFile = filepath.Join(dir, "pmode.xml")
	if err := os.WriteFile(pmFile, domibusFile(t, file), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := "listen: 127.0.0.1:0\npmode: pmode.xml\n"
	if self != "" {
		conf += "self: " + self + "\n"
	}
	conf += `keys:
  signingKey: blue/blue_gw.sign.key.pem
  signingCertificate: blue/blue_gw.sign.cert.pem
  decryptionKey: blue/blue_gw.enc.key.pem
  trust: [ca/ca.cert.pem]
api:
  token: "a-long-random-token-of-the-blue-gateway"
`
	confFile := filepath.Join(dir, "oots.yaml")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() (*serveConfig, error) {
		return loadServeConfig(confFile, func(string) string { return "" }, false)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	log = &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	cfg, err := c.nodeConfig(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "blue.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.Store, cfg.TempDir = db, t.TempDir()
	node, err := ap.New(*cfg)
	if err != nil {
		t.Fatalf("a node on %s: %v", file, err)
	}
	return &reloader{node: node, load: load, logger: logger}, pmFile, log
}

// partyNames are the names of the parties of a P-Mode.
func partyNames(c *pmode.Config) []string {
	var names []string
	for _, p := range c.Parties {
		names = append(names, p.Name)
	}
	return names
}

// hasLeg reports whether c has a leg of that name.
func hasLeg(c *pmode.Config, name string) bool {
	return slices.ContainsFunc(c.Legs, func(l pmode.Leg) bool { return l.Name == name })
}

// TestReplacePModeDomibus: a node started on a Domibus PMode XML (the
// three-gateway test P-Mode of Domibus's blue gateway) takes the Domibus
// sample gateway's P-Mode uploaded as the console uploads it: its two more
// parties and its push legs are in use, its pull processes are logged as
// left out, the file on disk is the upload and the file it replaced is
// kept as .previous. The P-Mode it started on, as a YAML P-Mode, is
// refused (the file keeps its kind), and so are Domibus files the node cannot use: another
// access point's (EUCEG_000001_AS4, not blue_gw) and one naming blue_gw
// with no process the node runs. A refused upload changes neither the
// files nor the P-Mode in use.
func TestReplacePModeDomibus(t *testing.T) {
	r, pmFile, log := domibusNode(t, "threegateways-blue.xml", "blue_gw")
	before := r.node.Partners().PMode
	if slices.Contains(partyNames(before), "white_gw") || hasLeg(before, "pushTestcase1tc1Action") {
		t.Fatalf("the P-Mode started on already has what the upload brings: %v", partyNames(before))
	}
	started := domibusFile(t, "threegateways-blue.xml")
	sample := domibusFile(t, "gw-sample-blue.xml")

	// (1) The sample gateway's P-Mode is taken and used.
	if err := r.ReplacePMode(context.Background(), sample); err != nil {
		t.Fatalf("the Domibus sample gateway's P-Mode: %v", err)
	}
	inUse := func(when string) {
		t.Helper()
		pm := r.node.Partners().PMode
		if pm.Self != "blue_gw" {
			t.Errorf("%s: the node is %q, want blue_gw", when, pm.Self)
		}
		for _, p := range []string{"red_gw", "blue_gw", "white_gw", "black_gw", "green_gw"} {
			if !slices.Contains(partyNames(pm), p) {
				t.Errorf("%s: party %s not in the P-Mode in use: %v", when, p, partyNames(pm))
			}
		}
		if len(pm.Legs) != 16 || !hasLeg(pm, "pushTestcase1tc1Action") || !hasLeg(pm, "pushConnectivityTest") {
			t.Errorf("%s: %d legs in use, want the 16 push legs of the sample gateway", when, len(pm.Legs))
		}
		white, err := pm.Party("white_gw")
		if err != nil || white.Endpoint != "http://localhost:8080/domibus/services/msh" {
			t.Errorf("%s: white_gw: %+v %v", when, white, err)
		}
	}
	inUse("after the upload")
	if got, _ := os.ReadFile(pmFile); !bytes.Equal(got, sample) {
		t.Error("pmode.xml is not the uploaded file")
	}
	if got, _ := os.ReadFile(pmFile + ".previous"); !bytes.Equal(got, started) {
		t.Error("pmode.xml.previous is not the file the upload replaced")
	}
	var leftOut int
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "left out") && strings.Contains(l, "pull") && strings.Contains(l, "pmode.xml") {
			leftOut++
		}
	}
	if leftOut != 6 {
		t.Errorf("%d pull processes logged as left out, want 6:\n%s", leftOut, log.String())
	}

	// unchanged checks that a refused upload left the files and the P-Mode
	// in use as the accepted one made them, and no temporary file.
	unchanged := func(what string) {
		t.Helper()
		if got, _ := os.ReadFile(pmFile); !bytes.Equal(got, sample) {
			t.Errorf("%s: pmode.xml changed", what)
		}
		if got, _ := os.ReadFile(pmFile + ".previous"); !bytes.Equal(got, started) {
			t.Errorf("%s: pmode.xml.previous changed", what)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(pmFile), ".pmode-*")); len(left) != 0 {
			t.Errorf("%s: temporary files left: %v", what, left)
		}
		inUse(what)
	}

	// (2) The P-Mode the node started on, as a YAML P-Mode, is refused:
	// the file stays a Domibus PMode XML.
	imported, err := pmode.ImportDomibus(domibusFile(t, "threegateways-blue.xml"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := imported.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pmode.Parse(y); err != nil {
		t.Fatalf("the YAML P-Mode is not one: %v", err)
	}
	err = r.ReplacePMode(context.Background(), y)
	if err == nil || !strings.Contains(err.Error(), "pmode.xml holds a Domibus PMode XML and the upload is a YAML P-Mode") {
		t.Fatalf("a YAML P-Mode over the Domibus file: %v", err)
	}
	unchanged("a YAML P-Mode refused")

	// (3) Domibus files the node cannot use.
	for _, tc := range []struct{ file, why string }{
		// Another access point's P-Mode: blue_gw is none of its parties.
		{"euceg-000001-as4.xml", "blue_gw"},
		// blue_gw's, with no process the node runs.
		{"pmode-template.xml", "nonRepudiation"},
	} {
		err := r.ReplacePMode(context.Background(), domibusFile(t, tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: %v, want a refusal naming %s", tc.file, err, tc.why)
		}
		unchanged(tc.file + " refused")
	}

	// kill -HUP reads the file the upload left and keeps that P-Mode.
	if err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	inUse("after a reload")
}

// TestReplacePModeDomibusOtherParty: with no self in the configuration,
// the node is the party its Domibus file names; a Domibus file naming
// another party as its own (EUCEG_000001_AS4) is refused, naming both
// parties, and changes nothing: a node changes its own party at a restart.
func TestReplacePModeDomibusOtherParty(t *testing.T) {
	r, pmFile, _ := domibusNode(t, "threegateways-blue.xml", "")
	if self := r.node.Partners().PMode.Self; self != "blue_gw" {
		t.Fatalf("the node is %q, want the file's blue_gw", self)
	}
	started := domibusFile(t, "threegateways-blue.xml")
	err := r.ReplacePMode(context.Background(), domibusFile(t, "euceg-000001-as4.xml"))
	if err == nil || !strings.Contains(err.Error(), `"EUCEG_000001_AS4", and this node is "blue_gw"`) {
		t.Fatalf("another access point's Domibus P-Mode: %v", err)
	}
	if got, _ := os.ReadFile(pmFile); !bytes.Equal(got, started) {
		t.Error("the refused upload changed pmode.xml")
	}
	if _, err := os.Stat(pmFile + ".previous"); !os.IsNotExist(err) {
		t.Errorf("a refused upload left a .previous: %v", err)
	}
	if pm := r.node.Partners().PMode; pm.Self != "blue_gw" || !hasLeg(pm, "pushTestcase5tc1Action") || len(pm.Parties) != 3 {
		t.Errorf("the P-Mode in use changed: %s, %v", pm.Self, partyNames(pm))
	}
}

// TestReplacePModeDomibusBOM: a Domibus PMode XML that begins with a UTF-8
// byte order mark (as editors on Windows save it; XML 1.0 §4.3.3, and
// Domibus reads it) is a Domibus PMode XML: uploaded over one, it is taken,
// not refused as a YAML P-Mode, and the node reads it again at a reload.
func TestReplacePModeDomibusBOM(t *testing.T) {
	r, pmFile, _ := domibusNode(t, "threegateways-blue.xml", "blue_gw")
	bom := append([]byte("\xEF\xBB\xBF"), domibusFile(t, "gw-sample-blue.xml")...)
	if err := r.ReplacePMode(context.Background(), bom); err != nil {
		t.Fatalf("the sample gateway's P-Mode with a byte order mark: %v", err)
	}
	if got, _ := os.ReadFile(pmFile); !bytes.Equal(got, bom) {
		t.Error("pmode.xml is not the uploaded file")
	}
	if pm := r.node.Partners().PMode; !slices.Contains(partyNames(pm), "white_gw") || len(pm.Legs) != 16 {
		t.Errorf("the node does not use the uploaded P-Mode: %v, %d legs", partyNames(pm), len(pm.Legs))
	}
	if err := r.Reload(context.Background()); err != nil {
		t.Errorf("a reload of the file with a byte order mark: %v", err)
	}
	// The kind is still told: a YAML P-Mode is refused over it.
	y, err := r.node.Partners().PMode.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReplacePMode(context.Background(), y); err == nil || !strings.Contains(err.Error(), "holds a Domibus PMode XML and the upload is a YAML P-Mode") {
		t.Errorf("a YAML P-Mode over a Domibus file with a byte order mark: %v", err)
	}
}
