package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/octorelease/octorelease/internal/errs"
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
	info *os.File // the lock file opened for writing the holder line
	// crashed is set when the lock file still held a holder line on
	// acquisition: the previous holder died while holding the lock and may
	// have left temp files behind.
	crashed bool
	// dirty keeps the holder line in place on release, so the next writer
	// sweeps temp files this one failed to remove.
	dirty bool
}

// lock takes the exclusive lock of release id within the lock timeout and
// records this process as its holder.
func (s *FileStore) lock(id string) (*heldLock, error) {
	path := s.lockPath(id)
	fl := flock.New(path, flock.SetPermissions(0o644))
	timeout := s.opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	delay := 2 * time.Millisecond
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, errs.Runtimef("lock %s", path).Wrap(err)
		}
		if ok {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, s.lockedError(id, path)
		}
		// Jitter spreads many waiters so they do not retry in lock step.
		sleep := delay/2 + rand.N(delay)
		time.Sleep(min(sleep, left))
		delay = min(delay*3/2, 50*time.Millisecond)
	}
	l := &heldLock{fl: fl}
	if err := l.recordHolder(s.holderNow()); err != nil {
		_ = fl.Unlock()
		return nil, errs.Runtimef("lock %s", path).Wrap(err)
	}
	return l, nil
}

// recordHolder notes whether a dead holder's line is still there, then
// replaces it with ours. No fsync: the line only informs waiting writers.
func (l *heldLock) recordHolder(h holder) error {
	f, err := os.OpenFile(l.fl.Path(), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	var probe [1]byte
	n, _ := f.ReadAt(probe[:], 0)
	l.crashed = n > 0
	line, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteAt(append(line, '\n'), 0); err != nil {
		f.Close()
		return err
	}
	l.info = f
	return nil
}

// release clears the holder line (unless temp files may remain) and unlocks.
// The lock file itself is permanent.
func (l *heldLock) release() {
	if !l.dirty {
		_ = l.info.Truncate(0)
	}
	_ = l.info.Close()
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
	return errs.Runtimef("release %s is locked by %s", id, who).
		WithHint("try again, or raise --lock-timeout")
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
