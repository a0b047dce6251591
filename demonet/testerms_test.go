package demonet_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/demonet"
	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/requester"
)

// TestTesterMemberState: with the tester configured, the Common Services
// know the conformance tester's Member State: the R1 requirement there, its
// evidence type and a data service behind the kit's access point, which the
// requester routes to the kit's party; the requester's REST API wants its
// own token; the portal does not offer the tester's country.
func TestTesterMemberState(t *testing.T) {
	ctx := context.Background()
	tester := "http://" + freeAddr(t) + "/as4"
	n := startNet(t, demonet.Config{Countries: []string{"DE", "FR"}, TesterEndpoint: tester})
	nd := n.Node("DE")
	if len(nd.RequesterToken) != 64 || nd.RequesterToken == nd.APIToken {
		t.Errorf("requester token %q: want 32 bytes in hex, not the backend API's", nd.RequesterToken)
	}
	subject := eid.Subject{Person: &eid.NaturalPerson{Identifier: "DE/DE/kit-1", FamilyName: "Muster", GivenName: "Max", DateOfBirth: "1980-01-01"},
		LoA: eid.LoAHigh, Country: "DE"}
	start := requester.StartRequest{Procedure: demonet.TesterProcedure, Country: demonet.TesterCountry, Subject: subject,
		ReturnURL: nd.PortalURL + "/return"}
	if _, err := (&requester.Client{BaseURL: nd.APURL, HTTP: n.Client()}).Start(ctx, start); !errors.Is(err, requester.ErrUnauthorized) {
		t.Errorf("the requester API without its token: %v, want ErrUnauthorized", err)
	}
	c := &requester.Client{BaseURL: nd.APURL, Token: nd.RequesterToken, HTTP: n.Client()}
	j, err := c.Start(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Requirements) != 1 {
		t.Fatalf("%d requirements for %s in %s, want 1", len(j.Requirements), demonet.TesterProcedure, demonet.TesterCountry)
	}
	r := j.Requirements[0]
	if r.Step != requester.StepExplicitRequest || r.ChosenEvidenceType != demonet.TesterClassification() || r.ChosenProvider != demonet.TesterProvider {
		t.Errorf("requirement: step %s, evidence type %s, provider %s; want %s, %s, %s", r.Step, r.ChosenEvidenceType, r.ChosenProvider,
			requester.StepExplicitRequest, demonet.TesterClassification(), demonet.TesterProvider)
	}
	// The portal offers the other demo countries, not the tester's.
	resp, err := n.Client().Get(nd.PortalURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("portal: HTTP %d, %v", resp.StatusCode, err)
	}
	if !strings.Contains(string(page), `<option value="FR"`) || strings.Contains(string(page), `<option value="`+demonet.TesterCountry+`"`) {
		t.Errorf("the portal's countries are not FR without %s:\n%s", demonet.TesterCountry, page)
	}
}
