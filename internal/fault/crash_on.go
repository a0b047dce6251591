//go:build ootsfault

package fault

import "os"

// crashAt is the crash point CrashEnv named when the process started.
var crashAt = os.Getenv(CrashEnv)

// Crash kills the process, as kill -9 would, when point is the crash point
// CrashEnv names (this binary is built with the ootsfault tag).
func Crash(point string) {
	if crashAt == "" || point != crashAt {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill() // SIGKILL on Unix
	}
	select {} // the signal is on its way: nothing more runs here
}
