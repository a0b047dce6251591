package csregistry

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/oots-go/oots/edm"
	"github.com/oots-go/oots/internal/csrest"
)

// MaxRequest bounds the body of an LCM request (the screening limit of the
// message model).
const MaxRequest = 16 << 20

// LCMHandler returns the HTTP binding of the LCM interface: a POST whose
// body is an lcm:SubmitObjectsRequest or lcm:RemoveObjectsRequest, answered
// with the rs:RegistryResponse (LCM-SUC or LCM-ERR) and HTTP 200, as the
// query interface reports failures in the RegRep status. The OOTS transport
// of LCM requests is AS4 (Service LifecycleManager, SPEC.md §3.5); this
// binding serves bulk loads and tests. Answers are signed like the query
// answers when signer is not nil. The handler does not authenticate: mount
// it only where the operator controls who may reach it.
func LCMHandler(r *Registry, signer *csrest.Signer, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxRequest+1))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		var resp *edm.RegistryResponse
		if len(body) > MaxRequest {
			e := &LCMError{Code: "LCM:ERR:0001", Detail: "request larger than " + strconv.Itoa(MaxRequest) + " bytes"}
			resp, err = edm.NewRegistryResponse("", e.Exception()), e
		} else {
			resp, err = r.SubmitXML(req.Context(), body)
		}
		if err != nil {
			var le *LCMError
			if errors.As(err, &le) {
				log.Info("LCM request rejected", "code", le.Code, "cause", err)
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
