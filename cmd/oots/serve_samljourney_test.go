package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/saml"
	"github.com/oots-go/oots/internal/pdf"
	"github.com/oots-go/oots/internal/samlidp"
	"github.com/oots-go/oots/journal"
	"github.com/oots-go/oots/provider"
	"github.com/oots-go/oots/requester"
)

// TestServeSAMLJourney runs a citizen's journey through the preview space
// of "oots serve" logging in by eIDAS SAML (provider.login.saml) at a real
// eIDAS-like node of another implementation, pysaml2 (internal/samlidp),
// the node of the citizen's country BE. Two nodes set up with oots init
// and oots partner add: the German one with the requester connector, the
// French one with the provider connector, its preview space and the
// journal. pysaml2 verifies our signed AuthnRequest (it refuses unsigned
// or altered ones) and answers with a signed response carrying a signed
// assertion encrypted to our encryption certificate, with the eIDAS
// natural-person attributes; the preview space decrypts and verifies it,
// shows the register's evidence, and the approved evidence reaches the
// requester. The citizen's identifier for FR (BE/FR/…) is not the one the
// requester sent (BE/DE/…): the same person by issuing country and local
// part. Someone else logging in at the node is refused with EDM:ERR:0001.
func TestServeSAMLJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes, the Common Services and a Python eIDAS node")
	}
	// The eIDAS node first: it skips the test (or fails it under
	// OOTS_REQUIRE_VERIFIERS=1) without pysaml2 or xmlsec1.
	env := startSAMLJourney(t, samlidp.New(t))
	idp, nodes, previewBase := env.IdP, env.nationalNet, env.PreviewBase
	who, doc, reg := env.Who, env.Doc, env.Reg
	browser := nodes.browser(t)

	// login takes the citizen from the preview link through the eIDAS
	// node as user, and returns the preview space's answer to the node's
	// response and the SAMLResponse the node sent.
	login := func(previewURL, user string) (*http.Response, string, []byte) {
		t.Helper()
		if resp, page := browser.get(previewURL); resp.StatusCode != http.StatusOK || !strings.Contains(page, "/login") {
			t.Fatalf("preview start page: HTTP %d\n%.800s", resp.StatusCode, page)
		}
		link, _ := url.Parse(previewURL)
		// Our auto-posted, signed AuthnRequest (HTTP-POST binding).
		_, page := browser.get(previewBase + link.Path + "/login")
		action, v := samlJourneyForm(t, page)
		if action != idp.SSO || v.Get("SAMLRequest") == "" {
			t.Fatalf("the preview login posts to %s, not with an AuthnRequest to the node's %s:\n%.800s", action, idp.SSO, page)
		}
		// pysaml2 verifies it (want_authn_requests_signed) before its
		// login form.
		resp, page := browser.post(action, v)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "eIDAS test node: log in") {
			t.Fatalf("the node refused our AuthnRequest: HTTP %d %.800s", resp.StatusCode, page)
		}
		action, v = samlJourneyForm(t, page)
		v.Set("user", user)
		v.Set("password", "pw")
		_, page = browser.post(action, v)
		action, v = samlJourneyForm(t, page)
		if action != previewBase+saml.ACSPath || v.Get("SAMLResponse") == "" {
			t.Fatalf("the node answered to %s, not with a SAMLResponse to our ACS:\n%.1000s", action, page)
		}
		raw, err := base64.StdEncoding.DecodeString(v.Get("SAMLResponse"))
		if err != nil {
			t.Fatal(err)
		}
		// The ACS, then the preview's callback, then the preview.
		resp, page = browser.post(action, v)
		return resp, page, raw
	}

	// Marie: the evidence shown after the login, approved, received.
	j, r := env.journey(t)
	resp, page, raw := login(r.Exchange.PreviewURL, "marie")
	// eIDAS: the assertion travels encrypted (xenc, AES-256-GCM with
	// RSA-OAEP), nothing of the person in clear.
	if !bytes.Contains(raw, []byte("EncryptedAssertion")) || !bytes.Contains(raw, []byte("xmlenc11#aes256-gcm")) ||
		bytes.Contains(raw, []byte("Janssens")) || bytes.Contains(raw, []byte("1234567890")) {
		t.Errorf("the node's response does not carry the assertion encrypted:\n%.2000s", raw)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || csrf == nil || !strings.Contains(page, who.FamilyName) {
		t.Fatalf("after the SAML login, at %s: HTTP %d, want the evidence with its decision form:\n%.1500s", resp.Request.URL, resp.StatusCode, page)
	}
	r = nodes.approve(t, browser, r.Exchange.PreviewURL, csrf[1], j, doc)
	if n := reg.Others.Load(); n != 0 {
		t.Errorf("the register was asked %d times for someone else during Marie's journey", n)
	}
	fr := samlJourneyJournal(t, "fr", r.Exchange.ID, journal.OutcomeOK)
	find(t, fr, journal.EventPreviewShown)
	find(t, fr, journal.EventPreviewApproved)
	if e := samlJourneyLast(fr, journal.EventResponseSent); e == nil || e.Outcome != journal.OutcomeOK {
		t.Errorf("FR journaled the last answer %+v, want the evidence sent", e)
	}

	// Jan logs in at the node with Marie's preview link: not her; FR
	// asks its register about Jan, answers EDM:ERR:0001 and shows
	// nothing.
	t.Run("another person", func(t *testing.T) {
		before := reg.Calls.Load()
		j, r := env.journey(t)
		resp, page, _ := login(r.Exchange.PreviewURL, "jan")
		if resp.StatusCode != http.StatusForbidden || strings.Contains(page, who.FamilyName) || strings.Contains(page, `name="csrf"`) {
			t.Errorf("Jan at Marie's preview: HTTP %d, want 403 without the evidence:\n%.1500s", resp.StatusCode, page)
		}
		if reg.Calls.Load() == before || reg.Others.Load() == 0 {
			t.Error("the register was not asked whether Jan is the subject")
		}
		r = nodes.finished(t, j)
		if r.Step != requester.StepFailed || r.Exchange.Error == nil || r.Exchange.Error.Code != edm.EDMErr0001 {
			t.Fatalf("after Jan's login: step %s, exchange %+v, want failed with EDM:ERR:0001", r.Step, r.Exchange)
		}
		fr := samlJourneyJournal(t, "fr", r.Exchange.ID, string(edm.EDMErr0001))
		if e := find(t, fr, provider.EventWrongUser); e.Outcome != string(edm.EDMErr0001) {
			t.Errorf("FR journaled %+v, want the wrong user with EDM:ERR:0001", e)
		}
		if e := samlJourneyLast(fr, journal.EventResponseSent); e == nil || e.Outcome != string(edm.EDMErr0001) {
			t.Errorf("FR journaled the last answer %+v, want EDM:ERR:0001", e)
		}
		for _, e := range fr {
			if e.Event == journal.EventPreviewShown || e.Event == journal.EventPreviewApproved {
				t.Errorf("FR journaled %s for Jan", e.Event)
			}
		}
	})
}

// samlJourneyNet is the set-up of the SAML journeys (TestServeSAMLJourney
// and TestServeSAMLJourneyBrowser): the BE eIDAS node (pysaml2) with the
// accounts marie and jan, the register holding Marie's birth certificate
// (Doc), and the two national nodes, FR's preview space logging in at the
// BE node.
type samlJourneyNet struct {
	*nationalNet
	IdP *samlidp.IdP
	Reg *register
	// Who is Marie as the requester knows her (BE/DE/…); Doc her
	// evidence in the register.
	Who eid.NaturalPerson
	Doc []byte
}

// startSAMLJourney sets the SAML journeys up around idp, prepared and not
// started: it gives idp its accounts, starts the register and the nodes,
// and starts idp with the preview space's metadata as oots serve serves it.
func startSAMLJourney(t *testing.T, idp *samlidp.IdP) *samlJourneyNet {
	t.Helper()
	const substantial = "http://eidas.europa.eu/LoA/substantial"
	idp.Accounts = map[string]samlidp.Account{
		"marie": {Password: "pw", LoA: substantial, Attributes: map[string]string{
			"PersonIdentifier": "BE/FR/1234567890", "FamilyName": "Janssens", "FirstName": "Marie", "DateOfBirth": "1985-04-12"}},
		"jan": {Password: "pw", LoA: substantial, Attributes: map[string]string{
			"PersonIdentifier": "BE/FR/5550001", "FamilyName": "Peeters", "FirstName": "Jan", "DateOfBirth": "1970-01-31"}},
	}
	n := &samlJourneyNet{IdP: idp,
		Who: eid.NaturalPerson{Identifier: "BE/DE/1234567890", FamilyName: "Janssens", GivenName: "Marie", DateOfBirth: "1985-04-12"},
		Doc: pdf.Text("Certificate of birth", []string{"Marie Janssens, born 1985-04-12"})}

	// The register: a PDF for Marie (whatever the destination country
	// of her identifier), nothing for anyone else.
	n.Reg = startRegister(t, &n.Who, n.Doc, provider.SamePerson)

	n.nationalNet = twoNodes(t)
	// provider.login.saml: the BE node by its metadata, signed by the
	// anchor; our signing key (ECDSA) and encryption key (RSA, for the
	// node's RSA-OAEP key transport).
	writeSecret(t, "fr/be-node.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Cert.Raw}))
	node, _ := json.Marshal(map[string]string{"entityId": idp.EntityID, "metadataUrl": idp.EntityID, "anchor": "be-node.pem"})
	writeSecret(t, "fr/be-saml.json", node)
	writeSAMLKeys(t, "fr")
	n.serve(t, n.Reg.URL, `  login:
    saml: {nodes: {BE: be-saml.json}, signingKey: saml-sign.key.pem, signingCertificate: saml-sign.cert.pem,
           encryptionKey: saml-enc.key.pem, encryptionCertificate: saml-enc.cert.pem}
`)

	// The node knows the preview space by its metadata, served by oots
	// serve: our ACS, signing and encryption certificates.
	resp, md := n.browser(t).get(n.PreviewBase + saml.MetadataPath)
	if resp.StatusCode != http.StatusOK || !strings.Contains(md, n.PreviewBase+saml.ACSPath) {
		t.Fatalf("the preview space's SAML metadata: HTTP %d\n%.600s", resp.StatusCode, md)
	}
	idp.Start(t, []byte(md))
	return n
}

// journey asks FR for Marie's evidence through DE's requester API and
// returns the journey and its requirement at the preview step.
func (n *samlJourneyNet) journey(t *testing.T) (*requester.Journey, *requester.Requirement) {
	t.Helper()
	ctx := context.Background()
	j, err := n.Client.Start(ctx, requester.StartRequest{Procedure: "R1", Country: "FR", ReturnURL: "https://portal.de.example/return",
		Subject: eid.Subject{Person: &n.Who, LoA: eid.LoASubstantial, Country: "BE", Issuer: "BE", AuthTime: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Requirements) == 0 || j.Requirements[0].Step != requester.StepExplicitRequest {
		t.Fatalf("journey %+v: want a requirement ready for the explicit request", j)
	}
	if j, err = n.Client.Request(ctx, j.ID, j.Requirements[0].ID, requester.ExplicitRequest{Given: true}); err != nil {
		t.Fatal(err)
	}
	return j, n.atPreview(t, j)
}

var (
	samlJourneyInput  = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*name="([^"]+)"`)
	samlJourneyAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
)

// samlJourneyForm reads the action and the hidden fields of the first form
// of a page: the auto-posted forms of the SAML HTTP-POST binding and the
// node's login form.
func samlJourneyForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := samlJourneyAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in %.800s", page)
	}
	v := url.Values{}
	for _, f := range samlJourneyInput.FindAllStringSubmatch(page, -1) {
		if f[1] != "" {
			v.Set(f[1], html.UnescapeString(f[2]))
		} else {
			v.Set(f[4], html.UnescapeString(f[3]))
		}
	}
	return html.UnescapeString(m[1]), v
}

// samlJourneyJournal reads the journal entries of an exchange from the
// node in dir once the last entry of the event response.sent has the
// outcome: the node journals an answer after handing it to its access
// point.
func samlJourneyJournal(t *testing.T, dir, exchange, outcome string) []*journal.Entry {
	t.Helper()
	return exportJournal(t, dir, exchange, func(es []*journal.Entry) bool {
		e := samlJourneyLast(es, journal.EventResponseSent)
		return e != nil && e.Outcome == outcome
	})
}

// samlJourneyLast returns the last entry of an event, or nil.
func samlJourneyLast(es []*journal.Entry, event string) *journal.Entry {
	var last *journal.Entry
	for _, e := range es {
		if e.Event == event {
			last = e
		}
	}
	return last
}
