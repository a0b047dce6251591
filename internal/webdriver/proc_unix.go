//go:build unix

package webdriver

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts chromedriver in a process group of its own, so that
// ending the group ends the browsers it started too.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
