// Command procbench measures octorelease as whole processes, the way CI and
// people run it. Each command runs back to back with its baseline: the last
// build that wrote state format 1 (on a release it made itself with the
// same commands), the same command with one release in the state folder, or
// a floor (a plain Go hello world built the same way). Every command runs
// once per round so that load from other processes falls on all rows
// alike, and the table reports median times and the median of the pairwise
// ratios, which a busy machine affects far less than absolute times. Every
// budget line (docs/performance.md) prints PASS or FAIL; the exit status is
// 1 when any line fails.
//
//	go run ./bench/cmd/procbench [-n 31] [-o table.md] [-baseline-rev REV | -baseline-bin PATH]
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
	rounds, warmup, history, signers, signerRounds, cloneReleases, cloneRuns int
	out, sections, baselineRev, baselineBin                                  string
	keep                                                                     bool
}

// row is one line of the table.
type row struct {
	name, value, baseline, ratio, budget, rss, verdict string
}

type bench struct {
	cfg                           config
	root, oct, floor, linked, tmp string
	f1                            string // the format-1 build, once built
	staging                       string // where the store writes large fixtures
	ciEnv, noActorEnv             []string
	rows                          []row
	failed                        bool
}

// sections are the parts of the run, in order.
var sections = []string{"commands", "history", "big", "clone", "files", "signers"}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "n", 31, "measured runs of each command (and of its baseline)")
	flag.IntVar(&cfg.warmup, "warmup", 3, "unrecorded runs before measuring")
	flag.IntVar(&cfg.history, "history", 10000, "other releases in the large state folder")
	flag.IntVar(&cfg.signers, "signers", 100, "concurrent sign processes")
	flag.IntVar(&cfg.signerRounds, "signer-rounds", 3, "rounds of concurrent signers (the median is reported)")
	flag.IntVar(&cfg.cloneReleases, "clone-releases", 1000, "finished releases in the repository that is cloned")
	flag.IntVar(&cfg.cloneRuns, "clone-runs", 5, "clones timed (the median is reported)")
	flag.StringVar(&cfg.baselineRev, "baseline-rev", "", "git revision of the format-1 baseline build (default: the parent of the commit \""+format2Subject+"…\")")
	flag.StringVar(&cfg.baselineBin, "baseline-bin", "", "use this format-1 octorelease binary instead of building -baseline-rev")
	flag.StringVar(&cfg.out, "o", "", "also write the table (markdown) to this file")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work folder")
	flag.StringVar(&cfg.sections, "run", strings.Join(sections, ","), "sections to run, comma-separated")
	flag.Parse()
	if cfg.rounds < 1 {
		fmt.Fprintln(os.Stderr, "procbench: -n must be at least 1")
		os.Exit(2)
	}
	for _, s := range strings.Split(cfg.sections, ",") {
		if !slices.Contains(sections, s) {
			fmt.Fprintf(os.Stderr, "procbench: unknown section %q (sections: %s)\n", s, strings.Join(sections, ", "))
			os.Exit(2)
		}
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
	if b.staging, err = stagingDir(b.tmp); err != nil {
		return err
	}
	defer os.RemoveAll(b.staging)
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

	run := map[string]func() error{
		"commands": b.commands, "history": b.history, "big": b.bigRelease,
		"clone": b.clone, "files": b.files, "signers": b.concurrentSigners,
	}
	for _, s := range sections {
		if !slices.Contains(strings.Split(b.cfg.sections, ","), s) {
			continue
		}
		if err := run[s](); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	table := b.table()
	fmt.Print(table)
	if b.cfg.out != "" {
		return os.WriteFile(b.cfg.out, []byte(table), 0o644)
	}
	return nil
}

// baseline returns the format-1 build, building it on first use.
func (b *bench) baseline() (string, error) {
	if b.f1 != "" {
		return b.f1, nil
	}
	if b.cfg.baselineBin != "" {
		b.f1 = b.cfg.baselineBin
		return b.f1, nil
	}
	rev := b.cfg.baselineRev
	if rev == "" {
		var err error
		if rev, err = defaultBaselineRev(b.root); err != nil {
			return "", err
		}
	}
	out := filepath.Join(b.tmp, "bin", "octorelease-format1")
	if err := buildBaseline(b.root, rev, b.tmp, out); err != nil {
		return "", err
	}
	b.f1 = out
	return out, nil
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

func run(bin, dir string, env []string, ok []int, args ...string) proc {
	return proc{dir: dir, env: env, argv: append([]string{bin}, args...), ok: ok}
}

// signJob revokes capacity (not timed) and signs it again (timed), so every
// round signs the same item of a release of the same shape, every item of
// which is signed between rounds.
func signJob(bin, dir string, env []string, extra ...string) job {
	revoke := run(bin, dir, env, nil, append([]string{"revoke", "capacity", "--role", "sre", "--reason", "re-sign"}, extra...)...)
	sign := run(bin, dir, env, nil, append([]string{"sign", "capacity", "--note", "quota raised"}, extra...)...)
	return func(probe bool) (sample, error) {
		if _, err := revoke.run(); err != nil {
			return sample{}, err
		}
		return timed(sign)(probe)
	}
}

// peerCheck is what a team would script instead of `octorelease gate`:
// jq over the release's files, deciding whether every role of every
// pre-release item has a sign-off or waiver that no revoke names.
const peerCheck = `cd .octorelease/v1.0.0 && jq -e -n --slurpfile h release.json '[inputs] as $ev
  | [$ev[] | select(.kind == "revoke") | .revokes[]] as $gone
  | [$h[0].checklist.phases[] | select(.id == "pre-release") | .items[] | .id as $i | .roles[] as $role
     | [$ev[] | select(.item == $i and .role == $role and (.kind == "sign" or .kind == "waive"))
        | select(.hash as $x | $gone | index($x) | not)] | length > 0] | all' events/*.json >/dev/null`

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

// benchCase is a row measured against its baseline; budget 0 is a row for
// information.
type benchCase struct {
	name      string
	job, base job
	baseName  string
	budget    float64
	rss       int64
}

// measure runs the cases side by side with their baselines and adds their
// rows.
func (b *bench) measure(cases []benchCase) error {
	pairs := make([]pair, len(cases))
	for i, c := range cases {
		pairs[i] = pair{c.job, c.base}
	}
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	for i, c := range cases {
		b.addRatio(c.name, s[i], base[i], rss[i], c.baseName, c.budget, c.rss)
	}
	return nil
}

// commands measures the everyday commands on the default minor release
// (embedded checklists, every item signed) against the last format-1 build
// on the same release, made by that build with the same commands. In the
// same rounds it times them, depBuilds and bench/linked against the floor,
// for information: what SPEC §11's dependencies cost at start-up, what all
// of octorelease costs before it does any work, and what each command costs.
func (b *bench) commands() error {
	f1, err := b.baseline()
	if err != nil {
		return err
	}
	dirs := map[string]string{}
	for _, k := range []string{"f2", "f1", "sign-f2", "sign-f1"} {
		dirs[k] = filepath.Join(b.tmp, "one-"+k)
		bin := b.oct
		if strings.HasSuffix(k, "f1") {
			bin = f1
		}
		if err := setupRelease(bin, dirs[k], b.ciEnv); err != nil {
			return fmt.Errorf("fixture %s: %w", k, err)
		}
	}
	two, one := dirs["f2"], dirs["f1"]
	floor := timed(proc{dir: two, env: b.ciEnv, argv: []string{b.floor}})
	gateOK := []int{0, 3}
	f2 := func(env []string, ok []int, args ...string) job { return timed(run(b.oct, two, env, ok, args...)) }
	f1j := func(env []string, ok []int, args ...string) job { return timed(run(f1, one, env, ok, args...)) }
	vsF1 := func(name string, budget float64, env []string, ok []int, args ...string) benchCase {
		c := benchCase{name: name, job: f2(env, ok, args...), base: f1j(env, ok, args...), baseName: "format 1", budget: budget}
		if budget > 0 {
			c.rss = 20 * mb
		}
		return c
	}
	var cases []benchCase
	for _, d := range depBuilds {
		bin := filepath.Join(b.tmp, "bin", d.tag)
		if err := build(b.root, bin, "./bench/floor", d.tag); err != nil {
			return err
		}
		cases = append(cases, benchCase{name: "floor + " + d.name + ", linked, unused",
			job: timed(proc{dir: two, env: b.ciEnv, argv: []string{bin}}), base: floor, baseName: "floor"})
	}
	cases = append(cases,
		benchCase{name: "octorelease linked, no work (start-up alone)", job: timed(proc{dir: two, env: b.ciEnv, argv: []string{b.linked}}), base: floor, baseName: "floor"},
		benchCase{name: "gate, against the floor", job: f2(b.ciEnv, nil, "gate"), base: floor, baseName: "floor"},
		benchCase{name: "status (pipe), against the floor", job: f2(b.ciEnv, nil, "status"), base: floor, baseName: "floor"},
		benchCase{name: "format 1: gate, against the floor", job: f1j(b.ciEnv, nil, "gate"), base: floor, baseName: "floor"},
		benchCase{name: "format 1: status (pipe), against the floor", job: f1j(b.ciEnv, nil, "status"), base: floor, baseName: "floor"},
		vsF1("gate", 1.3, b.ciEnv, nil, "gate"),
		vsF1("status (pipe)", 1.3, b.ciEnv, nil, "status"),
		vsF1("gate --phase pre-release", 0, b.ciEnv, gateOK, "gate", "--phase", "pre-release"),
		vsF1("status -o json", 0, b.ciEnv, nil, "status", "-o", "json"),
		vsF1("next", 0, b.ciEnv, nil, "next"),
		vsF1("list", 0, b.ciEnv, nil, "list"),
		vsF1("gate, no OCTORELEASE_ACTOR", 0, b.noActorEnv, nil, "gate"),
		benchCase{name: "sign (each: 1 file + 1 folder fsync)",
			job: signJob(b.oct, dirs["sign-f2"], b.ciEnv), base: signJob(f1, dirs["sign-f1"], b.ciEnv), baseName: "format 1"},
		benchCase{name: "peer: sh -c 'jq -e … release.json events/*.json'",
			job: timed(proc{dir: two, env: b.ciEnv, argv: []string{"sh", "-c", peerCheck}}), base: floor, baseName: "floor"},
	)
	progress("one release, every item signed: each command back to back with format 1 or the floor, %d rounds", b.cfg.rounds)
	// The floor's own peak RSS.
	cases = append(cases, benchCase{name: "floor (Go hello world)", job: floor, base: floor})
	pairs := make([]pair, len(cases))
	for i, c := range cases {
		pairs[i] = pair{c.job, c.base}
	}
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	last := len(cases) - 1
	b.add(row{name: cases[last].name, value: ms(medianDur(s[last])), rss: mib(rss[last])})
	for i, c := range cases[:last] {
		b.addRatio(c.name, s[i], base[i], rss[i], c.baseName, c.budget, c.rss)
	}
	return nil
}

// history checks that gate, status and sign cost the same with thousands of
// other releases in the state folder: each runs alternately in a folder with
// one release and in one with the same release plus the history (finished
// releases, written by the store). gate also runs without -r, finding the
// release in progress through the open index.
func (b *bench) history() error {
	one, many := filepath.Join(b.tmp, "pair-one"), filepath.Join(b.tmp, "pair-many")
	for _, d := range []string{one, many} {
		if err := setupRelease(b.oct, d, b.ciEnv); err != nil {
			return err
		}
	}
	ids, err := b.stagedHistory(b.cfg.history)
	if err != nil {
		return err
	}
	progress("copying %d releases into the state folder", len(ids))
	if err := copyReleases(filepath.Join(b.staging, "history"), filepath.Join(many, ".octorelease"), ids); err != nil {
		return err
	}
	// Write the copies back now, not while the rows run.
	_ = exec.Command("sync").Run()
	got, err := store.NewFileStore(filepath.Join(many, ".octorelease"), store.Options{}).IDs()
	if err != nil {
		return err
	}
	if len(got) != len(ids)+1 {
		return fmt.Errorf("the state folder holds %d releases, want %d", len(got), len(ids)+1)
	}
	// The open index is a cache each machine builds on first use; a state
	// folder changed within the last 2 s is scanned again next time.
	time.Sleep(2500 * time.Millisecond)
	for _, d := range []string{one, many} {
		for range 2 {
			if err := octo(b.oct, d, b.ciEnv, "gate"); err != nil {
				return err
			}
		}
	}
	progress("%d other releases: gate, status and sign side by side with one release", len(ids))
	r := []string{"-r", "v1.0.0"}
	c := func(name string, oneJob, manyJob job) benchCase {
		return benchCase{name: fmt.Sprintf("%s, %d other releases", name, len(ids)), job: manyJob, base: oneJob,
			baseName: "1 release", budget: 1.1, rss: 20 * mb}
	}
	at := func(dir string, args ...string) job { return timed(run(b.oct, dir, b.ciEnv, nil, args...)) }
	return b.measure([]benchCase{
		c("gate -r", at(one, append([]string{"gate"}, r...)...), at(many, append([]string{"gate"}, r...)...)),
		c("status -r", at(one, append([]string{"status"}, r...)...), at(many, append([]string{"status"}, r...)...)),
		c("sign -r", signJob(b.oct, one, b.ciEnv, r...), signJob(b.oct, many, b.ciEnv, r...)),
		c("gate, no -r (open index)", at(one, "gate"), at(many, "gate")),
	})
}

// stagedHistory makes sure the staging state folder holds at least n
// finished releases and returns the ids of the first n.
func (b *bench) stagedHistory(n int) ([]string, error) {
	dir := filepath.Join(b.staging, "history")
	have, err := store.NewFileStore(dir, store.Options{}).IDs()
	if err != nil {
		return nil, err
	}
	if len(have) < n {
		progress("writing %d finished releases through the store (in %s)", n-len(have), b.staging)
		if err := stageHistory(dir, len(have), n-len(have)); err != nil {
			return nil, err
		}
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = historyID(i)
	}
	return ids, nil
}

// bigRelease measures the status of a 300-item release with 1,000 events
// (absolute time: SPEC's line is in milliseconds), and its gate.
func (b *bench) bigRelease() error {
	dir := filepath.Join(b.tmp, "big")
	progress("%d items, %d events", bigPhases*bigItems, bigEvents)
	if err := setupBig(b.oct, dir, b.ciEnv); err != nil {
		return err
	}
	floor := timed(proc{dir: dir, env: b.ciEnv, argv: []string{b.floor}})
	name := fmt.Sprintf("%d items, %d events", bigPhases*bigItems, bigEvents)
	pairs := []pair{
		{timed(run(b.oct, dir, b.ciEnv, nil, "status")), floor},
		{timed(run(b.oct, dir, b.ciEnv, []int{0, 3}, "gate")), floor},
	}
	s, base, rss, err := interleave(b.cfg.rounds, b.cfg.warmup, pairs)
	if err != nil {
		return err
	}
	const limit = 30 * time.Millisecond
	med := medianDur(s[0])
	b.add(row{
		name:     "status, " + name,
		value:    ms(med),
		baseline: "floor " + ms(medianDur(base[0])),
		ratio:    fmt.Sprintf("%.2fx", medianRatio(s[0], base[0])),
		budget:   fmt.Sprintf("≤%d ms, ≤20 MB", limit.Milliseconds()),
		rss:      mib(rss[0]),
		verdict:  b.verdict(med <= limit && rss[0] <= 20*mb),
	})
	b.addRatio("gate, "+name, s[1], base[1], rss[1], "floor", 0, 0)
	return nil
}

// clone times what CI does on a fresh checkout: `git clone --no-local` of
// a repository whose state folder holds cfg.cloneReleases finished
// releases, then `gate -r` of one of them from the clone. For information.
func (b *bench) clone() error {
	n := b.cfg.cloneReleases
	ids, err := b.stagedHistory(n)
	if err != nil {
		return err
	}
	repo := filepath.Join(b.tmp, "repo")
	stateDir := filepath.Join(repo, ".octorelease")
	progress("a git repository with %d finished releases", n)
	if err := writeStateFiles(stateDir); err != nil {
		return err
	}
	if err := copyReleases(filepath.Join(b.staging, "history"), stateDir, ids); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "history"},
	} {
		if _, err := gitOut(repo, args...); err != nil {
			return err
		}
	}
	files, err := gitOut(repo, "ls-files")
	if err != nil {
		return err
	}
	tracked := strings.Count(files, "\n") + 1
	one := ids[len(ids)/2]
	var total, gates []time.Duration
	for i := range b.cfg.cloneRuns {
		dst := filepath.Join(b.tmp, fmt.Sprintf("clone-%d", i))
		start := time.Now()
		if _, err := gitOut(b.tmp, "clone", "-q", "--no-local", repo, dst); err != nil {
			return err
		}
		g, err := run(b.oct, dst, b.ciEnv, nil, "gate", "-r", one).run()
		if err != nil {
			return err
		}
		total = append(total, time.Since(start))
		gates = append(gates, g.wall)
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
	}
	slices.Sort(total)
	slices.Sort(gates)
	b.add(row{
		name:     fmt.Sprintf("git clone --no-local + gate -r, %d finished releases (%d files)", n, tracked),
		value:    ms(total[len(total)/2]),
		baseline: "of which gate " + ms(gates[len(gates)/2]),
	})
	return nil
}

// files counts what a finished default release leaves in the state folder,
// with this build and with format 1. For information.
func (b *bench) files() error {
	f1, err := b.baseline()
	if err != nil {
		return err
	}
	count := map[string][2]int{}
	for name, bin := range map[string]string{"f2": b.oct, "f1": f1} {
		dir := filepath.Join(b.tmp, "finished-"+name)
		if err := setupRelease(bin, dir, b.ciEnv); err != nil {
			return err
		}
		if err := octo(bin, dir, b.ciEnv, "finish"); err != nil {
			return err
		}
		// Format 1 keeps a release in files beside the others; format 2
		// in a folder of its own.
		var all, tracked int
		entries, err := os.ReadDir(filepath.Join(dir, ".octorelease"))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "v1.0.0") {
				continue
			}
			a, t, err := countFiles(filepath.Join(dir, ".octorelease", e.Name()))
			if err != nil {
				return err
			}
			all, tracked = all+a, tracked+t
		}
		count[name] = [2]int{all, tracked}
	}
	b.add(row{
		name:     "files a finished default release leaves (all / tracked by git)",
		value:    fmt.Sprintf("%d / %d", count["f2"][0], count["f2"][1]),
		baseline: fmt.Sprintf("format 1 %d / %d", count["f1"][0], count["f1"][1]),
	})
	return nil
}

// concurrentSigners starts n sign processes at once on one release, each
// signing a different item, and reports sign-offs per second (median of
// rounds), for information. Every sign-off must be recorded afterwards.
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
	b.add(row{
		name:  fmt.Sprintf("%d concurrent sign processes", n),
		value: fmt.Sprintf("%.0f sign-offs/s", rates[len(rates)/2]),
	})
	return nil
}

func (b *bench) signTogether(dir string, n int) (time.Duration, error) {
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		c := exec.Command(b.oct, "sign", fmt.Sprintf("item-0-%d", i), "--as", fmt.Sprintf("dev%d@example.com", i), "--lock-timeout", "5m")
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
