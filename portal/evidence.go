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
	var meta *requester.Evidence
	for _, r := range j.Requirements {
		if r.Exchange == nil {
			continue
		}
		for k := range r.Exchange.Evidence {
			if r.Exchange.Evidence[k].ID == eid {
				meta = &r.Exchange.Evidence[k]
			}
		}
	}
	if meta == nil {
		return errNotFound
	}
	f, err := p.cfg.Service.Evidence(rq.r.Context(), j.ID, eid)
	if err != nil {
		p.log.Error("portal: reading evidence failed", logJourney, j.ID, logEvidence, eid, logErr, err)
		return &userError{status: http.StatusBadGateway, key: "errService"}
	}
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
	h := rq.w.Header()
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
	rq.w.WriteHeader(http.StatusOK)
	_, err = rq.w.Write(f.Data)
	if err != nil {
		p.log.Warn("portal: sending evidence", logJourney, j.ID, logErr, err)
	}
	return nil
}
