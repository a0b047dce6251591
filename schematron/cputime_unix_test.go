//go:build unix

package schematron

import (
	"syscall"
	"time"
)

// cpuTime returns the user + system CPU time of the process, so that the
// benchmarks can report a rate that does not depend on how busy the machine
// is.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
