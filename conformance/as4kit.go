package conformance

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/wssec"
)

// as4Kit is the kit acting as the node's partner access point.
type as4Kit struct {
	cfg     *Config
	t       *AS4Target
	leg     *pmode.Leg
	profile wssec.Profile
	// signals keeps the raw error signals received, for AS4-09.
	signals []rawAnswer
	// firstID is the eb:MessageId of the valid message of AS4-01, and
	// firstContent its payload.
	firstID      string
	firstContent []byte
}

// rawAnswer is an HTTP answer of the node.
type rawAnswer struct {
	caseID      string
	status      int
	contentType string
	body        []byte
}

func (a rawAnswer) String() string {
	return fmt.Sprintf("HTTP %d %s\n%s", a.status, a.contentType, a.body)
}

func newAS4Kit(cfg *Config) (*as4Kit, error) {
	leg, err := cfg.AS4.PMode.Leg(cfg.AS4.Leg)
	if err != nil {
		return nil, fmt.Errorf("%w: AS4.Leg: %w", ErrConfig, err)
	}
	profile, err := wssec.ProfileFor(cfg.AS4.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("%w: AS4.SigningKey: %w", ErrConfig, err)
	}
	return &as4Kit{cfg: cfg, t: cfg.AS4, leg: leg, profile: profile}, nil
}

func (k *as4Kit) cases(run func(Suite, string, string, func(context.Context, *Case))) {
	s := SuiteAS4Receive
	run(s, "AS4-01", "a valid signed and encrypted user message gets a signed receipt whose non-repudiation information matches the message", k.caseValid)
	run(s, "AS4-02", "a repeated eb:MessageId gets a receipt again and is delivered once", k.caseDuplicate)
	run(s, "AS4-03", "a message whose signed header was altered is refused with EBMS:0101", k.caseBadSignature)
	run(s, "AS4-04", "an unsigned message is refused with EBMS:0103", k.caseUnsigned)
	run(s, "AS4-05", "a message from an unknown party is refused with EBMS:0001 or EBMS:0010", k.caseUnknownParty)
	run(s, "AS4-06", "a message signed with a certificate of an untrusted CA is refused with EBMS:0101", k.caseUntrusted)
	run(s, "AS4-07", "a compressed payload is delivered decompressed, as sent", k.caseCompression)
	run(s, "AS4-08", "a body beyond the node's size limit is refused", k.caseOversized)
	run(s, "AS4-09", "every ebMS Error signal of the node is signed", k.caseErrorsSigned)
	run(s, "AS4-10", "a message signed by a trusted certificate of another party than its eb:From is refused with EBMS:0101", k.caseWrongParty)
	k.sendCases(run)
}

// payload is the content of the kit's messages: an XML document naming the
// case, so that a delivered message shows where it came from.
func payload(caseID, nonce string) []byte {
	return []byte(fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conformanceTest case=%q nonce=%q>OOTS conformance kit</conformanceTest>\n", caseID, nonce))
}

// sender is the kit's access point sending to the node: its P-Mode and
// credentials, the node's encryption certificate, and the trust store that
// the node's signals must chain to.
func (k *as4Kit) sender(pm *pmode.Config) *as4.Sender {
	return &as4.Sender{PMode: pm, SigningKey: k.t.SigningKey, SigningCert: k.t.SigningCert, PeerCert: k.t.NodeEncryptionCert,
		Now: k.cfg.Now, Rand: k.cfg.Rand, Domain: "conformance.oots", Client: k.cfg.Client, Trust: k.t.Trust,
		PartyCertificates: k.t.partyCertificates}
}

// receiver is the kit's access point receiving from the node: its signals
// are signed with the kit's key.
func (k *as4Kit) receiver() *as4.Receiver {
	return &as4.Receiver{PMode: k.t.PMode, DecryptionKey: k.t.DecryptionKey, Trust: k.t.Trust, Now: k.cfg.Now, Rand: k.cfg.Rand,
		Domain: "conformance.oots", SigningKey: k.t.SigningKey, SigningCert: k.t.SigningCert, PartyCertificates: k.t.partyCertificates}
}

// pack packs a message of case c with the given P-Mode and credentials
// (signed with signer when it is not nil); on failure it fails c and
// returns false.
func (k *as4Kit) pack(c *Case, pm *pmode.Config, signer *pki.Credential) (*as4.Packed, []byte, bool) {
	s := k.sender(pm)
	if signer != nil {
		key, ok := signer.Key.(crypto.Signer)
		if !ok {
			c.fail("packing: the signing key %T cannot sign", signer.Key)
			return nil, nil, false
		}
		s.SigningKey, s.SigningCert = key, signer.Cert
	}
	content := payload(c.ID, fmt.Sprint(k.cfg.Now().UnixNano()))
	p, err := s.Pack(&as4.Outbound{Leg: k.t.Leg, From: pm.Self, To: k.t.Node, Properties: k.t.Properties,
		Payloads: []as4.Payload{{MimeType: "application/x-ebrs+xml", Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }}}})
	if err != nil {
		c.fail("packing: %v", err)
		return nil, nil, false
	}
	c.sent("POST %s\neb:MessageId %s, leg %s, from %s to %s, %d payload(s), security %s sign=%t encrypt=%t\n%s",
		k.t.Endpoint, p.UserMessage.MessageInfo.MessageID, p.Leg.Name, pm.Self, k.t.Node, len(p.UserMessage.PayloadInfo),
		p.Leg.Security.Profile, p.Leg.Security.Sign, p.Leg.Security.Encrypt, p.Envelope)
	return p, content, true
}

// post sends a packed message and returns the node's answer; on failure
// it fails c.
func (k *as4Kit) post(ctx context.Context, c *Case, p *as4.Packed) (rawAnswer, error) {
	ans, err := k.sender(k.t.PMode).Post(ctx, p, k.t.Endpoint)
	if err != nil {
		c.fail("posting to %s: %v", k.t.Endpoint, err)
		return rawAnswer{}, err
	}
	a := rawAnswer{caseID: c.ID, status: ans.Status, contentType: ans.ContentType, body: ans.Body}
	c.got("%s", a)
	return a, nil
}

// verifyConfig is the policy for the node's signals: signed by a certificate
// that chains to the trust anchors.
func (k *as4Kit) verifyConfig() *wssec.VerifyConfig {
	return &wssec.VerifyConfig{Profile: k.profile, RequireSignature: true, Trust: k.t.Trust, Now: k.cfg.Now}
}

// receipt checks that a is a signed receipt for p with matching
// non-repudiation information, and validates its header.
func (k *as4Kit) receipt(c *Case, p *as4.Packed, a rawAnswer) bool {
	if !strings.Contains(a.contentType, "soap+xml") {
		c.fail("expected a receipt (application/soap+xml), got HTTP %d %q", a.status, a.contentType)
		return false
	}
	k.validateSignal(c, a)
	unverified, err := as4.ReadSignal(a.contentType, bytes.NewReader(a.body), nil)
	if err != nil {
		c.fail("the answer is not an ebMS signal: %v", err)
		return false
	}
	if len(unverified.Errors) > 0 {
		c.fail("expected a receipt, got an ebMS Error signal %s: %s", unverified.Errors[0].Code, unverified.Errors[0].Detail)
		return false
	}
	_, err = k.sender(k.t.PMode).Check(p, &as4.Answer{Status: a.status, ContentType: a.contentType, Body: a.body})
	switch e := as4.AsError(err); {
	case err == nil:
		return true
	case e.Code == as4.InvalidReceipt:
		c.fail("the receipt does not match the message %s: %v", p.UserMessage.MessageInfo.MessageID, err)
	case errors.Is(err, as4.ErrWrongSigner):
		c.fail("the receipt is signed by another party than the node: %v", err)
	default:
		c.fail("the receipt's signature does not verify: %v", err)
	}
	return false
}

// validateSignal checks the structure of a signal's eb:Messaging header.
func (k *as4Kit) validateSignal(c *Case, a rawAnswer) {
	env, err := as4.ParseEnvelope(bytes.NewReader(a.body), nil)
	if err != nil {
		c.fail("the answer is not a SOAP envelope with eb:Messaging: %v", err)
		return
	}
	c.validated("the signal's eb:Messaging", as4.CheckHeader(env.Messaging))
}

// errorSignal checks that a is an ebMS Error signal with one of codes.
func (k *as4Kit) errorSignal(c *Case, a rawAnswer, codes ...as4.Code) {
	var want []string
	for _, code := range codes {
		want = append(want, string(code))
	}
	if !strings.Contains(a.contentType, "soap+xml") {
		c.fail("expected an ebMS Error signal %s, got HTTP %d %q without a signal", strings.Join(want, " or "), a.status, a.contentType)
		return
	}
	k.validateSignal(c, a)
	sig, err := as4.ReadSignal(a.contentType, bytes.NewReader(a.body), nil)
	if err != nil {
		c.fail("expected an ebMS Error signal %s, the answer is not a signal: %v", strings.Join(want, " or "), err)
		return
	}
	k.signals = append(k.signals, a)
	if len(sig.Errors) == 0 {
		c.fail("expected an ebMS Error signal %s, got a receipt: the node accepted the message", strings.Join(want, " or "))
		return
	}
	for _, code := range codes {
		if sig.Errors[0].Code == code {
			return
		}
	}
	c.fail("expected %s, got %s (%s)", strings.Join(want, " or "), sig.Errors[0].Code, sig.Errors[0].Detail)
}

func (k *as4Kit) caseValid(ctx context.Context, c *Case) {
	p, content, ok := k.pack(c, k.t.PMode, nil)
	if !ok {
		return
	}
	defer p.Close()
	a, err := k.post(ctx, c, p)
	if err != nil {
		return
	}
	if a.status != http.StatusOK {
		c.fail("expected HTTP 200 with a receipt, got HTTP %d", a.status)
	}
	if k.receipt(c, p, a) {
		k.firstID, k.firstContent = p.UserMessage.MessageInfo.MessageID, content
	}
}

func (k *as4Kit) caseDuplicate(ctx context.Context, c *Case) {
	p, _, ok := k.pack(c, k.t.PMode, nil)
	if !ok {
		return
	}
	defer p.Close()
	for i := range 2 {
		a, err := k.post(ctx, c, p)
		if err != nil {
			return
		}
		if !k.receipt(c, p, a) {
			c.Reason = fmt.Sprintf("attempt %d: %s", i+1, c.Reason)
			return
		}
	}
	if k.t.API == "" {
		c.Reason = "receipts checked; delivery count not checked: no backend API URL given"
		return
	}
	id := p.UserMessage.MessageInfo.MessageID
	n, err := k.inboxCount(ctx, c, id)
	if err != nil {
		c.fail("listing the node's inbox: %v", err)
		return
	}
	if n != 1 {
		c.fail("eb:MessageId %s sent twice is delivered %d times in the node's inbox, expected once", id, n)
	}
}

// tamper changes one character of the signed eb:ConversationId.
func tamper(env []byte) ([]byte, bool) {
	const open = "ConversationId>"
	i := bytes.Index(env, []byte(open))
	if i < 0 || i+len(open) >= len(env) {
		return nil, false
	}
	out := bytes.Clone(env)
	j := i + len(open)
	if out[j] == 'a' {
		out[j] = 'b'
	} else {
		out[j] = 'a'
	}
	return out, true
}

func (k *as4Kit) caseBadSignature(ctx context.Context, c *Case) {
	p, _, ok := k.pack(c, k.t.PMode, nil)
	if !ok {
		return
	}
	defer p.Close()
	env, ok := tamper(p.Envelope)
	if !ok {
		c.fail("the packed envelope has no eb:ConversationId to alter")
		return
	}
	p.Envelope = env
	c.sent("the eb:ConversationId was altered after signing")
	a, err := k.post(ctx, c, p)
	if err != nil {
		return
	}
	k.errorSignal(c, a, as4.FailedAuthentication)
}

// clonePMode copies the parties and legs of pm so that a case may change
// them.
func clonePMode(pm *pmode.Config) *pmode.Config {
	out := &pmode.Config{Self: pm.Self, Parties: append([]pmode.Party(nil), pm.Parties...), Legs: append([]pmode.Leg(nil), pm.Legs...)}
	for i := range out.Parties {
		out.Parties[i].IDs = append([]pmode.PartyID(nil), out.Parties[i].IDs...)
	}
	return out
}

// refused packs a message under pm (signed with signer when it is not
// nil), posts it, and checks that the node answers with an error signal of
// one of codes.
func (k *as4Kit) refused(ctx context.Context, c *Case, pm *pmode.Config, signer *pki.Credential, codes ...as4.Code) {
	p, _, ok := k.pack(c, pm, signer)
	if !ok {
		return
	}
	defer p.Close()
	a, err := k.post(ctx, c, p)
	if err != nil {
		return
	}
	k.errorSignal(c, a, codes...)
}

func (k *as4Kit) caseUnsigned(ctx context.Context, c *Case) {
	pm := clonePMode(k.t.PMode)
	for i := range pm.Legs {
		if pm.Legs[i].Name == k.t.Leg {
			pm.Legs[i].Security = pmode.Security{Profile: pmode.ProfileNone}
			pm.Legs[i].Reliability.NonRepudiation = false
		}
	}
	k.refused(ctx, c, pm, nil, as4.PolicyNoncompliance)
}

func (k *as4Kit) caseUnknownParty(ctx context.Context, c *Case) {
	pm := clonePMode(k.t.PMode)
	self := party(pm, pm.Self)
	for i := range self.IDs {
		self.IDs[i].Value = "conformance-unknown-party"
	}
	k.refused(ctx, c, pm, nil, as4.ValueNotRecognized, as4.ProcessingModeMismatch)
}

func (k *as4Kit) caseUntrusted(ctx context.Context, c *Case) {
	prof := wssec.AS4v115
	if k.profile == wssec.AS4v20 {
		prof = wssec.AS4v20
	}
	opt := &pki.Options{Now: k.cfg.Now().Add(-time.Hour)}
	ca, err := pki.NewCA("conformance kit untrusted CA", prof, opt)
	if err != nil {
		c.fail("making the untrusted CA: %v", err)
		return
	}
	cred, err := pki.Issue(ca, k.t.PMode.Self, prof, opt)
	if err != nil {
		c.fail("issuing the untrusted certificate: %v", err)
		return
	}
	c.sent("signed with a certificate issued by a CA the node does not trust (%s)", cred.Sign.Cert.Issuer)
	k.refused(ctx, c, k.t.PMode, cred.Sign, as4.FailedAuthentication)
}

// caseWrongParty: the sender trust validation of Domibus. A certificate
// the node trusts speaks for its own party only: a message of the kit
// signed with a third party's certificate, or (without one) a message
// that claims to come from the node itself signed with the kit's
// certificate, must be refused.
func (k *as4Kit) caseWrongParty(ctx context.Context, c *Case) {
	if k.t.ThirdPartyKey != nil {
		c.sent("eb:From is the kit (%s); signed with the certificate of another party, %s", k.t.PMode.Self, k.t.ThirdPartyCert.Subject)
		k.refused(ctx, c, k.t.PMode, &pki.Credential{Key: k.t.ThirdPartyKey, Cert: k.t.ThirdPartyCert}, as4.FailedAuthentication)
		return
	}
	pm := clonePMode(k.t.PMode)
	pm.Self = k.t.Node
	c.sent("eb:From is the node itself (%s); signed with the kit's certificate, %s", k.t.Node, k.t.SigningCert.Subject)
	k.refused(ctx, c, pm, nil, as4.FailedAuthentication)
}

func (k *as4Kit) caseCompression(ctx context.Context, c *Case) {
	switch {
	case !k.leg.Payload.Compress:
		c.skip(fmt.Sprintf("leg %s does not compress payloads", k.leg.Name))
		return
	case k.t.API == "":
		c.skip("no backend API URL given: the delivered content cannot be read")
		return
	case k.firstID == "":
		c.fail("AS4-01 did not deliver a message to look at")
		return
	}
	m, err := k.waitInbox(ctx, c, k.firstID)
	if err != nil {
		c.fail("fetching %s from the node's inbox: %v", k.firstID, err)
		return
	}
	if len(m.Payloads) != 1 {
		c.fail("message %s is delivered with %d payloads, expected 1", k.firstID, len(m.Payloads))
		return
	}
	if !bytes.Equal(m.Payloads[0].Data, k.firstContent) {
		c.fail("the delivered payload of %s differs from the one sent gzip-compressed (%d bytes delivered, %d sent): %.80q", k.firstID, len(m.Payloads[0].Data), len(k.firstContent), m.Payloads[0].Data)
	}
	if m.Payloads[0].MimeType != "application/x-ebrs+xml" {
		c.fail("the delivered payload has MIME type %q, expected the MimeType part property application/x-ebrs+xml", m.Payloads[0].MimeType)
	}
}

func (k *as4Kit) caseOversized(ctx context.Context, c *Case) {
	size := k.t.MaxBodySize + 1
	req, err := http.NewRequest(http.MethodPost, k.t.Endpoint, io.LimitReader(zeros{}, size))
	if err != nil {
		c.fail("%v", err)
		return
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", `multipart/related; type="application/soap+xml"; boundary=conformance`)
	c.sent("POST %s with a body of %d bytes (the node's limit plus one)", k.t.Endpoint, size)
	resp, err := k.cfg.Client.Do(req.WithContext(ctx))
	if err != nil {
		c.fail("expected HTTP 413 or an EBMS:0007 signal, the connection failed: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	a := rawAnswer{caseID: c.ID, status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
	c.got("%s", a)
	if a.status == http.StatusRequestEntityTooLarge && !strings.Contains(a.contentType, "soap+xml") {
		return
	}
	if a.status/100 == 2 {
		c.fail("the oversized body was answered HTTP %d", a.status)
		return
	}
	k.errorSignal(c, a, as4.MimeInconsistency)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func (k *as4Kit) caseErrorsSigned(_ context.Context, c *Case) {
	if len(k.signals) == 0 {
		c.skip("no ebMS Error signal was received from the node")
		return
	}
	for _, a := range k.signals {
		if _, err := as4.ReadSignal(a.contentType, bytes.NewReader(a.body), k.verifyConfig()); err != nil {
			c.fail("the Error signal answering case %s is not validly signed: %v", a.caseID, err)
		}
	}
	c.sent("checked the signatures of %d Error signal(s)", len(k.signals))
}

// inboxMessage is a message of the node's backend API.
type inboxMessage struct {
	MessageID  string `json:"messageId"`
	Properties []struct {
		Name, Type, Value string
	} `json:"properties"`
	Payloads []struct {
		MimeType string `json:"mimeType"`
		Data     []byte `json:"data"`
	} `json:"payloads"`
}

// api calls the node's backend API and decodes its JSON answer.
func (k *as4Kit) api(ctx context.Context, method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(k.t.API, "/")+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.t.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+k.t.APIToken)
	}
	resp, err := k.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %.200s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// inboxCount counts the entries of the node's inbox (acknowledged or not)
// carrying eb:MessageId id.
func (k *as4Kit) inboxCount(ctx context.Context, c *Case, id string) (int, error) {
	n := 0
	var after int64
	for range 1000 {
		var page struct {
			Messages []struct {
				MessageID string `json:"messageId"`
			} `json:"messages"`
			Next int64 `json:"next"`
		}
		if _, err := k.api(ctx, http.MethodGet, fmt.Sprintf("/api/v1/inbox?all=true&limit=1000&after=%d", after), nil, &page); err != nil {
			return 0, err
		}
		for _, m := range page.Messages {
			if m.MessageID == id {
				n++
			}
		}
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	c.got("GET %s/api/v1/inbox?all=true: eb:MessageId %s listed %d time(s)", k.t.API, id, n)
	return n, nil
}

// waitInbox fetches a received message from the node's inbox.
func (k *as4Kit) waitInbox(ctx context.Context, c *Case, id string) (*inboxMessage, error) {
	m := &inboxMessage{}
	status, err := k.api(ctx, http.MethodGet, "/api/v1/inbox/"+url.PathEscape(id), nil, m)
	if err != nil {
		if status == http.StatusNotFound {
			return nil, fmt.Errorf("the node did not deliver it: %w", err)
		}
		return nil, err
	}
	c.got("GET %s/api/v1/inbox/%s: %d payload(s), %d propertie(s)", k.t.API, id, len(m.Payloads), len(m.Properties))
	return m, nil
}
