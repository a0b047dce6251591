// Package as4 implements the messaging half of eDelivery AS4 for OOTS: the
// ebMS 3.0 message model (eb:Messaging with UserMessage and SignalMessage:
// Receipt with non-repudiation information, Error), the EBMS error catalogue,
// the SOAP 1.2 envelope, the AS4 compression feature, and the send and receive
// processing steps Pack and Unpack that bind them to WS-Security (package
// wssec) and to SOAP with Attachments (package as4/swa), driven by P-Modes
// (package as4/pmode).
//
// Specifications:
//   - OASIS ebXML Messaging Services 3.0 Part 1, Core Features (ebMS3 Core):
//     §5.2 the eb:Messaging header, §5.2.2 UserMessage, §5.2.3 SignalMessage,
//     §6 error handling and the error catalogue (§6.7.1), §5.1 packaging.
//   - AS4 Profile of ebMS 3.0 v1.0 (sections named, not numbered, here):
//     the "AS4 Compression" feature (PartProperties CompressionType and
//     MimeType), "Reception Awareness" and its errors EBMS:0301–0303, and
//     receipts carrying ebbp:NonRepudiationInformation (ebBP signals 2.0).
//   - eDelivery AS4 1.15 and 2.0 profiles (security algorithms are applied by
//     package wssec), OOTS TDD ebMS usage (SPEC.md §4).
//
// The model parses by namespace URI from the screened tree of
// xmltree and marshals deterministically with the prefixes the
// OOTS samples use (eb, S12), so that parsing a sample header and marshalling
// it again gives the same exclusive canonical form.
//
// Across a trust boundary every failure is an *Error carrying an EBMS error
// code from the catalogue (Catalogue), so that a receiver can answer with an
// ebMS Error signal; the precise cause stays in Error.Detail and Error.Err.
package as4

// Namespace URIs used by the model. Matching is by URI, never by prefix.
const (
	// NamespaceEB is the ebMS 3.0 core header namespace.
	NamespaceEB = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
	// NamespaceSOAP12 is the SOAP 1.2 envelope namespace.
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	// NamespaceEBBP is the ebBP signals namespace of NonRepudiationInformation.
	NamespaceEBBP = "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0"
	// NamespaceDS is the XML Signature namespace (ds:Reference in receipts).
	NamespaceDS = "http://www.w3.org/2000/09/xmldsig#"
	// NamespaceWSU is the WS-Security utility namespace (wsu:Id).
	NamespaceWSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)

// Well-known ebMS values (ebMS3 Core §5.2.2, Appendix D).
const (
	// DefaultMPC is the default message partition channel.
	DefaultMPC = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC"
	// DefaultRole is the role used when a P-Mode names none.
	DefaultRole = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultRole"
	// MEPOneWay is the One-Way message exchange pattern.
	MEPOneWay = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/oneWay"
	// BindingPush is the Push MEP binding.
	BindingPush = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/push"
	// TestService and TestAction identify test messages (ebMS3 Core §5.2.2.9).
	TestService = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/service"
	TestAction  = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/test"
	// GzipMediaType is the CompressionType value of the AS4 compression feature.
	GzipMediaType = "application/gzip"
)
