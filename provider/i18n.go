package provider

import (
	"net/http"
	"strings"

	"github.com/oots-go/oots/internal/ui"
)

// languages of the preview space, in the order of the language switch.
var languages = []struct{ Code, Name string }{{"en", "English"}, {"de", "Deutsch"}, {"fr", "Français"}, {"fi", "Suomi"}, {"sv", "Svenska"}}

// messages are the texts of the preview space by language and key, built
// once from the tables of the package's files; a later table's text of a
// key replaces an earlier one's.
var messages = mergeMessages(coreMessages, consentMessages, documentMessages, nordicMessages, onwardMessages, aboutTitles())

// mergeMessages copies the tables into one, in their order.
func mergeMessages(tables ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, t := range tables {
		for l, m := range t {
			if out[l] == nil {
				out[l] = map[string]string{}
			}
			for k, v := range m {
				out[l][k] = v
			}
		}
	}
	return out
}

// coreMessages are the texts of the preview pages in English, German and
// French.
var coreMessages = map[string]map[string]string{
	"en": {
		"site":                    "Evidence preview",
		"skip":                    "Skip to main content",
		"language":                "Language",
		"start.title":             "Preview your evidence",
		"start.text":              "A public authority of another country asks for your evidence. Log in to see it before it is sent; you then decide whether it is sent.",
		"start.login":             "Log in to see the evidence",
		"preview.title":           "Your evidence",
		"preview.text":            "Check the evidence below. It is sent to the requesting authority only if you approve.",
		"doc":                     "Document",
		"meta.title":              "Title",
		"meta.issued":             "Issued on",
		"meta.issuer":             "Issuing authority",
		"meta.format":             "Format",
		"meta.lang":               "Language",
		"meta.valid":              "Valid",
		"meta.content":            "Content of the document",
		"field":                   "Item",
		"value":                   "Value",
		"open":                    "Open the document",
		"nopdf":                   "Your browser cannot show the document here.",
		"decide":                  "Your decision",
		"approve":                 "Approve and send the evidence",
		"refuse":                  "Do not send the evidence",
		"done.title":              "Your decision has been recorded",
		"done.approved":           "You approved: the evidence is sent to the requesting authority.",
		"done.refused":            "You refused: the evidence is not sent.",
		"done.back":               "You can now go back to the portal of the requesting authority.",
		"badreturn":               "The address given to send you back to the portal is not one this service may send you to, so you are not redirected. Go back to the portal yourself.",
		"notyou.title":            "This evidence is not about you",
		"notyou.text":             "The person who logged in is not the person or company the evidence is about. Nothing is shown, and the requesting authority is told that the preview failed.",
		"gone.title":              "This link can no longer be used",
		"gone.text":               "The preview has ended: it was already used, decided, or it expired. Nothing is shown. Start again from the portal if you still need the evidence.",
		"unknown.title":           "Unknown preview link",
		"unknown.text":            "This link does not lead to a preview. Check that you copied it completely, or start again from the portal.",
		"login.title":             "Login failed",
		"login.text":              "The login could not be completed. Please try again from the link you were given.",
		"loginNoIdentifier.title": "Login refused",
		"loginNoIdentifier.text":  "Your eID does not give the European (eIDAS) identifier that is needed to find your evidence. Please log in with another eID from the link you were given.",
		"loginLoA.title":          "Login refused",
		"loginLoA.text":           "Your eID was used at a level of assurance lower than this evidence requires. Please log in with an eID of a higher level from the link you were given.",
		"loa.title":               "Your login is not strong enough",
		"loa.text":                "This evidence can only be shown after a login with a higher level of assurance. Please log in with another means of identification.",
		"error.title":             "Something went wrong",
		"error.text":              "The request could not be processed. Please try again later.",
	},
	"de": {
		"site":                    "Vorschau des Nachweises",
		"skip":                    "Zum Hauptinhalt springen",
		"language":                "Sprache",
		"start.title":             "Vorschau Ihres Nachweises",
		"start.text":              "Eine Behörde eines anderen Landes fordert Ihren Nachweis an. Melden Sie sich an, um ihn vor der Übermittlung zu sehen; danach entscheiden Sie, ob er übermittelt wird.",
		"start.login":             "Anmelden und Nachweis ansehen",
		"preview.title":           "Ihr Nachweis",
		"preview.text":            "Prüfen Sie den Nachweis. Er wird der anfordernden Behörde nur übermittelt, wenn Sie zustimmen.",
		"doc":                     "Dokument",
		"meta.title":              "Titel",
		"meta.issued":             "Ausgestellt am",
		"meta.issuer":             "Ausstellende Behörde",
		"meta.format":             "Format",
		"meta.lang":               "Sprache",
		"meta.valid":              "Gültig",
		"meta.content":            "Inhalt des Dokuments",
		"field":                   "Angabe",
		"value":                   "Wert",
		"open":                    "Dokument öffnen",
		"nopdf":                   "Ihr Browser kann das Dokument hier nicht anzeigen.",
		"decide":                  "Ihre Entscheidung",
		"approve":                 "Zustimmen und Nachweis übermitteln",
		"refuse":                  "Nachweis nicht übermitteln",
		"done.title":              "Ihre Entscheidung wurde gespeichert",
		"done.approved":           "Sie haben zugestimmt: Der Nachweis wird der anfordernden Behörde übermittelt.",
		"done.refused":            "Sie haben abgelehnt: Der Nachweis wird nicht übermittelt.",
		"done.back":               "Sie können jetzt zum Portal der anfordernden Behörde zurückkehren.",
		"badreturn":               "Die angegebene Rücksprungadresse zum Portal ist nicht zugelassen, daher werden Sie nicht weitergeleitet. Kehren Sie bitte selbst zum Portal zurück.",
		"notyou.title":            "Dieser Nachweis betrifft nicht Sie",
		"notyou.text":             "Die angemeldete Person ist nicht die Person oder das Unternehmen, die der Nachweis betrifft. Es wird nichts angezeigt, und die anfordernde Behörde erfährt, dass die Vorschau fehlgeschlagen ist.",
		"gone.title":              "Dieser Link ist nicht mehr gültig",
		"gone.text":               "Die Vorschau ist beendet: Sie wurde bereits genutzt, entschieden oder ist abgelaufen. Es wird nichts angezeigt. Beginnen Sie bei Bedarf erneut im Portal.",
		"unknown.title":           "Unbekannter Vorschau-Link",
		"unknown.text":            "Dieser Link führt zu keiner Vorschau. Prüfen Sie, ob Sie ihn vollständig kopiert haben, oder beginnen Sie erneut im Portal.",
		"login.title":             "Anmeldung fehlgeschlagen",
		"login.text":              "Die Anmeldung konnte nicht abgeschlossen werden. Bitte versuchen Sie es erneut über den erhaltenen Link.",
		"loginNoIdentifier.title": "Anmeldung abgelehnt",
		"loginNoIdentifier.text":  "Ihre eID übermittelt nicht die europäische (eIDAS-)Kennung, die gebraucht wird, um Ihre Nachweise zu finden. Bitte melden Sie sich über den erhaltenen Link mit einer anderen eID an.",
		"loginLoA.title":          "Anmeldung abgelehnt",
		"loginLoA.text":           "Ihre eID wurde mit einem niedrigeren Vertrauensniveau verwendet, als dieser Nachweis verlangt. Bitte melden Sie sich über den erhaltenen Link mit einer eID höheren Niveaus an.",
		"loa.title":               "Ihre Anmeldung ist nicht sicher genug",
		"loa.text":                "Dieser Nachweis kann nur nach einer Anmeldung mit höherem Vertrauensniveau angezeigt werden. Bitte melden Sie sich mit einem anderen Identifizierungsmittel an.",
		"error.title":             "Ein Fehler ist aufgetreten",
		"error.text":              "Die Anfrage konnte nicht bearbeitet werden. Bitte versuchen Sie es später erneut.",
	},
	"fr": {
		"site":                    "Aperçu de la preuve",
		"skip":                    "Aller au contenu principal",
		"language":                "Langue",
		"start.title":             "Aperçu de votre preuve",
		"start.text":              "Une autorité publique d'un autre pays demande votre preuve. Connectez-vous pour la voir avant son envoi ; vous déciderez ensuite si elle est envoyée.",
		"start.login":             "Se connecter pour voir la preuve",
		"preview.title":           "Votre preuve",
		"preview.text":            "Vérifiez la preuve ci-dessous. Elle n'est envoyée à l'autorité qui la demande que si vous l'approuvez.",
		"doc":                     "Document",
		"meta.title":              "Titre",
		"meta.issued":             "Délivré le",
		"meta.issuer":             "Autorité de délivrance",
		"meta.format":             "Format",
		"meta.lang":               "Langue",
		"meta.valid":              "Validité",
		"meta.content":            "Contenu du document",
		"field":                   "Élément",
		"value":                   "Valeur",
		"open":                    "Ouvrir le document",
		"nopdf":                   "Votre navigateur ne peut pas afficher le document ici.",
		"decide":                  "Votre décision",
		"approve":                 "Approuver et envoyer la preuve",
		"refuse":                  "Ne pas envoyer la preuve",
		"done.title":              "Votre décision a été enregistrée",
		"done.approved":           "Vous avez approuvé : la preuve est envoyée à l'autorité qui la demande.",
		"done.refused":            "Vous avez refusé : la preuve n'est pas envoyée.",
		"done.back":               "Vous pouvez maintenant retourner sur le portail de l'autorité qui la demande.",
		"badreturn":               "L'adresse de retour vers le portail n'est pas autorisée ; vous n'êtes donc pas redirigé. Retournez vous-même sur le portail.",
		"notyou.title":            "Cette preuve ne vous concerne pas",
		"notyou.text":             "La personne connectée n'est pas la personne ou l'entreprise concernée par la preuve. Rien n'est affiché, et l'autorité qui la demande est informée de l'échec de l'aperçu.",
		"gone.title":              "Ce lien n'est plus utilisable",
		"gone.text":               "L'aperçu est terminé : il a déjà été utilisé, décidé, ou il a expiré. Rien n'est affiché. Recommencez depuis le portail si vous avez encore besoin de la preuve.",
		"unknown.title":           "Lien d'aperçu inconnu",
		"unknown.text":            "Ce lien ne mène à aucun aperçu. Vérifiez qu'il est complet, ou recommencez depuis le portail.",
		"login.title":             "Échec de la connexion",
		"login.text":              "La connexion n'a pas pu aboutir. Veuillez réessayer depuis le lien reçu.",
		"loginNoIdentifier.title": "Connexion refusée",
		"loginNoIdentifier.text":  "Votre identité numérique ne transmet pas l'identifiant européen (eIDAS) nécessaire pour trouver vos justificatifs. Veuillez vous connecter avec une autre identité numérique depuis le lien reçu.",
		"loginLoA.title":          "Connexion refusée",
		"loginLoA.text":           "Votre identité numérique a été utilisée à un niveau de garantie inférieur à celui qu'exige ce justificatif. Veuillez vous connecter avec une identité numérique de niveau plus élevé depuis le lien reçu.",
		"loa.title":               "Votre connexion n'est pas assez sûre",
		"loa.text":                "Cette preuve ne peut être affichée qu'après une connexion d'un niveau de garantie plus élevé. Veuillez vous connecter avec un autre moyen d'identification.",
		"error.title":             "Une erreur est survenue",
		"error.text":              "La demande n'a pas pu être traitée. Veuillez réessayer plus tard.",
	},
}

// cookieLang remembers the language chosen with ?lang= (on the preview
// link, from the portal, or with the language switch) across the login.
const cookieLang = "oots_preview_lang"

// language chooses the page language: ?lang=, the language of a POSTed
// form, the language remembered in a cookie, else the first supported
// language of Accept-Language, else English.
func language(r *http.Request) string {
	if l := strings.ToLower(r.URL.Query().Get("lang")); messages[l] != nil {
		return l
	}
	if l := strings.ToLower(r.PostFormValue("lang")); r.Method == http.MethodPost && messages[l] != nil {
		return l
	}
	if c, err := r.Cookie(cookieLang); err == nil && messages[c.Value] != nil {
		return c.Value
	}
	for _, l := range ui.ParseAcceptLanguage(r.Header.Get("Accept-Language")) {
		if messages[l] != nil {
			return l
		}
	}
	return "en"
}

// rememberLanguage keeps a language chosen with ?lang= in a cookie, so that
// the pages after the login (whose addresses do not carry it) speak it too.
func rememberLanguage(w http.ResponseWriter, r *http.Request, secure bool) {
	l := strings.ToLower(r.URL.Query().Get("lang"))
	if messages[l] == nil {
		return
	}
	if c, err := r.Cookie(cookieLang); err == nil && c.Value == l {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieLang, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
}
