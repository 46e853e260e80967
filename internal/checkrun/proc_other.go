//go:build !unix

package checkrun

import (
	"os"
	"os/exec"
)

// Without process groups only the shell itself can be stopped; its children
// may outlive it. octorelease's checks are meant for unix CI runners.

func setProcessGroup(*exec.Cmd) {}

func stopGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
