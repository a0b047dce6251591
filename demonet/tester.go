package demonet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/conformance"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/idp"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/wssec"
)

// The conformance kit (package conformance, "oots conformance run") tests a
// demo node over its public interfaces only, as the access point of another
// Member State would: every node's P-Mode holds the kit's party
// TesterParty, with the endpoint Config.TesterEndpoint, its credentials are
// issued by the demo AS4 CA, and Dir/conformance/ holds what the kit needs
// (ConformanceDir): its credentials, the anchors, its P-Mode, and per node a
// target file CC.yaml and a scenario file CC-scenarios.yaml, so that
//
//	oots conformance run -target Dir/conformance/DE.yaml -out conformance-report/
//
// runs every suite against the DE node.
const (
	// TesterParty is the conformance kit's party in every node's P-Mode.
	TesterParty = "AP-TESTER"
	// TesterThirdParty is the name in the certificate of the kit's third
	// party: trusted, but no party of the P-Modes.
	TesterThirdParty = "AP-TESTER-THIRD"
	// TesterPartyType is the type of its party id.
	TesterPartyType = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
	// TestLeg is the leg of the ebMS test service (as4.TestService,
	// as4.TestAction) between all parties: the AS4 suites of the kit send
	// and ask for messages on it; a node accepts such messages and drops
	// them (they never reach a connector).
	TestLeg = "ebms-test"
	// ConformanceDir is the folder of the kit's files under Config.Dir.
	ConformanceDir = "conformance"
	// MaxBodySize is the limit of every access point on a received AS4
	// message (ap.Config.MaxBodySize).
	MaxBodySize int64 = 64 << 20
	// testerOffset is the port of the default tester endpoint above
	// Config.Port.
	testerOffset = 9
)

// testLeg is the leg of the ebMS test service between parties: signed,
// encrypted, with signed receipts and duplicate detection like the OOTS
// legs, and quick retries (2, 4 and 8 s), so that a kit sees the retry of a
// refused attempt within its wait.
func testLeg(parties []string) pmode.Leg {
	return pmode.Leg{
		Name: TestLeg, MEP: pmode.MEPOneWay, Binding: pmode.BindingPush,
		Initiator: pmode.PartyRole{Parties: parties, Role: as4.OOTSRole},
		Responder: pmode.PartyRole{Parties: parties, Role: as4.OOTSRole},
		Service:   pmode.Service{Value: as4.TestService},
		Action:    as4.TestAction,
		Security:  pmode.Security{Profile: wssec.AS4v20, Sign: true, Encrypt: true},
		Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: true, DuplicateDetection: true,
			Retry: &pmode.Retry{Count: 3, Timeout: 14 * time.Second, Strategy: pmode.RetryProgressive}},
		Properties: []pmode.PropertyDef{{Name: exchange.PropOriginalSender}, {Name: exchange.PropFinalRecipient},
			{Name: exchange.PropSpecification}, {Name: exchange.PropExchangeID}},
		Payload:       pmode.PayloadProfile{Compress: true, MaxSize: 32 << 20},
		ErrorHandling: pmode.ErrorHandling{AsResponse: true},
	}
}

// loadTester reads the kit's credentials from dir, issuing them with the
// AS4 CA on first use.
func loadTester(dir string, ca *pki.Credential) (*pki.Party, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// A credential of a party that is not in the P-Modes, issued by the
	// same CA: the kit signs with it where a trusted certificate of
	// another party must be refused (AS4-10, AS4-S6).
	if _, err := pki.LoadParty(dir, "third-party"); errors.Is(err, fs.ErrNotExist) {
		p, err := pki.Issue(ca, TesterThirdParty, wssec.AS4v20, nil)
		if err == nil {
			err = p.WriteFiles(dir, "third-party")
		}
		if err != nil {
			return nil, fmt.Errorf("demonet: credentials of %s: %w", TesterThirdParty, err)
		}
	}
	return party(dir, TesterParty, ca)
}

// apiToken reads the bearer token of a node's backend API (hex of 32 random
// bytes), making it on first use.
func apiToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		rand.Read(raw)
		b = []byte(hex.EncodeToString(raw) + "\n")
		err = os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("demonet: API token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if len(t) < 32 {
		return "", fmt.Errorf("demonet: %s holds no API token (at least 32 characters)", path)
	}
	return t, nil
}

// TestProvider returns the identifiers of the test data services of a
// node, which answer at once, without a preview: births (procedure R1) and,
// with suffix "-X1", companies (X1). They are not in the DSD: a tester
// addresses them directly, as the test registers of a national node at a
// Projectathon.
func TestProvider(cc string) string { return cc + "-EP-TEST" }

// testAuthorities returns the test data services of cc, made from the
// node's first R1 and X1 evidence providers (their evidence types and
// register) without a preview.
func testAuthorities(cat *catalogue, auths []provider.Authority) []provider.Authority {
	var out []provider.Authority
	for _, t := range []struct{ proc, id, name string }{
		{"R1", TestProvider(cat.country), "Test register of births of " + countryNames[cat.country]},
		{"X1", TestProvider(cat.country) + "-X1", "Test business register of " + countryNames[cat.country]},
	} {
		p := cat.procedures[t.proc]
		if p == nil || len(p.providers) == 0 {
			continue
		}
		for _, a := range auths {
			if a.Agent.Identifier.Value != p.providers[0].Identifier.Value {
				continue
			}
			a.Agent = edm.Agent{Identifier: edm.SchemeID(a.Agent.Identifier.SchemeID, t.id), Name: []edm.Text{edm.Lang("EN", t.name)},
				Address: a.Agent.Address}
			a.WithoutPreview = true
			out = append(out, a)
			break
		}
	}
	return out
}

// catalogue is what the demo data set (demo.CommonServices) says of the
// procedures of one country: for each, its (first) requirement, the
// evidence type the country provides for it, and its evidence providers.
type catalogue struct {
	country    string
	procedures map[string]*procedureInfo
	// version is the EDM version of the kit's requests: 1.0, or 2.0 in an
	// environment of the Semantic Repository other than production.
	version edm.Version
}

type procedureInfo struct {
	requirementID, requirementName string
	classification, title          string
	providers                      []edm.Agent
}

func demoCatalogue(ctx context.Context, cc, env string) (*catalogue, error) {
	reg, err := csregistry.Open(ctx, csregistry.Config{SkipRules: true})
	if err != nil {
		return nil, fmt.Errorf("demonet: demo data: %w", err)
	}
	if err := demo.LoadIn(ctx, reg, env); err != nil {
		return nil, fmt.Errorf("demonet: demo data: %w", err)
	}
	snap := reg.Snapshot()
	cat := &catalogue{country: cc, procedures: map[string]*procedureInfo{}, version: edm.V1_0}
	if env != "" {
		cat.version = edm.V2_0 // the TDD 1.0 rules admit only the production host
	}
	for _, r := range snap.Requirements() {
		if len(r.Frameworks) == 0 || len(r.Frameworks[0].RelatedTo) == 0 {
			continue
		}
		proc := r.Frameworks[0].RelatedTo[0].Identifier.Value
		if cat.procedures[proc] != nil {
			continue
		}
		for _, l := range r.Lists {
			if !slices.Contains(l.Countries(), cc) || len(l.Types) == 0 {
				continue
			}
			t := l.Types[0]
			p := &procedureInfo{requirementID: r.Requirement.Identifier.Value, classification: t.EvidenceTypeClassification}
			if len(r.Requirement.Name) > 0 {
				p.requirementName = r.Requirement.Name[0].Value
			}
			if len(t.Title) > 0 {
				p.title = t.Title[0].Value
			}
			for _, s := range snap.DataServices(p.classification) {
				for _, acc := range s.Providers {
					if pub := acc.Publisher; pub.Jurisdiction != nil && pub.Jurisdiction.AdminUnitLevel1 == cc &&
						!slices.ContainsFunc(p.providers, func(a edm.Agent) bool { return a.Identifier.Value == pub.Identifier.Value }) {
						p.providers = append(p.providers, edm.Agent{Identifier: pub.Identifier, Name: pub.Name})
					}
				}
			}
			cat.procedures[proc] = p
			break
		}
	}
	for _, proc := range []string{"R1", "X1"} {
		if p := cat.procedures[proc]; p == nil || len(p.providers) == 0 {
			return nil, fmt.Errorf("demonet: demo data: no evidence provider for %s in %s", proc, cc)
		}
	}
	return cat, nil
}

// kitCountry is the Member State whose evidence requester the kit plays
// against the node of cc.
func kitCountry(cc string) string {
	if cc == "FR" {
		return "DE"
	}
	return "FR"
}

// KitRequester is the identifier of the evidence requester the kit plays
// in the scenario file of the node of cc: a requester of another demo
// country, behind no access point of the network.
func KitRequester(cc string) string { return kitCountry(cc) + "-ER-KIT" }

// The YAML of a scenario file (conformance.ScenarioFile).
type (
	scenarioFile struct {
		Version      string          `yaml:"version"`
		Procedure    string          `yaml:"procedure"`
		To           string          `yaml:"to"`
		Requester    scenarioAgent   `yaml:"requester"`
		Requirement  scenarioRef     `yaml:"requirement"`
		EvidenceType scenarioType    `yaml:"evidenceType"`
		Scenarios    []scenarioEntry `yaml:"scenarios"`
	}
	scenarioAgent struct {
		Scheme  string `yaml:"scheme"`
		ID      string `yaml:"id"`
		Name    string `yaml:"name"`
		Country string `yaml:"country,omitempty"`
	}
	scenarioRef struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name,omitempty"`
	}
	scenarioType struct {
		Classification string `yaml:"classification"`
		Title          string `yaml:"title,omitempty"`
		Format         string `yaml:"format,omitempty"`
	}
	scenarioPerson struct {
		ID          string `yaml:"id"`
		FamilyName  string `yaml:"familyName"`
		GivenName   string `yaml:"givenName"`
		DateOfBirth string `yaml:"dateOfBirth"`
		LoA         string `yaml:"loa,omitempty"`
	}
	scenarioCompany struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
	}
	scenarioEntry struct {
		ID                    string           `yaml:"id"`
		Name                  string           `yaml:"name"`
		Providers             []scenarioAgent  `yaml:"providers"`
		Person                *scenarioPerson  `yaml:"person,omitempty"`
		Company               *scenarioCompany `yaml:"company,omitempty"`
		Procedure             string           `yaml:"procedure,omitempty"`
		Requirement           *scenarioRef     `yaml:"requirement,omitempty"`
		EvidenceType          *scenarioType    `yaml:"evidenceType,omitempty"`
		ExplicitRequest       *bool            `yaml:"explicitRequest,omitempty"`
		PossibilityForPreview *bool            `yaml:"possibilityForPreview,omitempty"`
		Preview               bool             `yaml:"preview,omitempty"`
		Decision              string           `yaml:"decision,omitempty"`
		PreviewAs             string           `yaml:"previewAs,omitempty"`
		Want                  scenarioWant     `yaml:"want"`
	}
	scenarioWant struct {
		Code        edm.ErrorCode `yaml:"code,omitempty"`
		Attachments []string      `yaml:"attachments,omitempty"`
	}
)

// scenarios returns the scenario file of the node of cat.country (see
// ConformanceDir): the kit, an evidence requester of kitCountry, asks the
// node's providers about the country's demo users (demo.Users) and
// companies, TC01–TC10.
func scenarios(cat *catalogue) (*scenarioFile, error) {
	cc, rc := cat.country, kitCountry(cat.country)
	users := demo.Users(cc)
	if len(users) < 3 {
		return nil, fmt.Errorf("demonet: scenarios: %d demo users in %s, need 3", len(users), cc)
	}
	person := func(u idp.User) *scenarioPerson {
		p := u.Identified(rc)
		return &scenarioPerson{ID: p.Identifier, FamilyName: p.FamilyName, GivenName: p.GivenName, DateOfBirth: p.DateOfBirth, LoA: "High"}
	}
	var company *scenarioCompany
	for _, u := range users {
		if len(u.Represents) > 0 {
			lp := u.Represents[0].Identified(cc, rc)
			company = &scenarioCompany{ID: lp.Identifier, Name: lp.LegalName}
			break
		}
	}
	if company == nil {
		return nil, fmt.Errorf("demonet: scenarios: no demo company in %s", cc)
	}
	agent := func(a edm.Agent) scenarioAgent {
		name := a.Identifier.Value
		if len(a.Name) > 0 {
			name = a.Name[0].Value
		}
		return scenarioAgent{Scheme: a.Identifier.SchemeID, ID: a.Identifier.Value, Name: name}
	}
	r1, x1 := cat.procedures["R1"], cat.procedures["X1"]
	test := scenarioAgent{Scheme: Scheme(cc), ID: TestProvider(cc), Name: "Test register of births of " + countryNames[cc]}
	testX1 := scenarioAgent{Scheme: Scheme(cc), ID: TestProvider(cc) + "-X1", Name: "Test business register of " + countryNames[cc]}
	withPreview := agent(r1.providers[0])
	second := withPreview
	if len(r1.providers) > 1 {
		second = agent(r1.providers[1])
	}
	no := false
	pdf := []string{"application/pdf"}
	subject, other := users[0], users[2]
	unknown := &scenarioPerson{ID: cc + "/" + rc + "/UNKNOWN0000", FamilyName: "Unbekannt", GivenName: "Niemand", DateOfBirth: "1950-01-01", LoA: "High"}
	// A refusal at the preview: EDM:ERR:0008 in 1.x and 2.0 alike (the
	// provider's answer; R-EDM-ERR-C015).
	refused := edm.EDMErr0008
	f := &scenarioFile{Version: string(cat.version), Procedure: "R1", To: partyName(cc),
		Requester:    scenarioAgent{Scheme: Scheme(rc), ID: KitRequester(cc), Name: "Conformance kit, evidence requester of " + countryNames[rc], Country: rc},
		Requirement:  scenarioRef{ID: r1.requirementID, Name: r1.requirementName},
		EvidenceType: scenarioType{Classification: r1.classification, Title: r1.title, Format: "application/pdf"},
		Scenarios: []scenarioEntry{
			{ID: "TC01", Name: "basic request and response", Providers: []scenarioAgent{test}, Person: person(subject), Want: scenarioWant{Attachments: pdf}},
			{ID: "TC02", Name: "basic request and response about a legal person", Providers: []scenarioAgent{testX1}, Company: company,
				Procedure: "X1", Requirement: &scenarioRef{ID: x1.requirementID, Name: x1.requirementName},
				EvidenceType: &scenarioType{Classification: x1.classification, Title: x1.title, Format: "application/pdf"}, Want: scenarioWant{Attachments: pdf}},
			{ID: "TC03", Name: "provider-side error: a person the register does not know", Providers: []scenarioAgent{test}, Person: unknown,
				Want: scenarioWant{Code: edm.EDMErr0004}},
			{ID: "TC04", Name: "invalid request: no explicit request", Providers: []scenarioAgent{test}, Person: person(subject), ExplicitRequest: &no,
				Want: scenarioWant{Code: edm.EDMErr0003}},
			{ID: "TC05", Name: "preview not possible", Providers: []scenarioAgent{withPreview}, Person: person(subject), PossibilityForPreview: &no,
				Want: scenarioWant{Code: edm.EDMErr0007}},
			{ID: "TC06", Name: "preview approved", Providers: []scenarioAgent{withPreview}, Person: person(subject), Preview: true,
				Decision: string(conformance.Approve), Want: scenarioWant{Attachments: pdf}},
			{ID: "TC07", Name: "preview refused", Providers: []scenarioAgent{withPreview}, Person: person(subject), Preview: true,
				Decision: string(conformance.Refuse), Want: scenarioWant{Code: refused}},
			{ID: "TC08", Name: "two evidence providers in one conversation", Providers: []scenarioAgent{withPreview, second}, Person: person(subject),
				Preview: true, Decision: string(conformance.Approve), Want: scenarioWant{Attachments: pdf}},
			{ID: "TC09", Name: "preview by another person than the subject", Providers: []scenarioAgent{withPreview}, Person: person(subject),
				Preview: true, Decision: string(conformance.LogInOnly), PreviewAs: other.Identified(rc).Identifier, Want: scenarioWant{Code: edm.EDMErr0001}},
			{ID: "TC10", Name: "human-readable version (PDF) of the evidence", Providers: []scenarioAgent{test}, Person: person(subject),
				EvidenceType: &scenarioType{Classification: r1.classification, Title: r1.title, Format: "application/pdf"}, Want: scenarioWant{Attachments: pdf}},
		},
	}
	return f, nil
}

// writeConformance writes the kit's files (ConformanceDir): the anchors,
// the nodes' encryption certificates, the kit's P-Mode, and per node the
// target and scenario files.
func (n *Network) writeConformance(endpoints map[string]string) error {
	dir := filepath.Join(n.cfg.Dir, ConformanceDir)
	write := func(name string, b []byte) error {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("demonet: conformance files: %w", err)
		}
		return nil
	}
	for name, b := range map[string][]byte{
		"ca.cert.pem":     pki.CertPEM(n.keys.ca.Cert),
		"cs-ca.cert.pem":  pki.CertPEM(n.keys.csCA.Cert),
		"tls-ca.cert.pem": pki.CertPEM(n.keys.tlsCA),
	} {
		if err := write(name, b); err != nil {
			return err
		}
	}
	// The kit's P-Mode: the nodes' P-Mode seen from the tester, every
	// access point with its endpoint and encryption certificate.
	pm := pmodes(n.cfg.Countries, endpoints, n.cfg.TesterEndpoint, "")
	for i := range pm.Parties {
		p := &pm.Parties[i]
		if p.Name == TesterParty {
			p.SigningCertificate, p.EncryptionCertificate = TesterParty+".sign.cert.pem", TesterParty+".enc.cert.pem"
			continue
		}
		for cc, ap := range n.keys.aps {
			if partyName(cc) == p.Name {
				p.SigningCertificate, p.EncryptionCertificate = p.Name+".sign.cert.pem", p.Name+".enc.cert.pem"
				if err := write(p.SigningCertificate, pki.CertPEM(ap.Sign.Cert)); err != nil {
					return err
				}
				if err := write(p.EncryptionCertificate, pki.CertPEM(ap.Encrypt.Cert)); err != nil {
					return err
				}
			}
		}
	}
	b, err := yaml.Marshal(pm)
	if err != nil {
		return err
	}
	if err := write("pmode.yaml", append([]byte("# The conformance kit's P-Mode (party "+TesterParty+") for the demo network; written by oots demo at each start.\n"), b...)); err != nil {
		return err
	}
	listen := ""
	if n.cfg.TesterEndpoint != "" {
		listen = hostPort(n.cfg.TesterEndpoint)
	}
	for _, nd := range n.Nodes {
		sf, err := scenarios(n.cats[nd.Country])
		if err != nil {
			return err
		}
		b, err := yaml.Marshal(sf)
		if err != nil {
			return err
		}
		scen := nd.Country + "-scenarios.yaml"
		if err := write(scen, append([]byte("# Evidence exchange scenarios against the "+nd.Country+" node of the demo network (oots conformance run -scenarios).\n"), b...)); err != nil {
			return err
		}
		t := conformance.TargetFile{Node: partyName(nd.Country), Self: TesterParty, PMode: "pmode.yaml", Keys: ".",
			AS4: nd.APURL + "/as4", API: nd.APURL, APITokenFile: filepath.Join("..", "keys", "api-token-"+nd.Country), TLSCA: "tls-ca.cert.pem",
			Listen: listen, Leg: TestLeg, SendLeg: exchange.DefaultLegs().Response, MaxBody: MaxBodySize, Timeout: "20s",
			CS: n.CS + "/", CSTrust: "cs-ca.cert.pem", Procedure: "R1", Country: nd.Country, SREnvironment: n.cfg.SREnvironment,
			Scenarios: scen, PreviewLogin: conformance.PreviewLoginDemo,
			RequesterAPI: nd.APURL, RequesterTokenFile: filepath.Join("..", "keys", "requester-token-"+nd.Country),
			RequesterProcedure: TesterProcedure, RequesterCountry: TesterCountry, RequesterVersion: string(testerVersion(n.cfg.SREnvironment))}
		if listen == "" {
			t.Listen, t.Scenarios, t.PreviewLogin = "none", "", ""
			t.RequesterAPI, t.RequesterTokenFile, t.RequesterProcedure, t.RequesterCountry, t.RequesterVersion = "", "", "", "", ""
		}
		b, err = yaml.Marshal(&t)
		if err != nil {
			return err
		}
		nd.ConformanceTarget = filepath.Join(dir, nd.Country+".yaml")
		if err := write(nd.Country+".yaml", append([]byte("# The "+nd.Country+" node of the demo network as the conformance kit tests it:\n#   oots conformance run -target "+nd.ConformanceTarget+" -out conformance-report/\n"), b...)); err != nil {
			return err
		}
	}
	return nil
}

// hostPort is the host:port of an http URL (validated by Config).
func hostPort(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	if p.Port() == "" {
		return net.JoinHostPort(p.Hostname(), map[string]string{"http": "80", "https": "443"}[p.Scheme])
	}
	return p.Host
}

// defaultTester is the default tester endpoint for a first port.
func defaultTester(host string, port int) string {
	return "http://" + host + ":" + strconv.Itoa(port+testerOffset) + "/as4"
}
