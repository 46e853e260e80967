package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/release"
)

// The open index answers "which releases may be in progress" at a cost
// that does not grow with the releases that are closed. It is a cache
// local to one machine (<dir>/.index/, ignored by git), never a source of
// truth: its answer is a superset that callers confirm by loading, and it
// is checked against the state folder on every use.
//
//	.index/open/<id>    may be in progress
//	.index/closed/<id>  closed for good (released or aborted)
//	.index/stamp        the state folder's modification time at the last scan
//
// A release arriving from git (a pull, a checkout) adds a folder, which
// changes the state folder's modification time: the stamp no longer
// matches and the folder is scanned again, classifying only the releases
// the index does not know. Writers add the open marker before the release
// folder appears, so a release created on this machine is never missed.
const indexDir = ".index"

func (s *FileStore) indexPath(parts ...string) string {
	return filepath.Join(append([]string{s.dir, indexDir}, parts...)...)
}

// OpenIDs lists the ids of the releases that may be in progress (their
// own status; incident runs are releases of their own), sorted.
func (s *FileStore) OpenIDs() ([]string, error) {
	fi, err := os.Stat(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state folder %s: %w", s.dir, err)
	}
	stamp := dirStamp(fi)
	if data, err := readFile(s.indexPath("stamp"), 256); err != nil || string(data) != stamp {
		if err := s.scan(fi, stamp); err != nil {
			return nil, err
		}
	}
	ids := s.markers("open")
	out := ids[:0]
	for _, id := range ids {
		if _, err := os.Lstat(s.relDir(id)); err != nil {
			continue // removed (a reset, a checkout of another branch)
		}
		if s.closedByNames(id) {
			s.markClosed(id) // closed on another clone and pulled
			continue
		}
		out = append(out, id)
	}
	return out, nil
}

// scan classifies every release the index does not know yet.
func (s *FileStore) scan(fi os.FileInfo, stamp string) error {
	ids, err := s.IDs()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, kind := range []string{"open", "closed"} {
		for _, id := range s.markers(kind) {
			known[id] = true
		}
	}
	for _, id := range ids {
		if known[id] {
			continue
		}
		if s.closedByNames(id) {
			s.markClosed(id)
		} else {
			s.addMarker("open", id)
		}
	}
	// As git does with its index: a folder changed within the last moment
	// may change again within the same timestamp tick, so such a stamp is
	// not kept, and the next use scans again.
	if time.Since(fi.ModTime()) > 2*time.Second {
		_ = fsutil.WriteAtomic(s.indexPath("stamp"), []byte(stamp), 0o644)
	}
	return nil
}

func dirStamp(fi os.FileInfo) string {
	return fmt.Sprintf("%d %d\n", fi.ModTime().UnixNano(), inode(fi))
}

// closedByNames reports whether release id is certainly closed, from its
// event file names alone: a format-2 release closes only by a released or
// aborted status event, and nothing reopens it. A release whose names say
// anything else (a migrated incident history) is loaded to decide.
func (s *FileStore) closedByNames(id string) bool {
	names, err := s.eventNames(id)
	if err != nil {
		return false
	}
	closed, unsure := false, false
	for _, n := range names {
		switch {
		case strings.Contains(n, "-status-released-"), strings.Contains(n, "-status-aborted-"):
			closed = true
		case strings.Contains(n, "-status-"):
			unsure = true
		}
	}
	if !unsure {
		return closed
	}
	r, err := s.load(id)
	return err == nil && r.OwnStatus() != release.StatusInProgress
}

func (s *FileStore) markers(kind string) []string {
	entries, err := os.ReadDir(s.indexPath(kind))
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if checkID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids
}

// addMarker records id under kind. Best effort: a marker that cannot be
// written only costs a scan.
func (s *FileStore) addMarker(kind, id string) {
	dir := s.indexPath(kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, id), os.O_WRONLY|os.O_CREATE|fsutil.NoFollow, 0o644)
	if err == nil {
		f.Close()
	}
}

func (s *FileStore) markClosed(id string) {
	s.addMarker("closed", id)
	_ = os.Remove(s.indexPath("open", id))
}
