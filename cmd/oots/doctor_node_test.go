package main

import (
	"strings"
	"testing"

	"github.com/oots-go/oots/check"
)

// TestDoctorJournalWebhook: a journal section with a webhook, which
// "oots serve" refuses to start (the journal takes the partners' receipts
// in-process), is an error of the doctor too, as it is with the connector
// sections; the journal alone is not.
func TestDoctorJournalWebhook(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, out, errOut := runCLI(t, "init", "-dir", "fr", "-name", "AP_FR_01", "-profile", "as4-2.0", "-listen", "127.0.0.1:0"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	writeSecret(t, "fr/journal.key", make([]byte, 32))
	appendFile(t, "fr/oots.yaml", "journal: {keyFile: journal.key}\n")
	webhook := func(fs []check.Finding) bool {
		for _, f := range fs {
			if f.Flag == check.Error && f.Location == "webhook" && strings.Contains(f.Message, "journal") {
				return true
			}
		}
		return false
	}
	if _, fs := runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database"); webhook(fs) {
		t.Errorf("the journal without a webhook: %+v", fs)
	}
	appendFile(t, "fr/oots.yaml", "webhook: {url: \"https://backend.example/\", secret: \"a-webhook-secret-0123\"}\n")
	if code, fs := runDoctorJSON(t, "-config", "fr/oots.yaml", "-no-database"); code != 1 || !webhook(fs) {
		t.Errorf("the journal with a webhook: exit %d, findings %+v", code, fs)
	}
}
