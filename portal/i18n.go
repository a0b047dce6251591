package portal

import (
	"fmt"

	"github.com/oots-go/oots/internal/ui"
)

// languageNames are the names of the page languages, each in itself (for
// the language switch).
var languageNames = map[string]string{"en": "English", "de": "Deutsch", "fr": "Français", "fi": "Suomi", "sv": "Svenska"}

// catalogueLanguages are the languages of the catalogue, in its columns'
// order.
var catalogueLanguages = []string{"en", "de", "fr", "fi", "sv"}

// catalogue holds the texts of the pages: a key and its text in each of
// catalogueLanguages. Texts with verbs (%s) take arguments. It is built once
// from the tables of the package's files; a later table's key replaces an
// earlier one's.
var catalogue = buildCatalogue(coreTexts, documentTexts, beyondTexts, deferredTexts, statusTexts)

// coreTexts are the texts of the evidence exchange's pages, in the columns
// of catalogueLanguages.
var coreTexts = [][6]string{
	{"skipLink", "Skip to main content", "Zum Hauptinhalt springen", "Aller au contenu principal", "Siirry pääsisältöön", "Hoppa till huvudinnehållet"},
	{"langNav", "Language", "Sprache", "Langue", "Kieli", "Språk"},
	{"loggedInAs", "Logged in as", "Angemeldet als", "Connecté en tant que", "Kirjautunut:", "Inloggad som"},
	{"forCompany", "representing", "als Vertretung von", "représentant", "edustaa yritystä", "företräder"},
	{"logout", "Log out", "Abmelden", "Se déconnecter", "Kirjaudu ulos", "Logga ut"},
	{"loggedOutTitle", "You are logged out", "Sie sind abgemeldet", "Vous êtes déconnecté", "Olet kirjautunut ulos", "Du är utloggad"},
	{"loggedOutText", "Your session at %s has ended: nobody using this browser can see your procedures any more.",
		"Ihre Sitzung bei %s ist beendet: Niemand, der diesen Browser nutzt, kann Ihre Verfahren noch sehen.",
		"Votre session sur %s est terminée : personne utilisant ce navigateur ne peut plus voir vos démarches.",
		"Istuntosi palvelussa %s on päättynyt: kukaan tämän selaimen käyttäjä ei enää näe asiointejasi.",
		"Din session på %s har avslutats: ingen som använder den här webbläsaren kan längre se dina ärenden."},
	{"loggedOutNext", "Your eID login may still be remembered by your identity provider for a short time: on a shared computer, close the browser.",
		"Ihre eID-Anmeldung kann bei Ihrem Identitätsdienst noch kurze Zeit gespeichert sein: Schließen Sie an einem gemeinsam genutzten Computer den Browser.",
		"Votre connexion eID peut encore être retenue un court moment par votre fournisseur d'identité : sur un ordinateur partagé, fermez le navigateur.",
		"Tunnistuspalvelusi voi vielä hetken muistaa eID-kirjautumisesi: sulje selain, jos käytät yhteistä tietokonetta.",
		"Din identitetstjänst kan fortfarande komma ihåg din inloggning en kort stund: stäng webbläsaren om du använder en delad dator."},
	{"login", "Log in with your eID", "Mit Ihrer eID anmelden", "Se connecter avec votre eID", "Kirjaudu sähköisellä tunnisteella", "Logga in med din e-legitimation"},
	{"footer", "Demonstration portal of the Once-Only Technical System. No real procedure is carried out.",
		"Demonstrationsportal des Once-Only Technical System. Es wird kein echtes Verfahren durchgeführt.",
		"Portail de démonstration du système technique « once-only ». Aucune démarche réelle n'est effectuée.",
		"Once-Only-teknisen järjestelmän esittelyportaali. Todellisia menettelyjä ei suoriteta.",
		"Demonstrationsportal för det tekniska systemet för engångsuppgiftslämnande. Inget verkligt förfarande genomförs."},
	{"backHome", "Back to the start page", "Zurück zur Startseite", "Retour à la page d'accueil", "Takaisin etusivulle", "Tillbaka till startsidan"},

	{"homeTitle", "Complete a procedure online", "Ein Verfahren online erledigen", "Effectuer une démarche en ligne", "Hoida asia verkossa", "Genomför ett förfarande på nätet"},
	{"homeIntro", "Choose the procedure and the country that holds your evidence. We will obtain the evidence from that country for you, once you have logged in and asked us to.",
		"Wählen Sie das Verfahren und das Land, in dem Ihr Nachweis vorliegt. Nach Ihrer Anmeldung und auf Ihre ausdrückliche Anforderung holen wir den Nachweis dort für Sie ein.",
		"Choisissez la démarche et le pays qui détient votre justificatif. Une fois connecté, et à votre demande, nous l'obtiendrons pour vous auprès de ce pays.",
		"Valitse menettely ja maa, jossa todisteesi on. Kun olet kirjautunut ja pyytänyt sitä, haemme todisteen puolestasi kyseisestä maasta.",
		"Välj förfarandet och det land som har ditt bevis. När du har loggat in och bett oss om det hämtar vi beviset från det landet åt dig."},
	{"procedure", "Procedure", "Verfahren", "Démarche", "Menettely", "Förfarande"},
	{"companyOnly", "for companies", "für Unternehmen", "pour les entreprises", "yrityksille", "för företag"},
	{"evidenceCountry", "Country of the evidence", "Land des Nachweises", "Pays du justificatif", "Todisteen maa", "Bevisets land"},
	{"evidenceCountryHint", "The country whose authority holds the evidence, for example where you were born or studied.",
		"Das Land, dessen Behörde den Nachweis besitzt, z. B. wo Sie geboren wurden oder studiert haben.",
		"Le pays dont une autorité détient le justificatif, par exemple celui où vous êtes né ou avez étudié.",
		"Maa, jonka viranomaisella todiste on, esimerkiksi syntymä- tai opiskelumaasi.",
		"Det land vars myndighet har beviset, till exempel där du föddes eller studerade."},
	{"start", "Start", "Beginnen", "Commencer", "Aloita", "Börja"},
	{"loginAndStart", "Log in and start", "Anmelden und beginnen", "Se connecter et commencer", "Kirjaudu ja aloita", "Logga in och börja"},
	{"yourJourneys", "Your procedures", "Ihre Verfahren", "Vos démarches", "Menettelysi", "Dina förfaranden"},

	{"welcomeBack", "Welcome back. We are waiting for the evidence you approved; this page updates itself.",
		"Willkommen zurück. Wir warten auf den von Ihnen freigegebenen Nachweis; diese Seite aktualisiert sich selbst.",
		"Bon retour. Nous attendons le justificatif que vous avez approuvé ; cette page se met à jour d'elle-même.",
		"Tervetuloa takaisin. Odotamme hyväksymääsi todistetta; sivu päivittyy itsestään.",
		"Välkommen tillbaka. Vi väntar på beviset du godkände; sidan uppdateras av sig själv."},
	{"evidenceFrom", "Evidence from", "Nachweise aus", "Justificatifs de", "Todisteet maasta", "Bevis från"},
	{"journeyState", "Status:", "Stand:", "État :", "Tila:", "Status:"},
	{"deadline", "To be completed by", "Abzuschließen bis", "À terminer avant le", "Suoritettava viimeistään", "Ska vara klart senast"},
	{"waitingAuto", "We are waiting for an answer; this page reloads every 2 seconds.",
		"Wir warten auf eine Antwort; diese Seite wird alle 2 Sekunden neu geladen.",
		"Nous attendons une réponse ; cette page se recharge toutes les 2 secondes.",
		"Odotamme vastausta; sivu latautuu uudelleen 2 sekunnin välein.",
		"Vi väntar på ett svar; sidan laddas om varannan sekund."},
	{"reload", "Reload now", "Jetzt neu laden", "Recharger maintenant", "Lataa nyt uudelleen", "Ladda om nu"},
	{"state_open", "in progress", "in Bearbeitung", "en cours", "kesken", "pågår"},
	{"state_complete", "all evidence received", "alle Nachweise erhalten", "tous les justificatifs reçus", "kaikki todisteet vastaanotettu", "alla bevis mottagna"},
	{"state_failed", "some evidence could not be obtained", "ein Nachweis konnte nicht eingeholt werden", "un justificatif n'a pas pu être obtenu", "jotakin todistetta ei saatu", "något bevis kunde inte hämtas"},
	{"step_choose-evidence-type", "Step: choose the evidence", "Schritt: Nachweis auswählen", "Étape : choisir le justificatif", "Vaihe: valitse todiste", "Steg: välj bevis"},
	{"step_answer-questions", "Step: tell us more", "Schritt: weitere Angaben", "Étape : précisions", "Vaihe: lisätiedot", "Steg: mer information"},
	{"step_choose-provider", "Step: choose the authority", "Schritt: Behörde auswählen", "Étape : choisir l'autorité", "Vaihe: valitse viranomainen", "Steg: välj myndighet"},
	{"step_explicit-request", "Step: request the evidence", "Schritt: Nachweis anfordern", "Étape : demander le justificatif", "Vaihe: pyydä todistetta", "Steg: begär beviset"},
	{"step_waiting", "Waiting for the evidence", "Warten auf den Nachweis", "En attente du justificatif", "Odotetaan todistetta", "Väntar på beviset"},
	{"step_preview", "Step: preview the evidence", "Schritt: Nachweis ansehen", "Étape : prévisualiser le justificatif", "Vaihe: esikatsele todistetta", "Steg: förhandsgranska beviset"},
	{"step_done", "Evidence received", "Nachweis erhalten", "Justificatif reçu", "Todiste vastaanotettu", "Bevis mottaget"},
	{"step_failed", "The evidence could not be obtained", "Der Nachweis konnte nicht eingeholt werden", "Le justificatif n'a pas pu être obtenu", "Todistetta ei saatu", "Beviset kunde inte hämtas"},
	{"chooseEvidenceType", "Which evidence do you want to provide?", "Welchen Nachweis möchten Sie vorlegen?", "Quel justificatif voulez-vous fournir ?", "Minkä todisteen haluat toimittaa?", "Vilket bevis vill du lämna?"},
	{"questionsIntro", "The directory of evidence providers needs more information to find the right authority.",
		"Das Verzeichnis der Nachweisanbieter benötigt weitere Angaben, um die zuständige Behörde zu finden.",
		"L'annuaire des fournisseurs de justificatifs a besoin de précisions pour trouver l'autorité compétente.",
		"Todisteiden tarjoajien hakemisto tarvitsee lisätietoja oikean viranomaisen löytämiseksi.",
		"Katalogen över bevisleverantörer behöver mer information för att hitta rätt myndighet."},
	{"selectOne", "Select…", "Bitte auswählen…", "Sélectionnez…", "Valitse…", "Välj…"},
	{"chooseProvider", "Which authority should provide the evidence?", "Welche Behörde soll den Nachweis liefern?", "Quelle autorité doit fournir le justificatif ?", "Mikä viranomainen toimittaa todisteen?", "Vilken myndighet ska lämna beviset?"},
	{"formats", "formats:", "Formate:", "formats :", "muodot:", "format:"},
	{"continue", "Continue", "Weiter", "Continuer", "Jatka", "Fortsätt"},
	{"explicitIntro", "Nothing is requested without your explicit request. You will be able to preview the evidence at the authority before it is sent to us.",
		"Ohne Ihre ausdrückliche Anforderung wird nichts angefordert. Sie können den Nachweis bei der Behörde ansehen, bevor er uns übermittelt wird.",
		"Rien n'est demandé sans votre demande explicite. Vous pourrez prévisualiser le justificatif auprès de l'autorité avant qu'il nous soit transmis.",
		"Mitään ei pyydetä ilman nimenomaista pyyntöäsi. Voit esikatsella todisteen viranomaisen palvelussa ennen kuin se lähetetään meille.",
		"Inget begärs utan din uttryckliga begäran. Du kan förhandsgranska beviset hos myndigheten innan det skickas till oss."},
	{"consent", "I request the evidence “%s” to be obtained from %s in %s.",
		"Ich beantrage, dass der Nachweis „%s“ bei %s in %s eingeholt wird.",
		"Je demande que le justificatif « %s » soit obtenu auprès de %s (%s).",
		"Pyydän, että todiste ”%s” haetaan viranomaiselta %s (%s).",
		"Jag begär att beviset ”%s” hämtas från %s i %s."},
	{"requestEvidence", "Request the evidence", "Nachweis anfordern", "Demander le justificatif", "Pyydä todiste", "Begär beviset"},
	{"waitingText", "Your request has been sent. The answer usually arrives within a few minutes.",
		"Ihre Anforderung wurde gesendet. Die Antwort kommt meist innerhalb weniger Minuten.",
		"Votre demande a été envoyée. La réponse arrive en général en quelques minutes.",
		"Pyyntösi on lähetetty. Vastaus saapuu yleensä muutamassa minuutissa.",
		"Din begäran har skickats. Svaret kommer oftast inom några minuter."},
	{"previewText", "The authority asks you to look at the evidence and approve it before it is sent. You will be brought back here afterwards.",
		"Die Behörde bittet Sie, den Nachweis anzusehen und freizugeben, bevor er gesendet wird. Danach werden Sie hierher zurückgeleitet.",
		"L'autorité vous demande de consulter le justificatif et de l'approuver avant son envoi. Vous serez ensuite ramené ici.",
		"Viranomainen pyytää sinua tarkastamaan ja hyväksymään todisteen ennen sen lähettämistä. Sen jälkeen palaat tänne.",
		"Myndigheten ber dig granska och godkänna beviset innan det skickas. Efteråt kommer du tillbaka hit."},
	{"goPreview", "Go to the preview at %s", "Zur Vorschau bei %s", "Aller à la prévisualisation chez %s", "Siirry esikatseluun: %s", "Gå till förhandsgranskningen hos %s"},
	{"evidenceReceived", "Evidence received", "Erhaltene Nachweise", "Justificatifs reçus", "Vastaanotetut todisteet", "Mottagna bevis"},
	{"colTitle", "Title", "Titel", "Titre", "Nimi", "Titel"},
	{"colFormat", "Format", "Format", "Format", "Muoto", "Format"},
	{"colIssuer", "Issued by", "Ausgestellt von", "Délivré par", "Myöntäjä", "Utfärdat av"},
	{"colDate", "Date of issue", "Ausstellungsdatum", "Date de délivrance", "Myöntämispäivä", "Utfärdandedatum"},
	{"colFile", "File", "Datei", "Fichier", "Tiedosto", "Fil"},
	{"view", "View", "Anzeigen", "Afficher", "Näytä", "Visa"},
	{"errorCode", "Error code:", "Fehlercode:", "Code d'erreur :", "Virhekoodi:", "Felkod:"},
	{"fail0001", "The authority could not confirm your identity.", "Die Behörde konnte Ihre Identität nicht bestätigen.", "L'autorité n'a pas pu confirmer votre identité.", "Viranomainen ei voinut vahvistaa henkilöllisyyttäsi.", "Myndigheten kunde inte bekräfta din identitet."},
	{"fail0002", "The evidence was not approved in the preview.", "Der Nachweis wurde in der Vorschau nicht freigegeben.", "Le justificatif n'a pas été approuvé lors de la prévisualisation.", "Todistetta ei hyväksytty esikatselussa.", "Beviset godkändes inte i förhandsgranskningen."},
	{"fail0003", "The authority could not process the request.", "Die Behörde konnte die Anforderung nicht verarbeiten.", "L'autorité n'a pas pu traiter la demande.", "Viranomainen ei voinut käsitellä pyyntöä.", "Myndigheten kunde inte behandla begäran."},
	{"fail0004", "The authority found no evidence about you.", "Die Behörde hat keinen Nachweis zu Ihnen gefunden.", "L'autorité n'a trouvé aucun justificatif vous concernant.", "Viranomainen ei löytänyt sinua koskevaa todistetta.", "Myndigheten hittade inget bevis om dig."},
	{"fail0005", "The time to complete the exchange ran out.", "Die Zeit für den Austausch ist abgelaufen.", "Le délai de l'échange est dépassé.", "Tiedonvaihdon määräaika umpeutui.", "Tiden för utbytet tog slut."},
	{"failProvider", "The authority could not answer the request.", "Die Behörde konnte die Anforderung nicht beantworten.", "L'autorité n'a pas pu répondre à la demande.", "Viranomainen ei voinut vastata pyyntöön.", "Myndigheten kunde inte besvara begäran."},
	{"failOther", "The evidence could not be obtained.", "Der Nachweis konnte nicht eingeholt werden.", "Le justificatif n'a pas pu être obtenu.", "Todistetta ei saatu.", "Beviset kunde inte hämtas."},
	{"tryAgain", "Try again", "Erneut versuchen", "Réessayer", "Yritä uudelleen", "Försök igen"},
	{"retryText", "Trying again starts the evidence requests of this procedure anew: you choose and request each evidence again. Or go on without the evidence that could not be obtained.",
		"Ein neuer Versuch beginnt die Nachweisanforderungen dieses Verfahrens von vorn: Sie wählen und beantragen jeden Nachweis erneut. Oder fahren Sie ohne die Nachweise fort, die nicht eingeholt werden konnten.",
		"Réessayer recommence les demandes de justificatifs de cette démarche : vous choisissez et demandez à nouveau chaque justificatif. Vous pouvez aussi continuer sans les justificatifs qui n'ont pas pu être obtenus.",
		"Uusi yritys aloittaa tämän menettelyn todistepyynnöt alusta: valitset ja pyydät jokaisen todisteen uudelleen. Voit myös jatkaa ilman todisteita, joita ei saatu.",
		"Ett nytt försök börjar om förfarandets begäranden om bevis: du väljer och begär varje bevis igen. Du kan också fortsätta utan de bevis som inte kunde hämtas."},
	{"blocked", "Because another request of this procedure failed, this evidence can no longer be requested here. Try again, or continue without it.",
		"Weil eine andere Anforderung dieses Verfahrens fehlgeschlagen ist, kann dieser Nachweis hier nicht mehr angefordert werden. Versuchen Sie es erneut oder fahren Sie ohne ihn fort.",
		"Une autre demande de cette démarche ayant échoué, ce justificatif ne peut plus être demandé ici. Réessayez, ou continuez sans lui.",
		"Koska menettelyn toinen pyyntö epäonnistui, tätä todistetta ei voi enää pyytää täällä. Yritä uudelleen tai jatka ilman sitä.",
		"Eftersom en annan begäran i förfarandet misslyckades kan beviset inte längre begäras här. Försök igen eller fortsätt utan det."},
	{"failEmpty", "The authority answered without any evidence.", "Die Behörde hat ohne Nachweis geantwortet.", "L'autorité a répondu sans aucun justificatif.", "Viranomainen vastasi ilman todistetta.", "Myndigheten svarade utan något bevis."},
	{"skipReq", "Continue without this evidence", "Ohne diesen Nachweis fortfahren", "Continuer sans ce justificatif", "Jatka ilman tätä todistetta", "Fortsätt utan detta bevis"},
	{"skipped", "You continue without this evidence; you may have to provide it yourself.",
		"Sie fahren ohne diesen Nachweis fort; eventuell müssen Sie ihn selbst vorlegen.",
		"Vous continuez sans ce justificatif ; vous devrez peut-être le fournir vous-même.",
		"Jatkat ilman tätä todistetta; saatat joutua toimittamaan sen itse.",
		"Du fortsätter utan detta bevis; du kan behöva lämna det själv."},
	{"withoutEvidence", "not provided (you continued without it)", "nicht vorgelegt (Sie haben ohne ihn fortgefahren)", "non fourni (vous avez continué sans lui)", "ei toimitettu (jatkoit ilman sitä)", "inte lämnat (du fortsatte utan det)"},
	{"reviewSubmit", "Check and submit the procedure", "Verfahren prüfen und absenden", "Vérifier et envoyer la démarche", "Tarkista ja lähetä", "Granska och skicka in"},
	{"alreadySubmitted", "Submitted with the reference number", "Abgesendet mit dem Aktenzeichen", "Envoyée sous la référence", "Lähetetty viitenumerolla", "Inskickat med referensnumret"},

	{"summaryTitle", "Check your procedure", "Verfahren prüfen", "Vérifiez votre démarche", "Tarkista menettely", "Granska ditt förfarande"},
	{"applicant", "Applicant", "Antragsteller/in", "Demandeur", "Hakija", "Sökande"},
	{"born", "born", "geboren am", "né(e) le", "syntynyt", "född"},
	{"company", "Company", "Unternehmen", "Entreprise", "Yritys", "Företag"},
	{"submitIntro", "By submitting, you hand this evidence to the authority for your procedure.",
		"Mit dem Absenden übergeben Sie diese Nachweise der Behörde für Ihr Verfahren.",
		"En envoyant, vous transmettez ces justificatifs à l'autorité pour votre démarche.",
		"Lähettämällä annat nämä todisteet viranomaiselle menettelyäsi varten.",
		"Genom att skicka in lämnar du dessa bevis till myndigheten för ditt förfarande."},
	{"submit", "Submit the procedure", "Verfahren absenden", "Envoyer la démarche", "Lähetä menettely", "Skicka in förfarandet"},
	{"backJourney", "Back to the procedure", "Zurück zum Verfahren", "Retour à la démarche", "Takaisin menettelyyn", "Tillbaka till förfarandet"},
	{"submittedTitle", "Procedure submitted", "Verfahren abgesendet", "Démarche envoyée", "Menettely lähetetty", "Förfarandet har skickats in"},
	{"referenceIs", "Your reference number:", "Ihr Aktenzeichen:", "Votre numéro de référence :", "Viitenumerosi:", "Ditt referensnummer:"},
	{"submittedText", "Keep this number; it identifies your procedure in any contact with us.",
		"Bewahren Sie diese Nummer auf; sie bezeichnet Ihr Verfahren bei jeder Nachfrage.",
		"Conservez ce numéro ; il identifie votre démarche dans tout échange avec nous.",
		"Säilytä tämä numero; se yksilöi menettelysi kaikessa yhteydenpidossa kanssamme.",
		"Spara numret; det identifierar ditt förfarande när du kontaktar oss."},
	{"submittedAt", "Submitted on", "Abgesendet am", "Envoyée le", "Lähetetty", "Inskickat"},
	{"evidenceSubmitted", "Evidence", "Nachweise", "Justificatifs", "Todisteet", "Bevis"},

	{"errHeading", "There is a problem", "Es ist ein Problem aufgetreten", "Un problème est survenu", "Ilmeni ongelma", "Det har uppstått ett problem"},
	{"notFoundHeading", "Page not found", "Seite nicht gefunden", "Page introuvable", "Sivua ei löydy", "Sidan hittades inte"},
	{"notFoundText", "There is no such page, or it belongs to another user.", "Diese Seite gibt es nicht, oder sie gehört einer anderen Person.", "Cette page n'existe pas, ou elle appartient à un autre utilisateur.", "Sivua ei ole, tai se kuuluu toiselle käyttäjälle.", "Sidan finns inte, eller så tillhör den en annan användare."},
	{"errForm", "The form could not be read. Please go back and try again.", "Das Formular konnte nicht gelesen werden. Bitte gehen Sie zurück und versuchen Sie es erneut.", "Le formulaire n'a pas pu être lu. Revenez en arrière et réessayez.", "Lomaketta ei voitu lukea. Palaa takaisin ja yritä uudelleen.", "Formuläret kunde inte läsas. Gå tillbaka och försök igen."},
	{"errCSRF", "This form has expired or did not come from this site. Please go back, reload the page and try again.",
		"Dieses Formular ist abgelaufen oder stammt nicht von dieser Website. Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.",
		"Ce formulaire a expiré ou ne provient pas de ce site. Revenez en arrière, rechargez la page et réessayez.",
		"Lomake on vanhentunut tai se ei ole tältä sivustolta. Palaa takaisin, lataa sivu uudelleen ja yritä uudelleen.",
		"Formuläret har gått ut eller kommer inte från den här webbplatsen. Gå tillbaka, ladda om sidan och försök igen."},
	{"errInternal", "Something went wrong on our side. Please try again later.", "Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.", "Une erreur s'est produite de notre côté. Veuillez réessayer plus tard.", "Meillä tapahtui virhe. Yritä myöhemmin uudelleen.", "Något gick fel hos oss. Försök igen senare."},
	{"errService", "The evidence exchange service is not available at the moment. Please try again later.",
		"Der Dienst für den Nachweisaustausch ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
		"Le service d'échange de justificatifs est momentanément indisponible. Veuillez réessayer plus tard.",
		"Todisteiden vaihtopalvelu ei ole juuri nyt käytettävissä. Yritä myöhemmin uudelleen.",
		"Tjänsten för utbyte av bevis är inte tillgänglig just nu. Försök igen senare."},
	{"errStart", "The procedure could not be started: no evidence could be found for it in the chosen country, or the service is not available. Please try again later or choose another country.",
		"Das Verfahren konnte nicht begonnen werden: Für das gewählte Land wurde kein Nachweis gefunden, oder der Dienst ist nicht erreichbar. Bitte versuchen Sie es später erneut oder wählen Sie ein anderes Land.",
		"La démarche n'a pas pu commencer : aucun justificatif n'a été trouvé pour le pays choisi, ou le service est indisponible. Réessayez plus tard ou choisissez un autre pays.",
		"Menettelyä ei voitu aloittaa: valitusta maasta ei löytynyt todistetta tai palvelu ei ole käytettävissä. Yritä myöhemmin uudelleen tai valitse toinen maa.",
		"Förfarandet kunde inte påbörjas: inget bevis hittades för det valda landet, eller så är tjänsten inte tillgänglig. Försök igen senare eller välj ett annat land."},
	{"errStartNotFound", "No evidence for this procedure can be obtained from the chosen country. Please choose another country, or provide the evidence yourself.",
		"Für dieses Verfahren kann aus dem gewählten Land kein Nachweis eingeholt werden. Bitte wählen Sie ein anderes Land oder legen Sie den Nachweis selbst vor.",
		"Aucun justificatif pour cette démarche ne peut être obtenu du pays choisi. Choisissez un autre pays, ou fournissez le justificatif vous-même.",
		"Tähän menettelyyn ei voi hakea todistetta valitusta maasta. Valitse toinen maa tai toimita todiste itse.",
		"Inget bevis för förfarandet kan hämtas från det valda landet. Välj ett annat land eller lämna beviset själv."},
	{"errStep", "This step has changed in the meantime, for example in another window. Here is where your procedure stands now.",
		"Dieser Schritt hat sich inzwischen geändert, etwa in einem anderen Fenster. Hier sehen Sie den aktuellen Stand Ihres Verfahrens.",
		"Cette étape a changé entre-temps, par exemple dans une autre fenêtre. Voici où en est votre démarche.",
		"Tämä vaihe on muuttunut sillä välin, esimerkiksi toisessa ikkunassa. Tässä menettelysi nykyinen tilanne.",
		"Steget har ändrats under tiden, till exempel i ett annat fönster. Här ser du var ditt förfarande står nu."},
	{"errProcedure", "Choose one of the procedures in the list.", "Wählen Sie eines der Verfahren aus der Liste.", "Choisissez une des démarches de la liste.", "Valitse jokin luettelon menettelyistä.", "Välj ett av förfarandena i listan."},
	{"errCountry", "Choose one of the countries in the list.", "Wählen Sie eines der Länder aus der Liste.", "Choisissez un des pays de la liste.", "Valitse jokin luettelon maista.", "Välj ett av länderna i listan."},
	{"errCompany", "This procedure is for companies. Log in as the representative of a company to start it.",
		"Dieses Verfahren ist für Unternehmen. Melden Sie sich als Vertretung eines Unternehmens an, um es zu beginnen.",
		"Cette démarche est réservée aux entreprises. Connectez-vous en tant que représentant d'une entreprise pour la commencer.",
		"Tämä menettely on tarkoitettu yrityksille. Kirjaudu yrityksen edustajana aloittaaksesi sen.",
		"Förfarandet är avsett för företag. Logga in som företrädare för ett företag för att börja."},
	{"errLogin", "The login did not succeed. Please try again.", "Die Anmeldung ist nicht gelungen. Bitte versuchen Sie es erneut.", "La connexion a échoué. Veuillez réessayer.", "Kirjautuminen epäonnistui. Yritä uudelleen.", "Inloggningen misslyckades. Försök igen."},
	{"errLoginNoIdentifier", "Your eID does not give the European (eIDAS) identifier that this service needs to find your evidence. Please log in with another eID.",
		"Ihre eID übermittelt nicht die europäische (eIDAS-)Kennung, die dieser Dienst braucht, um Ihre Nachweise zu finden. Bitte melden Sie sich mit einer anderen eID an.",
		"Votre identité numérique ne transmet pas l'identifiant européen (eIDAS) dont ce service a besoin pour trouver vos justificatifs. Veuillez vous connecter avec une autre identité numérique.",
		"Sähköinen tunnisteesi ei välitä eurooppalaista (eIDAS-)tunnistetta, jota tämä palvelu tarvitsee todisteidesi löytämiseen. Kirjaudu toisella sähköisellä tunnisteella.",
		"Din e-legitimation lämnar inte den europeiska (eIDAS-)identifierare som tjänsten behöver för att hitta dina bevis. Logga in med en annan e-legitimation."},
	{"errLoginLoA", "Your eID was used at a level of assurance lower than this service requires. Please log in with an eID of a higher level.",
		"Ihre eID wurde mit einem niedrigeren Vertrauensniveau verwendet, als dieser Dienst verlangt. Bitte melden Sie sich mit einer eID höheren Niveaus an.",
		"Votre identité numérique a été utilisée à un niveau de garantie inférieur à celui qu'exige ce service. Veuillez vous connecter avec une identité numérique de niveau plus élevé.",
		"Sähköistä tunnistettasi käytettiin alemmalla varmuustasolla kuin tämä palvelu edellyttää. Kirjaudu korkeamman tason tunnisteella.",
		"Din e-legitimation användes på en lägre tillitsnivå än tjänsten kräver. Logga in med en e-legitimation på en högre nivå."},
	{"errLoginState", "This login was not started in this browser, or it has expired. Please log in again.",
		"Diese Anmeldung wurde nicht in diesem Browser begonnen oder ist abgelaufen. Bitte melden Sie sich erneut an.",
		"Cette connexion n'a pas été commencée dans ce navigateur, ou elle a expiré. Veuillez vous reconnecter.",
		"Tätä kirjautumista ei aloitettu tällä selaimella, tai se on vanhentunut. Kirjaudu uudelleen.",
		"Inloggningen påbörjades inte i den här webbläsaren, eller så har den gått ut. Logga in igen."},
	{"errLoginNeeded", "Please log in to see this page. Your session may have ended.", "Bitte melden Sie sich an, um diese Seite zu sehen. Ihre Sitzung ist möglicherweise abgelaufen.", "Veuillez vous connecter pour voir cette page. Votre session a peut-être expiré.", "Kirjaudu nähdäksesi tämän sivun. Istuntosi on ehkä päättynyt.", "Logga in för att se sidan. Din session kan ha avslutats."},
	{"errRequirement", "This step no longer exists. Please reload the procedure.", "Dieser Schritt existiert nicht mehr. Bitte laden Sie das Verfahren neu.", "Cette étape n'existe plus. Veuillez recharger la démarche.", "Tätä vaihetta ei enää ole. Lataa menettely uudelleen.", "Steget finns inte längre. Ladda om förfarandet."},
	{"errEvidenceType", "Choose one of the evidence types.", "Wählen Sie einen der Nachweise.", "Choisissez un des justificatifs.", "Valitse jokin todisteista.", "Välj ett av bevisen."},
	{"errAnswer", "Answer the question: %s", "Beantworten Sie die Frage: %s", "Répondez à la question : %s", "Vastaa kysymykseen: %s", "Besvara frågan: %s"},
	{"errProvider", "Choose one of the authorities.", "Wählen Sie eine der Behörden.", "Choisissez une des autorités.", "Valitse jokin viranomaisista.", "Välj en av myndigheterna."},
	{"errChoice", "Your choice could not be recorded. Please check it and try again.", "Ihre Auswahl konnte nicht gespeichert werden. Bitte prüfen Sie sie und versuchen Sie es erneut.", "Votre choix n'a pas pu être enregistré. Vérifiez-le et réessayez.", "Valintaasi ei voitu tallentaa. Tarkista se ja yritä uudelleen.", "Ditt val kunde inte sparas. Kontrollera det och försök igen."},
	{"errConsent", "To obtain the evidence, tick the box to confirm your request. Nothing has been sent.",
		"Um den Nachweis einzuholen, kreuzen Sie das Kästchen an und bestätigen so Ihre Anforderung. Es wurde nichts gesendet.",
		"Pour obtenir le justificatif, cochez la case afin de confirmer votre demande. Rien n'a été envoyé.",
		"Hakeaksesi todisteen vahvista pyyntösi rastittamalla ruutu. Mitään ei lähetetty.",
		"Kryssa i rutan för att bekräfta din begäran och hämta beviset. Inget har skickats."},
	{"errRequest", "The request could not be sent. Please try again later.", "Die Anforderung konnte nicht gesendet werden. Bitte versuchen Sie es später erneut.", "La demande n'a pas pu être envoyée. Veuillez réessayer plus tard.", "Pyyntöä ei voitu lähettää. Yritä myöhemmin uudelleen.", "Begäran kunde inte skickas. Försök igen senare."},
	{"errNotReady", "Some evidence is still missing. Complete every step, or continue without the evidence that could not be obtained.",
		"Es fehlen noch Nachweise. Schließen Sie alle Schritte ab oder fahren Sie ohne die Nachweise fort, die nicht eingeholt werden konnten.",
		"Il manque encore des justificatifs. Terminez chaque étape, ou continuez sans les justificatifs qui n'ont pas pu être obtenus.",
		"Todisteita puuttuu vielä. Suorita kaikki vaiheet tai jatka ilman todisteita, joita ei saatu.",
		"Bevis saknas fortfarande. Slutför alla steg eller fortsätt utan de bevis som inte kunde hämtas."},
}

func buildCatalogue(tables ...[][6]string) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, rows := range tables {
		for _, r := range rows {
			e := make(map[string]string, len(catalogueLanguages))
			for i, l := range catalogueLanguages {
				e[l] = r[i+1]
			}
			m[r[0]] = e
		}
	}
	return m
}

// translate returns the text of key in lang (else in English) with args
// put in; an unknown key comes back marked, so that a test finds it.
func translate(lang, key string, args ...any) string {
	e, ok := catalogue[key]
	if !ok {
		return "??" + key + "??"
	}
	s := e[lang]
	if s == "" {
		s = e["en"]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// countryName returns the name of a country in lang, or its code.
func countryName(lang, code string) string { return ui.CountryName(lang, code) }
