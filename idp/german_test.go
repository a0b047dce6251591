package idp

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/internal/ui"
)

// englishLeft returns the English texts of the identity provider's
// catalogue and of package ui found in page although it is in lang.
func englishLeft(page, lang string) []string {
	var pairs [][2]string
	for _, row := range messages {
		pairs = append(pairs, [2]string{row["en"], row[lang]})
	}
	return ui.EnglishLeft(ui.VisibleText(page), append(pairs, ui.Pairs(lang)...))
}

// TestGermanJourney: a German user (a browser asking for German) sees
// German on every page of the login, whichever the provider's country,
// with no English text of the catalogue left: the country choice, the
// login page, the login refused, the error page of an unknown service and
// the information page.
func TestGermanJourney(t *testing.T) {
	n := newNet(t, netOptions{countries: []string{"FI", "SE"}})
	const accept = "de-DE,de;q=0.9,en;q=0.5"
	seen := func(where string, resp *http.Response, body string) {
		t.Helper()
		if !strings.Contains(body, `<html lang="de">`) {
			t.Errorf("%s: not in German (HTTP %d)", where, resp.StatusCode)
		}
		if left := englishLeft(body, "de"); len(left) > 0 {
			t.Errorf("%s: English left: %q", where, left)
		}
	}
	resp, body := n.get(n.app.URL+"/login", "Accept-Language", accept)
	seen("country choice", resp, body)
	resp, body = n.get(n.app.URL+"/login?eid=FI", "Accept-Language", accept)
	if !strings.Contains(body, `name="pin"`) {
		t.Fatalf("not the login page: HTTP %d\n%s", resp.StatusCode, body)
	}
	seen("login", resp, body)
	req, _ := http.NewRequest(http.MethodPost, resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+resp.Request.URL.Path,
		strings.NewReader(form(t, body).Encode()+"&account=nobody&pin=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", accept)
	resp, body = n.do(req)
	if !strings.Contains(body, "error-summary") {
		t.Errorf("the login was not refused: HTTP %d", resp.StatusCode)
	}
	seen("login refused", resp, body)
	resp, body = n.get(n.issuers["FI"]+PathAuthorize+"?client_id=nobody", "Accept-Language", accept)
	seen("unknown service", resp, body)
	resp, body = n.get(n.issuers["SE"]+ui.InfoPath, "Accept-Language", accept)
	seen("information", resp, body)

	// The comparison finds English where there is some.
	_, body = n.get(n.issuers["SE"]+ui.InfoPath, "Accept-Language", "en")
	if left := englishLeft(body, "de"); len(left) == 0 {
		t.Error("no English found on the English information page")
	}
}
