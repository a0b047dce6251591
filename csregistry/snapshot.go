package csregistry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
)

// Classification nodes of the LCM submissions (SPEC.md §3.5).
const (
	NodeRequirement             = "Requirement"
	NodeReferenceFramework      = "ReferenceFramework"
	NodeEvidenceTypeList        = "EvidenceTypeList"
	NodeEvidenceType            = "EvidenceType"
	NodeDataServiceEvidenceType = "DataServiceEvidenceType"
	NodeEvidenceProvider        = "EvidenceProvider"
)

// Snapshot is the content of both registries at one moment, indexed for the
// queries. It is immutable: callers must not modify what its methods return.
type Snapshot struct {
	eb, dsd map[string]*entry // by object id

	requirements []*Requirement
	reqByID      map[string]*Requirement // by sdg:Identifier
	services     []*DataService
	byClass      map[string][]*DataService // by EvidenceTypeClassification
}

// entry is a registry object with its submission order.
type entry struct {
	obj  *edm.Object
	seq  int64
	node string
}

// Requirement is an Evidence Broker requirement with what the registry
// associates with it: the reference frameworks (procedures as implemented in a
// jurisdiction) it derives from and the evidence type lists that fulfil it,
// in submission order.
type Requirement struct {
	Requirement *edm.Requirement
	Frameworks  []*edm.ReferenceFramework
	Lists       []*EvidenceTypeList
}

// EvidenceTypeList is an evidence type list with its evidence types.
type EvidenceTypeList struct {
	List  *edm.EvidenceTypeList
	Types []*edm.EvidenceType
}

// Countries returns the jurisdictions (AdminUnitLevel1) of the list: the
// list's own (EDM 2.0 form) and its evidence types' (1.x form).
func (l *EvidenceTypeList) Countries() []string {
	var cc []string
	for _, j := range l.List.Jurisdiction {
		cc = append(cc, j.AdminUnitLevel1)
	}
	for _, t := range l.Types {
		for _, j := range t.Jurisdiction {
			cc = append(cc, j.AdminUnitLevel1)
		}
	}
	return cc
}

// DataService is a DSD data service evidence type with the evidence
// providers (access services) that serve it: those associated with it by
// ServesEvidenceType, then those its payload carries inline.
type DataService struct {
	Type      *edm.DataServiceEvidenceType
	Providers []*edm.AccessService
}

// Requirements returns every requirement, in submission order.
func (s *Snapshot) Requirements() []*Requirement { return s.requirements }

// Requirement returns the requirement with the given identifier (an SR
// requirement URI).
func (s *Snapshot) Requirement(id string) (*Requirement, bool) {
	r, ok := s.reqByID[id]
	return r, ok
}

// DataServices returns the data services of an evidence type classification,
// in submission order.
func (s *Snapshot) DataServices(classification string) []*DataService {
	return s.byClass[classification]
}

// AllDataServices returns every data service, in submission order.
func (s *Snapshot) AllDataServices() []*DataService { return s.services }

// Objects returns the number of registry objects of a service.
func (s *Snapshot) Objects(svc Service) int {
	if svc == EvidenceBroker {
		return len(s.eb)
	}
	return len(s.dsd)
}

// nodeOf returns the classification node of an object in scheme, or the
// payload slot name when it has no classification (objects of answers).
func nodeOf(o *edm.Object, scheme string) string {
	for _, c := range o.Classifications {
		if c.ClassificationScheme == scheme {
			return c.ClassificationNode
		}
	}
	return ""
}

// build indexes the objects of both registries and checks the integrity of
// the data set. Errors are *edm.Error (LCM:ERR).
func build(eb, dsd []*entry) (*Snapshot, error) {
	s := &Snapshot{
		eb: make(map[string]*entry, len(eb)), dsd: make(map[string]*entry, len(dsd)),
		reqByID: map[string]*Requirement{}, byClass: map[string][]*DataService{},
	}
	if err := s.buildEB(eb); err != nil {
		return nil, err
	}
	if err := s.buildDSD(dsd); err != nil {
		return nil, err
	}
	return s, nil
}

func sortEntries(es []*entry) {
	slices.SortStableFunc(es, func(a, b *entry) int { return int(a.seq - b.seq) })
}

type assoc struct{ typ, source, target, id string }

// split separates objects and associations, checking ids and nodes.
func split(es []*entry, m map[string]*entry, scheme string, nodes map[string]string) ([]assoc, error) {
	sortEntries(es)
	var as []assoc
	for _, e := range es {
		o := e.obj
		if o.ID == "" {
			return nil, lcmErr(edm.LCMErr0001, "", "a registry object has no id")
		}
		if _, dup := m[o.ID]; dup {
			return nil, lcmErr(edm.LCMErr0001, o.ID, "the id is used twice")
		}
		m[o.ID] = e
		if o.Type == regrep.AssociationType {
			as = append(as, assoc{o.AssociationType, o.SourceObject, o.TargetObject, o.ID})
			continue
		}
		e.node = nodeOf(o, scheme)
		if e.node == "" {
			return nil, lcmErr(edm.LCMErr0001, o.ID, "no classification in scheme "+scheme)
		}
		want, ok := nodes[e.node]
		if !ok {
			return nil, lcmErr(edm.LCMErr0001, o.ID, "unknown classification node "+e.node)
		}
		if got := fmt.Sprintf("%T", o.Payload); got != want {
			return nil, lcmErr(edm.LCMErr0001, o.ID, fmt.Sprintf("classification node %s but the slot %s holds %s", e.node, o.PayloadSlot, strings.TrimPrefix(got, "*edm.")))
		}
	}
	return as, nil
}

var ebNodes = map[string]string{
	NodeRequirement:        "*edm.Requirement",
	NodeReferenceFramework: "*edm.ReferenceFramework",
	NodeEvidenceTypeList:   "*edm.EvidenceTypeList",
	NodeEvidenceType:       "*edm.EvidenceType",
}

var dsdNodes = map[string]string{
	NodeDataServiceEvidenceType: "*edm.DataServiceEvidenceType",
	NodeEvidenceProvider:        "*edm.AccessService",
}

// endpoints checks an association's type and the nodes it joins.
func endpoints(m map[string]*entry, a assoc, types map[string][2]string) (src, dst *entry, err error) {
	kinds, ok := types[a.typ]
	if !ok {
		return nil, nil, lcmErr(edm.LCMErr0002, a.id, "unknown association type "+a.typ)
	}
	src, dst = m[a.source], m[a.target]
	switch {
	case src == nil:
		return nil, nil, lcmErr(edm.LCMErr0002, a.id, "sourceObject "+a.source+" does not exist")
	case dst == nil:
		return nil, nil, lcmErr(edm.LCMErr0002, a.id, "targetObject "+a.target+" does not exist")
	case src.node != kinds[0] || dst.node != kinds[1]:
		return nil, nil, lcmErr(edm.LCMErr0002, a.id, fmt.Sprintf("%s joins a %s to a %s, want %s to %s", a.typ, nodeName(src), nodeName(dst), kinds[0], kinds[1]))
	}
	return src, dst, nil
}

func nodeName(e *entry) string {
	if e.node == "" {
		return "association"
	}
	return e.node
}

func (s *Snapshot) buildEB(es []*entry) error {
	as, err := split(es, s.eb, edm.ClassificationSchemeEB, ebNodes)
	if err != nil {
		return err
	}
	types := map[string][2]string{
		edm.AssociationDerivesFromReferenceFramework: {NodeRequirement, NodeReferenceFramework},
		edm.AssociationFulfillsRequirement:           {NodeEvidenceTypeList, NodeRequirement},
		edm.AssociationContainsEvidence:              {NodeEvidenceTypeList, NodeEvidenceType},
	}
	reqs := map[string]*Requirement{}       // by object id
	lists := map[string]*EvidenceTypeList{} // by object id
	for _, e := range es {
		switch e.node {
		case NodeRequirement:
			p := e.obj.Payload.(*edm.Requirement)
			if len(p.ReferenceFramework) > 0 || len(p.EvidenceTypeList) > 0 {
				return lcmErr(edm.LCMErr0001, e.obj.ID, "a submitted Requirement carries no ReferenceFramework or EvidenceTypeList: they are objects of their own, joined by associations")
			}
			if _, dup := s.reqByID[p.Identifier.Value]; dup {
				return lcmErr(edm.LCMErr0003, e.obj.ID, "requirement "+p.Identifier.Value+" is registered twice")
			}
			r := &Requirement{Requirement: p}
			reqs[e.obj.ID] = r
			s.reqByID[p.Identifier.Value] = r
			s.requirements = append(s.requirements, r)
		case NodeEvidenceTypeList:
			p := e.obj.Payload.(*edm.EvidenceTypeList)
			if len(p.EvidenceType) > 0 {
				return lcmErr(edm.LCMErr0001, e.obj.ID, "a submitted EvidenceTypeList carries no EvidenceType: they are objects of their own, joined by ContainsEvidence")
			}
			lists[e.obj.ID] = &EvidenceTypeList{List: p}
		}
	}
	fulfils := map[string]bool{}
	for _, a := range as {
		src, dst, err := endpoints(s.eb, a, types)
		if err != nil {
			return err
		}
		switch a.typ {
		case edm.AssociationDerivesFromReferenceFramework:
			r := reqs[src.obj.ID]
			r.Frameworks = append(r.Frameworks, dst.obj.Payload.(*edm.ReferenceFramework))
		case edm.AssociationFulfillsRequirement:
			r := reqs[dst.obj.ID]
			r.Lists = append(r.Lists, lists[src.obj.ID])
			fulfils[src.obj.ID] = true
		case edm.AssociationContainsEvidence:
			l := lists[src.obj.ID]
			l.Types = append(l.Types, dst.obj.Payload.(*edm.EvidenceType))
		}
	}
	for id, l := range lists {
		if !fulfils[id] {
			return lcmErr(edm.LCMErr0003, id, "evidence type list "+l.List.Identifier.Value+" fulfils no requirement")
		}
		if len(l.Types) == 0 {
			return lcmErr(edm.LCMErr0003, id, "evidence type list "+l.List.Identifier.Value+" contains no evidence type")
		}
	}
	for id, r := range reqs {
		// A requirement alone comes from the Semantic Repository before any
		// Member State implements it; once a list fulfils it, it derives
		// from the procedure of a jurisdiction.
		if len(r.Frameworks) == 0 && len(r.Lists) > 0 {
			return lcmErr(edm.LCMErr0003, id, "requirement "+r.Requirement.Identifier.Value+" derives from no reference framework")
		}
	}
	return nil
}

func (s *Snapshot) buildDSD(es []*entry) error {
	as, err := split(es, s.dsd, edm.ClassificationSchemeDSD, dsdNodes)
	if err != nil {
		return err
	}
	types := map[string][2]string{
		edm.AssociationServesEvidenceType: {NodeEvidenceProvider, NodeDataServiceEvidenceType},
	}
	byObj := map[string]*DataService{}
	for _, e := range es {
		if e.node != NodeDataServiceEvidenceType {
			continue
		}
		p := e.obj.Payload.(*edm.DataServiceEvidenceType)
		ds := &DataService{Type: p}
		byObj[e.obj.ID] = ds
		s.services = append(s.services, ds)
		s.byClass[p.EvidenceTypeClassification] = append(s.byClass[p.EvidenceTypeClassification], ds)
	}
	for _, a := range as {
		src, dst, err := endpoints(s.dsd, a, types)
		if err != nil {
			return err
		}
		ds := byObj[dst.obj.ID]
		ds.Providers = append(ds.Providers, src.obj.Payload.(*edm.AccessService))
	}
	for id, ds := range byObj {
		for i := range ds.Type.AccessService {
			ds.Providers = append(ds.Providers, &ds.Type.AccessService[i])
		}
		if len(ds.Providers) == 0 {
			return lcmErr(edm.LCMErr0003, id, "data service evidence type "+ds.Type.Identifier.Value+" has no evidence provider")
		}
	}
	return nil
}
