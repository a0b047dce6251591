package portal

// beyondTexts are the texts of the pages beyond the evidence exchange: the
// pre-filled application form and the data-usage view, in the columns of
// catalogueLanguages.
var beyondTexts = [][6]string{
	{"formTitle", "Application form", "Antragsformular", "Formulaire de demande", "Hakemuslomake", "Ansökningsformulär"},
	{"formLink", "Check the application form, pre-filled from your evidence, and submit it",
		"Antragsformular prüfen, das aus Ihren Nachweisen vorausgefüllt wurde, und absenden",
		"Vérifier le formulaire de demande, prérempli à partir de vos justificatifs, et l'envoyer",
		"Tarkista todisteidesi perusteella esitäytetty hakemuslomake ja lähetä se",
		"Kontrollera ansökningsformuläret som fyllts i med uppgifter från dina bevis och skicka in det"},
	{"formIntro", "We have filled in this form with the data of your evidence. Check every field and correct what is wrong before you submit.",
		"Wir haben dieses Formular mit den Daten Ihrer Nachweise ausgefüllt. Prüfen Sie jedes Feld und korrigieren Sie Fehler, bevor Sie absenden.",
		"Nous avons rempli ce formulaire avec les données de vos justificatifs. Vérifiez chaque champ et corrigez ce qui est inexact avant d'envoyer.",
		"Olemme täyttäneet lomakkeen todisteidesi tiedoilla. Tarkista jokainen kenttä ja korjaa virheet ennen lähettämistä.",
		"Vi har fyllt i formuläret med uppgifterna från dina bevis. Kontrollera varje fält och rätta det som är fel innan du skickar in."},
	{"formNoPrefill", "Your evidence holds no structured data to fill in this form. Please fill it in yourself.",
		"Ihre Nachweise enthalten keine strukturierten Daten für dieses Formular. Bitte füllen Sie es selbst aus.",
		"Vos justificatifs ne contiennent pas de données structurées pour ce formulaire. Veuillez le remplir vous-même.",
		"Todisteissasi ei ole rakenteista tietoa tämän lomakkeen täyttämiseen. Täytä se itse.",
		"Dina bevis innehåller inga strukturerade uppgifter för formuläret. Fyll i det själv."},
	{"formRequiredMark", "required", "Pflichtfeld", "obligatoire", "pakollinen", "obligatoriskt"},
	{"formDateHint", "Date as YYYY-MM-DD.", "Datum als JJJJ-MM-TT.", "Date au format AAAA-MM-JJ.", "Päivämäärä muodossa VVVV-KK-PP.", "Datum som ÅÅÅÅ-MM-DD."},
	{"formFrom", "Filled in from: %s.", "Übernommen aus: %s.", "Repris de : %s.", "Tieto lähteestä: %s.", "Hämtat från: %s."},
	{"formCheck", "By submitting, you confirm that the data are correct.", "Mit dem Absenden bestätigen Sie, dass die Angaben richtig sind.",
		"En envoyant, vous confirmez que les données sont exactes.", "Lähettämällä vahvistat, että tiedot ovat oikein.", "Genom att skicka in bekräftar du att uppgifterna är riktiga."},
	{"formBack", "Back to the summary", "Zurück zur Zusammenfassung", "Retour au récapitulatif", "Takaisin yhteenvetoon", "Tillbaka till sammanfattningen"},
	{"formErrors", "The form has errors. Please correct the fields listed below.", "Das Formular enthält Fehler. Bitte korrigieren Sie die unten genannten Felder.",
		"Le formulaire contient des erreurs. Veuillez corriger les champs indiqués ci-dessous.", "Lomakkeessa on virheitä. Korjaa alla luetellut kentät.",
		"Formuläret innehåller fel. Rätta fälten som anges nedan."},
	{"formRequired", "Enter the %s.", "Geben Sie Folgendes an: %s.", "Indiquez : %s.", "Anna tieto: %s.", "Ange: %s."},
	{"formDate", "%s must be a date as YYYY-MM-DD.", "%s muss ein Datum im Format JJJJ-MM-TT sein.", "%s doit être une date au format AAAA-MM-JJ.",
		"%s on annettava muodossa VVVV-KK-PP.", "%s måste vara ett datum som ÅÅÅÅ-MM-DD."},
	{"formSubmitted", "Application form", "Antragsformular", "Formulaire de demande", "Hakemuslomake", "Ansökningsformulär"},
	{"formColField", "Field", "Feld", "Champ", "Kenttä", "Fält"},
	{"formColValue", "Value submitted", "Abgesendeter Wert", "Valeur envoyée", "Lähetetty arvo", "Inskickat värde"},
	{"formColOrigin", "Origin", "Herkunft", "Origine", "Alkuperä", "Ursprung"},
	{"formCorrected", "corrected by you (the evidence said %s)", "von Ihnen korrigiert (im Nachweis: %s)", "corrigé par vous (le justificatif indiquait %s)",
		"korjasit (todisteessa: %s)", "rättat av dig (beviset angav %s)"},
	{"formTyped", "entered by you", "von Ihnen eingegeben", "saisi par vous", "syötit itse", "angivet av dig"},
}

func init() {
	for k, v := range buildCatalogue(beyondTexts) {
		catalogue[k] = v
	}
}
