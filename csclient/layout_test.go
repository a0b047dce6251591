package csclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oots-go/oots/csclient"
)

// The Testing Services' layout puts the requester's country in the path
// («base»/eb/FR/rest/search); a server of that layout in front of our
// Evidence Broker answers only such paths.
func TestCountryInPath(t *testing.T) {
	e := newEnv(t)
	var paths []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		rest, ok := strings.CutPrefix(r.URL.Path, "/eb/SE/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		// Forward the request with its headers: Accept-Version selects
		// the version of the answer.
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/eb/"+rest+"?"+r.URL.RawQuery, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(front.Close)
	c := e.client(t, csclient.Config{EBURL: front.URL + "/", DSDURL: front.URL + "/", Country: "se", CountryInPath: true})
	rs, err := c.Requirements(context.Background(), "T2", "SE")
	if err != nil || len(rs) != 2 {
		t.Fatalf("got %d requirements, %v", len(rs), err)
	}
	if len(paths) != 1 || paths[0] != "/eb/SE/rest/search" {
		t.Errorf("paths asked: %v", paths)
	}
	// Without the setting the same server has nothing at the path.
	plain := e.client(t, csclient.Config{EBURL: front.URL + "/", DSDURL: front.URL + "/"})
	if _, err := plain.Requirements(context.Background(), "T2", "SE"); err == nil {
		t.Error("the plain layout was answered by a country-in-path server")
	}
	if _, err := csclient.New(csclient.Config{EBURL: front.URL + "/", DSDURL: front.URL + "/", CountryInPath: true, Trust: e.roots}); err == nil || !strings.Contains(err.Error(), "Config.Country") {
		t.Errorf("CountryInPath without Country: %v", err)
	}
}
