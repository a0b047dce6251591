package as4_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// testNow is the clock of every test: certificates and timestamps agree.
var testNow = time.Date(2026, 1, 15, 9, 8, 0, 0, time.UTC)

func clock() time.Time { return testNow }

const (
	gatewayRole = "http://sdg.europa.eu/edelivery/gateway"
	ootsIDType  = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots"
	ebrsType    = "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0"
)

// config returns the P-Modes of the tests: a request leg under the given
// security profile (compressed) and a response leg without security.
func config(profile wssec.Profile) *pmode.Config {
	party := func(n string) pmode.Party {
		return pmode.Party{Name: n, IDs: []pmode.PartyID{{Type: ootsIDType, Value: n}}, Endpoint: "https://" + strings.ToLower(n) + ".example/as4/msh"}
	}
	leg := func(name, action string, profile wssec.Profile, compress bool) pmode.Leg {
		l := pmode.Leg{
			Name: name, MEP: pmode.MEPOneWay, Binding: pmode.BindingPush,
			Initiator: pmode.PartyRole{Parties: []string{"AP_FR_01", "AP_DE_01"}, Role: gatewayRole},
			Responder: pmode.PartyRole{Parties: []string{"AP_FR_01", "AP_DE_01"}, Role: gatewayRole},
			Service:   pmode.Service{Value: "QueryManager", Type: ebrsType},
			Action:    action,
			Security:  pmode.Security{Profile: profile, Sign: profile != pmode.ProfileNone, Encrypt: profile != pmode.ProfileNone},
			Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: profile != pmode.ProfileNone,
				Retry: &pmode.Retry{Timeout: 12 * time.Minute, Count: 4, Strategy: pmode.RetryConstant}, DuplicateDetection: true},
			Properties: []pmode.PropertyDef{{Name: "originalSender", Required: true}, {Name: "finalRecipient", Required: true},
				{Name: "ExchangeId"}, {Name: "SpecificationId"}},
			Payload:       pmode.PayloadProfile{Compress: compress},
			ErrorHandling: pmode.ErrorHandling{AsResponse: true},
		}
		return l
	}
	return &pmode.Config{
		Parties: []pmode.Party{party("AP_FR_01"), party("AP_DE_01")},
		Legs: []pmode.Leg{
			leg("ootsRequestLeg", "ExecuteQueryRequest", profile, true),
			leg("ootsResponseLeg", "ExecuteQueryResponse", pmode.ProfileNone, false),
		},
	}
}

type fixture struct {
	profile          wssec.Profile
	ca               *pki.Credential
	sender, receiver *pki.Party
	store            *trust.Store
}

var (
	fixMu    sync.Mutex
	fixtures = map[wssec.Profile]*fixture{}
)

// getFixture makes (once per test binary) a CA and two access points.
func getFixture(tb testing.TB, profile wssec.Profile) *fixture {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if f := fixtures[profile]; f != nil {
		return f
	}
	kind := wssec.AS4v115
	if profile == wssec.AS4v20 {
		kind = wssec.AS4v20
	}
	opt := &pki.Options{Now: testNow.Add(-24 * time.Hour)}
	ca, err := pki.NewCA("oots test CA", kind, opt)
	if err != nil {
		tb.Fatal(err)
	}
	fr, err := pki.Issue(ca, "AP_FR_01", kind, opt)
	if err != nil {
		tb.Fatal(err)
	}
	de, err := pki.Issue(ca, "AP_DE_01", kind, opt)
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{profile: profile, ca: ca, sender: fr, receiver: de, store: trust.NewStore(ca.Cert)}
	fixtures[profile] = f
	return f
}

func (f *fixture) senderOf(tb testing.TB, c *pmode.Config) *as4.Sender {
	return &as4.Sender{PMode: c, SigningKey: f.sender.Sign.Signer(), SigningCert: f.sender.Sign.Cert,
		PeerCert: f.receiver.Encrypt.Cert, Now: clock, TempDir: tb.TempDir()}
}

func (f *fixture) receiverOf(tb testing.TB, c *pmode.Config) *as4.Receiver {
	return &as4.Receiver{PMode: c, DecryptionKey: f.receiver.Encrypt.Key, Trust: f.store, Now: clock, TempDir: tb.TempDir()}
}

func memPayload(id, mime, content string) as4.Payload {
	return as4.Payload{ContentID: id, MimeType: mime, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	}}
}

func request() *as4.Outbound {
	return &as4.Outbound{
		Leg: "ootsRequestLeg", From: "AP_FR_01", To: "AP_DE_01",
		Properties: []as4.Property{
			{Name: "originalSender", Type: "urn:cef.eu:names:identifier:EAS:0009", Value: "00000000000002"},
			{Name: "finalRecipient", Type: "urn:cef.eu:names:identifier:EAS:9930", Value: "DE73524311"},
			{Name: "SpecificationId", Value: "oots-edm:v2.0"},
		},
		Payloads: []as4.Payload{
			memPayload("request@oots.eu", "application/x-ebrs+xml", `<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0"/>`),
			memPayload("", "application/pdf", strings.Repeat("%PDF-1.7 binary\x00\xff", 1000)),
		},
	}
}

// wire writes p as the HTTP request an access point posts and reads it back
// as the receiving server does.
func wire(tb testing.TB, p *as4.Packed) *http.Request {
	tb.Helper()
	var buf bytes.Buffer
	if err := p.WriteRequest(&buf, ""); err != nil {
		tb.Fatal(err)
	}
	req, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func readAll(tb testing.TB, pl as4.Payload) string {
	tb.Helper()
	rc, err := pl.Open()
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

var profiles = []wssec.Profile{wssec.AS4v115, wssec.AS4v20, pmode.ProfileNone}

// A legVariant is the request leg under one of the profiles, encrypted or
// (a secured profile only) signed only.
type legVariant struct {
	name    string // the subtest's: the profile, "-sign-only" when not encrypted
	profile wssec.Profile
	encrypt bool
}

// legVariants lists, per profile, the encrypted leg and then, for a secured
// profile, the signed-only one.
func legVariants() []legVariant {
	var vs []legVariant
	for _, profile := range profiles {
		vs = append(vs, legVariant{string(profile), profile, true})
		if profile != pmode.ProfileNone {
			vs = append(vs, legVariant{string(profile) + "-sign-only", profile, false})
		}
	}
	return vs
}

// config returns the P-Modes of the variant: a signed-only leg sends its
// payloads uncompressed, as they are signed.
func (v legVariant) config() *pmode.Config {
	c := config(v.profile)
	if !v.encrypt {
		c.Legs[0].Security.Encrypt = false
		c.Legs[0].Payload.Compress = false
	}
	return c
}

// packRequest packs request() with f's sender under c; the packed message is
// closed when the test ends.
func (f *fixture) packRequest(tb testing.TB, c *pmode.Config) *as4.Packed {
	tb.Helper()
	p, err := f.senderOf(tb, c).Pack(request())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// bodyOf returns the multipart/related body of p as it is posted.
func bodyOf(tb testing.TB, p *as4.Packed) []byte {
	tb.Helper()
	var body bytes.Buffer
	if err := p.WriteBody(&body); err != nil {
		tb.Fatal(err)
	}
	return body.Bytes()
}

// unpack has f's receiver under c take body; the inbound message is closed
// when the test ends.
func (f *fixture) unpack(tb testing.TB, c *pmode.Config, contentType string, body []byte) *as4.Inbound {
	tb.Helper()
	in, err := f.receiverOf(tb, c).Unpack(contentType, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { in.Close() })
	return in
}

// samePayloads checks the content of each payload of in against the one of
// out at its index.
func samePayloads(tb testing.TB, in *as4.Inbound, out *as4.Outbound) {
	tb.Helper()
	for i, pl := range in.Payloads {
		if got, want := readAll(tb, pl), readAll(tb, out.Payloads[i]); got != want {
			tb.Errorf("payload %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, profile := range profiles {
		t.Run(string(profile), func(t *testing.T) {
			f := getFixture(t, profile)
			c := config(profile)
			out := request()
			p, err := f.senderOf(t, c).Pack(out)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			req := wire(t, p)
			if req.URL.Path != "/as4/msh" || req.Host != "ap_de_01.example" || req.ContentLength <= 0 {
				t.Errorf("request line/host: %s %s %s, length %d", req.Method, req.Host, req.URL, req.ContentLength)
			}
			r := f.receiverOf(t, c)
			in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			um := in.UserMessage
			if um.MessageInfo.MessageID != p.UserMessage.MessageInfo.MessageID || um.CollaborationInfo.Action != "ExecuteQueryRequest" ||
				um.PartyInfo.From.PartyIDs[0].Value != "AP_FR_01" || um.PartyInfo.To.PartyIDs[0].Value != "AP_DE_01" {
				t.Errorf("header = %+v", um)
			}
			if v, _ := um.Property("originalSender"); v != "00000000000002" {
				t.Errorf("originalSender = %q", v)
			}
			if len(in.Payloads) != 2 {
				t.Fatalf("%d payloads", len(in.Payloads))
			}
			for i, pl := range in.Payloads {
				want := readAll(t, out.Payloads[i])
				if got := readAll(t, pl); got != want {
					t.Errorf("payload %d: got %d bytes, want %d", i, len(got), len(want))
				}
				if pl.MimeType != out.Payloads[i].MimeType {
					t.Errorf("payload %d MimeType %q", i, pl.MimeType)
				}
				if ct, _ := um.PayloadInfo[i].Property(as4.PropCompressionType); ct != as4.GzipMediaType {
					t.Errorf("payload %d not compressed: %q", i, ct)
				}
			}
			if in.Payloads[0].ContentID != "request@oots.eu" || !strings.HasSuffix(in.Payloads[1].ContentID, "@oots") {
				t.Errorf("content ids %q %q", in.Payloads[0].ContentID, in.Payloads[1].ContentID)
			}

			// The receipt, signed by the receiver, verified by the sender.
			rc, err := r.Receipt(in)
			if err != nil {
				t.Fatal(err)
			}
			nrr := rc.SignalMessages[0].Receipt.NonRepudiation
			if profile != pmode.ProfileNone && len(nrr) != 4 { // Messaging, Body, two attachments (no Timestamp by default)
				t.Errorf("receipt has %d NRR references, want 4", len(nrr))
			}
			var signCfg *wssec.SignConfig
			var verifyCfg *wssec.VerifyConfig
			if profile != pmode.ProfileNone {
				signCfg = &wssec.SignConfig{Profile: wssec.Profile(profile), SigningKey: f.receiver.Sign.Signer(), SigningCert: f.receiver.Sign.Cert, Now: clock}
				verifyCfg = &wssec.VerifyConfig{Profile: wssec.Profile(profile), RequireSignature: true, Trust: f.store, Now: clock}
			}
			env, err := as4.SignSignal(rc, signCfg)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := as4.ReadSignal("application/soap+xml", bytes.NewReader(env), verifyCfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := as4.CheckReceipt(p, sig); err != nil {
				t.Fatalf("receipt rejected: %v", err)
			}
			// The same with the sent envelope read back from its bytes (an
			// Envelope that is not the one Pack serialized).
			packedEnv := p.Envelope
			p.Envelope = bytes.Clone(packedEnv)
			if err := as4.CheckReceipt(p, sig); err != nil {
				t.Fatalf("receipt rejected against the re-read envelope: %v", err)
			}
			p.Envelope = packedEnv
			if profile != pmode.ProfileNone {
				// A receipt whose NRR digest differs is invalid.
				sig.Receipt.NonRepudiation[2].DigestValue[0] ^= 1
				var e *as4.Error
				if err := as4.CheckReceipt(p, sig); !errors.As(err, &e) || e.Code != as4.InvalidReceipt {
					t.Errorf("tampered NRR: err = %v, want EBMS:0302", err)
				}
				// A tampered signed receipt fails verification.
				bad := bytes.Replace(env, []byte(p.UserMessage.MessageInfo.MessageID), []byte("other@oots"), 1)
				if _, err := as4.ReadSignal("application/soap+xml", bytes.NewReader(bad), verifyCfg); !errors.As(err, &e) || e.Code != as4.FailedAuthentication {
					t.Errorf("tampered receipt: err = %v, want EBMS:0101", err)
				}
			}
		})
	}
}

func TestErrorSignalSigned(t *testing.T) {
	for _, profile := range profiles[:2] {
		t.Run(string(profile), func(t *testing.T) {
			f := getFixture(t, profile)
			r := f.receiverOf(t, config(profile))
			m, err := r.ErrorSignal(as4.Errorf(as4.ValueInconsistent, "required property %q missing", "finalRecipient"))
			if err != nil {
				t.Fatal(err)
			}
			m.SignalMessages[0].Errors[0].RefToMessageInError = "m1@oots"
			signCfg := &wssec.SignConfig{Profile: wssec.Profile(profile), SigningKey: f.receiver.Sign.Signer(), SigningCert: f.receiver.Sign.Cert, Now: clock}
			env, err := as4.SignSignal(m, signCfg)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := as4.ReadSignal("application/soap+xml", bytes.NewReader(env), &wssec.VerifyConfig{Profile: wssec.Profile(profile), RequireSignature: true, Trust: f.store, Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			if len(sig.Errors) != 1 {
				t.Fatalf("%d errors", len(sig.Errors))
			}
			e := sig.Errors[0]
			if e.Code != as4.ValueInconsistent || e.Severity != "failure" || e.Category != "Content" ||
				e.ShortDescription != "ValueInconsistent" || e.RefToMessageInError != "m1@oots" || !strings.Contains(e.Detail, "finalRecipient") {
				t.Errorf("error = %+v", e)
			}
		})
	}
}

// rawMessage packs an envelope and parts as they are, without any check.
func rawMessage(tb testing.TB, env string, parts ...swa.Part) (string, []byte) {
	tb.Helper()
	w, err := swa.NewWriter(nil)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, []byte(env), parts); err != nil {
		tb.Fatal(err)
	}
	return w.ContentType(), buf.Bytes()
}

// unsignedEnvelope packs an unsecured request and returns its envelope and parts.
func unsignedMessage(tb testing.TB, edit func(*as4.Outbound)) *as4.Packed {
	tb.Helper()
	c := config(pmode.ProfileNone)
	out := request()
	if edit != nil {
		edit(out)
	}
	s := &as4.Sender{PMode: c, Now: clock, TempDir: tb.TempDir()}
	p, err := s.Pack(out)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

func TestUnpackRejects(t *testing.T) {
	plain := unsignedMessage(t, nil)
	env := string(plain.Envelope)
	cases := []struct {
		name    string
		profile wssec.Profile // the receiver's leg
		ct      string
		body    func() []byte
		want    as4.Code
	}{
		{"malformed MIME", pmode.ProfileNone, "", func() []byte { return []byte("garbage") }, as4.MimeInconsistency},
		{"wrong content type", pmode.ProfileNone, "text/plain", func() []byte { return []byte("x") }, as4.MimeInconsistency},
		{"missing start part", pmode.ProfileNone, "multipart/related; type=\"application/soap+xml\"; boundary=b; start=\"<x>\"",
			func() []byte {
				return []byte("--b\r\nContent-Type: application/soap+xml\r\nContent-ID: <y>\r\n\r\n<e/>\r\n--b--\r\n")
			}, as4.MimeInconsistency},
		{"XML bomb", pmode.ProfileNone, "application/soap+xml", func() []byte {
			return []byte(`<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><e>&b;</e>`)
		}, as4.InvalidHeader},
		{"deep nesting", pmode.ProfileNone, "application/soap+xml", func() []byte {
			return []byte(strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100))
		}, as4.InvalidHeader},
		{"SOAP 1.1", pmode.ProfileNone, "application/soap+xml", func() []byte {
			return []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/><s:Body/></s:Envelope>`)
		}, as4.FeatureNotSupportedPackaging},
		{"missing eb:Messaging", pmode.ProfileNone, "application/soap+xml", func() []byte {
			return []byte(`<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"><S12:Header/><S12:Body/></S12:Envelope>`)
		}, as4.InvalidHeader},
		{"unknown PartInfo href", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, "cid:request@oots.eu", "cid:elsewhere@oots.eu", 1), plain.Parts...)
			return b
		}, as4.ExternalPayloadError},
		{"attachment without PartInfo", pmode.ProfileNone, "", func() []byte {
			extra := append(append([]swa.Part(nil), plain.Parts...), swa.Part{ContentID: "extra@oots", Header: map[string][]string{"Content-Type": {"text/plain"}},
				Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }})
			_, b := rawMessage(t, env, extra...)
			return b
		}, as4.ValueInconsistent},
		{"body payload", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, "<S12:Body/>", "<S12:Body><x/></S12:Body>", 1), plain.Parts...)
			return b
		}, as4.ValueInconsistent},
		{"unknown action", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, "ExecuteQueryRequest", "Other", 1), plain.Parts...)
			return b
		}, as4.ProcessingModeMismatch},
		{"unknown party", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, ">AP_FR_01<", ">AP_XX_01<", 1), plain.Parts...)
			return b
		}, as4.ValueNotRecognized},
		{"wrong role", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, gatewayRole, "urn:other", 1), plain.Parts...)
			return b
		}, as4.ProcessingModeMismatch},
		{"missing required property", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, `name="finalRecipient"`, `name="ExchangeId"`, 1), plain.Parts...)
			return b
		}, as4.ValueInconsistent},
		{"property outside the set", pmode.ProfileNone, "", func() []byte {
			_, b := rawMessage(t, strings.Replace(env, `name="SpecificationId"`, `name="Unknown"`, 1), plain.Parts...)
			return b
		}, as4.ValueNotRecognized},
		{"duplicate Content-ID", pmode.ProfileNone, "", func() []byte {
			two := []swa.Part{plain.Parts[0], plain.Parts[0]}
			two[1].ContentID = plain.Parts[1].ContentID
			ct, b := rawMessage(t, env, two...)
			_ = ct
			return bytes.Replace(b, []byte("<"+plain.Parts[1].ContentID+">"), []byte("<"+plain.Parts[0].ContentID+">"), 1)
		}, as4.MimeInconsistency},
		{"unsigned message on a signed leg", wssec.AS4v115, "", func() []byte {
			_, b := rawMessage(t, env, plain.Parts...)
			return b
		}, as4.PolicyNoncompliance},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body()
			ct := c.ct
			if ct == "" {
				// Find the boundary written into the body.
				line, _, _ := bytes.Cut(body, []byte("\r\n"))
				ct = `multipart/related; type="application/soap+xml"; boundary="` + string(bytes.TrimPrefix(line, []byte("--"))) + `"`
			}
			f := getFixture(t, wssec.AS4v115)
			r := f.receiverOf(t, config(c.profile))
			in, err := r.Unpack(ct, bytes.NewReader(body))
			if err == nil {
				in.Close()
				t.Fatal("accepted")
			}
			var e *as4.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, not an *as4.Error", err)
			}
			if e.Code != c.want {
				t.Errorf("code = %s (%v), want %s", e.Code, err, c.want)
			}
		})
	}
}

func TestUnpackSecurityFailures(t *testing.T) {
	for _, profile := range profiles[:2] {
		f := getFixture(t, profile)
		c := config(profile)
		c.Legs[0].Security.Timestamp = pmode.TimestampRequired // for the expired Timestamp
		p := f.packRequest(t, c)
		body := bodyOf(t, p)
		ct := p.ContentType()
		cases := []struct {
			name string
			edit func([]byte) []byte
			r    func(*as4.Receiver)
			want as4.Code
		}{
			{"tampered header", func(b []byte) []byte { return bytes.Replace(b, []byte("00000000000002"), []byte("00000000000003"), 1) }, nil, as4.FailedAuthentication},
			{"tampered attachment", func(b []byte) []byte {
				i := bytes.LastIndex(b, []byte("\r\n\r\n")) + 10
				b = bytes.Clone(b)
				b[i] ^= 1
				return b
			}, nil, as4.FailedDecryption},
			{"untrusted sender", nil, func(r *as4.Receiver) { r.Trust = trust.NewStore() }, as4.FailedAuthentication},
			{"expired timestamp", nil, func(r *as4.Receiver) { r.Now = func() time.Time { return testNow.Add(time.Hour) } }, as4.FailedAuthentication},
		}
		for _, tc := range cases {
			t.Run(string(profile)+"/"+tc.name, func(t *testing.T) {
				b := body
				if tc.edit != nil {
					b = tc.edit(b)
				}
				r := f.receiverOf(t, c)
				if tc.r != nil {
					tc.r(r)
				}
				in, err := r.Unpack(ct, bytes.NewReader(b))
				if err == nil {
					in.Close()
					t.Fatal("accepted")
				}
				var e *as4.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v", err)
				}
				if e.Code != tc.want && !(tc.want == as4.FailedAuthentication && e.Code == as4.PolicyNoncompliance) {
					t.Errorf("code = %s (%v), want %s", e.Code, err, tc.want)
				}
				if e.RefToMessageInError != p.UserMessage.MessageInfo.MessageID {
					t.Errorf("RefToMessageInError = %q", e.RefToMessageInError)
				}
			})
		}
	}
}

// TestReceiverEnvelopeLimits: a receiver's EnvelopeLimits bound the SOAP
// envelope it reads (EBMS:0009 beyond them); another receiver keeps the
// defaults.
func TestReceiverEnvelopeLimits(t *testing.T) {
	plain := unsignedMessage(t, nil)
	ct, b := rawMessage(t, string(plain.Envelope), plain.Parts...)
	f := getFixture(t, wssec.AS4v115)
	strict := f.receiverOf(t, config(pmode.ProfileNone))
	lim := as4.DefaultEnvelopeLimits()
	lim.MaxElements = 5
	strict.EnvelopeLimits = &lim
	_, err := strict.Unpack(ct, bytes.NewReader(b))
	var e *as4.Error
	if !errors.As(err, &e) || e.Code != as4.InvalidHeader {
		t.Fatalf("beyond the receiver's limits: err = %v, want EBMS:0009", err)
	}
	in, err := f.receiverOf(t, config(pmode.ProfileNone)).Unpack(ct, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("with the default limits: %v", err)
	}
	in.Close()
	if d := as4.DefaultEnvelopeLimits(); d.MaxElements != 20_000 || d.MaxBytes != 4<<20 {
		t.Errorf("DefaultEnvelopeLimits() = %+v after a receiver changed its own", d)
	}
}

func TestDecompressionFailure(t *testing.T) {
	plain := unsignedMessage(t, nil)
	parts := append([]swa.Part(nil), plain.Parts...)
	parts[0].Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("not gzip")), nil }
	ct, b := rawMessage(t, string(plain.Envelope), parts...)
	f := getFixture(t, wssec.AS4v115)
	in, err := f.receiverOf(t, config(pmode.ProfileNone)).Unpack(ct, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = in.Payloads[0].Open()
	var e *as4.Error
	if !errors.As(err, &e) || e.Code != as4.DecompressionFailure {
		t.Fatalf("err = %v, want EBMS:0303", err)
	}
}

func TestPackChecksItsOwnMessage(t *testing.T) {
	c := config(pmode.ProfileNone)
	s := &as4.Sender{PMode: c, Now: clock}
	cases := []struct {
		name string
		edit func(*as4.Outbound)
		want as4.Code
	}{
		{"unknown leg", func(o *as4.Outbound) { o.Leg = "nope" }, as4.ProcessingModeMismatch},
		{"party not on the leg", func(o *as4.Outbound) { o.To = "AP_XX_01" }, as4.ProcessingModeMismatch},
		{"missing required property", func(o *as4.Outbound) { o.Properties = o.Properties[:1] }, as4.ValueInconsistent},
		{"payload without MimeType", func(o *as4.Outbound) { o.Payloads[0].MimeType = "" }, as4.ValueInconsistent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := request()
			tc.edit(o)
			_, err := s.Pack(o)
			var e *as4.Error
			if !errors.As(err, &e) || e.Code != tc.want {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}

func ExampleSender_Pack() {
	c := config(pmode.ProfileNone) // see TestRoundTrip for the signed and encrypted profiles
	s := &as4.Sender{PMode: c, Now: clock}
	p, err := s.Pack(&as4.Outbound{
		Leg: "ootsRequestLeg", From: "AP_FR_01", To: "AP_DE_01", MessageID: "m1@oots.example",
		Properties: []as4.Property{{Name: "originalSender", Value: "FR/123"}, {Name: "finalRecipient", Value: "DE/456"}},
		Payloads:   []as4.Payload{memPayload("query@oots.example", "application/x-ebrs+xml", "<QueryRequest/>")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	var req bytes.Buffer
	if err := p.WriteRequest(&req, ""); err != nil {
		fmt.Println(err)
		return
	}
	hr, _ := http.ReadRequest(bufio.NewReader(&req))
	fmt.Println(hr.Method, hr.Host, hr.URL.Path)

	r := &as4.Receiver{PMode: c, Now: clock}
	in, err := r.Unpack(hr.Header.Get("Content-Type"), hr.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	um := in.UserMessage
	fmt.Println(um.MessageInfo.MessageID, um.CollaborationInfo.Action)
	rc, _ := in.Payloads[0].Open()
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(in.Payloads[0].MimeType, string(b))
	// Output:
	// POST ap_de_01.example /as4/msh
	// m1@oots.example ExecuteQueryRequest
	// application/x-ebrs+xml <QueryRequest/>
}

// FuzzUnpack feeds arbitrary HTTP bodies to a receiver whose legs are the
// unsecured and the RSA-secured one: whatever comes in, the answer is a
// result or an *as4.Error, never a panic.
func FuzzUnpack(f *testing.F) {
	plain := unsignedMessage(f, nil)
	var body bytes.Buffer
	if err := plain.WriteBody(&body); err != nil {
		f.Fatal(err)
	}
	f.Add(plain.ContentType(), body.Bytes())
	f.Add("application/soap+xml", plain.Envelope)
	fx := getFixture(f, wssec.AS4v115)
	c := config(wssec.AS4v115)
	c.Legs[1].Security = pmode.Security{Profile: pmode.ProfileNone}
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		r := fx.receiverOf(t, c)
		in, err := r.Unpack(ct, bytes.NewReader(b))
		if err != nil {
			var e *as4.Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *as4.Error: %v", err)
			}
			if _, ok := as4.Catalogue(e.Code); !ok {
				t.Fatalf("code %q outside the catalogue", e.Code)
			}
			return
		}
		for _, pl := range in.Payloads {
			if rc, err := pl.Open(); err == nil {
				io.Copy(io.Discard, rc)
				rc.Close()
			}
		}
		in.Close()
	})
}

// Signature wrapping at the ebMS layer: a forged eb:Messaging takes the place
// of the signed one, which is moved (wrapped), duplicated, or re-identified.
// Unpack either rejects the message or goes on with the signed header only;
// the forged values never come out.
func TestSignatureWrapping(t *testing.T) {
	f := getFixture(t, wssec.AS4v115)
	c := config(wssec.AS4v115)
	p := f.packRequest(t, c)
	const forged = "66666666666666"
	variants := map[string]func(hdr, signed, fake *xmltree.Element){
		"moved into a wrapper": func(hdr, signed, fake *xmltree.Element) {
			hdr.RemoveChild(signed)
			w := hdr.AddElement("urn:attacker", "x", "Wrapper")
			w.AddChild(signed)
			hdr.InsertChild(0, fake)
		},
		"duplicated": func(hdr, signed, fake *xmltree.Element) {
			hdr.InsertChild(0, fake)
		},
		"re-identified": func(hdr, signed, fake *xmltree.Element) {
			id := signed.SelectAttr(as4.NamespaceWSU, "Id")
			signed.SetAttr(as4.NamespaceWSU, "wsu", "Id", "moved-"+id)
			hdr.RemoveChild(signed)
			hdr.AddElement("urn:attacker", "x", "Wrapper").AddChild(signed)
			hdr.InsertChild(0, fake)
		},
		"in the body": func(hdr, signed, fake *xmltree.Element) {
			hdr.RemoveChild(signed)
			hdr.Parent().Elements()[1].AddChild(signed)
			hdr.InsertChild(0, fake)
		},
	}
	for name, wrap := range variants {
		t.Run(name, func(t *testing.T) {
			doc, err := xmltree.ParseBytes(p.Envelope, nil)
			if err != nil {
				t.Fatal(err)
			}
			hdr := doc.Root.Child(as4.NamespaceSOAP12, "Header")
			signed := hdr.Child(as4.NamespaceEB, "Messaging")
			fake := signed.Copy()
			fake.Walk(func(e *xmltree.Element) bool {
				if e.Is(as4.NamespaceEB, "Property") && e.SelectAttr("", "name") == "originalSender" {
					e.SetText(forged)
				}
				return true
			})
			wrap(hdr, signed, fake)
			ct, body := rawMessage(t, string(doc.Bytes()), p.Parts...)
			in, err := f.receiverOf(t, c).Unpack(ct, bytes.NewReader(body))
			if err != nil {
				var e *as4.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v", err)
				}
				t.Logf("rejected: %v", e)
				return // rejected: fine
			}
			defer in.Close()
			if v, _ := in.UserMessage.Property("originalSender"); v == forged {
				t.Fatal("the forged header came out of Unpack")
			}
		})
	}
}

func TestReadSignalEmptyResponse(t *testing.T) {
	_, err := as4.ReadSignal("application/soap+xml", strings.NewReader(""), nil)
	var e *as4.Error
	if !errors.As(err, &e) || e.Code != as4.MissingReceipt {
		t.Fatalf("err = %v, want EBMS:0301", err)
	}
}

func TestPayloadMaxSize(t *testing.T) {
	for _, compress := range []bool{true, false} {
		c := config(pmode.ProfileNone)
		c.Legs[0].Payload.Compress = compress
		p, err := (&as4.Sender{PMode: c, Now: clock}).Pack(request())
		if err != nil {
			t.Fatal(err)
		}
		req := wire(t, p)
		c.Legs[0].Payload.MaxSize = 1000 // the second payload has 16000 bytes
		in, err := (&as4.Receiver{PMode: c, Now: clock}).Unpack(req.Header.Get("Content-Type"), req.Body)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, in.Payloads[0])
		rc, err := in.Payloads[1].Open()
		if err == nil {
			_, err = io.ReadAll(rc)
			rc.Close()
		}
		want := as4.ProcessingModeMismatch
		if compress {
			want = as4.DecompressionFailure
		}
		var e *as4.Error
		if !errors.As(err, &e) || e.Code != want {
			t.Errorf("compress %v: err = %v, want %s", compress, err, want)
		}
		in.Close()
		p.Close()
	}
}

// Temporary files (compressed and encrypted parts on the sending side,
// spilled and decrypted parts on the receiving side) are removed by Close,
// and by Unpack itself when it rejects a message.
func TestTemporaryFilesRemoved(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	c := config(wssec.AS4v20)
	s, r := f.senderOf(t, c), f.receiverOf(t, c)
	big := strings.Repeat("0123456789abcdef", 1<<17) // 2 MiB: past every in-memory threshold
	out := request()
	out.Payloads = append(out.Payloads, memPayload("big@oots", "text/plain", big))
	c.Legs[0].Payload.Compress = false
	p, err := s.Pack(out)
	if err != nil {
		t.Fatal(err)
	}
	count := func(dir string) int {
		es, _ := os.ReadDir(dir)
		return len(es)
	}
	if count(s.TempDir) == 0 {
		t.Fatal("expected the encrypted 2 MiB part in a file")
	}
	var body bytes.Buffer
	if err := p.WriteBody(&body); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if n := count(s.TempDir); n != 0 {
		t.Errorf("Packed.Close left %d files", n)
	}
	in, err := r.Unpack(p.ContentType(), bytes.NewReader(body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, in.Payloads[2]); got != big {
		t.Error("big payload changed")
	}
	if count(r.TempDir) == 0 {
		t.Error("expected spilled files while the message is open")
	}
	in.Close()
	if n := count(r.TempDir); n != 0 {
		t.Errorf("Inbound.Close left %d files", n)
	}
	// Rejected after spilling: nothing left behind.
	bad := bytes.Replace(body.Bytes(), []byte("DE73524311"), []byte("DE73524312"), 1)
	if _, err := r.Unpack(p.ContentType(), bytes.NewReader(bad)); err == nil {
		t.Fatal("tampered message accepted")
	}
	if n := count(r.TempDir); n != 0 {
		t.Errorf("rejected Unpack left %d files", n)
	}
}

// One exchange over real HTTP: the sender posts with Packed.Request, the
// receiving handler unpacks and answers with a signed receipt on the same
// connection, and the sender checks it (AS4 one-way/push, synchronous receipt).
func TestExchangeOverHTTP(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	c := config(wssec.AS4v20)
	r := f.receiverOf(t, c)
	signCfg := &wssec.SignConfig{Profile: wssec.AS4v20, SigningKey: f.receiver.Sign.Signer(), SigningCert: f.receiver.Sign.Cert, Now: clock}
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var signal *as4.Messaging
		in, err := r.Unpack(req.Header.Get("Content-Type"), req.Body)
		if err != nil {
			signal, _ = r.ErrorSignal(err)
		} else {
			defer in.Close()
			got = readAll(t, in.Payloads[0])
			signal, _ = r.Receipt(in)
		}
		body, err := as4.SignSignal(signal, signCfg)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/soap+xml; charset=UTF-8")
		w.Write(body)
	}))
	defer srv.Close()

	p := f.packRequest(t, c)
	resp := post(t, srv, p, srv.URL+"/as4")
	sig, err := as4.ReadSignal(resp.Header.Get("Content-Type"), resp.Body,
		&wssec.VerifyConfig{Profile: wssec.AS4v20, RequireSignature: true, Trust: f.store, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := as4.CheckReceipt(p, sig); err != nil {
		t.Fatal(err)
	}
	if want := readAll(t, request().Payloads[0]); got != want {
		t.Errorf("server got %q", got)
	}
}

// TestPayloadMimeTypes: a leg's allowed MIME types match a part's media type
// without regard to case and without its parameters (RFC 2045 §5.1; Domibus
// compares them so too); a type the leg does not list is EBMS:0003.
func TestPayloadMimeTypes(t *testing.T) {
	for _, c := range []struct {
		allowed []string
		pdf     string // the second part's MimeType
		ok      bool
	}{
		{[]string{"application/x-ebrs+xml", "application/pdf"}, "application/pdf", true},
		{[]string{"Application/X-EBRS+XML", "APPLICATION/PDF"}, "application/pdf", true},
		{[]string{"application/x-ebrs+xml", "application/pdf"}, "Application/PDF", true},
		{[]string{"application/x-ebrs+xml", "application/pdf"}, "application/pdf; name=evidence.pdf", true},
		{[]string{"application/x-ebrs+xml", "application/pdf; version=1.7"}, "Application/PDF; version=1.7", true},
		{[]string{"application/x-ebrs+xml", "application/pdf; version=1.7"}, "application/pdf", false},
		{[]string{"application/x-ebrs+xml", "image/png"}, "application/pdf", false},
	} {
		pc := config(pmode.ProfileNone)
		out := request()
		out.Payloads[1].MimeType = c.pdf
		p, err := (&as4.Sender{PMode: pc, Now: clock}).Pack(out)
		if err != nil {
			t.Fatal(err)
		}
		req := wire(t, p)
		pc.Legs[0].Payload.MimeTypes = c.allowed
		in, err := (&as4.Receiver{PMode: pc, Now: clock}).Unpack(req.Header.Get("Content-Type"), req.Body)
		var e *as4.Error
		switch {
		case c.ok && err != nil:
			t.Errorf("%v allows %q: %v", c.allowed, c.pdf, err)
		case !c.ok && (!errors.As(err, &e) || e.Code != as4.ValueInconsistent):
			t.Errorf("%v allows %q: %v, want EBMS:0003", c.allowed, c.pdf, err)
		}
		if in != nil {
			in.Close()
		}
		p.Close()
	}
}
