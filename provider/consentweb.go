package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/oots-go/oots/internal/ui"
)

// cookieAccount names the login of the page of consents and data use.
const (
	cookieAccount      = "oots_account"
	cookieAccountLogin = "oots_account_login"
	accountLifetime    = 30 * time.Minute
)

// consentMessages are the texts of the consent pages, merged into
// messages.
var consentMessages = map[string]map[string]string{
	"en": {
		"consent.legend":       "Optional: later exchanges without this preview",
		"consent.hint":         "You can leave this unticked. It changes nothing for the evidence above; without it, each later request is shown to you in a preview like this one.",
		"consent.offer":        "Also allow %s to obtain “%s” again without this preview, for the procedures you tick below, until %s. You can withdraw this consent at any time on the page %s.",
		"consent.procedures":   "Procedures for which the evidence may be obtained without preview (at least one; none other is included)",
		"consent.noprocedure":  "Tick at least one procedure for the consent, or untick the consent. Nothing has been sent yet.",
		"consent.badprocedure": "A procedure ticked for the consent is not one offered for this evidence. Nothing has been sent yet.",
		"consents.title":       "Your consents and the use of your data",
		"consents.text":        "Log in to see which authorities obtained your evidence from us, and the consents you gave to exchanges without preview. You can withdraw a consent.",
		"consents.login":       "Log in",
		"consents.given":       "Consents to exchanges without preview",
		"consents.none":        "You have given no consent.",
		"consents.requester":   "Authority",
		"consents.procedure":   "Procedure",
		"consents.procedures":  "Procedures",
		"consents.code":        "Code: %s",
		"consents.codes":       "Codes: %s",
		"consents.evidence":    "Evidence",
		"consents.until":       "Valid until",
		"consents.status":      "Status",
		"consents.valid":       "valid",
		"consents.expired":     "expired",
		"consents.withdrawn":   "withdrawn on %s",
		"consents.withdraw":    "Withdraw",
		"consents.sent":        "Evidence sent about you",
		"consents.nosent":      "We have sent no evidence about you.",
		"consents.when":        "Sent",
		"consents.documents":   "Documents",
		"consents.basis":       "Basis",
		"consents.preview":     "your approval at the preview",
		"consents.consent":     "your consent %s",
		"consents.json":        "Download as JSON",
		"consents.done":        "The consent has been withdrawn.",
	},
	"de": {
		"consent.legend":       "Freiwillig: spätere Abrufe ohne diese Vorschau",
		"consent.hint":         "Sie können dies frei lassen. Es ändert nichts für den Nachweis oben; ohne Einwilligung wird Ihnen jeder spätere Abruf in einer Vorschau wie dieser gezeigt.",
		"consent.offer":        "%s darf „%s“ für die unten angekreuzten Verfahren bis %s auch ohne diese Vorschau erneut abrufen. Sie können diese Einwilligung jederzeit auf der Seite %s widerrufen.",
		"consent.procedures":   "Verfahren, für die der Nachweis ohne Vorschau abgerufen werden darf (mindestens eines; kein anderes ist eingeschlossen)",
		"consent.noprocedure":  "Kreuzen Sie mindestens ein Verfahren für die Einwilligung an oder entfernen Sie das Häkchen der Einwilligung. Es wurde noch nichts übermittelt.",
		"consent.badprocedure": "Ein für die Einwilligung angekreuztes Verfahren wird für diesen Nachweis nicht angeboten. Es wurde noch nichts übermittelt.",
		"consents.title":       "Ihre Einwilligungen und die Nutzung Ihrer Daten",
		"consents.text":        "Melden Sie sich an, um zu sehen, welche Behörden Ihre Nachweise bei uns abgerufen haben und welche Einwilligungen in Abrufe ohne Vorschau Sie erteilt haben. Sie können eine Einwilligung widerrufen.",
		"consents.login":       "Anmelden",
		"consents.given":       "Einwilligungen in Abrufe ohne Vorschau",
		"consents.none":        "Sie haben keine Einwilligung erteilt.",
		"consents.requester":   "Behörde",
		"consents.procedure":   "Verfahren",
		"consents.procedures":  "Verfahren",
		"consents.code":        "Kennung: %s",
		"consents.codes":       "Kennungen: %s",
		"consents.evidence":    "Nachweis",
		"consents.until":       "Gültig bis",
		"consents.status":      "Status",
		"consents.valid":       "gültig",
		"consents.expired":     "abgelaufen",
		"consents.withdrawn":   "widerrufen am %s",
		"consents.withdraw":    "Widerrufen",
		"consents.sent":        "Über Sie übermittelte Nachweise",
		"consents.nosent":      "Wir haben keine Nachweise über Sie übermittelt.",
		"consents.when":        "Übermittelt",
		"consents.documents":   "Dokumente",
		"consents.basis":       "Grundlage",
		"consents.preview":     "Ihre Freigabe in der Vorschau",
		"consents.consent":     "Ihre Einwilligung %s",
		"consents.json":        "Als JSON herunterladen",
		"consents.done":        "Die Einwilligung wurde widerrufen.",
	},
	"fr": {
		"consent.legend":       "Facultatif : échanges ultérieurs sans cet aperçu",
		"consent.hint":         "Vous pouvez laisser cette case décochée. Cela ne change rien pour la preuve ci-dessus ; sans consentement, chaque demande ultérieure vous est présentée dans un aperçu comme celui-ci.",
		"consent.offer":        "Autoriser aussi %s à obtenir à nouveau « %s » sans cet aperçu, pour les démarches cochées ci-dessous, jusqu'au %s. Vous pouvez retirer ce consentement à tout moment sur la page %s.",
		"consent.procedures":   "Démarches pour lesquelles le justificatif peut être obtenu sans aperçu (au moins une ; aucune autre n'est incluse)",
		"consent.noprocedure":  "Cochez au moins une démarche pour le consentement, ou décochez le consentement. Rien n'a encore été envoyé.",
		"consent.badprocedure": "Une démarche cochée pour le consentement n'est pas proposée pour ce justificatif. Rien n'a encore été envoyé.",
		"consents.title":       "Vos consentements et l'utilisation de vos données",
		"consents.text":        "Connectez-vous pour voir quelles autorités ont obtenu vos justificatifs auprès de nous, et les consentements que vous avez donnés aux échanges sans aperçu. Vous pouvez retirer un consentement.",
		"consents.login":       "Se connecter",
		"consents.given":       "Consentements aux échanges sans aperçu",
		"consents.none":        "Vous n'avez donné aucun consentement.",
		"consents.requester":   "Autorité",
		"consents.procedure":   "Démarche",
		"consents.procedures":  "Démarches",
		"consents.code":        "Code : %s",
		"consents.codes":       "Codes : %s",
		"consents.evidence":    "Justificatif",
		"consents.until":       "Valable jusqu'au",
		"consents.status":      "État",
		"consents.valid":       "valable",
		"consents.expired":     "expiré",
		"consents.withdrawn":   "retiré le %s",
		"consents.withdraw":    "Retirer",
		"consents.sent":        "Justificatifs envoyés à votre sujet",
		"consents.nosent":      "Nous n'avons envoyé aucun justificatif à votre sujet.",
		"consents.when":        "Envoyé",
		"consents.documents":   "Documents",
		"consents.basis":       "Base",
		"consents.preview":     "votre accord lors de l'aperçu",
		"consents.consent":     "votre consentement %s",
		"consents.json":        "Télécharger en JSON",
		"consents.done":        "Le consentement a été retiré.",
	},
}

// consentView and disclosureView are rows of the consents page. A
// procedure is named in the page's language (web.procedureIn); its code
// (Codes, Code) is secondary, for the citizen who asks the authority.
type consentView struct {
	ID, Requester, Evidence, Until, Status string
	Procedures                             []string
	Codes                                  string
	Valid                                  bool
}

type disclosureView struct {
	Requester, Procedure, Code, Documents, Basis string
	// Sent is a <time> element in UTC (ui.Time), shown in the reader's
	// time zone by the shared time script.
	Sent template.HTML
}

// ConsentsPath is the page of consents and data use of the preview space.
const ConsentsPath = "/consents"

func (h *web) consentRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ConsentsPath, h.consentsPage)
	mux.HandleFunc("GET "+ConsentsPath+"/login", h.consentsLogin)
	mux.HandleFunc("GET "+ConsentsPath+"/callback", h.consentsCallback)
	mux.HandleFunc("POST "+ConsentsPath+"/withdraw", h.consentsWithdraw)
}

// account returns the logged-in subject of the consents page, or "".
func (h *web) account(r *http.Request) (subject, csrf string) {
	ck, err := r.Cookie(cookieAccount)
	if err != nil || !validToken(ck.Value) {
		return "", ""
	}
	subject, csrf, exp, err := h.c.db.Account(r.Context(), hash(ck.Value))
	if err != nil || h.c.cfg.Now().UnixMilli() > exp.UnixMilli() {
		return "", ""
	}
	return subject, csrf
}

func (h *web) consentsPage(w http.ResponseWriter, r *http.Request) {
	subject, csrf := h.account(r)
	if subject == "" {
		h.render(w, r, &page{Key: "consents", Path: ConsentsPath})
		return
	}
	ctx := r.Context()
	ks, err := h.c.Consents(ctx, subject)
	var ds []*Disclosure
	if err == nil {
		ds, err = h.c.Disclosures(ctx, subject)
	}
	if err != nil {
		h.c.log.Error("consents page", logErr, err)
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="data-use.json"`)
		json.NewEncoder(w).Encode(struct {
			Subject     string        `json:"subject"`
			Consents    []*Consent    `json:"consents"`
			Disclosures []*Disclosure `json:"disclosures"`
		}{subject, ks, ds})
		return
	}
	p := &page{Key: "consents", Path: ConsentsPath, CSRF: csrf, LoggedIn: true, Message: r.URL.Query().Get("done")}
	if p.Message != "" {
		p.Message = "consents.done"
	}
	lang := language(r)
	p.msgs = messages[lang] // render sets the same; p.T is needed before it
	t := p.T
	now := h.c.cfg.Now()
	for _, k := range ks {
		v := consentView{ID: k.ID, Requester: nameOr(k.RequesterName, k.Requester), Evidence: k.EvidenceTitle,
			Until: k.Expires.Format(time.DateOnly), Valid: k.Valid(now)}
		v.Procedures, v.Codes = h.procedures(k.Procedures, lang, p.msgs)
		switch {
		case !k.Withdrawn.IsZero():
			v.Status = fmt.Sprintf(t("consents.withdrawn"), k.Withdrawn.Format(time.DateOnly))
		case !v.Valid:
			v.Status = t("consents.expired")
		default:
			v.Status = t("consents.valid")
		}
		p.Consents = append(p.Consents, v)
	}
	for _, d := range ds {
		v := disclosureView{Requester: nameOr(d.RequesterName, d.Requester), Sent: ui.Time(d.Sent),
			Documents: strings.Join(d.Documents, "; "), Basis: t("consents.preview")}
		if names, code := h.procedures([]string{d.Procedure}, lang, p.msgs); len(names) > 0 {
			v.Procedure, v.Code = names[0], code
		}
		if d.ConsentID != "" {
			// The consent by what the user knows of it (its validity),
			// not by its identifier.
			which := ""
			for _, k := range ks {
				if k.ID == d.ConsentID {
					which = "(" + t("consents.until") + " " + k.Expires.Format(time.DateOnly) + ")"
				}
			}
			v.Basis = strings.TrimSpace(fmt.Sprintf(t("consents.consent"), which))
		}
		p.Disclosures = append(p.Disclosures, v)
	}
	h.render(w, r, p)
}

// procedures names the procedures of codes in lang (web.procedureIn), one
// without a name by its code; detail gives the codes after the names
// ("Codes: R1, T2", from msgs), "" when no procedure has a name.
func (h *web) procedures(codes []string, lang string, msgs map[string]string) (names []string, detail string) {
	named := false
	for _, c := range codes {
		n := h.procedureIn(c, lang)
		if n == "" {
			n = c
		} else {
			named = true
		}
		names = append(names, n)
	}
	if !named {
		return names, ""
	}
	key := "consents.codes"
	if len(codes) == 1 {
		key = "consents.code"
	}
	return names, fmt.Sprintf(msgs[key], strings.Join(codes, ", "))
}

// nameOr is a name for the citizen's eyes: the authority's name, its
// identifier only when it has none.
func nameOr(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return id
}

func (h *web) consentsLogin(w http.ResponseWriter, r *http.Request) {
	state, err := h.c.token()
	if err != nil {
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieAccountLogin, Value: state, Path: ConsentsPath, MaxAge: 900,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	h.c.cfg.Authenticator.Begin(w, r, state, h.c.cfg.PreviewBase+ConsentsPath+ConsentsCallbackPath)
}

func (h *web) consentsCallback(w http.ResponseWriter, r *http.Request) {
	subj, state, err := h.c.cfg.Authenticator.Finish(r)
	if err != nil {
		h.simple(w, r, http.StatusUnauthorized, loginFailure(err))
		return
	}
	ck, cerr := r.Cookie(cookieAccountLogin)
	if cerr != nil || state == "" || !equal(state, ck.Value) {
		h.simple(w, r, http.StatusBadRequest, "login")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieAccountLogin, Value: "", Path: ConsentsPath, MaxAge: -1, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	subject := loginSubject(subj)
	if subject == "" {
		h.simple(w, r, http.StatusForbidden, "login")
		return
	}
	token, err1 := h.c.token()
	csrf, err2 := h.c.token()
	if err1 != nil || err2 != nil {
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	now := h.c.cfg.Now()
	if err := h.c.db.PurgeAccounts(r.Context(), now); err != nil {
		h.c.log.Warn("accounts", logErr, err)
	}
	if err := h.c.db.InsertAccount(r.Context(), hash(token), subject, csrf, now.Add(accountLifetime)); err != nil {
		h.c.log.Error("accounts", logErr, err)
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieAccount, Value: token, Path: ConsentsPath, MaxAge: int(accountLifetime / time.Second),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, ConsentsPath, http.StatusSeeOther)
}

func (h *web) consentsWithdraw(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		h.simple(w, r, http.StatusBadRequest, "error")
		return
	}
	subject, csrf := h.account(r)
	if subject == "" || !equal(r.PostFormValue("csrf"), csrf) {
		h.simple(w, r, http.StatusForbidden, "error")
		return
	}
	id := r.PostFormValue("consent")
	if r.PostFormValue("confirm") != "yes" {
		// Withdrawing takes a second click, on a page that says what is
		// withdrawn and what follows.
		ks, err := h.c.Consents(r.Context(), subject)
		if err != nil {
			h.c.log.Error("withdraw", logErr, err)
			h.simple(w, r, http.StatusInternalServerError, "error")
			return
		}
		for _, k := range ks {
			if k.ID == id && k.Withdrawn.IsZero() {
				p := &page{Key: "withdraw", Path: ConsentsPath, CSRF: csrf, LoggedIn: true}
				v := consentView{ID: k.ID, Requester: nameOr(k.RequesterName, k.Requester), Evidence: k.EvidenceTitle,
					Until: k.Expires.Format(time.DateOnly)}
				v.Procedures, v.Codes = h.procedures(k.Procedures, language(r), messages[language(r)])
				p.Consents = []consentView{v}
				h.render(w, r, p)
				return
			}
		}
		h.simple(w, r, http.StatusNotFound, "unknown")
		return
	}
	err := h.c.Withdraw(r.Context(), subject, id)
	if errors.Is(err, ErrNoConsent) {
		h.simple(w, r, http.StatusNotFound, "unknown")
		return
	}
	if err != nil {
		h.c.log.Error("withdraw", logErr, err)
		h.simple(w, r, http.StatusInternalServerError, "error")
		return
	}
	http.Redirect(w, r, ConsentsPath+"?done=1", http.StatusSeeOther)
}
