package wssec_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/oots-go/oots/wssec"
	"github.com/oots-go/oots/xmltree"
)

// FuzzProcess feeds arbitrary envelopes to the WS-Security header parser and
// verifier: it must never panic, and every refusal must be a *wssec.Error
// carrying one of the three EBMS security codes.
func FuzzProcess(f *testing.F) {
	type seed struct {
		fx *fixture
		s  sent
	}
	var seeds []seed
	for _, p := range profiles {
		fx := getFixture(f, p)
		for _, enc := range []bool{true, false} {
			s := secure(f, fx, enc)
			seeds = append(seeds, seed{fx, s})
			f.Add(s.env, uint8(len(seeds)-1))
		}
	}
	f.Fuzz(func(t *testing.T, env []byte, which uint8) {
		sd := seeds[int(which)%len(seeds)]
		doc, err := xmltree.ParseBytes(env, &xmltree.Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxElements: 10000})
		if err != nil {
			return
		}
		res, err := wssec.Process(doc, sd.s.parts, sd.fx.verifyConfig(t, false))
		if err != nil {
			var we *wssec.Error
			if !errors.As(err, &we) {
				t.Fatalf("refusal without an EBMS code: %v", err)
			}
			switch we.Code {
			case wssec.CodeFailedAuthentication, wssec.CodeFailedDecryption, wssec.CodePolicyNoncompliance:
			default:
				t.Fatalf("unexpected code %q", we.Code)
			}
			return
		}
		defer res.Close()
		if res.Messaging == nil || res.Body == nil || res.SignerCert == nil {
			t.Fatal("accepted without verified elements")
		}
	})
}

// FuzzProcessAttachment replaces the first encrypted attachment with
// arbitrary bytes: anything but the original is refused (EBMS:0102), never a
// panic.
func FuzzProcessAttachment(f *testing.F) {
	fx := getFixture(f, wssec.AS4v20)
	s := secure(f, fx, true)
	orig := readAll(f, s.parts[0])
	f.Add(orig)
	f.Add(orig[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := append([]wssec.Part(nil), s.parts...)
		parts[0] = memPart(parts[0].ContentID, "application/octet-stream", data)
		doc, err := xmltree.ParseBytes(s.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := wssec.Process(doc, parts, fx.verifyConfig(t, true))
		if err == nil {
			res.Close()
			if !bytes.Equal(data, orig) {
				t.Fatal("a changed ciphertext was accepted")
			}
			return
		}
		if code(err) != wssec.CodeFailedDecryption {
			t.Fatalf("code %q: %v", code(err), err)
		}
	})
}
