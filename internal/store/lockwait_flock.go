//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package store

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
	"golang.org/x/sys/unix"
)

// Where a lock wait stands. Whichever side first moves it from lockWaiting
// decides who owns the waiting goroutine's descriptor.
const (
	lockWaiting    int32 = iota
	lockAbandoned        // the writer gave up: the goroutine unlocks and closes
	lockHandedOver       // the goroutine's Flock (or error) goes to the writer
)

type lockWaitResult struct {
	fl  *flock.Flock
	err error
}

// waitLock waits until the deadline for the exclusive lock on fl's file,
// woken by the kernel the moment the holder lets go instead of polling for
// it; nil (and no error) means the deadline passed.
//
// These build tags are the systems on which gofrs/flock locks with
// flock(2) (its flock_unix.go): the wait must take the same kind of lock
// as the first try, or the two would not exclude each other. Elsewhere
// lockwait_poll.go polls.
//
// A blocking flock(2) cannot be called off, so it runs in a goroutine on a
// Flock of its own: gofrs/flock's Lock is flock(fd, LOCK_EX) on its own
// descriptor (reopened read-write where NFS wants it, as for TryLock), so
// unix.Flock need not be called directly. If the deadline passes first the
// writer abandons that goroutine, which, once its flock returns, unlocks
// and closes the descriptor itself. Nothing else ever touches it, so a
// descriptor number a blocked syscall still uses is never closed (and
// reused) under it, and a wait given up on never leaves the lock held.
// The abandoned goroutine lives until the holder lets go (or the process
// exits, which releases everything anyway).
func waitLock(fl *flock.Flock, deadline time.Time) (*flock.Flock, error) {
	ended := lockWaitEnded // read once: the goroutine may outlive the test that set it
	if ended == nil {
		ended = func() {}
	}
	left := time.Until(deadline)
	if left <= 0 {
		ended()
		return nil, nil
	}
	path := fl.Path()
	var state atomic.Int32
	done := make(chan lockWaitResult, 1)
	go func() {
		w := newFlock(path)
		err := w.Lock()
		for errors.Is(err, unix.EINTR) {
			err = w.Lock()
		}
		if state.CompareAndSwap(lockWaiting, lockHandedOver) {
			if err != nil {
				w = nil // a failed Lock has closed its descriptor
			}
			done <- lockWaitResult{w, err}
			return
		}
		_ = w.Unlock() // unlocks if Lock got it, and closes the descriptor
		ended()
	}()
	timer := time.NewTimer(left)
	defer timer.Stop()
	var r lockWaitResult
	select {
	case r = <-done:
	case <-timer.C:
		if state.CompareAndSwap(lockWaiting, lockAbandoned) {
			return nil, nil
		}
		// The lock came at the deadline: the goroutine is handing it over.
		r = <-done
	}
	ended()
	return r.fl, r.err
}
