// Package conformance is the OOTS conformance kit: a Projectathon in a box.
// It drives a system under test over its public interfaces only (HTTP on
// loopback or remote; no shared database, no in-process hooks) and reports
// each case with what was sent, what came back and why it failed, as JUnit
// XML and as an accessible HTML page, with the readiness level the results
// support (Level, Assess).
//
// Suites (SPEC.md §3, §4, §6):
//
//   - as4-receive (AS4-01…10): the kit is a partner access point with its own
//     credentials and P-Mode and posts to the node's /as4 endpoint: a valid
//     signed and encrypted message gets a signed receipt whose
//     non-repudiation information matches it; a repeated eb:MessageId gets a
//     receipt again and is delivered once (read through the backend API
//     /api/v1/inbox); an altered signed header gives EBMS:0101, an unsigned
//     message EBMS:0103, an unknown party EBMS:0001 or EBMS:0010, a
//     certificate of an untrusted CA EBMS:0101; a compressed payload is
//     delivered as sent; an oversized body is refused (HTTP 413 or
//     EBMS:0007); every Error signal is signed; a message signed by a
//     trusted certificate of another party than its eb:From gives EBMS:0101
//     (ebMS3 Core §6, AS4 profile, eDelivery AS4 1.15/2.0; the sender trust
//     validation of Domibus).
//   - as4-send (AS4-S1…S6): the kit asks the node, through its backend API,
//     to send a message to the kit's own AS4 endpoint and checks what
//     arrives: signature, encryption, compression, header and properties,
//     the retry after the kit's HTTP 503, the delivered status after the
//     kit's receipt, and no delivered status after a receipt signed by a
//     third party (with AS4Target.ThirdPartyKey).
//   - common-services (CS-01…13): the Evidence Broker and DSD queries with
//     good and bad parameters and the EB:ERR and DSD:ERR code each must give,
//     the JAdES signature of every answer (package jades), Accept-Version 1.x
//     and 2.0, paging (SPEC.md §3.1–§3.3).
//   - edm (TC01…TC10): evidence exchange scenarios (Scenario, read from a
//     YAML file by ParseScenarios) run against an EDMNode — in practice
//     AS4Peer, the kit's own access point posting the requests to the node
//     and receiving its answers — with a PreviewUser for the preview flows
//     (SPEC.md §1.2, §2, §6). SPEC.md §6 names TC01 (basic exchange), TC03
//     (provider-side errors), TC06–TC09 (preview flows, two providers) and
//     TC10 (human-readable version); the kit's scenarios fill the others in
//     as: TC02 a legal person, TC04 a request without the user's explicit
//     request (EDM:ERR:0003), TC05 a preview needed but not possible
//     (EDM:ERR:0007), TC09 another person than the subject at the preview
//     (EDM:ERR:0001).
//   - edm-requester (RQ01…RQ04): the other direction (RequesterTarget): the
//     kit plays the evidence provider of another Member State, starts
//     journeys through the node's requester REST API for a country whose
//     DSD data service is behind the kit's access point, checks the evidence
//     request the node sends (version, subject and LoA, procedure,
//     requirement, evidence type, explicit request), answers with evidence,
//     EDM:ERR:0004, a preview (EDM:ERR:0002, then the second request with
//     the PreviewLocation) or an answer that refers to nothing, and reads
//     the journey back (SPEC.md §1.2 steps 2–6, §2.2–§2.4).
//
// Every message received from the system under test is validated as
// "oots validate" does (Validate: package edm, the ebMS header rules of
// package as4, the business rules of package schematron) and the findings go
// into the case; a finding that invalidates the message fails the case.
//
// In the Testing-Services mode (Config.TestingServices) every pair of
// messages of the edm suites is cross-validated (suite cross-validation,
// CrossChecks: response and error against the request, the second request
// against the first, a message against its ebMS header) and the report maps
// the results to the Commission's Acceleratormeter levels (Readiness).
//
// The deliberate defects of ap.Config.Fault ("oots serve -fault NAME" in a
// binary built with the ootsfault tag, test only) each make one
// case fail; the tests of cmd/oots show it.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package conformance
