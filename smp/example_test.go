package smp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

// An SMP publishes where a participant receives a document type; a client
// looks it up and checks the signed answer.
func Example() {
	ca, _ := pki.NewCA("example CA", wssec.AS4v115, nil)
	smpCred, _ := pki.Issue(ca, "smp.example.eu", wssec.AS4v115, nil)
	ap, _ := pki.Issue(ca, "ap.example.eu", wssec.AS4v115, nil)

	ctx := context.Background()
	participant := smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:5798000000001"}
	docType := smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:QueryRequest"}
	process := smp.ID{Scheme: "oots-procid", Value: "urn:oots:evidence-exchange"}

	store := smp.NewMemoryStore()
	store.PutParticipant(ctx, participant)
	store.PutServiceMetadata(ctx, &smp.ServiceMetadata{
		Participant:  participant,
		DocumentType: docType,
		Processes: []smp.Process{{ID: process, Endpoints: []smp.Endpoint{{
			TransportProfile: smp.TransportEBMS3AS4,
			URL:              "https://ap.example.eu/as4",
			Certificate:      ap.Sign.Cert.Raw,
		}}}},
	})
	server, err := smp.NewServer(smp.Config{Store: store, Key: smpCred.Sign.Signer(), Certificate: smpCred.Sign.Cert})
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(server)
	defer hs.Close()

	client := &smp.Client{SMP: hs.URL, Flavour: smp.OASIS2, Trust: trust.NewStore(ca.Cert)}
	target, err := client.Resolve(ctx, participant, docType, process)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(target.URL, target.TransportProfile, target.Certificate.Subject.CommonName)

	_, err = client.Resolve(ctx, participant, smp.ID{Scheme: "oots-docid-qns", Value: "urn:unknown"}, process)
	fmt.Println(err != nil)
	// Output:
	// https://ap.example.eu/as4 bdxr-transport-ebms3-as4-v1p0 ap.example.eu
	// true
}
