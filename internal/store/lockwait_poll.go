//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package store

import (
	"math/rand/v2"
	"time"

	"github.com/gofrs/flock"
)

// waitLock polls fl until it is locked or the deadline passes; nil (and no
// error) means the deadline passed. Where flock(2) is missing (Windows,
// AIX, Solaris, ...) gofrs/flock takes the lock with LockFileEx or fcntl,
// and a blocking wait that can be given up on would need a different
// mechanism on each, so the lock is polled with short, growing sleeps.
func waitLock(fl *flock.Flock, deadline time.Time) (*flock.Flock, error) {
	if lockWaitEnded != nil {
		defer lockWaitEnded()
	}
	delay := 2 * time.Millisecond
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		// Jitter spreads many waiters so they do not retry in lock step.
		sleep := delay/2 + rand.N(delay)
		time.Sleep(min(sleep, left))
		delay = min(delay*3/2, 50*time.Millisecond)
		ok, err := fl.TryLock()
		if err != nil {
			return nil, err
		}
		if ok {
			return fl, nil
		}
	}
}
