package eb

import (
	"slices"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
)

// frameworkMatches reports whether a reference framework implements the
// queried procedure in the queried jurisdiction.
func frameworkMatches(f *edm.ReferenceFramework, q *query) bool {
	if q.procedure != "" && !slices.ContainsFunc(f.RelatedTo, func(r edm.ReferenceFramework) bool { return r.Identifier.Value == q.procedure }) {
		return false
	}
	j := f.Jurisdiction
	if q.country != "" && (j == nil || j.AdminUnitLevel1 != q.country) {
		return false
	}
	if q.l2 != "" && j != nil && j.AdminUnitLevel2 != "" && j.AdminUnitLevel2 != q.l2 {
		return false
	}
	if q.l3 != "" && j != nil && j.AdminUnitLevel3 != "" && j.AdminUnitLevel3 != q.l3 {
		return false
	}
	return true
}

// requirement returns the answer object of a requirement for the
// requirements query: the requirement with the matching reference frameworks,
// or nil when none matches.
func requirement(rq *csregistry.Requirement, q *query, v edm.Version) *edm.Requirement {
	r := base(rq.Requirement, v)
	for _, f := range rq.Frameworks {
		if frameworkMatches(f, q) {
			r.ReferenceFramework = append(r.ReferenceFramework, *f)
		}
	}
	if len(r.ReferenceFramework) == 0 {
		return nil
	}
	if q.incompleteExcluded && q.country != "" && len(lists(rq, q, v)) == 0 {
		return nil
	}
	return r
}

// evidenceTypes returns the answer object of the evidence types query: the
// requirement with all its reference frameworks and the evidence type lists
// of the jurisdiction, or nil when no list applies.
func evidenceTypes(rq *csregistry.Requirement, q *query, v edm.Version) *edm.Requirement {
	r := base(rq.Requirement, v)
	for _, f := range rq.Frameworks {
		r.ReferenceFramework = append(r.ReferenceFramework, *f)
	}
	r.EvidenceTypeList = lists(rq, q, v)
	if len(r.EvidenceTypeList) == 0 {
		return nil
	}
	return r
}

// base copies the requirement's own elements in the form of version v.
func base(p *edm.Requirement, v edm.Version) *edm.Requirement {
	r := *p
	r.ReferenceFramework, r.EvidenceTypeList = nil, nil
	if !v.Is2() {
		r.Description = nil // EDM 2.0 only
	}
	return &r
}

// lists returns the evidence type lists of rq that apply to the query's
// jurisdiction, in the form of version v: 2.0 puts the jurisdiction on the
// list, 1.x on each evidence type.
func lists(rq *csregistry.Requirement, q *query, v edm.Version) []edm.EvidenceTypeList {
	var out []edm.EvidenceTypeList
	for _, l := range rq.Lists {
		if q.country != "" && !slices.Contains(l.Countries(), q.country) {
			continue
		}
		if !levelsMatch(l, q) {
			continue
		}
		out = append(out, form(l, v))
	}
	return out
}

func levelsMatch(l *csregistry.EvidenceTypeList, q *query) bool {
	if q.l2 == "" && q.l3 == "" {
		return true
	}
	for _, t := range l.Types {
		for _, j := range t.Jurisdiction {
			if (q.l2 == "" || j.AdminUnitLevel2 == "" || j.AdminUnitLevel2 == q.l2) &&
				(q.l3 == "" || j.AdminUnitLevel3 == "" || j.AdminUnitLevel3 == q.l3) {
				return true
			}
		}
	}
	return len(l.List.Jurisdiction) > 0
}

func form(l *csregistry.EvidenceTypeList, v edm.Version) edm.EvidenceTypeList {
	out := *l.List
	out.EvidenceType = make([]edm.EvidenceType, len(l.Types))
	for i, t := range l.Types {
		out.EvidenceType[i] = *t
	}
	if v.Is2() {
		if len(out.Jurisdiction) == 0 {
			// 1.x data: the list's jurisdictions are its types'.
			for i := range out.EvidenceType {
				for _, j := range out.EvidenceType[i].Jurisdiction {
					if !slices.ContainsFunc(out.Jurisdiction, func(x edm.Jurisdiction) bool { return x.AdminUnitLevel1 == j.AdminUnitLevel1 }) {
						out.Jurisdiction = append(out.Jurisdiction, edm.Jurisdiction{AdminUnitLevel1: j.AdminUnitLevel1})
					}
				}
				out.EvidenceType[i].Jurisdiction = nil
			}
		}
		return out
	}
	for i := range out.EvidenceType {
		t := &out.EvidenceType[i]
		if len(t.Jurisdiction) == 0 {
			for _, j := range out.Jurisdiction {
				t.Jurisdiction = append(t.Jurisdiction, edm.Jurisdiction{AdminUnitLevel1: j.AdminUnitLevel1, AdminUnitLevel2: j.AdminUnitLevel2, AdminUnitLevel3: j.AdminUnitLevel3})
			}
		}
		t.Jurisdiction = slices.Clone(t.Jurisdiction)
		t.Distribution = slices.Clone(t.Distribution)
		for k := range t.Jurisdiction {
			t.Jurisdiction[k].AdditionalJurisdictionClassification = nil
		}
		for k := range t.Distribution {
			t.Distribution[k].Language = nil
		}
	}
	out.Jurisdiction = nil
	return out
}
