package edm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

var deferredAt = time.Date(2026, 8, 7, 9, 30, 0, 0, time.UTC)

// buildDeferred is the deferred answer to req: the provider holds the
// evidence and sends it from deferredAt on.
func buildDeferred(req *QueryRequest) *QueryResponse {
	r := NewDeferredResponse(req, "0d9e8a51-3c1f-4b61-9a4e-5b1f9d1e7a30", testTime.Add(2*time.Minute), deferredAt)
	ep := testProvider()
	ep.Classification = "EP"
	r.EvidenceProvider = []Agent{ep}
	return r
}

func deferredResponses() map[string]*QueryResponse {
	return map[string]*QueryResponse{
		"EDM-RESP-deferred":      buildDeferred(buildRequest()),
		"EDM-RESP-deferred-v2.0": buildDeferred(buildRequestV2()),
	}
}

// TestDeferredResponse: a response with ResponseAvailableDateTime and no
// evidence is written (golden file), read back as deferred with its time,
// marshals to the same bytes again, and passes the business rules of its
// version (TDD 1.0 R-EDM-RESP-S014/S016/S023/C005; the 2.0 rule set).
func TestDeferredResponse(t *testing.T) {
	for name, r := range deferredResponses() {
		t.Run(name, func(t *testing.T) {
			out, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "built", name+".xml")
			if *update {
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run Deferred -update)", err)
			}
			a, err1 := xmltree.ParseBytes(out, nil)
			b, err2 := xmltree.ParseBytes(want, nil)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(a.Root.Canonical(), b.Root.Canonical()) {
				t.Errorf("differs from %s:\n%s", path, out)
			}
			m, findings, err := ParseBytes(out)
			if err != nil {
				t.Fatal(err)
			}
			if !check.Valid(findings) {
				t.Errorf("findings: %v", findings)
			}
			back, ok := m.(*QueryResponse)
			if !ok {
				t.Fatalf("read back as %T", m)
			}
			if !back.Deferred() {
				t.Errorf("not deferred: %+v", back)
			}
			if at, err := back.AvailableAt(); err != nil || !at.Equal(deferredAt) {
				t.Errorf("AvailableAt = %v, %v; want %v", at, err, deferredAt)
			}
			again, err := back.Marshal()
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("marshal not stable (%v):\n%s", err, again)
			}
			rs, err := schematron.ForKind(string(KindEvidenceResponse), string(r.Specification))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rs.Validate(a) {
				if f.Invalidates() {
					t.Errorf("official rules: %v", f)
				}
			}
		})
	}
}

// TestDeferredWithEvidence: a response that carries evidence is no
// deferral even with the slot; a response without the slot has no time.
func TestDeferredWithEvidence(t *testing.T) {
	r := buildResponse()
	if r.Deferred() {
		t.Error("an evidence response is deferred")
	}
	if _, err := r.AvailableAt(); !errors.Is(err, ErrNotDeferred) {
		t.Errorf("AvailableAt = %v, want ErrNotDeferred", err)
	}
	r.ResponseAvailableDateTime = "2026-08-07T09:30:00"
	if r.Deferred() {
		t.Error("a response with evidence and ResponseAvailableDateTime is deferred")
	}
	if at, err := r.AvailableAt(); err != nil || !at.Equal(deferredAt) {
		t.Errorf("AvailableAt without zone = %v, %v", at, err)
	}
}
