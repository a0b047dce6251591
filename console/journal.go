package console

import (
	"net/http"
	"strings"

	"github.com/oots-go/oots/journal"
)

// journalRow is an entry on the journal page.
type journalRow struct {
	*journal.Entry
	Person string // the subject, shown to auditors who searched by person
}

// journalPage searches the exchange journal by conversation, exchange or
// (for auditors and administrators, audited) person, and verifies its hash
// chain. Searching by person opens the sealed personal data of the entries
// it reads (the most recent journal.DefaultLimit of the other filters).
func (s *Server) journalPage(w http.ResponseWriter, r *http.Request, u *user) {
	data := map[string]any{"Title": "Exchange journal", "Q": r.URL.Query()}
	j := s.cfg.Journal
	if j == nil {
		data["None"] = true
		s.render(w, "journal", u, data)
		return
	}
	q := r.URL.Query()
	conv, exch, person := strings.TrimSpace(q.Get("conversation")), strings.TrimSpace(q.Get("exchange")), strings.TrimSpace(q.Get("person"))
	if person != "" && !u.Role.may(permAudit) {
		s.forbidden(w, r, u, "journal.search_person", "")
		return
	}
	list, err := j.List(r.Context(), journal.Filter{Conversation: conv})
	if err != nil {
		s.fail(w, r, u, http.StatusInternalServerError, err)
		return
	}
	var rows []journalRow
	for i := len(list) - 1; i >= 0 && len(rows) < 200; i-- {
		e := list[i]
		if exch != "" && e.Exchange != exch {
			continue
		}
		row := journalRow{Entry: e}
		if person != "" {
			p, err := j.Personal(e)
			if err != nil || p == nil || !matchPerson(p, person) {
				continue
			}
			row.Person = strings.Join(strings.Fields(p.GivenName+" "+p.FamilyName+" "+p.LegalName), " ") + " (" + p.Identifier + p.LegalIdentifier + ")"
		}
		rows = append(rows, row)
	}
	if person != "" {
		// The search itself is recorded, not the name searched for: the
		// audit trail holds no personal data.
		s.record(r, u, "journal.search_person", "", "ok")
	}
	n, verr := j.Verify(r.Context())
	data["Rows"], data["Verified"], data["VerifyError"] = rows, n, verr
	s.render(w, "journal", u, data)
}

// matchPerson: the identifier equals q, or a name contains it (case
// folded).
func matchPerson(p *journal.Personal, q string) bool {
	if p.Identifier == q || p.LegalIdentifier == q {
		return true
	}
	lq := strings.ToLower(q)
	for _, s := range []string{p.GivenName + " " + p.FamilyName, p.LegalName} {
		if strings.TrimSpace(s) != "" && strings.Contains(strings.ToLower(s), lq) {
			return true
		}
	}
	return false
}
