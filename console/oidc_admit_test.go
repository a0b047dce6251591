package console

import (
	"strings"
	"testing"

	"github.com/oots-go/oots/eid/oidc"
)

// TestOIDCAdmit covers the mapping of a verified login's claims to a name
// and a role: each case fails without the rule it names.
func TestOIDCAdmit(t *testing.T) {
	o := &OIDC{Operators: []string{"ops"}, Administrators: []string{"admins"}, Auditors: []string{"audit"}}
	for _, tc := range []struct {
		name, claims string
		edit         func(*OIDC)
		wantName     string
		wantRole     Role
		why          string // part of the refusal's reason
	}{
		{"group of one role", `{"preferred_username":"olga","groups":["x","ops"]}`, nil, "olga", Operator, ""},
		{"highest role wins", `{"preferred_username":"olga","groups":["audit","admins","ops"]}`, nil, "olga", Administrator, ""},
		{"no mapped group", `{"preferred_username":"olga","groups":["x"]}`, nil, "olga", "", "no role"},
		{"no groups claim", `{"preferred_username":"olga"}`, nil, "olga", "", "no role"},
		{"a string claim", `{"groups":"ops"}`, nil, "s1", Operator, ""},
		{"a claim of another type", `{"groups":{"ops":true}}`, nil, "s1", "", "neither a string"},
		{"a non-string value", `{"groups":["ops",1]}`, nil, "s1", "", "not a string"},
		{"nested claim", `{"realm_access":{"roles":["admins"]}}`, func(o *OIDC) { o.RolesClaim = "realm_access.roles" }, "s1", Administrator, ""},
		{"verified email names", `{"email":"O@example.org","email_verified":true,"groups":["ops"]}`, nil, "O@example.org", Operator, ""},
		{"unverified email does not name", `{"email":"adam","groups":["ops"]}`, nil, "s1", Operator, ""},
		{"name clipped, control characters dropped", `{"preferred_username":"a\u0000b` + strings.Repeat("c", 100) + `","groups":["ops"]}`, nil, "ab" + strings.Repeat("c", 62), Operator, ""},
		{"allowed by sub", `{"groups":["ops"]}`, func(o *OIDC) { o.Allow = []string{"s1"} }, "s1", Operator, ""},
		{"allowed by verified email", `{"email":"Olga@Example.org","email_verified":true,"groups":["ops"]}`, func(o *OIDC) { o.Allow = []string{"olga@example.org"} }, "Olga@Example.org", Operator, ""},
		{"unverified email not allowed", `{"email":"olga@example.org","email_verified":false,"groups":["ops"]}`, func(o *OIDC) { o.Allow = []string{"olga@example.org"} }, "s1", "", "allowed list"},
		{"not listed", `{"groups":["admins"]}`, func(o *OIDC) { o.Allow = []string{"s2"} }, "s1", "", "allowed list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *o
			if tc.edit != nil {
				tc.edit(&c)
			}
			name, role, why := c.admit(&oidc.Identity{Subject: "s1", Claims: []byte(tc.claims)})
			if name != oidcPrefix+tc.wantName || role != tc.wantRole || (tc.why == "") != (why == "") || !strings.Contains(why, tc.why) {
				t.Fatalf("name %q, role %q, why %q; want %q, %q, %q", name, role, why, oidcPrefix+tc.wantName, tc.wantRole, tc.why)
			}
		})
	}
}
