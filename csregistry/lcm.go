package csregistry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/schematron"
	"github.com/oots-go/oots/xmltree"
)

// NamespaceLCM is the RegRep LCM namespace (lcm.xsd).
const NamespaceLCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0"

// lcmErr is the rejection of an LCM request: an *edm.Error with the LCM:ERR
// code the requester gets (LCMErrorCodes, SPEC.md §3.5) and a detail that
// begins with the id of the registry object concerned, if any.
func lcmErr(code edm.ErrorCode, object, detail string) *edm.Error {
	if object != "" {
		detail = object + ": " + detail
	}
	return edm.NewError(code, detail)
}

// ErrStore wraps a failure of the Store during an LCM request; nothing was
// published.
var ErrStore = errors.New("csregistry: store write failed")

// Submit applies an LCM submission (EB-SUB or DSD-SUB): every object is added
// or, when its id exists, replaced. The request is checked with the official
// rule files (unless Config.SkipRules), then the resulting data set is
// checked for integrity, written to the store and published. Either all of
// it is applied or nothing.
//
// Errors: *edm.Error (LCM:ERR) for a request that does not comply (the requester's
// error); an error wrapping ErrStore when the store fails.
func (r *Registry) Submit(ctx context.Context, req *edm.SubmitObjectsRequest) error {
	return r.submit(ctx, Submitter{}, req)
}

func (r *Registry) submit(ctx context.Context, by Submitter, req *edm.SubmitObjectsRequest) error {
	svc, ok := serviceOf(req.Kind())
	if !ok {
		return lcmErr(edm.LCMErr0001, "", "not a submission to the Evidence Broker or the DSD")
	}
	el, err := req.Element()
	if err != nil {
		return &edm.Error{Code: edm.LCMErr0001, Detail: "the submission is incomplete", Err: err}
	}
	if err := r.checkRules(req.Kind(), &xmltree.Document{Root: el}); err != nil && !(by.operator() && requirementsOnly(req)) {
		return err
	}
	put := make([]StoredObject, 0, len(req.Objects))
	for _, o := range req.Objects {
		b, err := encodeObject(req.Kind(), o)
		if err != nil {
			return &edm.Error{Code: edm.LCMErr0001, Detail: o.ID + ": cannot be written", Err: err}
		}
		put = append(put, StoredObject{Service: svc, ID: o.ID, XML: b})
	}
	return r.apply(ctx, by, svc, req.Objects, put, nil)
}

// SubmitXML reads an LCM request document — lcm:SubmitObjectsRequest or
// lcm:RemoveObjectsRequest — applies it and returns the RegistryResponse to
// send back (LCM-SUC, or LCM-ERR with the code). The error is non-nil for a
// rejected request too, with the precise cause for the operator's log.
func (r *Registry) SubmitXML(ctx context.Context, body []byte) (*edm.RegistryResponse, error) {
	return r.submitXML(ctx, Submitter{}, body)
}

func (r *Registry) submitXML(ctx context.Context, by Submitter, body []byte) (*edm.RegistryResponse, error) {
	doc, err := xmltree.ParseBytes(body, ptr(edm.Limits()))
	if err != nil {
		e := &edm.Error{Code: edm.LCMErr0001, Detail: "the request is not well-formed XML within the limits", Err: err}
		return edm.NewRegistryResponse("", e.Exception()), e
	}
	reqID, _ := doc.Root.AttrValue("", "id")
	if doc.Root.Is(NamespaceLCM, "RemoveObjectsRequest") {
		err := r.removeDoc(ctx, by, doc.Root)
		return response(reqID, err), err
	}
	m, findings, err := edm.ParseDocument(doc)
	if err != nil {
		e := &edm.Error{Code: edm.LCMErr0001, Detail: "not an LCM request", Err: err}
		return edm.NewRegistryResponse(reqID, e.Exception()), e
	}
	sub, ok := m.(*edm.SubmitObjectsRequest)
	if !ok {
		e := lcmErr(edm.LCMErr0001, "", "a "+string(m.Kind())+" message is not an LCM request")
		return edm.NewRegistryResponse(reqID, e.Exception()), e
	}
	if f := firstError(findings, nil); f != nil {
		e := lcmErr(codeFor(f.Location, f.Message), "", f.Rule+" at "+f.Location+": "+f.Message)
		return edm.NewRegistryResponse(reqID, e.Exception()), e
	}
	err = r.submit(ctx, by, sub)
	return response(sub.ID, err), err
}

// requirementsOnly tells a submission of requirements alone: the operator
// loads them from the Semantic Repository before any Member State
// implements them, which the official rule files (written for a Member
// State's submission: R-EDM-REQ-S044 wants an evidence type in each) would
// refuse; the model and integrity checks hold all the same.
func requirementsOnly(req *edm.SubmitObjectsRequest) bool {
	for _, o := range req.Objects {
		if _, ok := o.Payload.(*edm.Requirement); !ok {
			return false
		}
	}
	return req.Kind() == edm.KindEBSubmission && len(req.Objects) > 0
}

func response(reqID string, err error) *edm.RegistryResponse {
	if err == nil {
		return edm.NewRegistryResponse(reqID)
	}
	var le *edm.Error
	if !errors.As(err, &le) {
		// A store failure: the request could not be applied; the requester
		// learns that the data set was not stored, the operator the cause.
		le = edm.NewError(edm.LCMErr0003, "the data set could not be stored")
	}
	return edm.NewRegistryResponse(reqID, le.Exception())
}

// codeFor tells whether a finding concerns an association (LCM:ERR:0002) or
// another registry object (LCM:ERR:0001), from its location or the rule's
// message.
func codeFor(location, message string) edm.ErrorCode {
	if strings.Contains(location, "AssociationType") || strings.Contains(location, "sourceObject") || strings.Contains(location, "targetObject") ||
		strings.Contains(strings.ToLower(message), "association") {
		return edm.LCMErr0002
	}
	return edm.LCMErr0001
}

func firstError(fs []check.Finding, tolerate []string) *check.Finding {
	for i, f := range fs {
		if (f.Flag == check.Fatal || f.Flag == check.Error) && !slices.Contains(tolerate, f.Rule) {
			return &fs[i]
		}
	}
	return nil
}

// checkRules runs the official rule files of the submission's kind.
func (r *Registry) checkRules(k edm.Kind, doc *xmltree.Document) error {
	if r.cfg.SkipRules {
		return nil
	}
	rs, err := schematron.ForKind(string(k), string(edm.CSv1))
	if err != nil {
		return fmt.Errorf("csregistry: rules of %s: %w", k, err)
	}
	if f := firstError(rs.Validate(doc), r.cfg.TolerateRules); f != nil {
		return lcmErr(codeFor(f.Location, f.Message), "", f.Rule+" at "+f.Location+": "+f.Message)
	}
	return nil
}

// RemoveObjects removes registry objects by id from the registry that holds
// them (lcm:RemoveObjectsRequest, RegRep 4 Part 2 §5.3). Removing an object
// that an association still joins, or an id that does not exist, is
// rejected with LCM:ERR:0003 and changes nothing.
func (r *Registry) RemoveObjects(ctx context.Context, ids ...string) error {
	return r.remove(ctx, Submitter{}, ids)
}

func (r *Registry) remove(ctx context.Context, by Submitter, ids []string) error {
	if len(ids) == 0 {
		return lcmErr(edm.LCMErr0001, "", "no object to remove")
	}
	snap := r.Snapshot()
	var svc Service
	for i, id := range ids {
		var s Service
		switch {
		case snap.eb[id] != nil:
			s = EvidenceBroker
		case snap.dsd[id] != nil:
			s = DataServiceDirectory
		default:
			return lcmErr(edm.LCMErr0003, id, "no such registry object")
		}
		if i > 0 && s != svc {
			return lcmErr(edm.LCMErr0003, id, "one request removes objects of one registry")
		}
		svc = s
	}
	remove := make([]StoredObject, len(ids))
	for i, id := range ids {
		remove[i] = StoredObject{Service: svc, ID: id}
	}
	err := r.apply(ctx, by, svc, nil, nil, remove)
	var le *edm.Error
	if errors.As(err, &le) && le.Code == edm.LCMErr0002 {
		// The removal leaves an association dangling.
		return edm.NewError(edm.LCMErr0003, "still joined by an association: "+le.Detail)
	}
	return err
}

func (r *Registry) removeDoc(ctx context.Context, by Submitter, root *xmltree.Element) error {
	var ids []string
	for _, l := range root.ChildrenNamed(regrep.NamespaceRIM, "ObjectRefList") {
		for _, ref := range l.ChildrenNamed(regrep.NamespaceRIM, "ObjectRef") {
			id, _ := ref.AttrValue("", "id")
			ids = append(ids, id)
		}
	}
	return r.remove(ctx, by, ids)
}

// apply computes the new data set of svc, checks it, stores and publishes it.
func (r *Registry) apply(ctx context.Context, by Submitter, svc Service, objs []*edm.Object, put, remove []StoredObject) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.Snapshot()
	cur := old.eb
	if svc == DataServiceDirectory {
		cur = old.dsd
	}
	next := make(map[string]*entry, len(cur)+len(objs))
	for id, e := range cur {
		next[id] = &entry{obj: e.obj, seq: e.seq}
	}
	for _, o := range remove {
		delete(next, o.ID)
	}
	seq := r.seq
	seen := make(map[string]bool, len(objs))
	for i, o := range objs {
		if seen[o.ID] {
			return lcmErr(edm.LCMErr0001, o.ID, "the id is used twice in the request")
		}
		seen[o.ID] = true
		s := seq + 1
		if e, ok := next[o.ID]; ok {
			s = e.seq // a replaced object keeps its place
		} else {
			seq++
		}
		next[o.ID] = &entry{obj: o, seq: s}
		put[i].Seq = s
	}
	if err := authorise(by, cur, next, objs, remove); err != nil {
		r.log.Warn("LCM request refused", "service", string(svc), "party", by.Party, "error", err)
		return err
	}
	es := make([]*entry, 0, len(next))
	for _, e := range next {
		es = append(es, e)
	}
	other := old.dsd
	if svc == DataServiceDirectory {
		other = old.eb
	}
	os := make([]*entry, 0, len(other))
	for _, e := range other {
		os = append(os, &entry{obj: e.obj, seq: e.seq})
	}
	var snap *Snapshot
	var err error
	if svc == EvidenceBroker {
		snap, err = build(es, os)
	} else {
		snap, err = build(os, es)
	}
	if err == nil {
		err = inUse(old, snap)
	}
	if err != nil {
		r.log.Warn("LCM request rejected", "service", string(svc), "error", err)
		return err
	}
	if err := r.cfg.Store.Apply(ctx, put, remove); err != nil {
		r.log.Error("LCM request not stored", "service", string(svc), "error", err)
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	r.seq = seq
	r.snap.Store(snap)
	return nil
}

// encodeObject writes one object as its rim:RegistryObject element, with the
// namespace declarations it uses: the form the store keeps.
func encodeObject(k edm.Kind, o *edm.Object) ([]byte, error) {
	s := edm.NewSubmitObjectsRequest(k, "urn:uuid:00000000-0000-4000-8000-000000000000")
	s.Objects = []*edm.Object{o}
	el, err := s.Element()
	if err != nil {
		return nil, err
	}
	list := el.Child(regrep.NamespaceRIM, "RegistryObjectList")
	if list == nil || len(list.Elements()) != 1 {
		return nil, errors.New("no registry object written")
	}
	var b bytes.Buffer
	if err := xmltree.WriteElement(&b, list.Elements()[0], xmltree.WriteOptions{}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeObjects reads stored objects of one service back, as one submission
// (an association alone is not a message the model can tell the kind of).
func decodeObjects(objs []StoredObject) ([]*edm.Object, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	b.WriteString(`<lcm:SubmitObjectsRequest xmlns:lcm="` + NamespaceLCM + `" xmlns:rim="` + regrep.NamespaceRIM + `" id="urn:uuid:00000000-0000-4000-8000-000000000000"><rim:RegistryObjectList>`)
	for _, o := range objs {
		b.Write(o.XML)
	}
	b.WriteString(`</rim:RegistryObjectList></lcm:SubmitObjectsRequest>`)
	m, _, err := edm.ParseBytes(b.Bytes())
	if err != nil {
		return nil, err
	}
	s, ok := m.(*edm.SubmitObjectsRequest)
	if !ok || len(s.Objects) != len(objs) {
		return nil, fmt.Errorf("stored objects read back as %s", m.Kind())
	}
	return s.Objects, nil
}

func sortStored(s []StoredObject) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Seq < s[j].Seq })
}

func ptr[T any](v T) *T { return &v }
