package portal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/oots-go/oots/eid"
	"github.com/oots-go/oots/store"
)

// session is a browser's session. The cookie holds a random token; the
// table holds its SHA-256 (id).
type session struct {
	id         string
	token      string // the cookie value, known only when the session is new
	CSRF       string
	Subject    *eid.Subject
	LoginState string
	// PendingProcedure and PendingCountry are the journey to start after
	// the login; ReturnTo the page to go back to after it.
	PendingProcedure string
	PendingCountry   string
	ReturnTo         string
	Created          time.Time
	Expires          time.Time
}

// owner is the key of the user a journey belongs to: the eIDAS identifier
// of the person and, when they act for a company, of the company. "" when
// nobody is logged in.
func (s *session) owner() string {
	if s == nil || s.Subject == nil || s.Subject.Person == nil {
		return ""
	}
	o := "person:" + s.Subject.Person.Identifier
	if s.Subject.Company != nil {
		o += "|company:" + s.Subject.Company.Identifier
	}
	return o
}

// randomToken returns n random bytes of r in unpadded base64url.
func randomToken(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("portal: reading randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// sessionStore keeps sessions, the owners of journeys, skipped requirements
// and submissions in the tables portal_*.
type sessionStore struct {
	db *store.DB
}

// newSession creates a session that lasts until expires, and removes the
// sessions that have expired.
func (s *sessionStore) newSession(ctx context.Context, r io.Reader, now time.Time, lifetime time.Duration) (*session, error) {
	token, err := randomToken(r, 32)
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken(r, 32)
	if err != nil {
		return nil, err
	}
	sess := &session{id: tokenID(token), token: token, CSRF: csrf, Created: now, Expires: now.Add(lifetime)}
	db := s.db.SQL()
	if _, err := db.ExecContext(ctx, s.db.Rebind(`DELETE FROM portal_sessions WHERE expires < ?`), now.UnixMilli()); err != nil {
		return nil, fmt.Errorf("portal: removing expired sessions: %w", err)
	}
	_, err = db.ExecContext(ctx, s.db.Rebind(`INSERT INTO portal_sessions
		(id, csrf, subject, login_state, pending_procedure, pending_country, return_to, created, expires)
		VALUES (?, ?, '', '', '', '', '', ?, ?)`), sess.id, sess.CSRF, now.UnixMilli(), sess.Expires.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("portal: creating session: %w", err)
	}
	return sess, nil
}

// get returns the live session of a cookie's token, or nil when there is
// none or it has expired.
func (s *sessionStore) get(ctx context.Context, token string, now time.Time) (*session, error) {
	if token == "" || len(token) > 100 {
		return nil, nil
	}
	sess := &session{id: tokenID(token)}
	var subject string
	var created, expires int64
	err := s.db.SQL().QueryRowContext(ctx, s.db.Rebind(`SELECT csrf, subject, login_state, pending_procedure,
		pending_country, return_to, created, expires FROM portal_sessions WHERE id = ?`), sess.id).
		Scan(&sess.CSRF, &subject, &sess.LoginState, &sess.PendingProcedure, &sess.PendingCountry, &sess.ReturnTo, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("portal: reading session: %w", err)
	}
	sess.Created, sess.Expires = time.UnixMilli(created), time.UnixMilli(expires)
	if !now.Before(sess.Expires) {
		return nil, nil
	}
	if subject != "" {
		sess.Subject = new(eid.Subject)
		if err := json.Unmarshal([]byte(subject), sess.Subject); err != nil {
			return nil, fmt.Errorf("portal: reading session subject: %w", err)
		}
	}
	return sess, nil
}

// save writes the session's fields back.
func (s *sessionStore) save(ctx context.Context, sess *session) error {
	var subject []byte
	if sess.Subject != nil {
		var err error
		if subject, err = json.Marshal(sess.Subject); err != nil {
			return fmt.Errorf("portal: storing session subject: %w", err)
		}
	}
	_, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`UPDATE portal_sessions SET csrf = ?, subject = ?,
		login_state = ?, pending_procedure = ?, pending_country = ?, return_to = ? WHERE id = ?`),
		sess.CSRF, string(subject), sess.LoginState, sess.PendingProcedure, sess.PendingCountry, sess.ReturnTo, sess.id)
	if err != nil {
		return fmt.Errorf("portal: storing session: %w", err)
	}
	return nil
}

// remove deletes a session (logout, or the old session of a login).
func (s *sessionStore) remove(ctx context.Context, sess *session) error {
	if _, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`DELETE FROM portal_sessions WHERE id = ?`), sess.id); err != nil {
		return fmt.Errorf("portal: removing session: %w", err)
	}
	return nil
}

// journeyRecord is a journey started through the portal.
type journeyRecord struct {
	ID, Owner, Procedure, Country string
	Created                       time.Time
}

// addJourney records that owner started journey j.
func (s *sessionStore) addJourney(ctx context.Context, j journeyRecord) error {
	_, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`INSERT INTO portal_journeys (journey_id, owner, procedure, country, created)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (journey_id) DO NOTHING`), j.ID, j.Owner, j.Procedure, j.Country, j.Created.UnixMilli())
	if err != nil {
		return fmt.Errorf("portal: recording journey: %w", err)
	}
	return nil
}

// journeyOwner returns the owner of a journey, "" when the portal does not
// know it.
func (s *sessionStore) journeyOwner(ctx context.Context, id string) (string, error) {
	var owner string
	err := s.db.SQL().QueryRowContext(ctx, s.db.Rebind(`SELECT owner FROM portal_journeys WHERE journey_id = ?`), id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("portal: reading journey: %w", err)
	}
	return owner, nil
}

// journeys returns the journeys of owner, newest first.
func (s *sessionStore) journeys(ctx context.Context, owner string, limit int) ([]journeyRecord, error) {
	rows, err := s.db.SQL().QueryContext(ctx, s.db.Rebind(`SELECT journey_id, procedure, country, created FROM portal_journeys
		WHERE owner = ? ORDER BY created DESC, journey_id LIMIT ?`), owner, limit)
	if err != nil {
		return nil, fmt.Errorf("portal: listing journeys: %w", err)
	}
	defer rows.Close()
	var out []journeyRecord
	for rows.Next() {
		j := journeyRecord{Owner: owner}
		var created int64
		if err := rows.Scan(&j.ID, &j.Procedure, &j.Country, &created); err != nil {
			return nil, fmt.Errorf("portal: listing journeys: %w", err)
		}
		j.Created = time.UnixMilli(created)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("portal: listing journeys: %w", err)
	}
	return out, nil
}

// skip records that the user goes on without a requirement.
func (s *sessionStore) skip(ctx context.Context, journeyID, requirementID string) error {
	_, err := s.db.SQL().ExecContext(ctx, s.db.Rebind(`INSERT INTO portal_skipped (journey_id, requirement_id) VALUES (?, ?)
		ON CONFLICT (journey_id, requirement_id) DO NOTHING`), journeyID, requirementID)
	if err != nil {
		return fmt.Errorf("portal: recording skipped requirement: %w", err)
	}
	return nil
}

// skipped returns the requirements of a journey the user goes on without.
func (s *sessionStore) skipped(ctx context.Context, journeyID string) (map[string]bool, error) {
	rows, err := s.db.SQL().QueryContext(ctx, s.db.Rebind(`SELECT requirement_id FROM portal_skipped WHERE journey_id = ?`), journeyID)
	if err != nil {
		return nil, fmt.Errorf("portal: reading skipped requirements: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("portal: reading skipped requirements: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("portal: reading skipped requirements: %w", err)
	}
	return out, nil
}

// Submission is a submitted procedure as the portal stores it.
type Submission struct {
	Reference string    `json:"reference"`
	JourneyID string    `json:"journeyId"`
	Procedure string    `json:"procedure"`
	Country   string    `json:"country"`
	Applicant string    `json:"applicant"`
	Company   string    `json:"company,omitempty"`
	Items     []Item    `json:"items"`
	Created   time.Time `json:"created"`
	// Form holds the application form as submitted, for a procedure with
	// a Form: each value with the one pre-filled from the evidence.
	Form []FormValue `json:"form,omitempty"`
}

// Item is one requirement of a submission: its evidence, or none when the
// user went on without it.
type Item struct {
	Requirement string   `json:"requirement"`
	Evidence    []string `json:"evidence,omitempty"` // titles
	Without     bool     `json:"without,omitempty"`
}

// addSubmission stores sub unless its journey was submitted already, and
// returns the stored submission (the first one).
func (s *sessionStore) addSubmission(ctx context.Context, owner string, sub *Submission) (*Submission, error) {
	summary, err := json.Marshal(sub)
	if err != nil {
		return nil, fmt.Errorf("portal: storing submission: %w", err)
	}
	_, err = s.db.SQL().ExecContext(ctx, s.db.Rebind(`INSERT INTO portal_submissions
		(reference, journey_id, owner, procedure, country, summary, created) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (journey_id) DO NOTHING`), sub.Reference, sub.JourneyID, owner, sub.Procedure, sub.Country,
		string(summary), sub.Created.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("portal: storing submission: %w", err)
	}
	stored, _, err := s.submission(ctx, "journey_id", sub.JourneyID)
	return stored, err
}

// submission returns the submission whose column key (reference or
// journey_id) is v, with its owner; nil when there is none.
func (s *sessionStore) submission(ctx context.Context, key, v string) (*Submission, string, error) {
	q := `SELECT owner, summary FROM portal_submissions WHERE reference = ?`
	if key == "journey_id" {
		q = `SELECT owner, summary FROM portal_submissions WHERE journey_id = ?`
	}
	var owner, summary string
	err := s.db.SQL().QueryRowContext(ctx, s.db.Rebind(q), v).Scan(&owner, &summary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("portal: reading submission: %w", err)
	}
	sub := new(Submission)
	if err := json.Unmarshal([]byte(summary), sub); err != nil {
		return nil, "", fmt.Errorf("portal: reading submission: %w", err)
	}
	return sub, owner, nil
}
