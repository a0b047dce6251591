package ui

// Step is a step of the citizen's journey through the Once-Only Technical
// System (SPEC.md §1.2): sign in at the procedure portal, find the
// evidence, request it, see it in the preview space, approve it, receive
// it, submit the procedure.
type Step int

// The steps of the journey, in order.
const (
	StepAuthenticate Step = iota + 1
	StepFindEvidence
	StepRequest
	StepPreview
	StepApprove
	StepReceive
	StepSubmit
	// StepsDone is past the last step: every step done, none current.
	StepsDone
)

// stepKeys are the text keys of the steps, in order.
var stepKeys = [...]string{"stepAuthenticate", "stepFindEvidence", "stepRequest", "stepPreview", "stepApprove", "stepReceive", "stepSubmit"}

// Steps is the step indicator of a page of the journey: an ordered list of
// the steps, the current one marked with aria-current="step", those
// before it marked done in words (not by colour alone). Its texts are in
// Lang. The fragment ui.steps renders it.
type Steps struct {
	Lang    string
	Current Step
}

// StepItem is an entry of the step indicator.
type StepItem struct {
	N             int
	Label         string
	Done, Current bool
}

// T returns the shared text of key in the indicator's language.
func (s Steps) T(key string, args ...any) string { return Text(s.Lang, key, args...) }

// Items returns the steps in order, each with its state.
func (s Steps) Items() []StepItem {
	out := make([]StepItem, len(stepKeys))
	for i, k := range stepKeys {
		n := Step(i + 1)
		out[i] = StepItem{N: i + 1, Label: s.T(k), Done: n < s.Current, Current: n == s.Current}
	}
	return out
}
