package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/oots-go/oots/store"
)

// Component is the name of the console's migrations in the store.
const Component = "console"

//go:embed migrations
var migrations embed.FS

// Role is what an account may do on the console.
type Role string

// The roles. Every role reads messages, partners and certificates.
const (
	// Administrator may do everything, and alone replaces the P-Mode and
	// reloads the node's configuration.
	Administrator Role = "administrator"
	// Operator resends and retries messages and downloads payloads.
	Operator Role = "operator"
	// Auditor reads the audit trail and the journal (also by person), and
	// neither changes anything nor downloads payloads.
	Auditor Role = "auditor"
)

// Permissions of the roles: one table.
type permission int

const (
	permRead permission = iota
	permDownload
	permOperate   // resend, retry now
	permAudit     // the audit trail, the journal by person
	permConfigure // replace the P-Mode, reload the node's configuration
)

var grants = map[Role]map[permission]bool{
	Administrator: {permRead: true, permDownload: true, permOperate: true, permAudit: true, permConfigure: true},
	Operator:      {permRead: true, permDownload: true, permOperate: true},
	Auditor:       {permRead: true, permAudit: true},
}

func (r Role) may(p permission) bool { return grants[r][p] }

// ParseRole returns the role of its name, or ErrUnknownRole.
func ParseRole(s string) (Role, error) {
	if _, ok := grants[Role(s)]; !ok {
		return "", fmt.Errorf("%w: %q (administrator, operator or auditor)", ErrUnknownRole, s)
	}
	return Role(s), nil
}

// Errors callers branch on.
var (
	// ErrUnknownRole: a role other than administrator, operator, auditor.
	ErrUnknownRole = errors.New("console: unknown role")
	// ErrBadCredentials: no such account, or a wrong password (the two are
	// not told apart).
	ErrBadCredentials = errors.New("console: wrong name or password")
	// ErrLocked: the account is locked after too many failed logins.
	ErrLocked = errors.New("console: account locked after failed logins")
	// ErrAccountExists: AddAccount of a name already taken.
	ErrAccountExists = errors.New("console: the account exists")
	// ErrWeakPassword: a password shorter than MinPassword.
	ErrWeakPassword = errors.New("console: password too short")
)

// Bounds of the accounts.
const (
	MinPassword = 12
	maxPassword = 1024
	// MaxFailures failed logins in a row lock an account for LockFor.
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

// argon2id parameters: the OWASP password storage recommendation (19 MiB,
// 2 passes, 1 lane), within RFC 9106's bounds; a login costs tens of
// milliseconds and 19 MiB.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Accounts are the console's local accounts, in the node's store.
type Accounts struct {
	db   *store.DB
	now  func() time.Time
	rand io.Reader
}

// migrate applies the console's migrations.
func migrate(ctx context.Context, db *store.DB) error {
	if err := db.MigrateFS(ctx, Component, migrations); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// OpenAccounts applies the console's migrations and returns its accounts
// (for the command that creates them).
func OpenAccounts(ctx context.Context, db *store.DB, now func() time.Time, rand io.Reader) (*Accounts, error) {
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Accounts{db: db, now: now, rand: rand}, nil
}

// Add creates an account.
func (a *Accounts) Add(ctx context.Context, name string, role Role, password string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("console: account name %q: letters, digits and ._@- only, 64 at most", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if utf8.RuneCountInString(password) < MinPassword {
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, MinPassword)
	}
	if len(password) > maxPassword {
		return fmt.Errorf("console: password longer than %d bytes", maxPassword)
	}
	h, err := hashPassword(a.rand, password)
	if err != nil {
		return err
	}
	var n int
	if err := a.db.SQL().QueryRowContext(ctx, a.db.Rebind("SELECT COUNT(*) FROM console_accounts WHERE name = ?"), name).Scan(&n); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: %s", ErrAccountExists, name)
	}
	if _, err := a.db.SQL().ExecContext(ctx, a.db.Rebind("INSERT INTO console_accounts (name, role, hash, created_at) VALUES (?, ?, ?, ?)"),
		name, string(role), h, a.now().UnixMilli()); err != nil {
		return fmt.Errorf("console: add account %s: %w", name, err)
	}
	return nil
}

// Authenticate checks a name and password and returns the account's role.
// MaxFailures wrong passwords in a row lock the account for LockFor (also
// against the right password); a success resets the count.
func (a *Accounts) Authenticate(ctx context.Context, name, password string) (Role, error) {
	now := a.now()
	var role, hash string
	var failed int
	var locked int64
	err := a.db.SQL().QueryRowContext(ctx, a.db.Rebind("SELECT role, hash, failed, locked_until FROM console_accounts WHERE name = ?"), name).
		Scan(&role, &hash, &failed, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		// The same work as for an account, so that timing does not tell
		// which names exist.
		verifyPassword("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", password)
		return "", ErrBadCredentials
	}
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	if locked > now.UnixMilli() {
		return "", fmt.Errorf("%w until %s", ErrLocked, time.UnixMilli(locked).UTC().Format(time.RFC3339))
	}
	if len(password) > maxPassword || !verifyPassword(hash, password) {
		failed++
		lockUntil := int64(0)
		if failed >= MaxFailures {
			lockUntil, failed = now.Add(LockFor).UnixMilli(), 0
		}
		if _, err := a.db.SQL().ExecContext(ctx, a.db.Rebind("UPDATE console_accounts SET failed = ?, locked_until = ? WHERE name = ?"), failed, lockUntil, name); err != nil {
			return "", fmt.Errorf("console: %w", err)
		}
		if lockUntil != 0 {
			return "", fmt.Errorf("%w until %s", ErrLocked, time.UnixMilli(lockUntil).UTC().Format(time.RFC3339))
		}
		return "", ErrBadCredentials
	}
	if _, err := a.db.SQL().ExecContext(ctx, a.db.Rebind("UPDATE console_accounts SET failed = 0, locked_until = 0 WHERE name = ?"), name); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	return Role(role), nil
}

// role returns an account's current role ("" when it no longer exists).
func (a *Accounts) role(ctx context.Context, name string) (Role, error) {
	var role string
	err := a.db.SQL().QueryRowContext(ctx, a.db.Rebind("SELECT role FROM console_accounts WHERE name = ?"), name).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return Role(role), err
}

// hashPassword returns the argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func hashPassword(rand io.Reader, password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword checks password against a PHC string; parameters out of
// bounds are refused rather than run.
func verifyPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m < 8*1024 || m > 1<<20 || t < 1 || t > 10 || p < 1 || p > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// tokenHash is the stored form of a session cookie.
func tokenHash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}
