// Package regrep implements the core of OASIS ebXML RegRep 4.0 (ebRIM, ebRS
// query and life-cycle protocols) as the EU Once-Only Technical System uses
// it: slots with every slot value type, registry objects with their
// classifications, associations, registry packages and repository item
// references, the query request and response, registry exceptions, and the
// LCM SubmitObjectsRequest and RegistryResponse.
//
// References: OASIS ebXML RegRep 4.0 Part 3 (XML schemas rim.xsd, rs.xsd,
// query.xsd, lcm.xsd), and the OOTS Technical Design Documents, Exchange Data
// Model chapter, §2.1 (namespaces and slot value types) of SPEC.md.
//
// Values are read from an [xmltree.Element] (the screened tree of the
// project, names matched by namespace URI only) with the Parse functions and
// written back with the Element methods. The model is lossless for documents
// valid against the schemas: an element or attribute the model does not know
// is kept (in Extras / OtherAttrs fields) and reported as a [check.Finding],
// so that it is written back where the schema allows extensions (at the end of
// its parent). Elements kept as they are (unknown parts, AnyValue content)
// are shared with the parsed tree, which must not be changed afterwards;
// writing copies them.
//
// The OOTS profile on top of RegRep (the meaning of each slot) lives in
// package edm.
package regrep

import "github.com/oots-go/oots/xmltree"

// Namespace URIs of RegRep 4 and the W3C namespaces it uses.
const (
	NamespaceRIM   = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0"
	NamespaceQuery = "urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"
	NamespaceRS    = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0"
	NamespaceLCM   = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0"
	NamespaceXSI   = "http://www.w3.org/2001/XMLSchema-instance"
	NamespaceXLink = "http://www.w3.org/1999/xlink"
)

// prefixes maps each namespace this package writes to its conventional
// prefix (the prefixes of every OOTS sample).
var prefixes = map[string]string{
	NamespaceRIM:         "rim",
	NamespaceQuery:       "query",
	NamespaceRS:          "rs",
	NamespaceLCM:         "lcm",
	NamespaceXSI:         "xsi",
	NamespaceXLink:       "xlink",
	xmltree.NamespaceXML: "xml",
}

// Prefix returns the conventional prefix of a RegRep (or xsi, xlink, xml)
// namespace, or "" for another namespace.
func Prefix(namespace string) string { return prefixes[namespace] }

// Response statuses (ebRS §2.3.2).
const (
	StatusSuccess        = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
	StatusFailure        = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
	StatusPartialSuccess = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"
	// StatusUnavailable: the response will be available later (OOTS: a
	// deferred evidence response, TDD R-EDM-RESP-S006).
	StatusUnavailable      = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Unavailable"
	CollectionTypeSet      = "urn:oasis:names:tc:ebxml-regrep:CollectionType:Set"
	CollectionTypeBag      = "urn:oasis:names:tc:ebxml-regrep:CollectionType:Bag"
	SeverityError          = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
	SeverityWarning        = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"
	ReturnTypeLeafClassRI  = "LeafClassWithRepositoryItem"
	AssociationTypePrefix  = "urn:oasis:names:tc:ebxml-regrep:AssociationType:"
	ObjectTypeRegistryPkg  = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"
	ObjectTypeExtrinsicObj = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExtrinsicObject"
)

// Rule identifiers of the structural findings this package reports.
const (
	RuleUnknownElement   = "OOTS-STRUCT-UNKNOWN-ELEMENT"
	RuleUnknownAttribute = "OOTS-STRUCT-UNKNOWN-ATTRIBUTE"
	RuleMissing          = "OOTS-STRUCT-MISSING"
	RuleOrder            = "OOTS-STRUCT-ORDER"
	RuleValueType        = "OOTS-STRUCT-VALUE-TYPE"
	RuleText             = "OOTS-STRUCT-TEXT"
	RuleRoot             = "OOTS-STRUCT-ROOT"
)
