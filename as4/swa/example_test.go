package swa_test

import (
	"bytes"
	"fmt"
	"io"
	"net/textproto"
	"strings"

	"github.com/oots-go/oots/as4/swa"
)

func Example() {
	w, err := swa.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	payload := swa.Part{
		ContentID: "payload-1@oots.example",
		Header:    textproto.MIMEHeader{"Content-Type": {"application/gzip"}},
		Open:      func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("…")), nil },
	}
	var body bytes.Buffer
	if err := w.Write(&body, []byte(`<S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope"/>`), []swa.Part{payload}); err != nil {
		panic(err)
	}

	m, err := swa.Read(&body, w.ContentType(), nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	fmt.Println(m.EnvelopeHeader.Get("Content-Type"))
	for _, p := range m.Parts {
		fmt.Println(p.ContentID, p.Header.Get("Content-Type"))
	}
	// Output:
	// application/soap+xml; charset=UTF-8
	// payload-1@oots.example application/gzip
}
