package wssec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/testenv"
	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// envelopeFor wraps an official eb:Messaging sample in a SOAP 1.2 envelope.
func envelopeFor(tb testing.TB, header string) *xmltree.Document {
	tb.Helper()
	b, err := os.ReadFile(header)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := xmltree.ParseBytes(b, nil)
	if err != nil {
		tb.Fatal(err)
	}
	env := xmltree.NewElement(wssec.NamespaceSOAP12, "env", "Envelope")
	env.DeclareNS("env", wssec.NamespaceSOAP12)
	env.AddElement(wssec.NamespaceSOAP12, "env", "Header").AddChild(m.Root.Copy())
	env.AddElement(wssec.NamespaceSOAP12, "env", "Body")
	return &xmltree.Document{Root: env, Children: []xmltree.Node{env}}
}

// The official OOTS samples (TDD 1.0 ebMS headers with their EDM payloads,
// the French EDM 2.0 messages) secured and processed under both profiles;
// the payloads come back byte for byte.
func TestOfficialSamples(t *testing.T) {
	type sample struct{ header, payload string }
	var samples []sample
	for _, pat := range []string{"tdd-1.0/xml/edm/*.ebms-header.xml", "edm-2.0-oots-france/messages/*.entete.xml"} {
		hs, _ := filepath.Glob(testenv.Spec(t, pat))
		for _, h := range hs {
			p := strings.NewReplacer(".ebms-header.xml", ".xml", ".entete.xml", ".xml").Replace(h)
			if _, err := os.Stat(p); err != nil {
				p = ""
			}
			samples = append(samples, sample{h, p})
		}
	}
	if len(samples) < 5 {
		t.Fatalf("found %d samples", len(samples))
	}
	for _, p := range profiles {
		f := getFixture(t, p)
		for _, s := range samples {
			t.Run(string(p)+"/"+filepath.Base(s.header), func(t *testing.T) {
				doc := envelopeFor(t, s.header)
				var parts []wssec.Part
				var payload []byte
				if s.payload != "" {
					payload, _ = os.ReadFile(s.payload)
					parts = append(parts, memPart("payload@oots.example", "application/x-ebrs+xml", payload))
				}
				out, err := wssec.Secure(doc, parts, f.signConfig(t, true))
				if err != nil {
					t.Fatal(err)
				}
				res, err := process(t, sent{env: doc.Bytes(), parts: out}, f.verifyConfig(t, len(parts) > 0))
				if err != nil {
					t.Fatal(err)
				}
				defer res.Close()
				if len(res.Parts) != len(parts) {
					t.Fatalf("%d parts back", len(res.Parts))
				}
				if len(parts) > 0 && !bytes.Equal(readAll(t, res.Parts[0]), payload) {
					t.Fatal("payload differs")
				}
				base := filepath.Base(s.header)
				if (p == wssec.AS4v115 && strings.HasPrefix(base, "birth-1")) || (p == wssec.AS4v20 && strings.HasPrefix(base, "requete")) {
					// The JDK on the real sample; the payload as libxml2
					// canonicalizes it (what the SwA transform digests).
					dir := t.TempDir()
					env, pl := filepath.Join(dir, "env.xml"), filepath.Join(dir, "payload")
					os.WriteFile(env, doc.Bytes(), 0o600)
					os.WriteFile(pl, canonicalXML(t, payload), 0o600)
					if ok, out := runJDK(t, env, []string{"cid:payload@oots.example=" + pl}); !ok {
						t.Fatalf("JDK rejects the secured sample:\n%s", out)
					}
				}
				orig, _ := xmltree.ParseBytes(mustRead(t, s.header), nil)
				if !bytes.Equal(res.Messaging.Canonical(), orig.Root.Canonical()) {
					// Only the wsu:Id added by Secure may differ.
					res.Messaging.RemoveAttr(wssec.NamespaceWSU, "Id")
					if !bytes.Equal(res.Messaging.Canonical(), orig.Root.Canonical()) {
						t.Fatal("the verified eb:Messaging differs from the sample")
					}
				}
			})
		}
	}
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
