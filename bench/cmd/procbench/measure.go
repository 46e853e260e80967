package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
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

// lowerOwnPeak returns memory to the OS and resets this process's peak RSS
// (Linux: /proc/self/clear_refs, 5). A child is started with vfork, and the
// kernel carries the parent's peak into the child's ru_maxrss at exec, so a
// child's reading is never below ours: building 10,000 releases must not
// show up as the commands' RSS.
func lowerOwnPeak() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// pair is a measured job and its baseline.
type pair struct{ job, base job }

// interleave runs every pair once per round, rounds times, after warmup
// rounds that are not recorded. Within a pair the two run back to back, in
// an order that flips every round, and all pairs share each round, so load
// from other processes on the machine falls on every row alike. It returns
// the job's and the baseline's samples of each pair.
func interleave(rounds, warmup int, pairs []pair) (jobs, bases [][]sample, err error) {
	lowerOwnPeak()
	jobs, bases = make([][]sample, len(pairs)), make([][]sample, len(pairs))
	for r := -warmup; r < rounds; r++ {
		for i, p := range pairs {
			first, second := p.job, p.base
			if r%2 != 0 {
				first, second = second, first
			}
			a, err := first()
			if err != nil {
				return nil, nil, err
			}
			b, err := second()
			if err != nil {
				return nil, nil, err
			}
			if r%2 != 0 {
				a, b = b, a
			}
			if r >= 0 {
				jobs[i], bases[i] = append(jobs[i], a), append(bases[i], b)
			}
		}
	}
	return jobs, bases, nil
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
