// Package eb is the Evidence Broker of the OOTS Common Services: the RegRep 4
// REST binding «base»/rest/search answering the two Evidence Broker queries
// (SPEC.md §3.1, §3.2) from the content of a csregistry.Registry:
//
//   - requirements-by-procedure-and-jurisdiction (procedure-id, country-code;
//     1.x jurisdiction-admin-l2/l3; 2.0 return-incomplete): the requirements
//     whose reference frameworks match, each with the matching reference
//     frameworks only (as the Commission's service answers);
//   - evidence-types-by-requirement-and-jurisdiction (requirement-id,
//     country-code; 1.x jurisdiction-admin-l2/l3): the requirement with all its
//     reference frameworks and the evidence type lists of the jurisdiction.
//
// Every failure is an EB:ERR answer with its exception type (edm.ErrorCodes())
// and HTTP 200. EB:ERR:0004 (invalid jurisdiction level) is a 1.x answer
// only: TDD 2.0 withdraws it together with the jurisdiction-admin-l2/l3
// parameters it answered, so a 2.0 query naming them gets EB:ERR:0003 (a
// parameter the query does not have), the answer to any parameter outside
// the query; the interface version follows Accept-Version (oots-cs:v2.0:
// SpecificationIdentifier slot, Jurisdiction on the EvidenceTypeList; 1.x:
// no slot, Jurisdiction on each EvidenceType, no 2.0-only elements); paging
// uses startIndex and maxResults; every answer is signed (package jades).
// A signed answer is reused for the same query string, version and registry
// content for Config.CacheFor (an answer costs an ES256 signature).
//
// Our reading where the sources are silent: return-incomplete=false leaves
// out the requirements that have no evidence type list for the country
// (default true: every matching requirement); a procedure-id or country-code is
// valid when the code lists know it or the registry uses it (the Commission's
// catalogue uses test procedure codes such as "00").
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package eb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
)

// Query identifiers of the Evidence Broker (SPEC.md §3.2).
const (
	QueryRequirements  = "urn:fdc:oots:eb:ebxml-regrep:queries:requirements-by-procedure-and-jurisdiction"
	QueryEvidenceTypes = "urn:fdc:oots:eb:ebxml-regrep:queries:evidence-types-by-requirement-and-jurisdiction"
)

// Query parameters.
const (
	ParamProcedure        = "procedure-id"
	ParamCountry          = "country-code"
	ParamAdminL2          = "jurisdiction-admin-l2"
	ParamAdminL3          = "jurisdiction-admin-l3"
	ParamReturnIncomplete = "return-incomplete"
	ParamRequirement      = "requirement-id"
)

// Source gives the registry content to answer from.
type Source interface {
	Snapshot() *csregistry.Snapshot
}

// Config configures the Evidence Broker handler.
type Config struct {
	// Registry is the content answered from. Required.
	Registry Source
	// Signer signs every answer, as the Commission's services do. Required.
	Signer *csrest.Signer
	// MaxResults bounds the objects of one answer when the query does not
	// ask for fewer; 0: no bound.
	MaxResults int
	// CacheFor is how long a signed answer is reused for the same query
	// string, Accept-Version and registry content (the repeated answer
	// keeps its object ids and signing time); default one minute, negative
	// turns the cache off. CacheEntries bounds the cache; default 4096.
	CacheFor     time.Duration
	CacheEntries int
	// Now is the clock of the signatures; default time.Now.
	Now func() time.Time
	// Rand is the source of the answers' object ids; default crypto/rand.
	Rand io.Reader
	// Logger receives the precise cause of each refused query; nil discards.
	Logger *slog.Logger
}

// Validate reports a configuration error, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Registry == nil:
		return errors.New("eb: Config.Registry is required")
	case c.Signer == nil:
		return errors.New("eb: Config.Signer is required")
	case c.MaxResults < 0:
		return errors.New("eb: Config.MaxResults is negative")
	}
	return nil
}

// Handler answers the Evidence Broker queries. It serves GET (and HEAD) on
// any path ending in /rest/search, so that it can be mounted under «base»/eb/.
type Handler struct {
	cfg Config
	ep  *csrest.Endpoint[*csregistry.Snapshot]
}

// NewHandler returns the Evidence Broker handler.
func NewHandler(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg}
	h.ep = (&csrest.Endpoint[*csregistry.Snapshot]{
		Snapshot: cfg.Registry.Snapshot,
		Answer: func(snap *csregistry.Snapshot, raw string, v edm.Version) ([]byte, *edm.Exception, string) {
			body, code, detail, cause := h.answer(snap, raw, v)
			if code != "" {
				return nil, edm.NewException(code, detail), cause
			}
			return body, nil, ""
		},
		BadVersion: func() *edm.Exception { return edm.NewException(edm.EBErr0003, csrest.HeaderAcceptVersion) },
	}).Apply(csrest.Settings{Signer: cfg.Signer, CacheFor: cfg.CacheFor,
		CacheEntries: cfg.CacheEntries, Now: cfg.Now, Logger: cfg.Logger})
	return h, nil
}

// ServeHTTP answers one query (see csrest.Endpoint).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.ep.ServeHTTP(w, r) }

// Answer returns the answer document to a raw query string in version v, or
// the EB:ERR code, the detail the requester gets and the precise cause.
// parse checks a raw query string in version v: the parameters against the
// query (queryId) and the version, their values against the code lists and,
// with snap, the codes the registry uses. It returns the query, or the
// EB:ERR code, the detail the requester gets and the precise cause.
func parse(snap *csregistry.Snapshot, raw string, v edm.Version) (q *query, page csrest.Page, code edm.ErrorCode, detail, cause string) {
	params, _, err := csrest.Params(raw)
	if err != nil {
		var pe *csrest.ParamError
		errors.As(err, &pe)
		return nil, page, edm.EBErr0003, pe.Param, err.Error()
	}
	page, err = csrest.ReadPage(params)
	if err != nil {
		pe := err.(*csrest.ParamError)
		return nil, page, edm.EBErr0003, pe.Param, err.Error()
	}
	qid, ok := params[csrest.ParamQueryID]
	if !ok {
		return nil, page, edm.EBErr0003, csrest.ParamQueryID, "no queryId"
	}
	delete(params, csrest.ParamQueryID)
	switch qid {
	case QueryRequirements:
		q, code, detail, cause = readQuery(snap, params, v, false)
	case QueryEvidenceTypes:
		q, code, detail, cause = readQuery(snap, params, v, true)
	default:
		return nil, page, edm.EBErr0007, qid, "unknown queryId"
	}
	return q, page, code, detail, cause
}

// CheckQuery judges a raw query string (what follows "?" in
// «base»/rest/search?…) as the Evidence Broker would in version v
// (edm.CSv1 or edm.CSv20), without its data: the parameters against the
// query and the version, the values against the code lists. It returns the
// EB:ERR code the Evidence Broker answers, the parameter concerned and the
// precise cause, or three empty strings for a query it accepts as asked
// (whose answer may still be EB:ERR:0001 no result or EB:ERR:0002 unknown
// requirement, which depend on the data). A procedure or country known
// only from the data of an instance, not from the code lists, is refused
// here where that instance accepts it.
func CheckQuery(raw string, v edm.Version) (code edm.ErrorCode, param, cause string) {
	_, _, code, param, cause = parse(nil, raw, v)
	return code, param, cause
}

func (h *Handler) answer(snap *csregistry.Snapshot, raw string, v edm.Version) (body []byte, code edm.ErrorCode, detail, cause string) {
	q, page, code, detail, cause := parse(snap, raw, v)
	if code != "" {
		return nil, code, detail, cause
	}
	if page.Max == 0 || (h.cfg.MaxResults > 0 && page.Max > h.cfg.MaxResults) {
		page.Max = h.cfg.MaxResults
	}
	var reqs []*edm.Requirement
	var k edm.Kind
	if q.evidence {
		k = edm.KindEBEvidenceTypes
		rq, ok := snap.Requirement(q.requirement)
		if !ok {
			return nil, edm.EBErr0002, q.requirement, "no such requirement"
		}
		if r := evidenceTypes(rq, q, v); r != nil {
			reqs = append(reqs, r)
		}
	} else {
		k = edm.KindEBRequirements
		for _, rq := range snap.Requirements() {
			if r := requirement(rq, q, v); r != nil {
				reqs = append(reqs, r)
			}
		}
	}
	if len(reqs) == 0 {
		return nil, edm.EBErr0001, "", "no result"
	}
	lo, hi := page.Bounds(len(reqs))
	if lo == hi {
		// A page past the end: an OOTS answer cannot be empty (the kind of
		// an empty success is undefined and the rules require objects), so
		// the paging parameter is refused.
		return nil, edm.EBErr0003, csrest.ParamStartIndex, fmt.Sprintf("startIndex %d is past the %d results", page.Start, len(reqs))
	}
	resp := edm.NewServiceResponse(k, v)
	for _, r := range reqs[lo:hi] {
		id, err := csrest.NewID(h.cfg.Rand)
		if err != nil {
			return nil, edm.EBErr0001, "", err.Error()
		}
		resp.Objects = append(resp.Objects, edm.NewObject(id, "Requirement", r))
	}
	if page.Asked {
		resp.StartIndex, resp.TotalResultCount = strconv.Itoa(lo), strconv.Itoa(len(reqs))
	}
	b, err := resp.Marshal()
	if err != nil {
		return nil, edm.EBErr0003, "", "answer not written: " + err.Error()
	}
	return b, "", "", ""
}

// query is a checked Evidence Broker query.
type query struct {
	evidence           bool
	procedure, country string
	l2, l3             string
	requirement        string
	incompleteExcluded bool
}

var (
	procedurePattern   = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)
	countryPattern     = regexp.MustCompile(`^[A-Z]{2}$`)
	lauPattern         = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)
	requirementPattern = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)+$`)
)

// readQuery checks the parameters of a query against its specification and
// the code lists.
func readQuery(snap *csregistry.Snapshot, params map[string]string, v edm.Version, evidence bool) (*query, edm.ErrorCode, string, string) {
	q := &query{evidence: evidence}
	allowed := map[string]*string{ParamCountry: &q.country}
	if evidence {
		allowed[ParamRequirement] = &q.requirement
	} else {
		allowed[ParamProcedure] = &q.procedure
	}
	var incomplete string
	if v.Is2() {
		if !evidence {
			allowed[ParamReturnIncomplete] = &incomplete
		}
	} else {
		allowed[ParamAdminL2], allowed[ParamAdminL3] = &q.l2, &q.l3
	}
	for name, val := range params {
		p, ok := allowed[name]
		if !ok {
			return nil, edm.EBErr0003, name, "parameter not part of the query"
		}
		*p = val
	}
	if evidence {
		if _, ok := params[ParamRequirement]; !ok {
			return nil, edm.EBErr0003, ParamRequirement, "missing"
		}
		if !requirementPattern.MatchString(q.requirement) {
			return nil, edm.EBErr0003, ParamRequirement, "not a requirement URI"
		}
	}
	if _, ok := params[ParamProcedure]; ok {
		if !procedurePattern.MatchString(q.procedure) || !(codelist.KnownProcedure(q.procedure, specOf(v)) || usesProcedure(snap, q.procedure)) {
			return nil, edm.EBErr0005, ParamProcedure, "unknown procedure " + q.procedure
		}
	}
	if _, ok := params[ParamCountry]; ok {
		if !countryPattern.MatchString(q.country) || !(codelist.Countries().Contains(q.country) || usesCountry(snap, q.country)) {
			return nil, edm.EBErr0006, ParamCountry, "unknown country " + q.country
		}
	}
	if _, ok := params[ParamAdminL2]; ok && !codelist.NUTS().Contains(q.l2) {
		return nil, edm.EBErr0004, ParamAdminL2, "not a NUTS code"
	}
	if _, ok := params[ParamAdminL3]; ok && !lauPattern.MatchString(q.l3) {
		return nil, edm.EBErr0004, ParamAdminL3, "not a LAU code"
	}
	switch incomplete {
	case "", "true":
	case "false":
		q.incompleteExcluded = true
	default:
		return nil, edm.EBErr0003, ParamReturnIncomplete, "not true or false"
	}
	return q, "", "", ""
}

func specOf(v edm.Version) string {
	if v.Is2() {
		return string(edm.V2_0)
	}
	return string(edm.V1_2)
}

func usesProcedure(snap *csregistry.Snapshot, code string) bool {
	if snap == nil {
		return false
	}
	for _, r := range snap.Requirements() {
		for _, f := range r.Frameworks {
			for _, rel := range f.RelatedTo {
				if rel.Identifier.Value == code {
					return true
				}
			}
		}
	}
	return false
}

func usesCountry(snap *csregistry.Snapshot, cc string) bool {
	if snap == nil {
		return false
	}
	for _, r := range snap.Requirements() {
		for _, f := range r.Frameworks {
			if f.Jurisdiction != nil && f.Jurisdiction.AdminUnitLevel1 == cc {
				return true
			}
		}
	}
	return false
}
