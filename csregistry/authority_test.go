package csregistry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/demo"
	"github.com/oots-go/oots/regrep"
)

// published returns a registry into which the demo data set was published
// as the Member States publish it: the requirements by the operator, then
// each Member State's own objects with its authority; and the submissions.
func published(tb testing.TB) (*csregistry.Registry, map[string][2]*edm.SubmitObjectsRequest) {
	tb.Helper()
	ctx := context.Background()
	subs, err := demo.Submissions(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	r, err := csregistry.Open(ctx, csregistry.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if subs[""][1] != nil {
		tb.Fatalf("DSD objects of no Member State: %d", len(subs[""][1].Objects))
	}
	if err := r.Submit(ctx, subs[""][0]); err != nil {
		tb.Fatalf("requirements: %v", err)
	}
	for _, cc := range []string{"DE", "FR", "FI", "SE"} {
		for _, s := range subs[cc] {
			if s == nil {
				tb.Fatalf("%s has no %v submission", cc, s)
			}
			if _, err := r.SubmitXMLAs(ctx, csregistry.Submitter{Party: "AP-" + cc, Country: cc}, marshal(tb, s)); err != nil {
				tb.Fatalf("%s: %v", cc, err)
			}
		}
	}
	return r, subs
}

func marshal(tb testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	tb.Helper()
	b, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fresh returns a copy of a submission that can be changed.
func fresh(tb testing.TB, s *edm.SubmitObjectsRequest) *edm.SubmitObjectsRequest {
	tb.Helper()
	m, _, err := edm.ParseBytes(marshal(tb, s))
	if err != nil {
		tb.Fatal(err)
	}
	return m.(*edm.SubmitObjectsRequest)
}

// TestPublishByMemberStates: the demo data set split by owner and
// published by each Member State with its authority is the whole data set.
func TestPublishByMemberStates(t *testing.T) {
	r, _ := published(t)
	all, _ := newDemo(t, csregistry.Config{})
	for _, svc := range []csregistry.Service{csregistry.EvidenceBroker, csregistry.DataServiceDirectory} {
		if got, want := r.Snapshot().Objects(svc), all.Snapshot().Objects(svc); got != want {
			t.Errorf("%s: %d objects published, the data set has %d", svc, got, want)
		}
	}
}

// TestAuthorityAndVersions: the rules of a Member State's submission. Each
// case must be refused with its LCM code and change nothing; the last one
// is accepted.
func TestAuthorityAndVersions(t *testing.T) {
	de := csregistry.Submitter{Party: "AP-DE", Country: "DE"}
	evidenceType := func(s *edm.SubmitObjectsRequest) (*edm.Object, *edm.EvidenceType) {
		for _, o := range s.Objects {
			if p, ok := o.Payload.(*edm.EvidenceType); ok {
				return o, p
			}
		}
		t.Fatal("no evidence type")
		return nil, nil
	}
	cases := []struct {
		name string
		body func(subs map[string][2]*edm.SubmitObjectsRequest) []byte
		code string // "" accepted
	}{
		{"another Member State's objects", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			return marshal(t, subs["FR"][0])
		}, "LCM:ERR:0001"},
		{"another Member State's data services", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			return marshal(t, subs["FR"][1])
		}, "LCM:ERR:0001"},
		{"removal of another Member State's object", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			return removal(subs["FR"][0].Objects[0].ID)
		}, "LCM:ERR:0001"},
		{"removal of a requirement", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			return removal(subs[""][0].Objects[0].ID)
		}, "LCM:ERR:0001"},
		{"change of a requirement", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			s := fresh(t, subs["DE"][0]) // with the requirements its lists fulfil
			for _, o := range s.Objects {
				if p, ok := o.Payload.(*edm.Requirement); ok {
					o.VersionInfo = &regrep.VersionInfo{VersionName: "2"}
					p.Name[0].Value += " (changed)"
					return marshal(t, s)
				}
			}
			t.Fatal("no requirement in DE's submission")
			return nil
		}, "LCM:ERR:0001"},
		{"change without a new version", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			s := fresh(t, subs["DE"][0])
			_, p := evidenceType(s)
			p.Title[0].Value += " (changed)"
			return marshal(t, s)
		}, "LCM:ERR:0001"},
		{"removal of a code in use", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			s := fresh(t, subs["DE"][0])
			o, p := evidenceType(s)
			o.VersionInfo = &regrep.VersionInfo{VersionName: "2"}
			p.EvidenceTypeClassification = edm.SRID{V1: true, Kind: edm.SREvidenceTypeClassifications, Country: "DE", UUID: "0b4a0a35-2a8e-4d2c-9a43-000000000001"}.String()
			return marshal(t, s)
		}, "LCM:ERR:0003"},
		{"change with a new version", func(subs map[string][2]*edm.SubmitObjectsRequest) []byte {
			s := fresh(t, subs["DE"][0])
			o, p := evidenceType(s)
			o.VersionInfo = &regrep.VersionInfo{VersionName: "2"}
			p.Title[0].Value += " (changed)"
			return marshal(t, s)
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, subs := published(t)
			before := r.Snapshot()
			resp, err := r.SubmitXMLAs(context.Background(), de, c.body(subs))
			if c.code == "" {
				if err != nil || resp.Kind() != edm.KindLCMSuccess {
					t.Fatalf("refused: %v", err)
				}
				if r.Snapshot() == before {
					t.Error("nothing published")
				}
				return
			}
			if err == nil || len(resp.Exceptions) == 0 {
				t.Fatalf("accepted, want %s", c.code)
			}
			if got := resp.Exceptions[0].Code; string(got) != c.code {
				t.Errorf("code %s, want %s (%v)", got, c.code, err)
			}
			if r.Snapshot() != before {
				t.Error("a refused request changed the registry")
			}
		})
	}
}

func removal(ids ...string) []byte {
	refs := ""
	for _, id := range ids {
		refs += fmt.Sprintf(`<rim:ObjectRef id="%s"/>`, id)
	}
	return []byte(`<lcm:RemoveObjectsRequest xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:4.0" id="urn:uuid:0b4a0a35-2a8e-4d2c-9a43-0000000000fd"><rim:ObjectRefList>` + refs + `</rim:ObjectRefList></lcm:RemoveObjectsRequest>`)
}
