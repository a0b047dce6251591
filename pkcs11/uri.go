// Package pkcs11 opens private keys held in a hardware security module or
// a software token through PKCS#11 (OASIS PKCS #11 Cryptographic Token
// Interface Base Specification 2.40/3.0), named by a PKCS#11 URI (RFC 7512):
//
//	pkcs11:token=oots;object=ap-sign;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin
//
// Open returns a crypto.Signer for an RSA (RSA PKCS #1 v1.5 with SHA-256,
// the eDelivery AS4 1.15 and SMP signature, and with SHA-384 or SHA-512;
// RSASSA-PSS with those hashes, MGF1 with the same hash and the salt
// length the caller asks),
// Ed25519 (CKM_EDDSA) or ECDSA P-256 key (CKM_ECDSA, the ES256 of the
// Common Services' JAdES signature); an RSA key's signer is also a
// crypto.Decrypter for RSA-OAEP with a digest and an MGF1 hash each of
// SHA-1, SHA-256, SHA-384 or SHA-512 (SHA-256 with MGF1-SHA-256 is the AS4
// 1.15 key transport; XML Encryption 1.0's rsa-oaep-mgf1p, the eIDAS-Node
// default, is MGF1-SHA-1 with SHA-1 or SHA-256) and an optional label: the
// token decrypts with CKM_RSA_PKCS_OAEP, or, for parameters it refuses (a
// token that offers OAEP with SHA-1 only, as SoftHSM2 2.6) and for a label
// (which a token may ignore), does the raw RSA operation and the OAEP
// decoding happens here; and for an X25519 key
// (CKK_EC_MONTGOMERY) a key agreement (ECDH method) where the token derives
// with CKM_ECDH1_DERIVE; a token that cannot gives ErrUnsupported at Open.
// The rest of the code uses these interfaces and never learns where the
// key lives.
//
// A key is used through a pool of up to 8 sessions, so that as many
// operations run in the token at once. When the token no longer knows a
// session (it restarted, closed the sessions or logged the process out)
// the operation runs again on a new session, after logging in and finding
// the key again; a key that is no longer the one opened (another public
// key under its label) is refused. An operation waits at most 30 seconds
// for a session and for the token's answer, then fails with ErrTimeout,
// so that a hung token does not block the node for ever. The URI's vendor
// query attributes x-max-sessions (1 to 1024) and x-timeout (a Go
// duration up to 1h, such as 5s or 2m) set another pool size and bound:
//
//	pkcs11:token=oots;object=ap-sign?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin&x-max-sessions=32&x-timeout=5s
//
// A PIN the token refused is not tried again, lest the token lock, until
// pin-source gives another one. Errors name the token and the key by their
// URI, never the PIN.
//
// The PKCS#11 part needs cgo and is built with the build tag pkcs11
// (`CGO_ENABLED=1 go build -tags pkcs11`); the default pure-Go build parses
// URIs but Open returns ErrNotBuilt.
package pkcs11

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Errors of Open. Callers branch with errors.Is.
var (
	// ErrNotBuilt: this binary was built without the pkcs11 build tag.
	ErrNotBuilt = errors.New("pkcs11: this binary was built without PKCS#11 support (build with CGO_ENABLED=1 and -tags pkcs11)")
	// ErrURI: the PKCS#11 URI is malformed or lacks what Open needs.
	ErrURI = errors.New("pkcs11: bad PKCS#11 URI")
	// ErrNotFound: no key, or more than one, matches the URI.
	ErrNotFound = errors.New("pkcs11: key not found")
	// ErrUnsupported: the key's type, or the operation it needs, is not
	// supported by the token or by this package.
	ErrUnsupported = errors.New("pkcs11: not supported")
	// ErrLogin: the token refused the PIN (or its PIN is locked or
	// expired). The error names the token, never the PIN.
	ErrLogin = errors.New("pkcs11: login refused")
	// ErrTimeout: the token did not answer within the time an operation
	// may take, or all the key's sessions stayed busy that long.
	ErrTimeout = errors.New("pkcs11: the token did not answer in time")
)

// URI is a parsed PKCS#11 URI (RFC 7512 §2.3). Only the attributes Open
// uses are kept; others are refused, so that a typo does not select
// another key.
type URI struct {
	// Path attributes.
	Token, Manufacturer, Serial, Model string // token
	Object                             string // CKA_LABEL
	ID                                 []byte // CKA_ID
	Type                               string // private, public, cert, secret-key, data; "" any
	SlotID                             *uint  // slot-id
	// Query attributes.
	ModulePath string // module-path: the PKCS#11 library
	PINValue   string // pin-value
	PINSource  string // pin-source: a file holding the PIN (file: URI or path)
	// Vendor query attributes: how Open uses the key.
	MaxSessions int           // x-max-sessions: the size of the key's session pool, 1 to 1024 (0: 8)
	Timeout     time.Duration // x-timeout: the bound of an operation, up to an hour (0: 30s)
}

// Bounds of the vendor query attributes.
const (
	maxPool    = 1024
	maxTimeout = time.Hour
)

// maxURI bounds the values of a URI read from a configuration: their
// length once percent-decoded, all of them together. The text itself may be
// up to three times that (every byte percent-encoded) and its names and
// separators: a bound on the text alone would refuse the written form
// (String) of a URI it accepted, which percent-encodes more than a writer
// must.
const (
	maxURI     = 4096
	maxURIText = 3*maxURI + 512
)

// ParseURI parses a PKCS#11 URI. Values are percent-decoded; an unknown
// path attribute, an unknown query attribute other than the
// vendor-specific x- ones (of which x-max-sessions and x-timeout are
// read), a repeated attribute or a value out of bounds is an error
// wrapping ErrURI.
func ParseURI(s string) (*URI, error) {
	if len(s) > maxURIText {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrURI, maxURIText)
	}
	values := 0 // the decoded values' bytes so far
	tooLong := func(val string) error {
		if values += len(val); values > maxURI {
			return fmt.Errorf("%w: values longer than %d bytes", ErrURI, maxURI)
		}
		return nil
	}
	rest, ok := strings.CutPrefix(s, "pkcs11:")
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a pkcs11: URI", ErrURI, s)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &URI{}
	seen := map[string]bool{}
	if path != "" {
		for _, attr := range strings.Split(path, ";") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: path attribute %q is not name=value", ErrURI, attr)
			}
			if seen[k] {
				return nil, fmt.Errorf("%w: path attribute %s repeated", ErrURI, k)
			}
			seen[k] = true
			val, err := url.PathUnescape(v)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrURI, k, err)
			}
			if err := tooLong(val); err != nil {
				return nil, err
			}
			switch k {
			case "token":
				u.Token = val
			case "manufacturer":
				u.Manufacturer = val
			case "serial":
				u.Serial = val
			case "model":
				u.Model = val
			case "object":
				u.Object = val
			case "id":
				u.ID = []byte(val)
			case "type":
				switch val {
				case "private", "public", "cert", "secret-key", "data":
				default:
					return nil, fmt.Errorf("%w: type %q", ErrURI, val)
				}
				u.Type = val
			case "slot-id":
				n, err := strconv.ParseUint(val, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("%w: slot-id %q", ErrURI, val)
				}
				id := uint(n)
				u.SlotID = &id
			case "library-manufacturer", "library-description", "library-version", "slot-manufacturer", "slot-description":
				// Accepted, not used for selection.
			default:
				return nil, fmt.Errorf("%w: unknown path attribute %q", ErrURI, k)
			}
		}
	}
	if query != "" {
		for _, attr := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(attr, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%w: query attribute %q is not name=value", ErrURI, attr)
			}
			if seen["?"+k] {
				return nil, fmt.Errorf("%w: query attribute %s repeated", ErrURI, k)
			}
			seen["?"+k] = true
			val, err := url.PathUnescape(v)
			if err != nil {
				if k == "pin-value" { // the error quotes the PIN
					return nil, fmt.Errorf("%w: pin-value: bad percent-encoding", ErrURI)
				}
				return nil, fmt.Errorf("%w: %s: %v", ErrURI, k, err)
			}
			if err := tooLong(val); err != nil {
				return nil, err
			}
			switch k {
			case "module-path":
				u.ModulePath = val
			case "pin-value":
				u.PINValue = val
			case "pin-source":
				u.PINSource = val
			case "x-max-sessions":
				n, err := strconv.Atoi(val)
				if err != nil || n < 1 || n > maxPool {
					return nil, fmt.Errorf("%w: x-max-sessions %q (1 to %d sessions)", ErrURI, val, maxPool)
				}
				u.MaxSessions = n
			case "x-timeout":
				d, err := time.ParseDuration(val)
				if err != nil || d <= 0 || d > maxTimeout {
					return nil, fmt.Errorf("%w: x-timeout %q (a duration such as 5s or 2m, up to %v)", ErrURI, val, maxTimeout)
				}
				u.Timeout = d
			case "module-name":
				return nil, fmt.Errorf("%w: module-name is not supported, give module-path", ErrURI)
			default:
				if !strings.HasPrefix(k, "x-") {
					return nil, fmt.Errorf("%w: unknown query attribute %q", ErrURI, k)
				}
			}
		}
	}
	if u.PINValue != "" && u.PINSource != "" {
		return nil, fmt.Errorf("%w: pin-value and pin-source together", ErrURI)
	}
	return u, nil
}

// String writes the URI back, percent-encoding what RFC 7512 §2.3 does not
// allow literally, without the PIN value.
func (u *URI) String() string {
	var path []string
	add := func(k, v string) {
		if v != "" {
			path = append(path, k+"="+escape(v, pathChars))
		}
	}
	add("token", u.Token)
	add("manufacturer", u.Manufacturer)
	add("serial", u.Serial)
	add("model", u.Model)
	add("object", u.Object)
	add("id", string(u.ID))
	add("type", u.Type)
	if u.SlotID != nil {
		path = append(path, "slot-id="+strconv.FormatUint(uint64(*u.SlotID), 10))
	}
	s := "pkcs11:" + strings.Join(path, ";")
	var q []string
	if u.ModulePath != "" {
		q = append(q, "module-path="+escape(u.ModulePath, queryChars))
	}
	if u.PINSource != "" {
		q = append(q, "pin-source="+escape(u.PINSource, queryChars))
	}
	if u.MaxSessions != 0 {
		q = append(q, "x-max-sessions="+strconv.Itoa(u.MaxSessions))
	}
	if u.Timeout != 0 {
		q = append(q, "x-timeout="+u.Timeout.String())
	}
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	return s
}

// The characters besides RFC 7512's unreserved ones that escape leaves as
// they are: a few of those its grammar allows in a path value
// (pk11-path-res-avail, with "&" but not "/" or "?") and in a query value
// (pk11-query-res-avail, with "/" but not "&", which separates the query's
// attributes). Encoding more than needed is always allowed.
const (
	pathChars  = ":@+&"
	queryChars = ":@+/"
)

// escape percent-encodes every byte of s outside RFC 7512's unreserved set
// and allowed.
func escape(s, allowed string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(allowed, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// PIN returns the PIN the URI gives: pin-value, or the first line of the
// pin-source file; "" when it gives none.
func (u *URI) PIN() (string, error) {
	if u.PINValue != "" {
		return u.PINValue, nil
	}
	if u.PINSource == "" {
		return "", nil
	}
	p := strings.TrimPrefix(u.PINSource, "file:")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("pkcs11: pin-source: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// IsURI reports whether a configured key reference is a PKCS#11 URI
// rather than a file name.
func IsURI(s string) bool { return strings.HasPrefix(s, "pkcs11:") }
