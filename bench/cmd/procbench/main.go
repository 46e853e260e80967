// Command procbench measures octorelease as whole processes, the way CI and
// people run it, against a floor: a plain Go hello world built the same way.
// Each command runs back to back with its baseline, every command once per
// round so that load from other processes falls on all rows alike, and the
// table reports median times and the median of the pairwise ratios, which a
// busy machine affects far less than absolute times. Every budget line (docs/performance.md)
// prints PASS or FAIL; the exit status is 1 when any line fails.
//
//	go run ./bench/cmd/procbench [-n 31] [-o table.md]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

const mb = 1 << 20

type config struct {
	rounds, warmup, history, signers, signerRounds int
	out, sections                                  string
	keep                                           bool
}

// row is one line of the table.
type row struct {
	name, value, baseline, ratio, budget, rss, verdict string
}

type bench struct {
	cfg                           config
	root, oct, floor, linked, tmp string
	ciEnv, noActorEnv             []string
	rows                          []row
	failed                        bool
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "n", 31, "measured runs of each command (and of its baseline)")
	flag.IntVar(&cfg.warmup, "warmup", 3, "unrecorded runs before measuring")
	flag.IntVar(&cfg.history, "history", 10000, "other releases in the large state folder")
	flag.IntVar(&cfg.signers, "signers", 100, "concurrent sign processes")
	flag.IntVar(&cfg.signerRounds, "signer-rounds", 3, "rounds of concurrent signers (the median is reported)")
	flag.StringVar(&cfg.out, "o", "", "also write the table (markdown) to this file")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work folder")
	flag.StringVar(&cfg.sections, "run", "commands,history,big,signers", "sections to run, comma-separated")
	flag.Parse()
	if cfg.rounds < 1 {
		fmt.Fprintln(os.Stderr, "procbench: -n must be at least 1")
		os.Exit(2)
	}
	b := &bench{cfg: cfg}
	if err := b.run(); err != nil {
		fmt.Fprintln(os.Stderr, "procbench:", err)
		os.Exit(1)
	}
	if b.failed {
		os.Exit(1)
	}
}

func (b *bench) run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	b.root = root
	if b.tmp, err = os.MkdirTemp("", "procbench-"); err != nil {
		return err
	}
	if b.cfg.keep {
		fmt.Fprintln(os.Stderr, "work folder:", b.tmp)
	} else {
		defer os.RemoveAll(b.tmp)
	}
	b.oct, b.floor = filepath.Join(b.tmp, "bin", "octorelease"), filepath.Join(b.tmp, "bin", "floor")
	progress("building octorelease, the floor and bench/linked (CGO_ENABLED=0, -trimpath, -ldflags=-s -w)")
	if err := build(root, b.oct, "./cmd/octorelease"); err != nil {
		return err
	}
	if err := build(root, b.floor, "./bench/floor"); err != nil {
		return err
	}
	b.linked = filepath.Join(b.tmp, "bin", "linked")
	if err := build(root, b.linked, "./bench/linked"); err != nil {
		return err
	}
	home := filepath.Join(b.tmp, "home")
	if err := writeHome(home); err != nil {
		return err
	}
	b.ciEnv, b.noActorEnv = environ(home, true), environ(home, false)

	for _, s := range []struct {
		name string
		run  func() error
	}{{"commands", b.commands}, {"history", b.history}, {"big", b.bigRelease}, {"signers", b.concurrentSigners}} {
		if !slices.Contains(strings.Split(b.cfg.sections, ","), s.name) {
			continue
		}
		if err := s.run(); err != nil {
			return err
		}
	}
	table := b.table()
	fmt.Print(table)
	if b.cfg.out != "" {
		return os.WriteFile(b.cfg.out, []byte(table), 0o644)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run procbench inside the octorelease module")
	}
	return filepath.Dir(mod), nil
}

func progress(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "procbench: "+format+"\n", a...)
}

func (b *bench) octo(dir string, env []string, ok []int, args ...string) proc {
	return proc{dir: dir, env: env, argv: append([]string{b.oct}, args...), ok: ok}
}

// signJob signs capacity (timed) and revokes it again (not timed), so every
// round signs the same item of a release of the same shape.
func (b *bench) signJob(dir string) job {
	sign := b.octo(dir, b.ciEnv, nil, "sign", "capacity", "--note", "quota raised")
	revoke := b.octo(dir, b.ciEnv, nil, "revoke", "capacity", "--role", "sre", "--reason", "re-sign")
	return func(probe bool) (sample, error) {
		s, err := timed(sign)(probe)
		if err != nil {
			return s, err
		}
		_, err = revoke.run()
		return s, err
	}
}

// peerCheck is what a team would script instead of `octorelease gate`:
// jq over the state file, deciding whether every role of every pre-release
// item has a current sign-off or waiver.
const peerCheck = `jq -e '. as $r | [.checklist.phases[] | select(.id == "pre-release") | .items[] | .id as $i
  | .roles[] as $role | [$r.events[] | select(.item == $i and .role == $role)] | last | .kind
  | . == "sign" or . == "waive"] | all' .octorelease/v1.0.0.json >/dev/null`

// depBuilds are builds of bench/floor with a dep_* tag: the floor with SPEC
// §11's dependencies linked in and unused, one at a time and all together.
var depBuilds = []struct{ tag, name string }{
	{"dep_cobra", "cobra"},
	{"dep_yaml", "go.yaml.in/yaml/v3"},
	{"dep_lipgloss", "lipgloss v2"},
	{"dep_viper", "viper"},
	{"dep_huh", "huh v2 (with bubbletea v2, bubbles)"},
	{"dep_all", "all five, flock and x/mod/semver"},
}

type benchCase struct {
	name   string
	job    job
	budget float64
	rss    int64
}

// commands measures each everyday command against the floor in a state
// folder holding one release. In the same rounds it times depBuilds and
// bench/linked, so the table shows side by side what SPEC §11's
// dependencies cost at start-up, what all of octorelease costs before it
// does any work, and what each command costs.
func (b *bench) commands() error {
	dir := filepath.Join(b.tmp, "one")
	if err := setupRelease(b.oct, dir, b.ciEnv); err != nil {
		return err
	}
	var cases []benchCase
	for _, d := range depBuilds {
		bin := filepath.Join(b.tmp, "bin", d.tag)
		if err := build(b.root, bin, "./bench/floor", d.tag); err != nil {
			return err
		}
		cases = append(cases, benchCase{"floor + " + d.name + ", linked, unused", timed(proc{dir: dir, env: b.ciEnv, argv: []string{bin}}), 0, 0})
	}
	progress("one release: each command back to back with the floor, %d rounds", b.cfg.rounds)
	floor := timed(proc{dir: dir, env: b.ciEnv, argv: []string{b.floor}})
	gateOK := []int{0, 3}
	cases = append(cases, []benchCase{
		{"octorelease linked, no work (start-up alone)", timed(proc{dir: dir, env: b.ciEnv, argv: []string{b.linked}}), 0, 0},
		{"gate --phase pre-release", timed(b.octo(dir, b.ciEnv, gateOK, "gate", "--phase", "pre-release")), 2.0, 20 * mb},
		{"status (pipe)", timed(b.octo(dir, b.ciEnv, nil, "status")), 2.5, 20 * mb},
		{"status -o json", timed(b.octo(dir, b.ciEnv, nil, "status", "-o", "json")), 2.5, 20 * mb},
		{"next", timed(b.octo(dir, b.ciEnv, nil, "next")), 0, 0},
		{"list", timed(b.octo(dir, b.ciEnv, nil, "list")), 0, 0},
		{"sign (2 fsyncs)", b.signJob(dir), 3.0, 20 * mb},
		{"gate, no OCTORELEASE_ACTOR", timed(b.octo(dir, b.noActorEnv, gateOK, "gate", "--phase", "pre-release")), 0, 0},
		{"next, no OCTORELEASE_ACTOR (runs git config)", timed(b.octo(dir, b.noActorEnv, nil, "next")), 0, 0},
		{"peer: sh -c 'jq -e … state file'", timed(proc{dir: dir, env: b.ciEnv, argv: []string{"sh", "-c", peerCheck}, ok: []int{0, 1}}), 0, 0},
	}...)
	pairs := make([]pair, len(cases))
	for i, c := range cases {
		pairs[i] = pair{c.job, floor}
	}
	pairs = append(pairs, pair{floor, floor}) // for the floor's own RSS
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	var floors []sample
	for _, f := range base[:len(cases)] {
		floors = append(floors, f...)
	}
	b.add(row{name: "floor (Go hello world)", value: ms(medianDur(floors)), rss: mib(rss[len(cases)])})
	for i, c := range cases {
		b.addRatio(c.name, s[i], base[i], rss[i], "floor", c.budget, c.rss)
	}
	return nil
}

// history checks that gate, status and sign cost the same with thousands of
// other releases in the state folder: each runs alternately in a folder with
// one release and in one with the same release plus the history.
func (b *bench) history() error {
	one, many := filepath.Join(b.tmp, "pair-one"), filepath.Join(b.tmp, "pair-many")
	progress("writing a state folder with %d other releases", b.cfg.history)
	for _, d := range []string{one, many} {
		if err := setupRelease(b.oct, d, b.ciEnv); err != nil {
			return err
		}
	}
	if err := addHistory(many, b.cfg.history); err != nil {
		return err
	}
	progress("%d other releases: gate, status and sign side by side with one release", b.cfg.history)
	gateOK := []int{0, 3}
	cases := []struct {
		name      string
		one, many job
	}{
		{"gate", timed(b.octo(one, b.ciEnv, gateOK, "gate", "--phase", "pre-release")), timed(b.octo(many, b.ciEnv, gateOK, "gate", "--phase", "pre-release"))},
		{"status", timed(b.octo(one, b.ciEnv, nil, "status")), timed(b.octo(many, b.ciEnv, nil, "status"))},
		{"sign", b.signJob(one), b.signJob(many)},
	}
	pairs := make([]pair, len(cases))
	for i, c := range cases {
		pairs[i] = pair{c.many, c.one}
	}
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	for i, c := range cases {
		b.addRatio(fmt.Sprintf("%s, %d other releases", c.name, b.cfg.history), s[i], base[i], rss[i], "1 release", 1.1, 20*mb)
	}
	return nil
}

// bigRelease measures a 1,000-item release with 3,000 sign-offs.
func (b *bench) bigRelease() error {
	dir := filepath.Join(b.tmp, "big")
	progress("1,000-item checklist with 3,000 sign-offs")
	if err := setupBig(b.oct, dir, b.ciEnv); err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(dir, ".octorelease", "v1.0.0.json")); err == nil {
		progress("state file: %.1f MiB", float64(fi.Size())/mb)
	}
	floor := timed(proc{dir: dir, env: b.ciEnv, argv: []string{b.floor}})
	cases := []struct {
		name   string
		job    job
		budget float64
	}{
		{"status, 1,000 items, 3,000 sign-offs", timed(b.octo(dir, b.ciEnv, nil, "status")), 4.0},
		{"gate, 1,000 items, 3,000 sign-offs", timed(b.octo(dir, b.ciEnv, nil, "gate")), 0},
	}
	pairs := make([]pair, len(cases))
	for i, c := range cases {
		pairs[i] = pair{c.job, floor}
	}
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	for i, c := range cases {
		b.addRatio(c.name, s[i], base[i], rss[i], "floor", c.budget, 0)
	}
	return nil
}

// concurrentSigners starts n sign processes at once on one release, each
// signing a different item, and reports sign-offs per second (median of
// rounds). Every sign-off must be in the file afterwards.
func (b *bench) concurrentSigners() error {
	n := b.cfg.signers
	progress("%d concurrent sign processes, %d rounds", n, b.cfg.signerRounds)
	var rates []float64
	for round := range b.cfg.signerRounds {
		dir := filepath.Join(b.tmp, fmt.Sprintf("signers-%d", round))
		if err := setupSigners(b.oct, dir, b.ciEnv, n); err != nil {
			return err
		}
		d, err := b.signTogether(dir, n)
		if err != nil {
			return err
		}
		rates = append(rates, float64(n)/d.Seconds())
	}
	slices.Sort(rates)
	rate := rates[len(rates)/2]
	b.add(row{
		name:    fmt.Sprintf("%d concurrent sign processes", n),
		value:   fmt.Sprintf("%.0f sign-offs/s", rate),
		budget:  "≥100/s",
		verdict: b.verdict(rate >= 100),
	})
	return nil
}

func (b *bench) signTogether(dir string, n int) (time.Duration, error) {
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		c := exec.Command(b.oct, "sign", fmt.Sprintf("item-0-%d", i), "--as", fmt.Sprintf("dev%d@example.com", i))
		c.Dir, c.Env, c.Stdout, c.Stderr = dir, b.ciEnv, io.Discard, io.Discard
		cmds[i] = c
	}
	start := time.Now()
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			return 0, err
		}
	}
	var firstErr error
	for _, c := range cmds {
		if err := c.Wait(); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("concurrent %v: %w", c.Args[1:3], err)
		}
	}
	d := time.Since(start)
	if firstErr != nil {
		return 0, firstErr
	}
	r, err := store.NewFileStore(filepath.Join(dir, ".octorelease"), store.Options{}).Load("v1.0.0")
	if err != nil {
		return 0, err
	}
	signs := 0
	for _, e := range r.Events {
		if e.Kind == release.EventSign {
			signs++
		}
	}
	if signs != n {
		return 0, fmt.Errorf("%d concurrent signers left %d sign-offs", n, signs)
	}
	return d, nil
}

func (b *bench) add(r row) { b.rows = append(b.rows, r) }

// addRatio adds a row comparing s with base; budget 0 means report only.
func (b *bench) addRatio(name string, s, base []sample, rss int64, baseName string, budget float64, rssBudget int64) {
	ratio := medianRatio(s, base)
	r := row{
		name:     name,
		value:    ms(medianDur(s)),
		baseline: baseName + " " + ms(medianDur(base)),
		ratio:    fmt.Sprintf("%.2fx", ratio),
		rss:      mib(rss),
	}
	if budget > 0 {
		var limits []string
		limits = append(limits, fmt.Sprintf("≤%.1fx", budget))
		ok := ratio <= budget
		if rssBudget > 0 {
			limits = append(limits, fmt.Sprintf("≤%d MB", rssBudget/mb))
			ok = ok && rss <= rssBudget
		}
		r.budget, r.verdict = strings.Join(limits, ", "), b.verdict(ok)
	}
	b.add(r)
}

func (b *bench) verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	b.failed = true
	return "FAIL"
}

func (b *bench) table() string {
	var s strings.Builder
	fmt.Fprintf(&s, "machine: %s\n\n", machine())
	fmt.Fprintf(&s, "Medians of %d rounds; in each, every command ran back to back with its baseline; ratio = median of the pairwise ratios.\n\n", b.cfg.rounds)
	s.WriteString("Peak RSS: the largest of 3 further runs of the command under time(1).\n\n")
	s.WriteString("| case | octorelease | baseline | ratio | budget | peak RSS | |\n")
	s.WriteString("| --- | ---: | ---: | ---: | --- | ---: | --- |\n")
	for _, r := range b.rows {
		fmt.Fprintf(&s, "| %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.value, r.baseline, r.ratio, r.budget, r.rss, r.verdict)
	}
	return s.String()
}

func machine() string {
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB memory", float64(kb)/(1<<20))
		}
	}
	cpu := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = ", " + strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs%s%s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, mem, runtime.Version())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mib(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f MB", float64(n)/mb)
}
