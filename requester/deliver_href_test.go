package requester_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/oots-go/oots/requester"
)

// TestEvidenceHrefForms: the evidence a RepositoryItemRef names by a cid:
// URL with its scheme in capitals and its content-id percent-encoded (RFC
// 3986 §3.1, RFC 2392) is the payload's: stored with its media type and
// served as it came.
func TestEvidenceHrefForms(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), commonServices(t), nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	sub, req := f.sender.last(t)
	p := remoteProvider{href: func(cid string) string { return "CID:" + strings.ReplaceAll(cid, "@", "%40") }}
	deliver(t, f.conn, p.evidence(t, sub, req, []byte("%PDF-1.7 evidence")))
	j = must[*requester.Journey](t)(f.conn.Get(ctx, j.ID))
	r := wantStep(t, j, 0, requester.StepDone)
	if len(r.Exchange.Evidence) != 1 {
		t.Fatalf("evidence %+v", r.Exchange.Evidence)
	}
	e := r.Exchange.Evidence[0]
	file, err := f.conn.Evidence(ctx, j.ID, e.ID)
	if err != nil || e.Format != "application/pdf" || !bytes.Equal(file.Data, []byte("%PDF-1.7 evidence")) {
		t.Fatalf("evidence %+v: %v", e, err)
	}
}
