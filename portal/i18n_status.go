package portal

import (
	"strings"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
)

// statusTexts are the texts of the journey's live status and of each
// outcome of a requirement, in the columns of catalogueLanguages: what
// happened, in plain words, and what the user can do next. EDM error codes
// are never part of them; they go to the "details for support" part.
var statusTexts = [][6]string{
	{"checkAgain", "Check again", "Erneut prüfen", "Vérifier à nouveau", "Tarkista uudelleen", "Kontrollera igen"},
	{"detailsSupport", "Details for support", "Angaben für den Support", "Détails pour l'assistance", "Tiedot tukipalvelulle", "Uppgifter för support"},
	{"supportCode", "Code:", "Code:", "Code :", "Koodi:", "Kod:"},
	{"nextStep", "What you can do next:", "Was Sie jetzt tun können:", "Ce que vous pouvez faire :", "Mitä voit tehdä seuraavaksi:", "Vad du kan göra nu:"},

	{"banner_pending", "We are waiting for an answer. You do not need to reload this page: it shows the answer as soon as it arrives. You can also leave and come back later; your procedure is kept.",
		"Wir warten auf eine Antwort. Sie müssen diese Seite nicht neu laden: Sie zeigt die Antwort, sobald sie eintrifft. Sie können die Seite auch verlassen und später wiederkommen; Ihr Verfahren bleibt erhalten.",
		"Nous attendons une réponse. Inutile de recharger cette page : elle affiche la réponse dès son arrivée. Vous pouvez aussi partir et revenir plus tard ; votre démarche est conservée.",
		"Odotamme vastausta. Sivua ei tarvitse ladata uudelleen: vastaus näkyy heti, kun se saapuu. Voit myös poistua ja palata myöhemmin; asiointisi säilyy.",
		"Vi väntar på ett svar. Du behöver inte ladda om sidan: svaret visas så snart det kommer. Du kan också lämna sidan och komma tillbaka senare; ditt ärende sparas."},
	{"banner_returned", "Welcome back. We are waiting for the authority's answer after your preview.",
		"Willkommen zurück. Wir warten auf die Antwort der Behörde nach Ihrer Vorschau.",
		"Bon retour. Nous attendons la réponse de l'autorité après votre prévisualisation.",
		"Tervetuloa takaisin. Odotamme viranomaisen vastausta esikatselusi jälkeen.",
		"Välkommen tillbaka. Vi väntar på myndighetens svar efter din förhandsgranskning."},
	{"banner_open", "Your procedure is in progress: %d of %d evidence received. Continue with the steps below.",
		"Ihr Verfahren läuft: %d von %d Nachweisen erhalten. Fahren Sie mit den Schritten unten fort.",
		"Votre démarche est en cours : %d justificatif(s) reçu(s) sur %d. Poursuivez avec les étapes ci-dessous.",
		"Asiointisi on kesken: %d/%d todistetta vastaanotettu. Jatka alla olevista vaiheista.",
		"Ditt ärende pågår: %d av %d bevis mottagna. Fortsätt med stegen nedan."},
	{"banner_complete", "All evidence has been received. Check it below, then submit your procedure.",
		"Alle Nachweise sind eingegangen. Prüfen Sie sie unten und reichen Sie dann Ihr Verfahren ein.",
		"Tous les justificatifs ont été reçus. Vérifiez-les ci-dessous, puis envoyez votre démarche.",
		"Kaikki todisteet on vastaanotettu. Tarkista ne alla ja lähetä sitten asiointisi.",
		"Alla bevis har tagits emot. Kontrollera dem nedan och skicka sedan in ditt ärende."},
	{"banner_failed", "Some evidence could not be obtained. Below you can see what happened and what you can do.",
		"Ein Nachweis konnte nicht eingeholt werden. Unten sehen Sie, was geschehen ist und was Sie tun können.",
		"Un justificatif n'a pas pu être obtenu. Vous trouverez ci-dessous ce qui s'est passé et ce que vous pouvez faire.",
		"Jotakin todistetta ei saatu. Alta näet, mitä tapahtui ja mitä voit tehdä.",
		"Något bevis kunde inte hämtas. Nedan ser du vad som hände och vad du kan göra."},
	{"banner_submitted", "You have submitted this procedure.", "Sie haben dieses Verfahren eingereicht.", "Vous avez envoyé cette démarche.", "Olet lähettänyt tämän asioinnin.", "Du har skickat in det här ärendet."},

	{"now_waiting", "We have sent your request to %s. We are waiting for their answer; it usually arrives within a few minutes.",
		"Wir haben Ihre Anforderung an %s gesendet. Wir warten auf die Antwort; sie kommt meist innerhalb weniger Minuten.",
		"Nous avons envoyé votre demande à %s. Nous attendons sa réponse, qui arrive en général en quelques minutes.",
		"Lähetimme pyyntösi viranomaiselle %s. Odotamme vastausta; se saapuu yleensä muutamassa minuutissa.",
		"Vi har skickat din begäran till %s. Vi väntar på svaret; det kommer oftast inom några minuter."},
	{"now_previewed", "You have been to the preview at %s. We are waiting for their answer.",
		"Sie waren in der Vorschau bei %s. Wir warten auf die Antwort.",
		"Vous avez consulté la prévisualisation chez %s. Nous attendons sa réponse.",
		"Kävit esikatselussa: %s. Odotamme vastausta.",
		"Du har varit i förhandsgranskningen hos %s. Vi väntar på svaret."},
	{"now_done", "We have received this evidence.", "Wir haben diesen Nachweis erhalten.", "Nous avons reçu ce justificatif.", "Olemme vastaanottaneet tämän todisteen.", "Vi har tagit emot detta bevis."},

	{"why_refused", "You chose not to share this evidence at the preview, so nothing was sent to us.",
		"Sie haben in der Vorschau entschieden, diesen Nachweis nicht zu teilen; uns wurde daher nichts übermittelt.",
		"Vous avez choisi de ne pas partager ce justificatif lors de la prévisualisation ; rien ne nous a été transmis.",
		"Päätit esikatselussa olla jakamatta tätä todistetta, joten meille ei lähetetty mitään.",
		"Du valde att inte dela beviset i förhandsgranskningen, så inget skickades till oss."},
	{"next_refused", "If you changed your mind, try again. Otherwise continue without it and provide the evidence yourself.",
		"Wenn Sie es sich anders überlegt haben, versuchen Sie es erneut. Andernfalls fahren Sie ohne ihn fort und legen den Nachweis selbst vor.",
		"Si vous avez changé d'avis, réessayez. Sinon, continuez sans lui et fournissez le justificatif vous-même.",
		"Jos muutit mielesi, yritä uudelleen. Muuten jatka ilman sitä ja toimita todiste itse.",
		"Om du har ändrat dig, försök igen. Annars fortsätt utan det och lämna beviset själv."},
	{"why_timeout", "The time for this exchange ran out: the preview was not completed, or the authority did not answer in time. Nothing was sent to us.",
		"Die Zeit für diesen Austausch ist abgelaufen: Die Vorschau wurde nicht abgeschlossen, oder die Behörde hat nicht rechtzeitig geantwortet. Uns wurde nichts übermittelt.",
		"Le délai de cet échange est dépassé : la prévisualisation n'a pas été terminée, ou l'autorité n'a pas répondu à temps. Rien ne nous a été transmis.",
		"Tiedonvaihdon aika umpeutui: esikatselua ei saatu päätökseen tai viranomainen ei vastannut ajoissa. Meille ei lähetetty mitään.",
		"Tiden för utbytet tog slut: förhandsgranskningen slutfördes inte, eller myndigheten svarade inte i tid. Inget skickades till oss."},
	{"next_timeout", "Try again and complete the preview without a long break, or continue without this evidence.",
		"Versuchen Sie es erneut und schließen Sie die Vorschau ohne lange Pause ab, oder fahren Sie ohne diesen Nachweis fort.",
		"Réessayez et terminez la prévisualisation sans longue pause, ou continuez sans ce justificatif.",
		"Yritä uudelleen ja tee esikatselu loppuun ilman pitkää taukoa, tai jatka ilman tätä todistetta.",
		"Försök igen och slutför förhandsgranskningen utan långt uppehåll, eller fortsätt utan beviset."},
	{"why_identity", "The authority could not confirm that this evidence is about you; for example, another person logged in at the preview.",
		"Die Behörde konnte nicht bestätigen, dass dieser Nachweis Sie betrifft, etwa weil sich in der Vorschau eine andere Person angemeldet hat.",
		"L'autorité n'a pas pu confirmer que ce justificatif vous concerne ; par exemple, une autre personne s'est connectée lors de la prévisualisation.",
		"Viranomainen ei voinut vahvistaa, että todiste koskee sinua; esimerkiksi esikatseluun kirjautui toinen henkilö.",
		"Myndigheten kunde inte bekräfta att beviset gäller dig; till exempel loggade en annan person in i förhandsgranskningen."},
	{"next_identity", "Try again and log in at the preview with your own eID.",
		"Versuchen Sie es erneut und melden Sie sich in der Vorschau mit Ihrer eigenen eID an.",
		"Réessayez et connectez-vous à la prévisualisation avec votre propre eID.",
		"Yritä uudelleen ja kirjaudu esikatseluun omalla sähköisellä tunnisteellasi.",
		"Försök igen och logga in i förhandsgranskningen med din egen e-legitimation."},
	{"why_notfound", "The authority has no evidence about you.",
		"Die Behörde hat keinen Nachweis über Sie.",
		"L'autorité ne détient aucun justificatif vous concernant.",
		"Viranomaisella ei ole sinua koskevaa todistetta.",
		"Myndigheten har inget bevis om dig."},
	{"next_notfound", "Check that you chose the right country and authority, then try again; or continue without it and provide the evidence yourself.",
		"Prüfen Sie, ob Sie das richtige Land und die richtige Behörde gewählt haben, und versuchen Sie es erneut; oder fahren Sie ohne ihn fort und legen den Nachweis selbst vor.",
		"Vérifiez que vous avez choisi le bon pays et la bonne autorité, puis réessayez ; ou continuez sans lui et fournissez le justificatif vous-même.",
		"Tarkista, että valitsit oikean maan ja viranomaisen, ja yritä uudelleen; tai jatka ilman sitä ja toimita todiste itse.",
		"Kontrollera att du valde rätt land och myndighet och försök igen; eller fortsätt utan det och lämna beviset själv."},
	{"why_error", "The authority could not answer because of a technical problem.",
		"Die Behörde konnte wegen eines technischen Problems nicht antworten.",
		"L'autorité n'a pas pu répondre en raison d'un problème technique.",
		"Viranomainen ei voinut vastata teknisen ongelman vuoksi.",
		"Myndigheten kunde inte svara på grund av ett tekniskt problem."},
	{"next_error", "Try again later. If it keeps failing, contact us and give the details for support below.",
		"Versuchen Sie es später erneut. Wenn es weiterhin fehlschlägt, kontaktieren Sie uns mit den unten stehenden Angaben für den Support.",
		"Réessayez plus tard. Si l'échec persiste, contactez-nous en indiquant les détails pour l'assistance ci-dessous.",
		"Yritä myöhemmin uudelleen. Jos virhe toistuu, ota meihin yhteyttä ja kerro alla olevat tiedot tukipalvelulle.",
		"Försök igen senare. Om det fortsätter att misslyckas, kontakta oss och ange uppgifterna för support nedan."},
	{"why_empty", "The authority answered, but without any evidence.",
		"Die Behörde hat geantwortet, aber ohne Nachweis.",
		"L'autorité a répondu, mais sans aucun justificatif.",
		"Viranomainen vastasi, mutta ilman todistetta.",
		"Myndigheten svarade, men utan något bevis."},
	{"why_deferred", "The authority could not provide the evidence within a reasonable time.",
		"Die Behörde konnte den Nachweis nicht in angemessener Zeit bereitstellen.",
		"L'autorité n'a pas pu fournir le justificatif dans un délai raisonnable.",
		"Viranomainen ei voinut toimittaa todistetta kohtuullisessa ajassa.",
		"Myndigheten kunde inte tillhandahålla beviset inom rimlig tid."},
	{"why_other", "The evidence could not be obtained.", "Der Nachweis konnte nicht eingeholt werden.", "Le justificatif n'a pas pu être obtenu.", "Todistetta ei saatu.", "Beviset kunde inte hämtas."},
	{"next_other", "Try again, or continue without this evidence and provide it yourself.",
		"Versuchen Sie es erneut, oder fahren Sie ohne diesen Nachweis fort und legen Sie ihn selbst vor.",
		"Réessayez, ou continuez sans ce justificatif et fournissez-le vous-même.",
		"Yritä uudelleen tai jatka ilman tätä todistetta ja toimita se itse.",
		"Försök igen, eller fortsätt utan beviset och lämna det själv."},
}

// Outcomes of a failed requirement: each has its message (why_…) and its
// next step (next_…) in the catalogue.
const (
	outcomeRefused  = "refused"
	outcomeTimeout  = "timeout"
	outcomeIdentity = "identity"
	outcomeNotFound = "notfound"
	outcomeError    = "error"
	outcomeEmpty    = "empty"
	outcomeDeferred = "deferred"
	outcomeOther    = "other"
)

// refusalDetail is what the detail of an EDM:ERR:0008 says when the user
// refused at the preview of a provider of this implementation (TDD rule
// R-EDM-ERR-C015 leaves no code of its own for a refusal: see the
// provider's refusal). Another implementation's refusal is shown as an
// error of the authority.
const refusalDetail = "did not approve"

// outcome classifies why a requirement failed, from the error of its
// exchange (SPEC.md §2.4, edm.LookupError): the code, whether the user went
// through a preview, and for a refusal the provider's detail.
func outcome(x *requester.Exchange) string {
	if x == nil || x.Error == nil {
		return outcomeOther
	}
	f := x.Error
	switch f.Code {
	case edm.EDMErr0001:
		return outcomeIdentity
	case edm.EDMErr0002:
		// An authorisation withheld: a refusal when the user saw a
		// preview (older providers used this code for it).
		if x.Previewed {
			return outcomeRefused
		}
		return outcomeError
	case edm.EDMErr0004:
		return outcomeNotFound
	case requester.CodeTimeout:
		return outcomeTimeout
	case edm.EDMErr0008:
		if x.Previewed && strings.Contains(strings.ToLower(f.Message+" "+f.Detail), refusalDetail) {
			return outcomeRefused
		}
		return outcomeError
	case edm.EDMErr0003, edm.EDMErr0006, edm.EDMErr0007, requester.CodeDeliveryFailure, requester.CodeInvalidEvidence:
		return outcomeError
	case requester.CodeEmptyResponse:
		return outcomeEmpty
	case requester.CodeDeferredTooLong, requester.CodeDeferredTooOften, requester.CodeBadDeferral:
		return outcomeDeferred
	}
	if strings.Contains(strings.ToLower(string(f.Code)), "timeout") {
		return outcomeTimeout
	}
	return outcomeOther
}

// outcomeTexts returns the message and the next step of an outcome.
func outcomeTexts(rq *request, o string) (why, next string) {
	why = rq.t("why_" + o)
	switch o {
	case outcomeEmpty, outcomeDeferred:
		next = rq.t("next_other")
	default:
		next = rq.t("next_" + o)
	}
	return why, next
}
