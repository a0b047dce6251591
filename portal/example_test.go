package portal_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/portal"
	"github.com/oots-go/oots/requester"
	"github.com/oots-go/oots/store"
)

// noService stands for the requester connector (requester.Connector
// in-process, or requester.Client over its REST API).
type noService struct{ requester.Service }

// noLogin stands for an eid.Authenticator (package idp for the demo, an
// eIDAS node in production).
type noLogin struct{ eid.Authenticator }

// A portal of a French authority offering a procedure of the code list
// Procedures (R1; the demo's are portal.DemoProcedures) with evidence from
// the other demo countries.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "portal")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(context.Background(), filepath.Join(dir, "node.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	p, err := portal.New(portal.Config{
		Country:       "FR",
		Name:          "Agence des démarches",
		BaseURL:       "https://demarches.example",
		Service:       noService{},
		Authenticator: noLogin{},
		Procedures: []portal.Procedure{{Code: "R1", Titles: map[string]string{
			"en": "Requesting proof of registration of birth",
			"fr": "Demande de preuve de l'enregistrement d'une naissance",
		}}},
		Countries: []string{"DE", "FI", "SE"},
		DB:        db,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, req)
	body := w.Body.String()
	fmt.Println(w.Code, w.Header().Get("Content-Language"))
	fmt.Println(body[strings.Index(body, "<h1>") : strings.Index(body, "</h1>")+5])
	// Output:
	// 200 fr
	// <h1>Effectuer une démarche en ligne</h1>
}
