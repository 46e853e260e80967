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
//	.index/closed/<id>  closed for good (released or aborted); holds the
//	                    name of the closing event file, checked on a scan
//	.index/stamp        the modification times of the state folder and of
//	                    .index/open at the last scan
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
	if ofi, err := os.Stat(s.indexPath("open")); err == nil {
		// A marker removed by hand must not hide a release either.
		stamp += dirStamp(ofi)
	}
	if data, err := readFile(s.indexPath("stamp"), 256); err != nil || string(data) != stamp {
		if err := s.scan(fi); err != nil {
			return nil, err
		}
	}
	ids := s.markers("open")
	out := ids[:0]
	for _, id := range ids {
		if _, err := os.Lstat(s.relDir(id)); err != nil {
			continue // removed (a reset, a checkout of another branch)
		}
		if closing := s.closingEvent(id); closing != "" {
			s.markClosed(id, closing) // closed on another clone and pulled
			continue
		}
		out = append(out, id)
	}
	return out, nil
}

// scan classifies every release the index does not know yet.
func (s *FileStore) scan(fi os.FileInfo) error {
	ids, err := s.IDs()
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, id := range s.markers("open") {
		known[id] = true
	}
	for _, id := range s.markers("closed") {
		// A marker names the closing event: one that does not exist (a
		// marker copied or committed by hand) is no reason to skip a release.
		name, err := readFile(s.indexPath("closed", id), 512)
		if err == nil {
			if _, err := os.Lstat(filepath.Join(s.eventDir(id), string(name))); err == nil && safeName(string(name), 255) {
				known[id] = true
			}
		}
	}
	for _, id := range ids {
		if known[id] {
			continue
		}
		if closing := s.closingEvent(id); closing != "" {
			s.markClosed(id, closing)
		} else {
			s.addMarker("open", id, "")
		}
	}
	// As git does with its index: a folder changed within the last moment
	// may change again within the same timestamp tick, so such a stamp is
	// not kept, and the next use scans again.
	s.mkIndexDir("open")
	ofi, err := os.Lstat(s.indexPath("open"))
	if err == nil && time.Since(fi.ModTime()) > 2*time.Second && time.Since(ofi.ModTime()) > 2*time.Second {
		_ = fsutil.WriteAtomic(s.indexPath("stamp"), []byte(dirStamp(fi)+dirStamp(ofi)), 0o644)
	}
	return nil
}

func dirStamp(fi os.FileInfo) string {
	return fmt.Sprintf("%d %d\n", fi.ModTime().UnixNano(), inode(fi))
}

// closingEvent names the event file that closed release id, or "" if it
// may be open. It decides from the file names alone when it can: a
// format-2 release closes only by a released or aborted status event, and
// nothing reopens it. A release whose names say anything else (a migrated
// incident history) is loaded to decide.
func (s *FileStore) closingEvent(id string) string {
	names, err := s.eventNames(id)
	if err != nil {
		return ""
	}
	closing, unsure := "", false
	for _, n := range names {
		switch {
		case strings.Contains(n, "-status-released-"), strings.Contains(n, "-status-aborted-"):
			if closing == "" {
				closing = n
			}
		case strings.Contains(n, "-status-"):
			unsure = true
		}
	}
	if !unsure {
		return closing
	}
	r, err := s.load(id)
	if err != nil || r.OwnStatus() == release.StatusInProgress || r.Format1 != "" {
		return ""
	}
	for i := len(r.Events) - 1; i >= 0; i-- {
		if r.Events[i].Kind == release.EventStatus {
			return r.Events[i].FileName()
		}
	}
	return ""
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

// addMarker records id under kind, with content. Best effort: a marker
// that cannot be written only costs a scan.
func (s *FileStore) addMarker(kind, id, content string) {
	dir := s.indexPath(kind)
	if !s.mkIndexDir(kind) {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, id), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|fsutil.NoFollow, 0o644)
	if err == nil {
		_, _ = f.WriteString(content)
		f.Close()
	}
}

// mkIndexDir makes .index/<kind> as real folders inside the state folder:
// an .index committed as a symbolic link must not make a marker land
// outside it (the index then just goes unused).
func (s *FileStore) mkIndexDir(kind string) bool {
	for _, p := range []string{s.indexPath(), s.indexPath(kind)} {
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return false
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

func (s *FileStore) markClosed(id, closing string) {
	s.addMarker("closed", id, closing)
	_ = os.Remove(s.indexPath("open", id))
}
