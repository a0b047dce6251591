package ap

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.0 document of the backend API.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// apiError is the JSON body of an API error.
type apiError struct {
	Error string `json:"error"`
}

// maxSubmission bounds a submission's JSON body.
const maxSubmission = 64 << 20

func (n *Node) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	mux.HandleFunc("GET /metrics", n.auth(n.serveMetrics))
	mux.HandleFunc("POST /api/v1/messages", n.auth(n.apiSubmit))
	mux.HandleFunc("POST /api/v1/payloads", n.auth(n.apiUpload))
	mux.HandleFunc("GET /api/v1/messages/{id}", n.auth(n.apiStatus))
	mux.HandleFunc("GET /api/v1/inbox", n.auth(n.apiList))
	mux.HandleFunc("GET /api/v1/inbox/{id}", n.auth(n.apiFetch))
	mux.HandleFunc("GET /api/v1/inbox/{id}/payloads/{n}", n.auth(n.apiPayload))
	mux.HandleFunc("POST /api/v1/inbox/{id}/ack", n.auth(n.apiAck))
}

func (n *Node) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if n.cfg.APIToken != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(n.cfg.APIToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="oots"`)
				writeJSON(w, http.StatusUnauthorized, apiError{"missing or wrong bearer token"})
				return
			}
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (n *Node) apiSubmit(w http.ResponseWriter, r *http.Request) {
	// application/json only: a cross-site form or fetch without preflight
	// (text/plain, form encodings) cannot submit a message.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{fmt.Sprintf("Content-Type %q: a submission is application/json", r.Header.Get("Content-Type"))})
		return
	}
	var s Submission
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSubmission))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"submission: " + err.Error()})
		return
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && s.ClientKey == "" {
		s.ClientKey = k
	}
	st, created, err := n.Submit(r.Context(), &s)
	var taken *keyTaken
	switch {
	case errors.Is(err, ErrMessageIDTaken):
		// The id is another message's: its status is there, not this
		// submission's.
		w.Header().Set("Location", "/api/v1/messages/"+url.PathEscape(s.MessageID))
		writeJSON(w, http.StatusConflict, apiError{err.Error()})
	case errors.As(err, &taken):
		// The key's message is there, under its own id.
		w.Header().Set("Location", "/api/v1/messages/"+url.PathEscape(taken.id))
		writeJSON(w, http.StatusConflict, apiError{err.Error()})
	case errors.Is(err, ErrInvalidSubmission):
		writeJSON(w, http.StatusUnprocessableEntity, apiError{err.Error()})
	case err != nil:
		n.quiet.fail(n.log, "api-submit", "submission failed", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"the access point cannot queue the message now: " + err.Error()})
	case created:
		w.Header().Set("Location", "/api/v1/messages/"+url.PathEscape(st.MessageID))
		writeJSON(w, http.StatusAccepted, st)
	default:
		w.Header().Set("Location", "/api/v1/messages/"+url.PathEscape(st.MessageID))
		writeJSON(w, http.StatusOK, st)
	}
}

// POST /api/v1/payloads: the body, as it is, becomes a payload file for a
// submission that names it (payloadId).
func (n *Node) apiUpload(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/octet-stream" {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{fmt.Sprintf("Content-Type %q: an upload is application/octet-stream", r.Header.Get("Content-Type"))})
		return
	}
	if r.ContentLength > n.cfg.MaxUpload {
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError{fmt.Sprintf("%d bytes: at most %d", r.ContentLength, n.cfg.MaxUpload)})
		return
	}
	id, size, sum, err := n.Upload(r.Body)
	switch {
	case errors.Is(err, ErrUploadTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError{err.Error()})
	case errors.Is(err, as4.ErrRetryLater):
		n.quiet.fail(n.log, "api-upload", "storing an upload failed", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"the access point cannot store the payload now"})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, apiError{"reading the upload: " + err.Error()})
	default:
		writeJSON(w, http.StatusCreated, map[string]any{"payloadId": id, "size": size, "sha256": sum})
	}
}

func (n *Node) apiStatus(w http.ResponseWriter, r *http.Request) {
	st, err := n.Status(r.Context(), r.PathValue("id"))
	if n.storeError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (n *Node) storeError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, apstore.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{err.Error()})
	default:
		n.quiet.fail(n.log, "api-store", "store failed", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"store unavailable"})
	}
	return true
}

// inboxList is the answer of GET /api/v1/inbox.
type inboxList struct {
	Messages []inboxEntry `json:"messages"`
	// Next is the cursor (after=) of the next page; 0 at the end.
	Next int64 `json:"next,omitempty"`
}

type inboxEntry struct {
	Seq int64 `json:"seq"`
	Header
	Received string `json:"received"`
	Acked    bool   `json:"acknowledged"`
}

func (n *Node) apiList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f apstore.InboundFilter
	var err error
	if v := q.Get("after"); v != "" {
		if f.AfterSeq, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"after: not an integer"})
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			writeJSON(w, http.StatusBadRequest, apiError{"limit: an integer from 1 to 1000"})
			return
		}
	}
	f.IncludeAcked = q.Get("all") == "true"
	list, err := n.cfg.Store.ListInbound(r.Context(), f)
	if n.storeError(w, err) {
		return
	}
	out := inboxList{Messages: []inboxEntry{}}
	for _, m := range list {
		var h Header
		json.Unmarshal(m.Header, &h)
		out.Messages = append(out.Messages, inboxEntry{Seq: m.Seq, Header: h, Received: m.Received.Format("2006-01-02T15:04:05.000Z07:00"), Acked: !m.Acked.IsZero()})
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(list) == limit {
		out.Next = list[len(list)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
}

// receivedMessage decodes a stored inbound message.
// receivedMessage returns a stored message with its payloads readable
// (Open), their content in Data up to inline bytes.
func (n *Node) receivedMessage(m *apstore.Inbound, inline int64) (*ReceivedMessage, error) {
	rm := &ReceivedMessage{Received: m.Received, Payloads: []Payload{}}
	var err error
	if err = json.Unmarshal(m.Header, &rm.Header); err != nil {
		return nil, err
	}
	if !m.Acked.IsZero() {
		t := m.Acked
		rm.Acked = &t
	}
	if m.Body == nil {
		rm.Purged = true
	} else if rm.Payloads, err = n.payloadsOf(m.Body, inline); err != nil {
		return nil, err
	}
	return rm, nil
}

// Received returns a received message with its payloads, as the backend
// API serves it (apstore.ErrNotFound if there is none).
func (n *Node) Received(ctx context.Context, id string) (*ReceivedMessage, error) {
	m, err := n.cfg.Store.Inbound(ctx, id)
	if err != nil {
		return nil, err
	}
	return n.receivedMessage(m, InlinePayload)
}

func (n *Node) apiFetch(w http.ResponseWriter, r *http.Request) {
	m, err := n.cfg.Store.Inbound(r.Context(), r.PathValue("id"))
	if n.storeError(w, err) {
		return
	}
	rm, err := n.receivedMessage(m, 0)
	if err != nil {
		n.storeError(w, err)
		return
	}
	// Streamed: the length first (a pass that reads nothing but sizes),
	// then the JSON with each payload's base64 from its file.
	size, err := writeReceived(sizer{}, rm)
	if err != nil {
		n.storeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	writeReceived(w, rm)
}

// GET /api/v1/inbox/{id}/payloads/{n}: the n-th payload (from 0) as it
// is, streamed from its file, with its MIME type.
func (n *Node) apiPayload(w http.ResponseWriter, r *http.Request) {
	m, err := n.cfg.Store.Inbound(r.Context(), r.PathValue("id"))
	if n.storeError(w, err) {
		return
	}
	rm, err := n.receivedMessage(m, 0)
	if n.storeError(w, err) {
		return
	}
	k, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || k < 0 || k >= len(rm.Payloads) {
		writeJSON(w, http.StatusNotFound, apiError{fmt.Sprintf("message %s has %d payloads (numbered from 0)", rm.MessageID, len(rm.Payloads))})
		return
	}
	p := rm.Payloads[k]
	rc, err := p.Open()
	if n.storeError(w, err) {
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", p.MimeType)
	w.Header().Set("Content-Length", strconv.FormatInt(p.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment")
	io.Copy(w, rc)
}

// sizer counts what writeReceived would write, reading no file: each
// payload's base64 length follows from its size.
type sizer struct{}

func (sizer) Write(p []byte) (int, error) { return len(p), nil }

func (n *Node) apiAck(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<10))
	if n.storeError(w, n.cfg.Store.Ack(r.Context(), r.PathValue("id"), n.cfg.Now())) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
