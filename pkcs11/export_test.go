//go:build pkcs11 && cgo

package pkcs11

// MaxSessions is the default session pool size.
func MaxSessions() int { return maxSessions }
