package smp_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

var (
	participant = smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:5798000000001"}
	docType     = smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:evidence-request::QueryRequest##EDM-2.0"}
	process     = smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:evidence-exchange"}
)

type fixture struct {
	ca, rogueCA *pki.Credential
	smpCred     *pki.Party // the SMP's signing credential
	rogue       *pki.Party // a credential of an untrusted CA
	ap          *pki.Party // the receiving access point
	trust       *trust.Store
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() {
		f := &fixture{}
		if f.ca, fixErr = pki.NewCA("SMP test CA", wssec.AS4v115, nil); fixErr != nil {
			return
		}
		if f.rogueCA, fixErr = pki.NewCA("rogue CA", wssec.AS4v115, nil); fixErr != nil {
			return
		}
		if f.smpCred, fixErr = pki.Issue(f.ca, "smp", wssec.AS4v115, nil); fixErr != nil {
			return
		}
		if f.rogue, fixErr = pki.Issue(f.rogueCA, "smp", wssec.AS4v115, nil); fixErr != nil {
			return
		}
		if f.ap, fixErr = pki.Issue(f.ca, "ap-receiver", wssec.AS4v115, nil); fixErr != nil {
			return
		}
		f.trust = trust.NewStore(f.ca.Cert)
		fix = f
	})
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fix
}

func (f *fixture) metadata() *smp.ServiceMetadata {
	return &smp.ServiceMetadata{
		Participant:  participant,
		DocumentType: docType,
		Processes: []smp.Process{{
			ID: process,
			Endpoints: []smp.Endpoint{{
				TransportProfile: smp.TransportEBMS3AS4,
				URL:              "https://ap.example.eu/as4",
				Certificate:      f.ap.Sign.Cert.Raw,
				Description:      "receiving access point",
				Contact:          "mailto:ops@example.eu",
			}},
		}},
	}
}

// smpB starts a second SMP, B, under the fixture's CA with a signing
// certificate of its own ("smp2.example.eu"): it answers for the
// participant and document type of populated. It returns B's credentials,
// its server and the count of the requests B answered.
func (f *fixture) smpB(t *testing.T) (*pki.Party, *httptest.Server, *atomic.Int32) {
	t.Helper()
	other, err := pki.Issue(f.ca, "smp2.example.eu", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := smp.NewServer(smp.Config{Store: f.populated(t, smp.NewMemoryStore()), Key: other.Sign.Signer(), Certificate: other.Sign.Cert})
	if err != nil {
		t.Fatal(err)
	}
	hs, asked := countingServer(t, srv)
	return other, hs, asked
}

// populated returns a store with the fixture's participant and metadata.
func (f *fixture) populated(tb testing.TB, s smp.Store) smp.Store {
	tb.Helper()
	ctx := context.Background()
	if err := s.PutParticipant(ctx, participant); err != nil {
		tb.Fatal(err)
	}
	if err := s.PutServiceMetadata(ctx, f.metadata()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// server starts our SMP over HTTP with the given flavour at the root paths
// and signing credential.
func (f *fixture) server(tb testing.TB, s smp.Store, fl smp.Flavour, signer *pki.Party) *httptest.Server {
	tb.Helper()
	srv, err := smp.NewServer(smp.Config{Store: s, Key: signer.Sign.Signer(), Certificate: signer.Sign.Cert, Flavour: fl, AdminToken: "secret"})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	return hs
}
