package gitsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

var ctx = context.Background()

func TestSyncCommitsOnlyNewStateFiles(t *testing.T) {
	origin, c := setup(t, 1)
	a := c[0]
	// The user's own work, which sync must leave exactly as it is.
	write(t, filepath.Join(a, "README.md"), "readme, edited\n")
	write(t, filepath.Join(a, "CHANGES.md"), "changes, staged\n")
	git(t, a, "add", "CHANGES.md")
	write(t, filepath.Join(a, "staged.txt"), "new and staged\n")
	git(t, a, "add", "staged.txt")
	write(t, filepath.Join(a, "notes.txt"), "untracked\n")
	// New state files, odd names included, one of them already staged.
	newFiles := []string{
		".octorelease/v1.4.0/events/0002.json",
		".octorelease/v1.4.0/events/0003.json",
		".octorelease/v1.5.0/events/-x:(glob)y.json",
		".octorelease/v1.5.0/events/a b*.json",
		".octorelease/v1.5.0/events/ita.json",
		".octorelease/v1.5.0/release.json",
	}
	for _, f := range newFiles {
		write(t, filepath.Join(a, f), "{}\n")
	}
	git(t, a, "add", ".octorelease/v1.4.0/events/0003.json")
	git(t, a, "add", "-N", ".octorelease/v1.5.0/events/ita.json")
	// Ignored files stay out.
	write(t, filepath.Join(a, stateRel, "v1.5.0.json.lock"), "")
	write(t, filepath.Join(a, stateRel, ".index", "in-progress", "v1.5.0"), "")

	before := outside(t, a)
	var progress bytes.Buffer
	o := opts(a)
	o.Stderr = &progress
	res, err := Sync(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("progress:\n%s", progress.String())
	if !reflect.DeepEqual(res.Committed, newFiles) {
		t.Errorf("Committed = %q, want %q", res.Committed, newFiles)
	}
	if !res.Pushed || res.Retries != 0 || res.Pulled != 0 || res.Upstream != "origin/main" {
		t.Errorf("result %+v", res)
	}
	if after := outside(t, a); after != before {
		t.Errorf("status outside the state folder changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := git(t, a, "diff", "--cached", "--name-only"); got != "CHANGES.md\nstaged.txt" {
		t.Errorf("staged changes now %q", got)
	}
	if got := read(t, filepath.Join(a, "README.md")); got != "readme, edited\n" {
		t.Errorf("README.md now %q", got)
	}
	if got := git(t, a, "status", "--porcelain", "--", stateRel); got != "" {
		t.Errorf("state folder not clean after sync:\n%s", got)
	}
	// The commit holds exactly the new files, and it is what origin has.
	if got := splitNul(git(t, origin, "diff-tree", "-r", "-z", "--name-only", "--no-commit-id", "main")); !reflect.DeepEqual(got, newFiles) {
		t.Errorf("pushed commit touches %q", got)
	}
	if head, tip := git(t, a, "rev-parse", "HEAD"), git(t, origin, "rev-parse", "main"); head != tip || res.Commit != head {
		t.Errorf("HEAD %s, origin %s, Result.Commit %s", head, tip, res.Commit)
	}
	want := "octorelease: record 1 release and 5 events (v1.4.0, v1.5.0)"
	if msg := git(t, a, "log", "-1", "--format=%s"); msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	if tracking := git(t, a, "rev-parse", "origin/main"); tracking != res.Commit {
		t.Errorf("origin/main is %s, not the pushed %s", tracking, res.Commit)
	}

	// Again: nothing to do.
	progress.Reset()
	res, err = Sync(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate() || !strings.Contains(progress.String(), "up to date") {
		t.Errorf("second sync: %+v, %q", res, progress.String())
	}
	if after := outside(t, a); after != before {
		t.Errorf("second sync changed status outside the state folder:\n%s", after)
	}
}

func TestSyncCustomMessage(t *testing.T) {
	_, c := setup(t, 1)
	write(t, filepath.Join(c[0], stateRel, "v1.4.0", "events", "0002.json"), "{}\n")
	o := opts(c[0])
	o.Message = "octorelease: sign v1.4.0"
	if _, err := Sync(ctx, o); err != nil {
		t.Fatal(err)
	}
	if msg := git(t, c[0], "log", "-1", "--format=%B"); msg != o.Message {
		t.Errorf("message %q", msg)
	}
}

func TestSyncTamper(t *testing.T) {
	event := ".octorelease/v1.4.0/events/0001.json"
	release := ".octorelease/v1.4.0/release.json"
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		paths  []string
	}{
		{"modified", func(t *testing.T, d string) { write(t, filepath.Join(d, event), `{"n":2}`) }, []string{event}},
		{"modified and staged", func(t *testing.T, d string) {
			write(t, filepath.Join(d, event), `{"n":2}`)
			git(t, d, "add", event)
		}, []string{event}},
		{"staged, then restored in the working tree", func(t *testing.T, d string) {
			old := read(t, filepath.Join(d, event))
			write(t, filepath.Join(d, event), `{"n":2}`)
			git(t, d, "add", event)
			write(t, filepath.Join(d, event), old)
		}, []string{event}},
		{"deleted", func(t *testing.T, d string) {
			if err := os.Remove(filepath.Join(d, event)); err != nil {
				t.Fatal(err)
			}
		}, []string{event}},
		{"git rm", func(t *testing.T, d string) { git(t, d, "rm", "-q", event) }, []string{event}},
		{"renamed", func(t *testing.T, d string) {
			git(t, d, "mv", event, ".octorelease/v1.4.0/events/0009.json")
		}, []string{event}},
		{"two", func(t *testing.T, d string) {
			write(t, filepath.Join(d, release), `{}`)
			if err := os.Remove(filepath.Join(d, event)); err != nil {
				t.Fatal(err)
			}
		}, []string{event, release}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin, c := setup(t, 1)
			a := c[0]
			write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "0002.json"), "{}\n")
			tc.tamper(t, a)
			head, tip := git(t, a, "rev-parse", "HEAD"), git(t, origin, "rev-parse", "main")
			status := git(t, a, "status", "--porcelain=v1", "-uall")

			_, err := Sync(ctx, opts(a))
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TamperError", err)
			}
			if !reflect.DeepEqual(te.Paths, tc.paths) {
				t.Errorf("Paths = %q, want %q", te.Paths, tc.paths)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.paths[0]) || !strings.Contains(msg, "git checkout HEAD -- ") {
				t.Errorf("message %q", msg)
			}
			t.Log(err)
			if git(t, a, "rev-parse", "HEAD") != head || git(t, origin, "rev-parse", "main") != tip {
				t.Error("a commit was made or pushed")
			}
			if got := git(t, a, "status", "--porcelain=v1", "-uall"); got != status {
				t.Errorf("status changed:\n%s\nwas:\n%s", got, status)
			}
			noOperation(t, a)
		})
	}
}

func TestSyncTamperInUnpushedCommit(t *testing.T) {
	origin, c := setup(t, 1)
	a := c[0]
	event := ".octorelease/v1.4.0/events/0001.json"
	write(t, filepath.Join(a, event), `{"n":"forged"}`)
	git(t, a, "commit", "-q", "-am", "forge")
	forged := git(t, a, "rev-parse", "HEAD")
	tip := git(t, origin, "rev-parse", "main")

	o := opts(a)
	o.AllowOtherCommits = true // no excuse for rewriting records
	_, err := Sync(ctx, o)
	var te *TamperError
	if !errors.As(err, &te) || !reflect.DeepEqual(te.Paths, []string{event}) || !reflect.DeepEqual(te.Commits, []string{forged}) {
		t.Fatalf("err = %v (%+v), want a TamperError for %s in %s", err, te, event, forged)
	}
	t.Log(err)
	if git(t, origin, "rev-parse", "main") != tip {
		t.Error("pushed")
	}
	noOperation(t, a)
}

func TestSyncRefusesOtherCommits(t *testing.T) {
	origin, c := setup(t, 1)
	a := c[0]
	write(t, filepath.Join(a, "README.md"), "readme v2\n")
	write(t, filepath.Join(a, "src", "main.go"), "package main\n")
	git(t, a, "add", ".")
	git(t, a, "commit", "-q", "-m", "code")
	code := git(t, a, "rev-parse", "HEAD")
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "0002.json"), "{}\n")
	tip := git(t, origin, "rev-parse", "main")
	status := git(t, a, "status", "--porcelain=v1", "-uall")

	_, err := Sync(ctx, opts(a))
	var oe *OtherCommitsError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want an OtherCommitsError", err)
	}
	if !reflect.DeepEqual(oe.Commits, []string{code}) || !reflect.DeepEqual(oe.Files, []string{"README.md", "src/main.go"}) {
		t.Errorf("%+v", oe)
	}
	if msg := err.Error(); !strings.Contains(msg, code[:7]) || !strings.Contains(msg, "README.md") {
		t.Errorf("message %q", msg)
	}
	t.Log(err)
	if git(t, origin, "rev-parse", "main") != tip {
		t.Error("pushed")
	}
	if git(t, a, "rev-parse", "HEAD") != code || git(t, a, "status", "--porcelain=v1", "-uall") != status {
		t.Error("repository changed")
	}
	noOperation(t, a)

	// Allowed, they go along.
	o := opts(a)
	o.AllowOtherCommits = true
	res, err := Sync(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || !contains(files(t, origin, "main"), "src/main.go", ".octorelease/v1.4.0/events/0002.json") {
		t.Errorf("%+v; origin has %q", res, files(t, origin, "main"))
	}
}

func TestSyncTwoClones(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "a.json"), "{\"by\":\"a\"}\n")
	write(t, filepath.Join(b, stateRel, "v1.4.0", "events", "b.json"), "{\"by\":\"b\"}\n")
	write(t, filepath.Join(b, stateRel, "v1.5.0", "release.json"), "{}\n")
	write(t, filepath.Join(b, "notes.txt"), "untracked, does not stop a rebase\n")

	if _, err := Sync(ctx, opts(a)); err != nil {
		t.Fatal(err)
	}
	res, err := Sync(ctx, opts(b))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pulled != 1 || res.Merged || !res.Pushed {
		t.Errorf("b: %+v, want a rebase over 1 commit", res)
	}
	if merges := git(t, b, "rev-list", "--merges", "HEAD"); merges != "" {
		t.Errorf("b made merge commits: %s", merges)
	}
	res, err = Sync(ctx, opts(a))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pulled != 1 || res.Pushed || len(res.Committed) != 0 {
		t.Errorf("a: %+v, want a fast-forward over 1 commit", res)
	}
	ta, tb, to := git(t, a, "rev-parse", "HEAD^{tree}"), git(t, b, "rev-parse", "HEAD^{tree}"), git(t, origin, "rev-parse", "main^{tree}")
	if ta != tb || tb != to {
		t.Errorf("trees differ: a %s, b %s, origin %s", ta, tb, to)
	}
	if !contains(files(t, origin, "main"), ".octorelease/v1.4.0/events/a.json", ".octorelease/v1.4.0/events/b.json", ".octorelease/v1.5.0/release.json") {
		t.Errorf("origin has %q", files(t, origin, "main"))
	}
	if read(t, filepath.Join(b, "notes.txt")) != "untracked, does not stop a rebase\n" {
		t.Error("notes.txt changed")
	}
}

func TestSyncDirtyTreeMerges(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "a.json"), "{}\n")
	if _, err := Sync(ctx, opts(a)); err != nil {
		t.Fatal(err)
	}
	// b has staged and unstaged work: no rebase possible.
	write(t, filepath.Join(b, "CHANGES.md"), "changes, unstaged\n")
	write(t, filepath.Join(b, "README.md"), "readme, staged\n")
	git(t, b, "add", "README.md")
	write(t, filepath.Join(b, "staged.txt"), "new, staged\n")
	git(t, b, "add", "staged.txt")
	write(t, filepath.Join(b, "notes.txt"), "untracked\n")
	write(t, filepath.Join(b, stateRel, "v1.4.0", "events", "b.json"), "{}\n")
	before := outside(t, b)

	res, err := Sync(ctx, opts(b))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Merged || res.Pulled != 1 || !res.Pushed {
		t.Errorf("%+v, want a merge", res)
	}
	if after := outside(t, b); after != before {
		t.Errorf("status outside the state folder changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := git(t, b, "diff", "--cached", "--name-only"); got != "README.md\nstaged.txt" {
		t.Errorf("staged: %q", got)
	}
	if read(t, filepath.Join(b, "CHANGES.md")) != "changes, unstaged\n" || read(t, filepath.Join(b, "README.md")) != "readme, staged\n" {
		t.Error("user's edits changed")
	}
	if !contains(files(t, origin, "main"), ".octorelease/v1.4.0/events/a.json", ".octorelease/v1.4.0/events/b.json") || contains(files(t, origin, "main"), "staged.txt") {
		t.Errorf("origin has %q", files(t, origin, "main"))
	}
	if git(t, origin, "show", "main:README.md") != "readme" {
		t.Error("the user's staged README.md was pushed")
	}
	noOperation(t, b)
}

func TestSyncLocalChangeInTheWay(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	// Someone pushes a README change; b has an uncommitted edit of README.
	write(t, filepath.Join(a, "README.md"), "readme from a\n")
	git(t, a, "commit", "-q", "-am", "readme")
	git(t, a, "push", "-q")
	tip := git(t, origin, "rev-parse", "main")
	write(t, filepath.Join(b, "README.md"), "readme, b's edit\n")
	write(t, filepath.Join(b, stateRel, "v1.4.0", "events", "b.json"), "{}\n")
	before := outside(t, b)

	res, err := Sync(ctx, opts(b))
	if err == nil {
		t.Fatal("sync succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "README.md") || !strings.Contains(err.Error(), "committed locally") {
		t.Errorf("message %q", err)
	}
	if read(t, filepath.Join(b, "README.md")) != "readme, b's edit\n" || outside(t, b) != before {
		t.Error("b's edit was touched")
	}
	if git(t, b, "rev-parse", "HEAD") != res.Commit || git(t, b, "log", "-1", "--format=%s") != "octorelease: record 1 event (v1.4.0)" {
		t.Error("HEAD is not sync's commit")
	}
	if git(t, origin, "rev-parse", "main") != tip {
		t.Error("pushed")
	}
	noOperation(t, b)
}

func TestSyncPushRefusedThenRetried(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "a1.json"), "{}\n")
	if _, err := Sync(ctx, opts(a)); err != nil {
		t.Fatal(err)
	}
	// b merges (dirty tree), then its pre-push hook refuses.
	write(t, filepath.Join(b, "README.md"), "readme, b's edit\n")
	write(t, filepath.Join(b, stateRel, "v1.4.0", "events", "b1.json"), "{}\n")
	hook := filepath.Join(b, ".git", "hooks", "pre-push")
	write(t, hook, "#!/bin/sh\necho 'not today' >&2\nexit 1\n")
	if err := os.Chmod(hook, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Sync(ctx, opts(b))
	if err == nil || !strings.Contains(err.Error(), "push to origin/main failed") || !strings.Contains(err.Error(), "committed locally") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if res.Retries != 0 || !res.Merged || res.Pushed {
		t.Errorf("%+v", res)
	}
	noOperation(t, b)

	// Later: hook gone, origin moved on. b's unpushed history now holds a
	// merge commit of sync's, which must not count as "other commits".
	os.Remove(hook)
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "a2.json"), "{}\n")
	if _, err := Sync(ctx, opts(a)); err != nil {
		t.Fatal(err)
	}
	if res, err = Sync(ctx, opts(b)); err != nil || !res.Pushed || res.Pulled != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if !contains(files(t, origin, "main"), ".octorelease/v1.4.0/events/a1.json", ".octorelease/v1.4.0/events/a2.json", ".octorelease/v1.4.0/events/b1.json") {
		t.Errorf("origin has %q", files(t, origin, "main"))
	}
	if git(t, origin, "show", "main:README.md") != "readme" || read(t, filepath.Join(b, "README.md")) != "readme, b's edit\n" {
		t.Error("README.md")
	}
}

func TestSyncRebaseFailureAborts(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	// Someone pushes notes.txt; b has an untracked notes.txt of its own and
	// a clean tracked tree, so sync tries a rebase, which must stop.
	write(t, filepath.Join(a, "notes.txt"), "a's notes\n")
	git(t, a, "add", "notes.txt")
	git(t, a, "commit", "-q", "-m", "notes")
	git(t, a, "push", "-q")
	tip := git(t, origin, "rev-parse", "main")
	write(t, filepath.Join(b, "notes.txt"), "b's notes\n")
	write(t, filepath.Join(b, stateRel, "v1.4.0", "events", "b.json"), "{}\n")

	res, err := Sync(ctx, opts(b))
	if err == nil {
		t.Fatal("sync succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "rebase") || !strings.Contains(err.Error(), "committed locally") {
		t.Errorf("message %q", err)
	}
	if read(t, filepath.Join(b, "notes.txt")) != "b's notes\n" {
		t.Error("b's notes.txt was touched")
	}
	if res.Commit == "" || git(t, b, "rev-parse", "HEAD") != res.Commit {
		t.Error("HEAD is not sync's commit")
	}
	if git(t, origin, "rev-parse", "main") != tip {
		t.Error("pushed")
	}
	noOperation(t, b)
}

func TestSyncSameFileAddedTwice(t *testing.T) {
	origin, c := setup(t, 2)
	a, b := c[0], c[1]
	f := filepath.Join(stateRel, "v1.4.0", "events", "0002.json")
	write(t, filepath.Join(a, f), `{"by":"a"}`)
	write(t, filepath.Join(b, f), `{"by":"b"}`)
	if _, err := Sync(ctx, opts(a)); err != nil {
		t.Fatal(err)
	}
	tip := git(t, origin, "rev-parse", "main")
	res, err := Sync(ctx, opts(b))
	if err == nil || !strings.Contains(err.Error(), "0002.json") || !strings.Contains(err.Error(), "committed locally") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if git(t, b, "rev-parse", "HEAD") != res.Commit || git(t, origin, "rev-parse", "main") != tip {
		t.Error("b moved or pushed")
	}
	noOperation(t, b)
}

func TestSyncNewRemoteBranch(t *testing.T) {
	origin, c := setup(t, 1)
	a := c[0]
	git(t, a, "switch", "-q", "-c", "release-1.4")
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "0002.json"), "{}\n")
	res, err := Sync(ctx, opts(a))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || res.Upstream != "origin/release-1.4" || git(t, origin, "rev-parse", "release-1.4") != res.Commit {
		t.Errorf("%+v", res)
	}
}

func TestSyncErrors(t *testing.T) {
	_, c := setup(t, 1)
	a := c[0]
	write(t, filepath.Join(a, stateRel, "v1.4.0", "events", "0002.json"), "{}\n")

	t.Run("detached", func(t *testing.T) {
		git(t, a, "switch", "-q", "--detach")
		defer git(t, a, "switch", "-q", "main")
		_, err := Sync(ctx, opts(a))
		if err == nil || !strings.Contains(err.Error(), "detached") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no remote", func(t *testing.T) {
		o := opts(a)
		o.Remote = "upstream"
		_, err := Sync(ctx, o)
		if err == nil || !strings.Contains(err.Error(), `no remote "upstream"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		d := t.TempDir()
		_, err := Sync(ctx, Options{Repo: d, StateDir: filepath.Join(d, stateRel)})
		if err == nil || !strings.Contains(err.Error(), "not in a git working tree") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("state folder outside", func(t *testing.T) {
		_, err := Sync(ctx, Options{Repo: a, StateDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "not a folder inside") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("state folder is the repository", func(t *testing.T) {
		_, err := Sync(ctx, Options{Repo: a, StateDir: a})
		if err == nil || !strings.Contains(err.Error(), "not a folder inside") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unreachable remote", func(t *testing.T) {
		git(t, a, "remote", "add", "gone", filepath.Join(t.TempDir(), "nothing.git"))
		o := opts(a)
		o.Remote = "gone"
		head := git(t, a, "rev-parse", "HEAD")
		_, err := Sync(ctx, o)
		if err == nil || !strings.Contains(err.Error(), "fetch from gone failed") {
			t.Errorf("err = %v", err)
		}
		if git(t, a, "rev-parse", "HEAD") != head {
			t.Error("committed although nothing could be fetched")
		}
	})
	t.Run("operation in progress", func(t *testing.T) {
		fake := filepath.Join(a, ".git", "rebase-merge")
		if err := os.Mkdir(fake, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Sync(ctx, opts(a))
		os.Remove(fake)
		if err == nil || !strings.Contains(err.Error(), "a rebase is in progress") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("another sync running", func(t *testing.T) {
		fl := flock.New(filepath.Join(a, ".git", "octorelease-sync.lock"))
		if ok, err := fl.TryLock(); !ok || err != nil {
			t.Fatal(ok, err)
		}
		_, err := Sync(ctx, opts(a))
		fl.Unlock()
		if err == nil || !strings.Contains(err.Error(), "another sync is running") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("relative state folder, from a subfolder", func(t *testing.T) {
		sub := filepath.Join(a, stateRel, "v1.4.0")
		res, err := Sync(ctx, Options{Repo: sub, StateDir: ".."})
		if err != nil || len(res.Committed) != 1 {
			t.Errorf("%+v, %v", res, err)
		}
	})
	noOperation(t, a)
}

// TestSyncConcurrentProcesses has six clones, each in its own process, sync
// at the same moment, three rounds over: every one must land.
func TestSyncConcurrentProcesses(t *testing.T) {
	const n, rounds = 6, 3
	origin, clones := setup(t, n)
	var want []string
	total := 0
	for round := range rounds {
		start := time.Now().Add(500 * time.Millisecond).Format(time.RFC3339Nano)
		type proc struct {
			cmd            *exec.Cmd
			stdout, stderr bytes.Buffer
		}
		procs := make([]*proc, n)
		for i, c := range clones {
			mine := []string{
				fmt.Sprintf(".octorelease/v1.4.0/events/r%d-c%d.json", round, i),
				fmt.Sprintf(".octorelease/r%d-c%d/release.json", round, i),
				fmt.Sprintf(".octorelease/r%d-c%d/events/0001.json", round, i),
			}
			for _, f := range mine {
				write(t, filepath.Join(c, f), fmt.Sprintf("{\"round\":%d,\"clone\":%d}\n", round, i))
			}
			want = append(want, mine...)
			p := &proc{cmd: exec.Command(os.Args[0], "-test.run=^$")}
			p.cmd.Env = append(os.Environ(), "GITSYNC_TEST_CHILD=1", "GITSYNC_REPO="+c,
				"GITSYNC_STATE="+filepath.Join(c, stateRel), "GITSYNC_START="+start)
			p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procs[i] = p
		}
		retries := 0
		for i, p := range procs {
			if err := p.cmd.Wait(); err != nil {
				t.Errorf("round %d clone %d: %v\n%s", round, i, err, p.stderr.String())
				continue
			}
			var res Result
			if err := json.Unmarshal(p.stdout.Bytes(), &res); err != nil {
				t.Fatalf("round %d clone %d: %v: %q", round, i, err, p.stdout.String())
			}
			if !res.Pushed || len(res.Committed) != 3 {
				t.Errorf("round %d clone %d: %+v", round, i, res)
			}
			// What the clone pushed is in origin's history: nothing lost.
			for _, c := range []string{res.Commit, git(t, clones[i], "rev-parse", "HEAD")} {
				if _, err := tryGit(origin, "merge-base", "--is-ancestor", c, "main"); err != nil {
					t.Errorf("round %d clone %d: commit %s is not in origin's main", round, i, c)
				}
			}
			retries += res.Retries
		}
		total += retries
		t.Logf("round %d: %d rejected pushes retried", round, retries)
		for _, c := range clones {
			noOperation(t, c)
		}
	}
	have := files(t, origin, "main")
	sort.Strings(want)
	if !contains(have, want...) {
		t.Errorf("origin lacks files: has %q", have)
	}
	t.Logf("%d clones × %d rounds: %d retries in all", n, rounds, total)
}
