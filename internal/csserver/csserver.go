// Package csserver routes one instance of the Common Services: the Evidence
// Broker (/eb/), the Data Service Directory (/dsd/), the Semantic
// Repository (/sr/) and, for test set-ups, the LCM binding (/lcm), all
// answering from one registry. `oots cs serve` and the demo network use it.
package csserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/oots-go/oots/csregistry"
	"github.com/oots-go/oots/dsd"
	"github.com/oots-go/oots/eb"
	"github.com/oots-go/oots/internal/csrest"
	"github.com/oots-go/oots/semrepo"
)

// Mux returns the handler of the Common Services of reg. Answers are signed
// by signer and reused for cacheFor; lcm, when not nil, also serves the
// LCM binding at /lcm for the callers with these bearer tokens.
func Mux(reg *csregistry.Registry, signer *csrest.Signer, log *slog.Logger, lcm csregistry.LCMTokens, cacheFor time.Duration) (*http.ServeMux, error) {
	ebh, err := eb.NewHandler(eb.Config{Registry: reg, Signer: signer, Logger: log, CacheFor: cacheFor})
	if err != nil {
		return nil, err
	}
	dsdh, err := dsd.NewHandler(dsd.Config{Registry: reg, Signer: signer, Logger: log, CacheFor: cacheFor})
	if err != nil {
		return nil, err
	}
	srh, err := semrepo.NewHandler(semrepo.Config{Registry: reg})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/eb/", ebh)
	mux.Handle("/dsd/", dsdh)
	mux.Handle("/sr/", http.StripPrefix("/sr", srh))
	if lcm != nil {
		mux.Handle("/lcm", csregistry.LCMHandler(reg, signer, lcm, log))
	}
	return mux, nil
}
