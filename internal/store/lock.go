package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
)

// DefaultLockTimeout is how long a writer waits for a release's lock when
// Options.LockTimeout is zero (SPEC §6: --lock-timeout defaults to 10s).
const DefaultLockTimeout = 10 * time.Second

// holder is the one JSON line a lock holder writes into the lock file, so a
// writer that times out can say who is in the way.
type holder struct {
	Actor string    `json:"actor"`
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// heldLock is an acquired release lock.
type heldLock struct {
	fl   *flock.Flock
	info *os.File // the lock file opened for writing the holder line; nil if it cannot be
	// dirty keeps the holder line in place on release, so the next writer
	// sweeps temp files this one failed to remove.
	dirty bool
}

// Test hooks, nil outside tests: lockWaitStarted runs when a writer finds
// the lock held and starts to wait for it; waitLock runs lockWaitEnded
// once for each wait, when everything the wait started is over (for a
// wait given up on while its goroutine still blocks in flock(2): once that
// goroutine has let go of its descriptor).
var lockWaitStarted, lockWaitEnded func()

// lock takes the exclusive lock of release id within the lock timeout (a
// negative timeout tries once), sweeps what a killed holder left and records
// this process as the holder. An uncontended lock costs one non-blocking
// try; only a writer that finds it held waits, in the way waitLock does on
// this platform.
func (s *FileStore) lock(id string) (*heldLock, error) {
	path := s.lockPath(id)
	timeout := s.opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	// The real clock, not Options.Now: that one is for recorded times.
	deadline := time.Now().Add(timeout)
	fl := newFlock(path)
	ok, err := fl.TryLock()
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, &LockLinkError{Path: path}
		}
		return nil, errs.Runtimef("lock %s", path).Wrap(err)
	}
	if !ok {
		if timeout < 0 {
			return nil, s.lockedError(id, path)
		}
		if lockWaitStarted != nil {
			lockWaitStarted()
		}
		if fl, err = waitLock(fl, deadline); err != nil {
			return nil, errs.Runtimef("lock %s", path).Wrap(err)
		}
		if fl == nil {
			return nil, s.lockedError(id, path)
		}
	}
	l := &heldLock{fl: fl}
	s.recordHolder(l, id)
	return l, nil
}

// lockPerm is the mode a new lock file is created with.
const lockPerm = 0o644

func (s *FileStore) lockPath(id string) string { return filepath.Join(s.relDir(id), lockFile) }

// newFlock is a lock on path that is never a symbolic link: a .lock
// committed as a link to another file must not make a writer open, create
// or truncate that file.
func newFlock(path string) *flock.Flock {
	return flock.New(path, flock.SetPermissions(lockPerm), flock.SetFlag(os.O_CREATE|os.O_RDWR|fsutil.NoFollow))
}

// sweepTemps removes the temp files a killed writer left in the events
// folder of release id. Only called when the lock file shows the previous
// holder died holding the lock, so a normal write does not pay for it.
func (s *FileStore) sweepTemps(l *heldLock, id string) {
	dir := s.eventDir(id)
	entries, err := os.ReadDir(dir)
	if err != nil {
		l.dirty = true
		return
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), fsutil.TempInfix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				l.dirty = true
			}
		}
	}
}

// recordHolder replaces the previous holder's line with ours. If a line is
// still there, that holder died holding the lock and may have left temp
// files: they are swept first, and the dead holder's line stays until ours
// is written, so a writer killed while sweeping leaves the next one the
// same clue. The line is written before the file is cut to its length, so
// it never goes empty in between. No fsync: the line only informs writers.
// Failures are not fatal (e.g. a lock file this user may not write): the
// write itself is still protected by the lock; only the clues are lost.
func (s *FileStore) recordHolder(l *heldLock, id string) {
	f, err := os.OpenFile(l.fl.Path(), os.O_RDWR|fsutil.NoFollow, 0)
	writable := err == nil
	if !writable {
		if f, err = fsutil.OpenNoFollow(l.fl.Path()); err != nil {
			return
		}
	}
	var probe [1]byte
	if n, _ := f.ReadAt(probe[:], 0); n > 0 {
		s.sweepTemps(l, id)
	}
	if !writable {
		f.Close()
		return
	}
	l.info = f
	line := s.holderNow().line()
	if _, err := f.WriteAt(line, 0); err == nil {
		_ = f.Truncate(int64(len(line)))
	}
}

// release clears the holder line (unless temp files may remain) and unlocks.
// The lock file itself is permanent.
func (l *heldLock) release() {
	if l.info != nil {
		if !l.dirty {
			_ = l.info.Truncate(0)
		}
		_ = l.info.Close()
	}
	_ = l.fl.Unlock()
}

func (s *FileStore) holderNow() holder {
	host, _ := os.Hostname()
	return holder{Actor: s.opts.Actor, Host: host, PID: os.Getpid(), Since: s.now().UTC()}
}

// lockedError names the current holder as well as the lock file tells it.
func (s *FileStore) lockedError(id, path string) error {
	who := "another process"
	data, _ := os.ReadFile(path)
	var h holder
	if err := json.Unmarshal(bytes.TrimSpace(data), &h); err == nil && h.PID > 0 {
		who = describeHolder(h)
	}
	return &LockedError{Release: id, Holder: who}
}

// line is the holder as one line of JSON.
func (h holder) line() []byte {
	b, _ := json.Marshal(h)
	return append(b, '\n')
}

func describeHolder(h holder) string {
	var b strings.Builder
	if h.Actor != "" {
		b.WriteString(h.Actor)
	} else {
		b.WriteString("a process")
	}
	if h.Host != "" {
		fmt.Fprintf(&b, " on %s", h.Host)
	}
	fmt.Fprintf(&b, " (pid %d)", h.PID)
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Since.UTC().Format(time.RFC3339))
	}
	return b.String()
}
