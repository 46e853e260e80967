package gitsync

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const stateRel = ".octorelease"

func TestMain(m *testing.M) {
	// Keep the user's git configuration out of the tests (children inherit).
	os.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	if os.Getenv("GITSYNC_TEST_CHILD") == "1" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// child is one process of TestSyncConcurrentProcesses: it waits for the
// common start time, syncs, and prints its Result as JSON.
func child() int {
	if at, err := time.Parse(time.RFC3339Nano, os.Getenv("GITSYNC_START")); err == nil {
		time.Sleep(time.Until(at))
	}
	res, err := Sync(context.Background(), Options{
		Repo:     os.Getenv("GITSYNC_REPO"),
		StateDir: os.Getenv("GITSYNC_STATE"),
		Stderr:   os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
}

// git runs git in dir and returns its trimmed stdout, failing the test on
// error.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := tryGit(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	return strings.TrimRight(string(out), "\n"), nil
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setup makes a bare origin holding one commit (README.md, CHANGES.md and
// a state folder with release v1.4.0 and one event) on main, and n clones
// of it, each with its own identity.
func setup(t *testing.T, n int) (origin string, clones []string) {
	t.Helper()
	needGit(t)
	base := t.TempDir()
	origin = filepath.Join(base, "origin.git")
	git(t, base, "init", "-q", "--bare", "-b", "main", origin)
	seed := filepath.Join(base, "seed")
	git(t, base, "init", "-q", "-b", "main", seed)
	configure(t, seed, "seed")
	write(t, filepath.Join(seed, "README.md"), "readme\n")
	write(t, filepath.Join(seed, "CHANGES.md"), "changes\n")
	write(t, filepath.Join(seed, stateRel, ".gitignore"), "*.lock\n*.tmp-*\n.index/\n")
	write(t, filepath.Join(seed, stateRel, "v1.4.0", "release.json"), `{"id":"v1.4.0"}`+"\n")
	write(t, filepath.Join(seed, stateRel, "v1.4.0", "events", "0001.json"), `{"n":1}`+"\n")
	git(t, seed, "add", ".")
	git(t, seed, "commit", "-q", "-m", "initial")
	git(t, seed, "push", "-q", origin, "main")
	for i := range n {
		c := filepath.Join(base, fmt.Sprintf("clone%d", i))
		git(t, base, "clone", "-q", origin, c)
		configure(t, c, fmt.Sprintf("user%d", i))
		clones = append(clones, c)
	}
	return origin, clones
}

func configure(t *testing.T, dir, user string) {
	git(t, dir, "config", "user.name", user)
	git(t, dir, "config", "user.email", user+"@example.com")
	git(t, dir, "config", "commit.gpgsign", "false")
}

func opts(dir string) Options {
	return Options{Repo: dir, StateDir: filepath.Join(dir, stateRel)}
}

// outside is `git status` for everything but the state folder.
func outside(t *testing.T, dir string) string {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(git(t, dir, "status", "--porcelain=v1", "-uall"), "\n") {
		if l != "" && !strings.Contains(l, stateRel+"/") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// noOperation fails if a rebase or merge was left in progress.
func noOperation(t *testing.T, dir string) {
	t.Helper()
	gd := git(t, dir, "rev-parse", "--absolute-git-dir")
	for _, f := range []string{"rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD"} {
		if _, err := os.Lstat(filepath.Join(gd, f)); err == nil {
			t.Errorf("%s left in %s", f, dir)
		}
	}
	if ref, err := tryGit(dir, "symbolic-ref", "-q", "HEAD"); err != nil || ref != "refs/heads/main" {
		t.Errorf("HEAD is not on main: %q %v", ref, err)
	}
}

// files lists the paths of rev's tree in dir, sorted.
func files(t *testing.T, dir, rev string) []string {
	t.Helper()
	out := git(t, dir, "ls-tree", "-r", "-z", "--name-only", rev)
	l := splitNul(out)
	sort.Strings(l)
	return l
}

func contains(list []string, want ...string) bool {
	have := map[string]bool{}
	for _, s := range list {
		have[s] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}
