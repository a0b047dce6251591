package requester

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// APIPrefix is the path under which Handler serves the REST API.
const APIPrefix = "/api/requester/v1"

// maxBody bounds the JSON body of a REST API request.
const maxBody = 1 << 20

//go:embed openapi.json
var openAPI []byte

// Handler returns the REST API of the connector (OpenAPI document at
// APIPrefix + "/openapi.json"):
//
//	POST /journeys                                        StartRequest → Journey (201)
//	GET  /journeys/{id}                                   → Journey
//	POST /journeys/{id}/requirements/{rid}/choice         Choice → Journey
//	POST /journeys/{id}/requirements/{rid}/request        ExplicitRequest → Journey
//	GET  /journeys/{id}/evidence/{eid}                    → the file, with its Content-Type
//
// {rid} is the requirement's index in Journey.Requirements (0, 1, …) or its
// id (a URI) path-escaped (url.PathEscape). Errors are JSON {code, message,
// field} with the HTTP status of the error (404 not_found, 400 invalid, 409
// state, 502 unavailable, 401 unauthorized, 500 internal). With
// Config.APIToken set every request but the OpenAPI document needs
// "Authorization: Bearer <token>".
func (c *Connector) Handler() http.Handler {
	return NewHandler(c, c.cfg.APIToken)
}

// NewHandler serves svc over the REST API (see Connector.Handler); token,
// when not empty, is the bearer token required.
func NewHandler(svc Service, token string) http.Handler {
	h := &handler{svc: svc, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+APIPrefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.HandleFunc("POST "+APIPrefix+"/journeys", h.auth(h.start))
	mux.HandleFunc("GET "+APIPrefix+"/journeys/{id}", h.auth(h.get))
	mux.HandleFunc("POST "+APIPrefix+"/journeys/{id}/requirements/{rid}/choice", h.auth(h.choose))
	mux.HandleFunc("POST "+APIPrefix+"/journeys/{id}/requirements/{rid}/request", h.auth(h.request))
	mux.HandleFunc("GET "+APIPrefix+"/journeys/{id}/evidence/{eid}", h.auth(h.evidence))
	mux.HandleFunc(APIPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("%w: no such API path %s %s", ErrNotFound, r.Method, r.URL.Path))
	})
	return mux
}

type handler struct {
	svc   Service
	token string
}

func (h *handler) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="requester"`)
				writeError(w, fmt.Errorf("%w: a valid bearer token is required", ErrUnauthorized))
				return
			}
		}
		next(w, r)
	}
}

func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	var s StartRequest
	if !decode(w, r, &s) {
		return
	}
	j, err := h.svc.Start(r.Context(), s)
	reply(w, http.StatusCreated, j, err)
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	j, err := h.svc.Get(r.Context(), r.PathValue("id"))
	reply(w, http.StatusOK, j, err)
}

func (h *handler) choose(w http.ResponseWriter, r *http.Request) {
	var c Choice
	if !decode(w, r, &c) {
		return
	}
	j, err := h.svc.Choose(r.Context(), r.PathValue("id"), r.PathValue("rid"), c)
	reply(w, http.StatusOK, j, err)
}

func (h *handler) request(w http.ResponseWriter, r *http.Request) {
	var e ExplicitRequest
	if !decode(w, r, &e) {
		return
	}
	j, err := h.svc.Request(r.Context(), r.PathValue("id"), r.PathValue("rid"), e)
	reply(w, http.StatusOK, j, err)
}

func (h *handler) evidence(w http.ResponseWriter, r *http.Request) {
	f, err := h.svc.Evidence(r.Context(), r.PathValue("id"), r.PathValue("eid"))
	if err != nil {
		writeError(w, err)
		return
	}
	ct := f.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(f.Data)
}

// decode reads a JSON body into v: one object, no unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, maxBody), v); err != nil {
		writeError(w, err)
		return false
	}
	return true
}

func decodeJSON(r io.Reader, v any) error {
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return invalid(te.Field, "wrong JSON type: "+te.Value)
		case errors.As(err, &te):
			return invalid("body", "a JSON object is expected, not "+te.Value)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return invalid("body", "not a JSON object: "+err.Error())
		}
		return invalid("body", err.Error())
	}
	if d.More() {
		return invalid("body", "one JSON object is expected")
	}
	return nil
}

func reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	body, status := toAPI(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
