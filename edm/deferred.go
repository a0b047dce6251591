package edm

import (
	"errors"
	"fmt"
	"time"

	"github.com/oots-go/oots/regrep"
)

// ErrNotDeferred: the response carries no ResponseAvailableDateTime.
var ErrNotDeferred = errors.New("edm: the response is not deferred")

// NewDeferredResponse returns the answer of a provider that holds the
// evidence but cannot send it yet: a QueryResponse with status Unavailable
// ("for responses that will be available at a later time", TDD 1.0
// R-EDM-RESP-S006), the slot ResponseAvailableDateTime = at and an empty
// rim:RegistryObjectList (SPEC.md §2.3; R-EDM-RESP-S014, S016, S023, C005
// allow the slot). The requester asks
// again, with a new QueryRequest, from at on. The evidence providers are to
// be set by the caller, as for NewQueryResponse.
func NewDeferredResponse(req *QueryRequest, responseID string, issued, at time.Time) *QueryResponse {
	r := NewQueryResponse(req, responseID, issued)
	r.ResponseAvailableDateTime = regrep.FormatDateTime(at)
	return r
}

// Deferred reports whether the response says the evidence will be available
// later instead of carrying it: ResponseAvailableDateTime is set and no
// evidence object or package came with it. A response that carries
// evidence is an evidence response whatever its ResponseAvailableDateTime.
func (r *QueryResponse) Deferred() bool {
	return r.ResponseAvailableDateTime != "" && len(r.Evidence) == 0 && len(r.Packages) == 0
}

// AvailableAt returns the time of ResponseAvailableDateTime (an
// xsd:dateTime; without a time zone it is taken as UTC). Errors:
// ErrNotDeferred without the slot, or a parse error.
func (r *QueryResponse) AvailableAt() (time.Time, error) {
	if r.ResponseAvailableDateTime == "" {
		return time.Time{}, ErrNotDeferred
	}
	t, err := regrep.ParseDateTime(r.ResponseAvailableDateTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("edm: ResponseAvailableDateTime: %w", err)
	}
	return t, nil
}
