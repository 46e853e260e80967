package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
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

// runRSS is run under GNU time, for the peak RSS only. A child is started
// with vfork, and at exec the kernel carries the parent's peak into the
// child's ru_maxrss, so a child of procbench never reads below procbench's
// own resident set (~9 MB); a child of time(1), a small C program, reads
// true to within time's own ~2 MB. Without /usr/bin/time, run's reading is
// kept (an upper bound).
func (p proc) runRSS() (sample, error) {
	const gnuTime = "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		return p.run()
	}
	out, err := os.CreateTemp("", "procbench-rss-")
	if err != nil {
		return sample{}, err
	}
	out.Close()
	defer os.Remove(out.Name())
	q := p
	q.argv = append([]string{gnuTime, "-f", "%M", "-o", out.Name()}, p.argv...)
	s, err := q.run()
	if err != nil {
		return s, err
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return s, err
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return s, fmt.Errorf("time(1) wrote %q", data)
	}
	kb, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		return s, fmt.Errorf("time(1) wrote %q", data)
	}
	s.rss = kb * 1024
	return s, nil
}

// job is one run plus untimed work around it (for example the revoke that
// makes the next sign possible). With probe, the run is for its peak RSS
// (runRSS) and its time is not used.
type job func(probe bool) (sample, error)

func timed(p proc) job {
	return func(probe bool) (sample, error) {
		if probe {
			return p.runRSS()
		}
		return p.run()
	}
}

// pair is a measured job and its baseline.
type pair struct{ job, base job }

// rssProbes is how many runs of each job measure its peak RSS.
const rssProbes = 3

// interleave runs every pair once per round, rounds times, after warmup
// rounds that are not recorded. Within a pair the two run back to back, in
// an order that flips every round; all pairs share each round, starting at a
// different pair each time, so load from other processes on the machine
// (and the wake of a heavy neighbour row) falls on every row alike. It returns
// the job's and the baseline's samples of each pair, and the peak RSS of
// each job from rssProbes further runs.
func interleave(rounds, warmup int, pairs []pair) (jobs, bases [][]sample, rss []int64, err error) {
	jobs, bases, rss = make([][]sample, len(pairs)), make([][]sample, len(pairs)), make([]int64, len(pairs))
	for r := -warmup; r < rounds; r++ {
		for k := range pairs {
			i := (k + max(r, 0)) % len(pairs)
			p := pairs[i]
			first, second := p.job, p.base
			if r%2 != 0 {
				first, second = second, first
			}
			a, err := first(false)
			if err != nil {
				return nil, nil, nil, err
			}
			b, err := second(false)
			if err != nil {
				return nil, nil, nil, err
			}
			if r%2 != 0 {
				a, b = b, a
			}
			if r >= 0 {
				jobs[i], bases[i] = append(jobs[i], a), append(bases[i], b)
			}
		}
	}
	for i, p := range pairs {
		for range rssProbes {
			s, err := p.job(true)
			if err != nil {
				return nil, nil, nil, err
			}
			rss[i] = max(rss[i], s.rss)
		}
	}
	return jobs, bases, rss, nil
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
