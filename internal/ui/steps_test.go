package ui

import (
	"html/template"
	"strings"
	"testing"
)

// TestSteps: the step indicator lists the seven steps in order in the
// page's language, the current one (only) with aria-current="step", those
// before it said done in words; past the last step none is current; with
// no step it renders nothing.
func TestSteps(t *testing.T) {
	page := template.Must(template.Must(template.New("p").Parse(Fragments)).Parse(`{{template "ui.steps" .}}`))
	render := func(s Steps) string {
		t.Helper()
		var b strings.Builder
		if err := page.Execute(&b, s); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	out := render(Steps{Lang: "de", Current: StepPreview})
	if !strings.Contains(out, `<nav class="steps" aria-label="Schritte Ihres Verfahrens">`) || strings.Count(out, "<li") != 7 {
		t.Fatalf("indicator:\n%s", out)
	}
	if n := strings.Count(out, `aria-current="step"`); n != 1 || !strings.Contains(out, `<li aria-current="step">Vorschau ansehen</li>`) {
		t.Errorf("current step (%d marked):\n%s", n, out)
	}
	if n := strings.Count(out, `<span class="vh">erledigt: </span>`); n != 3 {
		t.Errorf("%d steps said done, want 3:\n%s", n, out)
	}
	if i, j := strings.Index(out, "Anmelden"), strings.Index(out, "Einreichen"); i < 0 || j < i {
		t.Errorf("steps out of order:\n%s", out)
	}
	if out := render(Steps{Lang: "en", Current: StepsDone}); strings.Contains(out, "aria-current") || strings.Count(out, "done:") != 7 {
		t.Errorf("all done:\n%s", out)
	}
	if out := render(Steps{Lang: "en"}); out != "" {
		t.Errorf("no step: %q", out)
	}
	for _, l := range Languages() {
		for _, it := range (Steps{Lang: l.Code, Current: StepSubmit}).Items() {
			if it.Label == "" || strings.HasPrefix(it.Label, "step") {
				t.Errorf("%s: step %d has no label (%q)", l.Code, it.N, it.Label)
			}
		}
	}
}
