package store

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
)

// hangGuard is how long these tests wait for something that should happen
// at once before calling it a hang. It only catches hangs: nothing asserts
// how long a wait took. Waiters that must not time out get a lock timeout
// far beyond it.
const hangGuard = 2 * time.Minute

// await receives from ch, failing the test if nothing comes within the
// hang guard.
func await[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("hung waiting for %s", what)
		panic("unreachable")
	}
}

// waitExit waits for a child started with startChildUntil to exit, killing
// it if it hangs.
func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangGuard):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("hung waiting for child process %d to exit", cmd.Process.Pid)
		return nil
	}
}

// setLockHooks installs the lock wait hooks for the rest of the test.
func setLockHooks(t *testing.T, started, ended func()) {
	t.Helper()
	oldStarted, oldEnded := lockWaitStarted, lockWaitEnded
	lockWaitStarted, lockWaitEnded = started, ended
	t.Cleanup(func() { lockWaitStarted, lockWaitEnded = oldStarted, oldEnded })
}

// withLockTimeout sets the lock timeout of a child process.
func withLockTimeout(cmd *exec.Cmd, d time.Duration) *exec.Cmd {
	cmd.Env = append(cmd.Env, childLockTimeout+"="+d.String())
	return cmd
}

// checkReleased verifies the release after a lock test: a whole chain with
// want's events (one each), the serial matching, no temp files and no
// holder line left in the lock file.
func checkReleased(t *testing.T, s *FileStore, dir string, want ...string) {
	t.Helper()
	r, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Verify(); p != nil {
		t.Fatalf("chain: %v", p)
	}
	got := actors(r)
	for _, a := range want {
		if got[a] != 1 {
			t.Errorf("actor %s has %d events, want 1", a, got[a])
		}
	}
	if len(r.Events) != 1+len(want) || r.Serial != int64(1+len(want)) {
		t.Errorf("%d events, serial %d; want %d of each", len(r.Events), r.Serial, 1+len(want))
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	if b := readFile(t, filepath.Join(dir, "v1.4.0.json.lock")); len(b) != 0 {
		t.Errorf("lock file keeps %q after every writer let go", b)
	}
}

// TestLockWaiterWakesWhenHolderReleases: writers that find the lock held by
// another process, one in this process and one in a process of its own,
// both get it once the holder lets go, without timing out.
func TestLockWaiterWakesWhenHolderReleases(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	holder := child(t, "hold", dir, "v1.4.0", "alice")
	letGo := startChildUntil(t, holder, "locked")

	other := withLockTimeout(child(t, "wait-append", dir, "v1.4.0", "carol"), 10*hangGuard)
	startChildUntil(t, other, "waiting")

	started := make(chan struct{}, 1)
	setLockHooks(t, func() { started <- struct{}{} }, nil)
	errc := make(chan error, 1)
	go func() {
		w := NewFileStore(dir, Options{LockTimeout: 10 * hangGuard, Actor: "bob"})
		errc <- w.Update("v1.4.0", signBy("bob"))
	}()
	await(t, "the writer in this process to find the lock held", started)

	letGo.Close()
	if err := waitExit(t, holder); err != nil {
		t.Fatalf("holder: %v", err)
	}
	if err := await(t, "the writer in this process", errc); err != nil {
		t.Errorf("writer in this process: %v", err)
	}
	if err := waitExit(t, other); err != nil {
		t.Errorf("writer process: %v", err)
	}
	checkReleased(t, s, dir, "bob", "carol")
}

// TestTimedOutWaiterLeavesLockFree: a writer that gives up waiting names
// the holder, and the wait it abandoned (on unix a goroutine still blocked
// in flock) does not keep the lock once the holder lets go: the next
// process gets it on its first try.
func TestTimedOutWaiterLeavesLockFree(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	holder := child(t, "hold", dir, "v1.4.0", "alice")
	letGo := startChildUntil(t, holder, "locked")

	ended := make(chan struct{}, 1)
	setLockHooks(t, nil, func() { ended <- struct{}{} })
	waiter := NewFileStore(dir, Options{LockTimeout: 100 * time.Millisecond, Actor: "bob"})
	called := false
	err := waiter.Update("v1.4.0", func(*release.Release) error { called = true; return nil })
	e := wantCode(t, err, errs.CodeRuntime)
	if !strings.Contains(e.Error(), "is locked by alice on ") ||
		!strings.Contains(e.Error(), fmt.Sprintf("(pid %d)", holder.Process.Pid)) {
		t.Errorf("message %q does not name the holder (pid %d)", e, holder.Process.Pid)
	}
	if called {
		t.Error("fn called without the lock")
	}

	letGo.Close()
	if err := waitExit(t, holder); err != nil {
		t.Fatalf("holder: %v", err)
	}
	await(t, "the abandoned wait to let go", ended)

	next := withLockTimeout(child(t, "hold", dir, "v1.4.0", "carol"), -1)
	done := startChildUntil(t, next, "locked") // fails if the lock is still held
	done.Close()
	if err := waitExit(t, next); err != nil {
		t.Fatalf("next process: %v", err)
	}
	try := NewFileStore(dir, Options{LockTimeout: -1, Actor: "dave"})
	if err := try.Update("v1.4.0", signBy("dave")); err != nil {
		t.Fatalf("a first try after the abandoned wait: %v", err)
	}
	checkReleased(t, s, dir, "dave")
}

// TestLockWaitersRaceTheirDeadlines: many writers wait behind a holder
// process with deadlines spread over the time the lock passes from one to
// the next, so some get it and some give up, a few around the moment the
// lock comes. Each either writes its event or names a holder; none is
// lost or doubled, and once every abandoned wait is over the lock is free.
func TestLockWaitersRaceTheirDeadlines(t *testing.T) {
	const waiters = 16
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	holder := child(t, "hold", dir, "v1.4.0", "alice")
	letGo := startChildUntil(t, holder, "locked")

	var nStarted, nEnded atomic.Int32
	allStarted, allEnded := make(chan struct{}), make(chan struct{})
	setLockHooks(t,
		func() {
			if nStarted.Add(1) == waiters {
				close(allStarted)
			}
		},
		func() {
			if nEnded.Add(1) == waiters {
				close(allEnded)
			}
		})
	errsOf := make([]error, waiters)
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Go(func() {
			w := NewFileStore(dir, Options{LockTimeout: time.Duration(1+5*i) * time.Millisecond, Actor: fmt.Sprint("w", i)})
			errsOf[i] = w.Update("v1.4.0", signBy(fmt.Sprint("w", i)))
		})
	}
	await(t, "every writer to find the lock held", allStarted)
	letGo.Close()
	if err := waitExit(t, holder); err != nil {
		t.Fatalf("holder: %v", err)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	await(t, "the writers", finished)
	await(t, "every wait to be over", allEnded)

	var wrote []string
	for i, err := range errsOf {
		if err == nil {
			wrote = append(wrote, fmt.Sprint("w", i))
			continue
		}
		if e := wantCode(t, err, errs.CodeRuntime); !strings.Contains(e.Error(), "is locked by") {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	t.Logf("%d of %d writers got the lock before their deadline", len(wrote), waiters)

	next := withLockTimeout(child(t, "hold", dir, "v1.4.0", "carol"), -1)
	done := startChildUntil(t, next, "locked")
	done.Close()
	if err := waitExit(t, next); err != nil {
		t.Fatalf("next process: %v", err)
	}
	checkReleased(t, s, dir, wrote...)
	if _, err := os.Stat(filepath.Join(dir, "v1.4.0.json.lock")); err != nil {
		t.Errorf("lock file must be permanent: %v", err)
	}
}
