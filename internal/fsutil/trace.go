package fsutil

import "sync"

var traceMu sync.Mutex

// TraceForTest replaces the step recorder for a test and returns the
// restore function. Tests of any writer use it to check that every step
// (create, write, sync, close, rename or link, syncdir) happens in order.
// Not for use outside tests; callers must not run writes in parallel
// with it.
func TraceForTest(f func(step, path string)) (restore func()) {
	traceMu.Lock()
	old := trace
	trace = f
	return func() { trace = old; traceMu.Unlock() }
}
