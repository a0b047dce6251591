package csregistry

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/xmltree"
)

// nameUUID returns a name-based UUID (RFC 9562 version 5 layout over SHA-1)
// of the parts, as "urn:uuid:…": the same content always gets the same id, so
// that loading overlapping answers merges their objects.
func nameUUID(parts ...string) string {
	return uuid.Name(registryNS, strings.Join(parts, "\x00")+"\x00").URN()
}

// registryNS is the name space of nameUUID; its 16 bytes spell
// "oots csregistry" and a NUL, which keeps the ids of the registries
// loaded so far.
var registryNS = uuid.UUID([]byte("oots csregistry\x00"))

// submission collects the objects of one LCM request without repeating one.
type submission struct {
	req  *edm.SubmitObjectsRequest
	seen map[string]bool
}

func newSubmission(k edm.Kind, id string) *submission {
	return &submission{req: edm.NewSubmitObjectsRequest(k, id), seen: map[string]bool{}}
}

func (s *submission) object(id, slot string, payload any, scheme, node string) {
	if s.seen[id] {
		return
	}
	s.seen[id] = true
	s.req.Objects = append(s.req.Objects, edm.NewLCMObject(id, slot, payload, scheme, node, nameUUID("classification", id)))
}

func (s *submission) assoc(typ, source, target string) {
	id := nameUUID("association", typ, source, target)
	if s.seen[id] {
		return
	}
	s.seen[id] = true
	s.req.Objects = append(s.req.Objects, edm.NewAssociation(id, typ, source, target))
}

// FromAnswer returns the LCM submission that registers the content of a
// Common Services answer: for an Evidence Broker answer (EB-REQ, EB-EVI) each
// requirement, reference framework, evidence type list and evidence type as
// objects of their own joined by associations; for a DSD answer (DSD-RESP)
// each data service evidence type and each access service (evidence
// provider) joined by ServesEvidenceType. Object ids are name-based
// (nameUUID) so that overlapping answers load into the same objects. This is
// how the captured answers of the Commission's services are loaded.
func FromAnswer(a *edm.ServiceResponse) (*edm.SubmitObjectsRequest, error) {
	switch a.Kind() {
	case edm.KindEBRequirements, edm.KindEBEvidenceTypes:
		return ebSubmission(a.Requirements()), nil
	case edm.KindDSDResponse:
		return dsdSubmission(a.DataServices()), nil
	}
	return nil, fmt.Errorf("csregistry: a %s answer carries no registry content", a.Kind())
}

func ebSubmission(reqs []*edm.Requirement) *edm.SubmitObjectsRequest {
	const scheme = edm.ClassificationSchemeEB
	var keys []string
	for _, p := range reqs {
		keys = append(keys, p.Identifier.Value)
	}
	s := newSubmission(edm.KindEBSubmission, nameUUID(append([]string{"eb-submission"}, keys...)...))
	for _, p := range reqs {
		reqID := nameUUID("requirement", p.Identifier.Value)
		r := *p
		r.ReferenceFramework, r.EvidenceTypeList = nil, nil
		s.object(reqID, "Requirement", &r, scheme, NodeRequirement)
		for i := range p.ReferenceFramework {
			rf := p.ReferenceFramework[i]
			rfID := nameUUID("reference-framework", rf.Identifier.Value)
			s.object(rfID, "ReferenceFramework", &rf, scheme, NodeReferenceFramework)
			s.assoc(edm.AssociationDerivesFromReferenceFramework, reqID, rfID)
		}
		for i := range p.EvidenceTypeList {
			l := p.EvidenceTypeList[i]
			lID := nameUUID("evidence-type-list", l.Identifier.Value)
			types := l.EvidenceType
			l.EvidenceType = nil
			s.object(lID, "EvidenceTypeList", &l, scheme, NodeEvidenceTypeList)
			s.assoc(edm.AssociationFulfillsRequirement, lID, reqID)
			for j := range types {
				t := types[j]
				tID := nameUUID("evidence-type", lID, t.EvidenceTypeClassification)
				s.object(tID, "EvidenceType", &t, scheme, NodeEvidenceType)
				s.assoc(edm.AssociationContainsEvidence, lID, tID)
			}
		}
	}
	return s.req
}

func dsdSubmission(dss []*edm.DataServiceEvidenceType) *edm.SubmitObjectsRequest {
	const scheme = edm.ClassificationSchemeDSD
	var keys []string
	for _, p := range dss {
		keys = append(keys, p.Identifier.Value)
	}
	s := newSubmission(edm.KindDSDSubmission, nameUUID(append([]string{"dsd-submission"}, keys...)...))
	for _, p := range dss {
		id := nameUUID("data-service", p.EvidenceTypeClassification, p.Identifier.Value)
		ds := *p
		ds.AccessService = nil
		s.object(id, "DataServiceEvidenceType", &ds, scheme, NodeDataServiceEvidenceType)
		for i := range p.AccessService {
			as := p.AccessService[i]
			asID := nameUUID("evidence-provider", as.Identifier.SchemeID, as.Identifier.Value, as.Publisher.Identifier.SchemeID, as.Publisher.Identifier.Value)
			s.object(asID, "EvidenceProvider", &as, scheme, NodeEvidenceProvider)
			s.assoc(edm.AssociationServesEvidenceType, asID, id)
		}
	}
	return s.req
}

// LoadFile applies one document to the registry: an LCM submission or
// removal, or a Common Services answer (converted with FromAnswer).
//
// Errors: *edm.Error (LCM:ERR) for content the registry rejects, the parser's error for
// a document that is not an OOTS message, ErrStore.
func (r *Registry) LoadFile(ctx context.Context, body []byte) error {
	doc, err := xmltree.ParseBytes(body, ptr(edm.Limits()))
	if err != nil {
		return err
	}
	if doc.Root.Is(NamespaceLCM, "RemoveObjectsRequest") {
		return r.removeDoc(ctx, Submitter{}, doc.Root)
	}
	m, _, err := edm.ParseDocument(doc)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *edm.SubmitObjectsRequest:
		return r.Submit(ctx, m)
	case *edm.ServiceResponse:
		sub, err := FromAnswer(m)
		if err != nil {
			return err
		}
		return r.Submit(ctx, sub)
	}
	return fmt.Errorf("csregistry: a %s message cannot be loaded", m.Kind())
}

// LoadDir loads every .xml file directly in dir of fsys with LoadFile, in
// name order (bulk load). It stops at the first file that fails, naming it;
// the files before it stay loaded, each having been applied whole.
func (r *Registry) LoadDir(ctx context.Context, fsys fs.FS, dir string) (int, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return 0, fmt.Errorf("csregistry: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".xml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for i, n := range names {
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			return i, fmt.Errorf("csregistry: %w", err)
		}
		if err := r.LoadFile(ctx, b); err != nil {
			return i, fmt.Errorf("csregistry: loading %s: %w", n, err)
		}
	}
	return len(names), nil
}
