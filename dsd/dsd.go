// Package dsd is the Data Service Directory of the OOTS Common Services: the
// RegRep 4 REST binding «base»/rest/search answering the query
// dataservices-by-evidencetype-and-jurisdiction (SPEC.md §3.1, §3.3) from the
// content of a csregistry.Registry.
//
// The query names an evidence type classification and a country; it may
// restrict the access services to an EDM version (specification), to one data
// service evidence type (evidence-type-id), and, in 1.x, to a jurisdiction
// (jurisdiction-context-id, jurisdiction-admin-l2/l3). Any other parameter
// is a user-provided classification concept: its name is the concept's
// Identifier, its value one of the concept's supported values. When the
// evidence providers of a data service differ by classification concepts the
// query did not give (or, in 1.x, by a jurisdiction determination), and more
// than one provider is left, the answer is DSD:ERR:0005 with the slots
// DataServiceEvidenceType, JurisdictionDetermination (1.x) and
// UserRequestedClassificationConcepts, asking the requester for the missing
// input (TDD 3.5.2). Every other failure is a DSD:ERR answer with its
// exception type; HTTP status 200 always; Accept-Version selects oots-cs:v2.0 or
// the 1.x form; paging with startIndex and maxResults; every answer signed,
// and reused for the same query, version and registry content for
// Config.CacheFor.
//
// Our reading where the sources are silent: a provider matches a country when
// its Publisher's Jurisdiction (or, without one, its Address) has that
// AdminUnitLevel1; a provider without a concept the query gives is left out.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package dsd

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
)

// QueryDataServices is the DSD query (SPEC.md §3.3).
const QueryDataServices = "urn:fdc:oots:dsd:ebxml-regrep:queries:dataservices-by-evidencetype-and-jurisdiction"

// Query parameters.
const (
	ParamClassification = "evidence-type-classification"
	ParamCountry        = "country-code"
	ParamSpecification  = "specification"
	ParamEvidenceTypeID = "evidence-type-id"
	ParamContextID      = "jurisdiction-context-id"
	ParamAdminL2        = "jurisdiction-admin-l2"
	ParamAdminL3        = "jurisdiction-admin-l3"
)

// Source gives the registry content to answer from.
type Source interface {
	Snapshot() *csregistry.Snapshot
}

// Config configures the DSD handler.
type Config struct {
	// Registry is the content answered from. Required.
	Registry Source
	// Signer signs every answer, as the Commission's services do. Required.
	Signer *csrest.Signer
	// MaxResults bounds the objects of one answer; 0: no bound.
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
		return errors.New("dsd: Config.Registry is required")
	case c.Signer == nil:
		return errors.New("dsd: Config.Signer is required")
	case c.MaxResults < 0:
		return errors.New("dsd: Config.MaxResults is negative")
	}
	return nil
}

// Handler answers the DSD query on any path ending in /rest/search.
type Handler struct {
	cfg Config
	ep  *csrest.Endpoint[*csregistry.Snapshot]
}

// NewHandler returns the DSD handler.
func NewHandler(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg}
	h.ep = (&csrest.Endpoint[*csregistry.Snapshot]{
		Snapshot:   cfg.Registry.Snapshot,
		Answer:     h.answer,
		BadVersion: func() *edm.Exception { return edm.NewException(edm.DSDErr0003, csrest.HeaderAcceptVersion) },
		Timestamp: func(exc *edm.Exception) bool {
			return exc.Code != edm.DSDErr0005 // DSD:ERR:0005 carries its three slots only (R-DSD-RESP-S010)
		},
	}).Apply(csrest.Settings{Signer: cfg.Signer, CacheFor: cfg.CacheFor,
		CacheEntries: cfg.CacheEntries, Now: cfg.Now, Logger: cfg.Logger})
	return h, nil
}

// ServeHTTP answers one query (see csrest.Endpoint).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.ep.ServeHTTP(w, r) }

func errp(code edm.ErrorCode, detail string) *edm.Exception { return edm.NewException(code, detail) }

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	uriPattern     = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)+$`)
	tokenPattern   = regexp.MustCompile(`^[A-Za-z0-9._~:/-]{1,256}$`)
)

// query is a checked DSD query.
type query struct {
	classification, country, spec, typeID string
	contextID, l2, l3                     string
	concepts                              map[string]string // concept id → value
}

// parse checks a raw query string in version v: the parameters against the
// query and the version, their values against the code lists and patterns.
// It returns the query, or the exception and the precise cause. Whether a
// classification concept parameter belongs to the evidence type depends on
// the data: answer checks it.
func parse(raw string, v edm.Version) (*query, csrest.Page, *edm.Exception, string) {
	var page csrest.Page
	params, order, err := csrest.Params(raw)
	if err != nil {
		var pe *csrest.ParamError
		errors.As(err, &pe)
		return nil, page, errp(edm.DSDErr0003, pe.Param), err.Error()
	}
	page, err = csrest.ReadPage(params)
	if err != nil {
		return nil, page, errp(edm.DSDErr0003, err.(*csrest.ParamError).Param), err.Error()
	}
	qid, ok := params[csrest.ParamQueryID]
	if !ok {
		return nil, page, errp(edm.DSDErr0003, csrest.ParamQueryID), "no queryId"
	}
	if qid != QueryDataServices {
		return nil, page, errp(edm.DSDErr0004, qid), "unknown queryId"
	}
	q := &query{concepts: map[string]string{}}
	known := map[string]*string{
		ParamClassification: &q.classification, ParamCountry: &q.country,
		ParamSpecification: &q.spec, ParamEvidenceTypeID: &q.typeID,
	}
	if !v.Is2() {
		known[ParamContextID], known[ParamAdminL2], known[ParamAdminL3] = &q.contextID, &q.l2, &q.l3
	}
	for _, name := range order {
		if name == csrest.ParamQueryID || name == csrest.ParamStartIndex || name == csrest.ParamMaxResults {
			continue
		}
		if p, ok := known[name]; ok {
			*p = params[name]
			continue
		}
		q.concepts[name] = params[name]
	}
	for _, name := range []string{ParamClassification, ParamCountry} {
		if _, ok := params[name]; !ok {
			return nil, page, errp(edm.DSDErr0003, name), "missing"
		}
	}
	switch {
	case !uriPattern.MatchString(q.classification):
		return nil, page, errp(edm.DSDErr0006, ParamClassification), "not an evidence type classification URI"
	case !countryPattern.MatchString(q.country) || !codelist.Countries().Contains(q.country) && q.country != "EL":
		return nil, page, errp(edm.DSDErr0006, ParamCountry), "unknown country " + q.country
	case q.spec != "" && !edm.Version(q.spec).Known():
		return nil, page, errp(edm.DSDErr0006, ParamSpecification), "unknown specification " + q.spec
	case q.l2 != "" && !codelist.NUTS().Contains(q.l2):
		return nil, page, errp(edm.DSDErr0006, ParamAdminL2), "not a NUTS code"
	}
	for name, val := range map[string]string{ParamEvidenceTypeID: q.typeID, ParamContextID: q.contextID, ParamAdminL3: q.l3} {
		if val != "" && !tokenPattern.MatchString(val) {
			return nil, page, errp(edm.DSDErr0006, name), "malformed value"
		}
	}
	return q, page, nil, ""
}

// CheckQuery judges a raw query string (what follows "?" in
// «base»/rest/search?…) as the DSD would in version v (edm.CSv1 or
// edm.CSv20), without its data: the parameters against the query and the
// version, the values against the code lists and patterns. It returns the
// DSD:ERR code the DSD answers, the parameter concerned and the precise
// cause, or three empty strings for a query it accepts as asked (whose
// answer still depends on the data: DSD:ERR:0001, 0002, 0005, or 0003 for
// a parameter that is no classification concept of the evidence type).
// concepts are the parameters beyond the query's own, which only the data
// can judge.
func CheckQuery(raw string, v edm.Version) (code edm.ErrorCode, param, cause string, concepts []string) {
	q, _, exc, cause := parse(raw, v)
	if exc != nil {
		return exc.Code, exc.Detail, cause, nil
	}
	for name := range q.concepts {
		concepts = append(concepts, name)
	}
	slices.Sort(concepts)
	return "", "", "", concepts
}

// answer returns the answer to a raw query string, or the exception and the
// precise cause.
func (h *Handler) answer(snap *csregistry.Snapshot, raw string, v edm.Version) ([]byte, *edm.Exception, string) {
	q, page, exc, cause := parse(raw, v)
	if exc != nil {
		return nil, exc, cause
	}
	if page.Max == 0 || (h.cfg.MaxResults > 0 && page.Max > h.cfg.MaxResults) {
		page.Max = h.cfg.MaxResults
	}
	all := snap.DataServices(q.classification)
	if len(all) == 0 {
		return nil, errp(edm.DSDErr0002, q.classification), "no such evidence type classification"
	}
	// Every concept parameter must name a concept of these data services.
	for name := range q.concepts {
		if !slices.ContainsFunc(all, func(ds *csregistry.DataService) bool { return concept(ds, name) != nil }) {
			return nil, errp(edm.DSDErr0003, name), "parameter not part of the query nor a classification concept of the evidence type"
		}
	}
	var found []*edm.DataServiceEvidenceType
	for _, ds := range all {
		if q.typeID != "" && ds.Type.Identifier.Value != q.typeID {
			continue
		}
		out, exc, cause := match(ds, q, v)
		if exc != nil {
			return nil, exc, cause
		}
		if out != nil {
			found = append(found, out)
		}
	}
	if len(found) == 0 {
		return nil, errp(edm.DSDErr0001, ""), "no data service for the parameters"
	}
	lo, hi := page.Bounds(len(found))
	if lo == hi {
		// A page past the end: an OOTS answer cannot be empty, so the
		// paging parameter is refused.
		return nil, errp(edm.DSDErr0003, csrest.ParamStartIndex), fmt.Sprintf("startIndex %d is past the %d results", page.Start, len(found))
	}
	resp := edm.NewServiceResponse(edm.KindDSDResponse, v)
	for _, ds := range found[lo:hi] {
		id, err := csrest.NewID(h.cfg.Rand)
		if err != nil {
			return nil, errp(edm.DSDErr0001, ""), err.Error()
		}
		resp.Objects = append(resp.Objects, edm.NewObject(id, "DataServiceEvidenceType", ds))
	}
	if page.Asked {
		resp.StartIndex, resp.TotalResultCount = strconv.Itoa(lo), strconv.Itoa(len(found))
	}
	b, err := resp.Marshal()
	if err != nil {
		return nil, errp(edm.DSDErr0001, ""), "answer not written: " + err.Error()
	}
	return b, nil, ""
}

// concept returns the evidence provider classification concept of a data
// service with the given identifier.
func concept(ds *csregistry.DataService, id string) *edm.InformationConcept {
	for i := range ds.Type.EvidenceProviderClassification {
		if c := &ds.Type.EvidenceProviderClassification[i]; c.Identifier.Value == id {
			return c
		}
	}
	return nil
}

// publisherConcept returns a provider's value set for a concept.
func publisherConcept(p *edm.AccessService, id string) *edm.InformationConcept {
	for i := range p.Publisher.ClassificationConcept {
		if c := &p.Publisher.ClassificationConcept[i]; c.Identifier.Value == id {
			return c
		}
	}
	return nil
}

// supportedValues is the union of the string values the providers support
// for concept id, in order of first appearance; nil when a provider has the
// concept without values or with values of another type.
func supportedValues(ps []*edm.AccessService, id string) *edm.SupportedValue {
	var vals []string
	for _, p := range ps {
		c := publisherConcept(p, id)
		if c == nil {
			continue
		}
		if c.SupportedValue == nil || len(c.SupportedValue.StringValue) == 0 {
			return nil
		}
		for _, v := range c.SupportedValue.StringValue {
			if !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) == 0 {
		return nil
	}
	return &edm.SupportedValue{StringValue: vals}
}

func supports(c *edm.InformationConcept, value string) bool {
	if c == nil {
		return false
	}
	if c.SupportedValue == nil {
		return true // any value of the concept's type
	}
	sv := c.SupportedValue
	return slices.Contains(sv.StringValue, value) || slices.Contains(sv.BooleanValue, value) || slices.Contains(sv.DateValue, value)
}

func country(p *edm.AccessService) string {
	if j := p.Publisher.Jurisdiction; j != nil && j.AdminUnitLevel1 != "" {
		return j.AdminUnitLevel1
	}
	if a := p.Publisher.Address; a != nil {
		return a.AdminUnitLevel1
	}
	return ""
}

// match selects the providers of one data service for the query. It returns
// the answer object, nil when no provider is left, or the DSD:ERR:0005 /
// DSD:ERR:0006 exception.
func match(ds *csregistry.DataService, q *query, v edm.Version) (*edm.DataServiceEvidenceType, *edm.Exception, string) {
	var ps []*edm.AccessService
	for _, p := range ds.Providers {
		if country(p) != q.country {
			continue
		}
		if q.spec != "" && !slices.Contains(p.ConformsTo, q.spec) {
			continue
		}
		if j := p.Publisher.Jurisdiction; j != nil {
			if q.l2 != "" && j.AdminUnitLevel2 != "" && j.AdminUnitLevel2 != q.l2 {
				continue
			}
			if q.l3 != "" && j.AdminUnitLevel3 != "" && j.AdminUnitLevel3 != q.l3 {
				continue
			}
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, nil, ""
	}
	var missing []edm.InformationConcept
	for _, c := range ds.Type.EvidenceProviderClassification {
		val, given := q.concepts[c.Identifier.Value]
		if !given {
			missing = append(missing, c)
			continue
		}
		if c.SupportedValue != nil && !supports(&c, val) ||
			!slices.ContainsFunc(ds.Providers, func(p *edm.AccessService) bool { return supports(publisherConcept(p, c.Identifier.Value), val) }) {
			return nil, errp(edm.DSDErr0006, c.Identifier.Value), "value " + strconv.Quote(val) + " is not a supported value of the concept"
		}
		ps = slices.DeleteFunc(ps, func(p *edm.AccessService) bool { return !supports(publisherConcept(p, c.Identifier.Value), val) })
	}
	if len(ps) == 0 {
		return nil, nil, ""
	}
	needJurisdiction := !v.Is2() && ds.Type.EvidenceProviderJurisdictionDetermination != nil && q.contextID == "" && q.l2 == "" && q.l3 == ""
	if len(ps) > 1 && (len(missing) > 0 || needJurisdiction) {
		return nil, additionalInput(ds, ps, missing, needJurisdiction), "more than one provider; the user must choose"
	}
	out := *ds.Type
	out.AccessService = make([]edm.AccessService, len(ps))
	for i, p := range ps {
		out.AccessService[i] = form(*p, v)
	}
	if !v.Is2() {
		// The 1.x form: no Language or AssociatedDocumentRequest, and one
		// Format per DistributedAs (2.0 repeats Format; 1.x repeats
		// DistributedAs instead, one per format).
		var das []edm.Distribution
		for _, d := range out.DistributedAs {
			d.Language, d.AssociatedDocumentRequest = nil, nil
			for _, f := range d.Formats() {
				one := d
				one.Format, one.MoreFormats = f, nil
				das = append(das, one)
			}
		}
		out.DistributedAs = das
	} else {
		out.EvidenceProviderJurisdictionDetermination = nil
	}
	return &out, nil, ""
}

// edm1 reports whether a ConformsTo value is an EDM 1.x version.
func edm1(s string) bool { v := edm.Version(s); return v.IsEDM() && !v.Is2() }

// form writes an access service in the form of version v. A 1.x answer
// carries one ConformsTo (the TDD 1.0 schema allows one): of several, the
// highest EDM 1.x version the service lists, so that a service that also
// speaks 2.0 is offered to 1.x requesters in 1.x.
func form(p edm.AccessService, v edm.Version) edm.AccessService {
	if v.Is2() {
		return p
	}
	var best string
	for _, c := range p.ConformsTo {
		if edm1(c) && c > best {
			best = c
		}
	}
	if best != "" && len(p.ConformsTo) > 1 {
		p.ConformsTo = []string{best}
	}
	p.Name = nil
	pub := p.Publisher
	pub.Description = nil
	p.Publisher = pub
	return p
}

// additionalInput is the DSD:ERR:0005 answer: the data service (its
// mandatory elements), and what the user must provide. Each concept asked
// for carries, as SupportedValue, the string values that the candidate
// providers ps support (our reading: the TDD sample leaves the values to the
// code list its ValueExpression names in the Semantic Repository; listing
// them lets a requester offer the choices without that lookup, and the
// schema allows it). A concept that some provider accepts with any value,
// or whose values are not strings, is sent without values.
func additionalInput(ds *csregistry.DataService, ps []*edm.AccessService, missing []edm.InformationConcept, jurisdiction bool) *edm.Exception {
	var parts []string
	if jurisdiction {
		parts = append(parts, "JurisdictionDetermination")
	}
	if len(missing) > 0 {
		parts = append(parts, "UserRequestedClassificationConcepts")
	}
	exc := edm.NewException(edm.DSDErr0005, strings.Join(parts, " and "))
	t := ds.Type
	exc.DataServiceEvidenceType = &edm.DataServiceEvidenceType{
		Identifier: t.Identifier, EvidenceTypeClassification: t.EvidenceTypeClassification,
		Title: t.Title, Description: t.Description, DistributedAs: t.DistributedAs,
	}
	if jurisdiction {
		exc.JurisdictionDetermination = t.EvidenceProviderJurisdictionDetermination
	}
	for _, c := range missing {
		c.SupportedValue = supportedValues(ps, c.Identifier.Value)
		exc.UserRequestedClassificationConcepts = append(exc.UserRequestedClassificationConcepts, c)
	}
	return exc
}
