package csregistry

import (
	"slices"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
)

// Submissions returns the objects of the registries that belong to the
// Member State cc — "" for those of none, the requirements — as LCM
// submissions: one to the Evidence Broker and one to the DSD (nil when it
// would be empty), objects in submission order, with the associations that
// belong to cc (see SubmitAs) and the objects of no Member State that these
// join. An object of several Member States is in
// none of them. This is what a Member State publishes of its data.
func (s *Snapshot) Submissions(cc string) (eb, dsd *edm.SubmitObjectsRequest) {
	pick := func(k edm.Kind, m map[string]*entry) *edm.SubmitObjectsRequest {
		var es []*entry
		picked := map[string]bool{}
		for id, e := range m {
			own := owners(e.obj, m)
			if (cc == "" && len(own) == 0) || (cc != "" && len(own) == 1 && own[0] == cc) {
				es = append(es, e)
				picked[id] = true
			}
		}
		// The objects of no Member State that cc's associations join (the
		// requirements its lists fulfil) go with them, unchanged: the
		// official rules want both ends of an association in the request.
		for _, e := range es {
			if o := e.obj; o.Type == regrep.AssociationType {
				for _, end := range []string{o.SourceObject, o.TargetObject} {
					if t := m[end]; t != nil && !picked[end] && len(owners(t.obj, m)) == 0 {
						es = append(es, t)
						picked[end] = true
					}
				}
			}
		}
		if len(es) == 0 {
			return nil
		}
		sortEntries(es)
		req := edm.NewSubmitObjectsRequest(k, nameUUID("lcm", string(k), cc))
		for _, e := range es {
			req.Objects = append(req.Objects, e.obj)
		}
		return req
	}
	return pick(edm.KindEBSubmission, s.eb), pick(edm.KindDSDSubmission, s.dsd)
}

// Countries returns the Member States that own objects of the registries,
// sorted.
func (s *Snapshot) Countries() []string {
	var cc []string
	for _, m := range []map[string]*entry{s.eb, s.dsd} {
		for _, e := range m {
			for _, c := range owners(e.obj, m) {
				if !slices.Contains(cc, c) {
					cc = append(cc, c)
				}
			}
		}
	}
	slices.Sort(cc)
	return cc
}
