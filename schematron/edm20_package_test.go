package schematron

import "strings"

// The documents of a package and their associations (TDD 4.5.2 §2.6): the
// sample response with an annex added beside its MainEvidence, joined to it
// as the official 2.0.1 rules want, then broken one way at a time; each
// case fires the rule of ours that follows the official one named.
const (
	packageEnd = "</rim:RegistryObject>\n      </rim:RegistryObjectList>"
	mainID     = "urn:uuid:1a2b3c4d-0000-4000-8000-000000000017"
	annexID    = "urn:uuid:5bb9b4bb-6ad4-4ff2-9bb3-b52b4e4ad3f1"
)

// annexObject is a supplementary document of the package classified node,
// whose sdg:Evidence holds extra before its distribution.
func annexObject(node, extra string) string {
	return `<rim:RegistryObject xsi:type="rim:ExtrinsicObjectType" id="` + annexID + `">
  <rim:Slot name="EvidenceMetadata"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Evidence>
    <sdg:Identifier>7d0c5a91-0b3e-4a2f-9c64-2ab0d1e8f5c7</sdg:Identifier>` + extra + `
    <sdg:Distribution><sdg:Format>application/pdf</sdg:Format></sdg:Distribution>
  </sdg:Evidence></rim:SlotValue></rim:Slot>
  <rim:Classification id="urn:uuid:6d1e0f7a-9c2b-4d35-8e41-0a7c3b5d9e26" classificationScheme="urn:fdc:oots:classification:edm" classificationNode="` + node + `"/>
  <rim:RepositoryItemRef xlink:href="cid:annex@pdf.oots.fr" xlink:title="Annex"/>
</rim:RegistryObject>`
}

func association(typ, source, target string) string {
	return `<rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:9a3f2b4c-4a65-4d2e-8f12-1f8a2c6de4b7" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:` +
		typ + `" sourceObject="` + source + `" targetObject="` + target + `"/>`
}

// withDocuments is the replacement that puts objects in the sample's
// package, after its MainEvidence.
func withDocuments(objects ...string) string {
	return "</rim:RegistryObject>" + strings.Join(objects, "") + "\n      </rim:RegistryObjectList>"
}

func init() {
	const unknown = "urn:uuid:00000000-0000-4000-8000-00000000dead"
	edm20Cases = append(edm20Cases,
		edm20Case{"response annex", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Annex", ""), association("Annex", annexID, mainID)), nil},
		edm20Case{"response translation", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Translation", ""), association("Translation", annexID, mainID)), nil},
		edm20Case{"response human-readable version", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("HumanReadableVersion", ""), association("HumanReadableVersion", annexID, mainID)), nil},
		// S050: a supplementary document joined by nothing.
		edm20Case{"response annex without association", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Annex", "")), []string{"R-EDM-RESP-S240"}},
		// S052-S058: an association typed after a role its source does not have.
		edm20Case{"response association source", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Translation", ""), association("Annex", annexID, mainID)), []string{"R-EDM-RESP-S241", "R-EDM-RESP-S243"}},
		edm20Case{"response association target", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Annex", ""), association("Annex", annexID, annexID)), []string{"R-EDM-RESP-S242"}},
		edm20Case{"response association joining nothing", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Annex", ""), association("Translation", unknown, unknown)), []string{"R-EDM-RESP-S227", "R-EDM-RESP-S240", "R-EDM-RESP-S241", "R-EDM-RESP-S242"}},
		// S059-S061: joined to the main evidence under another type.
		edm20Case{"response association type", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Translation", ""), association("RelatedTo", annexID, mainID)), []string{"R-EDM-RESP-S243"}},
		// S063: what belongs to the main evidence alone.
		edm20Case{"response annex issuing date", "reponse.xml", KindEDMResponse, packageEnd, withDocuments(annexObject("Annex", "<sdg:IssuingDate>2024-01-01</sdg:IssuingDate>"), association("Annex", annexID, mainID)), []string{"R-EDM-RESP-S244"}},
	)
}
