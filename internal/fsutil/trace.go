package fsutil

import (
	"os"
	"sync"
)

var traceMu sync.Mutex

// TraceForTest makes every write report its real calls to f (create,
// write, sync, close, rename or link, remove, syncdir), in order, and
// returns the function that undoes it. The report comes from the calls
// themselves, so a write that skips one is seen skipping it. Not for use
// outside tests; no other write may run in parallel with it.
func TraceForTest(f func(step, path string)) (restore func()) {
	traceMu.Lock()
	old := sys
	sys = calls{
		openTemp: func(name string, perm os.FileMode) (tempFile, error) {
			t, err := old.openTemp(name, perm)
			if err != nil {
				return nil, err
			}
			f("create", name)
			return tracedFile{t, f}, nil
		},
		rename: func(from, to string) error { f("rename", to); return old.rename(from, to) },
		link:   func(from, to string) error { f("link", to); return old.link(from, to) },
		remove: func(name string) error { f("remove", name); return old.remove(name) },
		syncDir: func(dir string) error {
			f("syncdir", dir)
			return old.syncDir(dir)
		},
	}
	return func() { sys = old; traceMu.Unlock() }
}

type tracedFile struct {
	tempFile
	f func(step, path string)
}

func (t tracedFile) Write(b []byte) (int, error) { t.f("write", t.Name()); return t.tempFile.Write(b) }
func (t tracedFile) Sync() error                 { t.f("sync", t.Name()); return t.tempFile.Sync() }
func (t tracedFile) Close() error                { t.f("close", t.Name()); return t.tempFile.Close() }
