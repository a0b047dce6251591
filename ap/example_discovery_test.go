package ap_test

import (
	"fmt"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/bdxl"
	"github.com/oots-go/oots/csdiscovery"
	"github.com/oots-go/oots/smp"
	"github.com/oots-go/oots/store"
	"github.com/oots-go/oots/trust"
)

// AP_DE_01 is resolved by dynamic discovery (BDXL in the SML zone, then its
// SMP); the other partners keep their P-Mode endpoints. The node asks the
// resolver before each attempt to AP_DE_01.
func ExampleDiscoveredPartner() {
	pm := pmodes(pmode.ProfileNone, map[string]string{"AP_FR_01": "https://fr.example/as4"}, nil)
	pm.Self = "AP_FR_01"
	cfg := ap.Config{PMode: pm, Store: &store.DB{},
		Discovered: map[string]ap.DiscoveredPartner{"AP_DE_01": {
			Participant:  smp.ID{Scheme: smp.SchemeParticipantISO6523, Value: "0088:4035811991021"},
			DocumentType: smp.ID{Scheme: "oots-docid-qns", Value: "urn:oots:evidence-request::QueryRequest##EDM-2.0"},
			Process:      smp.ID{Scheme: "oots-procid", Value: "urn:oots:process:evidence-exchange"},
		}}}
	fmt.Println(cfg.Validate())

	cfg.Discovery = &smp.Client{
		BDXL:              &bdxl.Resolver{DNS: &csdiscovery.Client{Server: "192.0.2.53:53"}, Zone: bdxl.ZoneEDelivery},
		Flavour:           smp.OASIS1,
		Trust:             trust.NewStore(),
		TransportProfiles: []string{smp.TransportEBMS3AS4},
	}
	fmt.Println(cfg.Validate())
	// Output:
	// Discovery: required: partners are resolved by discovery
	// <nil>
}
