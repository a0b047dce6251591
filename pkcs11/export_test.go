//go:build pkcs11 && cgo

package pkcs11

import "time"

// SetLimits sets the session pool size and operation timeout of the keys
// opened after it, until restore is called.
func SetLimits(sessions int, timeout time.Duration) (restore func()) {
	s, t := maxSessions, opTimeout
	maxSessions, opTimeout = sessions, timeout
	return func() { maxSessions, opTimeout = s, t }
}

// MaxSessions is the default session pool size.
func MaxSessions() int { return maxSessions }
