package as4

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/oots-go/oots/xmltree"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, f := range sampleHeaders(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMessaging(doc.Root)
		if err != nil {
			t.Fatal(err)
		}
		env := NewEnvelope(m)
		var buf bytes.Buffer
		if err := xmltree.Write(&buf, env, xmltree.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		e, err := ParseEnvelope(&buf, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if v, _ := e.Messaging.AttrValue(NamespaceSOAP12, "mustUnderstand"); v != "true" {
			t.Errorf("mustUnderstand = %q", v)
		}
		m2, err := ParseMessaging(e.Messaging)
		if err != nil {
			t.Fatal(err)
		}
		if m2.UserMessage.MessageInfo.MessageID != m.UserMessage.MessageInfo.MessageID {
			t.Error("MessageId changed")
		}
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	const s12 = `xmlns:S12="http://www.w3.org/2003/05/soap-envelope"`
	const eb = `xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"`
	cases := []struct {
		name, xml string
		want      Code
	}{
		{"not XML", "garbage", InvalidHeader},
		{"DTD", `<!DOCTYPE x [<!ENTITY a "a">]><x/>`, InvalidHeader},
		{"too large", `<S12:Envelope ` + s12 + `><S12:Header/><S12:Body>` + strings.Repeat("x", 5<<20) + `</S12:Body></S12:Envelope>`, InvalidHeader},
		{"SOAP 1.1", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>`, FeatureNotSupportedPackaging},
		{"no header", `<S12:Envelope ` + s12 + `><S12:Body/></S12:Envelope>`, InvalidHeader},
		{"two Messaging", `<S12:Envelope ` + s12 + ` ` + eb + `><S12:Header><eb:Messaging/><eb:Messaging/></S12:Header><S12:Body/></S12:Envelope>`, InvalidHeader},
		{"prefix is not the namespace", `<S12:Envelope xmlns:S12="urn:other"><S12:Header/><S12:Body/></S12:Envelope>`, InvalidHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseEnvelope(strings.NewReader(c.xml), nil)
			var e *Error
			if !errors.As(err, &e) || e.Code != c.want {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
		})
	}
}

func TestCompression(t *testing.T) {
	data := bytes.Repeat([]byte("<evidence>OOTS</evidence>\n"), 10000)
	z, err := io.ReadAll(Compress(io.NopCloser(bytes.NewReader(data))))
	if err != nil {
		t.Fatal(err)
	}
	if len(z) >= len(data)/10 {
		t.Errorf("compressed %d to %d", len(data), len(z))
	}
	// Independent check: the standard library's gunzip reads it.
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, data) {
		t.Error("gzip round trip changed the data")
	}
	r, err := Decompress(bytes.NewReader(z), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
		t.Error("Decompress changed the data")
	}
	// A bomb beyond the limit and corrupt input are EBMS:0303.
	r, _ = Decompress(bytes.NewReader(z), 1000)
	_, err = io.ReadAll(r)
	var e *Error
	if !errors.As(err, &e) || e.Code != DecompressionFailure || !errors.Is(err, ErrDecompressedTooLarge) {
		t.Errorf("bomb: err = %v", err)
	}
	bad := bytes.Clone(z)
	bad[len(bad)/2] ^= 0xff
	r, _ = Decompress(bytes.NewReader(bad), 0)
	if _, err = io.ReadAll(r); !errors.As(err, &e) || e.Code != DecompressionFailure {
		t.Errorf("corrupt: err = %v", err)
	}
	if _, err := Decompress(strings.NewReader("plain"), 0); !errors.As(err, &e) || e.Code != DecompressionFailure {
		t.Errorf("not gzip: err = %v", err)
	}
}

// Decompressors are recycled when a payload is closed: a reader used after a
// corrupt or oversized stream still decompresses the next payload right,
// and a payload read after Close fails instead of sharing a recycled reader.
func TestDecompressRecycles(t *testing.T) {
	data := bytes.Repeat([]byte("<evidence>OOTS</evidence>\n"), 1000)
	z, err := io.ReadAll(Compress(io.NopCloser(bytes.NewReader(data))))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(z)
	bad[len(bad)/2] ^= 0xff
	for i := range 20 {
		in, limit := z, int64(0)
		switch i % 3 {
		case 1:
			in = bad
		case 2:
			limit = 100
		}
		r, err := Decompress(bytes.NewReader(in), limit)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if i%3 == 0 && (err != nil || !bytes.Equal(got, data)) {
			t.Fatalf("round %d: err %v, data equal %v", i, err, bytes.Equal(got, data))
		}
		if i%3 != 0 && err == nil {
			t.Fatalf("round %d: bad input accepted", i)
		}
		r.Close()
		if _, err := r.Read(make([]byte, 10)); err == nil {
			t.Fatalf("round %d: read after Close", i)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("round %d: second Close: %v", i, err)
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	for _, s := range sampleHeaders(f) {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		doc, err := xmltree.ParseBytes(b, nil)
		if err != nil {
			f.Fatal(err)
		}
		m, err := ParseMessaging(doc.Root)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(NewEnvelope(m).Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(bytes.NewReader(b), nil)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("not an *as4.Error: %v", err)
			}
			return
		}
		if e.Messaging == nil || e.Body == nil {
			t.Fatal("accepted envelope without Messaging or Body")
		}
		if _, err := ParseMessaging(e.Messaging); err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("not an *as4.Error: %v", err)
			}
		}
	})
}
