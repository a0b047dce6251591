package portal

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/oots-go/oots/requester"
)

// inlineTypes are the evidence formats a browser shows safely; any other
// file is downloaded.
var inlineTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true, "text/plain": true}

// evidence serves an evidence file of the user's journey.
func (p *Portal) evidence(rq *request) error {
	j, err := p.ownJourney(rq)
	if err != nil {
		return err
	}
	eid := rq.r.PathValue("eid")
	if !hasEvidence(j, eid) {
		return errNotFound
	}
	f, err := p.cfg.Service.Evidence(rq.r.Context(), j.ID, eid)
	if err != nil {
		p.log.Error("portal: reading evidence failed", logJourney, j.ID, logEvidence, eid, logErr, err)
		return &userError{status: http.StatusBadGateway, key: "errService"}
	}
	setEvidenceHeaders(rq.w.Header(), f)
	rq.w.WriteHeader(http.StatusOK)
	_, err = rq.w.Write(f.Data)
	if err != nil {
		p.log.Warn("portal: sending evidence", logJourney, j.ID, logErr, err)
	}
	return nil
}

// hasEvidence reports whether an exchange of j received the evidence
// with identifier eid: the portal serves no other file.
func hasEvidence(j *requester.Journey, eid string) bool {
	for _, r := range j.Requirements {
		if r.Exchange == nil {
			continue
		}
		for k := range r.Exchange.Evidence {
			if r.Exchange.Evidence[k].ID == eid {
				return true
			}
		}
	}
	return false
}

// setEvidenceHeaders describes evidence file f for the browser: its media
// type (octet-stream when it has none that parses), shown inline only for
// inlineTypes, never cached, and sandboxed unless it is a PDF (browsers'
// PDF viewers refuse to run in a sandboxed document).
func setEvidenceHeaders(h http.Header, f *requester.File) {
	ctype := "application/octet-stream"
	if mt, params, err := mime.ParseMediaType(f.MimeType); err == nil {
		ctype = mime.FormatMediaType(mt, params)
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	name := f.Name
	if name == "" {
		name = "evidence"
	}
	disposition := "attachment"
	if inlineTypes[mt] {
		disposition = "inline"
	}
	h.Set("Content-Type", ctype)
	if cd := mime.FormatMediaType(disposition, map[string]string{"filename": name}); cd != "" {
		h.Set("Content-Disposition", cd)
	} else {
		h.Set("Content-Disposition", disposition)
	}
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	h.Set("Cache-Control", "private, no-store")
	if mt != "application/pdf" {
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
	}
}
