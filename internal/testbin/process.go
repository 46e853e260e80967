package testbin

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is one finished run of the binary: what the process tests check.
type Result struct {
	Args []string // the arguments after the program name
	// Code is the exit code; -1 when a signal ended the process (Signaled),
	// -2 when it did not start or could not be waited for (Err says why).
	Code     int
	Signaled bool
	Pid      int // 0 when it did not start
	Stdout   string
	Stderr   string
	Dur      time.Duration // from start to exit
	Err      error         // what Wait returned (nil for exit 0), or why it did not start
}

// String is the run for a failure message. Output is clipped: a test that
// fails for a hundred writers must not print a hundred status documents.
func (r Result) String() string {
	return fmt.Sprintf("octorelease %s: exit %d after %v\nstdout: %s\nstderr: %s",
		Clip(strings.Join(r.Args, " "), 200), r.Code, r.Dur.Round(time.Millisecond), Clip(r.Stdout, 2000), Clip(r.Stderr, 2000))
}

// Clip is s cut to n bytes, saying how long it was.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}

// Proc is a started process whose stdout and stderr are kept for its
// Result, for tests that run several at once or signal one.
type Proc struct {
	Cmd *exec.Cmd

	out, errb bytes.Buffer
	start     time.Time
	once      sync.Once
	res       Result
}

// Start starts cmd, which must not have Stdout or Stderr set, without
// waiting for it. Safe to call from several goroutines.
func Start(cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{Cmd: cmd}
	cmd.Stdout, cmd.Stderr = &p.out, &p.errb
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Wait waits for the process to end and returns its Result. It waits
// once: a later call returns the same Result (cmd.Wait may be called only
// once).
func (p *Proc) Wait() Result {
	p.once.Do(func() {
		err := p.Cmd.Wait()
		p.res = Result{Args: p.Cmd.Args[1:], Pid: p.Cmd.Process.Pid, Stdout: p.out.String(), Stderr: p.errb.String(),
			Dur: time.Since(p.start), Err: err}
		p.res.Code, p.res.Signaled = waitStatus(err)
	})
	return p.res
}

// Run runs cmd, which must not have Stdout or Stderr set, to its end.
// When it does not start, Code is -2 and Err says why.
func Run(cmd *exec.Cmd) Result {
	p, err := Start(cmd)
	if err != nil {
		return Result{Args: cmd.Args[1:], Code: -2, Err: err}
	}
	return p.Wait()
}

// waitStatus turns cmd.Wait's error into an exit code, or -1 and signaled;
// -2 when the process could not be waited for.
func waitStatus(err error) (code int, signaled bool) {
	if err == nil {
		return 0, false
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return -2, false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, true
	}
	return ee.ExitCode(), false
}
