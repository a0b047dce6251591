package portal

import (
	"time"

	"github.com/oots-go/oots/requester"
)

// deferredTexts are the texts of a deferred evidence (the provider holds it
// but sends it only from a later time), in the columns of
// catalogueLanguages. deferredText takes the time and the provider's name.
var deferredTexts = [][6]string{
	{"step_deferred", "The evidence will be available later", "Der Nachweis ist später verfügbar", "Le justificatif sera disponible plus tard",
		"Todiste on saatavilla myöhemmin", "Beviset blir tillgängligt senare"},
	{"deferredText",
		"Available at %[1]s. %[2]s has this evidence but must prepare it before sending it. Your procedure is kept and the evidence is requested again automatically at that time: come back then, or keep this page open.",
		"Verfügbar ab %[1]s. %[2]s hat diesen Nachweis, muss ihn aber vor dem Versand vorbereiten. Ihr Verfahren bleibt erhalten, und der Nachweis wird zu diesem Zeitpunkt automatisch erneut angefordert: Kommen Sie dann wieder, oder lassen Sie diese Seite geöffnet.",
		"Disponible à partir du %[1]s. %[2]s détient ce justificatif mais doit le préparer avant de l'envoyer. Votre démarche est conservée et le justificatif sera redemandé automatiquement à ce moment : revenez alors, ou gardez cette page ouverte.",
		"Saatavilla %[1]s alkaen. %[2]s on todisteen haltija, mutta sen on valmisteltava todiste ennen lähettämistä. Asiointisi säilyy, ja todistetta pyydetään silloin automaattisesti uudelleen: palaa silloin tai pidä tämä sivu auki.",
		"Tillgängligt från %[1]s. %[2]s har beviset men måste förbereda det innan det skickas. Ditt ärende sparas och beviset begärs automatiskt på nytt vid den tidpunkten: kom tillbaka då eller håll sidan öppen."},
	{"failDeferred", "The authority could not provide the evidence within a reasonable time.",
		"Die Behörde konnte den Nachweis nicht in angemessener Zeit bereitstellen.",
		"L'autorité n'a pas pu fournir le justificatif dans un délai raisonnable.",
		"Viranomainen ei voinut toimittaa todistetta kohtuullisessa ajassa.",
		"Myndigheten kunde inte tillhandahålla beviset inom rimlig tid."},
}

// deferredRefreshWithin is how close the time of a deferred evidence must
// be for the journey page to refresh itself until it arrives; a later one
// asks the user to come back (the journey is kept, and listed on the start
// page).
const deferredRefreshWithin = 10 * time.Minute

// deferredView fills in the view of a deferred requirement and reports
// whether the page should refresh itself (the time is near).
func deferredView(rq *request, r *requester.Requirement, v *requirementView, now time.Time) (refresh bool) {
	x := r.Exchange
	if r.Step != requester.StepDeferred || x == nil || x.AvailableAt == nil {
		return false
	}
	v.DeferredText = rq.t("deferredText", x.AvailableAt.UTC().Format(timeLayout), v.ProviderName)
	return x.AvailableAt.Sub(now) <= deferredRefreshWithin
}
