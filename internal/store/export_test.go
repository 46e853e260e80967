package store

// Internals the external tests (package store_test) reach.

// IndexDir is the local index folder inside the state folder.
const IndexDir = indexDir

// LockForTest takes release id's lock the way a writer does (recording
// this process as the holder, sweeping what a killed holder left) and
// returns the function that lets it go.
func (s *FileStore) LockForTest(id string) (unlock func(), err error) {
	l, err := s.lock(id)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}

// SetLockWaitHooks installs the lock wait hooks (see lock.go) and returns
// the function that puts the old ones back.
func SetLockWaitHooks(started, ended func()) (restore func()) {
	oldStarted, oldEnded := lockWaitStarted, lockWaitEnded
	lockWaitStarted, lockWaitEnded = started, ended
	return func() { lockWaitStarted, lockWaitEnded = oldStarted, oldEnded }
}

// TestHooks reports whether the binary was built with -tags testhooks.
const TestHooks = testHooks
