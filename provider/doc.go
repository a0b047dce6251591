// Package provider is the evidence provider's side of the Once-Only
// Technical System: the connector that answers evidence requests arriving
// over the access point (SPEC.md §1.2 steps 3–6, §2.2–§2.5), the preview
// space where the user sees the evidence and decides whether it is sent, and
// the interface to the registers that hold the evidence (DataService, with
// an HTTP adapter and an in-memory register, Records; the demo's registers
// are data of package internal/demo).
//
// # Steps of a request (Connector.Deliver)
//
// Every request (ebMS action ExecuteQueryRequest) is processed exactly once
// per eb:MessageId: the id is recorded in the transaction that changes the
// state and queues the answer (table provider_outbox); the answer is handed
// to the access point afterwards, with the client key "provider:" + the
// request's message id, so a crash between the two only repeats a hand-over
// that the access point deduplicates. Each answer refers to its request
// (RefToMessageId), stays in its conversation and, for 2.0, its ExchangeId,
// and swaps originalSender and finalRecipient. A message that is no
// evidence request at all, or lacks what an answer must repeat (its id, the
// evidence requester), cannot be answered: it is dropped and journalled.
// The steps, each refusal answered with an EDM error response (SPEC.md
// §2.4):
//
//  1. the message is an evidence request whose ebMS properties agree with it
//     (package exchange) and that has no fatal finding under the official
//     business rules of its version (Config.Rules: the official rule files
//     given for the version, else the embedded ones): else EDM:ERR:0003;
//  2. ExplicitRequestGiven is true: else EDM:ERR:0003;
//  3. the provider (finalRecipient, equal to the EvidenceProvider slot) is
//     hosted here: else EDM:ERR:0006 — we read an unknown provider as a
//     reference that cannot be resolved;
//  4. it serves the EvidenceTypeClassification: else EDM:ERR:0004 (the
//     object asked for does not exist here);
//  5. every requested distribution (Format, ConformsTo) is served: else
//     EDM:ERR:0007;
//  6. the request's LevelOfAssurance reaches the provider's MinLoA: else
//     EDM:ERR:0001 (the authentication does not suffice);
//  7. a first request arrives within T1 of its ebMS Timestamp: else
//     EDM:ERR:0005;
//  8. the data service finds exactly one subject with evidence: none →
//     EDM:ERR:0004; several → EDM:ERR:0004 with a detail that names no
//     personal data; a failing data service → EDM:ERR:0008;
//  9. first request (no PreviewLocation): without preview the evidence is
//     answered at once; with a preview (the default) but
//     PossibilityForPreview false → EDM:ERR:0007 (the preview is a
//     capability the provider needs and the requester lacks); otherwise a
//     preview session is stored (random 128-bit token, the request, the
//     matched evidence, deadlines) and the answer is EDM:ERR:0002 with
//     severity PreviewRequired, PreviewLocation = PreviewBase + "/preview/" +
//     token, a PreviewDescription in English, German and French and, in 1.x,
//     PreviewMethod GET;
//  10. second request (with PreviewLocation): the URL must name a session of
//     this preview space, and the request must repeat the first one: same
//     conversation, provider, evidence type, subject and version, for 2.0
//     the same ExchangeId and an https ReturnLocation — else EDM:ERR:0003;
//     past the deadlines → EDM:ERR:0005. The answer then waits for the
//     user's decision: approved → the evidence response (1.x evidence
//     objects, 2.0 one registry package per document with the document as
//     MainEvidence; metadata IsAbout, IssuingAuthority, IsConformantTo,
//     IssuingDate, Distribution with Format and Language, ValidityPeriod;
//     each document an attachment referenced by cid:); refused →
//     EDM:ERR:0008 with the detail "the user did not approve the exchange
//     of the evidence" (not EDM:ERR:0002: the official rule R-EDM-ERR-C015,
//     in 1.x and 2.0, allows an AuthorizationException only as a preview
//     request); someone else logged in → EDM:ERR:0001.
//
// Deadlines count from the first request's ebMS Timestamp: the user must
// open the link within T1+T2 and decide within T3 of logging in, at the
// latest T1+T2+T3 after the request. Run (Sweep) expires sessions past
// their deadline and answers a waiting second request with EDM:ERR:0005.
// All state is in the database (SQLite or PostgreSQL): a restarted
// connector continues every exchange.
//
// # The preview space (Connector.Handler)
//
//   - The link is a capability: 128 random bits, never logged in full. An
//     unknown token answers 404, a session that is finished (answered,
//     decided, expired, or opened by the wrong person) 410; neither shows
//     anything.
//   - Seeing the evidence needs a fresh login through Config.Authenticator.
//     The login state is random and bound to the browser by an HttpOnly,
//     SameSite=Lax cookie (Secure over https) that also names the session;
//     a callback without it is refused (CSRF, replay into another browser).
//   - Only the subject sees the evidence. A natural person: the eIDAS
//     identifiers of the login and of the request have the same issuing
//     country and local part (SamePerson); otherwise — identifiers that a
//     country issues per relying party, or a request without identifier —
//     the data service is asked with the logged-in person's data and must
//     resolve them to the very record the request designated (so a namesake
//     with the same names and date of birth is refused). A company: the
//     login must be on behalf of that company (SameCompany: eIDAS legal
//     person identifier or VAT number). Anyone else gets the page "This
//     evidence is not about you", sees nothing, the session ends, and the
//     exchange is answered EDM:ERR:0001 (journalled). A login below the
//     provider's MinLoA is refused without ending the session.
//   - After the login a viewer cookie (random, stored hashed, path-scoped
//     to the session) lets that browser see the page and the documents. PDF
//     is embedded with <object> and a download link; structured content is
//     an accessible table. Documents are served inline with nosniff, may
//     only be framed by the preview page, and — except PDF, whose viewer
//     browsers refuse to start in a sandbox — with a sandboxing
//     Content-Security-Policy.
//   - Approve and Refuse are one POST form with a CSRF token. Afterwards the
//     user is sent back: in 2.0 to the ReturnLocation of the second request;
//     in 1.x to the returnurl query parameter of the first visit, only if
//     it starts with one of Config.ReturnAllow — else a page says so and
//     does not redirect (the decision counts). A decision taken before the
//     second request arrives is recorded and answered when it arrives.
//   - Every page carries Content-Security-Policy default-src 'self' (no
//     inline script; the one script, ui.TimeScript() at /ui-time.js, shows
//     times in the reader's time zone, UTC without it), frame-ancestors
//     'self', Referrer-Policy no-referrer, X-Content-Type-Options nosniff
//     and Cache-Control no-store; the page of an eIDAS SAML login that
//     posts the AuthnRequest to the node carries eid/saml's policy
//     instead, which lets only its one inline script (sending the form)
//     run and nothing load. Pages are server-rendered and work
//     without JavaScript, in English, German, French, Finnish and Swedish
//     (?lang=, remembered in a cookie across the login, or
//     Accept-Language, with a language switch). Before the login the
//     start page says who asks, from which country, for which procedure and
//     which evidence; formats and languages are named in words, the MIME
//     type and the distribution URI shown only under technical details; a
//     document whose validity has ended is flagged. Error pages say
//     "Error:" in their title and offer ways onward; every page has the
//     footer links of package internal/ui. Withdrawing a consent asks for a
//     confirmation.
//
// # Data at rest
//
// Sessions keep the requests and the evidence documents in plain in the
// provider_ tables (acceptable for now, to be encrypted). The documents are
// purged from a session as soon as it is answered, expired or opened by the
// wrong person, and a queued answer (which carries the evidence) is deleted
// once the access point has taken it; the requests stay for the record.
//
// # Structured evidence, consent and data use (beyond once-only)
//
// Structured documents (XML or JSON with a ConformsTo of package datamodel)
// are checked against their data model before they are shown or sent; one
// that does not conform is answered EDM:ERR:0008 naming the field (not the
// value).
//
// # Supplementary documents (EDM 2.0)
//
// A document of the data service may come with a HumanReadableVersion (a
// PDF of structured evidence), Annexes and Translations (each with its
// language). In a 2.0 answer each goes in the package of its document,
// its own payload, classified by its role (HumanReadableVersion, Annex,
// Translation) and joined to the MainEvidence by a rim:Association from
// it to the main evidence typed after that role (AssociationAnnex,
// AssociationHumanReadableVersion, AssociationTranslation), with metadata
// of its identifier and distribution only, and only when the request's
// DistributedAs of the document's format asks for the role
// (AssociatedDocumentRequest); a translation only into a language the
// DistributedAs lists, if it lists any. A 1.x answer sends the main
// documents alone. The preview lists and shows every document the answer
// will carry, each openable, and after an approval the answer carries
// exactly those (as the first request asked for them).
//
// With Config.Consent enabled the preview offers the user a consent to
// background exchanges (same requester and evidence type, for the
// procedures the user ticks among those the provider names for the type in
// ServedType.ConsentProcedures, until an expiry); a later first request
// for one of those procedures, marked by the sector-specific attribute
// exchange.AttributeBackground of its subject, about the same person (eIDAS
// identity and register record), is then answered with the evidence at
// once; without a valid consent it takes the preview. Every evidence sent
// is recorded (provider_disclosures: who asked, procedure, the titles and
// formats of the documents the answer carries, when, the consent relied
// on), and the user sees the consents (with their procedures) and the
// evidence sent at /consents after a login, where a consent is withdrawn.
// The journal gets consent.given, consent.used, consent.none and
// consent.withdrawn with the consent's id.
//
// # Deferred responses
//
// A data service may answer that the subject's evidence exists but is not
// ready yet (Match.Deferred: a time and a reason — handling, payment or
// digitisation; never maintenance or unavailability, which are errors).
// After step 8 the connector then answers, without preview, an evidence
// response with the slot ResponseAvailableDateTime and no evidence (SPEC.md
// §2.3; TDD 1.0 R-EDM-RESP-S014, S016, S023, C005). The requester asks
// again with a new request (new id; in 2.0 the same ExchangeId) from that
// time on; the connector treats it as any first request, and the data
// service answers with the documents, or defers again. A deferral to a time
// that has passed, with documents, or with an unknown reason is the data
// service's defect: EDM:ERR:0008. The reason is journalled (outcome
// OutcomeDeferred + reason + time); the EDM has no slot for it.
//
// # Not done
//
// Languages are passed to the data service but not enforced (SPEC.md §2.3: a missing
// language is no error). 1.x PreviewMethod POST is not offered. The journal (Config.Journal, a
// *journal.Journal) gets identifiers and outcomes only, no personal data.
package provider
