package requester_test

import (
	"context"
	"slices"
	"testing"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/requester"
)

// mergedFormats answers the DSD query as a 2.0 Data Service Directory may:
// the formats of a data service in one DistributedAs.
type mergedFormats struct{ edm20Services }

func (s mergedFormats) DataServices(ctx context.Context, classification, country string, extra map[string]string) ([]*edm.DataServiceEvidenceType, error) {
	ds, err := s.edm20Services.DataServices(ctx, classification, country, extra)
	for _, d := range ds {
		if len(d.DistributedAs) < 2 {
			continue
		}
		first := d.DistributedAs[0]
		first.ConformsTo = ""
		for _, o := range d.DistributedAs[1:] {
			first.MoreFormats = append(first.MoreFormats, o.Formats()...)
		}
		d.DistributedAs = []edm.Distribution{first}
	}
	return ds, err
}

// TestSeveralFormatsOffered: each format of a DistributedAs that names
// several is a choice for the user, and the request asks for the chosen one
// alone.
func TestSeveralFormatsOffered(t *testing.T) {
	f := newFixture(t, sqliteDSN(t), mergedFormats{edm20Services{commonServices(t)}}, nil)
	j := must[*requester.Journey](t)(f.conn.Start(ctx, start("R1", "FR", person())))
	r := wantStep(t, j, 0, requester.StepExplicitRequest)
	if len(r.Providers) != 1 || !slices.Contains(r.Providers[0].Formats, "application/xml") || !slices.Contains(r.Providers[0].Formats, "application/pdf") {
		t.Fatalf("providers %+v, want one offering PDF and XML", r.Providers)
	}
	j = must[*requester.Journey](t)(f.conn.Choose(ctx, j.ID, "0", requester.Choice{Format: "application/xml"}))
	must[*requester.Journey](t)(f.conn.Request(ctx, j.ID, "0", yes))
	_, req := f.sender.last(t)
	if d := req.Request.EvidenceRequest.DistributedAs; len(d) != 1 || d[0].Format != "application/xml" || len(d[0].MoreFormats) != 0 {
		t.Errorf("DistributedAs %+v, want the chosen XML alone", d)
	}
}
