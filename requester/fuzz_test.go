package requester

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// echoService accepts every call and checks what the handler decoded.
type echoService struct{}

func (s echoService) Start(ctx context.Context, r StartRequest) (*Journey, error) {
	if err := checkStart(&r); err != nil {
		return nil, err
	}
	return &Journey{ID: "j", Procedure: r.Procedure, Country: r.Country}, nil
}
func (s echoService) Get(ctx context.Context, id string) (*Journey, error) {
	return &Journey{ID: id}, nil
}
func (s echoService) Choose(ctx context.Context, id, rid string, c Choice) (*Journey, error) {
	return &Journey{ID: id}, nil
}
func (s echoService) Request(ctx context.Context, id, rid string, r ExplicitRequest) (*Journey, error) {
	if !r.Given {
		return nil, invalid("given", "required")
	}
	return &Journey{ID: id}, nil
}
func (s echoService) Evidence(ctx context.Context, id, eid string) (*File, error) {
	return nil, ErrNotFound
}

// FuzzAPI sends arbitrary JSON bodies to the REST API's POST routes: the
// answer is a journey (2xx) or a JSON error naming what is wrong (400),
// never a server error or a panic, and a body that is accepted decodes
// strictly into the route's type.
func FuzzAPI(f *testing.F) {
	seeds := []string{
		`{"procedure":"R1","country":"FR","subject":{"person":{"identifier":"DE/FR/1","familyName":"A","givenName":"B","dateOfBirth":"1980-01-02"},"loa":"http://eidas.europa.eu/LoA/high"},"returnUrl":"https://p.example/r"}`,
		`{"procedure":"X1","country":"SE","subject":{"person":{"identifier":"DE/FR/1","familyName":"A","givenName":"B","dateOfBirth":"1980-01-02"},"company":{"identifier":"SE/FR/2","legalName":"C"},"loa":"High"},"returnUrl":"https://p.example/r","languages":["sv"]}`,
		`{"procedure":"S1","country":"FI","subject":{"person":{"identifier":"DE/FR/1","familyName":"A","givenName":"B","dateOfBirth":"1980-01-02"},"loa":"High"},"returnUrl":"https://p.example/r","associatedDocuments":["Annex","Translation","Summary"]}`,
		`{"evidenceType":"https://sr.oots.tech.europa.eu/evidencetypeclassifications/FR/x","answers":{"b07146b6":"ApplicantHasBeenResidentInGermany"},"provider":"FR-EP-R1","format":"application/pdf"}`,
		`{"given":true,"preview":false}`,
		`{"given":"yes"}`, `{}`, `[]`, `null`, `{"a":1}`, `{"procedure":"R1"}{}`, "",
	}
	for i, s := range seeds {
		f.Add(uint8(i%3), []byte(s))
	}
	h := NewHandler(echoService{}, "")
	routes := []string{"/journeys", "/journeys/j/requirements/0/choice", "/journeys/j/requirements/0/request"}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := routes[int(route)%len(routes)]
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, APIPrefix+path, bytes.NewReader(body)))
		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
			var j Journey
			if err := json.Unmarshal(rec.Body.Bytes(), &j); err != nil || j.ID == "" {
				t.Fatalf("%s: answer %q is not a journey: %v", path, rec.Body, err)
			}
			var v any
			switch path {
			case routes[0]:
				v = &StartRequest{}
			case routes[1]:
				v = &Choice{}
			default:
				v = &ExplicitRequest{}
			}
			if err := decodeJSON(bytes.NewReader(body), v); err != nil {
				t.Fatalf("%s: accepted a body that does not decode: %v", path, err)
			}
		case http.StatusBadRequest:
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != "invalid" || e.Field == "" || e.Message == "" {
				t.Fatalf("%s: error answer %q", path, rec.Body)
			}
		default:
			t.Fatalf("%s: status %d for body %q: %s", path, rec.Code, body, rec.Body)
		}
	})
}

// TestErrorCatalogue: every sentinel maps to its code and status and back.
func TestErrorCatalogue(t *testing.T) {
	for _, e := range apiErrors {
		body, status := toAPI(e.err)
		if body.Code != e.code || status != e.status {
			t.Errorf("%v: %s %d", e.err, body.Code, status)
		}
		if back := fromAPI(body, status); !errors.Is(back, e.err) {
			t.Errorf("%s does not come back as %v", e.code, e.err)
		}
	}
	body, status := toAPI(invalid("country", "bad"))
	if body.Field != "country" || status != http.StatusBadRequest {
		t.Errorf("field error: %+v %d", body, status)
	}
	var fe *FieldError
	if back := fromAPI(body, status); !errors.As(back, &fe) || fe.Field != "country" {
		t.Errorf("field error back: %v", back)
	}
	if _, status := toAPI(errors.New("disk full")); status != http.StatusInternalServerError {
		t.Errorf("unknown error: %d", status)
	}
}
