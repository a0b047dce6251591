package edm

import (
	"errors"
	"fmt"
	"strings"
)

// The hosts of the Semantic Repository in production: TDD 1.x names its
// identifiers (requirements, evidence type classifications) under SRHost1,
// TDD 2.0 under SRHost2 (R-EDM-REQ-C207, R-EDM-REQ-C216 of the 2.0 rules).
// The path, and so the identifier, stays the same. An environment of the
// Commission other than production puts its name after "sr."
// (SRBase("acc") is https://sr.acc.oots.tech.ec.europa.eu/, what the
// acceptance Common Services publish).
const (
	SRHost1 = "https://sr.oots.tech.europa.eu/"
	SRHost2 = "https://sr.oots.tech.ec.europa.eu/"
)

// The kinds of Semantic Repository identifiers (the first path segment).
const (
	SRRequirements                = "requirements"
	SREvidenceTypeClassifications = "evidencetypeclassifications"
)

// SRTestSegment stands, in an evidence type classification, where a country
// code goes, for the test evidence types and those of agreed OOTS data
// models (official TDD 2.0.1 rule R-EDM-REQ-C027).
const SRTestSegment = "oots"

// ErrNotSRID is wrapped by the errors of ParseSRID and ValidSREnv.
var ErrNotSRID = errors.New("edm: not a Semantic Repository identifier")

// SRID is a Semantic Repository identifier of a requirement or an evidence
// type classification:
//
//	https://sr[.<Env>].oots.tech[.ec].europa.eu/requirements/<UUID>
//	https://sr[.<Env>].oots.tech[.ec].europa.eu/evidencetypeclassifications/<Country>/<UUID>
//
// It is the one definition of such an identifier in this module: the form
// is the union of what the official rules accept — TDD 1.0 (R-EB-SUB-C001,
// R-EDM-REQ-C027: sr.oots.tech.europa.eu, a two-letter country code in any
// case, case-insensitive hexadecimal) and TDD 2.0.1 (R-EDM-REQ-C008, C027:
// sr.oots.tech.ec.europa.eu with an optional environment of letters, a
// country code or the test segment "oots"), so that nothing a peer may
// send is refused here.
type SRID struct {
	// Env is the environment ("acc"), "" in production.
	Env string
	// V1 is set for the TDD 1.x host (without "ec.").
	V1 bool
	// Kind is SRRequirements or SREvidenceTypeClassifications.
	Kind string
	// Country is the country code or SRTestSegment of a classification.
	Country string
	// UUID is the last segment (RFC 4122 form).
	UUID string
}

// ParseSRID reads a Semantic Repository identifier. Errors wrap ErrNotSRID.
// An identifier under the TDD 1.x host is read without regard to case, as
// the official 1.x rules match it (R-EB-SUB-C001, C012: flag "i"); its
// String is then the lower-case form.
func ParseSRID(s string) (SRID, error) {
	id, err := parseSRID(s)
	if err != nil {
		if l := strings.ToLower(s); l != s {
			if id1, err1 := parseSRID(l); err1 == nil && id1.V1 {
				return id1, nil
			}
		}
	}
	return id, err
}

func parseSRID(s string) (SRID, error) {
	var id SRID
	bad := func(why string) (SRID, error) { return SRID{}, fmt.Errorf("%w: %q: %s", ErrNotSRID, s, why) }
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		return bad("not https")
	}
	host, p, _ := strings.Cut(rest, "/")
	h, ok := strings.CutPrefix(host, "sr.")
	if !ok {
		return bad("not a host sr.…")
	}
	switch {
	case strings.HasSuffix(h, "oots.tech.ec.europa.eu"):
		h = strings.TrimSuffix(h, "oots.tech.ec.europa.eu")
	case strings.HasSuffix(h, "oots.tech.europa.eu"):
		h, id.V1 = strings.TrimSuffix(h, "oots.tech.europa.eu"), true
	default:
		return bad("not a host of the Semantic Repository")
	}
	if h != "" {
		env, ok := strings.CutSuffix(h, ".")
		if !ok || ValidSREnv(env) != nil || env == "" {
			return bad("not an environment of the Semantic Repository")
		}
		id.Env = env
	}
	segs := strings.Split(p, "/")
	switch {
	case len(segs) == 2 && segs[0] == SRRequirements:
		id.Kind, id.UUID = segs[0], segs[1]
	case len(segs) == 3 && segs[0] == SREvidenceTypeClassifications:
		id.Kind, id.Country, id.UUID = segs[0], segs[1], segs[2]
		if !validCountrySegment(id.Country) {
			return bad("the country segment is neither a country code nor " + SRTestSegment)
		}
	default:
		return bad("not a requirement or evidence type classification")
	}
	if !IsUUID(id.UUID) {
		return bad("does not end with a UUID")
	}
	return id, nil
}

// String is the identifier's URI.
func (id SRID) String() string {
	var b strings.Builder
	b.WriteString(srBase(id.Env, id.V1))
	b.WriteString(id.Kind)
	b.WriteByte('/')
	if id.Kind == SREvidenceTypeClassifications {
		b.WriteString(id.Country)
		b.WriteByte('/')
	}
	b.WriteString(id.UUID)
	return b.String()
}

// IsSRID reports whether s is a Semantic Repository identifier (ParseSRID).
func IsSRID(s string) bool {
	_, err := ParseSRID(s)
	return err == nil
}

// SRBase is the TDD 2.0 base URI of the Semantic Repository of an
// environment: SRHost2 for "" (production), https://sr.acc.oots.tech.ec.europa.eu/
// for "acc".
func SRBase(env string) string { return srBase(env, false) }

func srBase(env string, v1 bool) string {
	h := "https://sr."
	if env != "" {
		h += env + "."
	}
	if v1 {
		return h + "oots.tech.europa.eu/"
	}
	return h + "oots.tech.ec.europa.eu/"
}

// RequirementID builds the identifier of a requirement in an environment.
func RequirementID(env, uuid string) string {
	return SRID{Env: env, Kind: SRRequirements, UUID: uuid}.String()
}

// ClassificationID builds the identifier of an evidence type classification
// of a country (or SRTestSegment) in an environment.
func ClassificationID(env, country, uuid string) string {
	return SRID{Env: env, Kind: SREvidenceTypeClassifications, Country: country, UUID: uuid}.String()
}

// ValidSREnv checks the name of an environment of the Semantic Repository:
// "" (production) or letters, as the official R-EDM-REQ-C008 and C027 of TDD
// 2.0.1 allow (sr(\.[a-zA-Z]+)?). Errors wrap ErrNotSRID.
func ValidSREnv(env string) error {
	for _, r := range env {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return fmt.Errorf("%w: environment %q is not letters", ErrNotSRID, env)
		}
	}
	return nil
}

// SRInEnv names a Semantic Repository identifier in the environment env
// under the TDD 2.0 host; other strings are returned as they are. The
// demo's Common Services publish their data set in an environment with it.
func SRInEnv(s, env string) string {
	id, err := ParseSRID(s)
	if err != nil {
		return s
	}
	id.Env, id.V1 = env, false
	return id.String()
}

// SRHost2ID names a Semantic Repository identifier under the TDD 2.0 host
// (of the same environment), as EDM 2.0 requests must; other strings are
// returned as they are.
func SRHost2ID(s string) string {
	id, err := ParseSRID(s)
	if err != nil || !id.V1 {
		return s
	}
	id.V1 = false
	return id.String()
}

// SameSRID reports whether two identifiers are the same, under either host
// of the Semantic Repository. Identifiers of different environments differ:
// an evidence type registered in acceptance is not the production one.
func SameSRID(a, b string) bool { return a == b || SRHost2ID(a) == SRHost2ID(b) }

func validCountrySegment(s string) bool {
	if s == SRTestSegment {
		return true
	}
	return len(s) == 2 && isLetter(s[0]) && isLetter(s[1])
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
