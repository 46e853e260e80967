// Package fsutil has the one file-writing primitive every writer uses: a
// temp file in the target's folder, written, fsynced and closed, then
// renamed over the target (WriteAtomic) or linked to a name that must not
// exist yet (CreateNew), then the folder fsynced. A reader sees the old
// file or the new one, never a part; a crash leaves at most a temp file.
package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TempInfix is in the name of every temp file, so that sweeps and
// .gitignore patterns find them.
const TempInfix = ".tmp-"

// tempFile is what a writer does with its temp file.
type tempFile interface {
	Name() string
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

// The calls a write makes go through sys, which only tests replace (see
// TraceForTest): a recorder that sees the real calls, in order, so that
// removing a Sync, the folder's fsync or the whole primitive fails a test
// rather than only losing data in a crash. (restic's local backend does the
// same with its tempFile seam.)
type calls struct {
	openTemp func(name string, perm os.FileMode) (tempFile, error)
	rename   func(from, to string) error
	link     func(from, to string) error
	remove   func(name string) error
	syncDir  func(dir string) error
}

var sys = calls{
	openTemp: func(name string, perm os.FileMode) (tempFile, error) {
		return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, perm)
	},
	rename:  os.Rename,
	link:    os.Link,
	remove:  os.Remove,
	syncDir: syncDir,
}

// WriteAtomic replaces path with data.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error { return sys.rename(tmp, path) })
}

// CreateNew writes data to path, which must not exist: an existing file,
// or a symbolic link of any kind, is left alone and the error satisfies
// errors.Is(err, os.ErrExist). link(2) never follows or replaces its
// target, so a symlink planted at path cannot redirect the write.
func CreateNew(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error {
		err := sys.link(tmp, path)
		if rerr := sys.remove(tmp); err == nil && rerr != nil {
			return rerr
		}
		return err
	})
}

func write(path string, data []byte, perm os.FileMode, install func(tmp, path string) error) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, filepath.Base(path), perm)
	if err != nil {
		return err
	}
	name := tmp.Name()
	closed, installed := false, false
	defer func() {
		if !closed {
			tmp.Close()
		}
		if !installed {
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := install(name, path); err != nil {
		return err
	}
	installed = true
	return SyncDir(dir)
}

// createTemp makes a new temp file beside base in dir, never following a
// symbolic link.
func createTemp(dir, base string, perm os.FileMode) (tempFile, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		f, err := sys.openTemp(filepath.Join(dir, base+TempInfix+hex.EncodeToString(b[:])), perm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temp file in %s: too many collisions", dir)
}

// SyncDir makes a rename or a link in dir durable.
func SyncDir(dir string) error { return sys.syncDir(dir) }

// OpenNoFollow opens path for reading, refusing a symbolic link.
func OpenNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|noFollow, 0)
}

// NoFollow is O_NOFOLLOW where the system has it, else 0.
const NoFollow = noFollow
