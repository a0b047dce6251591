package provider

// documentMessages label the documents of the preview by their role in the
// evidence package (documentsSent), by language; %d is the number of the
// document they go with.
var documentMessages = map[string]map[string]string{
	"en": {
		"role.MainEvidence":         "Evidence",
		"role.HumanReadableVersion": "Human-readable version of document %d",
		"role.Annex":                "Annex to document %d",
		"role.Translation":          "Translation of document %d",
		"preview.all":               "The following %d documents are sent together if you approve.",
	},
	"de": {
		"role.MainEvidence":         "Nachweis",
		"role.HumanReadableVersion": "Lesbare Fassung von Dokument %d",
		"role.Annex":                "Anlage zu Dokument %d",
		"role.Translation":          "Übersetzung von Dokument %d",
		"preview.all":               "Die folgenden %d Dokumente werden zusammen übermittelt, wenn Sie zustimmen.",
	},
	"fr": {
		"role.MainEvidence":         "Justificatif",
		"role.HumanReadableVersion": "Version lisible du document %d",
		"role.Annex":                "Annexe au document %d",
		"role.Translation":          "Traduction du document %d",
		"preview.all":               "Les %d documents suivants sont transmis ensemble si vous approuvez.",
	},
}
