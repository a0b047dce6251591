package ap

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oots-go/oots/as4"
	"github.com/oots-go/oots/internal/durable"
	"github.com/oots-go/oots/internal/exact"
)

// Received payloads larger than inlineStored (64 KiB) live in files of the
// payload directory (Config.PayloadDir), one per payload, never whole in
// memory on the way in (smaller ones stay in their message's row): the verified, decrypted, decompressed content streams from the MIME
// reader to a temporary file, which is synced and renamed to its final name
// before the message is stored; the message's row names its files, and the
// table ap_payload_files records them in the same transaction
// (apstore.Inbound.Files). So a stored message always has its files (they
// were durable before the commit), and a file without a row — a receive
// that crashed between the rename and the commit, a duplicate, a purged
// message — is an orphan that the sweep removes.

// storedPayload is one payload as the inbox row records it: its metadata
// and file. Rows written before payload files held the content in Data.
type storedPayload struct {
	ContentID    string     `json:"contentId,omitempty"`
	MimeType     string     `json:"mimeType"`
	CharacterSet string     `json:"characterSet,omitempty"`
	Properties   []Property `json:"properties,omitempty"`
	File         string     `json:"file,omitempty"`
	Size         int64      `json:"size,omitempty"`
	SHA256       string     `json:"sha256,omitempty"`
	Data         []byte     `json:"data,omitempty"`
}

// tmpPrefix is the start of the name of a payload file being written by
// this node: a node that restarts removes its own at once.
func (n *Node) tmpPrefix() string { return ".tmp-" + n.cfg.NodeID + "-" }

// savePayloads streams the verified payloads of in to files of the payload
// directory and returns their records and file names. On error no file is
// left.
func (n *Node) savePayloads(in *as4.Inbound) ([]storedPayload, []string, error) {
	var out []storedPayload
	var files []string
	ok := false
	defer func() {
		if !ok {
			n.removePayloadFiles(files)
		}
	}()
	for _, p := range in.Payloads {
		sp, err := n.savePayload(p)
		if err != nil {
			return nil, nil, err
		}
		if sp.File != "" {
			files = append(files, sp.File)
		}
		out = append(out, sp)
	}
	if len(files) > 0 {
		if err := syncDir(n.cfg.PayloadDir); err != nil {
			return nil, nil, err
		}
	}
	ok = true
	return out, files, nil
}

// inlineStored is the size up to which a received payload stays in its
// message's row instead of a file: the EDM messages of a journey (XML,
// small PDFs) then cost no file and no fsync, and memory stays bounded.
const inlineStored = 64 << 10

// savePayload reads one payload (decompressed, within the leg's and the
// receiver's bounds): up to inlineStored bytes it is kept for the row;
// beyond, it streams to a payload file (temporary file, sync, rename).
func (n *Node) savePayload(p as4.Payload) (storedPayload, error) {
	sp := storedPayload{ContentID: p.ContentID, MimeType: p.MimeType, CharacterSet: p.CharacterSet, Properties: props(p.Properties)}
	rc, err := p.Open()
	if err != nil {
		return sp, err
	}
	defer rc.Close()
	// Read up to one byte more than inlineStored, into a slice of the
	// size of what came: most payloads are a few kilobytes.
	head, more, err := exact.Read(rc, inlineStored)
	if err != nil {
		return sp, err
	}
	if !more {
		sum := sha256.Sum256(head)
		sp.Data, sp.Size, sp.SHA256 = head, int64(len(head)), hex.EncodeToString(sum[:])
		return sp, nil
	}
	sp.File, sp.Size, sp.SHA256, err = n.writePayloadFile(io.MultiReader(bytes.NewReader(head), rc))
	return sp, err
}

// writePayloadFile streams r to a new payload file: temporary file,
// content, sync, rename to a random name. A read error is returned as
// it is; a write error wraps as4.ErrRetryLater.
func (n *Node) writePayloadFile(rc io.Reader) (name string, size int64, sum string, err error) {
	f, err := os.CreateTemp(n.cfg.PayloadDir, n.tmpPrefix()+"*")
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: payload file: %w", as4.ErrRetryLater, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	// A payload that fails to read (EBMS:0303, the leg's size) is the
	// partner's fault; a write that fails (disk full) is not.
	size, err = io.Copy(io.MultiWriter(f, h), readErrors{rc})
	var re readError
	switch {
	case errors.As(err, &re):
		return "", 0, "", re.err
	case err != nil:
		return "", 0, "", fmt.Errorf("%w: writing a payload file: %w", as4.ErrRetryLater, err)
	}
	if err = f.Sync(); err == nil {
		err = f.Close()
	}
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: writing a payload file: %w", as4.ErrRetryLater, err)
	}
	var id [16]byte
	if _, err = io.ReadFull(rand.Reader, id[:]); err != nil {
		return "", 0, "", err
	}
	name = hex.EncodeToString(id[:])
	if err = os.Rename(tmp, filepath.Join(n.cfg.PayloadDir, name)); err != nil {
		return "", 0, "", fmt.Errorf("%w: naming a payload file: %w", as4.ErrRetryLater, err)
	}
	return name, size, hex.EncodeToString(h.Sum(nil)), nil
}

// readErrors marks the errors of the payload reader, so that they can be
// told from those of the file.
type readErrors struct{ r io.Reader }

type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		return n, readError{err}
	}
	return n, err
}

// syncDir makes the payload files' names durable; a failure is the node's,
// to be retried.
func syncDir(dir string) error {
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("%w: payload directory: %w", as4.ErrRetryLater, err)
	}
	return nil
}

func (n *Node) removePayloadFiles(files []string) {
	for _, f := range files {
		os.Remove(filepath.Join(n.cfg.PayloadDir, f))
	}
}

// payloadsOf returns the payloads of a stored message with Open on their
// files and Size, their content in Data only up to inline bytes (0: none);
// a row from before payload files has them inline.
func (n *Node) payloadsOf(body []byte, inline int64) ([]Payload, error) {
	var stored []storedPayload
	if err := json.Unmarshal(body, &stored); err != nil {
		return nil, err
	}
	out := []Payload{}
	for _, s := range stored {
		p := Payload{ContentID: s.ContentID, MimeType: s.MimeType, CharacterSet: s.CharacterSet, Properties: s.Properties, Data: s.Data, Size: s.Size}
		if s.File != "" {
			path := filepath.Join(n.cfg.PayloadDir, filepath.Base(s.File))
			p.Open = func() (io.ReadCloser, error) { return os.Open(path) }
			if s.Size <= inline {
				b, err := os.ReadFile(path)
				if err != nil {
					return nil, fmt.Errorf("payload file %s: %w", s.File, err)
				}
				p.Data = b
			}
		} else {
			data := s.Data
			p.Size = int64(len(data))
			p.Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		}
		out = append(out, p)
	}
	return out, nil
}

// writeReceived writes rm as the JSON of ReceivedMessage, streaming each
// payload's content from its file as base64: memory does not grow with
// the payloads' size. It returns the length written; into a sizer it reads
// no file.
func writeReceived(w io.Writer, rm *ReceivedMessage) (int64, error) {
	cw := &countWriter{w: w}
	head := *rm
	head.Payloads = []Payload{}
	b, err := json.Marshal(&head)
	if err != nil {
		return 0, err
	}
	const key = `"payloads":[]`
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, errors.New("ap: no payloads in the JSON of a message")
	}
	cw.Write(b[:i+len(key)-1])
	for k, p := range rm.Payloads {
		if k > 0 {
			cw.Write([]byte{','})
		}
		meta := p
		meta.Data = nil
		mb, err := json.Marshal(&meta)
		if err != nil {
			return cw.n, err
		}
		const data = `"data":null`
		j := bytes.Index(mb, []byte(data))
		if j < 0 {
			return cw.n, errors.New("ap: no data in the JSON of a payload")
		}
		cw.Write(mb[:j])
		cw.Write([]byte(`"data":"`))
		if _, ok := w.(sizer); ok && p.Open != nil {
			cw.n += int64(base64.StdEncoding.EncodedLen(int(p.Size))) // sized, not read
		} else if err := streamBase64(cw, p); err != nil {
			return cw.n, err
		}
		cw.Write([]byte{'"'})
		cw.Write(mb[j+len(data):])
	}
	cw.Write(b[i+len(key)-1:])
	return cw.n, cw.err
}

// streamBase64 writes the content of p in standard base64.
func streamBase64(w io.Writer, p Payload) error {
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if p.Open == nil {
		enc.Write(p.Data)
		return enc.Close()
	}
	rc, err := p.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(enc, rc); err != nil {
		return err
	}
	return enc.Close()
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// sweepGrace is the age below which a payload file that no message names
// is left alone: another node of the cluster may be about to commit it.
const sweepGrace = time.Hour

// sweepPayloads removes the orphans of the payload directory: temporary
// files older than sweepGrace, and the files older than sweepGrace that no
// stored message names. It reports how many it removed.
func (n *Node) sweepPayloads(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(n.cfg.PayloadDir)
	if err != nil {
		return 0, err
	}
	removed := 0
	now := n.cfg.Now()
	for _, e := range entries {
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		name, old := e.Name(), now.Sub(info.ModTime()) > sweepGrace
		switch {
		case strings.HasPrefix(name, ".tmp-") && old:
		case strings.HasPrefix(name, "."), !old:
			continue
		default:
			ref, err := n.cfg.Store.PayloadFileReferenced(ctx, name)
			if err != nil {
				return removed, err
			}
			if ref {
				continue
			}
		}
		if err := os.Remove(filepath.Join(n.cfg.PayloadDir, name)); err == nil {
			removed++
		}
	}
	return removed, nil
}

// SweepPayloads removes the orphaned files of the payload directory now
// (Run does it at start and hourly): temporary files and files no stored
// message names, older than an hour. It returns how many it removed. (New
// removes this node's own temporary files, which a node of the same
// NodeID left when it stopped.)
func (n *Node) SweepPayloads(ctx context.Context) (int, error) {
	return n.sweepPayloads(ctx)
}

// removeOwnTemporary removes the temporary payload files of a process
// that ran with this node's NodeID: at New, before anything is received,
// they are dead.
func (n *Node) removeOwnTemporary() {
	es, err := os.ReadDir(n.cfg.PayloadDir)
	if err != nil {
		return
	}
	for _, e := range es {
		if strings.HasPrefix(e.Name(), n.tmpPrefix()) {
			os.Remove(filepath.Join(n.cfg.PayloadDir, e.Name()))
		}
	}
}

// sweepLoop sweeps the payload directory at start and hourly.
func (n *Node) sweepLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if c, err := n.sweepPayloads(ctx); err != nil && ctx.Err() == nil {
			n.quiet.fail(n.log, "sweep", "sweeping the payload directory failed", err)
		} else if c > 0 {
			n.log.Info("removed orphaned payload files", slog.Int(logCount, c))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ErrNoPayload is wrapped by the errors of Submit for a payloadId that
// names no uploaded payload, or one another submission took.
var ErrNoPayload = errors.New("no such uploaded payload")

// Upload stores content as a payload file for a later submission
// (Payload.PayloadID), streaming it to disk, and returns its id, size and
// SHA-256. A payload no submission names within an hour is removed by the
// sweep. Content beyond MaxUpload fails with an error wrapping
// ErrUploadTooLarge.
func (n *Node) Upload(r io.Reader) (id string, size int64, sum string, err error) {
	lim := &limitReader{r: r, n: n.cfg.MaxUpload}
	id, size, sum, err = n.writePayloadFile(lim)
	if lim.over {
		return "", 0, "", fmt.Errorf("%w: more than %d bytes", ErrUploadTooLarge, n.cfg.MaxUpload)
	}
	return id, size, sum, err
}

// ErrUploadTooLarge: an upload beyond Config.MaxUpload.
var ErrUploadTooLarge = errors.New("payload too large")

type limitReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	k, err := l.r.Read(p)
	l.n -= int64(k)
	if l.n < 0 {
		l.over = true
		return k, ErrUploadTooLarge
	}
	return k, err
}

// payloadIDOK reports whether id can name a payload file.
func payloadIDOK(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// uploaded checks the payloads of a submission that name uploads: each
// exists and no stored message names it yet. It returns their file names.
func (n *Node) uploaded(ctx context.Context, s *Submission) ([]string, error) {
	var files []string
	for i, p := range s.Payloads {
		if p.PayloadID == "" {
			continue
		}
		if len(p.Data) > 0 {
			return nil, fmt.Errorf("%w: payloads[%d]: data and payloadId exclude each other", ErrInvalidSubmission, i)
		}
		if !payloadIDOK(p.PayloadID) {
			return nil, fmt.Errorf("%w: payloads[%d].payloadId %q: %w", ErrInvalidSubmission, i, p.PayloadID, ErrNoPayload)
		}
		if st, err := os.Stat(filepath.Join(n.cfg.PayloadDir, p.PayloadID)); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: payloads[%d].payloadId %s: %w", ErrInvalidSubmission, i, p.PayloadID, ErrNoPayload)
		}
		taken, err := n.cfg.Store.PayloadFileReferenced(ctx, p.PayloadID)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, fmt.Errorf("%w: payloads[%d].payloadId %s: %w (another message has it)", ErrInvalidSubmission, i, p.PayloadID, ErrNoPayload)
		}
		files = append(files, p.PayloadID)
	}
	return files, nil
}
