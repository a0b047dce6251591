package main

import (
	"testing"

	"github.com/oots-go/oots/check"
)

// TestDoctorJournalWebhook: a journal section with a webhook is a
// configuration "oots serve" runs (the journal takes the partners'
// receipts in-process, the webhook every received message): the doctor
// finds no error in it.
func TestDoctorJournalWebhook(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", "127.0.0.1:0"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	writeSecret(t, "fr/journal.key", make([]byte, 32))
	appendFile(t, "fr/oots.yaml", "journal: {keyFile: journal.key}\n")
	appendFile(t, "fr/oots.yaml", "webhook: {url: \"https://backend.example/\", secret: \"a-webhook-secret-0123\"}\n")
	code, fs := runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database")
	for _, f := range fs {
		if f.Invalidates() {
			t.Errorf("the journal with a webhook: finding %+v", f)
		}
	}
	if code != 0 || !hasFinding(fs, ruleConfig, check.Info, "configuration read") || !hasFinding(fs, ruleConfig, check.Info, "journal key read") {
		t.Errorf("the journal with a webhook: exit %d, findings %+v; want the configuration and the journal key read", code, fs)
	}
}
