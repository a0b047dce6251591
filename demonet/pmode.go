package demonet

import (
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/exchange"
	"github.com/oots-go/oots/wssec"
)

// schemes are the EAS identifier schemes of the demo countries' party ids
// (the AccessService identifiers of the demo DSD data).
var schemes = map[string]string{"DE": "9930", "FR": "0009", "FI": "0037", "SE": "0007"}

// Scheme returns the identifier scheme of a demo country's parties.
func Scheme(cc string) string {
	if s, ok := schemes[cc]; ok {
		return "urn:cef.eu:names:identifier:EAS:" + s
	}
	return "urn:oasis:names:tc:ebcore:partyid-type:unregistered:" + cc
}

// partyName is the P-Mode party of a country's access point, which is also
// its party id (the DSD's AccessService identifier).
func partyName(cc string) string { return "AP-" + cc }

// pmodes returns the P-Modes of the network: every access point, and the
// conformance kit's party TesterParty (endpoint tester, "" for none), may
// send every OOTS exchange action to every other, with the eDelivery AS4
// 2.0 profile (signed, encrypted, signed receipts, duplicate detection),
// the retry policy given and the four OOTS message properties; and the
// ebMS test service on TestLeg (see testLeg). self "" is the kit's view,
// Self TesterParty.
func pmodes(countries []string, endpoints map[string]string, tester, self string) *pmode.Config {
	var parties []string
	c := &pmode.Config{Self: TesterParty}
	if self != "" {
		c.Self = partyName(self)
	}
	for _, cc := range countries {
		n := partyName(cc)
		parties = append(parties, n)
		c.Parties = append(c.Parties, pmode.Party{Name: n, IDs: []pmode.PartyID{{Type: Scheme(cc), Value: n}}, Endpoint: endpoints[cc]})
	}
	parties = append(parties, TesterParty)
	c.Parties = append(c.Parties, pmode.Party{Name: TesterParty, IDs: []pmode.PartyID{{Type: TesterPartyType, Value: TesterParty}}, Endpoint: tester})
	leg := func(name, action string) pmode.Leg {
		return pmode.Leg{
			Name: name, MEP: pmode.MEPOneWay, Binding: pmode.BindingPush,
			Initiator: pmode.PartyRole{Parties: parties, Role: as4.OOTSRole},
			Responder: pmode.PartyRole{Parties: parties, Role: as4.OOTSRole},
			Service:   pmode.Service{Value: as4.OOTSQueryManager, Type: as4.OOTSServiceType},
			Action:    action,
			Security:  pmode.Security{Profile: wssec.AS4v20, Sign: true, Encrypt: true},
			Reliability: pmode.Reliability{Receipt: pmode.ReceiptResponse, NonRepudiation: true, DuplicateDetection: true,
				Retry: &pmode.Retry{Count: 5, Timeout: 2 * time.Minute, Strategy: pmode.RetryProgressive}},
			Properties: []pmode.PropertyDef{{Name: exchange.PropOriginalSender, Required: true}, {Name: exchange.PropFinalRecipient, Required: true},
				{Name: exchange.PropSpecification}, {Name: exchange.PropExchangeID}},
			Payload:       pmode.PayloadProfile{Compress: true, MaxSize: 32 << 20},
			ErrorHandling: pmode.ErrorHandling{AsResponse: true},
		}
	}
	c.Legs = []pmode.Leg{
		leg(exchange.DefaultLegs().Request, exchange.ActionRequest),
		leg(exchange.DefaultLegs().Response, exchange.ActionResponse),
		leg(exchange.DefaultLegs().Error, exchange.ActionError),
		testLeg(parties),
	}
	return c
}
