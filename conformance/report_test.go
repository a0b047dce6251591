package conformance

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/check"
	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/testenv"
)

func cases(statuses map[string]Status) []*Case {
	suite := func(id string) Suite {
		switch {
		case strings.HasPrefix(id, "AS4-S"):
			return SuiteAS4Send
		case strings.HasPrefix(id, "AS4"):
			return SuiteAS4Receive
		case strings.HasPrefix(id, "CS"):
			return SuiteCS
		case strings.HasPrefix(id, "RQ"):
			return SuiteEDMRequester
		}
		return SuiteEDM
	}
	var out []*Case
	for _, id := range []string{"AS4-01", "AS4-02", "AS4-S1", "CS-01", "TC01", "RQ01"} {
		if s, ok := statuses[id]; ok {
			out = append(out, &Case{Suite: suite(id), ID: id, Name: "n", Status: s, Reason: "r-" + id})
		}
	}
	return out
}

func TestAssess(t *testing.T) {
	all := map[string]Status{"AS4-01": Pass, "AS4-02": Pass, "AS4-S1": Pass, "CS-01": Pass, "TC01": Pass, "RQ01": Pass}
	with := func(id string, s Status) map[string]Status {
		m := map[string]Status{}
		for k, v := range all {
			m[k] = v
		}
		if s == "" {
			delete(m, id)
		} else {
			m[id] = s
		}
		return m
	}
	tests := []struct {
		name    string
		in      map[string]Status
		want    Level
		missing string
	}{
		{"everything", all, LevelTechnicallyReady, "first live transactions"},
		{"nothing", map[string]Status{}, LevelNone, "AS4-01"},
		{"first case fails", with("AS4-01", Fail), LevelNone, "AS4-01 n (fail): r-AS4-01"},
		{"receive suite incomplete", with("AS4-02", Skip), LevelInitial, "AS4-02 n (skip): r-AS4-02"},
		{"send suite fails", with("AS4-S1", Fail), LevelPreliminary, "AS4-S1"},
		{"CS suite missing", with("CS-01", ""), LevelPreliminary, "suite common-services was not run"},
		{"EDM suite fails", with("TC01", Fail), LevelIntermediate, "TC01"},
		{"requester suite fails", with("RQ01", Fail), LevelIntermediate, "RQ01 n (fail): r-RQ01"},
		{"requester suite missing", with("RQ01", ""), LevelIntermediate, "suite edm-requester was not run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, missing := Assess(cases(tc.in))
			if got != tc.want || !strings.Contains(strings.Join(missing, "\n"), tc.missing) {
				t.Errorf("Assess = %s, %q; want %s, missing saying %q", got, missing, tc.want, tc.missing)
			}
		})
	}
	if LevelEndUser.String() != "end-user transactions" || Level(42).String() != "Level(42)" {
		t.Errorf("names: %s %s", LevelEndUser, Level(42))
	}
}

// sample is a report whose case content comes from a hostile system under
// test: markup must come out escaped.
func sample() *Report {
	r := &Report{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 1500 * time.Millisecond, Targets: []string{"AS4 endpoint http://x/as4"},
		Cases: []*Case{
			{Suite: SuiteAS4Receive, ID: "AS4-01", Name: "valid", Status: Pass, Duration: time.Second},
			{Suite: SuiteAS4Receive, ID: "AS4-03", Name: "bad signature", Status: Fail, Reason: `expected EBMS:0101, got <script>alert(1)</script>`,
				Sent: []string{"POST http://x/as4"}, Received: []string{"HTTP 200 <b>bold</b>"},
				Findings: []check.Finding{{Rule: "OOTS-EBMS-ROLE", Flag: check.Error, Location: "/eb:Messaging", Message: "role & <wrong>"}}},
			{Suite: SuiteCS, ID: "CS-01", Name: "requirements", Status: Skip, Reason: "no URL"},
		}}
	r.Level, r.Missing = Assess(r.Cases)
	return r
}

func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 || doc.Suites[0].Name != "as4-receive" {
		t.Fatalf("counts %d/%d/%d, suites %d\n%s", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites), b.String())
	}
	c := doc.Suites[0].Cases[1]
	if c.Name != "AS4-03 bad signature" || c.Failure == nil || !strings.Contains(c.Failure.Message, "<script>") ||
		!strings.Contains(c.Out, "--- received\nHTTP 200 <b>bold</b>") || !strings.Contains(c.Out, "OOTS-EBMS-ROLE") {
		t.Errorf("case %+v", c)
	}
}

func TestWriteHTML(t *testing.T) {
	for _, lang := range Languages() {
		var b bytes.Buffer
		if err := sample().WriteHTML(&b, lang, "other.html"); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range []string{`<html lang="` + lang + `">`, `<a class="skip" href="#cases">`, `href="other.html"`,
			"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt;", "role &amp; &lt;wrong&gt;", `id="AS4-03"`, "<h1>", "<h2", "<h3"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", lang, want)
			}
		}
		if strings.Contains(page, "<script>") || strings.Contains(page, "<b>bold") {
			t.Errorf("%s: content of the system under test is not escaped", lang)
		}
	}
	var b bytes.Buffer
	sample().WriteHTML(&b, "fr", "")
	if !strings.Contains(b.String(), "Rapport de conformité OOTS") || !strings.Contains(b.String(), "ÉCHEC") {
		t.Errorf("the French report is not in French")
	}
}

func TestConfigValidate(t *testing.T) {
	pm := &pmode.Config{Self: "KIT", Parties: []pmode.Party{{Name: "KIT"}, {Name: "NODE", Endpoint: "http://127.0.0.1:1/as4"}},
		Legs: []pmode.Leg{{Name: "leg"}}}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty", Config{}, "nothing to test"},
		{"no P-Mode", Config{AS4: &AS4Target{}}, "AS4.PMode is required"},
		{"no node", Config{AS4: &AS4Target{PMode: pm}}, "AS4.Node"},
		{"no leg", Config{AS4: &AS4Target{PMode: pm, Node: "NODE"}}, "AS4.Leg is required"},
		{"no keys", Config{AS4: &AS4Target{PMode: pm, Node: "NODE", Leg: "leg"}}, "AS4.SigningKey"},
		{"CS without URL", Config{CS: &CSTarget{}}, "CS.BaseURL"},
		{"CS without trust", Config{CS: &CSTarget{BaseURL: "http://x/"}}, "CS.Trust"},
		{"EDM without node", Config{EDM: &EDMTarget{}}, "EDM.Node"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig saying %q", tc.name, err, tc.want)
		}
	}
}

func TestTamper(t *testing.T) {
	out, ok := tamper([]byte("<eb:ConversationId>abc</eb:ConversationId>"))
	if !ok || string(out) != "<eb:ConversationId>bbc</eb:ConversationId>" {
		t.Errorf("tamper: %q %t", out, ok)
	}
	if _, ok := tamper([]byte("<x/>")); ok {
		t.Error("tamper of an envelope without ConversationId")
	}
}

func TestValidate(t *testing.T) {
	if _, _, fs := Validate([]byte("<unclosed")); len(fs) != 1 || fs[0].Rule != RuleUnreadable || fs[0].Flag != check.Fatal {
		t.Errorf("not XML: %v", fs)
	}
	if fs := validatePayload(nil, []byte("<conformanceTest/>")); len(fs) != 1 || fs[0].Rule != RuleNotOOTS {
		t.Errorf("not OOTS: %v", fs)
	}
	// An official sample: detected, checked with the rules of its kind.
	b, err := os.ReadFile(testenv.Spec(t, "tdd-1.0/xml/edm/birth-1-evidence-request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	kind, version, fs := Validate(b)
	if kind != edm.KindEvidenceRequest || version != edm.V1_0 || !check.Valid(fs) {
		t.Errorf("sample: %s %s %v", kind, version, fs)
	}
	// The same with a level of assurance outside the code list.
	bad := bytes.Replace(b, []byte(`<sdg:LevelOfAssurance>High<`), []byte(`<sdg:LevelOfAssurance>Extreme<`), 1)
	if _, _, fs := Validate(bad); check.Valid(fs) {
		t.Errorf("an unknown level of assurance passes: %v", fs)
	}
}

// FuzzValidate: whatever a system under test sends, validation gives
// findings and never panics.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("<conformanceTest/>"))
	f.Add([]byte(`<query:QueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"/>`))
	f.Add([]byte("<unclosed"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, fs := Validate(b)
		_ = validatePayload(nil, b)
		for _, x := range fs {
			if x.Flag == "" {
				t.Errorf("finding without a flag: %v", x)
			}
		}
	})
}
