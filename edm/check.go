package edm

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/codelist"
	"github.com/oots-go/oots/internal/cidurl"
	"github.com/oots-go/oots/internal/uuid"
	"github.com/oots-go/oots/regrep"
)

// Check runs the content checks of the model on a message: identifiers,
// the 2.0 deltas in both directions, and every code against its code list
// (package codelist). A code outside its list is an error where the
// official rules check it and a warning where none does (NUTS codes, the
// languages of agents' and publishers' names). Parse calls it; builders' output can be checked with
// it too. Locations of SDG content are given as element paths below the
// slot (e.g. "EvidenceRequester/Agent/Address/AdminUnitLevel1").
func Check(m Message) []check.Finding {
	c := &checker{v: m.Version()}
	switch m := m.(type) {
	case *QueryRequest:
		c.request(m)
	case *QueryResponse:
		c.response(m)
	case *ErrorResponse:
		c.errorResponse(m)
	case *ServiceResponse:
		c.versionCS(m.Specification)
		for _, o := range m.Objects {
			c.walk(o.PayloadSlot, o.Payload)
		}
	case *SubmitObjectsRequest:
		c.v = "" // an LCM submission names no EDM version
		for _, o := range m.Objects {
			c.walk(o.PayloadSlot, o.Payload)
		}
	case *RegistryResponse:
		for _, x := range m.Exceptions {
			c.exception(x, KindLCMError)
		}
	}
	return c.findings
}

type checker struct {
	v        Version
	findings []check.Finding
	// looseLang is set while walking texts whose language no official
	// rule checks (see lang): a language not in the list is then a
	// warning, not an error.
	looseLang bool
	// looseFormat is set while walking the evidence types of a
	// DSD:ERR:0005, whose formats no official rule (DSD-ERR-C) checks: a
	// format not in the list is then a warning.
	looseFormat bool
}

// is1x reports whether the message is known to be of EDM (or Common
// Services) version 1.x.
func (c *checker) is1x() bool {
	switch c.v {
	case V1_0, V1_1, V1_2, CSv1:
		return true
	}
	return false
}

func (c *checker) add(rule, loc, format string, args ...any) {
	c.findings = regrep.AppendFinding(c.findings, check.Finding{Rule: rule, Flag: check.Error, Location: loc, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) warn(rule, loc, format string, args ...any) {
	c.findings = regrep.AppendFinding(c.findings, check.Finding{Rule: rule, Flag: check.Warning, Location: loc, Message: fmt.Sprintf(format, args...)})
}

// objectLoc names a registry object by its id: cheap, unlike a path.
func objectLoc(o *regrep.RegistryObject) string {
	return fmt.Sprintf("rim:RegistryObject[@id='%s']", o.ID)
}

func (c *checker) versionEDM() {
	switch c.v {
	case V1_0, V1_1, V1_2, V2_0:
	default:
		c.add(RuleVersion, "SpecificationIdentifier", "specification identifier %q is not an EDM version (oots-edm:v1.0, v1.1, v1.2, v2.0)", c.v)
	}
}

func (c *checker) versionCS(v Version) {
	if v != CSv1 && v != CSv20 {
		c.add(RuleVersion, "SpecificationIdentifier", "specification identifier %q is not a Common Services version (oots-cs:v2.0)", v)
	}
}

// uuidURN checks an identifier attribute (a request id, a requestId, a
// registry object id). The schema types them xs:string, which keeps white
// space, and the official rules judge normalize-space(.) (R-EDM-REQ-S,
// R-EDM-RESP-S, R-EDM-ERR-S), so white space around the UUID is accepted,
// with a warning. The model keeps the value as written, and a response
// built for a request (NewQueryResponse, NewErrorResponse) echoes it as
// written, so that the requester finds the very id it sent.
func (c *checker) uuidURN(loc, what, s string) {
	if s == "" {
		return
	}
	t := strings.Trim(s, xmlSpace)
	if !uuid.ValidURN(t) {
		c.add(RuleUUID, loc, "%s %q is not urn:uuid: followed by an RFC 4122 UUID", what, s)
	} else if t != s {
		c.warn(RuleUUID, loc, "%s %q has white space around it; kept as written", what, s)
	}
}

// xmlSpace is the white space of XML (and of normalize-space).
const xmlSpace = " \t\r\n"

func (c *checker) https(loc, what, s string) {
	if s != "" && !strings.HasPrefix(s, "https://") {
		c.add(RuleURL, loc, "%s %q must be an https:// URL", what, s)
	}
}

func (c *checker) request(q *QueryRequest) {
	c.versionEDM()
	c.uuidURN("/query:QueryRequest/@id", "request id", q.ID)
	if q.Procedure != "" && !codelist.KnownProcedure(q.Procedure, string(c.v)) {
		c.add(RuleCode, "Procedure", "procedure %q is not in code list Procedures", q.Procedure)
	}
	if c.v == V2_0 {
		if q.Lang != "" {
			c.add(RuleVersion, "/query:QueryRequest/@xml:lang", "xml:lang is not allowed on an oots-edm:v2.0 request (languages go to DistributedAs/Language)")
		}
		if (q.PreviewLocation == "") != (q.ReturnLocation == "") {
			c.add(RuleVersion, "ReturnLocation", "in oots-edm:v2.0, slots PreviewLocation and ReturnLocation are present together or not at all")
		}
	} else {
		if q.ReturnLocation != "" {
			c.add(RuleVersion, "ReturnLocation", "slot ReturnLocation exists only in oots-edm:v2.0")
		}
		if q.Lang != "" && !codelist.Languages().Contains(q.Lang) {
			// The schema types it xml:lang (xs:language) and no
			// official rule holds it to the list.
			c.warn(RuleCode, "/query:QueryRequest/@xml:lang", "language %q is not in code list LanguageCode", q.Lang)
		}
		if q.ProcedureLang != "" && !codelist.Languages().Contains(q.ProcedureLang) {
			// R-EDM-REQ-C004.
			c.add(RuleCode, "Procedure/@xml:lang", "language %q of the procedure is not in code list LanguageCode", q.ProcedureLang)
		}
	}
	c.https("PreviewLocation", "PreviewLocation", q.PreviewLocation)
	c.https("ReturnLocation", "ReturnLocation", q.ReturnLocation)
	if (q.NaturalPerson == nil) == (q.LegalPerson == nil) {
		c.add(RuleContent, "/query:QueryRequest/query:Query", "exactly one of the slots NaturalPerson and LegalPerson is required")
	}
	hasER := false
	for i, a := range q.EvidenceRequester {
		if a.Jurisdiction != nil {
			// R-EDM-REQ-S040.
			c.add(RuleContent, fmt.Sprintf("EvidenceRequester[%d]/Agent/Jurisdiction", i+1), "an evidence requester agent has no Jurisdiction")
		}
		switch a.Classification {
		case "ER":
			hasER = true
		case "IP", "":
		default:
			c.add(RuleContent, fmt.Sprintf("EvidenceRequester[%d]/Agent/Classification", i+1), "an evidence requester agent is classified ER or IP, not %q", a.Classification)
		}
	}
	if len(q.EvidenceRequester) > 0 && !hasER {
		c.add(RuleContent, "EvidenceRequester", "no agent of slot EvidenceRequester is classified ER")
	}
	// The official rules on the requirements of a request (R-EDM-REQ-C008,
	// C009) name a slot "Requirement", which a request does not have: none
	// of them applies, so their languages are only warned about.
	c.looseLang = true
	for i := range q.Requirements {
		c.walk(fmt.Sprintf("Requirements[%d]/Requirement", i+1), &q.Requirements[i])
	}
	c.looseLang = false
	for i := range q.EvidenceRequester {
		c.walk(fmt.Sprintf("EvidenceRequester[%d]/Agent", i+1), &q.EvidenceRequester[i])
	}
	c.walk("EvidenceProvider/Agent", q.EvidenceProvider)
	for i := range q.EvidenceProviderClassification {
		c.walk(fmt.Sprintf("EvidenceProviderClassification[%d]", i+1), &q.EvidenceProviderClassification[i])
	}
	c.walk("NaturalPerson/Person", q.NaturalPerson)
	c.walk("LegalPerson/LegalPerson", q.LegalPerson)
	c.walk("AuthorizedRepresentative/Person", q.AuthorizedRepresentative)
	c.walk("EvidenceRequest/DataServiceEvidenceType", q.EvidenceRequest)
	if er := q.EvidenceRequest; er != nil {
		if c.is1x() && len(er.DistributedAs) > 1 {
			// R-EDM-REQ-C032 of TDD 1.0; 2.0 makes DistributedAs repeatable.
			c.add(RuleVersion, "EvidenceRequest/DataServiceEvidenceType/DistributedAs", "a %s request has at most one DistributedAs, not %d (several are EDM 2.0)", c.v, len(er.DistributedAs))
		}
		if c.is1x() {
			// R-EDM-REQ-C029, C031: the requested evidence type's titles
			// and descriptions name their language.
			for i, t := range er.Title {
				if t.Lang == "" {
					c.add(RuleContent, fmt.Sprintf("EvidenceRequest/DataServiceEvidenceType/Title[%d]", i+1), "a title of the requested evidence type has no lang")
				}
			}
			for i, t := range er.Description {
				if t.Lang == "" {
					c.add(RuleContent, fmt.Sprintf("EvidenceRequest/DataServiceEvidenceType/Description[%d]", i+1), "a description of the requested evidence type has no lang")
				}
			}
		}
		for i, d := range er.DistributedAs {
			loc := fmt.Sprintf("EvidenceRequest/DataServiceEvidenceType/DistributedAs[%d]", i+1)
			if c.is1x() {
				// R-EDM-REQ-C034, C035: 1.x data models are distributions
				// of the Semantic Repository.
				const dist = "https://sr.oots.tech.europa.eu/distributions/"
				if d.ConformsTo != "" && !strings.HasPrefix(strings.TrimSpace(d.ConformsTo), dist) {
					c.add(RuleURL, loc+"/ConformsTo", "ConformsTo %q of a %s request does not start with %s", d.ConformsTo, c.v, dist)
				}
				if d.Transformation != "" && !strings.HasPrefix(strings.TrimSpace(d.Transformation), dist) {
					c.add(RuleURL, loc+"/Transformation", "Transformation %q of a %s request does not start with %s", d.Transformation, c.v, dist)
				}
			}
			if c.v != V2_0 && (len(d.Language) > 0 || len(d.AssociatedDocumentRequest) > 0) {
				c.add(RuleVersion, loc, "DistributedAs/Language and AssociatedDocumentRequest exist only in oots-edm:v2.0")
			}
			for _, a := range d.AssociatedDocumentRequest {
				switch a {
				case RoleAnnex, RoleHumanReadableVersion, RoleTranslation:
				default:
					c.add(RuleCode, loc+"/AssociatedDocumentRequest", "associated document request %q is not Annex, HumanReadableVersion or Translation", a)
				}
			}
		}
	}
}

func (c *checker) response(r *QueryResponse) {
	c.versionEDM()
	c.uuidURN("/query:QueryResponse/@requestId", "requestId", r.RequestID)
	for i := range r.EvidenceProvider {
		c.walk(fmt.Sprintf("EvidenceProvider[%d]/Agent", i+1), &r.EvidenceProvider[i])
	}
	c.walk("EvidenceRequester/Agent", r.EvidenceRequester)
	if c.v == V2_0 {
		if len(r.Evidence) > 0 {
			c.add(RuleVersion, "/query:QueryResponse/rim:RegistryObjectList", "oots-edm:v2.0 puts evidence objects in a rim:RegistryPackage")
		}
	} else if len(r.Packages) > 0 {
		c.add(RuleVersion, "/query:QueryResponse/rim:RegistryObjectList", "registry packages of evidence exist only in oots-edm:v2.0")
	}
	for _, e := range r.Evidence {
		c.evidence(e, true)
	}
	for _, p := range r.Packages {
		c.uuidURN(objectLoc(&p.RegistryObject), "package id", p.ID)
		mains := 0
		for _, e := range p.Evidence {
			switch e.Role() {
			case RoleMainEvidence:
				mains++
			case RoleAnnex, RoleHumanReadableVersion, RoleTranslation:
			default:
				c.add(RuleCode, objectLoc(&e.RegistryObject), "evidence object %s has no classification of scheme %s with node MainEvidence, Annex, HumanReadableVersion or Translation", e.ID, ClassificationSchemeEDM)
			}
			c.evidence(e, e.Role() == RoleMainEvidence)
		}
		if mains != 1 {
			c.add(RuleContent, objectLoc(&p.RegistryObject), "a registry package holds exactly one MainEvidence, not %d", mains)
		}
	}
}

func (c *checker) evidence(e *EvidenceObject, main bool) {
	loc := objectLoc(&e.RegistryObject)
	c.uuidURN(loc, "evidence object id", e.ID)
	md := &e.Metadata
	if main {
		for name, missing := range map[string]bool{"IsAbout": md.IsAbout == nil, "IssuingAuthority": md.IssuingAuthority == nil, "IsConformantTo": md.IsConformantTo == nil, "IssuingDate": md.IssuingDate == ""} {
			if missing {
				c.add(RuleContent, loc+"/EvidenceMetadata/Evidence", "element sdg:%s is required on the (main) evidence", name)
			}
		}
	}
	if c.is1x() && len(md.Distribution) > 1 {
		// SDG-GenericMetadataProfile v1.0.0: Evidence/Distribution is 1..1.
		c.add(RuleVersion, loc+"/EvidenceMetadata/Evidence/Distribution", "a %s evidence has exactly one Distribution, not %d", c.v, len(md.Distribution))
	}
	if h := e.RepositoryItemRef; h != nil && !cidurl.Is(h.Href) { // the scheme in any case (RFC 3986 §3.1)
		c.warn(RuleURL, loc+"/rim:RepositoryItemRef", "repository item reference %q does not name a payload part (cid:)", e.RepositoryItemRef.Href)
	}
	c.walk(loc+"/EvidenceMetadata/Evidence", md)
}

func (c *checker) errorResponse(r *ErrorResponse) {
	if r.kind == KindEvidenceError {
		c.versionEDM()
		c.uuidURN("/query:QueryResponse/@requestId", "requestId", r.RequestID)
		c.walk("ErrorProvider/Agent", r.ErrorProvider)
		c.walk("EvidenceRequester/Agent", r.EvidenceRequester)
	} else {
		c.versionCS(r.Specification)
	}
	if len(r.Exceptions) > 1 && r.kind == KindEvidenceError {
		c.add(RuleContent, "/query:QueryResponse", "an EDM error response holds exactly one rs:Exception, not %d", len(r.Exceptions))
	}
	for _, x := range r.Exceptions {
		c.exception(x, r.kind)
	}
}

func (c *checker) exception(x *Exception, k Kind) {
	loc := fmt.Sprintf("rs:Exception[@code='%s']", x.Code)
	lists := map[Kind]*codelist.List{KindEvidenceError: codelist.EDMErrorCodes(), KindEBError: codelist.EBErrorCodes(), KindDSDError: codelist.DSDErrorCodes(), KindLCMError: codelist.LCMErrorCodes()}
	if e, ok := LookupError(x.Code); ok && e.Kind == k && !e.In(c.v) {
		c.add(RuleVersion, loc+"/@code", "error code %s is withdrawn in %s", x.Code, c.v)
	} else if l := lists[k]; l != nil && !l.Contains(string(x.Code)) {
		c.add(RuleCode, loc+"/@code", "error code %q is not in code list %s", x.Code, l.ShortName)
	} else if e, ok := LookupError(x.Code); ok && e.Type != x.Type {
		c.add(RuleCode, loc+"/@xsi:type", "error %s is sent with xsi:type %s, not %s", x.Code, e.Type.Local, x.Type.Local)
	}
	if x.Severity != "" && !codelist.ErrorSeverities().Contains(x.Severity) {
		c.add(RuleCode, loc+"/@severity", "severity %q is not in code list ErrorSeverity", x.Severity)
	}
	if x.base != nil {
		if code, ok := delSeverity(x.base.Severity); ok && code == x.Severity {
			// See delSeverity: R-EDM-ERR-C014 accepts it, the rules of
			// the other kinds do not.
			if k == KindEvidenceError {
				c.warn(RuleCode, loc+"/@severity", "severity %q has DEL characters around the code %s; read as that code, as the official rule R-EDM-ERR-C014 accepts it", x.base.Severity, code)
			} else {
				c.add(RuleCode, loc+"/@severity", "severity %q is not in code list ErrorSeverity (DEL characters around the code %s)", x.base.Severity, code)
			}
		}
	}
	switch {
	case x.Severity == SeverityPreviewRequired && (k != KindEvidenceError || x.Code != EDMErr0002):
		c.add(RuleContent, loc+"/@severity", "severity PreviewRequired goes only with EDM:ERR:0002")
	case x.Severity == SeverityAdditionalInput && (k != KindDSDError || x.Code != DSDErr0005):
		c.add(RuleContent, loc+"/@severity", "severity AdditionalInput goes only with DSD:ERR:0005")
	}
	if x.PreviewLocation != "" && x.Severity != SeverityPreviewRequired {
		c.add(RuleContent, loc, "slot PreviewLocation needs severity PreviewRequired")
	}
	if x.Severity == SeverityPreviewRequired && x.PreviewLocation == "" {
		c.add(RuleSlotMissing, loc, "a preview request needs slot PreviewLocation")
	}
	c.https(loc+"/PreviewLocation", "PreviewLocation", x.PreviewLocation)
	if x.PreviewMethod != "" {
		if c.v == V2_0 {
			c.add(RuleVersion, loc+"/PreviewMethod", "slot PreviewMethod does not exist in oots-edm:v2.0 (GET only)")
		} else if x.PreviewMethod != "GET" && x.PreviewMethod != "POST" {
			c.add(RuleCode, loc+"/PreviewMethod", "preview method %q is not GET or POST", x.PreviewMethod)
		}
	}
	for _, ls := range x.PreviewDescription {
		c.lang(loc+"/PreviewDescription", ls.Lang)
	}
	if x.Code == DSDErr0005 {
		if x.DataServiceEvidenceType == nil {
			c.add(RuleSlotMissing, loc, "DSD:ERR:0005 needs slot DataServiceEvidenceType")
		}
		if x.Timestamp != "" || x.PreviewLocation != "" || len(x.PreviewDescription) > 0 || x.PreviewMethod != "" || len(x.OtherSlots) > 0 {
			c.add(RuleContent, loc, "DSD:ERR:0005 carries only the slots DataServiceEvidenceType, JurisdictionDetermination and UserRequestedClassificationConcepts")
		}
	}
	c.looseFormat = true
	c.walk(loc+"/DataServiceEvidenceType", x.DataServiceEvidenceType)
	c.looseFormat = false
	c.walk(loc+"/JurisdictionDetermination", x.JurisdictionDetermination)
	// The official rules on these concepts (R-DSD-ERR-C0xx) leave out the
	// rim:Element of the collection and so never apply: their languages
	// are only warned about.
	c.looseLang = true
	for i := range x.UserRequestedClassificationConcepts {
		c.walk(fmt.Sprintf("%s/UserRequestedClassificationConcepts[%d]", loc, i+1), &x.UserRequestedClassificationConcepts[i])
	}
	c.looseLang = false
}

// lang checks the language of a text. It is an error where the official
// rules check it (titles, descriptions, requirement and evidence type list
// names, jurisdiction contexts, preview descriptions) and a warning where
// they do not: the names of agents and publishers (an evidence requester,
// provider, issuing authority or access service publisher), whose lang no
// official rule of TDD 1.0 holds to the list (the education error sample
// names its requester with lang="en"), and the texts under looseLang.
func (c *checker) lang(loc, l string) {
	if l != "" && !codelist.Languages().Contains(l) {
		if c.looseLang {
			c.warn(RuleCode, loc+"/@lang", "language %q is not in code list LanguageCode", l)
			return
		}
		c.add(RuleCode, loc+"/@lang", "language %q is not in code list LanguageCode", l)
	}
}

// walk checks the codes of an SDG value and everything below it.
func (c *checker) walk(loc string, v any) {
	if v == nil {
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	c.walkValue(loc, rv)
}

func (c *checker) walkValue(loc string, rv reflect.Value) {
	switch x := rv.Addr().Interface().(type) {
	case *Text:
		c.lang(loc, x.Lang)
		return
	case *Identifier:
		if scheme, ok := strings.CutPrefix(x.SchemeID, "urn:cef.eu:names:identifier:EAS:"); ok && !codelist.EAS().Contains(scheme) {
			c.add(RuleCode, loc+"/@schemeID", "EAS code %q is not in code list EAS", scheme)
		}
		return
	case *Address:
		if x.AdminUnitLevel1 != "" && !codelist.Countries().Contains(x.AdminUnitLevel1) {
			c.add(RuleCode, loc+"/AdminUnitLevel1", "country %q is not in code list CountryIdentificationCode", x.AdminUnitLevel1)
		}
		if x.AdminUnitLevel2 != "" && !codelist.NUTS().Contains(x.AdminUnitLevel2) {
			// A warning: no official rule checks AdminUnitLevel2, and
			// the NUTS classification is revised every few years.
			c.warn(RuleCode, loc+"/AdminUnitLevel2", "NUTS code %q is not in code list NutsCodes", x.AdminUnitLevel2)
		}
	case *Jurisdiction:
		if x.AdminUnitLevel1 != "" && !codelist.Countries().Contains(x.AdminUnitLevel1) {
			c.add(RuleCode, loc+"/AdminUnitLevel1", "country %q is not in code list CountryIdentificationCode", x.AdminUnitLevel1)
		}
		if c.v.Is2() && (x.AdminUnitLevel2 != "" || x.AdminUnitLevel3 != "" || slices.Contains(x.Empty, "AdminUnitLevel2") || slices.Contains(x.Empty, "AdminUnitLevel3")) {
			c.add(RuleVersion, loc, "jurisdiction admin levels 2 and 3 are removed in version 2.0")
		}
	case *Agent:
		if x.Classification != "" && !codelist.AgentClassifications().Contains(x.Classification) {
			c.add(RuleCode, loc+"/Classification", "agent classification %q is not in code list AgentClassification", x.Classification)
		}
	case *Person:
		c.loa(loc+"/LevelOfAssurance", x.LevelOfAssurance)
		if x.Identifier == nil || x.Identifier.SchemeID != SchemeEIDAS2 || c.is1x() {
			c.gender(loc+"/Gender", x.Gender) // eidas2 checks its own
		}
		if id := x.Identifier; id != nil {
			switch id.SchemeID {
			case "eidas":
				if !eidasID(id.Value) {
					c.add(RuleContent, loc+"/Identifier", "eIDAS identifier %q is not of the form XX/YY/identifier (nationality of the identifier, destination country, an identifier of at least 9 letters or digits)", id.Value)
				}
			case SchemeEIDAS2:
				c.eidas2(loc, x)
			}
		}
	case *LegalPerson:
		c.loa(loc+"/LevelOfAssurance", x.LevelOfAssurance)
		for i, id := range x.Identifier {
			if id.SchemeID != "" && !codelist.IdentifierSchemes().Contains(id.SchemeID) {
				c.add(RuleCode, fmt.Sprintf("%s/Identifier[%d]/@schemeID", loc, i+1), "identifier scheme %q is not in code list IdentifierSchemes", id.SchemeID)
			}
		}
	case *JurisdictionDetermination:
		// R-DSD-RESP-C037, R-DSD-SUB-C0xx, R-DSD-ERR-C0xx.
		if x.JurisdictionLevel != "" && !codelist.JurisdictionLevels().Contains(x.JurisdictionLevel) {
			c.add(RuleCode, loc+"/JurisdictionLevel", "jurisdiction level %q is not in code list JurisdictionLevel", x.JurisdictionLevel)
		}
	case *DataServiceEvidenceType:
		c.loa(loc+"/AuthenticationLevelOfAssurance", x.AuthenticationLevelOfAssurance)
	case *Distribution:
		for _, f := range x.Formats() {
			if f != "" && !codelist.MediaTypes().Contains(f) {
				if c.looseFormat {
					c.warn(RuleCode, loc+"/Format", "format %q is not in code list OOTSMediaTypes", f)
				} else {
					c.add(RuleCode, loc+"/Format", "format %q is not in code list OOTSMediaTypes", f)
				}
			}
		}
		if c.is1x() && len(x.MoreFormats) > 0 {
			// SDG-GenericMetadataProfile v1.0.0: Format is 1..1; 2.0 makes
			// it repeatable.
			c.add(RuleVersion, loc+"/Format", "a %s distribution has exactly one Format, not %d (several are EDM 2.0)", c.v, 1+len(x.MoreFormats))
		}
		for _, l := range x.Language {
			if !codelist.Languages().Contains(l) {
				c.add(RuleCode, loc+"/Language", "language %q is not in code list LanguageCode", l)
			}
		}
		if c.v.Is2() && x.Transformation != "" {
			c.add(RuleVersion, loc+"/Transformation", "Transformation is removed in version 2.0")
		}
	case *AccessService:
		for _, v := range x.ConformsTo {
			if !strings.HasPrefix(v, "oots-edm:") || !Version(v).Known() {
				c.warn(RuleVersion, loc+"/ConformsTo", "access service conforms to %q, not a known EDM version", v)
			}
		}
	}
	t := rv.Type()
	for _, f := range fieldsOf(t) {
		if !f.element() {
			continue
		}
		fv := rv.Field(f.index)
		sub := loc + "/" + f.name
		loose := c.looseLang
		if f.name == "Name" && (t == agentType || t == publisherType) {
			c.looseLang = true
		}
		switch fv.Kind() {
		case reflect.Struct:
			if !fv.IsZero() {
				c.walkValue(sub, fv)
			}
		case reflect.Pointer:
			if !fv.IsNil() {
				c.walkValue(sub, fv.Elem())
			}
		case reflect.Slice:
			if fv.Type().Elem().Kind() == reflect.Struct {
				for i := range fv.Len() {
					c.walkValue(fmt.Sprintf("%s[%d]", sub, i+1), fv.Index(i))
				}
			}
		}
		c.looseLang = loose
	}
}

var (
	agentType     = reflect.TypeFor[Agent]()
	publisherType = reflect.TypeFor[Publisher]()
)

// SchemeEIDAS2 is the Identifier/@schemeID of a person identified under
// the eIDAS 2 / EUDI wallet profile of EDM 2.0 (TDD 4.5.1 §3.6; SPEC.md §6
// item 6), which the TDD declares for testing only until a legal basis is
// confirmed.
const SchemeEIDAS2 = "eidas2"

// eidas2 checks a person identified under the eIDAS 2 profile. What the
// public texts state of the profile: it exists in EDM 2.0 only; the level of
// assurance is High; BirthName carries two values separated by "#"; Gender
// is a numeric code of the Gender list. The level of assurance is an error
// (the profile forces it); the official rule texts of the other two are not
// known, so they are warnings. Note that the official TDD 2.0.1 rule
// R-EDM-REQ-C042 asserts schemeID "eidas" on the NaturalPerson identifier,
// whatever its message says of eidas2: the official Schematron, not this
// check, refuses an eidas2 request there.
func (c *checker) eidas2(loc string, p *Person) {
	if c.is1x() {
		c.add(RuleVersion, loc+"/Identifier/@schemeID", "the eidas2 identity profile exists only in oots-edm:v2.0")
		return
	}
	switch p.LevelOfAssurance {
	case "High":
	case "":
		c.warn(RuleContent, loc+"/LevelOfAssurance", "an eidas2 identity has level of assurance High, and none is given")
	default:
		c.add(RuleContent, loc+"/LevelOfAssurance", "an eidas2 identity has level of assurance High, not %q", p.LevelOfAssurance)
	}
	if p.BirthName != "" && strings.Count(p.BirthName, "#") != 1 {
		c.warn(RuleContent, loc+"/BirthName", "with the eidas2 profile BirthName is two values separated by '#' (birth family name#birth given name), not %q", p.BirthName)
	}
	if p.Gender != "" && !isEIDAS2Gender(p.Gender) {
		c.warn(RuleCode, loc+"/Gender", "with the eidas2 profile Gender is a numeric code of the Gender list (0-6, 9), not %q", p.Gender)
	}
}

func isEIDAS2Gender(g string) bool {
	c, ok := codelist.Gender().Lookup(g)
	return ok && c.Names[codelist.ColumnProfile] == codelist.ProfileEIDAS2
}

// gender checks a Gender: in 1.x against the XSD enumeration GenderType (an
// error: the schema refuses anything else); in 2.0 against the Gender code
// list, as a warning: no official rule is known to hold a NaturalPerson's
// Gender to the list, and the schema no longer does.
func (c *checker) gender(loc, g string) {
	switch {
	case g == "":
	case c.is1x() && !codelist.GenderType().Contains(g):
		c.add(RuleCode, loc, "gender %q is not Male, Female or Unspecified (sdg:GenderType of %s)", g, c.v)
	case c.v.Is2() && !codelist.Gender().Contains(g):
		c.warn(RuleCode, loc, "gender %q is not in code list Gender", g)
	}
}

// eidasPattern is the form the official rules give an eIDAS unique
// identifier (R-EDM-REQ-C039, C050, C061: matches(normalize-space(.),
// '[a-z]{2}/[a-z]{2}/[a-z0-9]{9}', 'i')): the nationality of the
// identifier, the destination country and at least nine letters or digits.
// Like the rules' pattern it is not anchored.
var eidasPattern = regexp.MustCompile(`(?i)[a-z]{2}/[a-z]{2}/[a-z0-9]{9}`)

// eidasID reports whether s has the form of an eIDAS unique identifier, as
// the official rules judge it (eidasPattern).
func eidasID(s string) bool {
	return eidasPattern.MatchString(strings.Join(strings.Fields(s), " "))
}

func (c *checker) loa(loc, v string) {
	if v != "" && !codelist.LevelsOfAssurance().Contains(v) {
		c.add(RuleCode, loc, "level of assurance %q is not in code list LevelsOfAssurance", v)
	}
}
