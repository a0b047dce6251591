package demo

import (
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/provider"
)

// residenceInFinnish makes the Finnish certificate of residence of the
// demo register (document d of person p) what a Finnish register would
// issue: in Finnish, with an annex listing the household at the address
// and translations into English and Swedish. An EDM 2.0 request that asks
// for annexes and translations (DistributedAs/AssociatedDocumentRequest)
// gets them with the certificate; a 1.x request the certificate alone.
func residenceInFinnish(d *provider.Document, p eid.NaturalPerson, local, address, since string) {
	lines := func(labels [7]string, note string) []string {
		return []string{labels[0] + ": " + p.FamilyName, labels[1] + ": " + p.GivenName, labels[2] + ": " + p.DateOfBirth,
			labels[3] + ": " + address, labels[4] + ": " + since, labels[5] + ": FI", labels[6] + ": " + d.IssuingDate, "", note}
	}
	fi := [7]string{"Sukunimi", "Etunimi", "Syntymäaika", "Osoite", "Asunut osoitteessa alkaen", "Myöntäjämaa", "Myönnetty"}
	en := [7]string{"Family name", "Given name", "Date of birth", "Address", "Resident since", "Issuing country", "Issued on"}
	sv := [7]string{"Efternamn", "Förnamn", "Födelsedatum", "Adress", "Bosatt sedan", "Utfärdande land", "Utfärdat"}
	d.Language, d.Title = "FI", "Asuinpaikkatodistus"
	d.Content = pdf.Text(d.Title, lines(fi, "Tämä asiakirja on myönnetty sähköisesti Once-Only Technical Systemin kautta."))
	d.Annexes = []provider.Document{{
		ID: demoDocID("FI", local, "residence-annex"), Title: "Asuntokunnan jäsenet (Members of the household)", Format: "application/pdf",
		Language: "FI",
		Content: pdf.Text("Asuntokunnan jäsenet", []string{"Osoite: " + address, "",
			"1. " + p.FamilyName + ", " + p.GivenName + " (" + p.DateOfBirth + "), asunut osoitteessa alkaen " + since}),
	}}
	d.Translations = []provider.Document{
		{ID: demoDocID("FI", local, "residence-en"), Title: "Certificate of residence (translation)", Language: "EN", Format: "application/pdf",
			Content: pdf.Text("Certificate of residence (translation)", lines(en, "Translation of the Finnish certificate of residence, issued through the Once-Only Technical System."))},
		{ID: demoDocID("FI", local, "residence-sv"), Title: "Intyg om bosättning (översättning)", Language: "SV", Format: "application/pdf",
			Content: pdf.Text("Intyg om bosättning (översättning)", lines(sv, "Översättning av det finska intyget om bosättning."))},
	}
}
