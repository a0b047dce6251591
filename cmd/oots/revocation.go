package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/oots-go/oots/trust"
)

// revocationConfig is the keys.revocation section of oots serve: online
// revocation checking of the partners' certificates (trust.Online).
//
//	keys:
//	  trust: [ca.cert.pem]
//	  revocation:                  # omitted: no online checks (CRLs in the trust files still apply)
//	    policy: prefer             # require | prefer | off: what an unknown status means
//	    anchors: {ca.cert.pem: require}   # policy for the anchors of one trust file
//	    timeout: 5s                # per request to a responder or distribution point
//	    maxCacheAge: 1h            # longest reuse of an answer or a CRL (nextUpdate may end it sooner)
//	    failureBackoff: 30s        # a responder that failed is not asked again for this long
type revocationConfig struct {
	Policy         string            `yaml:"policy"`
	Anchors        map[string]string `yaml:"anchors"`
	Timeout        time.Duration     `yaml:"timeout"`
	MaxCacheAge    time.Duration     `yaml:"maxCacheAge"`
	FailureBackoff time.Duration     `yaml:"failureBackoff"`
}

// online returns the checker the section describes; path resolves the
// trust file names of anchors.
func (r *revocationConfig) online(path func(string) string, logger *slog.Logger) (*trust.Online, error) {
	pol, err := trust.ParseRevocationPolicy(r.Policy)
	if err != nil {
		return nil, fmt.Errorf("keys.revocation.policy: %w", err)
	}
	if r.Timeout < 0 || r.MaxCacheAge < 0 || r.FailureBackoff < 0 {
		return nil, fmt.Errorf("keys.revocation: durations must not be negative")
	}
	on := &trust.Online{Policy: pol, Timeout: r.Timeout, MaxCacheAge: r.MaxCacheAge, FailureBackoff: r.FailureBackoff,
		Logger: logger, AnchorPolicies: map[string]trust.RevocationPolicy{},
		Client: &http.Client{Timeout: max(r.Timeout, 5*time.Second)}}
	for file, p := range r.Anchors {
		ap, err := trust.ParseRevocationPolicy(p)
		if err != nil {
			return nil, fmt.Errorf("keys.revocation.anchors[%s]: %w", file, err)
		}
		b, err := os.ReadFile(path(file))
		if err != nil {
			return nil, fmt.Errorf("keys.revocation.anchors: %w", err)
		}
		certs, err := trust.ParsePEM(b)
		if err != nil {
			return nil, fmt.Errorf("keys.revocation.anchors[%s]: %w", file, err)
		}
		for _, c := range certs {
			on.AnchorPolicies[trust.Fingerprint(c)] = ap
		}
	}
	return on, nil
}
