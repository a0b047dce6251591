// Package saml is an eIDAS SAML 2.0 service provider: an eid.Authenticator
// for the requester's portal and the provider's preview space that logs
// citizens in through a Member State's eIDAS connector node, as the eIDAS
// SAML Message Format (v1.2), the eIDAS SAML Attribute Profile and the eIDAS
// Interoperability Architecture define it, beside the demo identity provider
// (package idp) and OpenID Connect providers (package eid/oidc).
//
// It is built on the project's screened XML parser (xmltree),
// xmldsig and xmlenc, which return only what they verified:
//
//	browser ──GET login──▶ app ──Begin──▶ auto-posted form (HTTP-POST) or 303 (HTTP-Redirect) to the node
//	        signed samlp:AuthnRequest: ForceAuthn, eidas:SPType, eidas:RequestedAttributes
//	        (natural person: the four mandatory isRequired="true"; legal person: isRequired="false"),
//	        RequestedAuthnContext Comparison="minimum" with the LoA; RelayState names the login,
//	        cookie oots_saml binds it to the browser
//	browser ◀──── node: authentication ────▶ POST ACSPath (SAMLResponse, RelayState)
//	        Handler: verify (below), keep the outcome, 303 to the app's callback ?state=…
//	browser ──GET callback──▶ app ──Finish──▶ eid.Subject (same browser only)
//
// The checks of a response, in order (SAML 2.0 Profiles §4.1.4, eIDAS SAML
// Message Format §3); every one refuses the login with an error that says
// which check failed:
//   - the RelayState is a login under way (each is answered once), not
//     expired (Config.LoginTTL);
//   - screening: base64, at most Config.MaxResponse octets, no DTD, bounded
//     depth, elements and attributes; a SAML 2.0 samlp:Response;
//   - the response's enveloped signature, by a key of the login's node
//     only, whose one reference names the response itself by its ID (the
//     defence against signature wrapping, with using only the verified copy
//     returned by xmldsig.VerifyEnvelopedID); ECDSA or RSASSA-PSS with
//     SHA-256, SHA-384 or SHA-512, and digests of the same (eIDAS
//     Cryptographic Requirements §3.2: RSA PKCS#1 v1.5, SHA-1 and HMAC are
//     refused);
//   - its Issuer is the node's entity ID, its Destination our ACS, its
//     InResponseTo the ID of this login's request;
//   - the status: not Success is a *Status (RequestDenied and AuthnFailed
//     match ErrCancelled, NoAuthnContext eid.ErrLoA);
//   - exactly one assertion, encrypted (a plain one is refused as a
//     downgrade unless Config.AllowUnencrypted): AES-GCM (128, 192, 256)
//     only, the key by RSA-OAEP (xmlenc11 rsa-oaep with SHA-256 and MGF1
//     with SHA-256 or SHA-1, or rsa-oaep-mgf1p with SHA-1 or SHA-256) to our
//     Config.EncryptionKey, which may be in a hardware security module
//     (any crypto.Decrypter of an RSA key: package pkcs11's keys are);
//     AES-CBC and RSA PKCS#1 v1.5 key transport are refused (eIDAS
//     Cryptographic Requirements §3.3, §3.4);
//   - the assertion's own signature, as the response's;
//   - its Issuer; its bearer SubjectConfirmationData's Recipient (our ACS),
//     InResponseTo and NotOnOrAfter; its Conditions' NotBefore and
//     NotOnOrAfter, with Config.Skew (default 1 minute, at most 5), and an
//     AudienceRestriction naming our entity ID;
//   - its AuthnContextClassRef, an eIDAS LoA at least the node's MinLoA;
//   - the attributes: one value each (a name in a non-Latin script may
//     come with its original beside the transliteration, marked
//     LatinScript="false": the Latin value is kept), text only (a comment
//     or an element in a value or in NameID is refused: the "comment
//     truncation" attack), the PersonIdentifier issued by the node's
//     country, the DateOfBirth an xs:date (its time zone, if any, dropped);
//   - one-time use: the assertion's ID is recorded in the ReplayCache
//     (SQLReplay: table saml_replay of the node's database, SQLite or
//     PostgreSQL) until it expires; a second use is refused (ErrReplay).
//
// # Metadata
//
// Handler serves our metadata at MetadataPath, signed with our signing key:
// entity ID (default BaseURL + MetadataPath), eidas:SPType, the signing and
// encryption certificates (with the AES-GCM methods we accept), and the ACS
// by HTTP-POST. A node's metadata, when Node.MetadataURL is set, is fetched
// at the first login, its enveloped signature verified against Node.Anchor,
// its entityID and validUntil checked, and it is used until
// Config.MetadataRefresh (default 1 hour) or its validUntil; a node that
// cannot be reached when it is due keeps its metadata until validUntil. The
// fetch is bounded by Config.MaxResponse and the HTTP client's timeout.
//
// # Connecting a real eIDAS node
//
// Give the node's operator our metadata URL (the application's public base
// URL + /saml/metadata); configure the node's entity ID, its metadata URL
// and the certificate that signs its metadata (the anchor, obtained out of
// band), a signing key (ECDSA P-256 recommended) and an RSA encryption key
// (3072 bits recommended; it may stay in a hardware security module, as a
// crypto.Decrypter) with their certificates; mount Handler in front of
// the portal and the preview space (both need the ACS and metadata paths
// routed to it).
//
// # Legal persons and representatives
//
// The legal person's attributes (identifier, name, address, VAT, tax
// reference, LEI, EORI) become Subject.Company. A representative's
// attributes (RepresentativePrefix, Attribute Profile §2.6) make the
// representative Subject.Person and the legal person they act for
// Subject.Company; a representative of another natural person is refused
// (ErrRepresentedPerson), since eid.Subject has no place for them.
//
// A node's metadata may be its md:EntityDescriptor or a federation's
// md:EntitiesDescriptor holding it, signed as a whole or the node's
// descriptor signed by itself, by the anchor's key either way.
//
// Not implemented: PowerOfRepresentationScope (not read, and the evidence
// request has no place for it yet), certificate chains for the metadata anchor
// (the anchor's key itself must sign), key agreement (ECDH-ES) key
// transport, single logout.
//
// # Clusters
//
// The logins under way are kept by Config.Pending: by default in the memory
// of the process, where the ACS and the callback must then come back;
// SQLPending keeps them in the node's database (table saml_pending), so
// that several instances behind a load balancer without sticky sessions
// continue each other's logins. The ACS takes a login once, whichever
// instance it reaches, and Finish deletes it. The verified subject, personal
// data, is in the table only between the ACS and Finish; a login never
// finished is deleted at the first login begun after Config.LoginTTL. The
// replay cache (SQLReplay) is shared the same way.
package saml
