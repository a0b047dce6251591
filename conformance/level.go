package conformance

import "fmt"

// Level is a readiness level of a Member State's OOTS implementation, in the
// order a Member State goes through them.
type Level int

// The readiness levels. The kit can establish the first four from its
// suites; the last two need live exchanges in production, which a test kit
// cannot observe, so a run never reports them (Missing says so).
const (
	// LevelNone: not even the first case passed.
	LevelNone Level = iota
	// LevelInitial: the node is reachable and accepts a valid signed and
	// encrypted user message with a correct receipt (case AS4-01).
	LevelInitial
	// LevelPreliminary: the whole as4-receive suite passes (the node as
	// receiving access point: receipts, duplicates, error signals,
	// certificates, compression, sizes).
	LevelPreliminary
	// LevelIntermediate: also the as4-send suite (the node as sending
	// access point) and the common-services suite pass.
	LevelIntermediate
	// LevelTechnicallyReady: also the edm suite (TC01–TC10, the node as
	// evidence provider) and the edm-requester suite (RQ01…, the node as
	// evidence requester) pass.
	LevelTechnicallyReady
	// LevelFirstLive: first live transactions with another Member State
	// in production (outside this kit).
	LevelFirstLive
	// LevelEndUser: end-user transactions in production (outside this
	// kit).
	LevelEndUser
)

var levelNames = []string{"none", "initial", "preliminary", "intermediate", "technically ready", "first live transactions", "end-user transactions"}

// String returns the name of the level.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// levelSuites lists, for each level the kit can establish, the suites that
// must pass entirely (every case of the suite run and passed) on top of
// those of the levels below.
var levelSuites = map[Level][]Suite{
	LevelPreliminary:      {SuiteAS4Receive},
	LevelIntermediate:     {SuiteAS4Send, SuiteCS},
	LevelTechnicallyReady: {SuiteEDM, SuiteEDMRequester},
}

// Assess returns the level the cases support and what the next level
// still needs, one sentence per missing thing.
func Assess(cases []*Case) (Level, []string) {
	bySuite := map[Suite][]*Case{}
	for _, c := range cases {
		bySuite[c.Suite] = append(bySuite[c.Suite], c)
	}
	suiteMissing := func(s Suite) []string {
		cs := bySuite[s]
		if len(cs) == 0 {
			return []string{fmt.Sprintf("suite %s was not run", s)}
		}
		var out []string
		for _, c := range cs {
			if c.Status != Pass {
				out = append(out, fmt.Sprintf("%s %s (%s): %s", c.ID, c.Name, c.Status, c.Reason))
			}
		}
		return out
	}
	level := LevelNone
	var first *Case
	for _, c := range cases {
		if c.ID == "AS4-01" {
			first = c
		}
	}
	if first == nil || first.Status != Pass {
		reason := "case AS4-01 (valid message accepted with a correct receipt) was not run"
		if first != nil {
			reason = fmt.Sprintf("AS4-01 %s (%s): %s", first.Name, first.Status, first.Reason)
		}
		return level, []string{reason}
	}
	level = LevelInitial
	for l := LevelPreliminary; l <= LevelTechnicallyReady; l++ {
		var missing []string
		for _, s := range levelSuites[l] {
			missing = append(missing, suiteMissing(s)...)
		}
		if len(missing) > 0 {
			return level, missing
		}
		level = l
	}
	return level, []string{"first live transactions: exchanges with another Member State in production, which this kit cannot observe"}
}
