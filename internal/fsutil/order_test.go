package fsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/fsutil"
)

type step struct{ name, path string }

// record traces the steps of the writes fn makes.
func record(t *testing.T, fn func()) []step {
	t.Helper()
	var steps []step
	restore := fsutil.TraceForTest(func(name, path string) { steps = append(steps, step{name, path}) })
	defer restore()
	fn()
	return steps
}

// checkSteps fails unless steps are want in order, every temp-file step on
// one temp file beside path, and the other steps on path or its folder.
func checkSteps(t *testing.T, steps []step, path string, want ...string) {
	t.Helper()
	var names []string
	for _, s := range steps {
		names = append(names, s.name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("steps %v, want %v", names, want)
	}
	tmp := steps[0].path
	if filepath.Dir(tmp) != filepath.Dir(path) || !strings.HasPrefix(filepath.Base(tmp), filepath.Base(path)+fsutil.TempInfix) {
		t.Errorf("temp file %s is not beside %s", tmp, path)
	}
	for _, s := range steps {
		var on string
		switch s.name {
		case "create", "write", "sync", "close", "remove":
			on = tmp
		case "rename", "link":
			on = path
		case "syncdir":
			on = filepath.Dir(path)
		}
		if s.path != on {
			t.Errorf("step %s on %s, want %s", s.name, s.path, on)
		}
	}
	if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file %s left: %v", tmp, err)
	}
}

// TestWriteAtomicOrder: the data is durable in the temp file before the
// rename makes it visible, and the rename before the write returns.
func TestWriteAtomicOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "stamp")
	for _, content := range []string{"first\n", "second\n"} { // a new file, then a replaced one
		var err error
		steps := record(t, func() { err = fsutil.WriteAtomic(p, []byte(content), 0o644) })
		if err != nil {
			t.Fatal(err)
		}
		checkSteps(t, steps, p, "create", "write", "sync", "close", "rename", "syncdir")
		if got, _ := os.ReadFile(p); string(got) != content {
			t.Errorf("file holds %q, want %q", got, content)
		}
	}
}

// TestCreateNewOrder: as WriteAtomic, with a link that cannot replace
// anything and the temp name removed after it.
func TestCreateNewOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "event.json")
	var err error
	steps := record(t, func() { err = fsutil.CreateNew(p, []byte("{}\n"), 0o644) })
	if err != nil {
		t.Fatal(err)
	}
	checkSteps(t, steps, p, "create", "write", "sync", "close", "link", "remove", "syncdir")
	if got, _ := os.ReadFile(p); string(got) != "{}\n" {
		t.Errorf("file holds %q", got)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

// TestCreateNewRefusesExisting: an existing file is left as it is, the
// error is os.ErrExist, and nothing is left behind (nor is the folder
// synced for a write that did not happen).
func TestCreateNewRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "event.json")
	if err := os.WriteFile(p, []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	steps := record(t, func() { err = fsutil.CreateNew(p, []byte("other\n"), 0o644) })
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("CreateNew over a file: %v, want os.ErrExist", err)
	}
	checkSteps(t, steps, p, "create", "write", "sync", "close", "link", "remove")
	if got, _ := os.ReadFile(p); string(got) != "original\n" {
		t.Errorf("existing file now holds %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file", len(entries))
	}
}

// TestCreateNewRefusesSymlink: a symbolic link at the target, to a file
// or to nothing, is not followed: its target is not written or created,
// and the link stays.
func TestCreateNewRefusesSymlink(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "precious")
		if !dangling {
			if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, "event.json")
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
		before, _ := os.Stat(target)
		err := fsutil.CreateNew(p, []byte("redirected\n"), 0o644)
		if !errors.Is(err, os.ErrExist) {
			t.Fatalf("CreateNew over a symlink (dangling %v): %v, want os.ErrExist", dangling, err)
		}
		if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the symlink was replaced: %v", err)
		}
		if dangling {
			if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the dangling symlink's target was created: %v", err)
			}
			continue
		}
		after, _ := os.Stat(target)
		if got, _ := os.ReadFile(target); string(got) != "precious\n" || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("the symlink's target changed: %q", got)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("folder holds %d entries, want only the link", len(entries))
		}
	}
}

// TestWriteAtomicReplacesSymlink: WriteAtomic replaces a symbolic link at
// the path with the file; the link's target is never written.
func TestWriteAtomicReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "stamp")
	if err := os.Symlink(target, p); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	if err := fsutil.WriteAtomic(p, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "precious\n" {
		t.Errorf("the symlink's target now holds %q", got)
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("path is not a regular file now: %v", err)
	}
}

// TestOpenNoFollow: a reader refuses a symbolic link where the state
// keeps a file.
func TestOpenNoFollow(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	if f, err := fsutil.OpenNoFollow(link); err == nil {
		f.Close()
		if fsutil.NoFollow != 0 {
			t.Error("OpenNoFollow opened a symbolic link")
		}
	}
	f, err := fsutil.OpenNoFollow(target)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}
