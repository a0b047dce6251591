package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oots-go/oots/csquery"
	"github.com/oots-go/oots/edm"
)

// "oots validate" of a Common Services query URL (package csquery): an
// argument that begins with http:// or https:// is a query of the Evidence
// Broker or the DSD, judged in each interface version (1.x and 2.0) with the
// EB:ERR or DSD:ERR code the service answers, as the Common Services Query
// Validator of the Dutch national coordinator does.

// queryResult is one line of "oots validate --format json" for a query URL.
type queryResult struct {
	URL      string            `json:"url"`
	Service  csquery.Service   `json:"service"`
	QueryID  string            `json:"queryId"`
	Valid    bool              `json:"valid"`
	Verdicts []csquery.Verdict `json:"verdicts"`
}

func isQueryURL(arg string) bool {
	return strings.HasPrefix(arg, "https://") || strings.HasPrefix(arg, "http://")
}

// csVersions maps -cs-version to the versions a query must be valid in.
func csVersions(s string) ([]edm.Version, error) {
	switch s {
	case "", "any":
		return nil, nil
	case "1", "1.x", "1.0", "1.1", "1.2", string(edm.CSv1):
		return []edm.Version{edm.CSv1}, nil
	case "2", "2.0", string(edm.CSv20):
		return []edm.Version{edm.CSv20}, nil
	case "all":
		return []edm.Version{edm.CSv1, edm.CSv20}, nil
	}
	return nil, fmt.Errorf("-cs-version %q: want any, all, 1.x or 2.0", s)
}

// validateQuery judges one query URL and prints the verdicts. It returns 0
// when the query is valid in the versions asked (nil: in at least one), 1
// when not, 2 when the argument is no query URL.
func validateQuery(env *Env, arg, format string, want []edm.Version) int {
	q, err := csquery.Parse(arg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "oots validate: %v\n", err)
		return 2
	}
	vs := csquery.Check(q)
	valid := len(want) > 0
	for _, v := range vs {
		asked := len(want) == 0
		for _, w := range want {
			asked = asked || w == v.Version
		}
		switch {
		case len(want) == 0 && v.Valid():
			valid = true
		case len(want) > 0 && asked && !v.Valid():
			valid = false
		}
	}
	if format == "json" {
		b, _ := json.Marshal(queryResult{URL: arg, Service: q.Service, QueryID: q.QueryID, Valid: valid, Verdicts: vs})
		fmt.Fprintf(env.Stdout, "%s\n", b)
	} else {
		verdict := "valid"
		if !valid {
			verdict = "INVALID"
		}
		fmt.Fprintf(env.Stdout, "%s: %s query %s %s\n", arg, q.Service, q.QueryID, verdict)
		for _, v := range vs {
			if v.Valid() {
				fmt.Fprintf(env.Stdout, "  %s: accepted; the data decides: %s\n", v.Version, strings.Join(v.DataDependent, "; "))
			} else {
				fmt.Fprintf(env.Stdout, "  %s: %s %s: %s\n", v.Version, v.Code, v.Param, v.Cause)
			}
		}
	}
	if !valid {
		return 1
	}
	return 0
}
