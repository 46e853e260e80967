package notes

import (
	"errors"
	"os"
	"os/exec"
	"reflect"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

func TestPreviousTag(t *testing.T) {
	r := releaseRepo(t)
	tests := []struct{ version, want string }{
		{"1.4.0", "1.3.2"},
		{"v1.4.0", "1.3.2"},
		{"v2.0.0", "1.3.2"},     // nightly and the pre-release tag are not releases
		{"1.4.0-rc.2", "1.3.2"}, // a pre-release's previous release
		{"1.3.2", "v1.3.0"},
		{"1.3.1", "v1.3.0"},
		{"1.3.0", ""},
		{"0.9.0", ""},
	}
	for _, tt := range tests {
		got, err := PreviousTag(r.dir, tt.version)
		if err != nil {
			t.Fatalf("PreviousTag(%q): %v", tt.version, err)
		}
		if got != tt.want {
			t.Errorf("PreviousTag(%q) = %q, want %q", tt.version, got, tt.want)
		}
	}
}

func TestPreviousTagOrdersBySemver(t *testing.T) {
	r := newTestRepo(t)
	r.commit("chore: one")
	r.tag("v1.9.0")
	r.tag("1.10.0")
	r.commit("chore: two")
	r.tag("1.10.1")
	r.tag("v1.10.1") // both spellings: the v form wins
	r.tag("v1.10")   // not X.Y.Z
	for version, want := range map[string]string{"2.0.0": "v1.10.1", "1.10.1": "1.10.0", "1.10.0": "v1.9.0"} {
		got, err := PreviousTag(r.dir, version)
		if err != nil || got != want {
			t.Errorf("PreviousTag(%q) = %q, %v; want %q", version, got, err, want)
		}
	}
}

func TestPreviousTagInvalidVersion(t *testing.T) {
	_, err := PreviousTag(t.TempDir(), "next")
	if errs.Code(err) != errs.CodeUsage {
		t.Fatalf("PreviousTag(next) = %v (code %d), want a usage error", err, errs.Code(err))
	}
}

func subjects(commits []Commit) []string {
	var s []string
	for _, c := range commits {
		s = append(s, c.Subject)
	}
	return s
}

func TestLogSincePreviousTag(t *testing.T) {
	r := releaseRepo(t)
	commits, ok, err := Log(r.dir, "1.3.2")
	if err != nil || !ok {
		t.Fatalf("Log = %v, %v", ok, err)
	}
	want := []string{"Update README", "explain gates", "cache checklist parsing",
		"stricter YAML parsing", "drop the v1 endpoints", "add notes command"}
	if got := subjects(commits); !reflect.DeepEqual(got, want) {
		t.Fatalf("subjects = %q\nwant %q", got, want)
	}
	head := r.git("rev-parse", "HEAD")
	if commits[0].Hash != head {
		t.Errorf("newest hash = %s, want HEAD %s", commits[0].Hash, head)
	}
	wantBreaking := Commit{Hash: commits[3].Hash, Type: "fix", Subject: "stricter YAML parsing",
		Body:     "Unknown keys are now rejected.\n\nBREAKING CHANGE: checklist files with unknown keys\nno longer load; remove them.\nReviewed-by: Bob",
		Breaking: true}
	if commits[3] != wantBreaking {
		t.Errorf("footer commit = %+v\nwant %+v", commits[3], wantBreaking)
	}
	bang := Commit{Hash: commits[4].Hash, Type: "feat", Scope: "api", Subject: "drop the v1 endpoints", Breaking: true}
	if commits[4] != bang {
		t.Errorf("feat! commit = %+v\nwant %+v", commits[4], bang)
	}

	all, _, err := Log(r.dir, "")
	if err != nil || len(all) != 8 {
		t.Fatalf("Log(all) = %d commits, %v; want 8", len(all), err)
	}
}

func TestLogUnknownTag(t *testing.T) {
	r := releaseRepo(t)
	_, ok, err := Log(r.dir, "v9.9.9")
	if !ok || errs.Code(err) != errs.CodeUsage {
		t.Fatalf("Log(v9.9.9) = %v, %v; want a usage error in a repository", ok, err)
	}
}

func TestLogSkipsMergeCommits(t *testing.T) {
	r := newTestRepo(t)
	r.commit("chore: initial")
	r.tag("v1.0.0")
	r.git("checkout", "-q", "-b", "topic")
	r.commit("feat: from the branch")
	r.git("checkout", "-q", "main")
	if err := os.WriteFile(r.dir+"/other.txt", []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.git("add", "other.txt")
	r.git("commit", "-q", "-m", "fix: on main")
	r.git("merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")

	commits, _, err := Log(r.dir, "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, s := range subjects(commits) {
		got[s] = true
	}
	if len(commits) != 2 || !got["from the branch"] || !got["on main"] {
		t.Fatalf("subjects = %q, want the two merged commits and no merge commit", subjects(commits))
	}
}

// A previous release tagged on a maintenance branch is not an ancestor of
// HEAD; the notes still cover exactly what HEAD has that the tag lacks.
func TestLogTagNotReachableFromHead(t *testing.T) {
	r := newTestRepo(t)
	r.commit("chore: initial")
	r.tag("v1.3.0")
	r.git("checkout", "-q", "-b", "release-1.3")
	r.commit("fix: backported fix")
	r.tag("v1.3.1")
	r.git("checkout", "-q", "main")
	r.commit("feat: new on main")
	r.commit("fix: main fix")

	prev, err := PreviousTag(r.dir, "1.4.0")
	if err != nil || prev != "v1.3.1" {
		t.Fatalf("PreviousTag = %q, %v; want v1.3.1", prev, err)
	}
	commits, _, err := Log(r.dir, prev)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := subjects(commits), []string{"main fix", "new on main"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("subjects = %q, want %q", got, want)
	}
}

func TestLogEmptyRepository(t *testing.T) {
	r := newTestRepo(t)
	commits, ok, err := Log(r.dir, "")
	if err != nil || !ok || len(commits) != 0 {
		t.Fatalf("Log(empty repo) = %v, %v, %v; want no commits, in git, no error", commits, ok, err)
	}
	if prev, err := PreviousTag(r.dir, "1.0.0"); prev != "" || err != nil {
		t.Fatalf("PreviousTag(empty repo) = %q, %v", prev, err)
	}
}

func TestLogOutsideGit(t *testing.T) {
	dir := noGitDir(t)
	commits, ok, err := Log(dir, "")
	if err != nil || ok || commits != nil {
		t.Fatalf("Log(no repo) = %v, %v, %v; want nil, false, nil", commits, ok, err)
	}
	if prev, err := PreviousTag(dir, "1.0.0"); prev != "" || err != nil {
		t.Fatalf("PreviousTag(no repo) = %q, %v", prev, err)
	}
}

func TestLogWithoutGitInstalled(t *testing.T) {
	r := releaseRepo(t)
	t.Setenv("PATH", t.TempDir())
	if _, err := exec.LookPath("git"); err == nil {
		t.Skip("git still found")
	}
	commits, ok, err := Log(r.dir, "")
	if err != nil || ok || commits != nil {
		t.Fatalf("Log(no git) = %v, %v, %v; want nil, false, nil", commits, ok, err)
	}
}

func TestLogMissingDir(t *testing.T) {
	_, _, err := Log(t.TempDir()+"/nope", "")
	if err == nil || errs.Code(err) != errs.CodeRuntime {
		t.Fatalf("Log(missing dir) = %v, want a runtime error", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap ErrNotExist", err)
	}
}

// Variables a git hook or the user's shell may set must not redirect git
// away from the repository at dir.
func TestLogIgnoresGitDirEnv(t *testing.T) {
	r := releaseRepo(t)
	other := newTestRepo(t)
	other.commit("chore: elsewhere")
	t.Setenv("GIT_DIR", other.dir+"/.git")
	t.Setenv("GIT_WORK_TREE", other.dir)
	commits, _, err := Log(r.dir, "1.3.2")
	if err != nil || len(commits) != 6 {
		t.Fatalf("Log with GIT_DIR set = %d commits, %v; want 6", len(commits), err)
	}
}
