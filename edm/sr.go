package edm

import "strings"

// The hosts of the Semantic Repository: TDD 1.x names its identifiers
// (requirements, evidence type classifications) under SRHost1, TDD 2.0
// under SRHost2 (official rules R-EDM-REQ-C008 and C027 of 2.0). The path,
// and so the identifier, stays the same.
const (
	SRHost1 = "https://sr.oots.tech.europa.eu/"
	SRHost2 = "https://sr.oots.tech.ec.europa.eu/"
)

// SRHost2ID names a Semantic Repository identifier under SRHost2, as EDM
// 2.0 requests must; other identifiers are returned as they are.
func SRHost2ID(id string) string {
	if rest, ok := strings.CutPrefix(id, SRHost1); ok {
		return SRHost2 + rest
	}
	return id
}

// SameSRID reports whether two identifiers are the same, under either host
// of the Semantic Repository.
func SameSRID(a, b string) bool { return a == b || SRHost2ID(a) == SRHost2ID(b) }
