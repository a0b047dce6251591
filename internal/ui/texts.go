package ui

// row is a key and its text in the page languages, in the order of
// languages.
type row [6]string

var rows = []row{
	{"skip", "Skip to main content", "Zum Hauptinhalt springen", "Aller au contenu principal", "Siirry pääsisältöön", "Hoppa till huvudinnehållet"},
	{"languageNav", "Language", "Sprache", "Langue", "Kieli", "Språk"},
	{"problem", "There is a problem", "Es gibt ein Problem", "Il y a un problème", "Tiedoissa on virhe", "Det finns ett problem"},
	{"errorTitle", "Error: %s", "Fehler: %s", "Erreur : %s", "Virhe: %s", "Fel: %s"},
	{"stepsNav", "Steps of your procedure", "Schritte Ihres Verfahrens", "Étapes de votre démarche", "Asiointisi vaiheet", "Stegen i ditt ärende"},
	{"stepDone", "done:", "erledigt:", "terminé :", "valmis:", "klart:"},
	{"stepAuthenticate", "Sign in", "Anmelden", "Se connecter", "Kirjaudu", "Logga in"},
	{"stepFindEvidence", "Find the evidence", "Nachweis finden", "Trouver le justificatif", "Etsi todiste", "Hitta beviset"},
	{"stepRequest", "Request it", "Anfordern", "Le demander", "Pyydä", "Begär det"},
	{"stepPreview", "Preview it", "Vorschau ansehen", "Le prévisualiser", "Esikatsele", "Förhandsgranska"},
	{"stepApprove", "Approve it", "Freigeben", "L'approuver", "Hyväksy", "Godkänn"},
	{"stepReceive", "Receive it", "Erhalten", "Le recevoir", "Vastaanota", "Ta emot"},
	{"stepSubmit", "Submit", "Einreichen", "Soumettre", "Lähetä", "Skicka in"},
	{"footerAccessibility", "Accessibility statement", "Erklärung zur Barrierefreiheit", "Déclaration d'accessibilité", "Saavutettavuusseloste", "Tillgänglighetsredogörelse"},
	{"footerPrivacy", "Privacy notice", "Datenschutzhinweis", "Avis de confidentialité", "Tietosuojaseloste", "Integritetsmeddelande"},
	{"footerContact", "Contact", "Kontakt", "Contact", "Yhteystiedot", "Kontakt"},
	{"infoTitle", "About this service", "Über diesen Dienst", "À propos de ce service", "Tietoa palvelusta", "Om tjänsten"},
	{"infoAccessibility1", "%s aims to meet the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA: every page can be used with a keyboard and a screen reader, reflows on a phone, and is offered in English, German, French, Finnish and Swedish.",
		"%s strebt die Einhaltung der Richtlinien für barrierefreie Webinhalte (WCAG) 2.1 auf Stufe AA an: Jede Seite ist mit Tastatur und Screenreader bedienbar, passt sich an ein Mobiltelefon an und wird auf Englisch, Deutsch, Französisch, Finnisch und Schwedisch angeboten.",
		"%s vise le respect des règles pour l'accessibilité des contenus web (WCAG) 2.1 au niveau AA : chaque page est utilisable au clavier et avec un lecteur d'écran, s'adapte à un téléphone et est proposée en anglais, allemand, français, finnois et suédois.",
		"%s pyrkii täyttämään verkkosisällön saavutettavuusohjeiden (WCAG) 2.1 AA-tason: jokaista sivua voi käyttää näppäimistöllä ja ruudunlukijalla, sivut mukautuvat puhelimeen, ja ne ovat saatavilla englanniksi, saksaksi, ranskaksi, suomeksi ja ruotsiksi.",
		"%s strävar efter att uppfylla riktlinjerna för tillgängligt webbinnehåll (WCAG) 2.1 på nivå AA: varje sida kan användas med tangentbord och skärmläsare, anpassar sig till en mobiltelefon och finns på engelska, tyska, franska, finska och svenska."},
	{"infoAccessibility2", "If something is hard to use, tell us through the contact below: we answer within five working days.",
		"Wenn etwas schwer zu bedienen ist, teilen Sie es uns über den Kontakt unten mit: Wir antworten innerhalb von fünf Arbeitstagen.",
		"Si quelque chose est difficile à utiliser, signalez-le-nous via le contact ci-dessous : nous répondons sous cinq jours ouvrés.",
		"Jos jotakin on vaikea käyttää, kerro siitä alla olevan yhteystiedon kautta: vastaamme viiden työpäivän kuluessa.",
		"Om något är svårt att använda, berätta det för oss via kontakten nedan: vi svarar inom fem arbetsdagar."},
	{"infoPrivacy1", "%s uses your personal data only for the procedure you started and for the exchanges of evidence you asked for or approved. Each exchange is recorded, and you can see what was sent about you.",
		"%s verwendet Ihre personenbezogenen Daten nur für das von Ihnen begonnene Verfahren und für die von Ihnen angeforderten oder freigegebenen Nachweisabrufe. Jeder Austausch wird protokolliert, und Sie können einsehen, was über Sie übermittelt wurde.",
		"%s n'utilise vos données personnelles que pour la démarche que vous avez commencée et pour les échanges de justificatifs que vous avez demandés ou approuvés. Chaque échange est enregistré et vous pouvez voir ce qui a été transmis à votre sujet.",
		"%s käyttää henkilötietojasi vain aloittamaasi asiointiin ja pyytämiisi tai hyväksymiisi todisteiden vaihtoihin. Jokainen tiedonvaihto kirjataan, ja voit nähdä, mitä sinusta on lähetetty.",
		"%s använder dina personuppgifter bara för det förfarande du har påbörjat och för de utbyten av bevis som du har begärt eller godkänt. Varje utbyte registreras, och du kan se vad som har skickats om dig."},
	{"infoPrivacy2", "This is a demonstration: no real procedure is carried out and the people shown are invented.",
		"Dies ist eine Demonstration: Es wird kein echtes Verfahren durchgeführt, und die gezeigten Personen sind erfunden.",
		"Ceci est une démonstration : aucune démarche réelle n'est effectuée et les personnes présentées sont fictives.",
		"Tämä on esittely: todellisia menettelyjä ei suoriteta, ja esitetyt henkilöt ovat keksittyjä.",
		"Detta är en demonstration: inget verkligt förfarande genomförs och personerna som visas är påhittade."},
	{"infoContact1", "For questions about %s, write to the service desk of the authority. Give the reference of your procedure, or the details for support shown on the page, if you have them.",
		"Bei Fragen zu %s schreiben Sie an den Servicedesk der Behörde. Geben Sie, falls vorhanden, das Aktenzeichen Ihres Verfahrens oder die auf der Seite gezeigten Angaben für den Support an.",
		"Pour toute question sur %s, écrivez au service d'assistance de l'autorité. Indiquez la référence de votre démarche ou les détails pour l'assistance affichés sur la page, si vous les avez.",
		"Jos sinulla on kysyttävää palvelusta %s, kirjoita viranomaisen asiakaspalveluun. Kerro asiointisi viite tai sivulla näkyvät tiedot tukipalvelulle, jos sinulla on ne.",
		"Har du frågor om %s, skriv till myndighetens kundtjänst. Ange referensen för ditt ärende eller uppgifterna för support som visas på sidan, om du har dem."},
}

// texts is rows by key and language.
var texts = func() map[string]map[string]string {
	m := make(map[string]map[string]string, len(rows))
	for _, r := range rows {
		e := make(map[string]string, len(languages))
		for i, l := range languages {
			e[l.Code] = r[i+1]
		}
		m[r[0]] = e
	}
	return m
}()
