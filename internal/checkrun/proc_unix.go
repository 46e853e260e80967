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
	procs, ok := scanProcs()
	for _, p := range procs {
		if p.pgrp == pgid && p.live() {
			return true, ok
		}
	}
	return false, ok
}

// procStat is what /proc/<pid>/stat says of a process that Run needs.
type procStat struct {
	state   byte
	ppid    int
	pgrp    int
	session int
	start   uint64 // start time in clock ticks since boot: with the pid, names one process
}

// live reports whether the process runs: a zombie runs nothing (and an
// orphan's zombie may never be reaped in a container).
func (p procStat) live() bool { return p.state != 'Z' && p.state != 'X' }

// scanProcs reads /proc/*/stat. ok is false when /proc cannot be read
// (not Linux, or not mounted).
func scanProcs() (procs map[int]procStat, ok bool) {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(paths) == 0 {
		return nil, false
	}
	procs = make(map[int]procStat, len(paths))
	for _, path := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		if p, ok := parseStat(data); ok {
			procs[pid] = p
		}
	}
	return procs, true
}

// parseStat reads /proc/<pid>/stat: "pid (comm) state ppid pgrp session ...
// starttime ...", where comm may hold spaces and parens. The start time (the
// 22nd field) is left 0 when the line is shorter.
func parseStat(data []byte) (p procStat, ok bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return p, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 4 || len(f[0]) != 1 {
		return p, false
	}
	p.state = f[0][0]
	var err error
	for j, dst := range []*int{&p.ppid, &p.pgrp, &p.session} {
		if *dst, err = strconv.Atoi(string(f[1+j])); err != nil {
			return p, false
		}
	}
	if len(f) > 19 {
		if p.start, err = strconv.ParseUint(string(f[19]), 10, 64); err != nil {
			return p, false
		}
	}
	return p, true
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
