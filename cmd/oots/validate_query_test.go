package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestValidateQueryURL: "oots validate" judges a Common Services query URL
// in each interface version, with the code the service answers, and exits
// by the version asked.
func TestValidateQueryURL(t *testing.T) {
	const base = "https://query.cs.acc.oots.tech.ec.europa.eu/eb/rest/search?queryId=urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction&procedure-id=R1&country-code=DE"
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := Main(context.Background(), env, append([]string{"validate"}, args...))
		return code, out.String() + errb.String()
	}
	l2 := base + "&jurisdiction-admin-l2=DE1"
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{base}, 0, "valid"},
		{[]string{l2}, 0, "oots-cs:v2.0: EB:ERR:0003 jurisdiction-admin-l2"},
		{[]string{"-cs-version", "2.0", l2}, 1, "INVALID"},
		{[]string{"-cs-version", "1.x", l2}, 0, "oots-cs:v1: accepted"},
		{[]string{strings.Replace(base, "R1", "NOPE", 1)}, 1, "EB:ERR:0005 procedure-id"},
		{[]string{"https://example.eu/not/a/query"}, 2, "not a Common Services query URL"},
		{[]string{"-cs-version", "3", base}, 2, "-cs-version"},
	} {
		code, out := run(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("oots validate %v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, out)
		}
	}
	code, out := run("--format", "json", l2)
	var res queryResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Service != "eb" || len(res.Verdicts) != 2 || res.Verdicts[1].Code != "EB:ERR:0003" {
		t.Errorf("--format json: exit %d, %v: %s", code, err, out)
	}
}
