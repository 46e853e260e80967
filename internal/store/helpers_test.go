package store_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

const id = "v1.4.0"

func newStore(t testing.TB) (*store.FileStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	return store.NewFileStore(dir, store.Options{Actor: "tester", Now: func() time.Time { return storetest.At }}), dir
}

// mustCreate stores a new release id with checklist cl.
func mustCreate(t testing.TB, s *store.FileStore, id string, cl checklist.Checklist) *release.Release {
	t.Helper()
	r := storetest.NewRelease(t, id, cl)
	if err := s.Create(r); err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	return r
}

func mustUpdate(t testing.TB, s *store.FileStore, id string, fn func(*release.Release) error) {
	t.Helper()
	if err := s.Update(id, fn); err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
}

func mustLoad(t testing.TB, s *store.FileStore, id string) *release.Release {
	t.Helper()
	r, err := s.Load(id)
	if err != nil {
		t.Fatalf("Load(%s): %v", id, err)
	}
	return r
}

// signItem is an Update that signs storetest.Item(i) for qa as actor.
func signItem(i int, actor string) func(*release.Release) error {
	return storetest.Sign(storetest.Item(i), "qa", actor, storetest.Tick(i+1))
}

func closeRelease(status string) func(*release.Release) error {
	return func(r *release.Release) error {
		return r.SetStatus(status, "alice", "because", storetest.Tick(1000), storetest.Open)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries the given exit code: an *errs.Error,
// or one of the store's typed errors.
func wantCode(t testing.TB, err error, code int) {
	t.Helper()
	if !errs.IsTyped(err) {
		t.Fatalf("error %v (%T) carries no exit code", err, err)
	}
	if got := errs.Code(err); got != code {
		t.Fatalf("error %q has code %d, want %d", err, got, code)
	}
}

// wantLocked fails unless err is the store's LockedError, with the exit
// code of a runtime failure.
func wantLocked(t testing.TB, err error) *store.LockedError {
	t.Helper()
	var e *store.LockedError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *store.LockedError", err, err)
	}
	if code := errs.Code(err); code != errs.CodeRuntime {
		t.Fatalf("error %q has code %d, want %d", err, code, errs.CodeRuntime)
	}
	return e
}

// wantErrContains fails unless err is an error whose message has every
// part.
func wantErrContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// tempFiles lists the write temp files (and temp folders) under root.
func tempFiles(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	for _, p := range tree(t, root) {
		if strings.Contains(filepath.Base(p), fsutil.TempInfix) {
			out = append(out, p)
		}
	}
	return out
}

// tree lists every path under root, sorted, for "nothing was created"
// checks; a missing root is an empty tree.
func tree(t testing.TB, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	slices.Sort(paths)
	return paths
}

// snapshot is every file under root with its content, for "nothing
// changed" checks.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range tree(t, root) {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.Mode().IsRegular():
			m[p] = string(readFile(t, p))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			m[p] = "-> " + target
		default:
			m[p] = fi.Mode().String()
		}
	}
	return m
}

func sameSnapshot(t testing.TB, what string, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s: %s was removed", what, p)
		} else if a != b {
			t.Errorf("%s: %s changed", what, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s was created", what, p)
		}
	}
}

// copyTree copies the files and folders under src to dst, as a git
// checkout or pull would bring them in: new files, nothing fsynced.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if d.Name() == ".lock" || strings.HasPrefix(rel, store.IndexDir) {
			return nil // local to one machine: git ignores them
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// eventFiles lists the event files of release id in dir, sorted.
func eventFiles(t testing.TB, dir, id string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, id, "events"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// signers maps each item of r's view to the actors whose sign-offs count.
func signers(r *release.Release) map[string][]string {
	m := map[string][]string{}
	for _, p := range r.Evaluate(storetest.Open).Phases {
		for _, it := range p.Items {
			for _, s := range it.Counted() {
				m[it.ID] = append(m[it.ID], s.By)
			}
		}
	}
	return m
}

// intact fails unless release id inspects without damage.
func intact(t testing.TB, s *store.FileStore, id string) *release.Release {
	t.Helper()
	r, damage, err := s.Inspect(id)
	if err != nil || len(damage) != 0 {
		t.Fatalf("Inspect(%s): %v, damage %v", id, err, damage)
	}
	return r
}
