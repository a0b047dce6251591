package csregistry

import (
	"bytes"
	"context"
	"slices"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
)

// Submitter is who sends an LCM request: a Member State's party, which may
// change only the registry objects of its own Member State. The zero
// Submitter is the operator of the Common Services (bulk loads, the
// command line), for whom only the integrity rules hold.
type Submitter struct {
	// Party names the sender (its P-Mode party or its credential), for the
	// logs.
	Party string
	// Country is the Member State (ISO 3166-1 alpha-2) whose objects the
	// party owns; "" is the operator.
	Country string
}

func (s Submitter) operator() bool { return s.Country == "" }

// SubmitAs applies an LCM submission sent by sub (see Submit). A Member
// State's party (Submitter.Country set) is held to the rules of the 2.0
// submission model besides those Submit checks:
//
//   - authority: every object it adds, replaces or removes belongs to its
//     Member State (the jurisdiction of an evidence type list, evidence
//     type or reference framework, the country of the Semantic Repository
//     classification of a data service, the jurisdiction or address of an
//     evidence provider; an association belongs to the Member States of
//     the objects it joins). Objects of no Member State — requirements,
//     which come from the Semantic Repository — may be added, and
//     re-submitted unchanged, but not changed: LCM:ERR:0001.
//   - versioning: an object that exists may be replaced by different
//     content only with a new version (rim:VersionInfo versionName other
//     than the stored one): LCM:ERR:0001.
//
// For every submitter, a value in use cannot be removed: an evidence type
// classification of the Evidence Broker that a data service of the DSD
// uses stays in the Evidence Broker (LCM:ERR:0003).
//
// Errors: as Submit.
func (r *Registry) SubmitAs(ctx context.Context, sub Submitter, req *edm.SubmitObjectsRequest) error {
	return r.submit(ctx, sub, req)
}

// SubmitXMLAs is SubmitXML for a request sent by sub (see SubmitAs); a
// lcm:RemoveObjectsRequest removes only sub's objects.
func (r *Registry) SubmitXMLAs(ctx context.Context, sub Submitter, body []byte) (*edm.RegistryResponse, error) {
	return r.submitXML(ctx, sub, body)
}

// countriesOf returns the Member States an object belongs to; nil for an
// object of none (a requirement) and for an association, whose countries
// are those of the objects it joins (see owners).
func countriesOf(o *edm.Object) []string {
	var cc []string
	add := func(c string) {
		if c != "" && !slices.Contains(cc, c) {
			cc = append(cc, c)
		}
	}
	classCountry := func(class string) {
		if id, err := edm.ParseSRID(class); err == nil && id.Country != edm.SRTestSegment {
			add(upper(id.Country))
		}
	}
	switch p := o.Payload.(type) {
	case *edm.EvidenceTypeList:
		for _, j := range p.Jurisdiction {
			add(j.AdminUnitLevel1)
		}
		for _, t := range p.EvidenceType {
			for _, j := range t.Jurisdiction {
				add(j.AdminUnitLevel1)
			}
		}
	case *edm.EvidenceType:
		for _, j := range p.Jurisdiction {
			add(j.AdminUnitLevel1)
		}
		if len(cc) == 0 {
			classCountry(p.EvidenceTypeClassification)
		}
	case *edm.ReferenceFramework:
		if p.Jurisdiction != nil {
			add(p.Jurisdiction.AdminUnitLevel1)
		}
	case *edm.DataServiceEvidenceType:
		classCountry(p.EvidenceTypeClassification)
		for _, a := range p.AccessService {
			addPublisher(add, &a.Publisher)
		}
	case *edm.AccessService:
		addPublisher(add, &p.Publisher)
	}
	return cc
}

func addPublisher(add func(string), p *edm.Publisher) {
	if p.Jurisdiction != nil {
		add(p.Jurisdiction.AdminUnitLevel1)
	}
	if p.Address != nil {
		add(p.Address.AdminUnitLevel1)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// owners returns the Member States of an object, an association's being
// those of the objects it joins as found in objs.
//
// An evidence type list of EDM 1.x has no jurisdiction of its own: it
// belongs to the Member States of the evidence types it contains; a data
// service classified under the test segment, to those of its evidence
// providers.
func owners(o *edm.Object, objs map[string]*entry) []string {
	if o.Type != regrep.AssociationType {
		return objectOwners(o, objs)
	}
	var cc []string
	for _, end := range []string{o.SourceObject, o.TargetObject} {
		if e := objs[end]; e != nil {
			for _, c := range objectOwners(e.obj, objs) {
				if !slices.Contains(cc, c) {
					cc = append(cc, c)
				}
			}
		}
	}
	return cc
}

func objectOwners(o *edm.Object, objs map[string]*entry) []string {
	cc := countriesOf(o)
	if len(cc) > 0 {
		return cc
	}
	// The objects whose country is that of the objects they join: an
	// evidence type list (1.x) by its evidence types, a data service
	// whose classification is under the test segment of the Semantic
	// Repository by its evidence providers.
	var typ string
	var fromSource bool
	switch o.Payload.(type) {
	case *edm.EvidenceTypeList:
		typ, fromSource = edm.AssociationContainsEvidence, true
	case *edm.DataServiceEvidenceType:
		typ = edm.AssociationServesEvidenceType
	default:
		return cc
	}
	for _, e := range objs {
		a := e.obj
		if a.Type != regrep.AssociationType || a.AssociationType != typ {
			continue
		}
		other := ""
		switch {
		case fromSource && a.SourceObject == o.ID:
			other = a.TargetObject
		case !fromSource && a.TargetObject == o.ID:
			other = a.SourceObject
		}
		if other != "" {
			if t := objs[other]; t != nil {
				for _, c := range countriesOf(t.obj) {
					if !slices.Contains(cc, c) {
						cc = append(cc, c)
					}
				}
			}
		}
	}
	return cc
}

// authorise checks that sub may make the change: cur is the registry's
// content before it, next after it.
func authorise(sub Submitter, cur, next map[string]*entry, objs []*edm.Object, remove []StoredObject) error {
	if sub.operator() {
		return nil
	}
	foreign := func(cc []string) string {
		for _, c := range cc {
			if c != sub.Country {
				return c
			}
		}
		return ""
	}
	for _, o := range objs {
		if c := foreign(owners(o, next)); c != "" {
			return lcmErr(edm.LCMErr0001, o.ID, "belongs to "+c+": "+sub.Party+" submits for "+sub.Country+" only")
		}
		old := cur[o.ID]
		if old == nil {
			continue
		}
		if c := foreign(owners(old.obj, cur)); c != "" {
			return lcmErr(edm.LCMErr0001, o.ID, "replaces an object of "+c+": "+sub.Party+" submits for "+sub.Country+" only")
		}
		same, err := sameObject(old.obj, o)
		if err != nil {
			return &edm.Error{Code: edm.LCMErr0001, Detail: o.ID + ": cannot be compared with the stored object", Err: err}
		}
		if same {
			continue
		}
		if len(owners(old.obj, cur)) == 0 {
			return lcmErr(edm.LCMErr0001, o.ID, "an object of no Member State (a requirement of the Semantic Repository) is not changed by a Member State")
		}
		if version(o) == "" || version(o) == version(old.obj) {
			return lcmErr(edm.LCMErr0001, o.ID, "changed without a new version (rim:VersionInfo versionName "+quote(version(old.obj))+" is stored)")
		}
	}
	for _, s := range remove {
		old := cur[s.ID]
		if old == nil {
			continue
		}
		cc := owners(old.obj, cur)
		if c := foreign(cc); c != "" {
			return lcmErr(edm.LCMErr0001, s.ID, "belongs to "+c+": "+sub.Party+" removes objects of "+sub.Country+" only")
		}
		if len(cc) == 0 {
			return lcmErr(edm.LCMErr0001, s.ID, "an object of no Member State (a requirement of the Semantic Repository) is not removed by a Member State")
		}
	}
	return nil
}

func version(o *edm.Object) string {
	if o.VersionInfo == nil {
		return ""
	}
	return o.VersionInfo.VersionName
}

func quote(s string) string { return `"` + s + `"` }

// sameObject tells whether two objects have the same content, as the store
// would keep them (the version aside, which is what tells them apart).
func sameObject(a, b *edm.Object) (bool, error) {
	ka, kb := kindOfObject(a), kindOfObject(b)
	ea, err := encodeObject(ka, a)
	if err != nil {
		return false, err
	}
	eb, err := encodeObject(kb, b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ea, eb), nil
}

func kindOfObject(o *edm.Object) edm.Kind {
	switch o.Payload.(type) {
	case *edm.DataServiceEvidenceType, *edm.AccessService:
		return edm.KindDSDSubmission
	}
	return edm.KindEBSubmission
}

// inUse checks that no evidence type classification that the DSD uses
// leaves the Evidence Broker: a value in use cannot be removed.
func inUse(old, next *Snapshot) error {
	had := classifications(old)
	has := classifications(next)
	for _, ds := range next.services {
		c := ds.Type.EvidenceTypeClassification
		if had[c] != "" && has[c] == "" {
			return lcmErr(edm.LCMErr0003, had[c], "evidence type classification "+c+" is in use by data service "+ds.Type.Identifier.Value+" of the DSD and cannot be removed")
		}
	}
	return nil
}

// classifications returns the evidence type classifications of the
// Evidence Broker, each with the id of an evidence type that has it.
func classifications(s *Snapshot) map[string]string {
	m := map[string]string{}
	for id, e := range s.eb {
		if t, ok := e.obj.Payload.(*edm.EvidenceType); ok {
			m[t.EvidenceTypeClassification] = id
		}
	}
	return m
}
