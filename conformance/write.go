package conformance

import (
	"embed"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// junit* are the elements of the JUnit XML report format (the de facto
// schema read by CI servers: testsuites/testsuite/testcase with failure and
// skipped children, system-out for what was exchanged).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Failures  int             `xml:"failures,attr"`
	Skipped   int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr"`
	Props     []junitProperty `xml:"properties>property,omitempty"`
	Cases     []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: one testsuite per suite, one
// testcase per case (named "ID name"), the reason as the failure or skipped
// message, the exchanged messages and findings as system-out. The readiness
// level is a property of every suite.
func (r *Report) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "oots conformance", Time: seconds(r.Duration)}
	idx := map[Suite]int{}
	for _, c := range r.Cases {
		i, ok := idx[c.Suite]
		if !ok {
			i = len(out.Suites)
			idx[c.Suite] = i
			out.Suites = append(out.Suites, junitSuite{Name: string(c.Suite), Timestamp: r.Started.UTC().Format(time.RFC3339),
				Props: []junitProperty{{"readinessLevel", r.Level.String()}}})
		}
		s := &out.Suites[i]
		jc := junitCase{Name: c.ID + " " + c.Name, Classname: "conformance." + string(c.Suite), Time: seconds(c.Duration), SystemOut: caseText(c)}
		switch c.Status {
		case Fail:
			jc.Failure = &junitMessage{Message: c.Reason, Text: c.Reason}
			s.Failures++
			out.Failures++
		case Skip:
			jc.Skipped = &junitMessage{Message: c.Reason}
			s.Skipped++
			out.Skipped++
		}
		s.Tests++
		out.Tests++
		s.Time = seconds(parseSeconds(s.Time) + c.Duration)
		s.Cases = append(s.Cases, jc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func parseSeconds(s string) time.Duration {
	var f float64
	fmt.Sscanf(s, "%g", &f)
	return time.Duration(f * float64(time.Second))
}

// caseText is what was exchanged and found, as plain text.
func caseText(c *Case) string {
	var b strings.Builder
	for _, s := range c.Sent {
		fmt.Fprintf(&b, "--- sent\n%s\n", s)
	}
	for _, s := range c.Received {
		fmt.Fprintf(&b, "--- received\n%s\n", s)
	}
	for _, f := range c.Findings {
		fmt.Fprintf(&b, "--- finding %s\n", f)
	}
	return b.String()
}

//go:embed report.html.tmpl
var templates embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"t":    func(lang, key string) string { return label(lang, key) },
	"dict": func(lang string, s Status) []string { return []string{lang, string(s)} },
	"seconds": func(d time.Duration) string {
		return fmt.Sprintf("%.2f s", d.Seconds())
	},
}).ParseFS(templates, "report.html.tmpl"))

// labels are the texts of the HTML report, by language.
var labels = map[string]map[string]string{
	"en": {
		"title": "OOTS conformance report", "skip": "Skip to the results", "summary": "Summary", "targets": "Systems under test",
		"level": "Readiness level supported", "missing": "Missing for the next level", "cases": "Cases",
		"pass": "passed", "fail": "FAILED", "skipped": "skipped", "reason": "Why", "sent": "Sent", "received": "Received",
		"findings": "Validation findings", "duration": "Duration", "started": "Started", "counts": "Results",
		"levels": "Readiness levels and the suites each needs", "other": "Français", "otherlang": "fr",
		"lvl-initial":      "AS4-01: a valid signed and encrypted message is accepted with a correct receipt",
		"lvl-preliminary":  "the whole as4-receive suite (the node as receiving access point)",
		"lvl-intermediate": "also the as4-send suite (the node as sending access point) and the common-services suite",
		"lvl-ready":        "also the edm suite (evidence exchange scenarios TC01–TC10)",
		"lvl-live":         "first live transactions and end-user transactions: production exchanges, outside this kit",
		"accel":            "Testing-Services mode: readiness by Acceleratormeter level (P7-…: scenarios checked with the directory calls)",
		"accel-level":      "Level", "accel-reached": "Reached", "accel-shows": "What the run shows",
		"accel-beyond": "What no run can show", "yes": "yes", "no": "no",
	},
	"fr": {
		"title": "Rapport de conformité OOTS", "skip": "Aller aux résultats", "summary": "Résumé", "targets": "Systèmes testés",
		"level": "Niveau de préparation atteint", "missing": "Ce qui manque pour le niveau suivant", "cases": "Cas de test",
		"pass": "réussi", "fail": "ÉCHEC", "skipped": "non exécuté", "reason": "Pourquoi", "sent": "Envoyé", "received": "Reçu",
		"findings": "Constats de validation", "duration": "Durée", "started": "Début", "counts": "Résultats",
		"levels": "Niveaux de préparation et suites requises", "other": "English", "otherlang": "en",
		"lvl-initial":      "AS4-01 : un message valide signé et chiffré est accepté avec un accusé de réception correct",
		"lvl-preliminary":  "toute la suite as4-receive (le nœud comme point d'accès récepteur)",
		"lvl-intermediate": "en plus la suite as4-send (le nœud comme point d'accès émetteur) et la suite common-services",
		"lvl-ready":        "en plus la suite edm (scénarios d'échange de preuves TC01–TC10)",
		"lvl-live":         "premières transactions réelles et transactions des usagers : échanges en production, hors de ce kit",
		"accel":            "Mode Testing Services : préparation par niveau de l'Acceleratormeter (P7-… : scénarios vérifiés avec les appels d'annuaire)",
		"accel-level":      "Niveau", "accel-reached": "Atteint", "accel-shows": "Ce que montre l'exécution",
		"accel-beyond": "Ce qu'aucune exécution ne peut montrer", "yes": "oui", "no": "non",
	},
}

func label(lang, key string) string {
	if l, ok := labels[lang]; ok {
		if s, ok := l[key]; ok {
			return s
		}
	}
	return labels["en"][key]
}

// Languages returns the languages of the HTML report, a fresh slice on
// each call.
func Languages() []string { return []string{"en", "fr"} }

// WriteHTML writes the report as one accessible HTML page (no script): a
// summary with the readiness level and what is missing, then each case with
// what was sent, what came back, the findings and why it failed. lang is
// "en" or "fr"; otherHref, when not empty, is the link to the report in the
// other language.
func (r *Report) WriteHTML(w io.Writer, lang, otherHref string) error {
	if _, ok := labels[lang]; !ok {
		lang = "en"
	}
	p, f, s := r.Counts()
	return reportTemplate.Execute(w, map[string]any{"R": r, "Lang": lang, "Other": otherHref, "Pass": p, "Fail": f, "Skip": s})
}
