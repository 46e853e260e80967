//go:build linux

package checkrun

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A check's process group does not hold a process that detaches (setsid,
// or a daemon's double fork). On Linux none of them escapes: while a check
// runs, this process is a child subreaper (PR_SET_CHILD_SUBREAPER), so what
// the check's processes leave behind is reparented to it, not to init; once
// the check ends, stopEscaped finds those orphans among its children and
// stops them with everything they started.

var subreaper struct {
	sync.Mutex
	holders int
}

// holdSubreaper makes this process a child subreaper until the returned
// function is called. Calls nest: the last release turns it off, so that
// orphans of other children (git's, ssh's) are init's business again.
func holdSubreaper() (release func()) {
	subreaper.Lock()
	defer subreaper.Unlock()
	if subreaper.holders == 0 {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) // pre-3.4 kernels: group kill only
	}
	subreaper.holders++
	return func() {
		subreaper.Lock()
		defer subreaper.Unlock()
		if subreaper.holders--; subreaper.holders == 0 {
			_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		}
	}
}

// procKey names one process: a pid is reused, a pid and start time are not.
type procKey struct {
	pid   int
	start uint64
}

// stopEscaped stops what is left of a check once its process group is
// gone: SIGTERM, then SIGKILL after killGrace, then it reaps their zombies,
// which are now this process's children. A process belongs to the check
// when it is a child of this process that is in the check's group, in
// another session (it called setsid) or carries the check's marker in its
// environment, or when it descends from one.
func stopEscaped(pgid int, marker string) {
	self := os.Getpid()
	sid, err := unix.Getsid(0)
	if err != nil {
		return
	}
	seen := map[procKey]bool{}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{sigTerm, killGrace}, {sigKill, reapWait}} {
		procs, ok := scanProcs()
		if !ok {
			return
		}
		live := checkProcs(procs, self, sid, pgid, marker, seen)
		if len(live) == 0 {
			break
		}
		for _, k := range live {
			_ = syscall.Kill(k.pid, step.sig)
		}
		waitUntil(step.wait, func() bool { return !anyRunning(live) })
	}
	reapZombies(self, pgid, seen)
}

// checkProcs returns the check's live processes, adding every process of
// the check it finds (live or zombie) to seen.
func checkProcs(procs map[int]procStat, self, sid, pgid int, marker string, seen map[procKey]bool) []procKey {
	children := make(map[int][]int, len(procs))
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	var queue []int
	for _, pid := range children[self] {
		p := procs[pid]
		if seen[procKey{pid, p.start}] || p.pgrp == pgid || (p.live() && (p.session != sid || hasMarker(pid, marker))) {
			queue = append(queue, pid)
		}
	}
	var live []procKey
	visited := map[int]bool{} // /proc is not read atomically: guard against a cycle
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if visited[pid] {
			continue
		}
		visited[pid] = true
		p := procs[pid]
		k := procKey{pid, p.start}
		seen[k] = true
		if p.live() {
			live = append(live, k)
		}
		queue = append(queue, children[pid]...)
	}
	return live
}

// hasMarker reports whether the process's environment (as it was at exec)
// holds marker, the "NAME=value" entry Run gives each check.
func hasMarker(pid int, marker string) bool {
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	for _, kv := range bytes.Split(env, []byte{0}) {
		if string(kv) == marker {
			return true
		}
	}
	return false
}

// anyRunning reports whether one of the processes still runs.
func anyRunning(ks []procKey) bool {
	for _, k := range ks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", k.pid))
		if err != nil {
			continue // gone
		}
		if p, ok := parseStat(data); ok && p.start == k.start && p.live() {
			return true
		}
	}
	return false
}

// reapZombies waits for the zombies among this process's children that
// were the check's. Only those: another child may be an exec.Cmd that
// someone else waits for.
func reapZombies(self, pgid int, seen map[procKey]bool) {
	procs, ok := scanProcs()
	if !ok {
		return
	}
	for pid, p := range procs {
		if p.ppid == self && !p.live() && (seen[procKey{pid, p.start}] || p.pgrp == pgid) {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		}
	}
}

func waitUntil(limit time.Duration, done func() bool) {
	end := time.Now().Add(limit)
	for !done() && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
}
