package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/ap/apstore"
	"github.com/oots-go/oots/as4/pmode"
	"github.com/oots-go/oots/store"
)

// row is a message in a list.
type row struct {
	Dir, ID, Partner, Leg, State, LastError string
	Attempts                                int
	Time                                    time.Time
}

// timeLayout is the value of an HTML datetime-local input, read as UTC.
const timeLayout = "2006-01-02T15:04"

func (s *Server) messages(w http.ResponseWriter, r *http.Request, u *user) {
	q := r.URL.Query()
	f := store.Search{ID: strings.TrimSpace(q.Get("id")), Conversation: strings.TrimSpace(q.Get("conversation")),
		Partner: q.Get("partner"), Leg: q.Get("leg"), State: q.Get("state"), Limit: 200}
	var problems []string
	for _, t := range []struct {
		name string
		into *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			p, err := time.Parse(timeLayout, v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%q is not a time (YYYY-MM-DDTHH:MM, UTC)", v))
				continue
			}
			*t.into = p
		}
	}
	dir := q.Get("dir")
	if dir != "in" {
		dir = "out"
	}
	var rows []row
	if len(problems) == 0 {
		if dir == "out" {
			list, err := s.cfg.DB.SearchOutbound(r.Context(), f)
			if err != nil {
				s.fail(w, r, u, http.StatusInternalServerError, err)
				return
			}
			for _, m := range list {
				rows = append(rows, row{Dir: "out", ID: m.ID, Partner: m.Partner, Leg: m.Leg, State: m.State, LastError: m.LastError, Attempts: m.Attempts, Time: m.Created})
			}
		} else {
			list, err := s.cfg.DB.SearchInbound(r.Context(), f)
			if err != nil {
				s.fail(w, r, u, http.StatusInternalServerError, err)
				return
			}
			for _, m := range list {
				rows = append(rows, row{Dir: "in", ID: m.MessageID, Partner: m.Partner, Leg: m.Leg, State: m.Delivery, LastError: m.LastError, Attempts: m.Attempts, Time: m.Received})
			}
		}
	}
	s.render(w, "messages", u, map[string]any{"Title": "Messages", "Rows": rows, "Dir": dir, "Q": q, "Problems": problems,
		"Partners": s.partnerNames(), "Legs": s.legNames(), "States": map[string][]string{
			"out": {apstore.OutQueued, apstore.OutDelivered, apstore.OutFailed},
			"in":  {apstore.DeliveryPending, apstore.DeliveryDelivered, apstore.DeliveryNone}}[dir]})
}

func (s *Server) partnerNames() []string {
	var out []string
	pm := s.pmode()
	for _, p := range pm.Parties {
		if p.Name != pm.Self {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) legNames() []string {
	var out []string
	for _, l := range s.pmode().Legs {
		out = append(out, l.Name)
	}
	sort.Strings(out)
	return out
}

func (s *Server) leg(name string) *pmode.Leg {
	// One P-Mode: a reload between two reads would give another, perhaps
	// with fewer legs.
	pm := s.pmode()
	for i := range pm.Legs {
		if pm.Legs[i].Name == name {
			return &pm.Legs[i]
		}
	}
	return nil
}

// payloadMeta is a payload's metadata on a message's page.
type payloadMeta struct {
	N                                int
	ContentID, MimeType, Where, Hash string
	Size                             int64
}

// nrr is a digest of the receipt's non-repudiation information.
type nrr struct{ URI, Algorithm, Digest string }

func (s *Server) message(w http.ResponseWriter, r *http.Request, u *user) {
	id, dir := r.PathValue("id"), r.PathValue("dir")
	data := map[string]any{"Title": "Message " + id, "ID": id, "Dir": dir}
	switch dir {
	case "out":
		m, err := s.cfg.DB.Outbound(r.Context(), id)
		if errors.Is(err, apstore.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, u, http.StatusInternalServerError, err)
			return
		}
		data["Out"] = m
		var sub ap.Submission
		if m.Body != nil {
			if err := json.Unmarshal(m.Body, &sub); err != nil {
				s.fail(w, r, u, http.StatusInternalServerError, fmt.Errorf("the stored submission: %w", err))
				return
			}
		}
		data["Sub"] = &sub
		data["Purged"] = m.Body == nil
		if l := s.leg(m.Leg); l != nil {
			data["Service"], data["Action"] = l.Service, l.Action
		}
		var pl []payloadMeta
		for i, p := range sub.Payloads {
			where := "in the submission"
			if p.PayloadID != "" {
				where = "uploaded file " + p.PayloadID
			}
			pl = append(pl, payloadMeta{N: i, ContentID: p.ContentID, MimeType: p.MimeType, Size: int64(len(p.Data)), Where: where})
		}
		data["Payloads"] = pl
		data["NRR"] = receiptDigests(m.Receipt)
		data["Receipt"] = len(m.Receipt) > 0
		if f, err := s.cfg.DB.FailureReport(r.Context(), id); err == nil {
			data["Failure"] = f
		}
		history, err := s.cfg.DB.Attempts(r.Context(), id)
		if err != nil {
			s.fail(w, r, u, http.StatusInternalServerError, err)
			return
		}
		data["History"] = history
	case "in":
		m, err := s.cfg.DB.Inbound(r.Context(), id)
		if errors.Is(err, apstore.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, u, http.StatusInternalServerError, err)
			return
		}
		data["In"] = m
		var h ap.Header
		json.Unmarshal(m.Header, &h)
		data["Header"] = &h
		var stored []struct {
			File, SHA256 string
			Size         int64
		}
		json.Unmarshal(m.Body, &stored)
		rm, err := s.cfg.Node.Received(r.Context(), id)
		if err == nil {
			var pl []payloadMeta
			for i, p := range rm.Payloads {
				pm := payloadMeta{N: i, ContentID: p.ContentID, MimeType: p.MimeType, Size: p.Size, Where: "stored"}
				if i < len(stored) {
					pm.Hash = stored[i].SHA256
				}
				pl = append(pl, pm)
			}
			data["Payloads"] = pl
			data["Purged"] = rm.Purged
		}
	default:
		http.NotFound(w, r)
		return
	}
	s.render(w, "message", u, data)
}

// receiptDigests reads the ds:Reference digests of a receipt's
// ebbp:NonRepudiationInformation (eDelivery AS4 §3.4).
func receiptDigests(receipt []byte) []nrr {
	if len(receipt) == 0 || len(receipt) > 4<<20 {
		return nil
	}
	dec := xml.NewDecoder(strings.NewReader(string(receipt)))
	var out []nrr
	var cur *nrr
	inNRR, inDigest := false, false
	for depth := 0; ; {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > 64 {
				return out
			}
			switch t.Name.Local {
			case "NonRepudiationInformation":
				inNRR = true
			case "Reference":
				if inNRR {
					cur = &nrr{}
					for _, a := range t.Attr {
						if a.Name.Local == "URI" {
							cur.URI = a.Value
						}
					}
				}
			case "DigestMethod":
				if cur != nil {
					for _, a := range t.Attr {
						if a.Name.Local == "Algorithm" {
							cur.Algorithm = a.Value
						}
					}
				}
			case "DigestValue":
				inDigest = cur != nil
			}
		case xml.CharData:
			if inDigest {
				cur.Digest += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "DigestValue":
				inDigest = false
			case "Reference":
				if cur != nil {
					out = append(out, *cur)
					cur = nil
				}
			case "NonRepudiationInformation":
				inNRR = false
			}
		}
	}
}

func (s *Server) payload(w http.ResponseWriter, r *http.Request, u *user) {
	id, dir := r.PathValue("id"), r.PathValue("dir")
	target := dir + ":" + id + "#" + r.PathValue("n")
	if !u.Role.may(permDownload) {
		s.forbidden(w, r, u, "payload.download", target)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		http.NotFound(w, r)
		return
	}
	var mimeType string
	var content io.ReadCloser
	switch dir {
	case "in":
		rm, err := s.cfg.Node.Received(r.Context(), id)
		if err != nil || n >= len(rm.Payloads) || rm.Purged {
			http.NotFound(w, r)
			return
		}
		p := rm.Payloads[n]
		mimeType = p.MimeType
		if p.Data != nil {
			content = io.NopCloser(strings.NewReader(string(p.Data)))
		} else if p.Open != nil {
			if content, err = p.Open(); err != nil {
				s.fail(w, r, u, http.StatusInternalServerError, err)
				return
			}
		}
	case "out":
		m, err := s.cfg.DB.Outbound(r.Context(), id)
		if err != nil || m.Body == nil {
			http.NotFound(w, r)
			return
		}
		var sub ap.Submission
		if json.Unmarshal(m.Body, &sub) != nil || n >= len(sub.Payloads) || sub.Payloads[n].Data == nil {
			http.NotFound(w, r)
			return
		}
		mimeType = sub.Payloads[n].MimeType
		content = io.NopCloser(strings.NewReader(string(sub.Payloads[n].Data)))
	}
	if content == nil {
		http.NotFound(w, r)
		return
	}
	defer content.Close()
	s.record(r, u, "payload.download", target, "ok")
	if _, _, err := mime.ParseMediaType(mimeType); err != nil {
		mimeType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", mimeType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="payload-%d"`, n))
	io.Copy(w, content)
}

// operate resends or retries a message.
func (s *Server) operate(action string) func(http.ResponseWriter, *http.Request, *user) {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		id := r.PathValue("id")
		if !u.Role.may(permOperate) {
			s.forbidden(w, r, u, action, id)
			return
		}
		var err error
		if action == "message.resend" {
			err = s.cfg.Node.Resend(r.Context(), id)
		} else {
			err = s.cfg.Node.RetryNow(r.Context(), id)
		}
		switch {
		case err == nil:
			s.record(r, u, action, id, "ok")
		case errors.Is(err, apstore.ErrWrongState), errors.Is(err, apstore.ErrNotFound):
			s.record(r, u, action, id, "failed: "+err.Error())
			w.WriteHeader(http.StatusConflict)
			s.render(w, "error", u, map[string]any{"Title": "Not done", "Message": "The message is not in a state for this (it may have changed meanwhile): " + err.Error()})
			return
		default:
			s.record(r, u, action, id, "failed: "+err.Error())
			s.fail(w, r, u, http.StatusInternalServerError, err)
			return
		}
		http.Redirect(w, r, "/console/messages/out/"+id, http.StatusSeeOther)
	}
}

// configure serves the partners page's forms for administrators: a new
// P-Mode file (action pmode.replace; the audit trail names the file by its
// SHA-256) or a reload of the node's configuration (node.reload).
func (s *Server) configure(action string) func(http.ResponseWriter, *http.Request, *user) {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		if !u.Role.may(permConfigure) {
			s.forbidden(w, r, u, action, "")
			return
		}
		if s.cfg.Configure == nil {
			w.WriteHeader(http.StatusNotImplemented)
			s.render(w, "error", u, map[string]any{"Title": "Not available", "Message": "This node's configuration is not changed from the console: edit its files and send it kill -HUP."})
			return
		}
		target, err := "", error(nil)
		if action == "pmode.replace" {
			var file []byte
			if file, err = uploaded(r, "pmode"); err != nil {
				s.record(r, u, action, "", "refused: "+err.Error())
				w.WriteHeader(http.StatusBadRequest)
				s.render(w, "error", u, map[string]any{"Title": "No P-Mode file", "Message": err.Error()})
				return
			}
			target = fmt.Sprintf("sha256:%x", sha256.Sum256(file))
			err = s.cfg.Configure.ReplacePMode(r.Context(), file)
		} else {
			err = s.cfg.Configure.Reload(r.Context())
		}
		if err != nil {
			s.record(r, u, action, target, "refused: "+err.Error())
			w.WriteHeader(http.StatusUnprocessableEntity)
			s.render(w, "error", u, map[string]any{"Title": "Refused", "Message": "The node keeps its configuration: " + err.Error()})
			return
		}
		s.record(r, u, action, target, "ok")
		http.Redirect(w, r, "/console/partners?done="+action, http.StatusSeeOther)
	}
}

// downloadPMode serves the node's P-Mode file to an administrator, to edit
// and upload again; audited (pmode.download, with the file's SHA-256).
func (s *Server) downloadPMode(w http.ResponseWriter, r *http.Request, u *user) {
	if s.cfg.Configure == nil {
		w.WriteHeader(http.StatusNotImplemented)
		s.render(w, "error", u, map[string]any{"Title": "Not available", "Message": "This node's P-Mode file is not served by the console."})
		return
	}
	name, file, err := s.cfg.Configure.PModeFile(r.Context())
	if err != nil {
		s.record(r, u, "pmode.download", "", "failed: "+err.Error())
		s.fail(w, r, u, http.StatusInternalServerError, err)
		return
	}
	s.record(r, u, "pmode.download", fmt.Sprintf("sha256:%x", sha256.Sum256(file)), "ok")
	ct := "application/yaml"
	if pmode.IsDomibusXML(file) {
		ct = "application/xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(file)
}

// uploaded returns the file of a multipart form's field, which the form's
// size bounds (maxPModeFile).
func uploaded(r *http.Request, field string) ([]byte, error) {
	f, _, err := r.FormFile(field)
	if err != nil {
		return nil, fmt.Errorf("the form has no file %q: %w", field, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("the file is empty")
	}
	return b, nil
}

// certRow is a certificate on the partners page.
type certRow struct {
	Use, Party, Subject, Issuer, Serial string
	NotAfter                            time.Time
	Days                                int
}

func (s *Server) partners(w http.ResponseWriter, r *http.Request, u *user) {
	now := s.cfg.Now()
	var certs []certRow
	for _, c := range s.certificates() {
		if c.Cert == nil {
			continue
		}
		certs = append(certs, certRow{Use: c.Use, Party: c.Party, Subject: c.Cert.Subject.String(), Issuer: c.Cert.Issuer.String(),
			Serial: c.Cert.SerialNumber.Text(16), NotAfter: c.Cert.NotAfter, Days: int(c.Cert.NotAfter.Sub(now).Hours() / 24)})
	}
	sort.Slice(certs, func(i, j int) bool { return certs[i].Days < certs[j].Days })
	s.render(w, "partners", u, map[string]any{"Title": "Partners and certificates", "PMode": s.pmode(), "Certs": certs,
		"Configurable": s.cfg.Configure != nil, "Done": r.URL.Query().Get("done")})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, u *user) {
	if !u.Role.may(permAudit) {
		s.forbidden(w, r, u, "audit.view", "")
		return
	}
	q := r.URL.Query()
	f := AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: 200}
	list, err := s.audit.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, u, http.StatusInternalServerError, err)
		return
	}
	n, verr := s.audit.Verify(r.Context())
	s.record(r, u, "audit.view", "", "ok")
	s.render(w, "audit", u, map[string]any{"Title": "Audit trail", "Entries": list, "Q": q, "Verified": n, "VerifyError": verr})
}
