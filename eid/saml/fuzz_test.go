package saml

import (
	"context"
	"encoding/base64"
	"testing"
	"time"
)

// FuzzResponse feeds arbitrary octets to the response checks as the
// SAMLResponse of a login: nothing may panic, and nothing but the honest
// seed may log in.
func FuzzResponse(f *testing.F) {
	a := newTestSP(f, nil)
	b := begin(f, a, "BE")
	honest := (&forge{}).response(f, b)
	raw, _ := base64.StdEncoding.DecodeString(honest)
	f.Add(raw)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0" ID="x"/>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>`))
	a.checks = checkSet{checkReplay: true} // the seed may log in more than once
	f.Fuzz(func(t *testing.T, in []byte) {
		n := a.cfg.Nodes["BE"]
		l := &login{country: "BE", requestID: b.requestID, expires: time.Now().Add(time.Hour)}
		a.verify(context.Background(), base64.StdEncoding.EncodeToString(in), &verification{login: l, node: &n, certs: n.Certificates, now: time.Now()})
	})
}

// FuzzNodeMetadata feeds arbitrary octets to the metadata checks.
func FuzzNodeMetadata(f *testing.F) {
	testKeys(f)
	be := nodeMetadataXML(f, &nodeBE, nodeBE.key, nodeBE.entityID, time.Now().Add(time.Hour))
	f.Add(be)
	f.Add(aggregateXML(f, nodeBE.key, time.Now().Add(time.Hour), true, regexpRemoveSignature(be)))
	f.Add(aggregateXML(f, nil, time.Now().Add(time.Hour), true, be))
	n := &Node{EntityID: nodeBE.entityID, Anchor: nodeBE.cert}
	f.Fuzz(func(t *testing.T, in []byte) {
		parseNodeMetadata(in, n, time.Now(), DefaultMaxResponse)
	})
}
