//go:build !ootsfault

package fault

// Crash does nothing: only a binary built with the ootsfault tag has crash
// points (crash_on.go).
func Crash(point string) {}
