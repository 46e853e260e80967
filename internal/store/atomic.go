package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/octorelease/octorelease/internal/fsutil"
)

const tmpInfix = ".json.tmp-"

// replace installs data as release id's file. The new bytes go to a temp
// file in the same folder (written, fsynced, closed); the current file is
// kept as <id>.json.bak through its own temp name, so <id>.json is never
// missing; one rename then swaps the new version in and the folder is
// fsynced. old is the current content (nil when there is none).
func (s *FileStore) replace(l *heldLock, id string, old, data []byte) error {
	tmp, err := s.writeTemp(l, id, data)
	if err != nil {
		return err
	}
	writeDelay()
	if old != nil {
		if err := s.backup(l, id, old); err != nil {
			s.removeTemp(l, tmp)
			return err
		}
	}
	if err := os.Rename(tmp, s.path(id)); err != nil {
		s.removeTemp(l, tmp)
		return fmt.Errorf("install %s: %w", s.path(id), err)
	}
	if err := fsutil.SyncDir(s.dir); err != nil {
		return fmt.Errorf("sync %s: %w", s.dir, err)
	}
	return nil
}

// backup makes <id>.json.bak hold old. A hard link to the current file
// costs no data write (its bytes were fsynced when it was written); where
// links are not supported the bytes are written out instead.
func (s *FileStore) backup(l *heldLock, id string, old []byte) error {
	tmp := s.tempPath(id)
	if err := os.Link(s.path(id), tmp); err != nil {
		if tmp, err = s.writeTemp(l, id, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, s.backupPath(id)); err != nil {
		s.removeTemp(l, tmp)
		return fmt.Errorf("back up %s: %w", s.path(id), err)
	}
	// rename(2) does nothing when both names link to the same file, as
	// after a writer killed between its backup and its install: .bak then
	// already holds old, and the temp link must not be left behind.
	s.removeTemp(l, tmp)
	return nil
}

// writeTemp writes data to a new temp file of release id and fsyncs it.
func (s *FileStore) writeTemp(l *heldLock, id string, data []byte) (string, error) {
	tmp := s.tempPath(id)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.removeTemp(l, tmp)
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	return tmp, nil
}

// removeTemp deletes a temp file; if that fails the lock keeps its holder
// line so the next writer sweeps it.
func (s *FileStore) removeTemp(l *heldLock, tmp string) {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.dirty = true
	}
}

// sweepTemps removes the temp files of release id that a killed writer
// left. Only called when the lock file shows the previous holder died
// holding the lock, so a normal write does not pay for listing the folder.
func (s *FileStore) sweepTemps(l *heldLock, id string) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		l.dirty = true
		return
	}
	prefix := id + tmpInfix
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			s.removeTemp(l, filepath.Join(s.dir, e.Name()))
		}
	}
}

func (s *FileStore) tempPath(id string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return filepath.Join(s.dir, id+tmpInfix+hex.EncodeToString(b[:]))
}
