package saml_test

import (
	"fmt"

	"github.com/oots-go/oots/eid/saml"
)

// A configuration is checked at start-up: Validate names the first field
// that is missing or wrong (here our keys, before the nodes).
func ExampleConfig_Validate() {
	cfg := saml.Config{
		BaseURL: "https://portal.example.nl",
		Nodes: map[string]saml.Node{"BE": {
			EntityID:    "https://eidas.example.be/EidasNode/ConnectorMetadata",
			MetadataURL: "https://eidas.example.be/EidasNode/ConnectorMetadata",
		}},
	}
	fmt.Println(cfg.Validate())
	// Output:
	// saml: Config.SigningKey is missing
}
