package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
)

// The status index is a folder of empty marker files,
// <dir>/.index/<status>/<id>, so finding the releases in progress costs a
// listing of that status's folder, not of the whole store. Writers create
// the new status's marker before writing the release and remove the old one
// after, so the markers are always a superset of the truth.
const (
	indexDir = ".index"
	// indexBuilt marks an index that covers every release; without it (a
	// store written by hand or copied without .index) the index is rebuilt
	// once. Status names cannot start with a dot, so it never collides.
	indexBuilt = ".built"
)

func (s *FileStore) markerDir(status string) string {
	return filepath.Join(s.dir, indexDir, status)
}

func checkStatus(status string) error {
	if !safeName(status, 64) {
		return errs.Usagef("invalid release status %q", clip(status, 64))
	}
	return nil
}

// addMarker makes sure the marker of id under status exists and is durable.
func (s *FileStore) addMarker(status, id string) error {
	if err := checkStatus(status); err != nil {
		return err
	}
	dir := s.markerDir(status)
	path := filepath.Join(dir, id)
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := s.mkdirDurable(dir); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	return nil
}

// removeMarker drops a marker that no longer applies. Failure only leaves
// an extra candidate, which the superset contract allows.
func (s *FileStore) removeMarker(status, id string) {
	if checkStatus(status) == nil {
		_ = os.Remove(filepath.Join(s.markerDir(status), id))
	}
}

// mkdirDurable creates dir (under the store folder) and fsyncs the parents
// whose entries it added.
func (s *FileStore) mkdirDurable(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != s.dir {
		if err := s.mkdirDurable(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return fsutil.SyncDir(parent)
}

// IDsWithStatus lists the ids that may have the given status, sorted, at a
// cost that depends on how many releases have that status, not on the size
// of the store. The list is a superset (a writer killed mid-change may leave
// an extra id): callers confirm by loading. Ids whose file is gone are left out.
func (s *FileStore) IDsWithStatus(status string) ([]string, error) {
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(filepath.Join(s.dir, indexDir, indexBuilt)); err != nil {
		return s.rebuildIndex(status)
	}
	entries, err := os.ReadDir(s.markerDir(status))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Runtimef("read index %s", s.markerDir(status)).Wrap(err)
	}
	var ids []string
	for _, e := range entries {
		id := e.Name()
		if checkID(id) != nil {
			continue
		}
		if _, err := os.Lstat(s.path(id)); err != nil {
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// rebuildIndex answers from every release, once, for an index never known
// complete (a store written by hand, or copied without .index), and records
// the markers on the way. Recording is best effort, so a read-only state
// folder still gets its answer. Safe without locks: it only adds markers,
// and a marker too many is allowed. A release that does not parse is a
// candidate for every status, so the caller's load reports it, and the index
// stays incomplete until it is fixed.
func (s *FileStore) rebuildIndex(status string) ([]string, error) {
	ids, err := s.IDs()
	if err != nil || len(ids) == 0 {
		return nil, err // nothing to index: leave a missing folder missing
	}
	var match []string
	complete := true
	for _, id := range ids {
		r, err := s.Load(id)
		if err != nil {
			match = append(match, id)
			complete = false
			continue
		}
		if r.Status() == status {
			match = append(match, id)
		}
		if s.addMarker(r.Status(), id) != nil {
			complete = false
		}
	}
	if complete {
		built := filepath.Join(s.dir, indexDir, indexBuilt)
		if s.mkdirDurable(filepath.Dir(built)) == nil {
			_ = os.WriteFile(built, nil, 0o644)
		}
	}
	return match, nil
}
