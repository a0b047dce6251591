package schematron

import "strings"

// The documents of a package and their associations (TDD 4.5.2 §2.6): the
// sample response with a supplementary document added beside its
// MainEvidence, joined to it as the official 2.0.1 rules R-EDM-RESP-S050 to
// S061 and S063 want, then broken one way at a time.
const (
	packageEnd = "</rim:RegistryObject>\n      </rim:RegistryObjectList>"
	mainID     = "urn:uuid:1a2b3c4d-0000-4000-8000-000000000017"
	annexID    = "urn:uuid:5bb9b4bb-6ad4-4ff2-9bb3-b52b4e4ad3f1"
	unknownID  = "urn:uuid:00000000-0000-4000-8000-00000000dead"
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

// association joins source to target; an empty source or target leaves the
// attribute out.
func association(typ, source, target string) string {
	a := `<rim:RegistryObject xsi:type="rim:AssociationType" id="urn:uuid:9a3f2b4c-4a65-4d2e-8f12-1f8a2c6de4b7" type="urn:oasis:names:tc:ebxml-regrep:AssociationType:` + typ + `"`
	if source != "" {
		a += ` sourceObject="` + source + `"`
	}
	if target != "" {
		a += ` targetObject="` + target + `"`
	}
	return a + "/>"
}

// packaged is the edit that puts objects in the sample's package, after its
// MainEvidence.
func packaged(objects ...string) []string {
	return ed(packageEnd, "</rim:RegistryObject>"+strings.Join(objects, "")+"\n      </rim:RegistryObjectList>")
}

func packageCase(name string, edits []string, want ...string) edm20Case {
	return edm20Case{name: name, sample: smpResp, kind: KindEDMResponse, edits: edits, want: want}
}

// warns returns c expecting the warnings ids too.
func (c edm20Case) warns(ids ...string) edm20Case {
	c.warn = ids
	return c
}

func init() {
	annexed := func(node, extra string) []string {
		return packaged(annexObject(node, extra), association(node, annexID, mainID))
	}
	edm20Cases = append(edm20Cases,
		// Valid: each kind of supplementary document joined as §2.6 asks.
		packageCase("response annex", annexed("Annex", "")),
		packageCase("response translation", annexed("Translation", "")),
		packageCase("response human-readable version", annexed("HumanReadableVersion", "")),

		// S050: a supplementary document joined by nothing.
		packageCase("response annex without association", packaged(annexObject("Annex", "")), "R-EDM-RESP-S050"),
		// S051, S055: an association without one of its ends.
		packageCase("response association without source", packaged(annexObject("Annex", ""), association("Annex", "", mainID)), "R-EDM-RESP-S050", "R-EDM-RESP-S051", "R-EDM-RESP-S052").warns("R-EDM-RESP-S226"),
		packageCase("response association without target", packaged(annexObject("Annex", ""), association("Annex", annexID, "")), "R-EDM-RESP-S055", "R-EDM-RESP-S056").warns("R-EDM-RESP-S226"),
		// S052-S058: an association typed after a role its ends do not have.
		packageCase("response association source", packaged(annexObject("Translation", ""), association("Annex", annexID, mainID)), "R-EDM-RESP-S052", "R-EDM-RESP-S060"),
		packageCase("response association target", packaged(annexObject("Annex", ""), association("Annex", annexID, annexID)), "R-EDM-RESP-S056"),
		packageCase("response annex joining nothing", packaged(annexObject("Annex", ""), association("Annex", unknownID, unknownID)), "R-EDM-RESP-S050", "R-EDM-RESP-S052", "R-EDM-RESP-S056").warns("R-EDM-RESP-S227"),
		packageCase("response human-readable version joining nothing", packaged(annexObject("Annex", ""), association("HumanReadableVersion", unknownID, unknownID)), "R-EDM-RESP-S050", "R-EDM-RESP-S053", "R-EDM-RESP-S057").warns("R-EDM-RESP-S227"),
		packageCase("response translation joining nothing", packaged(annexObject("Annex", ""), association("Translation", unknownID, unknownID)), "R-EDM-RESP-S050", "R-EDM-RESP-S054", "R-EDM-RESP-S058").warns("R-EDM-RESP-S227"),
		// S059-S061: joined to the main evidence under another type.
		packageCase("response annex association type", packaged(annexObject("Annex", ""), association("RelatedTo", annexID, mainID)), "R-EDM-RESP-S059"),
		packageCase("response translation association type", packaged(annexObject("Translation", ""), association("RelatedTo", annexID, mainID)), "R-EDM-RESP-S060"),
		packageCase("response human-readable version association type", packaged(annexObject("HumanReadableVersion", ""), association("RelatedTo", annexID, mainID)), "R-EDM-RESP-S061"),
		// S063: what belongs to the main evidence alone.
		packageCase("response annex issuing date", annexed("Annex", "<sdg:IssuingDate>2024-01-01</sdg:IssuingDate>"), "R-EDM-RESP-S063"),
		packageCase("response translation subject", annexed("Translation", "<sdg:IsAbout><sdg:NaturalPerson><sdg:FamilyName>Dupont</sdg:FamilyName></sdg:NaturalPerson></sdg:IsAbout>"), "R-EDM-RESP-S063").warns("R-EDM-RESP-C027"),
		packageCase("response annex validity", annexed("Annex", "<sdg:ValidityPeriod><sdg:StartDate>2024-01-01</sdg:StartDate></sdg:ValidityPeriod>"), "R-EDM-RESP-S063"),
		packageCase("response annex data model", ed(packageEnd, "</rim:RegistryObject>"+strings.Replace(annexObject("Annex", ""), "</sdg:Format>", "</sdg:Format><sdg:ConformsTo>https://sr.oots.tech.ec.europa.eu/datamodels/birth</sdg:ConformsTo>", 1)+association("Annex", annexID, mainID)+"\n      </rim:RegistryObjectList>"), "R-EDM-RESP-S063"),
	)
}
