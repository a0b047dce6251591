package conformance

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/oots-go/oots/edm"
)

// ErrTarget is wrapped by the errors of ParseTarget.
var ErrTarget = errors.New("conformance: invalid target file")

// TargetFile is the YAML form of a system under test as "oots conformance
// run -target FILE" reads it: what the command's flags give, in one file
// that a node can publish for its testers. Paths are relative to the file
// (Resolve). Every field is optional; a flag given on the command line
// overrides its field. Example (what "oots demo" writes for its DE node):
//
//	node: AP-DE                     # -node: the node's party in the kit's P-Mode
//	self: AP-TESTER                 # -self: the kit's party
//	pmode: pmode.yaml               # -pmode
//	keys: .                         # -keys: AP-TESTER.sign.key.pem, …, ca.cert.pem
//	as4: https://127.0.0.1:8443/as4 # -target-as4
//	api: https://127.0.0.1:8443     # -target-api
//	apiTokenFile: ../keys/api-token-DE  # -api-token, read from the file
//	tlsCA: tls-ca.cert.pem          # -tls-ca: anchors of the node's HTTPS servers
//	listen: 127.0.0.1:8409          # -listen: the kit's AS4 endpoint
//	leg: ebms-test                  # -leg
//	sendLeg: ebms-test              # -send-leg
//	maxBody: 67108864               # -max-body
//	timeout: 20s                    # -timeout
//	cs: https://127.0.0.1:8400/     # -cs
//	csTrust: cs-ca.cert.pem         # -cs-trust
//	procedure: R1                   # -procedure
//	country: DE                     # -country
//	srEnvironment: acc              # -sr-env: the Common Services publish sr.acc.… identifiers
//	scenarios: DE-scenarios.yaml    # -scenarios
//	previewLogin: demo              # -preview-login: how the kit logs in at the preview space
//	requesterAPI: https://127.0.0.1:8443  # -requester-api: the edm-requester suite
//	requesterTokenFile: ../keys/requester-token-DE  # -requester-token, read from the file
//	requesterProcedure: R1          # -requester-procedure
//	requesterCountry: AT            # -requester-country: its DSD data service is the kit
//	requesterVersion: oots-edm:v1.0 # -requester-version
type TargetFile struct {
	Node         string   `yaml:"node,omitempty"`
	Self         string   `yaml:"self,omitempty"`
	PMode        string   `yaml:"pmode,omitempty"`
	Keys         string   `yaml:"keys,omitempty"`
	Trust        string   `yaml:"trust,omitempty"`
	AS4          string   `yaml:"as4,omitempty"`
	API          string   `yaml:"api,omitempty"`
	APITokenFile string   `yaml:"apiTokenFile,omitempty"`
	TLSCA        string   `yaml:"tlsCA,omitempty"`
	Listen       string   `yaml:"listen,omitempty"`
	Leg          string   `yaml:"leg,omitempty"`
	SendLeg      string   `yaml:"sendLeg,omitempty"`
	EDMLegs      []string `yaml:"edmLegs,omitempty"`
	MaxBody      int64    `yaml:"maxBody,omitempty"`
	Timeout      string   `yaml:"timeout,omitempty"`
	CS           string   `yaml:"cs,omitempty"`
	CSTrust      string   `yaml:"csTrust,omitempty"`
	Procedure    string   `yaml:"procedure,omitempty"`
	Country      string   `yaml:"country,omitempty"`
	// SREnvironment is the environment of the Semantic Repository of the
	// Common Services (CSTarget.SREnvironment).
	SREnvironment string `yaml:"srEnvironment,omitempty"`
	Scenarios     string `yaml:"scenarios,omitempty"`
	PreviewLogin  string `yaml:"previewLogin,omitempty"`
	// The edm-requester suite: the node's requester REST API and its
	// token, the journeys' procedure and country (whose data service is
	// the kit), and the EDM version the requests must be in.
	RequesterAPI       string `yaml:"requesterAPI,omitempty"`
	RequesterTokenFile string `yaml:"requesterTokenFile,omitempty"`
	RequesterProcedure string `yaml:"requesterProcedure,omitempty"`
	RequesterCountry   string `yaml:"requesterCountry,omitempty"`
	RequesterVersion   string `yaml:"requesterVersion,omitempty"`
}

// PreviewLoginDemo is the PreviewLogin of a node of "oots demo": the kit
// logs in at the demo identity providers as the demo users.
const PreviewLoginDemo = "demo"

// countryCode is an ISO 3166-1 alpha-2 code.
var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// maxTargetFile bounds a target file.
const maxTargetFile = 64 << 10

// ParseTarget reads a target file. Unknown fields are errors; every error
// wraps ErrTarget and names the field.
func ParseTarget(b []byte) (*TargetFile, error) {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrTarget, field, fmt.Sprintf(format, a...))
	}
	if len(b) > maxTargetFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrTarget, maxTargetFile)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	var t TargetFile
	if len(doc.Content) == 0 {
		return &t, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: line %d: a mapping of fields (node: …, as4: …) expected", ErrTarget, m.Line)
	}
	// Each field is decoded on its own, so that an error names it.
	fields := map[string]any{}
	v := reflect.ValueOf(&t).Elem()
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		fields[name] = v.Field(i).Addr().Interface()
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, val := m.Content[i], m.Content[i+1]
		ptr, ok := fields[k.Value]
		switch {
		case !ok:
			return nil, bad(k.Value, "line %d: no such field", k.Line)
		case seen[k.Value]:
			return nil, bad(k.Value, "line %d: given twice", k.Line)
		}
		seen[k.Value] = true
		if err := val.Decode(ptr); err != nil {
			return nil, bad(k.Value, "line %d: %v", val.Line, err)
		}
	}
	for _, u := range []struct{ field, v string }{{"as4", t.AS4}, {"api", t.API}, {"cs", t.CS}, {"requesterAPI", t.RequesterAPI}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil {
			return nil, bad(u.field, "%v", err)
		}
		if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, bad(u.field, "%q is not an http or https URL", u.v)
		}
	}
	if t.Listen != "" && t.Listen != "none" {
		if _, port, err := net.SplitHostPort(t.Listen); err != nil || port == "" {
			return nil, bad("listen", "%q is not host:port (or none)", t.Listen)
		}
	}
	if t.MaxBody < 0 {
		return nil, bad("maxBody", "%d is negative", t.MaxBody)
	}
	if t.Timeout != "" {
		d, err := time.ParseDuration(t.Timeout)
		if err != nil || d <= 0 {
			return nil, bad("timeout", "%q is not a positive duration such as 20s", t.Timeout)
		}
	}
	if len(t.EDMLegs) != 0 && len(t.EDMLegs) != 3 {
		return nil, bad("edmLegs", "three leg names (request, response, error), got %d", len(t.EDMLegs))
	}
	for i, l := range t.EDMLegs {
		if strings.TrimSpace(l) == "" {
			return nil, bad("edmLegs", "leg %d is empty", i+1)
		}
	}
	if t.PreviewLogin != "" && t.PreviewLogin != PreviewLoginDemo {
		return nil, bad("previewLogin", "%q: the kit knows %q (the demo identity providers) or none", t.PreviewLogin, PreviewLoginDemo)
	}
	if t.RequesterVersion != "" && !edm.Version(t.RequesterVersion).IsEDM() {
		return nil, bad("requesterVersion", "%q is not an EDM version such as oots-edm:v1.0", t.RequesterVersion)
	}
	if t.RequesterCountry != "" && !countryCode.MatchString(t.RequesterCountry) {
		return nil, bad("requesterCountry", "%q is not a country code of two capital letters", t.RequesterCountry)
	}
	for _, p := range []struct{ field, v string }{{"pmode", t.PMode}, {"keys", t.Keys}, {"trust", t.Trust}, {"apiTokenFile", t.APITokenFile},
		{"requesterTokenFile", t.RequesterTokenFile},
		{"tlsCA", t.TLSCA}, {"csTrust", t.CSTrust}, {"scenarios", t.Scenarios}} {
		if strings.ContainsRune(p.v, 0) {
			return nil, bad(p.field, "the path holds a NUL byte")
		}
	}
	return &t, nil
}

// Resolve makes the paths of the file absolute, relative to dir (the
// directory of the target file).
func (t *TargetFile) Resolve(dir string) {
	for _, p := range []*string{&t.PMode, &t.Keys, &t.Trust, &t.APITokenFile, &t.TLSCA, &t.CSTrust, &t.Scenarios, &t.RequesterTokenFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}
