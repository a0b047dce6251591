package smp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/internal/pgtest"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
)

// TestStores runs one behavioural suite against every Store: in memory,
// SQLite and PostgreSQL.
func TestStores(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (smp.Store, func() smp.Store) {
			s := smp.NewMemoryStore()
			return s, func() smp.Store { return s }
		})
	})
	t.Run("http", func(t *testing.T) {
		// The management API over HTTP, in front of a memory store.
		f := getFixture(t)
		runStoreSuite(t, func(t *testing.T) (smp.Store, func() smp.Store) {
			hs := f.server(t, smp.NewMemoryStore(), smp.OASIS1, f.smpCred)
			s := &smp.RemoteStore{BaseURL: hs.URL, Token: "secret"}
			return s, func() smp.Store { return s }
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) (smp.Store, func() smp.Store) {
			dsn := filepath.Join(t.TempDir(), "oots.db")
			return sqlStore(t, dsn), func() smp.Store { return sqlStore(t, dsn) }
		})
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		runStoreSuite(t, func(t *testing.T) (smp.Store, func() smp.Store) {
			dsn := srv.NewDatabase(t)
			return sqlStore(t, dsn), func() smp.Store { return sqlStore(t, dsn) }
		})
	})
}

func sqlStore(t *testing.T, dsn string) smp.Store {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := smp.NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runStoreSuite(t *testing.T, newStore func(t *testing.T) (smp.Store, func() smp.Store)) {
	ctx := context.Background()
	f := getFixture(t)
	t.Run("lifecycle", func(t *testing.T) {
		s, reopen := newStore(t)
		if _, err := s.ServiceGroup(ctx, participant); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("empty store: %v", err)
		}
		if err := s.PutServiceMetadata(ctx, f.metadata()); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("metadata of an unknown participant: %v", err)
		}
		f.populated(t, s)
		if err := s.PutParticipant(ctx, participant); err != nil {
			t.Fatalf("second put: %v", err)
		}
		other := smp.ID{Scheme: "oots-docid-qns", Value: "urn:second"}
		m2 := f.metadata()
		m2.DocumentType = other
		m2.Participant = smp.ID{Scheme: "ISO6523-actorid-upis", Value: "0088:5798000000001"} // case-insensitive
		if err := s.PutServiceMetadata(ctx, m2); err != nil {
			t.Fatal(err)
		}
		s = reopen()
		g, err := s.ServiceGroup(ctx, smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:5798000000001"})
		if err != nil || g.Participant != participant || len(g.DocumentTypes) != 2 || g.DocumentTypes[0] != docType || g.DocumentTypes[1] != other {
			t.Fatalf("group %+v %v", g, err)
		}
		m, err := s.ServiceMetadata(ctx, participant, docType)
		if err != nil || m.Processes[0].Endpoints[0].URL != "https://ap.example.eu/as4" || string(m.Processes[0].Endpoints[0].Certificate) != string(f.ap.Sign.Cert.Raw) {
			t.Fatalf("metadata %+v %v", m, err)
		}
		if _, err := s.ServiceMetadata(ctx, participant, smp.ID{Value: "urn:none"}); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("unknown document type: %v", err)
		}
		// Document types are case-sensitive.
		if _, err := s.ServiceMetadata(ctx, participant, smp.ID{Scheme: docType.Scheme, Value: "URN:OOTS:EVIDENCE-REQUEST::QUERYREQUEST##EDM-2.0"}); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("document type in upper case: %v", err)
		}
		// Replacing.
		m.Processes[0].Endpoints[0].URL = "https://ap2.example.eu/as4"
		if err := s.PutServiceMetadata(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.ServiceMetadata(ctx, participant, docType); m.Processes[0].Endpoints[0].URL != "https://ap2.example.eu/as4" {
			t.Fatalf("not replaced: %+v", m)
		}
		if err := s.DeleteServiceMetadata(ctx, participant, other); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteServiceMetadata(ctx, participant, other); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		ids, err := s.Participants(ctx)
		if err != nil || len(ids) != 1 || ids[0] != participant {
			t.Fatalf("participants %v %v", ids, err)
		}
		if err := s.DeleteParticipant(ctx, participant); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ServiceMetadata(ctx, participant, docType); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("metadata survives its participant: %v", err)
		}
		if err := s.DeleteParticipant(ctx, participant); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
	t.Run("endpoint certificates", func(t *testing.T) {
		// An endpoint keeps every certificate it publishes, with its type,
		// description and dates.
		s, reopen := newStore(t)
		if err := s.PutParticipant(ctx, participant); err != nil {
			t.Fatal(err)
		}
		want := newRollover(t).metadata(f)
		if err := s.PutServiceMetadata(ctx, want); err != nil {
			t.Fatal(err)
		}
		m, err := reopen().ServiceMetadata(ctx, participant, docType)
		if err != nil || !bytes.Equal(m.Processes[0].Endpoints[0].Certificate, want.Processes[0].Endpoints[0].Certificate) ||
			!sameCertificates(m.Processes[0].Endpoints[0].Certificates, want.Processes[0].Endpoints[0].Certificates) {
			t.Fatalf("endpoint %+v %v", m, err)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		// A redirect keeps every certificate it carries.
		s, reopen := newStore(t)
		if err := s.PutParticipant(ctx, participant); err != nil {
			t.Fatal(err)
		}
		certs := [][]byte{f.smpCred.Sign.Cert.Raw, f.ap.Sign.Cert.Raw}
		if err := s.PutServiceMetadata(ctx, &smp.ServiceMetadata{Participant: participant, DocumentType: docType, Redirect: &smp.Redirect{URL: "https://smp2.example.eu/", Certificates: certs}}); err != nil {
			t.Fatal(err)
		}
		m, err := reopen().ServiceMetadata(ctx, participant, docType)
		if err != nil || m.Redirect == nil || len(m.Redirect.Certificates) != 2 || !bytes.Equal(m.Redirect.Certificates[0], certs[0]) || !bytes.Equal(m.Redirect.Certificates[1], certs[1]) {
			t.Fatalf("redirect %+v %v", m, err)
		}
	})
}

// TestRedirectJSON: a redirect stored before it held several certificates
// (one "certificate") reads with that certificate; a field the redirect
// does not know is refused, by name.
func TestRedirectJSON(t *testing.T) {
	f := getFixture(t)
	old := `{"participant":{"value":"p"},"documentType":{"value":"d"},"redirect":{"url":"https://smp2.example.eu/","certificate":"` +
		base64.StdEncoding.EncodeToString(f.smpCred.Sign.Cert.Raw) + `"}}`
	var m smp.ServiceMetadata
	if err := json.Unmarshal([]byte(old), &m); err != nil {
		t.Fatal(err)
	}
	if m.Redirect == nil || m.Redirect.URL != "https://smp2.example.eu/" || len(m.Redirect.Certificates) != 1 || !bytes.Equal(m.Redirect.Certificates[0], f.smpCred.Sign.Cert.Raw) {
		t.Fatalf("%+v", m.Redirect)
	}
	b, _ := json.Marshal(&m)
	if strings.Contains(string(b), `"certificate"`) || !strings.Contains(string(b), `"certificates"`) {
		t.Fatalf("written as %s", b)
	}
	// The validity windows of its certificates are kept.
	from := time.Date(2026, 12, 6, 0, 0, 0, 0, time.FixedZone("", 3600))
	m.Redirect.Validity = []smp.Validity{{Activation: from, Expiration: from.AddDate(0, 0, 5)}}
	b, _ = json.Marshal(&m)
	var again smp.ServiceMetadata
	if err := json.Unmarshal(b, &again); err != nil || len(again.Redirect.Validity) != 1 ||
		!again.Redirect.Validity[0].Activation.Equal(from) || !again.Redirect.Validity[0].Expiration.Equal(from.AddDate(0, 0, 5)) {
		t.Fatalf("validity read back from %s: %+v %v", b, again.Redirect, err)
	}
	err := json.Unmarshal([]byte(`{"redirect":{"url":"https://smp2.example.eu/","certificats":[]}}`), &m)
	if err == nil || !strings.Contains(err.Error(), "certificats") {
		t.Fatalf("misspelt field: %v", err)
	}
}
