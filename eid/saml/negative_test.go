package saml

import (
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmlenc"
	"github.com/oots-go/oots/xmltree"
)

func TestHonestLogin(t *testing.T) {
	a := newTestSP(t, nil)
	b := begin(t, a, "BE")
	f := &forge{company: true}
	s, err := answer(t, a, b, f.response(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Person.Identifier != "BE/NL/12345" || s.Person.FamilyName != "Janssens" || s.Person.GivenName != "Marie" ||
		s.Person.DateOfBirth != "1990-04-01" || s.Person.Gender != "Female" || s.LoA != eid.LoASubstantial ||
		s.Country != "BE" || s.Issuer != nodeBE.entityID {
		t.Errorf("subject %+v %+v", s, s.Person)
	}
	if s.Company == nil || s.Company.Identifier != "BE/NL/0123456789" || s.Company.LegalName != "Janssens BV" {
		t.Errorf("company %+v", s.Company)
	}
	if a.Pending() != 0 {
		t.Errorf("%d logins pending after Finish", a.Pending())
	}
}

// TestSignatureMethods: a node that signs its response and assertion with
// any method of the eIDAS profile, with the matching digest, logs its user
// in; eIDAS-Node signs with RSASSA-PSS and SHA-512 where configured so (the
// methods and digests themselves are judged by the JDK in package xmldsig).
func TestSignatureMethods(t *testing.T) {
	for _, m := range []xmldsig.SignatureMethod{xmldsig.ECDSASHA256, xmldsig.ECDSASHA384, xmldsig.ECDSASHA512, xmldsig.RSAPSSSHA256, xmldsig.RSAPSSSHA384, xmldsig.RSAPSSSHA512} {
		t.Run(string(m)[strings.LastIndexByte(string(m), '#')+1:], func(t *testing.T) {
			a := newTestSP(t, func(c *Config) {
				n := c.Nodes["BE"]
				n.Certificates = append(n.Certificates, selfSigned(t, rsaNodeKey(t), "BE node RSA"))
				c.Nodes["BE"] = n
			})
			b := begin(t, a, "BE")
			f := &forge{signMethod: m}
			if s, err := answer(t, a, b, f.response(t, b)); err != nil || s.Person.Identifier != "BE/NL/12345" {
				t.Fatalf("%v, %+v", err, s)
			}
		})
	}
}

// TestRepresentative: a representative of a company logs in; they are the
// subject's person, the company its company. Representing a natural
// person is refused.
func TestRepresentative(t *testing.T) {
	a := newTestSP(t, nil)
	b := begin(t, a, "BE")
	s, err := answer(t, a, b, (&forge{attrs: map[string]string{
		RepresentativePrefix + "PersonIdentifier": "BE/NL/777", RepresentativePrefix + "CurrentFamilyName": "Peeters",
		RepresentativePrefix + "CurrentGivenName": "Jan", RepresentativePrefix + "DateOfBirth": "1970-01-01",
		attrLegalPersonIdentifier.Name: "BE/NL/0999", attrLegalName.Name: "Peeters NV",
	}}).response(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Person.Identifier != "BE/NL/777" || s.Person.FamilyName != "Peeters" || s.Company == nil || s.Company.LegalName != "Peeters NV" {
		t.Errorf("subject %+v %+v", s.Person, s.Company)
	}
	b = begin(t, a, "BE")
	_, err = answer(t, a, b, (&forge{attrs: map[string]string{
		RepresentativePrefix + "PersonIdentifier": "BE/NL/777", attrPersonIdentifier.Name: "BE/NL/12345",
		attrFamilyName.Name: "Janssens", attrFirstName.Name: "Marie", attrDateOfBirth.Name: "1990-04-01",
	}}).response(t, b))
	if !errors.Is(err, ErrRepresentedPerson) {
		t.Errorf("representing a natural person: %v", err)
	}
}

// TestAuthnRequest checks the request of Begin: signed by our key, with the
// eIDAS extensions (eIDAS SAML Message Format §2.2).
func TestAuthnRequest(t *testing.T) {
	a := newTestSP(t, nil)
	b := begin(t, a, "BE")
	req, _, err := xmldsig.VerifyEnvelopedID(b.request, "ID", &signaturePolicy, func(*xmldsig.Signature) (crypto.PublicKey, error) { return &spSign.PublicKey, nil })
	if err != nil {
		t.Fatalf("request signature: %v", err)
	}
	if d := req.SelectAttr("", "Destination"); d != "https://eidas.be.example/sso" {
		t.Errorf("Destination %q", d)
	}
	if req.SelectAttr("", "ForceAuthn") != "true" {
		t.Error("ForceAuthn is not true")
	}
	ext := req.Child(NSProtocol, "Extensions")
	if ext == nil || ext.Child(NSEIDAS, "SPType").Text() != "public" {
		t.Fatal("no eidas:SPType public")
	}
	required := map[string]string{}
	for _, ra := range ext.Child(NSEIDAS, "RequestedAttributes").ChildrenNamed(NSEIDAS, "RequestedAttribute") {
		required[ra.SelectAttr("", "Name")] = ra.SelectAttr("", "isRequired")
	}
	for _, want := range []struct {
		a   Attribute
		req string
	}{{attrPersonIdentifier, "true"}, {attrFamilyName, "true"}, {attrFirstName, "true"}, {attrDateOfBirth, "true"},
		{attrLegalPersonIdentifier, "false"}, {attrLegalName, "false"}} {
		if required[want.a.Name] != want.req {
			t.Errorf("%s isRequired %q, want %q", want.a.Friendly, required[want.a.Name], want.req)
		}
	}
	rac := req.Child(NSProtocol, "RequestedAuthnContext")
	if rac == nil || rac.SelectAttr("", "Comparison") != "minimum" || rac.Child(NSAssertion, "AuthnContextClassRef").Text() != string(eid.LoASubstantial) {
		t.Error("no RequestedAuthnContext minimum substantial")
	}
}

func TestStatusCodes(t *testing.T) {
	for _, tc := range []struct {
		sub  string
		want error
	}{
		{statusPrefix + "RequestDenied", ErrCancelled},
		{statusPrefix + "AuthnFailed", ErrCancelled},
		{statusPrefix + "NoAuthnContext", eid.ErrLoA},
	} {
		a := newTestSP(t, nil)
		b := begin(t, a, "BE")
		_, err := answer(t, a, b, (&forge{statusSub: tc.sub}).response(t, b))
		var st *Status
		if !errors.Is(err, tc.want) || !errors.Is(err, ErrLogin) || !errors.As(err, &st) {
			t.Errorf("%s: %v", tc.sub, err)
		}
	}
}

// victim is the identifier an attacker wants to log in as.
const victim = "BE/NL/99999"

// wrap is signature wrapping (XSW): a response and an assertion the
// node signed for the attacker (identifier BE/NL/12345) are kept, intact,
// inside forged ones that name the victim and reuse the original
// signatures. where puts the original response inside the forged one.
func wrap(t *testing.T, b *begun, where func(forged, original *xmltree.Element)) string {
	legit := (&forge{plain: true}).element(t, b)
	orig := legit.Child(NSAssertion, "Assertion")
	// The forged assertion: the original's content, the victim's
	// identifier, the original's signature, the original inside Advice.
	evilA := orig.Copy()
	evilA.SetAttr("", "", "ID", "_evil"+randomID())
	evilA.Walk(func(e *xmltree.Element) bool {
		if e.Is(NSAssertion, "NameID") || (e.Is(NSAssertion, "AttributeValue") && e.Parent().SelectAttr("", "Name") == attrPersonIdentifier.Name) {
			e.SetText(victim)
		}
		return true
	})
	add(evilA, NSAssertion, "Advice").AddChild(orig.Copy())
	forged := legit.Copy()
	forged.SetAttr("", "", "ID", "_evil"+randomID())
	forged.RemoveChild(forged.Child(NSAssertion, "Assertion"))
	forged.AddChild(encryptAssertion(t, evilA, xmlenc.AES256GCM))
	where(forged, legit.Copy())
	return encode(t, reparse(t, forged))
}

// TestNegative is the suite of known attacks on SAML service providers.
// Each case is refused; each is accepted by a verifier with the checks in
// off turned off, which shows that those checks are what refuses it.
// Cases with no off are refused by construction (the algorithm is not
// implemented at all).
func TestNegative(t *testing.T) {
	rsaCert := func(c *Config) {
		n := c.Nodes["BE"]
		n.Certificates = append(n.Certificates, selfSigned(t, rsaNodeKey(t), "BE node RSA"))
		c.Nodes["BE"] = n
	}
	comment := func(target func(*xmltree.Element) bool) func(*xmltree.Element) *xmltree.Element {
		return func(as *xmltree.Element) *xmltree.Element {
			// The node signed "BE/NL/99999-evil"; the comment leaves the
			// signature valid (c14n drops comments) and cuts the
			// value for a reader of the first text node.
			as.Walk(func(e *xmltree.Element) bool {
				if target(e) {
					e.Children = nil
					e.AddText(victim)
					e.AddChild(&xmltree.Comment{Data: ""})
					e.AddText("-evil")
				}
				return true
			})
			return as
		}
	}
	isPID := func(e *xmltree.Element) bool {
		return e.Is(NSAssertion, "AttributeValue") && e.Parent().SelectAttr("", "Name") == attrPersonIdentifier.Name
	}
	isNameID := func(e *xmltree.Element) bool { return e.Is(NSAssertion, "NameID") }

	type testCase struct {
		name   string
		forge  *forge
		custom func(t *testing.T, b *begun) string // instead of forge
		config func(*Config)
		base   []check // off in both runs
		off    []check
		want   string // in the error
		// asVictim: with the checks off the attacker is logged in as
		// the victim.
		asVictim bool
	}
	cases := []testCase{
		{name: "issuer of another entity", forge: &forge{issuer: "https://evil.example/metadata"}, off: []check{checkIssuer}, want: "issued by"},
		{name: "assertion from another IdP", forge: &forge{node: &nodeFR}, off: []check{checkNodeKey, checkIssuer}, want: "signature"},
		{name: "wrong destination", forge: &forge{destination: "https://other.example/saml/acs"}, off: []check{checkDestination}, want: "Destination"},
		{name: "wrong recipient", forge: &forge{recipient: "https://other.example/saml/acs"}, off: []check{checkRecipient}, want: "Recipient"},
		{name: "wrong audience", forge: &forge{audience: "https://other.example/saml/metadata"}, off: []check{checkAudience}, want: "not for us"},
		{name: "wrong InResponseTo", forge: &forge{inResponseTo: "_another-request"}, off: []check{checkInResponseTo}, want: "InResponseTo"},
		{name: "expired", forge: &forge{notOnOrAfter: time.Now().Add(-10 * time.Minute)}, off: []check{checkTime}, want: "expired"},
		{name: "LoA too low", forge: &forge{loa: eid.LoALow}, off: []check{checkLoA}, want: "level of assurance"},
		{name: "LoA unknown", forge: &forge{loa: "urn:example:loa:1"}, off: []check{checkLoA}, want: "level of assurance"},
		{name: "missing encryption", forge: &forge{plain: true}, off: []check{checkEncryption}, want: "not encrypted"},
		{name: "unsigned assertion in a signed response", forge: &forge{unsignedAssertion: true}, off: []check{checkAssertionSigned}, want: "assertion signature"},
		{name: "unsigned response", forge: &forge{unsignedResponse: true}, off: []check{checkResponseSigned}, want: "response signature"},
		{name: "algorithm confusion: RSA PKCS#1 v1.5", forge: &forge{signMethod: xmldsig.RSASHA256}, config: rsaCert, off: []check{checkAlgorithms}, want: "algorithm not allowed"},
		{name: "comment in PersonIdentifier", forge: &forge{identifier: victim + "-evil", alterAssertion: comment(isPID)}, off: []check{checkStrictText}, want: "other than text", asVictim: true},
		{name: "comment in NameID", forge: &forge{identifier: victim + "-evil", alterAssertion: comment(isNameID)}, off: []check{checkStrictText}, want: "NameID"},
		{name: "two assertions", forge: &forge{alterResponse: func(r *xmltree.Element) *xmltree.Element {
			r.AddChild(r.Child(NSAssertion, "EncryptedAssertion").Copy())
			return r
		}, unsignedResponse: true}, base: []check{checkResponseSigned}, off: []check{checkOneAssertion}, want: "2 assertions"},
		{name: "XSW: original response in Extensions", custom: func(t *testing.T, b *begun) string {
			return wrap(t, b, func(forged, orig *xmltree.Element) {
				ext := xmltree.NewElement(NSProtocol, "saml2p", "Extensions")
				ext.AddChild(orig)
				forged.InsertChild(2, ext)
			})
		}, off: []check{checkSignatureRef}, want: "reference URI", asVictim: true},
		{name: "XSW: original response after the forged content", custom: func(t *testing.T, b *begun) string {
			return wrap(t, b, func(forged, orig *xmltree.Element) { forged.AddChild(orig) })
		}, off: []check{checkSignatureRef}, want: "reference URI", asVictim: true},
		{name: "XSW: signature moved into the forged element", custom: func(t *testing.T, b *begun) string {
			return wrap(t, b, func(forged, orig *xmltree.Element) {
				// The original signed response is enveloped by the
				// forged one's signature position, its own signature
				// left inside it.
				sig := forged.Child(xmldsig.Namespace, "Signature")
				forged.RemoveChild(sig)
				forged.InsertChild(1, orig)
			})
		}, off: []check{checkSignatureRef}, want: "not signed", asVictim: true},
		{name: "downgraded encryption: AES-CBC", forge: &forge{dataMethod: xmlenc.AES256CBC}, want: "data encryption"},
		{name: "downgraded key transport: RSA PKCS#1 v1.5", forge: &forge{alterEncryptedData: func(ed *xmltree.Element) {
			ed.Walk(func(e *xmltree.Element) bool {
				if e.Is(xmlenc.Namespace, "EncryptedKey") {
					e.Child(xmlenc.Namespace, "EncryptionMethod").SetAttr("", "", "Algorithm", string(xmlenc.RSA15))
				}
				return true
			})
		}}, want: "key encryption"},
		{name: "tampered cipher text", forge: &forge{alterEncryptedData: func(ed *xmltree.Element) {
			cv := ed.Child(xmlenc.Namespace, "CipherData").Child(xmlenc.Namespace, "CipherValue")
			t := []byte(cv.Text())
			if t[20] == 'A' {
				t[20] = 'B'
			} else {
				t[20] = 'A'
			}
			cv.SetText(string(t))
		}}, want: "authentication failed"},
	}
	run := func(t *testing.T, tc testCase, off []check) (*eid.Subject, error) {
		a := newTestSP(t, tc.config)
		a.checks = checkSet{}
		for _, c := range append(append([]check(nil), tc.base...), off...) {
			a.checks[c] = true
		}
		b := begin(t, a, "BE")
		var resp string
		if tc.custom != nil {
			resp = tc.custom(t, b)
		} else {
			f := *tc.forge
			resp = f.response(t, b)
		}
		return answer(t, a, b, resp)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := run(t, tc, nil)
			if err == nil {
				t.Fatalf("accepted: %+v", s.Person)
			}
			if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want ErrLogin with %q", err, tc.want)
			}
			if len(tc.off) == 0 {
				return
			}
			s, err = run(t, tc, tc.off)
			if err != nil {
				t.Fatalf("with %v off, still refused: %v", tc.off, err)
			}
			if tc.asVictim && s.Person.Identifier != victim {
				t.Errorf("with %v off, logged in as %q, not as the victim", tc.off, s.Person.Identifier)
			}
		})
	}
}

// TestReplay: an assertion is accepted once. InResponseTo already binds a
// response to its login, so the replay cache is shown with it off (as for
// a node that would answer a login with an older response).
func TestReplay(t *testing.T) {
	for _, off := range []bool{false, true} {
		a := newTestSP(t, nil)
		a.checks = checkSet{checkInResponseTo: true, checkReplay: off}
		b1 := begin(t, a, "BE")
		resp := (&forge{}).response(t, b1)
		if _, err := answer(t, a, b1, resp); err != nil {
			t.Fatal(err)
		}
		b2 := begin(t, a, "BE")
		_, err := answer(t, a, b2, resp)
		if !off && !errors.Is(err, ErrReplay) {
			t.Errorf("replayed: %v", err)
		}
		if off && err != nil {
			t.Errorf("with the replay check off: %v", err)
		}
	}
}

// TestACSRefusesUnknownRelayState: an answer for no login is refused at
// the ACS, and an answer is taken once.
func TestACSOnce(t *testing.T) {
	a := newTestSP(t, nil)
	b := begin(t, a, "BE")
	resp := (&forge{}).response(t, b)
	if _, err := answer(t, a, b, resp); err != nil {
		t.Fatal(err)
	}
	rec := postACS(t, a, resp, b.relay)
	if rec != 400 {
		t.Errorf("second answer: HTTP %d", rec)
	}
}

// TestFinishOtherBrowser: the callback is refused in a browser that did not
// begin the login.
func TestFinishOtherBrowser(t *testing.T) {
	a := newTestSP(t, nil)
	b := begin(t, a, "BE")
	resp := (&forge{}).response(t, b)
	b.cookies = nil
	if _, err := answer(t, a, b, resp); err == nil || !strings.Contains(err.Error(), "another browser") {
		t.Errorf("got %v", err)
	}
}
