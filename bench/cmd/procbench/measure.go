package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// proc is one command line to run in a folder with an environment.
type proc struct {
	dir  string
	env  []string
	argv []string
	ok   []int // accepted exit codes; {0} when nil
}

// sample is one finished run.
type sample struct {
	wall time.Duration
	rss  int64 // peak resident set in bytes (rusage ru_maxrss)
}

// run starts p with stdout on a pipe (drained, as a CI log or `| grep`
// would), waits and returns its wall time and peak RSS.
func (p proc) run() (sample, error) {
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdout = io.Discard // a pipe: not a terminal
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return sample{}, fmt.Errorf("%v: %w", p.argv, err)
	}
	ok := p.ok
	if ok == nil {
		ok = []int{0}
	}
	if !slices.Contains(ok, code) {
		return sample{}, fmt.Errorf("%v in %s: exit %d: %s", p.argv, p.dir, code, bytes.TrimSpace(stderr.Bytes()))
	}
	return sample{wall: wall, rss: rusageRSS(cmd)}, nil
}

// rusageRSS is the peak resident set of a finished command, in bytes.
func rusageRSS(cmd *exec.Cmd) int64 {
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

// job is one timed run plus untimed work around it (for example the revoke
// that makes the next sign possible).
type job func() (sample, error)

func timed(p proc) job { return p.run }

// alternate runs the jobs in turn, rounds times, after warmup rounds that are
// not recorded. The order rotates every round so that neither side always
// runs first on a busy machine.
func alternate(rounds, warmup int, jobs ...job) ([][]sample, error) {
	out := make([][]sample, len(jobs))
	for r := -warmup; r < rounds; r++ {
		for k := range jobs {
			i := (k + max(r, 0)) % len(jobs)
			s, err := jobs[i]()
			if err != nil {
				return nil, err
			}
			if r >= 0 {
				out[i] = append(out[i], s)
			}
		}
	}
	return out, nil
}

func medianDur(s []sample) time.Duration {
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = x.wall
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// medianRatio is the median of a[i]/b[i]: each pair ran side by side, so
// load from other processes on the machine mostly cancels out.
func medianRatio(a, b []sample) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = float64(a[i].wall) / float64(b[i].wall)
	}
	slices.Sort(r)
	return r[len(r)/2]
}

func peakRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rss)
	}
	return m
}
