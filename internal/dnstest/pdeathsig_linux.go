package dnstest

import (
	"os/exec"
	"syscall"
)

// killWithParent makes the kernel kill the DNS server when the test binary
// dies without running its clean-up (a timeout panic).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
