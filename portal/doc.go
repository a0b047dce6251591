// Package portal is a demo procedure portal: the web site of a competent
// authority of one Member State where a citizen, or the representative of a
// company, completes an administrative procedure with evidence fetched from
// another Member State through the Once-Only Technical System.
//
// It walks the user through the journey of SPEC.md §1.2 on top of the
// requester connector (requester.Service): log in with an eID (step 1,
// through an eid.Authenticator), choose the procedure and the country of the
// evidence, then for each requirement of the procedure choose the evidence
// type, answer the questions of the Data Service Directory, choose the
// evidence provider and give the explicit request (step 2), wait for the
// exchange (step 3), follow the link to the provider's preview space and
// come back (steps 4–6, the return page /journeys/{id}/return), and finally
// see the evidence and submit the procedure (step 7), which is stored with a
// reference number. Every document received is listed, each
// downloadable; the documents of an EDM 2.0 evidence package are labelled
// by their role (evidence, human-readable version, annex, translation) and
// the evidence they go with. A Procedure asks for the supplementary
// documents it wants (Procedure.AssociatedDocuments).
//
// The pages are server-rendered HTML, meant to meet WCAG 2.1 AA, in
// English, German, French, Finnish and Swedish (chosen by ?lang=, a cookie
// or Accept-Language, with a switch on every page; the preview link carries
// the language to the provider's preview space). The one script, on the
// journey page (/static/journey.js), updates the journey's status in place
// while an answer is expected, from GET /journeys/{id}/status, without
// touching what the user is filling in; without it the page has a "check
// again" button. Each outcome of a requirement says in plain words what
// happened and what the user can do next; the EDM error code is shown only
// under "details for support". The footer links, the language negotiation
// and the error titles come from package internal/ui. Sessions, the ownership of journeys and the submitted procedures
// live in the node's database (package store, component "portal"), so that
// they survive a restart. Every form that changes state is a POST with a
// CSRF token, followed by a redirect (POST-redirect-GET); a journey, its
// evidence files and its submission are shown only to the user who started
// it.
//
// A procedure may declare an application Form whose fields are mapped from
// data model fields (package datamodel): GET /journeys/{id}/form shows it
// pre-filled from the journey's structured evidence, the user checks and
// corrects it, and the submission keeps each value with the one
// pre-filled. GET /my-data lists every exchange about the logged-in user
// (who asked whom, what was sent about them, what was received, when, on
// what basis), with a JSON and an HTML export.
//
// What it is not: a real procedure. It has no forms beyond the declared
// application form (no payment), no case handling behind the
// submission, and no administration pages; submissions are kept, not
// processed. It demonstrates how a portal uses the connector.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package portal
