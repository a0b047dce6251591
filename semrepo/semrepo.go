// Package semrepo serves the Semantic Repository of the OOTS Common Services
// (SPEC.md §3.4): the design-time resources that the Evidence Broker and DSD
// answers point to, each at the path of its URI
// (https://sr.oots.tech.ec.europa.eu/{requirements|evidencetypeclassifications/<CC>|datamodels|codelists}/…,
// or https://sr.<env>.oots.tech.ec.europa.eu/… of an environment such as
// acceptance, and the TDD 1.x host https://sr.oots.tech.europa.eu/: the
// path is the same; a classification's <CC> may be the test segment oots):
//
//   - codelists/<ShortName>: the OOTS code list as Genericode 1.0 (package
//     codelist); codelists/ lists them;
//   - requirements/<id>: the sdg:Requirement of the registry whose Identifier
//     ends with that path;
//   - evidencetypeclassifications/<CC>/<id>: the sdg:EvidenceType of the
//     Evidence Broker (or, failing that, the DSD's data service evidence type)
//     with that EvidenceTypeClassification;
//   - datamodels/… and distributions/…: files of a data model folder given by
//     the operator (Config.DataModels).
//
// The Commission's Semantic Repository has no documented query interface
// (SPEC.md §3.4); these resources are served read-only with GET, as XML
// (application/xml) or, for the index, JSON.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package semrepo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/regrep"
	"github.com/oots-go/oots/xmltree"
)

// Source gives the registry content.
type Source interface {
	Snapshot() *csregistry.Snapshot
}

// Config configures the Semantic Repository handler.
type Config struct {
	// Registry gives requirements and evidence types. Required.
	Registry Source
	// DataModels, if set, holds the files served under datamodels/ and
	// distributions/ (paths below those prefixes).
	DataModels fs.FS
}

// NewHandler returns the handler; mount it at the root of the repository's
// URIs (e.g. with http.StripPrefix).
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Registry == nil {
		return nil, errors.New("semrepo: Config.Registry is required")
	}
	return &handler{cfg: cfg}, nil
}

type handler struct{ cfg Config }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	kind, rest, _ := strings.Cut(p, "/")
	switch kind {
	case "codelists":
		h.codelist(w, rest)
	case "requirements":
		h.requirement(w, p)
	case "evidencetypeclassifications":
		h.evidenceType(w, p)
	case "datamodels", "distributions":
		if h.cfg.DataModels == nil || rest == "" {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(h.cfg.DataModels, rest)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", http.DetectContentType(b))
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) codelist(w http.ResponseWriter, name string) {
	if name == "" {
		type entry struct{ Name, URI, Version string }
		var idx []entry
		for _, l := range codelist.All() {
			idx = append(idx, entry{l.ShortName, l.CanonicalVersionURI, l.Version})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(idx)
		return
	}
	l, ok := codelist.ByName(name)
	if !ok {
		http.Error(w, "no code list "+name, http.StatusNotFound)
		return
	}
	b, err := l.MarshalGenericode()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(b)
}

// endsWith reports whether the URI u has the path p: for a Semantic
// Repository identifier (edm.ParseSRID), under whichever host and
// environment it is named.
func endsWith(u, p string) bool {
	id, err := edm.ParseSRID(u)
	if err != nil {
		return strings.HasSuffix(u, "/"+p)
	}
	id.Env, id.V1 = "", false
	return strings.TrimPrefix(id.String(), edm.SRHost2) == p
}

func (h *handler) requirement(w http.ResponseWriter, p string) {
	for _, rq := range h.cfg.Registry.Snapshot().Requirements() {
		if endsWith(rq.Requirement.Identifier.Value, p) {
			writeSDG(w, "Requirement", rq.Requirement)
			return
		}
	}
	http.Error(w, "no requirement "+p, http.StatusNotFound)
}

func (h *handler) evidenceType(w http.ResponseWriter, p string) {
	snap := h.cfg.Registry.Snapshot()
	for _, rq := range snap.Requirements() {
		for _, l := range rq.Lists {
			for _, t := range l.Types {
				if endsWith(t.EvidenceTypeClassification, p) {
					writeSDG(w, "EvidenceType", t)
					return
				}
			}
		}
	}
	for _, ds := range snap.AllDataServices() {
		if endsWith(ds.Type.EvidenceTypeClassification, p) {
			t := *ds.Type
			t.AccessService = nil
			writeSDG(w, "DataServiceEvidenceType", &t)
			return
		}
	}
	http.Error(w, "no evidence type classification "+p, http.StatusNotFound)
}

// writeSDG writes an SDG payload as a standalone XML document.
func writeSDG(w http.ResponseWriter, slot string, payload any) {
	el, err := sdgElement(slot, payload)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := xmltree.WriteElement(&b, el, xmltree.WriteOptions{Declaration: true, Indent: "  "}); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(b.Bytes())
}

// sdgElement writes payload through the message model (as the slot of a
// registry object) and returns the SDG element.
func sdgElement(slot string, payload any) (*xmltree.Element, error) {
	r := edm.NewServiceResponse(edm.KindEBRequirements, edm.CSv20)
	r.Objects = []*edm.Object{edm.NewObject("urn:uuid:00000000-0000-4000-8000-000000000000", slot, payload)}
	el, err := r.Element()
	if err != nil {
		return nil, err
	}
	list := el.Child(regrep.NamespaceRIM, "RegistryObjectList")
	if list == nil {
		return nil, errors.New("semrepo: no object written")
	}
	for _, o := range list.Elements() {
		for _, s := range o.ChildrenNamed(regrep.NamespaceRIM, "Slot") {
			for _, v := range s.ChildrenNamed(regrep.NamespaceRIM, "SlotValue") {
				if es := v.Elements(); len(es) == 1 {
					return es[0].Copy(), nil
				}
			}
		}
	}
	return nil, errors.New("semrepo: no SDG element written")
}
