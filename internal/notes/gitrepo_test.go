package notes

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRepo is a real git repository in a temporary folder, with fixed
// identities and increasing commit dates so that history order is stable.
type testRepo struct {
	t   *testing.T
	dir string
	n   int
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	date := fmt.Sprintf("2026-01-01T00:%02d:00Z", r.n)
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Alice", "GIT_AUTHOR_EMAIL=alice@example.com",
		"GIT_COMMITTER_NAME=Alice", "GIT_COMMITTER_EMAIL=alice@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit records a commit with the full message msg (subject, blank line,
// body) that changes a file, and returns its hash.
func (r *testRepo) commit(msg string) string {
	r.t.Helper()
	r.n++
	name := filepath.Join(r.dir, "file.txt")
	if err := os.WriteFile(name, []byte(fmt.Sprintf("change %d\n", r.n)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	msgFile := filepath.Join(r.t.TempDir(), "msg")
	if err := os.WriteFile(msgFile, []byte(msg), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.git("add", "file.txt")
	r.git("commit", "-q", "-F", msgFile)
	return r.git("rev-parse", "HEAD")
}

func (r *testRepo) tag(name string) { r.t.Helper(); r.git("tag", name) }

// releaseRepo builds the history most tests use:
//
//	chore: initial commit              v1.3.0
//	fix: handle empty config           1.3.2
//	feat(cli): add notes command
//	feat(api)!: drop the v1 endpoints
//	fix: stricter YAML parsing         (BREAKING CHANGE footer)
//	perf: cache checklist parsing
//	docs: explain gates
//	Update README                      nightly, v1.4.0-rc.1
func releaseRepo(t *testing.T) *testRepo {
	r := newTestRepo(t)
	r.commit("chore: initial commit")
	r.tag("v1.3.0")
	r.commit("fix: handle empty config")
	r.tag("1.3.2")
	r.commit("feat(cli): add notes command")
	r.commit("feat(api)!: drop the v1 endpoints")
	r.commit("fix: stricter YAML parsing\n\nUnknown keys are now rejected.\n\n" +
		"BREAKING CHANGE: checklist files with unknown keys\nno longer load; remove them.\nReviewed-by: Bob\n")
	r.commit("perf: cache checklist parsing")
	r.commit("docs: explain gates")
	r.commit("Update README")
	r.tag("nightly")
	r.tag("v1.4.0-rc.1")
	return r
}

// noGitDir is a folder git will not find a repository for, even when the
// temporary folder lies inside one.
func noGitDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	return dir
}
