package as4_test

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/swa"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmldsig"
	"github.com/oots-go/oots/xmltree"
)

// A dump is one recorded HTTP message of another implementation: its
// headers, then its body (see testdata/foreign/README.md).
type dump struct {
	header textproto.MIMEHeader
	body   *bufio.Reader
	date   time.Time
}

func readDump(t *testing.T, name string) dump {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "foreign", name))
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		t.Fatalf("%s: headers: %v", name, err)
	}
	d := dump{header: h, body: br}
	if d.date, err = http.ParseTime(h.Get("Date")); err != nil {
		// Mail-style dates (phase4's outgoing dumps).
		if d.date, err = time.Parse("Mon, 2 Jan 2006 15:04:05 -0700 (MST)", h.Get("Date")); err != nil {
			t.Fatalf("%s: Date %q: %v", name, h.Get("Date"), err)
		}
	}
	return d
}

func peppolTestTrust(t *testing.T) *trust.Store {
	t.Helper()
	b, err := os.ReadFile("testdata/foreign/phase4/peppol-test-ca-g2.pem")
	if err != nil {
		t.Fatal(err)
	}
	s := trust.NewStore()
	if err := s.AddPEM(b); err != nil {
		t.Fatal(err)
	}
	return s
}

// Receipts recorded by phase4 from three other implementations, each
// verified as of the moment it was received (its HTTP Date) against the
// PEPPOL test CA. None has a wsu:Timestamp; all use exclusive c14n with
// InclusiveNamespaces PrefixLists.
func TestForeignReceipts(t *testing.T) {
	ts := peppolTestTrust(t)
	cases := []struct {
		file, server, ref string
		code              as4.Code // "" for a receipt that verifies
	}{
		{"phase4/governikus.as4in", "nginx (Governikus)", "6b52b4c0-de6a-46b8-8286-27bac7d1a463@phase4", ""},
		{"phase4/dataport1-mustunderstand.as4in", "HolodeckB2B/4.1 (Dataport)", "669beff6-bf89-4776-9a27-eddece68083d@phase4", ""},
		{"phase4/helger.as4in", "phase4", "3b3775c9-e88d-47f9-be5a-8e045ca2bc07@phase4", ""},
		// The Dataport receipt with the prefix of eb:Messaging's
		// mustUnderstand attribute edited: the signed digest no longer
		// matches.
		{"phase4/dataport1.as4in", "HolodeckB2B/4.1 (edited)", "", as4.FailedAuthentication},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			d := readDump(t, tc.file)
			cfg := &wssec.VerifyConfig{Profile: wssec.AS4v115, RequireSignature: true, Trust: ts,
				Now: func() time.Time { return d.date }}
			sig, err := as4.ReadSignal(d.header.Get("Content-Type"), d.body, cfg)
			if tc.code != "" {
				if as4.AsError(err).Code != tc.code {
					t.Fatalf("%s: err = %v, want %s", tc.server, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.server, err)
			}
			if sig.Receipt == nil || sig.MessageInfo.RefToMessageID != tc.ref {
				t.Fatalf("%s: receipt %v for %q, want a receipt for %q", tc.server, sig.Receipt != nil, sig.MessageInfo.RefToMessageID, tc.ref)
			}
			if len(sig.Receipt.NonRepudiation) == 0 {
				t.Errorf("%s: no NonRepudiationInformation", tc.server)
			}
			// A year later the certificate is still valid, and the receipt
			// still verifies: nothing in it expires (no Timestamp).
			cfg.Now = func() time.Time { return d.date.AddDate(0, 6, 0) }
			d2 := readDump(t, tc.file)
			if _, err := as4.ReadSignal(d2.header.Get("Content-Type"), d2.body, cfg); err != nil {
				t.Errorf("%s, six months later: %v", tc.server, err)
			}
			// A receipt requires a Timestamp only where the policy says so.
			cfg.Timestamp = wssec.TimestampRequired
			d3 := readDump(t, tc.file)
			if _, err := as4.ReadSignal(d3.header.Get("Content-Type"), d3.body, cfg); as4.AsError(err).Code != as4.PolicyNoncompliance {
				t.Errorf("%s with a Timestamp required: %v", tc.server, err)
			}
		})
	}
}

// A user message phase4 sent in 2026 (signed, encrypted for another access
// point's key, compressed), with the MIME form of phase4: a multipart
// whose root part has no Content-ID and no start parameter. The package is
// read, its header parsed, and its signature verified with the key of its
// BinarySecurityToken: SignatureValue and the digests of eb:Messaging and
// the Body. (The payload is encrypted for a key that is not published, and
// the signer's CA, PEPPOL's test CA G3, is not in the recording's source:
// neither the attachment digest nor the chain can be checked.)
func TestForeignUserMessagePhase4(t *testing.T) {
	d := readDump(t, "phase4/dump-raw.as4out")
	ct := d.header.Get("Content-Type")
	if strings.Contains(ct, "start=") {
		t.Fatalf("the recording changed: %s", ct)
	}
	msg, err := swa.Read(d.body, ct, &swa.Limits{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer msg.Close()
	if len(msg.Parts) != 1 || msg.Parts[0].ContentID != "phase4-att-ff0f8ad5-f982-48ba-b8e2-26997600f496@cid" {
		t.Fatalf("parts: %+v", msg.Parts)
	}
	env, err := as4.ParseEnvelope(bytes.NewReader(msg.Envelope), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := as4.ParseMessaging(env.Messaging)
	if err != nil {
		t.Fatal(err)
	}
	um := m.UserMessage
	if um == nil || um.MessageInfo.MessageID != "17a7c374-efe3-41e2-ac0d-8a8f47529e47@phase4" || len(um.PayloadInfo) != 1 {
		t.Fatalf("user message: %+v", um)
	}
	if ct, _ := um.PayloadInfo[0].Property(as4.PropCompressionType); ct != as4.GzipMediaType {
		t.Errorf("CompressionType %q", ct)
	}
	// phase4 writes the Security header of Domibus's eDeliveryAS4Policy_BST.
	if diff := cmp.Diff(domibusShapes["eDeliveryAS4Policy_BST.xml"], shape(env)); diff != "" {
		t.Errorf("phase4's Security header differs from the _BST shape (-_BST +phase4):\n%s", diff)
	}
	// The signature, with the key of the BinarySecurityToken it names.
	var sigEl, sec *xmltree.Element
	bsts := map[string]*xmltree.Element{}
	env.Doc.Root.Walk(func(e *xmltree.Element) bool {
		switch {
		case e.Is(wssec.NamespaceWSSE, "Security"):
			sec = e
		case e.Is(xmldsig.Namespace, "Signature"):
			sigEl = e
		case e.Is(wssec.NamespaceWSSE, "BinarySecurityToken"):
			bsts[e.SelectAttr(wssec.NamespaceWSU, "Id")] = e
		}
		return true
	})
	if sec == nil || sigEl == nil || len(bsts) != 2 {
		t.Fatalf("security header: %v %v %d BSTs", sec != nil, sigEl != nil, len(bsts))
	}
	if strings.Contains(string(msg.Envelope), "wsu:Timestamp") {
		t.Error("phase4 sent a wsu:Timestamp")
	}
	sig, err := xmldsig.Parse(sigEl, &xmldsig.Policy{
		SignatureMethods: []xmldsig.SignatureMethod{xmldsig.RSASHA256},
		DigestMethods:    []xmldsig.DigestMethod{xmldsig.SHA256},
		Transforms:       []xmldsig.Transform{xmldsig.ExcC14N, xmldsig.AttachmentContent},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := sig.KeyInfo.Elements()[0].Elements()[0].SelectAttr("", "URI")
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bsts[strings.TrimPrefix(ref, "#")].Text()), ""))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "POP000306" || d.date.Before(cert.NotBefore) || d.date.After(cert.NotAfter) {
		t.Fatalf("signer %s, valid %s to %s, sent %s", cert.Subject, cert.NotBefore, cert.NotAfter, d.date)
	}
	if err := sig.VerifySignedInfo(cert.PublicKey); err != nil {
		t.Fatalf("SignatureValue: %v", err)
	}
	ids := map[string]*xmltree.Element{}
	env.Doc.Root.Walk(func(e *xmltree.Element) bool {
		if id := e.SelectAttr(wssec.NamespaceWSU, "Id"); id != "" {
			ids[id] = e
		}
		return true
	})
	checked := 0
	for i := range sig.References {
		r := &sig.References[i]
		if !strings.HasPrefix(r.URI, "#") {
			continue
		}
		el := ids[r.URI[1:]]
		if el != env.Messaging && el != env.Body {
			t.Errorf("reference %s names %v", r.URI, el)
			continue
		}
		got, err := xmldsig.DigestElement(el, r)
		if err == nil {
			err = r.CheckDigest(got)
		}
		if err != nil {
			t.Errorf("reference %s: %v", r.URI, err)
		}
		checked++
	}
	if checked != 2 {
		t.Errorf("%d element references checked, want 2 (eb:Messaging, Body)", checked)
	}
}
