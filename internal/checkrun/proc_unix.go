//go:build unix

package checkrun

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// setProcessGroup puts the shell in a new process group whose id is its pid,
// so that signalling -pid reaches every process the check starts.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
}

// groupAlive reports whether a process of the group is still running.
// Zombies do not count: an orphan's zombie is reaped by init, which in a
// container may never happen, and a zombie runs nothing.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); err == syscall.ESRCH {
		return false
	}
	if runtime.GOOS != "linux" {
		return true
	}
	live, ok := liveMember(pgid)
	return live || !ok
}

// liveMember scans /proc for a non-zombie process in the group. ok is false
// when /proc cannot be read.
func liveMember(pgid int) (live, ok bool) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(dirs) == 0 {
		return false, false
	}
	for _, path := range dirs {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		state, grp, ok := parseStat(data)
		if ok && grp == pgid && state != 'Z' && state != 'X' {
			return true, true
		}
	}
	return false, true
}

// parseStat reads the state and process group from /proc/<pid>/stat:
// "pid (comm) state ppid pgrp ...", where comm may hold spaces and parens.
func parseStat(data []byte) (state byte, pgrp int, ok bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// stopGroup sends SIGTERM to the process group, then SIGKILL after
// killGrace, and waits (at most reapWait more) until none of it is left.
func stopGroup(pgid int) {
	if !groupAlive(pgid) {
		return
	}
	signalGroup(pgid, sigTerm)
	if !waitGone(pgid, killGrace) {
		signalGroup(pgid, sigKill)
		waitGone(pgid, reapWait)
	}
}

func waitGone(pgid int, limit time.Duration) bool {
	end := time.Now().Add(limit)
	for groupAlive(pgid) {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
