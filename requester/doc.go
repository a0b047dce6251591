// Package requester is the OOTS connector of an evidence requester
// (procedure portal or intermediary platform): SPEC.md §1.2 steps 2–6, the
// evidence request of §2.2 and the answers of §2.3–§2.4. Service (api.go) is
// its interface to portals; Connector implements it in-process, and Client
// over the connector's REST API (Connector.Handler, under
// /api/requester/v1/, described by the embedded openapi.json).
//
// A journey (one user, one procedure: the eb:ConversationId) goes through
// these steps, each requirement of the procedure on its own:
//
//  1. Start (§1.2 step 2a–b, §3.2): the Evidence Broker's
//     requirements-by-procedure-and-jurisdiction gives the requirements;
//     evidence-types-by-requirement-and-jurisdiction the evidence types of
//     each. Alternatives are offered as EvidenceTypes (the user chooses);
//     a single one is chosen at once.
//  2. Choose (§1.2 step 2c, §3.3): the DSD's
//     dataservices-by-evidencetype-and-jurisdiction gives the data services.
//     A DSD:ERR:0005 answer becomes Questions (its
//     UserRequestedClassificationConcepts, with the supported values when
//     the DSD lists them); the answers go into the next DSD query (one
//     parameter per concept Identifier) and into the request's
//     EvidenceProviderClassification. Several providers are offered (the
//     user chooses); one is chosen at once. Providers whose AccessService
//     declares no EDM version of Config.Versions are left out.
//  3. Request (§1.2 step 3, §2.2): after the user's explicit request the
//     QueryRequest is built in the highest EDM version that the
//     AccessService's ConformsTo lists and the connector speaks (1.x:
//     xml:lang, Procedure as InternationalString; 2.0: languages in
//     DistributedAs, the ExchangeId property, a new UUID per requirement's
//     exchange), with exactly the chosen DistributedAs, the authenticated
//     person (NaturalPerson) or the company (LegalPerson) with the person as
//     AuthorizedRepresentative, and handed to the access point (Sender,
//     idempotent on a client key). The exchange is recorded before it is
//     sent, so that an answer always finds it.
//  4. Deliver (§1.2 steps 4–6): the access point hands every answer to
//     Deliver, which processes it exactly once (the eb:MessageId is recorded
//     in the transaction that changes the journey) and correlates it by
//     requestId or eb:RefToMessageId, checking eb:ConversationId and (2.0)
//     ExchangeId. EDM:ERR:0002 with severity PreviewRequired and a
//     PreviewLocation makes the connector send the second request at once
//     (same content, a new id derived from the answer's eb:MessageId so
//     that a redelivery rebuilds the same message, PreviewLocation copied,
//     2.0 ReturnLocation) and gives the portal Exchange.PreviewURL (1.x: the
//     return address appended as query parameter returnurl). The return
//     address is the portal's ReturnURL with the query parameters journey
//     and requirement (the requirement's index). An evidence response is
//     stored (metadata, and the attachment bytes read with Evidence); any
//     other error fails the requirement with its code, message and detail.
//     A malformed, uncorrelated or late answer is logged, journaled and
//     recorded as processed (not retried). An evidence response with
//     ResponseAvailableDateTime and no evidence (a deferred response, §2.3)
//     puts the requirement at StepDeferred with Exchange.AvailableAt: the
//     journey stays open (its Deadline moves to leave a whole exchange after
//     that time) and the portal tells the user when to come back.
//  5. Run / Sweep (§1.2 timeouts): an exchange without an answer T1 + 1 min
//     after the first request, or T2 + T3 + 2 min after the preview
//     redirect, fails with EDM:ERR:0005 "timeout"; past the journey's
//     Deadline ((T1+T2+T3) × requirements) every requirement whose request
//     was not sent yet fails the same way. At a deferred requirement's
//     AvailableAt the sweep sends a new request for the same evidence by
//     itself (a new id, the same conversation and 2.0 ExchangeId); a time
//     beyond Config.MaxDeferral or more than Config.MaxDeferrals deferrals
//     in a row fail the requirement (CodeDeferredTooLong,
//     CodeDeferredTooOften); a time already past is asked again at once.
//     The schedule is the journey's next check in the database, so it
//     survives a restart; it is kept no later than SweepEvery.
//
// Every state lives in the node database (component "requester", tables
// requester_*, SQLite or PostgreSQL): a journey is one row with its state as
// JSON and a version for optimistic concurrency, so that several nodes and a
// restarted node carry on where the journey stood.
//
// Structured evidence (XML or JSON whose Distribution names a data model of
// package datamodel) is checked on receipt: evidence that does not conform
// fails the requirement with CodeInvalidEvidence and is not stored;
// Structured reads its fields for pre-filling. In 2.0 a request for
// structured evidence names the model's 2.0 URI and asks for its
// HumanReadableVersion. A journey asks a 2.0 provider for the supplementary
// documents of StartRequest.AssociatedDocuments (Annex,
// HumanReadableVersion, Translation) in DistributedAs/
// AssociatedDocumentRequest; every document of a received 2.0 package is
// stored with its role (Evidence.Role) and the MainEvidence it goes with
// by the package's rim:Associations (Evidence.Of). With Config.Background every first request is
// marked as a background request (exchange.AttributeBackground), which a provider
// holding the user's consent answers without preview (Exchange.Background,
// Exchange.Previewed tell the portal on what an exchange relied).
//
// Not done: jurisdiction determination (DSD:ERR:0005 asking for
// JurisdictionDetermination, EDM 1.x) is reported as ErrUnavailable rather
// than asked of the user; an evidence type list of several types is offered
// type by type (the user obtains one evidence per requirement); the
// CurrentAddress of the person is not sent (the eIDAS attribute is free text
// without the country sdg:Address requires); a request whose hand-over to the
// access point is interrupted by a crash after it was recorded times out
// (T1) instead of being sent again.
package requester
