package smp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzReadJSON checks readJSON, which reads the management API's bodies,
// against encoding/json as the oracle: it never panics, and a body it
// accepts is one encoding/json (unknown fields refused, one value) reads
// to the same ServiceMetadata: checking names exactly only refuses more.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"processes":[]}`, `{"Processes":[]}`, `{"processes":[],"processes":[]}`,
		`{"processes":[{"id":{"scheme":"s","value":"v"},"endpoints":[{"transportProfile":"t","url":"https://a","certificate":"AAAA"}]}]}`,
		`{"processes":[{"redirect":{"href":"https://b","certificates":["AAAA"],"mimeCodes":["application/pkix-cert"]}}]}`,
		`{"redirect":{"url":"https://b","certificate":"AAAA","certificates":["AAAA"],"types":["sign-and-encrypt"],"descriptions":["next"]}}`,
		`[[[[]]]]`, `{"a":1} x`, `"x"`, `null`, ``, `{"processes":[{"id":{"Scheme":"s"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got ServiceMetadata
		err := readJSON(bytes.NewReader(b), &got)
		if err != nil {
			return
		}
		var want ServiceMetadata
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%q: readJSON accepted what encoding/json refuses: %v", b, err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			t.Fatalf("%q: readJSON accepted trailing data", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: readJSON read %+v, encoding/json %+v", b, got, want)
		}
	})
}
