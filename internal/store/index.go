package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	var found []string
	if data, err := readFile(s.indexPath("stamp"), 256); err != nil || string(data) != stamp {
		if found, err = s.scan(fi); err != nil {
			return nil, err
		}
	}
	// What the scan found counts even where its markers could not be
	// written (an index that is not a real folder, a read-only clone).
	ids := s.markers("open")
	ids = append(ids, found...)
	sort.Strings(ids)
	ids = slices.Compact(ids)
	out := ids[:0]
	for _, id := range ids {
		if !s.exists1(id) {
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

// scan classifies every release the index does not know yet and returns
// those that may be open.
func (s *FileStore) scan(fi os.FileInfo) ([]string, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, id := range s.markers("open") {
		known[id] = true
	}
	trusted := s.indexWrittenHere(fi)
	for _, id := range s.markers("closed") {
		if trusted {
			known[id] = true
			continue
		}
		// A marker names the closing event: one that does not exist (a
		// marker copied or committed by hand) is no reason to skip a release.
		name, err := readFile(s.indexPath("closed", id), 512)
		if err == nil {
			closing := string(name)
			if !safeName(closing, 255) || !strings.HasPrefix(nameKind(closing), "status-") {
				continue
			}
			if _, err := os.Lstat(filepath.Join(s.eventDir(id), closing)); err == nil {
				known[id] = true
			}
		}
	}
	var open []string
	for _, id := range ids {
		if known[id] {
			continue
		}
		if closing := s.closingEvent(id); closing != "" {
			s.markClosed(id, closing)
		} else {
			s.addMarker("open", id, "")
			open = append(open, id)
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
	return open, nil
}

// indexWrittenHere reports whether the index was last scanned on this
// machine for this very folder: its stamp names the folder's inode. Its
// closed markers are then this machine's own and are trusted as they are;
// otherwise (a fresh clone with an .index committed into it, a copied
// folder) each is checked against the event it names, which costs a read
// per closed release.
func (s *FileStore) indexWrittenHere(fi os.FileInfo) bool {
	data, err := readFile(s.indexPath("stamp"), 256)
	if err != nil {
		return false
	}
	var mtime int64
	var ino uint64
	if _, err := fmt.Sscanf(string(data), "%d %d", &mtime, &ino); err != nil {
		return false
	}
	return ino != 0 && ino == inode(fi)
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
		kind := nameKind(n)
		switch {
		case strings.HasPrefix(kind, "status-released-"), strings.HasPrefix(kind, "status-aborted-"):
			if closing == "" {
				closing = n
			}
		case strings.HasPrefix(kind, "status-"):
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

// nameKind is what an event file name says after the event's time:
// "<kind>-[<status>-][<item>-][<role>-]<hash>.json" (release.Event.FileName).
// Only its start is the kind: an item or a role may be called
// "status-released" too.
func nameKind(name string) string {
	const timeLen = len("20060102T150405.000000000Z-")
	if len(name) <= timeLen {
		return ""
	}
	return name[timeLen:]
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
