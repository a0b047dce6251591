package idp

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/ui"
)

// The pages speak English and the languages of the demo countries. Each
// message is one row; a missing translation falls back to English.
var messages = map[string]map[string]string{
	"skip": {
		"en": "Skip to main content", "de": "Zum Hauptinhalt springen", "fr": "Aller au contenu principal",
		"fi": "Siirry pääsisältöön", "sv": "Hoppa till huvudinnehållet",
	},
	"language": {
		"en": "Language", "de": "Sprache", "fr": "Langue", "fi": "Kieli", "sv": "Språk",
	},
	"idpName": {
		"en": "Demo eID of %s", "de": "Demo-eID %s", "fr": "eID de démonstration : %s",
		"fi": "Demo-eID: %s", "sv": "Demo-e-legitimation: %s",
	},
	"title": {
		"en": "Log in with your eID", "de": "Mit Ihrer eID anmelden", "fr": "Connexion avec votre eID",
		"fi": "Kirjaudu sisään eID:lläsi", "sv": "Logga in med din e-legitimation",
	},
	"demo": {
		"en": "This is a demonstration identity provider. Its test persons and their PINs are public: never use it for real people.",
		"de": "Dies ist ein Demonstrations-Identitätsdienst. Die Testpersonen und ihre PINs sind öffentlich: Verwenden Sie ihn nie für echte Personen.",
		"fr": "Ceci est un fournisseur d’identité de démonstration. Ses personnes de test et leurs codes PIN sont publics : ne l’utilisez jamais pour de vraies personnes.",
		"fi": "Tämä on esittelykäyttöön tarkoitettu tunnistuspalvelu. Sen testihenkilöt ja PIN-koodit ovat julkisia: älä koskaan käytä sitä oikeille henkilöille.",
		"sv": "Detta är en identitetstjänst för demonstration. Dess testpersoner och deras PIN-koder är offentliga: använd den aldrig för riktiga personer.",
	},
	"loginTo": {
		"en": "You are logging in to: %s", "de": "Sie melden sich an bei: %s", "fr": "Vous vous connectez à : %s",
		"fi": "Olet kirjautumassa palveluun: %s", "sv": "Du loggar in i: %s",
	},
	"who": {
		"en": "Who are you?", "de": "Wer sind Sie?", "fr": "Qui êtes-vous ?", "fi": "Kuka olet?", "sv": "Vem är du?",
	},
	"whoHint": {
		"en": "Choose a person, or a person acting for a company they represent.",
		"de": "Wählen Sie eine Person oder eine Person, die für ein von ihr vertretenes Unternehmen handelt.",
		"fr": "Choisissez une personne, ou une personne agissant pour une entreprise qu’elle représente.",
		"fi": "Valitse henkilö tai henkilö, joka toimii edustamansa yrityksen puolesta.",
		"sv": "Välj en person, eller en person som företräder ett företag.",
	},
	"person": {
		"en": "%s, born %s in %s", "de": "%s, geboren am %s in %s", "fr": "%s, né(e) le %s à %s",
		"fi": "%s, syntynyt %s, %s", "sv": "%s, född %s i %s",
	},
	"forCompany": {
		"en": "%s, acting for %s", "de": "%s, handelnd für %s", "fr": "%s, agissant pour %s",
		"fi": "%s, edustaa yritystä %s", "sv": "%s, företräder %s",
	},
	"details": {
		"en": "eID level: %s. Identifier: %s. PIN: %s", "de": "eID-Niveau: %s. Kennung: %s. PIN: %s",
		"fr": "Niveau de l’eID : %s. Identifiant : %s. PIN : %s", "fi": "eID:n taso: %s. Tunniste: %s. PIN: %s",
		"sv": "E-legitimationens nivå: %s. Identitet: %s. PIN: %s",
	},
	"loa": {
		"en": "Level of assurance", "de": "Vertrauensniveau", "fr": "Niveau de garantie", "fi": "Varmuustaso", "sv": "Tillitsnivå",
	},
	"loaHint": {
		"en": "No higher than the level of the person’s eID.", "de": "Nicht höher als das Niveau der eID der Person.",
		"fr": "Pas plus élevé que le niveau de l’eID de la personne.", "fi": "Enintään henkilön eID:n taso.",
		"sv": "Högst nivån för personens e-legitimation.",
	},
	"Low": {
		"en": "Low", "de": "niedrig", "fr": "faible", "fi": "matala", "sv": "låg",
	},
	"Substantial": {
		"en": "Substantial", "de": "substanziell", "fr": "substantiel", "fi": "korotettu", "sv": "väsentlig",
	},
	"High": {
		"en": "High", "de": "hoch", "fr": "élevé", "fi": "korkea", "sv": "hög",
	},
	"pin": {
		"en": "PIN", "de": "PIN", "fr": "Code PIN", "fi": "PIN-koodi", "sv": "PIN-kod",
	},
	"pinHint": {
		"en": "The PIN shown with the chosen person.", "de": "Die bei der gewählten Person angezeigte PIN.",
		"fr": "Le code PIN affiché avec la personne choisie.", "fi": "Valitun henkilön kohdalla näkyvä PIN-koodi.",
		"sv": "PIN-koden som visas vid den valda personen.",
	},
	"login": {
		"en": "Log in", "de": "Anmelden", "fr": "Se connecter", "fi": "Kirjaudu", "sv": "Logga in",
	},
	"cancel": {
		"en": "Cancel and go back", "de": "Abbrechen und zurück", "fr": "Annuler et revenir", "fi": "Peruuta ja palaa",
		"sv": "Avbryt och gå tillbaka",
	},
	"problem": {
		"en": "There is a problem", "de": "Es gibt ein Problem", "fr": "Il y a un problème", "fi": "Virhe", "sv": "Det finns ett problem",
	},
	"errChoose": {
		"en": "Choose who you are.", "de": "Wählen Sie aus, wer Sie sind.", "fr": "Choisissez qui vous êtes.",
		"fi": "Valitse, kuka olet.", "sv": "Välj vem du är.",
	},
	"errPIN": {
		"en": "The PIN is wrong. Enter the PIN shown with the chosen person.",
		"de": "Die PIN ist falsch. Geben Sie die bei der gewählten Person angezeigte PIN ein.",
		"fr": "Le code PIN est erroné. Saisissez le code PIN affiché avec la personne choisie.",
		"fi": "PIN-koodi on väärä. Anna valitun henkilön kohdalla näkyvä PIN-koodi.",
		"sv": "PIN-koden är fel. Ange PIN-koden som visas vid den valda personen.",
	},
	"errLoAChoose": {
		"en": "Choose a level of assurance.", "de": "Wählen Sie ein Vertrauensniveau.", "fr": "Choisissez un niveau de garantie.",
		"fi": "Valitse varmuustaso.", "sv": "Välj en tillitsnivå.",
	},
	"errLoA": {
		"en": "The eID of %s reaches level %s at most. Choose a lower level.",
		"de": "Die eID von %s erreicht höchstens das Niveau %s. Wählen Sie ein niedrigeres Niveau.",
		"fr": "L’eID de %s atteint au plus le niveau %s. Choisissez un niveau inférieur.",
		"fi": "Henkilön %s eID:n taso on enintään %s. Valitse matalampi taso.",
		"sv": "E-legitimationen för %s når högst nivån %s. Välj en lägre nivå.",
	},
	"errTitle": {
		"en": "The login cannot continue", "de": "Die Anmeldung kann nicht fortgesetzt werden",
		"fr": "La connexion ne peut pas continuer", "fi": "Kirjautumista ei voi jatkaa", "sv": "Inloggningen kan inte fortsätta",
	},
	"errClient": {
		"en": "The service that sent you here is not known to this identity provider.",
		"de": "Der Dienst, der Sie hierher geschickt hat, ist diesem Identitätsdienst nicht bekannt.",
		"fr": "Le service qui vous a envoyé ici n’est pas connu de ce fournisseur d’identité.",
		"fi": "Palvelu, joka ohjasi sinut tänne, ei ole tämän tunnistuspalvelun tiedossa.",
		"sv": "Tjänsten som skickade dig hit är inte känd för den här identitetstjänsten.",
	},
	"errRedirect": {
		"en": "The return address given by the service is not registered for it. For your safety you are not sent there.",
		"de": "Die vom Dienst angegebene Rücksprungadresse ist für ihn nicht registriert. Zu Ihrer Sicherheit werden Sie nicht dorthin geleitet.",
		"fr": "L’adresse de retour indiquée par le service n’est pas enregistrée pour lui. Pour votre sécurité, vous n’y êtes pas renvoyé.",
		"fi": "Palvelun antamaa paluuosoitetta ei ole rekisteröity sille. Turvallisuutesi vuoksi sinua ei ohjata sinne.",
		"sv": "Returadressen som tjänsten angav är inte registrerad för den. För din säkerhet skickas du inte dit.",
	},
	"errState": {
		"en": "The service did not send the state of its login.", "de": "Der Dienst hat den Zustand seiner Anmeldung nicht übermittelt.",
		"fr": "Le service n’a pas transmis l’état de sa connexion.", "fi": "Palvelu ei lähettänyt kirjautumisen tilaa.",
		"sv": "Tjänsten skickade inte inloggningens tillstånd.",
	},
	"errCSRF": {
		"en": "The form has expired or was not sent from this page.", "de": "Das Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet.",
		"fr": "Le formulaire a expiré ou n’a pas été envoyé depuis cette page.", "fi": "Lomake on vanhentunut tai sitä ei lähetetty tältä sivulta.",
		"sv": "Formuläret har gått ut eller skickades inte från den här sidan.",
	},
	"errBack": {
		"en": "Go back to the service you came from and start the login again.",
		"de": "Kehren Sie zu dem Dienst zurück, von dem Sie kamen, und beginnen Sie die Anmeldung erneut.",
		"fr": "Retournez au service d’où vous venez et recommencez la connexion.",
		"fi": "Palaa palveluun, josta tulit, ja aloita kirjautuminen uudelleen.",
		"sv": "Gå tillbaka till tjänsten du kom från och börja inloggningen igen.",
	},
	"logoutTitle": {
		"en": "You are logged out", "de": "Sie sind abgemeldet", "fr": "Vous êtes déconnecté",
		"fi": "Olet kirjautunut ulos", "sv": "Du är utloggad",
	},
	"logoutText": {
		"en": "%s no longer remembers your login in this browser: the next service that sends you here asks you to log in again.",
		"de": "%s merkt sich Ihre Anmeldung in diesem Browser nicht mehr: Der nächste Dienst, der Sie hierher schickt, fragt erneut nach Ihrer Anmeldung.",
		"fr": "%s ne retient plus votre connexion dans ce navigateur : le prochain service qui vous envoie ici vous demandera de vous reconnecter.",
		"fi": "%s ei enää muista kirjautumistasi tässä selaimessa: seuraava palvelu, joka ohjaa sinut tänne, pyytää sinua kirjautumaan uudelleen.",
		"sv": "%s kommer inte längre ihåg din inloggning i den här webbläsaren: nästa tjänst som skickar dig hit ber dig logga in igen.",
	},
	"logoutNext": {
		"en": "The services you logged in to keep their own sessions: log out there too, or close the browser.",
		"de": "Die Dienste, bei denen Sie angemeldet waren, haben eigene Sitzungen: Melden Sie sich auch dort ab oder schließen Sie den Browser.",
		"fr": "Les services auxquels vous vous êtes connecté gardent leurs propres sessions : déconnectez-vous aussi de ces services ou fermez le navigateur.",
		"fi": "Palveluilla, joihin kirjauduit, on omat istuntonsa: kirjaudu ulos myös niistä tai sulje selain.",
		"sv": "Tjänsterna du loggade in på har egna sessioner: logga ut även där eller stäng webbläsaren.",
	},
	"chooseTitle": {
		"en": "Choose the country that issued your eID", "de": "Wählen Sie das Land, das Ihre eID ausgestellt hat",
		"fr": "Choisissez le pays qui a délivré votre eID", "fi": "Valitse maa, joka on myöntänyt eID:si",
		"sv": "Välj landet som utfärdade din e-legitimation",
	},
	"chooseIntro": {
		"en": "You will log in with your eID at the identity provider of that country.",
		"de": "Sie melden sich mit Ihrer eID beim Identitätsdienst dieses Landes an.",
		"fr": "Vous vous connecterez avec votre eID auprès du fournisseur d’identité de ce pays.",
		"fi": "Kirjaudut eID:lläsi kyseisen maan tunnistuspalvelussa.",
		"sv": "Du loggar in med din e-legitimation hos det landets identitetstjänst.",
	},
	"errCountry": {
		"en": "No identity provider of %q is available. Choose a country from the list.",
		"de": "Für %q ist kein Identitätsdienst verfügbar. Wählen Sie ein Land aus der Liste.",
		"fr": "Aucun fournisseur d’identité n’est disponible pour %q. Choisissez un pays dans la liste.",
		"fi": "Maalle %q ei ole tunnistuspalvelua. Valitse maa luettelosta.",
		"sv": "Ingen identitetstjänst finns för %q. Välj ett land i listan.",
	},
}

var countryNames = map[string]map[string]string{
	"DE": {"en": "Germany", "de": "Deutschland", "fr": "Allemagne", "fi": "Saksa", "sv": "Tyskland"},
	"FR": {"en": "France", "de": "Frankreich", "fr": "France", "fi": "Ranska", "sv": "Frankrike"},
	"FI": {"en": "Finland", "de": "Finnland", "fr": "Finlande", "fi": "Suomi", "sv": "Finland"},
	"SE": {"en": "Sweden", "de": "Schweden", "fr": "Suède", "fi": "Ruotsi", "sv": "Sverige"},
}

// locale is a page's language.
type locale string

// T returns the message key in the locale's language, formatted with args.
func (l locale) T(key string, args ...any) string {
	row := messages[key]
	s, ok := row[string(l)]
	if !ok {
		s, ok = row["en"]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Country returns a country's name in the locale's language, or its code.
func (l locale) Country(cc string) string {
	if n, ok := countryNames[cc][string(l)]; ok {
		return n
	}
	if n, ok := countryNames[cc]["en"]; ok {
		return n
	}
	return cc
}

// LoA returns the name of a level of assurance.
func (l locale) LoA(a eid.LoA) string { return l.T(a.Code()) }

// pickLanguage returns the language of a page among offered (the first is
// the default): the request's lang parameter, else the best of its
// Accept-Language header.
func pickLanguage(r *http.Request, lang string, offered []string) string {
	has := func(l string) bool {
		for _, o := range offered {
			if o == l {
				return true
			}
		}
		return false
	}
	if l := strings.ToLower(lang); has(l) {
		return l
	}
	type pref struct {
		tag string
		q   float64
	}
	var prefs []pref
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if q > 0 && has(base) {
			prefs = append(prefs, pref{base, q})
		}
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	if len(prefs) > 0 {
		return prefs[0].tag
	}
	return offered[0]
}

// languageLinks returns the language switch (package ui): u with its lang
// parameter set to each page language.
func languageLinks(u url.URL, current string) []ui.Choice {
	return ui.Switch(current, func(code string) string {
		q := u.Query()
		q.Set("lang", code)
		u.RawQuery = q.Encode()
		return u.RequestURI()
	})
}

// footerLinks are the footer links (package ui) of a page served below
// base.
func footerLinks(l locale, base string) []ui.Link {
	ls := ui.Footer(string(l))
	for i := range ls {
		ls[i].URL = base + ls[i].URL
	}
	return ls
}

// style is the pages' style sheet: the shared one (package ui) and the
// provider's own rules after it. It is inline (the security policy admits
// it by its hash), so that the country choice, which the relying party
// serves, needs no file of its own. Comments are left out, as
// html/template drops them from the page.
var style = regexp.MustCompile(`(?s)/\*.*?\*/\n?`).ReplaceAllString(ui.CSS(), "") + `
.demo{border-left:6px solid #b35900;padding:.5rem 1rem;background:#fff4e5}
fieldset.group{border:1px solid #595959;padding:.5rem 1rem;background:#fff}
fieldset.group legend h2{margin:0}
.choice{flex-wrap:wrap}
.choice label{font-weight:600;flex:1}
.choice .hint{flex:0 0 100%;padding-left:2rem;font-weight:400}
input[type=password]{font:inherit;min-width:12rem;max-width:100%;padding:.4rem .5rem;border:2px solid #1b1b1b;border-radius:0;background:#fff;color:#1b1b1b;display:block}
.pin label{display:block;font-weight:600}
`

// styleCSP is the Content-Security-Policy source of the style sheet.
var styleCSP = func() string {
	sum := sha256.Sum256([]byte(style))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// contentSecurityPolicy allows the pages nothing but their style sheet and
// forms posted to themselves.
var contentSecurityPolicy = "default-src 'none'; style-src " + styleCSP + "; base-uri 'none'; frame-ancestors 'none'"

var layout = `{{define "top"}}<!DOCTYPE html>
<html lang="{{.L}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.Site}}</title>
<style>` + style + `</style>
</head>
<body>
{{template "ui.skip" .Chrome}}
<header class="site"><div class="wrap bar">
{{template "ui.brand" .Chrome}}
{{template "ui.langs" .Chrome}}
</div></header>
<main id="main"><div class="wrap">
{{end}}
{{define "bottom"}}</div></main>
{{template "ui.footer" .Chrome}}
</body>
</html>
{{end}}`

var pages = template.Must(template.Must(template.New("pages").Parse(ui.Fragments)).Parse(layout + `
{{define "login"}}{{template "top" .}}
<h1>{{.Title}}</h1>
<p class="demo">{{.L.T "demo"}}</p>
<p>{{.L.T "loginTo" .Client}}</p>
{{template "ui.errors" .Summary}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="lang" value="{{.L}}">
<fieldset class="group"{{if .AccountError}} aria-invalid="true"{{end}} aria-describedby="account-hint{{if .AccountError}} account-error{{end}}">
<legend><h2>{{.L.T "who"}}</h2></legend>
<span class="hint" id="account-hint">{{.L.T "whoHint"}}</span>
{{if .AccountError}}<p class="field-error" id="account-error">{{.AccountError}}</p>{{end}}
{{range $i, $o := .Accounts}}<div class="choice">
<input type="radio" name="account" id="{{if eq $i 0}}account{{else}}account-{{$i}}{{end}}" value="{{$o.Value}}"{{if $o.Checked}} checked{{end}} aria-describedby="account-{{$i}}-details">
<label for="{{if eq $i 0}}account{{else}}account-{{$i}}{{end}}">{{$o.Label}}</label>
<span class="hint" id="account-{{$i}}-details">{{$o.Details}}</span>
</div>{{end}}
</fieldset>
<fieldset class="group"{{if .LoAError}} aria-invalid="true"{{end}} aria-describedby="loa-hint{{if .LoAError}} loa-error{{end}}">
<legend><h2>{{.L.T "loa"}}</h2></legend>
<span class="hint" id="loa-hint">{{.L.T "loaHint"}}</span>
{{if .LoAError}}<p class="field-error" id="loa-error">{{.LoAError}}</p>{{end}}
{{range $i, $o := .Levels}}<div class="choice">
<input type="radio" name="loa" id="{{if eq $i 0}}loa{{else}}loa-{{$i}}{{end}}" value="{{$o.Value}}"{{if $o.Checked}} checked{{end}}>
<label for="{{if eq $i 0}}loa{{else}}loa-{{$i}}{{end}}">{{$o.Label}}</label>
</div>{{end}}
</fieldset>
<p class="pin"><label for="pin">{{.L.T "pin"}}</label>
<span class="hint" id="pin-hint">{{.L.T "pinHint"}}</span>
{{if .PINError}}<span class="field-error" id="pin-error">{{.PINError}}</span>{{end}}
<input type="password" name="pin" id="pin" inputmode="numeric" autocomplete="off" required
 aria-describedby="pin-hint{{if .PINError}} pin-error{{end}}"{{if .PINError}} aria-invalid="true"{{end}}></p>
<p><button type="submit" name="action" value="login">{{.L.T "login"}}</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>{{.L.T "cancel"}}</button></p>
</form>
{{template "bottom" .}}{{end}}

{{define "error"}}{{template "top" .}}
<h1>{{.Title}}</h1>
<div class="alert" role="alert"><p>{{.Message}}</p></div>
<p>{{.L.T "errBack"}}</p>
{{template "bottom" .}}{{end}}

{{define "about"}}{{template "top" .}}
<h1>{{.Title}}</h1>
{{template "ui.sections" .Sections}}
{{template "bottom" .}}{{end}}

{{define "loggedout"}}{{template "top" .}}
<h1>{{.Title}}</h1>
<p class="notice" role="status">{{.Message}}</p>
<p>{{.L.T "logoutNext"}}</p>
{{template "bottom" .}}{{end}}

{{define "choose"}}{{template "top" .}}
<h1>{{.Title}}</h1>
{{if .Message}}<div class="alert" role="alert"><p>{{.Message}}</p></div>{{end}}
<p>{{.L.T "chooseIntro"}}</p>
<ul>{{range .Countries}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>
{{template "bottom" .}}{{end}}
`))

// page is what every page shows.
type page struct {
	L         locale
	Title     string
	Site      string
	Languages []ui.Choice
	Footer    []ui.Link
}

// Chrome is what the shared layout (package ui) shows around the page.
func (p page) Chrome() ui.Chrome {
	return ui.Chrome{Lang: string(p.L), Site: p.Site, Switch: p.Languages, Footer: p.Footer}
}

// writePage renders a page with the headers every page gets.
func writePage(w http.ResponseWriter, status int, name string, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	ui.Security{CSP: contentSecurityPolicy, NoStore: true}.Set(h)
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "page cannot be rendered", http.StatusInternalServerError)
		return fmt.Errorf("render %s page: %w", name, err)
	}
	w.WriteHeader(status)
	_, err := w.Write([]byte(b.String()))
	return err
}
