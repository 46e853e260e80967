//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// rusageRSS is the peak resident set of a finished command, in bytes.
func rusageRSS(cmd *exec.Cmd) int64 {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}
