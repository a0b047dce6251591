package csregistry

import (
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
)

// MaxRequest bounds the body of an LCM request (the screening limit of the
// message model).
const MaxRequest = 16 << 20

// LCMTokens authenticates the callers of the HTTP binding of LCM: each
// bearer token names the Submitter it speaks for (a Member State's party,
// or the operator: Country "").
type LCMTokens map[string]Submitter

// submitter returns the Submitter of the request's bearer token, comparing
// every token in constant time.
func (t LCMTokens) submitter(req *http.Request) (Submitter, bool) {
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return Submitter{}, false
	}
	var who Submitter
	found := false
	for token, s := range t {
		if subtle.ConstantTimeCompare([]byte(token), []byte(got)) == 1 {
			who, found = s, true
		}
	}
	return who, found
}

// LCMHandler returns the HTTP binding of the LCM interface: a POST whose
// body is an lcm:SubmitObjectsRequest or lcm:RemoveObjectsRequest, answered
// with the rs:RegistryResponse (LCM-SUC or LCM-ERR) and HTTP 200, as the
// query interface reports failures in the RegRep status. The OOTS transport
// of LCM requests is AS4 (Service LifecycleManager, SPEC.md §3.5; package
// lcm); this binding serves bulk loads and tests. Every request carries a
// bearer token of tokens (HTTP 401 otherwise) and is applied as its
// Submitter (SubmitXMLAs): a Member State's token changes that Member
// State's objects only. Answers are signed like the query answers when
// signer is not nil.
func LCMHandler(r *Registry, signer *csrest.Signer, tokens LCMTokens, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		who, ok := tokens.submitter(req)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lcm"`)
			http.Error(w, "the LCM binding needs a bearer token", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxRequest+1))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		var resp *edm.RegistryResponse
		if len(body) > MaxRequest {
			e := edm.NewError(edm.LCMErr0001, "request larger than "+strconv.Itoa(MaxRequest)+" bytes")
			resp, err = edm.NewRegistryResponse("", e.Exception()), e
		} else {
			resp, err = r.SubmitXMLAs(req.Context(), who, body)
		}
		if err != nil {
			var le *edm.Error
			if errors.As(err, &le) {
				log.Info("LCM request rejected", "party", who.Party, "code", le.Code, "cause", err)
			} else {
				log.Error("LCM request failed", "cause", err)
			}
		}
		out, merr := resp.Marshal()
		if merr != nil {
			log.Error("LCM answer not written", "cause", merr)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		a, err := csrest.NewAnswer(out, signer, time.Now())
		if err != nil {
			log.Error("LCM answer not signed", "cause", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		a.Send(w)
	})
}
