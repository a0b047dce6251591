package portal

import (
	"fmt"
	"net/url"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
)

// documentTexts label the documents of a received EDM 2.0 evidence package
// by their role, in the columns of catalogueLanguages.
var documentTexts = [][6]string{
	{"colRole", "Document", "Dokument", "Document", "Asiakirja", "Dokument"},
	{"roleMainEvidence", "Evidence", "Nachweis", "Justificatif", "Todiste", "Bevis"},
	{"roleHumanReadableVersion", "Human-readable version of %s", "Lesbare Fassung von %s", "Version lisible de %s", "Luettava versio: %s", "Läsbar version av %s"},
	{"roleAnnex", "Annex to %s", "Anlage zu %s", "Annexe à %s", "Liite: %s", "Bilaga till %s"},
	{"roleTranslation", "Translation of %s", "Übersetzung von %s", "Traduction de %s", "Käännös: %s", "Översättning av %s"},
}

// validAssociated checks the supplementary documents a procedure asks for.
func validAssociated(roles []string) error {
	for _, r := range roles {
		switch r {
		case edm.RoleAnnex, edm.RoleHumanReadableVersion, edm.RoleTranslation:
		default:
			return fmt.Errorf("%q is not Annex, HumanReadableVersion or Translation", r)
		}
	}
	return nil
}

// evidenceViews shows every document received for a requirement, each
// labelled by its role and downloadable: a supplementary document of a 2.0
// package names the main evidence it goes with.
func evidenceViews(rq *request, ev []requester.Evidence, base string) []evidenceView {
	titles := map[string]string{}
	for _, e := range ev {
		titles[e.ID] = e.Title
	}
	var out []evidenceView
	for _, e := range ev {
		v := evidenceView{Title: e.Title, Format: e.Format, Issuer: e.Issuer, Date: e.IssuingDate, Role: e.Role,
			URL: base + "/evidence/" + url.PathEscape(e.ID)}
		if e.Role == edm.RoleTranslation {
			v.Language = e.Language
		}
		switch e.Role {
		case "":
		case edm.RoleMainEvidence:
			v.RoleLabel = rq.t("roleMainEvidence")
		case edm.RoleAnnex, edm.RoleHumanReadableVersion, edm.RoleTranslation:
			main := titles[e.Of]
			if main == "" {
				main = rq.t("roleMainEvidence")
			}
			v.RoleLabel = rq.t("role"+e.Role, main)
		default:
			v.RoleLabel = e.Role
		}
		out = append(out, v)
	}
	return out
}
