package store_test

import (
	"github.com/octorelease/octorelease/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// goldenState writes, through the store, a release with every kind of
// event and a rolled-back incident run.
func goldenState(t *testing.T, dir string) {
	s := store.NewFileStore(dir, store.Options{Actor: "golden"})
	const v = "v1.0.0"
	if err := s.Create(storetest.NewRelease(t, v, storetest.Checklist())); err != nil {
		t.Fatal(err)
	}
	steps := []func(*release.Release) error{
		func(r *release.Release) error {
			return r.RecordCheck("tests", "ci", storetest.Tick(1), release.CheckResult{Command: "go test ./...", Passed: true,
				DurationMS: 1500, OutputSHA256: strings.Repeat("0f", 32), OutputTail: "ok  \tpkg\t1.5s\n"})
		},
		func(r *release.Release) error {
			return r.Sign(release.SignRequest{Items: []string{"tests"}, Role: "developer", Actor: "dev@example.com",
				Note: "all <green> & ✓", Evidence: []string{"https://ci.example.com/runs/1?x=1&y=2"}, At: storetest.Tick(2)}, storetest.Open)
		},
		func(r *release.Release) error {
			return r.Waive(release.ActionRequest{Item: "changelog", Role: "developer", Actor: "dev@example.com", Reason: "no user-facing change", At: storetest.Tick(3)}, storetest.Open)
		},
		storetest.Sign("qa-signoff", "qa", "carol", storetest.Tick(4)),
		func(r *release.Release) error {
			return r.Revoke(release.ActionRequest{Item: "qa-signoff", Role: "qa", Actor: "carol", Reason: "wrong build", At: storetest.Tick(5)}, storetest.Open)
		},
		storetest.Sign("qa-signoff", "qa", "dave", storetest.Tick(6)),
		func(r *release.Release) error {
			return r.Sign(release.SignRequest{Items: []string{"announce"}, Role: "pm", Actor: "pm", Force: true, Reason: "embargo lifts now", At: storetest.Tick(7)}, storetest.Open)
		},
		storetest.Sign("deploy", "sre", "sre", storetest.Tick(8)),
		func(r *release.Release) error {
			return r.Retarget("fedcba9876543210fedcba9876543210fedcba98", "alice@example.com", "hotfix on top", storetest.Tick(9), storetest.Open)
		},
		storetest.Sign("deploy", "sre", "sre", storetest.Tick(10)),
		func(r *release.Release) error {
			return r.SetStatus(release.StatusReleased, "alice@example.com", "", storetest.Tick(11), storetest.Open)
		},
	}
	for _, step := range steps {
		if err := s.Update(v, step); err != nil {
			t.Fatal(err)
		}
	}
	run := release.IncidentID(v, 1)
	if err := s.Create(storetest.NewIncident(t, v, 1)); err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"triage", release.RollbackItem} {
		if err := s.Update(run, storetest.Sign(item, "sre", "oncall", storetest.Tick(150))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFormatIsStable: what this build writes is, file for file and byte
// for byte, what testdata/format2 holds (go test -run TestFormatIsStable
// -update rewrites it). Teams commit these files: a change to a name or an
// encoding shows here before it reaches their repositories. And what was
// committed loads.
func TestFormatIsStable(t *testing.T) {
	stable := filepath.Join("testdata", "format2")
	dir := filepath.Join(t.TempDir(), "state")
	goldenState(t, dir)
	if golden.Updating() {
		if err := os.RemoveAll(stable); err != nil {
			t.Fatal(err)
		}
		copyTree(t, dir, stable)
	}
	got, want := files(t, dir), files(t, stable)
	for name, data := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s is no longer written", name)
		} else if g != data {
			t.Errorf("%s is now\n%s\nwas\n%s", name, g, data)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is new", name)
		}
	}

	committed := filepath.Join(t.TempDir(), "state")
	copyTree(t, stable, committed)
	s := store.NewFileStore(committed, store.Options{})
	r := intact(t, s, "v1.0.0")
	if r, err := s.Load("v1.0.0"); err != nil || r.Status() != release.StatusRolledBack || len(r.Runs) != 1 {
		t.Errorf("committed release: %v", err)
	}
	if len(r.Events) != 14 {
		t.Errorf("committed release has %d events, want 14", len(r.Events))
	}
}

// files maps the paths of the regular files under root (but the local
// ones: locks, the index) to their content.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range tree(t, root) {
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || filepath.Base(rel) == ".lock" || strings.HasPrefix(rel, store.IndexDir) {
			continue
		}
		m[filepath.ToSlash(rel)] = string(readFile(t, p))
	}
	return m
}
