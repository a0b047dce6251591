// Package csquery judges a query URL of the OOTS Common Services (SPEC.md
// §3.1–§3.3: the Evidence Broker's and the DSD's «base»/rest/search), as the
// Common Services Query Validator of the Dutch national coordinator does:
// which service and query it is, and for each interface version (1.x, which
// Accept-Version oots-cs:v1.0 to v1.2 select, and 2.0) whether its
// parameters belong to the query in that version and whether their values
// are in the code lists, with the EB:ERR or DSD:ERR code the service answers
// when they are not.
//
// The verdicts are those of the servers themselves (eb.CheckQuery,
// dsd.CheckQuery: one definition for the server and the validator). What
// only the data of an instance can say (no result, an unknown requirement
// or evidence type classification, whether a DSD parameter is a
// classification concept of the evidence type, a procedure known only to
// that instance's data) is not judged: DataDependent names it.
package csquery

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
)

// Service is a Common Services query interface.
type Service string

// The services a query URL may address.
const (
	EvidenceBroker Service = "eb"
	DSD            Service = "dsd"
)

// MaxURL bounds a query URL: the longest query string a server takes and
// room for the scheme, host and path.
const MaxURL = csrest.MaxQuery + 2048

// ErrNotQuery is wrapped by Parse's errors for what is no Common Services
// query URL.
var ErrNotQuery = errors.New("csquery: not a Common Services query URL")

// Query is a parsed query URL.
type Query struct {
	URL *url.URL
	// Service is the interface: from the queryId's prefix
	// (urn:fdc:oots:eb:…, urn:fdc:oots:dsd:…), else from the path (a
	// segment eb or dsd before rest/search, also in the Testing Services'
	// layout …/eb/FR/rest/search).
	Service Service
	// QueryID is the queryId parameter ("" when missing).
	QueryID string
	// Raw is the raw query string, as the server reads it.
	Raw string
}

// Parse reads a query URL: http or https, a path ending in /rest/search, at
// most MaxURL bytes. It returns an error wrapping ErrNotQuery otherwise.
func Parse(s string) (*Query, error) {
	if len(s) > MaxURL {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrNotQuery, MaxURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotQuery, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http or https URL", ErrNotQuery, s)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if !strings.HasSuffix(path, "/rest/search") {
		return nil, fmt.Errorf("%w: the path %q does not end in /rest/search", ErrNotQuery, u.Path)
	}
	q := &Query{URL: u, Raw: u.RawQuery}
	// The queryId as the server reads it (a malformed query string is the
	// server's to judge: Check reports it).
	if params, _, err := csrest.Params(u.RawQuery); err == nil {
		q.QueryID = params[csrest.ParamQueryID]
	}
	switch {
	case strings.HasPrefix(q.QueryID, "urn:fdc:oots:eb:"):
		q.Service = EvidenceBroker
	case strings.HasPrefix(q.QueryID, "urn:fdc:oots:dsd:"):
		q.Service = DSD
	default:
		for _, seg := range strings.Split(strings.TrimSuffix(path, "/rest/search"), "/") {
			switch strings.ToLower(seg) {
			case "eb":
				q.Service = EvidenceBroker
			case "dsd":
				q.Service = DSD
			}
		}
	}
	if q.Service == "" {
		return nil, fmt.Errorf("%w: neither the queryId %q nor the path %q says whether it asks the Evidence Broker or the DSD", ErrNotQuery, q.QueryID, u.Path)
	}
	return q, nil
}

// Verdict is the judgement of a query in one interface version.
type Verdict struct {
	// Version is the interface version: edm.CSv1 (Accept-Version
	// oots-cs:v1.0 … v1.2, or none) or edm.CSv20.
	Version edm.Version
	// Code is the EB:ERR or DSD:ERR code the service answers the query
	// with, "" when it takes it; Param the parameter concerned; Cause
	// the precise reason.
	Code         edm.ErrorCode
	Param, Cause string
	// DataDependent names what only the data of an instance can judge.
	DataDependent []string
}

// Valid reports whether the service takes the query in this version.
func (v Verdict) Valid() bool { return v.Code == "" }

// Versions are the interface versions Check judges a query in.
var versions = []edm.Version{edm.CSv1, edm.CSv20}

// Check judges q in each interface version, 1.x then 2.0.
func Check(q *Query) []Verdict {
	var out []Verdict
	for _, v := range versions {
		vd := Verdict{Version: v}
		switch q.Service {
		case EvidenceBroker:
			vd.Code, vd.Param, vd.Cause = eb.CheckQuery(q.Raw, v)
			if vd.Valid() {
				vd.DataDependent = []string{"EB:ERR:0001 (no result)"}
				if q.QueryID == eb.QueryEvidenceTypes {
					vd.DataDependent = append(vd.DataDependent, "EB:ERR:0002 (whether the requirement exists)")
				}
			}
		case DSD:
			var concepts []string
			vd.Code, vd.Param, vd.Cause, concepts = dsd.CheckQuery(q.Raw, v)
			if vd.Valid() {
				vd.DataDependent = []string{"DSD:ERR:0001 (no data service)", "DSD:ERR:0002 (whether the evidence type classification exists)",
					"DSD:ERR:0005 (further parameters the data service needs)"}
				for _, c := range concepts {
					vd.DataDependent = append(vd.DataDependent, fmt.Sprintf("DSD:ERR:0003 unless %q is a classification concept of the evidence type", c))
				}
			}
		}
		out = append(out, vd)
	}
	return out
}
