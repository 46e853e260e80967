package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// build compiles pkg the way release binaries are built (SPEC §11).
func build(root, out, pkg string, tags ...string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags="+strings.Join(tags, ","), "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s in %s: %w", pkg, root, err)
	}
	return nil
}

// gitOut runs git in dir and returns its trimmed output.
func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// format2Subject starts the subject of the commit that introduced format 2:
// its parent is the last commit that wrote format 1.
const format2Subject = "State format 2, first step"

// defaultBaselineRev finds the last format-1 commit in root's history.
func defaultBaselineRev(root string) (string, error) {
	h, err := gitOut(root, "log", "--format=%H", "-n", "1", "--fixed-strings", "--grep", format2Subject)
	if err != nil {
		return "", err
	}
	if h == "" {
		return "", fmt.Errorf("no commit %q in this history: pass -baseline-rev REV or -baseline-bin PATH", format2Subject)
	}
	return h + "^", nil
}

// buildBaseline builds cmd/octorelease at rev in a temporary git worktree
// (removed afterwards) into out.
func buildBaseline(root, rev, work, out string) error {
	commit, err := gitOut(root, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return err
	}
	src := filepath.Join(work, "baseline-src")
	if _, err := gitOut(root, "worktree", "add", "--detach", "--quiet", src, commit); err != nil {
		return err
	}
	defer func() {
		if _, err := gitOut(root, "worktree", "remove", "--force", src); err != nil {
			progress("could not remove the worktree %s: %v (git worktree prune removes it)", src, err)
		}
	}()
	progress("building the format-1 baseline at %.12s", commit)
	return build(src, out, "./cmd/octorelease")
}

// environ is the environment of every measured process: the caller's minus
// anything that changes octorelease's behaviour, with HOME in the work
// folder (its .gitconfig has a user.email, so the git fallback for the actor
// succeeds as on a developer's machine). withActor sets OCTORELEASE_ACTOR as
// CI does.
func environ(home string, withActor bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OCTORELEASE_"), strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "GIT_"),
			k == "HOME", k == "XDG_CONFIG_HOME", k == "NO_COLOR", strings.HasPrefix(k, "CLICOLOR"), k == "GODEBUG":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home)
	if withActor {
		env = append(env, "OCTORELEASE_ACTOR=ci-bot@example.com")
	}
	return env
}

func writeHome(home string) error {
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = Dev\n\temail = dev@example.com\n"), 0o644)
}

// octo runs one setup command of octorelease and fails on a non-zero exit.
func octo(bin, dir string, env []string, args ...string) error {
	_, err := proc{dir: dir, env: env, argv: append([]string{bin}, args...)}.run()
	return err
}

// signAll is the sign-off of every item of the embedded minor checklist by
// every one of its roles, as commands: single-role items several at a
// time, as people do.
var signAll = [][]string{
	{"sign", "acceptance-criteria", "ci-security-scans", "qa-signoff", "rollback-plan", "capacity",
		"--evidence", "https://ci.example.com/run/42"},
	{"sign", "release-notes", "--role", "product-manager"},
	{"sign", "release-notes", "--role", "project-manager", "--note", "dates agreed"},
	{"sign", "staging-smoke-tests", "--role", "qa"},
	{"sign", "staging-smoke-tests", "--role", "sre"},
	{"sign", "deployment-window", "backup", "final-security-review"},
	{"sign", "staging-deploy", "--role", "sre"},
	{"sign", "staging-deploy", "--role", "qa"},
	{"sign", "production-deploy", "--note", "pipeline 1234"},
	{"sign", "post-deploy-verify", "--role", "sre"},
	{"sign", "post-deploy-verify", "--role", "qa"},
	{"sign", "monitor"},
	{"sign", "announce", "--role", "project-manager"},
	{"sign", "announce", "--role", "product-manager"},
}

// setupRelease opens v1.0.0 (the embedded minor checklist) in dir with bin
// and signs every item for every role. The same commands make the format-1
// fixture with the format-1 build and the format-2 fixture with this one.
func setupRelease(bin, dir string, env []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := octo(bin, dir, env, "start", "1.0.0", "--type", "minor", "--no-walk", "--summary", "Faster search"); err != nil {
		return err
	}
	for _, args := range signAll {
		if err := octo(bin, dir, env, args...); err != nil {
			return err
		}
	}
	return nil
}

// stagingDir is where the store writes large fixtures: a tmpfs when there
// is one, because every event file the store writes costs a file and a
// folder fsync (docs/performance.md). The files are then copied to the
// work folder without fsync.
func stagingDir(fallback string) (string, error) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "procbench-"); err == nil {
			return d, nil
		}
	}
	return os.MkdirTemp(fallback, "staging-")
}

// stageHistory stores n released releases (every item of the embedded
// minor checklist signed by every role, then finished) into stateDir
// through the FileStore, as `start`, `sign` and `finish` would, ids
// v0.0.0, v0.0.1, ... in order.
func stageHistory(stateDir string, from, n int) error {
	cl, err := (&checklist.Loader{Embedded: checklists.FS}).Load("minor")
	if err != nil {
		return err
	}
	s := store.NewFileStore(stateDir, store.Options{})
	at := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	return inParallel(from, from+n, func(i int) error {
		return storeReleased(s, cl, i, at.Add(time.Duration(i)*time.Hour))
	})
}

// inParallel calls fn for each i in [from, to) on a few goroutines and
// returns the first error; after one, no further i is started.
func inParallel(from, to int, fn func(i int) error) error {
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(max(4, runtime.NumCPU()))
	for i := from; i < to && ctx.Err() == nil; i++ {
		g.Go(func() error { return fn(i) })
	}
	return g.Wait()
}

func historyID(i int) string { return fmt.Sprintf("v0.%d.%d", i/100, i%100) }

func storeReleased(s *store.FileStore, cl *checklist.Checklist, i int, at time.Time) error {
	id, version, err := release.ParseVersion(strings.TrimPrefix(historyID(i), "v"))
	if err != nil {
		return err
	}
	r, err := release.New(release.Meta{ID: id, Version: version, Type: "minor", Summary: "history",
		CreatedAt: at, CreatedBy: "rm@example.com"}, *cl)
	if err != nil {
		return err
	}
	for _, p := range cl.Phases {
		for _, it := range p.Items {
			for k, role := range it.Roles {
				req := release.SignRequest{Items: []string{it.ID}, Role: role, Actor: role + "@example.com",
					At: at.Add(time.Duration(k+1) * time.Minute)}
				if err := r.Sign(req, release.Policy{}); err != nil {
					return err
				}
			}
		}
	}
	if err := r.SetStatus(release.StatusReleased, "rm@example.com", "", at.Add(time.Hour/2), release.Policy{}); err != nil {
		return err
	}
	return s.Create(r)
}

// copyReleases copies the release folders of ids from one state folder to
// another (without fsync; the lock files are not part of a release's
// history and are left out, as a clone would).
func copyReleases(from, to string, ids []string) error {
	return inParallel(0, len(ids), func(i int) error {
		return copyTree(filepath.Join(from, ids[i]), filepath.Join(to, ids[i]))
	})
}

// copyTree copies the folders and regular files under src to dst, but
// lock files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Name() == ".lock" || !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
}

// writeStateFiles writes the .gitignore and .gitattributes that start
// writes into a state folder.
func writeStateFiles(stateDir string) error {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	for name, content := range store.StateFiles() {
		if err := os.WriteFile(filepath.Join(stateDir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bigChecklist is a team checklist named minor (overriding the embedded
// one) with phases×items items, each needing every one of roles.
func bigChecklist(phases, items int, roles []string) string {
	var b strings.Builder
	b.WriteString("name: minor\ndescription: A large checklist for benchmarks\nphases:\n")
	for p := range phases {
		fmt.Fprintf(&b, "  - id: phase-%d\n    title: Phase %d\n    items:\n", p, p)
		for i := range items {
			fmt.Fprintf(&b, "      - id: item-%d-%d\n        title: Item %d of phase %d\n        roles: [%s]\n",
				p, i, i, p, strings.Join(roles, ", "))
			b.WriteString("        help: Confirm the thing this item is about and link evidence.\n")
		}
	}
	return b.String()
}

func itemIDs(phase, items int) []string {
	ids := make([]string, items)
	for i := range ids {
		ids[i] = fmt.Sprintf("item-%d-%d", phase, i)
	}
	return ids
}

// The big release: 3 phases of 100 items, each needing three roles; every
// item signed by every role (900 sign-offs), then bigRevokes sign-offs
// revoked and all but one of them signed again, for 1,000 events in all.
const (
	bigPhases, bigItems = 3, 100
	bigRevokes          = 50
	bigEvents           = 1 + bigPhases*bigItems*3 + bigRevokes + bigRevokes - 1
)

var bigRoles = []string{"developer", "qa", "sre"}

// setupBig makes the big release in dir with bin, through the CLI.
func setupBig(bin, dir string, env []string) error {
	if err := os.MkdirAll(filepath.Join(dir, "checklists"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "checklists", "minor.yaml"), []byte(bigChecklist(bigPhases, bigItems, bigRoles)), 0o644); err != nil {
		return err
	}
	if err := octo(bin, dir, env, "start", "1.0.0", "--type", "minor", "--no-walk"); err != nil {
		return err
	}
	for p := range bigPhases {
		for _, role := range bigRoles {
			args := append([]string{"sign", "--role", role}, itemIDs(p, bigItems)...)
			if err := octo(bin, dir, env, args...); err != nil {
				return err
			}
		}
	}
	last := itemIDs(bigPhases-1, bigItems)
	for i := range bigRevokes {
		item := last[i]
		if err := octo(bin, dir, env, "revoke", item, "--role", "qa", "--reason", "re-test"); err != nil {
			return err
		}
		if i == bigRevokes-1 {
			break
		}
		if err := octo(bin, dir, env, "sign", item, "--role", "qa", "--note", "re-tested"); err != nil {
			return err
		}
	}
	r, err := store.NewFileStore(filepath.Join(dir, ".octorelease"), store.Options{}).Load("v1.0.0")
	if err != nil {
		return err
	}
	if len(r.Events) != bigEvents {
		return fmt.Errorf("the big release has %d events, want %d", len(r.Events), bigEvents)
	}
	return nil
}

// setupSigners opens a release of one phase of n single-role items in dir,
// for n concurrent signers.
func setupSigners(bin, dir string, env []string, n int) error {
	if err := os.MkdirAll(filepath.Join(dir, "checklists"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "checklists", "minor.yaml"), []byte(bigChecklist(1, n, []string{"developer"})), 0o644); err != nil {
		return err
	}
	return octo(bin, dir, env, "start", "1.0.0", "--type", "minor", "--no-walk")
}

// countFiles counts the regular files under dir, and those of them that
// git would track (not matching the state folder's .gitignore: the lock
// and temp files).
func countFiles(dir string) (all, tracked int, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		all++
		if n := d.Name(); !strings.HasSuffix(n, ".lock") && !strings.Contains(n, ".tmp-") {
			tracked++
		}
		return nil
	})
	return all, tracked, err
}
