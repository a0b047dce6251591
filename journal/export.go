package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxExportLine bounds a line of an export: an entry with every field at its
// limit and the largest personal data is well below it.
const maxExportLine = 1 << 20

// Export writes every entry in sequence order to w as JSON lines (the JSON
// form of Entry, personal data only sealed), as stored: an entry that was
// tampered with is exported as it is, for VerifyExport to find.
func (j *Journal) Export(ctx context.Context, w io.Writer) error {
	rows, err := j.db.SQL().QueryContext(ctx, `SELECT `+entryColumns+` FROM journal_entries ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	defer rows.Close()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("journal: export: %w", err)
		}
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("journal: export entry %d: %w", e.Seq, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("journal: export: %w", err)
	}
	return nil
}

// ExportError reports a line of an export that is not an entry.
type ExportError struct {
	Line int   // 1-based line number
	Err  error // what is wrong
}

func (e *ExportError) Error() string {
	return fmt.Sprintf("journal: export line %d: %v", e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *ExportError) Unwrap() error { return e.Err }

// VerifyExport checks an export written by Export: every line is an entry,
// the entries are numbered without gaps from 1, or from after the last entry
// a retention purge removed (then a journal.purged entry of the export must
// name that entry's sequence number and hash), and every link and hash
// holds. It returns an *ExportError for a line that is not an entry, and a
// *TamperError for the first entry that does not hold. It needs no key.
//
// An export cut short after any entry still verifies: what proves that it
// holds every entry up to a given moment is a head kept outside the journal
// from then (Journal.Head), which VerifyExportHead checks.
func VerifyExport(r io.Reader) error {
	_, err := readExport(r, nil)
	return err
}

// VerifyExportHead is VerifyExport for an export that must reach a head
// (seq, h) that Journal.Head gave earlier and that was kept outside the
// journal: the export must also hold entry seq with the hash h. So an export
// cut short before that entry, or whose chain up to it was rewritten, is
// refused with a *TamperError; entries appended after it are checked like
// the rest. A head that a retention purge removed is checked when it was the
// last entry removed (the checkpoint names its hash); one purged further
// back cannot be checked any more (the export begins after it), which is an
// error too. The head of an empty
// journal (0 and the zero hash) holds for every export.
func VerifyExportHead(r io.Reader, seq int64, h Hash) error {
	if seq < 0 {
		return fmt.Errorf("journal: head %d is not a sequence number", seq)
	}
	if seq == 0 {
		if h != (Hash{}) {
			return errors.New("journal: head 0 has a hash other than the empty journal's")
		}
		return VerifyExport(r)
	}
	var first int64
	var got *Hash
	_, err := readExport(r, func(e *Entry) {
		if first == 0 {
			first = e.Seq
			if e.Seq == seq+1 {
				// The head is the last entry a purge removed: the
				// first entry's link, which the purge's checkpoint
				// names, is its hash.
				got = &e.Prev
			}
		}
		if e.Seq == seq {
			got = &e.Hash
		}
	})
	switch {
	case err != nil:
		return err
	case got == nil && first > seq:
		return fmt.Errorf("journal: the export begins at entry %d, after entry %d of the head: a retention purge removed it", first, seq)
	case got == nil:
		return &TamperError{Seq: seq, Reason: "missing from the export, which ends before it (the head kept outside names it)"}
	case *got != h:
		return &TamperError{Seq: seq, Reason: "its hash is not the one the head kept outside records"}
	}
	return nil
}

// readExport parses and checks an export, calling fn (when not nil) for each
// entry that holds, and returns the number of entries.
func readExport(r io.Reader, fn func(*Entry)) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxExportLine)
	var c chain
	line := 0
	for sc.Scan() {
		line++
		e, err := parseExportLine(sc.Bytes())
		if err != nil {
			return c.count(), &ExportError{Line: line, Err: err}
		}
		if line == 1 && e.Seq > 1 {
			// The entries before were purged: the chain goes on from
			// the link of the first entry, which a journal.purged
			// entry must name.
			c.from(e.Seq-1, e.Prev)
		}
		if err := c.next(e); err != nil {
			return c.count(), err
		}
		if fn != nil {
			fn(e)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxExportLine)
		}
		return c.count(), &ExportError{Line: line + 1, Err: err}
	}
	return c.count(), c.endBase()
}

func parseExportLine(b []byte) (*Entry, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the entry")
	}
	switch {
	case e.Seq <= 0:
		return nil, fmt.Errorf("seq %d is not a positive sequence number", e.Seq)
	case e.Time.IsZero():
		return nil, errors.New("time is missing")
	case e.Time.Nanosecond()%1e6 != 0:
		return nil, fmt.Errorf("time %s is more precise than a millisecond", e.Time.Format("2006-01-02T15:04:05.999999999Z07:00"))
	case e.Event == "":
		return nil, errors.New("event is missing")
	}
	e.Time = e.Time.UTC()
	return &e, nil
}
