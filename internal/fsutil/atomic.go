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

// step names one call of a write, in the order they must happen. Tests
// replace trace to record them (see TraceForTest): removing a Sync makes
// a test fail, not just a crash lose data.
var trace = func(step, path string) {}

// WriteAtomic replaces path with data.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error {
		trace("rename", path)
		return os.Rename(tmp, path)
	})
}

// CreateNew writes data to path, which must not exist: an existing file,
// or a symbolic link of any kind, is left alone and the error satisfies
// errors.Is(err, os.ErrExist). link(2) never follows or replaces its
// target, so a symlink planted at path cannot redirect the write.
func CreateNew(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error {
		trace("link", path)
		err := os.Link(tmp, path)
		trace("remove", tmp)
		if rerr := os.Remove(tmp); err == nil && rerr != nil {
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
	installed := false
	defer func() {
		if !installed {
			tmp.Close()
			os.Remove(name)
		}
	}()
	trace("write", name)
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	trace("sync", name)
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	trace("close", name)
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
func createTemp(dir, base string, perm os.FileMode) (*os.File, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, base+TempInfix+hex.EncodeToString(b[:]))
		trace("create", name)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, perm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temp file in %s: too many collisions", dir)
}

// OpenNoFollow opens path for reading, refusing a symbolic link.
func OpenNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|noFollow, 0)
}

// NoFollow is O_NOFOLLOW where the system has it, else 0.
const NoFollow = noFollow
