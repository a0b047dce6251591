package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oots-go/oots/pki"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/wssec"
)

// TestSMPAPIUnknownMember: "oots smp add -api" and "oots smp rollover -api"
// read the entry they change from the management API and write it back.
// An SMP newer than this oots may answer with a member this oots does not
// know; writing the entry back would drop it, so both refuse, naming the
// member and where it is, and write nothing. "oots smp list -api", which
// writes nothing back, shows the entry.
func TestSMPAPIUnknownMember(t *testing.T) {
	ctx := context.Background()
	f := newSMPCertsFixture(t)
	ca, err := pki.NewCA("smp api CA", wssec.AS4v115, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := pki.Issue(ca, "smp", wssec.AS4v115, nil)
	st := smp.NewMemoryStore()
	srv, err := smp.NewServer(smp.Config{Store: st, Key: cred.Sign.Signer(), Certificate: cred.Sign.Cert, AdminToken: "api-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runOots(t, "smp", "add", "-db", f.db, "-participant", certsPart, "-doc", certsDoc, "-process", certsProc,
		"-url", "https://ap.example.eu/as4", "-cert", f.oldPEM); code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	dbStore, closeDB, err := openSMPStore(ctx, f.db)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := smp.ParseID(certsPart)
	d, _ := smp.ParseID(certsDoc)
	m, err := dbStore.ServiceMetadata(ctx, p, d)
	closeDB()
	if err != nil {
		t.Fatal(err)
	}
	st.PutParticipant(ctx, p)
	if err := st.PutServiceMetadata(ctx, m); err != nil {
		t.Fatal(err)
	}

	// A newer SMP: its answer about the entry has a member of the
	// endpoint this oots does not know.
	var puts atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/services/") {
			puts.Add(1)
		}
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/services/") {
			srv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Errorf("the SMP's answer: %v %s", err, rec.Body.Bytes())
		}
		v["processes"].([]any)[0].(map[string]any)["endpoints"].([]any)[0].(map[string]any)["priority"] = 1
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(hs.Close)
	withToken := func(k string) string {
		if k == smpTokenEnv {
			return "api-secret"
		}
		return ""
	}

	const want = `json: unknown field "priority" within "/processes/0/endpoints/0"`
	for _, args := range [][]string{
		{"add", "-process", "oots-procid::urn:oots:other", "-url", "https://ap2.example.eu/as4", "-cert", f.newPEM},
		{"rollover", "-process", certsProc, "-new-cert", f.newPEM, "-from", f.day(3)},
	} {
		all := append([]string{"smp", args[0], "-api", hs.URL, "-participant", certsPart, "-doc", certsDoc}, args[1:]...)
		code, out, errs := runOotsEnv(t, withToken, all...)
		if code != 2 || !strings.Contains(errs, want) || !strings.Contains(errs, "writing the entry back would drop it") {
			t.Errorf("%s -api over an answer with a member this oots does not know: %d %s %s, want 2 saying %s", args[0], code, out, errs, want)
		}
	}
	if n := puts.Load(); n != 0 {
		t.Errorf("%d entries written back", n)
	}
	if code, out, errs := runOotsEnv(t, withToken, "smp", "list", "-api", hs.URL); code != 0 || !strings.Contains(out, "https://ap.example.eu/as4") {
		t.Errorf("list -api: %d %s %s", code, out, errs)
	}

	// Without it, add -api writes back every member of what it read.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/services/") {
			b, _ := io.ReadAll(r.Body)
			if !bytes.Contains(b, []byte(`"url":"https://ap.example.eu/as4"`)) {
				t.Errorf("written back without the endpoint read: %s", b)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(plain.Close)
	if code, _, errs := runOotsEnv(t, withToken, "smp", "add", "-api", plain.URL, "-participant", certsPart, "-doc", certsDoc,
		"-process", "oots-procid::urn:oots:other", "-url", "https://ap2.example.eu/as4", "-cert", filepath.Join(f.dir, "ap-new.cert.pem")); code != 0 {
		t.Errorf("add -api: %d %s", code, errs)
	}
}
