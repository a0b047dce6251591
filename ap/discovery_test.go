package ap_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/internal/dnstest"
	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
	"github.com/oots-go/oots/wssec"
)

const smlZone = "sml.ap.test.example"

var (
	discDocType = smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:evidence-request::QueryRequest##EDM-2.0"}
	discProcess = smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:evidence-exchange"}
)

func participantID(v string) smp.ID {
	return smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: v}
}

// discoveryWorld is a real dnsmasq serving BDXL records for smlZone and our
// SMP server publishing AP_DE_01 under the participant 0088:de.
type discoveryWorld struct {
	dns      string
	smpTrust *trust.Store
	smpURL   string
	store    *smp.MemoryStore
}

func newDiscoveryWorld(t testing.TB) *discoveryWorld {
	t.Helper()
	ca, err := pki.NewCA("SMP test CA", wssec.AS4v115, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := pki.Issue(ca, "smp", wssec.AS4v115, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w := &discoveryWorld{smpTrust: trust.NewStore(ca.Cert), store: smp.NewMemoryStore()}
	srv, err := smp.NewServer(smp.Config{Store: w.store, Key: signer.Sign.Signer(), Certificate: signer.Sign.Cert})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	w.smpURL = hs.URL
	// A rogue SMP: it publishes 0088:rogue, signed by a CA not trusted.
	rogueCA, err := pki.NewCA("rogue CA", wssec.AS4v115, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := pki.Issue(rogueCA, "smp", wssec.AS4v115, &pki.Options{Now: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rogueStore := smp.NewMemoryStore()
	rp := participantID("0088:rogue")
	if err := rogueStore.PutParticipant(context.Background(), rp); err != nil {
		t.Fatal(err)
	}
	if err := rogueStore.PutServiceMetadata(context.Background(), &smp.ServiceMetadata{Participant: rp, DocumentType: discDocType,
		Processes: []smp.Process{{ID: discProcess, Endpoints: []smp.Endpoint{{
			TransportProfile: smp.TransportEBMS3AS4, URL: "http://127.0.0.1:1/as4", Certificate: rogue.Sign.Cert.Raw}}}}}); err != nil {
		t.Fatal(err)
	}
	rsrv, err := smp.NewServer(smp.Config{Store: rogueStore, Key: rogue.Sign.Signer(), Certificate: rogue.Sign.Cert})
	if err != nil {
		t.Fatal(err)
	}
	rhs := httptest.NewServer(rsrv)
	t.Cleanup(rhs.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	rec := func(value, u string) dnstest.Record {
		n, err := bdxl.Name(bdxl.Participant{Scheme: smp.SchemeParticipantISO6523, Value: value}, smlZone)
		if err != nil {
			t.Fatal(err)
		}
		return dnstest.Record{Name: n, Order: 100, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!" + u + "!"}
	}
	w.dns = dnstest.Start(t, smlZone, []dnstest.Record{
		rec("0088:de", hs.URL),
		rec("0088:unknown", hs.URL),
		rec("0088:smpdown", downURL),
		rec("0088:rogue", rhs.URL),
	})
	return w
}

// publish registers AP_DE_01's endpoint under 0088:de.
func (w *discoveryWorld) publish(t testing.TB, url string, cert []byte) {
	t.Helper()
	ctx := context.Background()
	p := participantID("0088:de")
	if err := w.store.PutParticipant(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: p, DocumentType: discDocType,
		Processes: []smp.Process{{ID: discProcess, Endpoints: []smp.Endpoint{{
			TransportProfile: smp.TransportEBMS3AS4, URL: url, Certificate: cert}}}}}); err != nil {
		t.Fatal(err)
	}
}

func (w *discoveryWorld) client() *smp.Client {
	return &smp.Client{
		BDXL:              &bdxl.Resolver{DNS: &csdiscovery.Client{Server: w.dns}, Zone: smlZone, AllowHTTP: true},
		Flavour:           smp.OASIS1,
		Trust:             w.smpTrust,
		TransportProfiles: []string{smp.TransportEBMS3AS4},
		HTTP:              &http.Client{Timeout: 5 * time.Second},
	}
}

// discoveryNet starts two nodes where AP_FR_01 has no endpoint and no
// encryption certificate for AP_DE_01 in its configuration and resolves it
// as participant.
func discoveryNet(t testing.TB, w *discoveryWorld, participant string, docType smp.ID, more ...func(*ap.Config)) map[string]*testNode {
	return newNet(t, netOptions{
		retry: &pmode.Retry{Timeout: time.Minute, Count: 5, Strategy: pmode.RetryConstant},
		edit: func(name string, c *ap.Config) {
			if name != "AP_FR_01" {
				return
			}
			for i := range c.PMode.Parties {
				if c.PMode.Parties[i].Name == "AP_DE_01" {
					c.PMode.Parties[i].Endpoint = ""
				}
			}
			delete(c.EncryptionCerts, "AP_DE_01")
			c.Discovery = w.client()
			c.Discovered = map[string]ap.DiscoveredPartner{"AP_DE_01": {
				Participant: participantID(participant), DocumentType: docType, Process: discProcess}}
			for _, f := range more {
				f(c)
			}
		}})
}

// TestDiscoveredPartner: the receiver is found by BDXL in a real DNS
// server and our SMP; the message is delivered with a signed receipt.
func TestDiscoveredPartner(t *testing.T) {
	w := newDiscoveryWorld(t)
	nodes := discoveryNet(t, w, "0088:de", discDocType)
	de := nodes["AP_DE_01"]
	w.publish(t, de.url+"/as4", credentials(t, wssec.AS4v20).parties["AP_DE_01"].Encrypt.Cert.Raw)
	fr := nodes["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("disc-1", "q1"))
	if err != nil {
		t.Fatal(err)
	}
	if st = waitState(t, fr, st.MessageID, 20*time.Second); st.State != apstore.OutDelivered {
		t.Fatalf("state %s: %s", st.State, st.LastError)
	}
	o, err := fr.db.Outbound(context.Background(), st.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(o.Receipt), "Receipt") || !strings.Contains(string(o.Receipt), "SignatureValue") {
		t.Fatalf("no signed receipt stored: %.300s", o.Receipt)
	}
	if _, err := de.db.Inbound(context.Background(), st.MessageID); err != nil {
		t.Fatalf("the receiver has not the message: %v", err)
	}
}

// TestDiscoveryFinalFailures: the SMP does not know the participant, or
// not the document type for it, or its answer is signed by an untrusted
// key; the message fails for good after one attempt, with the cause.
func TestDiscoveryFinalFailures(t *testing.T) {
	w := newDiscoveryWorld(t)
	w.publish(t, "http://127.0.0.1:1/as4", credentials(t, wssec.AS4v20).parties["AP_DE_01"].Encrypt.Cert.Raw)
	for _, c := range []struct {
		participant string
		docType     smp.ID
		want        error
	}{
		{"0088:unknown", discDocType, smp.ErrParticipantUnknown},
		{"0088:de", smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:other"}, smp.ErrDocumentNotRegistered},
		{"0088:rogue", discDocType, smp.ErrBadAnswer},
	} {
		t.Run(c.participant, func(t *testing.T) {
			fr := discoveryNet(t, w, c.participant, c.docType)["AP_FR_01"]
			st, _, err := fr.Submit(context.Background(), submission("disc-2", "q2"))
			if err != nil {
				t.Fatal(err)
			}
			st = waitState(t, fr, st.MessageID, 20*time.Second)
			if st.State != apstore.OutFailed || st.Attempts != 1 || !strings.Contains(st.LastError, c.want.Error()) ||
				!strings.Contains(st.LastError, c.participant) || !strings.Contains(st.LastError, "EBMS:0202") {
				t.Fatalf("state %s after %d attempts: %s", st.State, st.Attempts, st.LastError)
			}
		})
	}
}

// TestDiscoverySMPUnreachable: the BDXL record points to an SMP that does
// not answer; the message stays queued for a retry.
func TestDiscoverySMPUnreachable(t *testing.T) {
	w := newDiscoveryWorld(t)
	fr := discoveryNet(t, w, "0088:smpdown", discDocType)["AP_FR_01"]
	st, _, err := fr.Submit(context.Background(), submission("disc-3", "q3"))
	if err != nil {
		t.Fatal(err)
	}
	// Attempts counts an attempt when it is claimed; its outcome (the
	// error and the next attempt's time) is written when it ends.
	deadline := time.Now().Add(20 * time.Second)
	for (st.Attempts == 0 || st.LastError == "") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if st, err = fr.Status(context.Background(), st.MessageID); err != nil {
			t.Fatal(err)
		}
	}
	if st.State != apstore.OutQueued || st.Attempts < 1 || !strings.Contains(st.LastError, smp.ErrUnreachable.Error()) || st.NextAttempt.IsZero() {
		t.Fatalf("state %s after %d attempts: %s", st.State, st.Attempts, st.LastError)
	}
}

// TestDiscoveryConfig: Validate names the wrong discovery fields.
func TestDiscoveryConfig(t *testing.T) {
	base := func() ap.Config {
		pm := pmodes(pmode.ProfileNone, map[string]string{"AP_FR_01": "http://127.0.0.1:1/as4"}, nil)
		pm.Self = "AP_FR_01"
		return ap.Config{PMode: pm, Store: &store.DB{}}
	}
	good := ap.DiscoveredPartner{Participant: participantID("0088:de"), DocumentType: discDocType, Process: discProcess}
	for _, c := range []struct {
		edit func(*ap.Config)
		want string
	}{
		{func(c *ap.Config) { c.Discovered = map[string]ap.DiscoveredPartner{"AP_DE_01": good} }, "Discovery: required"},
		{func(c *ap.Config) {
			c.Discovery = &smp.Client{}
			c.Discovered = map[string]ap.DiscoveredPartner{"AP_XX_01": good}
		}, "Discovered[AP_XX_01]"},
		{func(c *ap.Config) {
			c.Discovery = &smp.Client{}
			c.Discovered = map[string]ap.DiscoveredPartner{"AP_DE_01": {Participant: good.Participant, Process: discProcess}}
		}, "Discovered[AP_DE_01].DocumentType: required"},
	} {
		cfg := base()
		c.edit(&cfg)
		var fe *ap.FieldError
		if err := cfg.Validate(); !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// BenchmarkDiscoveredSend: one message at a time from AP_FR_01 to AP_DE_01
// found by discovery (real dnsmasq, our SMP over loopback HTTP), with the
// SMP client's cache (a lookup per cache period) and without it (BDXL and
// SMP asked before every attempt). It reports the mean duration of a
// sending attempt (lookup, pack, post, receipt check) in ms.
//
//	go test ./ap -run '^$' -bench DiscoveredSend -benchtime 200x
func BenchmarkDiscoveredSend(b *testing.B) {
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(c.name, func(b *testing.B) {
			w := newDiscoveryWorld(b)
			done := make(chan time.Duration, 1)
			nodes := discoveryNet(b, w, "0088:de", discDocType, func(cfg *ap.Config) {
				cfg.Discovery.(*smp.Client).CacheTTL = c.ttl
				cfg.OnSent = func(_, state string, d time.Duration) {
					if state == apstore.OutDelivered {
						done <- d
					}
				}
			})
			w.publish(b, nodes["AP_DE_01"].url+"/as4", credentials(b, wssec.AS4v20).parties["AP_DE_01"].Encrypt.Cert.Raw)
			fr := nodes["AP_FR_01"]
			ctx := context.Background()
			send := func(i int) time.Duration {
				if _, _, err := fr.Submit(ctx, submission("", fmt.Sprint("b", i))); err != nil {
					b.Fatal(err)
				}
				select {
				case d := <-done:
					return d
				case <-time.After(20 * time.Second):
					b.Fatal("no receipt within 20s")
				}
				return 0
			}
			send(-1) // warm up
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				total += send(i)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/attempt")
		})
	}
}
