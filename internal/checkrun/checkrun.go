// Package checkrun runs one checklist item's automated check (SPEC §7 `check`):
// a shell command in its own process group, bounded by a timeout, whose
// combined output is hashed and tailed without holding it in memory.
package checkrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// Spec describes one check run.
type Spec struct {
	Command string        // run with `sh -c`
	Dir     string        // working directory; empty means the current one
	Timeout time.Duration // zero or negative means no timeout beyond ctx
	Env     []string      // KEY=VALUE entries added to (and overriding) the inherited environment
}

// Tunables. Variables rather than constants only so that tests stay fast;
// nothing outside this package changes them.
var (
	progressEvery = 200 * time.Millisecond
	// killGrace is how long the process group has between SIGTERM and SIGKILL.
	killGrace = 2 * time.Second
	// reapWait bounds how long Run waits for killed processes to disappear.
	reapWait = 2 * time.Second
	// drainWait bounds how long Run keeps reading output once every process
	// it knows of is gone (a process that left the group may hold the pipe).
	drainWait = 500 * time.Millisecond
)

// MarkerEnv names the environment variable Run sets, to a value unique to
// the run, in every check's environment. It marks the check's processes, so
// that one which detached from the process group is still found (Linux).
const MarkerEnv = "OCTORELEASE_CHECK_RUN"

// Run runs the check and records its outcome. It never returns before the
// command's process group is gone (or, for processes that ignore SIGKILL's
// effects such as unreaped zombies, until a bounded wait has passed).
//
// Processes the command leaves behind in its group are terminated once the
// command exits, so a check never leaves work running after it is recorded;
// on Linux so are those that left the group (setsid, a daemon's double
// fork), see holdSubreaper. When the timeout passes or ctx is done, the
// whole group gets SIGTERM, then SIGKILL after a short grace. progress, if
// not nil, is called from Run's own goroutine about every 200ms while the
// command runs.
//
// When ctx is done the result says the check failed with exit -1, not
// timed out; the caller, which knows why ctx ended, decides whether to
// record it.
func Run(ctx context.Context, s Spec, progress func(elapsed time.Duration)) (res release.CheckResult) {
	res = release.CheckResult{Command: s.Command, ExitCode: -1}
	out := newSink()
	defer func() {
		res.OutputSHA256 = out.sum()
		res.OutputTail = out.tail()
	}()

	pr, pw, err := os.Pipe()
	if err != nil {
		out.note(fmt.Sprintf("octorelease: run check: %v", err))
		return res
	}
	cmd := exec.Command("sh", "-c", s.Command)
	cmd.Dir = s.Dir
	marker := MarkerEnv + "=" + newMarker()
	cmd.Env = append(append(os.Environ(), s.Env...), marker)
	cmd.Stdin = nil // /dev/null: a check must not wait for a terminal
	// Stdout and Stderr are the same *os.File, so the output stays in order
	// and exec starts no copying goroutine: Wait returns when the shell
	// exits, and this function alone decides how long to keep reading.
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.WaitDelay = drainWait // belt and braces: Wait never blocks on I/O
	setProcessGroup(cmd)
	defer holdSubreaper()() // before Start: orphans must come to this process

	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		out.note(fmt.Sprintf("octorelease: start check: %v", err))
		return res
	}
	pw.Close() // the children hold their own copies
	start := time.Now()
	pgid := cmd.Process.Pid

	reading := make(chan struct{})
	go func() {
		defer close(reading)
		buf := make([]byte, 32*1024)
		for {
			n, err := pr.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	waitErr, stopped := supervise(ctx, s.Timeout, pgid, exited, start, progress)
	res.DurationMS = time.Since(start).Milliseconds()

	// Clean up whatever the shell left, in its group or not, then stop reading.
	stopGroup(pgid)
	stopEscaped(pgid, marker)
	select {
	case <-reading:
	case <-time.After(drainWait):
	}
	pr.Close() // unblocks the reader if something outside the group holds the pipe
	<-reading

	switch {
	case stopped != nil:
		res.TimedOut = errors.Is(stopped, context.DeadlineExceeded)
	case waitErr == nil || errors.Is(waitErr, exec.ErrWaitDelay):
		res.ExitCode = 0
		res.Passed = true
	default:
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			res.ExitCode = ee.ExitCode() // -1 when a signal killed the shell
		}
	}
	return res
}

var errCanceled = errors.New("canceled")

// newMarker returns a value no other run uses.
func newMarker() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// supervise waits for the shell to exit, reporting progress, and kills the
// process group when the timeout passes or ctx is done. stopped is non-nil
// (context.DeadlineExceeded or errCanceled) when Run stopped the command.
func supervise(ctx context.Context, timeout time.Duration, pgid int, exited <-chan error,
	start time.Time, progress func(time.Duration)) (waitErr, stopped error) {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return err, nil
		case <-tick.C:
			if progress != nil {
				progress(time.Since(start))
			}
		case <-deadline:
			stopped = context.DeadlineExceeded
		case <-ctx.Done():
			stopped = errCanceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				stopped = context.DeadlineExceeded
			}
		}
		if stopped != nil {
			stopGroup(pgid)
			return <-exited, stopped
		}
	}
}
