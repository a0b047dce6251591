package provider

import (
	"slices"
	"strings"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/regrep"
)

// Association types of the rim:Associations of a 2.0 evidence package
// (SPEC.md §2.3, TDD 4.5.2 §2.6 "Associations Between Evidence Objects"):
// each joins a supplementary document (sourceObject) to its MainEvidence
// (targetObject) and is typed after the classification of its source, as
// the official 2.0.1 rules R-EDM-RESP-S052 to S061 check.
const (
	AssociationAnnex                = regrep.AssociationTypePrefix + edm.RoleAnnex
	AssociationHumanReadableVersion = regrep.AssociationTypePrefix + edm.RoleHumanReadableVersion
	AssociationTranslation          = regrep.AssociationTypePrefix + edm.RoleTranslation
)

// associationOf is the association type of each supplementary role.
var associationOf = map[string]string{
	edm.RoleAnnex:                AssociationAnnex,
	edm.RoleHumanReadableVersion: AssociationHumanReadableVersion,
	edm.RoleTranslation:          AssociationTranslation,
}

// sentDocument is one document an answer carries: a main evidence, or a
// supplementary document of the main evidence at index Main of the same
// list.
type sentDocument struct {
	Role string // edm.RoleMainEvidence, RoleAnnex, RoleHumanReadableVersion, RoleTranslation
	Doc  Document
	Main int // the index of the main evidence a supplementary document belongs to; -1 for a main evidence
}

// documentsSent lists every document the answer to req carries, in the
// order they are packaged: each document of the data service as a main
// evidence, followed in a 2.0 answer by those of its human-readable
// version, annexes and translations that the request's DistributedAs asks
// for (AssociatedDocumentRequest). A 1.x answer has no packages, and sends
// the main evidence alone. The preview shows this list, the answer packages
// it and the disclosure records it: what the user approves is what leaves.
func documentsSent(req *edm.QueryRequest, docs []Document) []sentDocument {
	var out []sentDocument
	for _, d := range docs {
		main := len(out)
		out = append(out, sentDocument{Role: edm.RoleMainEvidence, Doc: d, Main: -1})
		if req == nil || !req.Version().Is2() || req.EvidenceRequest == nil {
			continue
		}
		et := req.EvidenceRequest
		if h := d.HumanReadableVersion; h != nil && asks(et, d, edm.RoleHumanReadableVersion) {
			out = append(out, sentDocument{Role: edm.RoleHumanReadableVersion, Doc: *h, Main: main})
		}
		if asks(et, d, edm.RoleAnnex) {
			for _, a := range d.Annexes {
				out = append(out, sentDocument{Role: edm.RoleAnnex, Doc: a, Main: main})
			}
		}
		if asks(et, d, edm.RoleTranslation) {
			langs := requestedLanguages(et, d)
			for _, t := range d.Translations {
				if len(langs) == 0 || slices.Contains(langs, strings.ToUpper(t.Language)) {
					out = append(out, sentDocument{Role: edm.RoleTranslation, Doc: t, Main: main})
				}
			}
		}
	}
	return out
}

// asks reports whether the request asks for the supplementary documents
// of the given role of document d: a DistributedAs of its format (and data
// model) whose AssociatedDocumentRequest lists the role.
func asks(et *edm.DataServiceEvidenceType, d Document, role string) bool {
	for _, da := range et.DistributedAs {
		if matches(da, d) && slices.Contains(da.AssociatedDocumentRequest, role) {
			return true
		}
	}
	return false
}

// requestedLanguages are the languages (upper case) the DistributedAs of
// document d asks for; none means any. A translation into another language
// is not sent, and the lack of one is no error (SPEC.md §2.3).
func requestedLanguages(et *edm.DataServiceEvidenceType, d Document) []string {
	var out []string
	for _, da := range et.DistributedAs {
		if matches(da, d) {
			for _, l := range da.Language {
				out = append(out, strings.ToUpper(l))
			}
		}
	}
	return out
}

// matches reports whether a DistributedAs of the request designates
// document d: its format and, when the request names one, its data model.
func matches(da edm.Distribution, d Document) bool {
	return da.HasFormat(d.Format) && (da.ConformsTo == "" || sameModel(da.ConformsTo, d.ConformsTo))
}

// supplementaryMetadata is the sdg:Evidence of a supplementary document:
// its identifier and its distribution (format, language) and nothing of
// what belongs to the main evidence alone (subject, issuing authority,
// conformance, dates), as the official 2.0.1 rule R-EDM-RESP-S063 asks.
func supplementaryMetadata(provider string, d Document) edm.Evidence {
	md := edm.Evidence{Identifier: edm.ID(evidenceID(provider, d.ID)), Distribution: []edm.Distribution{{Format: d.Format}}}
	if d.Language != "" {
		md.Distribution[0].Language = []string{strings.ToUpper(d.Language)}
	}
	return md
}

// evidenceID is the sdg:Identifier of an evidence document: its register
// id when that is a UUID, as the official R-EDM-RESP-C015 asks, else a
// name-based UUID (RFC 9562 version 5) of the provider and the register
// id, so that the same document keeps the same identifier across queries.
// An empty id stays empty (the caller draws a random one).
func evidenceID(provider, id string) string {
	if id == "" || uuid.Valid(id) {
		return id
	}
	return uuid.Name(evidenceNS, provider+"\x00"+id).String()
}

// evidenceNS is the name space of evidenceID.
var evidenceNS = uuid.Name(uuid.NameSpaceURL(), "https://github.com/oots-go/oots/provider#evidence")
