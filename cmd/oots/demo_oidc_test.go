package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/eid/oidc"
)

// TestReadOIDCProvider: the file of -oidc CC=FILE is an oidc.Provider in
// JSON, read strictly (a misspelt field is an error, not a default).
func TestReadOIDCProvider(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "fr.json")
	os.WriteFile(good, []byte(`{"issuer": "https://idp.example.fr", "clientId": "c", "clientSecret": "s",
		"claims": {"familyName": "family_name", "givenName": "given_name", "dateOfBirth": "birthdate"},
		"acr": {"eidas2": "http://eidas.europa.eu/LoA/substantial"}, "identifierPolicy": "derive", "userInfo": true}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"issuer": "https://idp.example.fr", "client_id": "c"}`), 0o600)

	ps := map[string]oidc.Provider{}
	if err := readOIDCProvider(ps, "fr="+good); err != nil {
		t.Fatal(err)
	}
	p := ps["FR"]
	if p.Issuer != "https://idp.example.fr" || p.ClientID != "c" || p.Claims.DateOfBirth != "birthdate" ||
		p.ACR["eidas2"] != eid.LoASubstantial || p.Identifier != oidc.Derive || !p.UserInfo {
		t.Errorf("read %+v", p)
	}
	for _, v := range []string{"FR=" + bad, good, "FR=" + filepath.Join(dir, "absent.json")} {
		if err := readOIDCProvider(ps, v); err == nil {
			t.Errorf("%s: accepted", v)
		}
	}
}
