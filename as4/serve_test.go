package as4_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// serveOnce posts the packed message p, with its envelope changed by edit,
// to Receiver.Serve and returns the answer.
func serveOnce(t *testing.T, r *as4.Receiver, p *as4.Packed, edit func([]byte) []byte, accept as4.Accept) *httptest.ResponseRecorder {
	t.Helper()
	if edit != nil {
		p.Envelope = edit(p.Envelope)
	}
	req := wire(t, p)
	rec := httptest.NewRecorder()
	r.Serve(rec, req, accept)
	return rec
}

func acceptAll(context.Context, *as4.Inbound) error { return nil }

// A header block marked mustUnderstand that the access point does not
// process is answered with a SOAP 1.2 MustUnderstand fault naming it (SOAP
// 1.2 Part 1 §5.2.3), not accepted; the same block without mustUnderstand
// is ignored. The WS-Security header and eb:Messaging are understood.
func TestServeMustUnderstand(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	c := config(wssec.AS4v20)
	c.Self = "AP_DE_01"
	for _, tc := range []struct {
		name, block string
		fault       bool
	}{
		{"mustUnderstand true", `<x:Routing xmlns:x="urn:example:routing" S12:mustUnderstand="true"/>`, true},
		{"mustUnderstand 1", `<x:Routing xmlns:x="urn:example:routing" S12:mustUnderstand="1"/>`, true},
		{"mustUnderstand false", `<x:Routing xmlns:x="urn:example:routing" S12:mustUnderstand="false"/>`, false},
		{"no mustUnderstand", `<x:Routing xmlns:x="urn:example:routing"/>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.packRequest(t, c)
			accepted := false
			rec := serveOnce(t, f.receiverOf(t, c), p, func(env []byte) []byte {
				return bytes.Replace(env, []byte("<S12:Header>"), []byte("<S12:Header>"+tc.block), 1)
			}, func(context.Context, *as4.Inbound) error { accepted = true; return nil })
			body := rec.Body.String()
			if !tc.fault {
				if rec.Code != http.StatusOK || !accepted || !strings.Contains(body, "Receipt") {
					t.Fatalf("HTTP %d, accepted %v:\n%s", rec.Code, accepted, body)
				}
				return
			}
			if rec.Code != http.StatusInternalServerError || accepted {
				t.Fatalf("HTTP %d, accepted %v", rec.Code, accepted)
			}
			for _, want := range []string{"<env:Value>env:MustUnderstand</env:Value>", `qname="nu0:Routing"`, `xmlns:nu0="urn:example:routing"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the fault lacks %s:\n%s", want, body)
				}
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/soap+xml") {
				t.Errorf("Content-Type %q", ct)
			}
			soapSchemaValid(t, rec.Body.Bytes())
		})
	}
}

// Serve answers with what Accept says: a receipt, HTTP 503 without a
// signal for ErrRetryLater, a signed error signal about the message for any
// other error; Reply sees each answer first.
func TestServeAccept(t *testing.T) {
	f := getFixture(t, wssec.AS4v115)
	c := config(wssec.AS4v115)
	c.Self = "AP_DE_01"
	for _, tc := range []struct {
		name   string
		accept as4.Accept
		status int
		code   as4.Code
	}{
		{"accepted", acceptAll, http.StatusOK, ""},
		{"store down", func(context.Context, *as4.Inbound) error {
			return errors.Join(as4.ErrRetryLater, errors.New("disk full"))
		}, http.StatusServiceUnavailable, ""},
		{"refused", func(context.Context, *as4.Inbound) error {
			return as4.Errorf(as4.ValueInconsistent, "not for us")
		}, http.StatusInternalServerError, as4.ValueInconsistent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.packRequest(t, c)
			r := f.receiverOf(t, c)
			r.SigningKey, r.SigningCert = f.receiver.Sign.Signer(), f.receiver.Sign.Cert
			var seen *as4.Reply
			r.Reply = func(rp *as4.Reply) { seen = rp }
			rec := serveOnce(t, r, p, nil, tc.accept)
			if rec.Code != tc.status || seen == nil || seen.Status != tc.status {
				t.Fatalf("HTTP %d (reply %+v), want %d", rec.Code, seen, tc.status)
			}
			if tc.status == http.StatusServiceUnavailable {
				if strings.Contains(rec.Body.String(), "SignalMessage") {
					t.Error("HTTP 503 with a signal")
				}
				return
			}
			s := &as4.Sender{PMode: c, Trust: f.store}
			sig, err := s.Check(p, &as4.Answer{Status: rec.Code, ContentType: rec.Header().Get("Content-Type"), Body: rec.Body.Bytes()})
			if tc.code == "" {
				if err != nil || sig.Receipt == nil {
					t.Fatalf("the receipt does not check: %v", err)
				}
				// Media types match without regard to case (RFC 2045 §5.1).
				ct := strings.ToUpper(rec.Header().Get("Content-Type"))
				if sig, err := s.Check(p, &as4.Answer{Status: rec.Code, ContentType: ct, Body: rec.Body.Bytes()}); err != nil || sig.Receipt == nil {
					t.Fatalf("the receipt with Content-Type %q does not check: %v", ct, err)
				}
				return
			}
			if !errors.Is(err, as4.ErrRefused) || as4.AsError(err).Code != tc.code {
				t.Fatalf("Check = %v, want %s refused", err, tc.code)
			}
		})
	}
}

// zeros is an endless reader of zero bytes, up to n.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= int64(k)
	return int(k), nil
}

// A compression bomb (a gigabyte of zeros, about a megabyte gzipped) is
// refused with EBMS:0303 by the default bounds after its first megabytes,
// not after a gigabyte, and Serve answers it with an error signal.
func TestServeCompressionBomb(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	c := config(wssec.AS4v20)
	c.Self = "AP_DE_01"
	c.Legs[0].Payload.MaxSize = 0 // the receiver's defaults apply
	msg := request()
	msg.Payloads = []as4.Payload{{MimeType: "application/xml", Open: func() (io.ReadCloser, error) { return io.NopCloser(&zeros{1 << 30}), nil }}}
	p, err := f.senderOf(t, c).Pack(msg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := f.receiverOf(t, c)
	var read int64
	start := time.Now()
	rec := serveOnce(t, r, p, nil, func(_ context.Context, in *as4.Inbound) error {
		rc, err := in.Payloads[0].Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		read, err = io.Copy(io.Discard, rc)
		return err
	})
	took := time.Since(start)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "EBMS:0303") {
		t.Fatalf("HTTP %d:\n%s", rec.Code, rec.Body.String())
	}
	if read > 8<<20 {
		t.Errorf("%d bytes decompressed before the bomb was refused", read)
	}
	t.Logf("refused after %d decompressed bytes, %s", read, took.Round(time.Millisecond))
}

// soapSchemaValid has xmllint check env against the W3C schema of the SOAP
// 1.2 envelope (testdata/schemas).
func soapSchemaValid(t *testing.T, env []byte) {
	t.Helper()
	xmllint := testenv.Tool(t, "xmllint")
	dir := t.TempDir()
	soap, _ := filepath.Abs("testdata/schemas/soap12.xsd")
	xml, _ := filepath.Abs(testenv.Spec(t, "tdd-1.0/xsd/xml/xml.xsd"))
	wrapper := filepath.Join(dir, "envelope.xsd")
	os.WriteFile(wrapper, []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:oots:test:wrapper">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="file://`+xml+`"/>
  <xs:import namespace="http://www.w3.org/2003/05/soap-envelope" schemaLocation="file://`+soap+`"/>
</xs:schema>`), 0o644)
	doc := filepath.Join(dir, "fault.xml")
	os.WriteFile(doc, env, 0o644)
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", wrapper, doc).CombinedOutput(); err != nil {
		t.Fatalf("xmllint refuses the SOAP fault: %v\n%s\n%s", err, out, env)
	}
}

// TestServeAnswerLength: a receipt goes out with its Content-Length, in one
// piece, not chunked (net/http chunks an answer of more than 2 KiB that
// names no length).
func TestServeAnswerLength(t *testing.T) {
	f := getFixture(t, wssec.AS4v20)
	c := config(wssec.AS4v20)
	c.Self = "AP_DE_01"
	p := f.packRequest(t, c)
	r := f.receiverOf(t, c)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { r.Serve(w, req, acceptAll) }))
	defer srv.Close()
	resp := post(t, srv, p, srv.URL)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("Receipt")) {
		t.Fatalf("HTTP %d:\n%s", resp.StatusCode, body)
	}
	if len(body) <= 2048 {
		t.Fatalf("a receipt of %d bytes does not test chunking", len(body))
	}
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v, for %d bytes", resp.ContentLength, resp.TransferEncoding, len(body))
	}
}

// post sends p to url as a sender does (Packed.Request) with srv's client,
// and returns the answer; its body is closed when the test ends.
func post(t *testing.T, srv *httptest.Server, p *as4.Packed, url string) *http.Response {
	t.Helper()
	req, err := p.Request(url)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
