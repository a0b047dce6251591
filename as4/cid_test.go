package as4_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
)

// pyQuote returns each Content-ID URL-encoded by Python's
// urllib.parse.quote (every reserved character escaped): the content-id of
// a cid: URL as RFC 2392 writes it, from an implementation that is not
// ours.
func pyQuote(t *testing.T, ids ...string) []string {
	t.Helper()
	py := testenv.Python(t, "urllib.parse")
	in, _ := json.Marshal(ids)
	cmd := exec.Command(py, "-c", `import json, sys
from urllib.parse import quote
json.dump([quote(i, safe="") for i in json.load(sys.stdin)], sys.stdout)`)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var quoted []string
	if err := json.Unmarshal(out, &quoted); err != nil {
		t.Fatal(err)
	}
	return quoted
}

// TestPercentEncodedCID: a sender that URL-encodes the content-id of its
// cid: URLs (RFC 2392 §2, as Apache WSS4J reads them) names each attachment
// in eb:PartInfo/@href, in the ds:Reference URI of the signature and in the
// CipherReference of its EncryptedData as "cid:request%40oots.eu", while
// the MIME part says Content-ID: <request@oots.eu>. The message is received
// whole, signed and encrypted or not.
func TestPercentEncodedCID(t *testing.T) {
	ids := []string{"request@oots.eu", "évidence 1/2@oots.eu"}
	quoted := pyQuote(t, ids...)
	if quoted[0] != "request%40oots.eu" {
		t.Fatalf("Python quotes %q as %q", ids[0], quoted[0])
	}
	for _, profile := range profiles {
		t.Run(string(profile), func(t *testing.T) {
			f := getFixture(t, profile)
			c := config(profile)
			out := request()
			for i := range out.Payloads {
				out.Payloads[i].ContentID = quoted[i]
			}
			p, err := f.senderOf(t, c).Pack(out)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i, pi := range p.UserMessage.PayloadInfo {
				if pi.Href != "cid:"+quoted[i] {
					t.Fatalf("href %q", pi.Href)
				}
			}
			if profile != pmode.ProfileNone && !bytes.Contains(p.Envelope, []byte(`URI="cid:request%40oots.eu"`)) {
				t.Fatal("the signature does not reference cid:request%40oots.eu")
			}
			// The MIME parts carry the decoded Content-IDs.
			for i := range p.Parts {
				p.Parts[i].ContentID = ids[i]
			}
			in := f.unpack(t, c, p.ContentType(), bodyOf(t, p))
			if len(in.Payloads) != 2 {
				t.Fatalf("%d payloads", len(in.Payloads))
			}
			for i, pl := range in.Payloads {
				if pl.ContentID != ids[i] {
					t.Errorf("payload %d: Content-ID %q, want %q", i, pl.ContentID, ids[i])
				}
			}
			samePayloads(t, in, out)
		})
	}
}

// TestCIDHrefRejects: an href whose content-id matches no attachment as
// written and has a malformed percent escape, and two hrefs naming one
// attachment (as written and encoded), are refused with what is wrong.
func TestCIDHrefRejects(t *testing.T) {
	plain := unsignedMessage(t, nil)
	env := string(plain.Envelope)
	second := plain.UserMessage.PayloadInfo[1].Href
	for _, c := range []struct {
		name   string
		env    string
		code   as4.Code
		detail string
	}{
		{"malformed percent escape", strings.Replace(env, `"cid:request@oots.eu"`, `"cid:request%zz@oots.eu"`, 1), as4.ExternalPayloadError,
			`eb:PartInfo "cid:request%zz@oots.eu": malformed percent escape "%zz"`},
		{"two hrefs, one attachment", strings.Replace(env, `"`+second+`"`, `"cid:request%40oots.eu"`, 1), as4.ValueInconsistent,
			`eb:PartInfo cid:request@oots.eu and cid:request%40oots.eu name the same attachment "request@oots.eu"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env == env {
				t.Fatal("the envelope was not changed")
			}
			ct, body := rawMessage(t, c.env, plain.Parts...)
			f := getFixture(t, wssec.AS4v115)
			in, err := f.receiverOf(t, config(pmode.ProfileNone)).Unpack(ct, bytes.NewReader(body))
			if err == nil {
				in.Close()
				t.Fatal("accepted")
			}
			var e *as4.Error
			if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(e.Detail, c.detail) {
				t.Fatalf("err = %v; want %s with %q", err, c.code, c.detail)
			}
		})
	}
}

// TestMIMEHeaderComments: the MIME header fields of a message get RFC 822
// comments (RFC 2045 allows them in Content-ID, Content-Type and
// Content-Transfer-Encoding) on their way; the message is received as sent.
// On the signed leg without encryption, the Content-Type of an XML payload
// decides how the signature digests it (SwA profile §5.4), so it must read
// without its comment. The header values are those TestContentTypeComments
// and TestMsgIDPython of package swa check against Python's email package.
func TestMIMEHeaderComments(t *testing.T) {
	field := regexp.MustCompile(`(?m)^(Content-(?:ID|Type|Transfer-Encoding): [^\r\n]*)\r\n`)
	for _, v := range legVariants() {
		t.Run(v.name, func(t *testing.T) {
			f := getFixture(t, v.profile)
			c := v.config()
			p := f.packRequest(t, c)
			body := bodyOf(t, p)
			n := 0
			commented := field.ReplaceAllFunc(body, func(b []byte) []byte {
				n++
				line := strings.TrimSuffix(string(b), "\r\n")
				name, value, _ := strings.Cut(line, ": ")
				return []byte(name + ": (sent by (a) test) " + value + ` (a "comment" \) here)` + "\r\n")
			})
			if n != 3*(1+len(p.Parts)) {
				t.Fatalf("%d header fields commented, want %d:\n%s", n, 3*(1+len(p.Parts)), commented)
			}
			if !v.encrypt && !bytes.Contains(commented, []byte("Content-Type: (sent by (a) test) application/x-ebrs+xml (a")) {
				t.Fatalf("the XML payload does not travel as application/x-ebrs+xml:\n%.2000s", commented)
			}
			in := f.unpack(t, c, p.ContentType(), commented)
			if len(in.Payloads) != 2 || in.Payloads[0].ContentID != "request@oots.eu" {
				t.Fatalf("payloads %+v", in.Payloads)
			}
			samePayloads(t, in, request())
		})
	}
}

// TestCIDHrefSchemeCase: a URL scheme is case-insensitive (RFC 3986 §3.1;
// Python's urllib.parse reads "CID:request@oots.eu" with the scheme cid),
// so an eb:PartInfo href "CID:…" or "Cid:…" names its attachment as
// "cid:…" does (RFC 2392), percent-encoded or not.
func TestCIDHrefSchemeCase(t *testing.T) {
	plain := unsignedMessage(t, nil)
	env := string(plain.Envelope)
	hrefs := []string{"CID:request@oots.eu", "Cid:" + pyQuote(t, plain.UserMessage.PayloadInfo[1].ContentID())[0]}
	py := testenv.Python(t, "urllib.parse")
	out, err := exec.Command(py, "-c", `import sys
from urllib.parse import urlsplit
print(" ".join(urlsplit(u).scheme for u in sys.argv[1:]))`, hrefs[0], hrefs[1]).Output()
	if err != nil || strings.TrimSpace(string(out)) != "cid cid" {
		t.Fatalf("Python reads the schemes of %q as %q (%v)", hrefs, out, err)
	}
	for i, pi := range plain.UserMessage.PayloadInfo {
		old := `"` + pi.Href + `"`
		if !strings.Contains(env, old) {
			t.Fatalf("the envelope has no %s", old)
		}
		env = strings.Replace(env, old, `"`+hrefs[i]+`"`, 1)
	}
	ct, body := rawMessage(t, env, plain.Parts...)
	f := getFixture(t, wssec.AS4v115)
	in, err := f.receiverOf(t, config(pmode.ProfileNone)).Unpack(ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if len(in.Payloads) != len(plain.Parts) {
		t.Fatalf("%d payloads, want %d", len(in.Payloads), len(plain.Parts))
	}
	for i, pl := range in.Payloads {
		if pl.ContentID != plain.Parts[i].ContentID {
			t.Errorf("payload %d (href %s): Content-ID %q, want %q", i, hrefs[i], pl.ContentID, plain.Parts[i].ContentID)
		}
	}
}
