package csregistry

// EnvironmentRules are the TDD 1.0 rules of the Common Services' messages
// that admit only the production host of the Semantic Repository and a
// country code in a classification: of the LCM submissions (R-EB-SUB-C001,
// R-EB-SUB-C012, R-DSD-SUB-C002) and of the 1.x answers (R-EB-REQ-C001,
// R-EB-EVI-C001, R-EB-EVI-C016, R-DSD-RESP-C003, R-DSD-ERR-C011). No
// content of another environment meets them: a registry that holds its
// identifiers tolerates them (Config.TolerateRules), and so does the
// conformance kit told the environment. TDD 2.0.1 accepts these
// identifiers (R-EDM-REQ-C008, C027).
func EnvironmentRules() []string {
	return []string{"R-EB-SUB-C001", "R-EB-SUB-C012", "R-DSD-SUB-C002",
		"R-EB-REQ-C001", "R-EB-EVI-C001", "R-EB-EVI-C016", "R-DSD-RESP-C003", "R-DSD-ERR-C011"}
}
