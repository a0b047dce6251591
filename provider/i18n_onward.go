package provider

import "github.com/oots-go/oots/internal/ui"

// onwardMessages are the ways onward of an error page of the preview space
// (an unknown or used link, a failed login), so that no page is a dead end.
var onwardMessages = map[string]map[string]string{
	"en": {
		"kind.pdf":         "PDF document",
		"kind.xml":         "Structured data (XML)",
		"kind.json":        "Structured data (JSON)",
		"kind.other":       "Document",
		"meta.tech":        "Technical details",
		"meta.expired":     "This document's validity ended on %s. It can still be sent; the requesting authority decides whether it accepts it.",
		"withdraw.title":   "Withdraw your consent?",
		"withdraw.text":    "After the withdrawal this authority can no longer obtain the evidence without asking you: you will see a preview again. Evidence already sent is not recalled.",
		"withdraw.confirm": "Yes, withdraw the consent",
		"withdraw.cancel":  "No, keep the consent",
		"ask.who":          "Asked by",
		"ask.procedure":    "For the procedure",
		"ask.evidence":     "Evidence asked for",
		"onward.title":     "What you can do",
		"onward.portal":    "Go back to the website of the authority that sent you here and start again from your procedure there.",
		"onward.consents":  "See your consents and the evidence we sent about you",
		"onward.contact":   "Contact us",
	},
	"de": {
		"kind.pdf":         "PDF-Dokument",
		"kind.xml":         "Strukturierte Daten (XML)",
		"kind.json":        "Strukturierte Daten (JSON)",
		"kind.other":       "Dokument",
		"meta.tech":        "Technische Angaben",
		"meta.expired":     "Die Gültigkeit dieses Dokuments endete am %s. Es kann trotzdem übermittelt werden; die anfordernde Behörde entscheidet, ob sie es annimmt.",
		"withdraw.title":   "Einwilligung widerrufen?",
		"withdraw.text":    "Nach dem Widerruf kann diese Behörde den Nachweis nicht mehr ohne Ihre Zustimmung abrufen: Sie sehen wieder eine Vorschau. Bereits übermittelte Nachweise werden nicht zurückgeholt.",
		"withdraw.confirm": "Ja, Einwilligung widerrufen",
		"withdraw.cancel":  "Nein, Einwilligung behalten",
		"ask.who":          "Angefordert von",
		"ask.procedure":    "Für das Verfahren",
		"ask.evidence":     "Angeforderter Nachweis",
		"onward.title":     "Was Sie tun können",
		"onward.portal":    "Kehren Sie zur Website der Behörde zurück, die Sie hierher geschickt hat, und beginnen Sie dort erneut mit Ihrem Verfahren.",
		"onward.consents":  "Ihre Einwilligungen und die über Sie übermittelten Nachweise ansehen",
		"onward.contact":   "Kontakt aufnehmen",
	},
	"fr": {
		"kind.pdf":         "Document PDF",
		"kind.xml":         "Données structurées (XML)",
		"kind.json":        "Données structurées (JSON)",
		"kind.other":       "Document",
		"meta.tech":        "Détails techniques",
		"meta.expired":     "La validité de ce document a pris fin le %s. Il peut tout de même être transmis ; l'autorité qui le demande décide si elle l'accepte.",
		"withdraw.title":   "Retirer votre consentement ?",
		"withdraw.text":    "Après le retrait, cette autorité ne pourra plus obtenir le justificatif sans vous le demander : vous verrez de nouveau un aperçu. Les justificatifs déjà transmis ne sont pas rappelés.",
		"withdraw.confirm": "Oui, retirer le consentement",
		"withdraw.cancel":  "Non, garder le consentement",
		"ask.who":          "Demandé par",
		"ask.procedure":    "Pour la démarche",
		"ask.evidence":     "Justificatif demandé",
		"onward.title":     "Ce que vous pouvez faire",
		"onward.portal":    "Retournez sur le site de l'autorité qui vous a envoyé ici et recommencez depuis votre démarche.",
		"onward.consents":  "Voir vos consentements et les justificatifs transmis à votre sujet",
		"onward.contact":   "Nous contacter",
	},
	"fi": {
		"kind.pdf":         "PDF-asiakirja",
		"kind.xml":         "Rakenteiset tiedot (XML)",
		"kind.json":        "Rakenteiset tiedot (JSON)",
		"kind.other":       "Asiakirja",
		"meta.tech":        "Tekniset tiedot",
		"meta.expired":     "Tämän asiakirjan voimassaolo päättyi %s. Sen voi silti lähettää; pyytävä viranomainen päättää, hyväksyykö se sen.",
		"withdraw.title":   "Peruutetaanko suostumuksesi?",
		"withdraw.text":    "Peruutuksen jälkeen viranomainen ei voi enää hakea todistetta kysymättä sinulta: näet taas esikatselun. Jo lähetettyjä todisteita ei palauteta.",
		"withdraw.confirm": "Kyllä, peruuta suostumus",
		"withdraw.cancel":  "Ei, pidä suostumus",
		"ask.who":          "Pyytäjä",
		"ask.procedure":    "Menettely",
		"ask.evidence":     "Pyydetty todiste",
		"onward.title":     "Mitä voit tehdä",
		"onward.portal":    "Palaa sen viranomaisen verkkosivulle, joka ohjasi sinut tänne, ja aloita asiointisi siellä uudelleen.",
		"onward.consents":  "Katso suostumuksesi ja sinusta lähettämämme todisteet",
		"onward.contact":   "Ota yhteyttä",
	},
	"sv": {
		"kind.pdf":         "PDF-dokument",
		"kind.xml":         "Strukturerade uppgifter (XML)",
		"kind.json":        "Strukturerade uppgifter (JSON)",
		"kind.other":       "Dokument",
		"meta.tech":        "Tekniska uppgifter",
		"meta.expired":     "Dokumentets giltighet upphörde den %s. Det kan ändå skickas; den begärande myndigheten avgör om den godtar det.",
		"withdraw.title":   "Återkalla ditt samtycke?",
		"withdraw.text":    "Efter återkallelsen kan myndigheten inte längre hämta beviset utan att fråga dig: du ser en förhandsgranskning igen. Bevis som redan skickats återkallas inte.",
		"withdraw.confirm": "Ja, återkalla samtycket",
		"withdraw.cancel":  "Nej, behåll samtycket",
		"ask.who":          "Begärt av",
		"ask.procedure":    "För förfarandet",
		"ask.evidence":     "Begärt bevis",
		"onward.title":     "Vad du kan göra",
		"onward.portal":    "Gå tillbaka till webbplatsen för den myndighet som skickade dig hit och börja om från ditt ärende där.",
		"onward.consents":  "Se dina samtycken och de bevis vi har skickat om dig",
		"onward.contact":   "Kontakta oss",
	},
}

// aboutTitles are the titles of the page the footer links lead to (package
// ui), in each language of the preview space.
func aboutTitles() map[string]map[string]string {
	t := map[string]map[string]string{}
	for _, l := range languages {
		t[l.Code] = map[string]string{"about.title": ui.Text(l.Code, "infoTitle")}
	}
	return t
}
