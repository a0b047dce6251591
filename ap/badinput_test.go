package ap_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/wssec"
)

// wireMsg is an AS4 message as posted: its Content-Type and body.
type wireMsg struct {
	contentType string
	body        []byte
}

// packFor packs a submission as node n would send it (with n's P-Mode and
// keys), for tests that post to the partner themselves.
func packFor(t testing.TB, n *testNode, s *ap.Submission) wireMsg {
	t.Helper()
	return packWith(t, n, n.cfg.PMode, s)
}

func packWith(t testing.TB, n *testNode, pm *pmode.Config, s *ap.Submission) wireMsg {
	t.Helper()
	snd := &as4.Sender{PMode: pm, SigningKey: n.cfg.SigningKey, SigningCert: n.cfg.SigningCert, PeerCert: n.cfg.EncryptionCerts[s.To]}
	packed, err := snd.Pack(s.Outbound(pm.Self))
	if err != nil {
		t.Fatal(err)
	}
	defer packed.Close()
	var b bytes.Buffer
	if err := packed.WriteBody(&b); err != nil {
		t.Fatal(err)
	}
	return wireMsg{packed.ContentType(), b.Bytes()}
}

func post(t testing.TB, url string, m wireMsg) (int, string) {
	t.Helper()
	resp, err := http.Post(url, m.contentType, bytes.NewReader(m.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// errorCode returns the code of the ebMS Error signal in an answer.
func errorCode(t testing.TB, ct string, body []byte) as4.Code {
	t.Helper()
	sig, err := as4.ReadSignal(ct, bytes.NewReader(body), nil)
	if err != nil {
		t.Fatalf("the answer is not a signal: %v\n%s", err, body)
	}
	if len(sig.Errors) == 0 {
		t.Fatalf("the answer is not an error signal:\n%s", body)
	}
	return sig.Errors[0].Code
}

// errorDetail returns the eb:ErrorDetail of an error signal's first error.
func errorDetail(t testing.TB, ct string, body []byte) string {
	t.Helper()
	sig, err := as4.ReadSignal(ct, bytes.NewReader(body), nil)
	if err != nil || len(sig.Errors) == 0 {
		t.Fatalf("the answer is not an error signal (%v):\n%s", err, body)
	}
	return sig.Errors[0].Detail
}

// TestBadInput: what the endpoint refuses is answered with the EBMS error
// of the catalogue, and nothing is stored.
func TestBadInput(t *testing.T) {
	nodes := newNet(t, netOptions{profile: wssec.AS4v20, edit: func(name string, c *ap.Config) { c.MaxBodySize = 256 << 10 }})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	good := packFor(t, fr, submission("", "good"))

	// Unsigned: the same message packed under a P-Mode without security.
	unsignedPM := pmodes(pmode.ProfileNone, nil, nil)
	unsignedPM.Self = "AP_FR_01"
	unsigned := packWith(t, fr, unsignedPM, submission("", "unsigned"))

	// Unknown party: a sender whose P-Mode has a party DE does not know.
	strangerPM := pmodes(wssec.AS4v20, nil, nil)
	strangerPM.Parties[0].IDs[0].Value = "AP_XX_99"
	strangerPM.Self = "AP_FR_01"
	stranger := packWith(t, fr, strangerPM, submission("", "stranger"))

	// Wrong P-Mode: an action DE has no leg for.
	otherPM := pmodes(wssec.AS4v20, nil, nil)
	otherPM.Legs[0].Action = "UnknownAction"
	otherPM.Self = "AP_FR_01"
	wrongLeg := packWith(t, fr, otherPM, submission("", "wrong"))

	// Addressed to FR itself, posted to DE.
	selfPM := pmodes(wssec.AS4v20, nil, nil)
	selfPM.Self = "AP_DE_01"
	toFR := submission("", "elsewhere")
	toFR.To = "AP_FR_01"
	deCreds := credentials(t, wssec.AS4v20).parties["AP_DE_01"]
	misrouted := packWith(t, &testNode{cfg: ap.Config{SigningKey: deCreds.Sign.Signer(), SigningCert: deCreds.Sign.Cert,
		EncryptionCerts: map[string]*x509.Certificate{"AP_FR_01": deCreds.Encrypt.Cert}}}, selfPM, toFR)

	tampered := wireMsg{good.contentType, bytes.Replace(good.body, []byte("ExecuteQueryRequest"), []byte("ExecuteQueryResponse"), 1)}

	huge := submission("", "huge")
	huge.Payloads[0].Data = make([]byte, 300<<10) // random: gzip does not shrink it
	rand.Read(huge.Payloads[0].Data)
	huge.Payloads[0].MimeType = "application/octet-stream"

	hugeMsg := packWith(t, fr, fr.cfg.PMode, huge)
	cases := []struct {
		name   string
		msg    wireMsg
		status int
		code   as4.Code
		detail string // what eb:ErrorDetail says, for the sender to see; "": not checked
	}{
		{"malformed MIME", wireMsg{good.contentType, []byte("--nothing like the boundary\r\n\r\n")}, 500, as4.MimeInconsistency, "no part is delimited by the boundary"},
		{"not multipart", wireMsg{"text/plain", []byte("hello")}, 500, as4.MimeInconsistency, `media type "text/plain" is neither`},
		{"type parameter not SOAP", wireMsg{strings.Replace(good.contentType, "application/soap+xml", "text/xml", 1), good.body}, 500, as4.MimeInconsistency, `type parameter is "text/xml"`},
		{"envelope not XML", wireMsg{"application/soap+xml", []byte("<S:Envelope")}, 500, as4.InvalidHeader, ""},
		{"unsigned when signing is required", unsigned, 500, as4.PolicyNoncompliance, ""},
		{"unknown party", stranger, 500, as4.ValueNotRecognized, ""},
		{"wrong P-Mode", wrongLeg, 500, as4.ProcessingModeMismatch, ""},
		{"signed header altered", tampered, 500, as4.FailedAuthentication, ""},
		{"huge body", hugeMsg, 413, as4.MimeInconsistency, ""},
		{"huge body, chunked", hugeMsg, 413, as4.MimeInconsistency, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tc.msg.body)
			if strings.Contains(tc.name, "chunked") {
				body = io.MultiReader(body) // no Content-Length
			}
			resp, err := http.Post(de.url+"/as4", tc.msg.contentType, body)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.status)
			}
			if code := errorCode(t, resp.Header.Get("Content-Type"), b); code != tc.code {
				t.Errorf("error %s, want %s", code, tc.code)
			}
			if d := errorDetail(t, resp.Header.Get("Content-Type"), b); !strings.Contains(d, tc.detail) {
				t.Errorf("eb:ErrorDetail %q, want it to say %q", d, tc.detail)
			}
		})
	}
	t.Run("addressed to another party", func(t *testing.T) {
		// Signed by a certificate of the CA that DE trusts and encrypted for
		// DE, but addressed to FR: it gets past security to the routing check.
		resp, err := http.Post(de.url+"/as4", misrouted.contentType, bytes.NewReader(misrouted.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code := errorCode(t, resp.Header.Get("Content-Type"), b)
		if code != as4.ProcessingModeMismatch {
			t.Errorf("error %s", code)
		}
	})
	list, err := de.db.ListInbound(context.Background(), apstore.InboundFilter{IncludeAcked: true})
	if err != nil || len(list) != 0 {
		t.Errorf("DE stored %d messages after refusing them all (%v)", len(list), err)
	}
	if code, body := post(t, de.url+"/as4", good); code != 200 || !strings.Contains(body, "Receipt") {
		t.Errorf("the good message: HTTP %d", code)
	}
}

// FuzzServeAS4 posts mutated messages to the endpoint: it must answer with
// a receipt or an error signal, never panic, and store only messages it
// acknowledged.
func FuzzServeAS4(f *testing.F) {
	nodes := newNet(f, netOptions{profile: pmode.ProfileNone})
	fr, de := nodes["AP_FR_01"], nodes["AP_DE_01"]
	seed := packFor(f, fr, submission("", "seed"))
	f.Add(seed.contentType, seed.body)
	f.Add("multipart/related; boundary=x; type=\"application/soap+xml\"", []byte("--x\r\nContent-Type: application/soap+xml\r\n\r\n<a/>\r\n--x--\r\n"))
	f.Add("application/soap+xml", []byte(`<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Header/><S:Body/></S:Envelope>`))
	h := de.Node.Handler()
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		before, _ := de.db.ListInbound(context.Background(), apstore.InboundFilter{IncludeAcked: true, Limit: 1000})
		req, err := http.NewRequest("POST", "/as4", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ct)
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		after, _ := de.db.ListInbound(context.Background(), apstore.InboundFilter{IncludeAcked: true, Limit: 1000})
		sig, err := as4.ReadSignal(rec.header.Get("Content-Type"), bytes.NewReader(rec.body.Bytes()), nil)
		if err != nil {
			t.Fatalf("HTTP %d without a signal: %v\n%s", rec.status, err, rec.body.String())
		}
		if len(sig.Errors) > 0 && len(after) != len(before) {
			t.Fatalf("refused (%s) but stored", sig.Errors[0].Code)
		}
		if sig.Receipt != nil && rec.status != 200 {
			t.Fatalf("receipt with HTTP %d", rec.status)
		}
	})
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}, status: 200} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
