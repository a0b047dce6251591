package exchange

import "github.com/oots-go/oots/edm"

// AttributeBackground is the sdg:SectorSpecificAttribute (AttributeURI;
// AttributeName BackgroundExchange, AttributeValue "true") of the subject
// of an evidence request (NaturalPerson, or LegalPerson for a company) by
// which an evidence requester asks for a background exchange: the evidence
// without the preview, if the user consented to it at the provider
// (docs/beyond-once-only.md). It is an extension that stays
// wire-compatible: sector-specific attributes are the EDM's own extension
// point of the subject, which a standard provider ignores (it answers with
// its preview), whereas the official rules forbid any other slot of the
// request (R-EDM-REQ-S019, in 1.x and 2.0) and any fifth
// ebMS message property in 2.0 (R-EDM-ebMS-018).
const AttributeBackground = "urn:oots-go:attribute:background-exchange"

// BackgroundAttribute is the attribute that marks a background request.
func BackgroundAttribute() edm.Attribute {
	return edm.Attribute{AttributeName: "BackgroundExchange", AttributeURI: AttributeBackground, AttributeValue: "true"}
}
