package csdiscovery

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// Profile is one of the Commission's OOTS environments as a node meets it:
// the DNS names its Common Services are discovered under, how those answers
// are validated, the trust anchor the Common Services' signatures chain to,
// and the URL layout and behaviour of its query interface. A node chooses
// one by name (Profiles, ProfileByName): the setting "environment" of the
// configuration, the flag -env of the commands.
type Profile struct {
	// Name is the profile's name: "acceptance", "testing" or "production".
	Name string
	// Environment is the DNS label of the discovery name
	// (<cc>.<eb|dsd>.v<major>.cs.<label>.<zone>, TDD 3.4).
	Environment Environment
	// Zone is the DNS zone of the discovery names.
	Zone string
	// DNSSEC is how discovery answers are validated by default (TDD 3.7
	// RECOMMENDS DNSSEC for every OOTS look-up): DNSSECAuto, so that a
	// signed zone must validate from the root trust anchors.
	DNSSEC DNSSECMode
	// TestRoot says whether the root the Common Services' response
	// signatures chain to is a test root: the acceptance and Testing
	// Services roots carry "test" in their common name ("European
	// Commission Root CA - 2 test", SPEC.md §3.1); a production root must
	// not.
	TestRoot bool
	// CountryInPath says whether the query path carries the requester's
	// country code: the Testing Services' layout «base»/eb/FR/rest/search
	// instead of «base»/eb/rest/search.
	CountryInPath bool
	// IgnoresAcceptVersion says that the environment's Evidence Broker and
	// DSD are stubs that answer the same form whatever Accept-Version asks:
	// an answer without the SpecificationIdentifier slot is then expected,
	// not an error of the service.
	IgnoresAcceptVersion bool
	// BaseURL is the base URL the Commission publishes for the environment,
	// for reports; discovery gives the one to use.
	BaseURL string
}

// The environments. The Testing Services' DNS label ("testing") and base
// URL follow the Commission's announcement of the platform; the sources
// give no published record, so the profile is a best reading, overridable
// by configuration (zone, static URLs).
var profiles = []Profile{
	{Name: "acceptance", Environment: Acceptance, Zone: DefaultZone, DNSSEC: DNSSECAuto, TestRoot: true,
		BaseURL: "https://query.cs.acc.oots.tech.ec.europa.eu/"},
	{Name: "testing", Environment: Testing, Zone: DefaultZone, DNSSEC: DNSSECAuto, TestRoot: true, CountryInPath: true, IgnoresAcceptVersion: true,
		BaseURL: "https://query.cs.testing.oots.tech.ec.europa.eu/"},
	{Name: "production", Environment: Production, Zone: DefaultZone, DNSSEC: DNSSECAuto,
		BaseURL: "https://query.cs.oots.tech.ec.europa.eu/"},
}

// Testing is the DNS label of the Commission's Testing Services.
const Testing Environment = "testing"

// Profiles returns the environments: acceptance, testing, production.
func Profiles() []Profile { return append([]Profile(nil), profiles...) }

// ProfileByName returns the profile of an environment by its name or its
// DNS label ("acc", "prod"), without regard to case.
func ProfileByName(name string) (Profile, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range profiles {
		if n == p.Name || n == string(p.Environment) {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("csdiscovery: environment %q is none of acceptance (acc), testing, production (prod)", name)
}

// SearchURL returns the URL of the query interface of service under base:
// «base»/<eb|dsd>/rest/search, or «base»/<eb|dsd>/<CC>/rest/search when
// the environment puts the country in the path.
func (p Profile) SearchURL(base string, svc Service, country string) (string, error) {
	b := strings.TrimSuffix(base, "/")
	if _, err := url.Parse(b); err != nil {
		return "", fmt.Errorf("csdiscovery: base URL %q: %v", base, err)
	}
	if !p.CountryInPath {
		return b + "/" + string(svc) + "/rest/search", nil
	}
	cc := strings.ToUpper(country)
	if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return "", fmt.Errorf("csdiscovery: the %s environment puts the country in the path, and %q is not a two-letter code", p.Name, country)
	}
	return b + "/" + string(svc) + "/" + cc + "/rest/search", nil
}

// CheckRoot says whether root may anchor the Common Services' signatures
// in this environment: a test root (common name with "test") for
// acceptance and the Testing Services, never one for production.
func (p Profile) CheckRoot(root *x509.Certificate) error {
	cn := root.Subject.CommonName
	isTest := strings.Contains(strings.ToLower(cn), "test")
	switch {
	case p.TestRoot && !isTest:
		return fmt.Errorf("csdiscovery: the %s environment's Common Services sign under a test root; %q is not one", p.Name, cn)
	case !p.TestRoot && isTest:
		return fmt.Errorf("csdiscovery: %q is a test root; the %s environment's Common Services do not sign under it", cn, p.Name)
	}
	return nil
}
