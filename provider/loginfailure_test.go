package provider_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/provider"
)

// refusingIdP answers every login with the error it holds, as an identity
// provider's client does when the eID gives no eIDAS identifier or too low
// a level of assurance.
type refusingIdP struct{ err error }

func (f refusingIdP) Begin(w http.ResponseWriter, r *http.Request, state, callback string) {}
func (f refusingIdP) Finish(r *http.Request) (*eid.Subject, string, error) {
	return nil, "", f.err
}

// TestLoginFailurePages: the preview space and the consents page tell the
// user why a login was refused when the eID is the reason (another eID
// will do), and keep the generic page otherwise.
func TestLoginFailurePages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("oidc: %w", eid.ErrNoIdentifier), "European (eIDAS) identifier"},
		{fmt.Errorf("oidc: %w", eid.ErrLoA), "level of assurance lower"},
		{errors.New("oidc: token expired"), "The login could not be completed"},
	} {
		e := newEnv(t, "", func(c *provider.Config) { c.Authenticator = refusingIdP{tc.err} })
		for _, path := range []string{provider.PreviewCallbackPath, provider.ConsentsPath + provider.ConsentsCallbackPath} {
			res, err := e.srv.Client().Get(e.srv.URL + path + "?code=x&state=y")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s after %v: %d, want 401 with %q:\n%s", path, tc.err, res.StatusCode, tc.want, b)
			}
		}
	}
}
