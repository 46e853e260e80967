package teamtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/testbin"
	"github.com/octorelease/octorelease/internal/testdoc"
)

// octoBin is the octorelease binary TestMain builds from this module.
var octoBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if _, err := exec.LookPath("git"); err != nil {
		fmt.Fprintln(os.Stderr, "teamtest: git is not installed; these tests need it")
		return 1
	}
	return testbin.Main(m, "teamtest", func(b *testbin.Builds) (err error) {
		octoBin, err = b.Path("")
		return err
	})
}

// moduleFile is a path inside the module.
func moduleFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// Pull modes.
const (
	merge  = "merge"  // git pull --no-rebase
	rebase = "rebase" // git pull --rebase
)

// maxPushAttempts bounds push-pull-push rounds of one push.
const maxPushAttempts = 20

// team is a bare origin and the clones of its members, all in one temp
// folder with a clean environment.
type team struct {
	t      *testing.T
	root   string
	home   string
	origin string
	env    []string

	conflicts atomic.Int64 // pulls, merges or cherry-picks that failed or left git mid-operation
	merges    atomic.Int64 // pulls with --no-rebase and PR merges that made or fast-forwarded
	rebases   atomic.Int64 // pulls with --rebase
	retries   atomic.Int64 // pushes rejected and retried

	mu     sync.Mutex
	clones []*clone
}

// clone is one person's working tree.
type clone struct {
	tm    *team
	name  string
	dir   string
	email string
	mode  string // how this person pulls
}

// newTeam makes a bare origin whose main branch holds files (path →
// content; a README is always added) in one commit.
func newTeam(t *testing.T, files map[string]string) *team {
	t.Helper()
	root := t.TempDir()
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	tm := &team{t: t, root: root, home: filepath.Join(root, "home"), origin: filepath.Join(root, "origin.git")}
	tmp := filepath.Join(root, "tmp")
	for _, d := range []string{tm.home, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tm.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + tm.home,
		"XDG_CONFIG_HOME=" + filepath.Join(tm.home, ".config"),
		"TMPDIR=" + tmp,
		"NO_COLOR=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_MERGE_AUTOEDIT=no",
		"GIT_EDITOR=true",
		"LC_ALL=C",
		"TZ=UTC",
	}
	gitconfig := "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n" +
		"[advice]\n\tdetachedHead = false\n\tskippedCherryPicks = false\n"
	writeFile(t, filepath.Join(tm.home, ".gitconfig"), gitconfig)
	tm.gitIn(root, "init", "-q", "--bare", "--initial-branch=main", tm.origin)

	seed := tm.clone("seed", "seed@example.com", merge)
	if files == nil {
		files = map[string]string{}
	}
	if _, ok := files["README.md"]; !ok {
		files["README.md"] = "# service\n"
	}
	for p, content := range files {
		writeFile(t, filepath.Join(seed.dir, filepath.FromSlash(p)), content)
	}
	seed.mustGit("add", "-A")
	seed.mustGit("commit", "-q", "-m", "initial commit")
	seed.mustGit("push", "-q", "origin", "HEAD:main")
	return tm
}

// clone clones origin for a person who pulls with mode.
func (tm *team) clone(name, email, mode string) *clone {
	tm.t.Helper()
	c := &clone{tm: tm, name: name, dir: filepath.Join(tm.root, name), email: email, mode: mode}
	tm.gitIn(tm.root, "clone", "-q", tm.origin, c.dir)
	c.mustGit("config", "user.email", email)
	c.mustGit("config", "user.name", name)
	c.mustGit("config", "commit.gpgsign", "false")
	tm.mu.Lock()
	tm.clones = append(tm.clones, c)
	tm.mu.Unlock()
	return c
}

func (tm *team) gitIn(dir string, args ...string) string {
	tm.t.Helper()
	out, err := gitCmd(tm.env, dir, args...)
	if err != nil {
		tm.t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// originHas reports whether origin's main holds path.
func (tm *team) originHas(path string) bool {
	_, err := gitCmd(tm.env, tm.root, "--git-dir", tm.origin, "cat-file", "-e", "refs/heads/main:"+path)
	return err == nil
}

func gitCmd(env []string, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *clone) git(args ...string) (string, error) {
	return gitCmd(c.tm.env, c.dir, args...)
}

func (c *clone) mustGit(args ...string) string {
	c.tm.t.Helper()
	out, err := c.git(args...)
	if err != nil {
		c.tm.t.Fatalf("%s: git %s: %v\n%s", c.name, strings.Join(args, " "), err, out)
	}
	return out
}

func (c *clone) head() string {
	c.tm.t.Helper()
	return strings.TrimSpace(c.mustGit("rev-parse", "HEAD"))
}

func (c *clone) branch() string {
	c.tm.t.Helper()
	return strings.TrimSpace(c.mustGit("rev-parse", "--abbrev-ref", "HEAD"))
}

// result is one run of octorelease.
type result = testbin.Result

// command is octorelease args in the clone, not started.
func (c *clone) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, octoBin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.tm.env
	return cmd
}

// run runs octorelease in the clone and returns what it printed and its
// exit code. A panic or a Go stack trace fails the test whatever the code.
func (c *clone) run(args ...string) result {
	c.tm.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := testbin.Run(c.command(ctx, args...))
	if res.Code < 0 {
		c.tm.t.Fatalf("%s: octorelease %s: %v", c.name, strings.Join(args, " "), res.Err)
	}
	checkNoPanic(c.tm.t, c.name, res)
	return res
}

func checkNoPanic(t *testing.T, who string, r result) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "runtime error"} {
		if strings.Contains(r.Stderr, s) || strings.Contains(r.Stdout, s) {
			t.Errorf("%s: octorelease %s printed %q:\n%s", who, strings.Join(r.Args, " "), s, r)
		}
	}
}

// ok runs octorelease and fails the test unless it exits 0.
func (c *clone) ok(args ...string) result {
	c.tm.t.Helper()
	r := c.run(args...)
	if r.Code != 0 {
		c.tm.t.Fatalf("%s: %s", c.name, r)
	}
	return r
}

// want runs octorelease and fails the test unless it exits with code.
func (c *clone) want(code int, args ...string) result {
	c.tm.t.Helper()
	r := c.run(args...)
	if r.Code != code {
		c.tm.t.Fatalf("%s: want exit %d: %s", c.name, code, r)
	}
	return r
}

// commitState commits the state folder as a person would by hand.
func (c *clone) commitState(msg string) {
	c.tm.t.Helper()
	c.mustGit("add", ".octorelease")
	c.mustGit("commit", "-q", "-m", msg)
}

// inProgress names the operation git was left in the middle of, or "".
func (c *clone) inProgress() string {
	gitDir := filepath.Join(c.dir, ".git")
	for _, x := range []struct{ file, op string }{
		{"MERGE_HEAD", "merge"}, {"rebase-merge", "rebase"}, {"rebase-apply", "rebase"},
		{"CHERRY_PICK_HEAD", "cherry-pick"}, {"REVERT_HEAD", "revert"},
	} {
		if _, err := os.Lstat(filepath.Join(gitDir, x.file)); err == nil {
			return x.op
		}
	}
	return ""
}

// conflict counts a git operation that failed or stopped midway, reports
// it and aborts it so the scenario can go on and count the rest.
func (c *clone) conflict(what, out string) {
	c.tm.t.Helper()
	c.tm.conflicts.Add(1)
	status, _ := c.git("status", "--short")
	c.tm.t.Errorf("%s: CONFLICT in %s:\n%s\ngit status:\n%s", c.name, what, out, status)
	if op := c.inProgress(); op != "" {
		_, _ = c.git(op, "--abort")
	}
}

// pull integrates origin's copy of the current branch, by merge or by
// rebase. A failure, or git left mid-merge or mid-rebase, is a conflict.
func (c *clone) pull(mode string) {
	c.tm.t.Helper()
	flag := "--no-rebase"
	if mode == rebase {
		flag = "--rebase"
		c.tm.rebases.Add(1)
	} else {
		c.tm.merges.Add(1)
	}
	out, err := c.git("pull", "-q", flag, "origin", c.branch())
	if err != nil || c.inProgress() != "" {
		c.conflict("git pull "+flag, fmt.Sprintf("%v\n%s", err, out))
	}
}

// push pushes the current branch to origin; when the push is rejected
// because someone pushed first it pulls (in the clone's mode) and pushes
// again, a bounded number of times. It returns the retries.
func (c *clone) push() int {
	c.tm.t.Helper()
	for attempt := 0; ; attempt++ {
		out, err := c.git("push", "-q", "origin", "HEAD")
		if err == nil {
			return attempt
		}
		if !rejected(out) {
			c.tm.t.Fatalf("%s: git push: %v\n%s", c.name, err, out)
		}
		if attempt+1 >= maxPushAttempts {
			c.tm.t.Fatalf("%s: push rejected %d times:\n%s", c.name, attempt+1, out)
		}
		c.tm.retries.Add(1)
		c.pull(c.mode)
	}
}

func rejected(out string) bool {
	for _, s := range []string{"[rejected]", "fetch first", "non-fast-forward", "cannot lock ref", "failed to update ref"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// status is the clone's `status -o json` for release id ("" for the
// default): the raw bytes and the decoded document.
func (c *clone) status(id string) (string, testdoc.Status) {
	c.tm.t.Helper()
	args := []string{"status", "-o", "json"}
	if id != "" {
		args = append(args, "-r", id)
	}
	r := c.ok(args...)
	return r.Stdout, testdoc.Decode[testdoc.Status](c.tm.t, r)
}

// gate is the clone's `gate -o json` (all phases) for release id: the raw
// bytes and the decoded document. It exits 0 or 3.
func (c *clone) gate(id string) (string, testdoc.Gate) {
	c.tm.t.Helper()
	args := []string{"gate", "-o", "json"}
	if id != "" {
		args = append(args, "-r", id)
	}
	r := c.run(args...)
	if r.Code != 0 && r.Code != 3 {
		c.tm.t.Fatalf("%s: %s", c.name, r)
	}
	return r.Stdout, testdoc.Decode[testdoc.Gate](c.tm.t, r)
}

// sameOnEveryClone fails unless out(c) is byte-identical on every clone.
func sameOnEveryClone(t *testing.T, what string, clones []*clone, out func(*clone) string) {
	t.Helper()
	first := out(clones[0])
	for _, c := range clones[1:] {
		if got := out(c); got != first {
			t.Errorf("%s differs between %s and %s:\n--- %s\n%s\n--- %s\n%s", what, clones[0].name, c.name,
				clones[0].name, first, c.name, got)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// person is a member of the team with the roles they sign for.
type person struct {
	name  string // clone name
	email string
	roles []string
	mode  string
}

// teamPeople are the six people of a release, one per role, each pulling
// in their own way.
var teamPeople = []person{
	{"dev", "dev@example.com", []string{"developer"}, merge},
	{"sec", "sec@example.com", []string{"security"}, rebase},
	{"qa", "qa@example.com", []string{"qa"}, merge},
	{"pm", "pm@example.com", []string{"product-manager"}, rebase},
	{"pj", "pj@example.com", []string{"project-manager"}, merge},
	{"sre", "sre@example.com", []string{"sre"}, rebase},
}

// preReleaseItems are the items of the pre-release phase (SPEC §3) by the
// role that signs them.
var preReleaseItems = map[string][]string{
	"developer":       {"acceptance-criteria"},
	"security":        {"ci-security-scans"},
	"qa":              {"qa-signoff", "staging-smoke-tests"},
	"product-manager": {"release-notes"},
	"project-manager": {"release-notes"},
	"sre":             {"rollback-plan", "capacity", "staging-smoke-tests"},
}

// teamConfig is a .octorelease.yaml giving each role of teamPeople exactly
// its person, so each signs only its roles.
func teamConfig(extra string) string {
	var b strings.Builder
	b.WriteString("roles:\n")
	for _, p := range teamPeople {
		for _, r := range p.roles {
			fmt.Fprintf(&b, "  %s:\n    members: [%s]\n", r, p.email)
		}
	}
	b.WriteString(extra)
	return b.String()
}

// signRecord is a sign-off some clone made, to be found after the merge.
type signRecord struct {
	item, role, by string
}

// lostSignoffs counts the records that the status does not show as a
// counted sign-off.
func lostSignoffs(t *testing.T, who string, st testdoc.Status, made []signRecord) int {
	t.Helper()
	lost := 0
	for _, m := range made {
		found := false
		for _, s := range st.Item(t, m.item).Signoffs {
			if s.Role == m.role && s.By == m.by && s.Kind == "sign" && s.Counted {
				found = true
			}
		}
		if !found {
			lost++
			t.Errorf("%s: sign-off of %s for %s by %s is lost", who, m.item, m.role, m.by)
		}
	}
	return lost
}

// snapshot records every file, folder and link under root (except .git
// folders and the paths skip accepts) as mode and content or link target.
func snapshot(t *testing.T, root string, skip func(rel string) bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			out[rel] = "link -> " + target
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().String()
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[rel] = fi.Mode().String() + " " + string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffSnapshots lists what differs between two snapshots.
func diffSnapshots(before, after map[string]string) []string {
	var d []string
	for p, b := range before {
		if a, ok := after[p]; !ok {
			d = append(d, "removed "+p)
		} else if a != b {
			d = append(d, "changed "+p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			d = append(d, "created "+p)
		}
	}
	return d
}
