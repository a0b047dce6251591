// Package idp is a DEMO identity provider for the demo network and the
// tests, and its client: the first step of the OOTS user journey (SPEC.md
// §1.2 step 1, "Authenticate"), where the requester's portal — and later the
// provider's preview space (step 5) — learn who the user is, as the eIDAS
// minimum data set with a level of assurance (package eid).
//
// It is not for production. Its users are published test persons (Config.
// Users; the demo network's are those of package internal/demo), the login
// page shows their PINs, its codes live in memory and
// its relying parties do not authenticate at the token endpoint.
//
// # Provider
//
// A Provider stands for the national identity provider behind one
// country's eIDAS node. Its flow has the shape of an OAuth 2.0 authorization
// code grant (RFC 6749 §4.1), without JavaScript:
//
//  1. GET /authorize?client_id=…&redirect_uri=…&state=… shows the login
//     page: the test persons of the country and the companies they may
//     represent, a level of assurance (Low, Substantial, High; no higher than
//     the person's eID), and the demo PIN. An unknown client or a
//     redirect_uri not registered for it gets an error page, never a
//     redirect.
//  2. POST /authorize (CSRF-protected) checks the choices and the PIN and
//     redirects to redirect_uri?code=…&state=…; the code is good once, for
//     60 seconds.
//  3. POST /token (back channel; client_id, code, redirect_uri) answers
//     {"assertion": "<JWS>"}: a JSON Web Token signed with ES256 whose claims
//     are iss, sub, aud (the client id), iat, exp (5 minutes) and eid, the
//     eid.Subject. Identifiers have the eIDAS form "CC/RP/local": CC the
//     provider's country, RP the relying party's, local the stable
//     identifier of the person (User.Local) or company (Company.Local).
//  4. GET /.well-known/jwks.json publishes the verification key.
//
// The pages speak English and the country's language (Finland: Finnish and
// Swedish), chosen by ?lang= or Accept-Language, and follow WCAG 2.1 AA.
//
// # Client
//
// A Client implements eid.Authenticator for a relying party. Begin sends the
// browser to the provider of the country the user chose (or offers the
// choice of country), carrying that country in the state; Finish exchanges
// the code, verifies the assertion and returns the subject with the
// application's state unchanged. Every failure wraps ErrLogin.
//
// # Replacing it
//
// In production, a Member State connects its portal and preview space to
// its eIDAS node, which speaks SAML 2.0 to the other nodes and returns the
// same minimum data set and level of assurance. Such a connector implements
// eid.Authenticator (Begin sends the SAML AuthnRequest, Finish validates the
// Response) and replaces Client; nothing else in the connector changes.
//
// This package is not a supported API: it may change in any release (see
// the README, "Which packages are a supported API").
package idp
