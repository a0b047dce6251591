package main

import "testing"

// TestDoctorLocations: the doctor reports ap.CheckConfig's findings under
// the keys of oots.yaml and of the P-Mode, which the operator edits, not
// under the Go fields.
func TestDoctorLocations(t *testing.T) {
	for field, want := range map[string]string{
		"SigningKey":                     "keys.signingKey",
		"SigningCert":                    "keys.signingCertificate",
		"DecryptionKey":                  "keys.decryptionKey",
		"PMode.Self":                     "self",
		"PMode.legs[2]":                  "pmode legs[2]",
		"PMode.legs[0].security.profile": "pmode legs[0].security.profile",
		"EncryptionCerts[AP_DE_01]":      "party AP_DE_01 encryptionCertificate",
		"SigningCerts[AP_DE_01]":         "party AP_DE_01 signingCertificate",
		"Webhook.URL":                    "Webhook.URL", // no check of the doctor's own: as named
	} {
		if got := yamlLocation(field); got != want {
			t.Errorf("yamlLocation(%q) = %q, want %q", field, got, want)
		}
	}
}
