package store_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
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

func setLockHooks(t *testing.T, started, ended func()) {
	t.Helper()
	t.Cleanup(store.SetLockWaitHooks(started, ended))
}

func lockPath(dir string) string { return filepath.Join(dir, id, ".lock") }

// checkReleased verifies the release after a lock test: intact, with one
// counted sign-off by each of want (of the items given by itemOf) and
// nothing else, no temp files and no holder line left in the lock file.
func checkReleased(t *testing.T, s *store.FileStore, dir string, want map[string]string) {
	t.Helper()
	r := intact(t, s, id)
	if len(r.Events) != 1+len(want) {
		t.Errorf("%d events, want %d", len(r.Events), 1+len(want))
	}
	got := signers(r)
	for actor, item := range want {
		if !slices.Equal(got[item], []string{actor}) {
			t.Errorf("%s signed by %v, want %s", item, got[item], actor)
		}
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	if b := readFile(t, lockPath(dir)); len(b) != 0 {
		t.Errorf("lock file keeps %q after every writer let go", b)
	}
}

// TestLockTimeoutNamesHolder: a writer that cannot get the lock in time
// fails with exit 1, says who holds it (actor, host, pid, since), and
// writes nothing.
func TestLockTimeoutNamesHolder(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(2))
	before := snapshot(t, filepath.Join(dir, id, "events"))

	holder := child(t, "hold", dir, id, "alice", "")
	stdin := startChildUntil(t, holder, "locked")

	waiter := store.NewFileStore(dir, store.Options{LockTimeout: 300 * time.Millisecond, Actor: "bob"})
	called := false
	err := waiter.Update(id, func(*release.Release) error { called = true; return nil })
	e := wantLocked(t, err)
	host, _ := os.Hostname()
	want := fmt.Sprintf(`^release v1\.4\.0 is locked by alice on %s \(pid %d\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`,
		regexp.QuoteMeta(host), holder.Process.Pid)
	if !regexp.MustCompile(want).MatchString(e.Error()) {
		t.Errorf("message %q, want %s", e, want)
	}
	if e.Release != id || !strings.HasPrefix(e.Holder, "alice on ") {
		t.Errorf("locked error %+v: want the release and its holder", e)
	}
	if called {
		t.Error("fn called without the lock")
	}
	sameSnapshot(t, "while locked by another", before, snapshot(t, filepath.Join(dir, id, "events")))

	// Readers never wait for a writer.
	mustLoad(t, s, id)
	if _, err := s.OpenIDs(); err != nil {
		t.Fatal(err)
	}
	// Nor does a writer of another release.
	mustCreate(t, s, "v1.5.0", storetest.ItemsChecklist(1))
	mustUpdate(t, waiter, "v1.5.0", signItem(0, "bob"))

	// A negative timeout tries once.
	try := store.NewFileStore(dir, store.Options{LockTimeout: -1, Actor: "carol"})
	wantErrContains(t, try.Update(id, signItem(0, "carol")), "is locked by alice")

	// Released normally: the next writer gets in and the holder line is gone.
	stdin.Close()
	if err := waitExit(t, holder); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, waiter, id, signItem(0, "bob"))
	checkReleased(t, s, dir, map[string]string{"bob": storetest.Item(0)})
}

// TestKilledHolderLeavesNoStaleLock: the kernel releases the lock of a
// killed writer; the next writer gets in at once and sweeps the temp file
// the killed one left in events/.
func TestKilledHolderLeavesNoStaleLock(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))

	crasher := child(t, "crash", dir, id, "alice", "")
	startChildUntil(t, crasher, "ready")
	if n := len(tempFiles(t, dir)); n != 1 {
		t.Fatalf("crasher left %d temp files", n)
	}
	mustLoad(t, s, id) // a reader ignores it meanwhile
	if err := crasher.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = crasher.Wait()

	next := store.NewFileStore(dir, store.Options{LockTimeout: -1, Actor: "bob"})
	mustUpdate(t, next, id, signItem(0, "bob"))
	if _, err := os.Stat(lockPath(dir)); err != nil {
		t.Errorf("lock file must be permanent: %v", err)
	}
	checkReleased(t, s, dir, map[string]string{"bob": storetest.Item(0)})
}

// TestLockWaiterWakesWhenHolderReleases: writers that find the lock held by
// another process, one in this process and one in a process of its own,
// both get it once the holder lets go, without timing out.
func TestLockWaiterWakesWhenHolderReleases(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(2))
	holder := child(t, "hold", dir, id, "alice", "")
	letGo := startChildUntil(t, holder, "locked")

	other := withLockTimeout(child(t, "wait-append", dir, id, "carol", storetest.Item(1)), 10*hangGuard)
	startChildUntil(t, other, "waiting")

	started := make(chan struct{}, 1)
	setLockHooks(t, func() { started <- struct{}{} }, nil)
	errc := make(chan error, 1)
	go func() {
		w := store.NewFileStore(dir, store.Options{LockTimeout: 10 * hangGuard, Actor: "bob"})
		errc <- w.Update(id, signItem(0, "bob"))
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
	checkReleased(t, s, dir, map[string]string{"bob": storetest.Item(0), "carol": storetest.Item(1)})
}

// TestTimedOutWaiterLeavesLockFree: a writer that gives up waiting names
// the holder, and the wait it abandoned (on unix a goroutine still blocked
// in flock) does not keep the lock once the holder lets go: the next
// process gets it on its first try.
func TestTimedOutWaiterLeavesLockFree(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	holder := child(t, "hold", dir, id, "alice", "")
	letGo := startChildUntil(t, holder, "locked")

	ended := make(chan struct{}, 1)
	setLockHooks(t, nil, func() { ended <- struct{}{} })
	waiter := store.NewFileStore(dir, store.Options{LockTimeout: 100 * time.Millisecond, Actor: "bob"})
	called := false
	err := waiter.Update(id, func(*release.Release) error { called = true; return nil })
	e := wantLocked(t, err)
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

	next := withLockTimeout(child(t, "hold", dir, id, "carol", ""), -1)
	done := startChildUntil(t, next, "locked") // fails if the lock is still held
	done.Close()
	if err := waitExit(t, next); err != nil {
		t.Fatalf("next process: %v", err)
	}
	try := store.NewFileStore(dir, store.Options{LockTimeout: -1, Actor: "dave"})
	if err := try.Update(id, signItem(0, "dave")); err != nil {
		t.Fatalf("a first try after the abandoned wait: %v", err)
	}
	checkReleased(t, s, dir, map[string]string{"dave": storetest.Item(0)})
}

// TestLockWaitersRaceTheirDeadlines: many writers wait behind a holder
// process with deadlines spread over the time the lock passes from one to
// the next, so some get it and some give up, a few around the moment the
// lock comes. Each either writes its event or names a holder; none is
// lost or doubled, and once every abandoned wait is over the lock is free.
func TestLockWaitersRaceTheirDeadlines(t *testing.T) {
	const waiters = 16
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(waiters))
	holder := child(t, "hold", dir, id, "alice", "")
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
			w := store.NewFileStore(dir, store.Options{LockTimeout: time.Duration(1+5*i) * time.Millisecond, Actor: fmt.Sprint("w", i)})
			errsOf[i] = w.Update(id, signItem(i, fmt.Sprint("w", i)))
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

	wrote := map[string]string{}
	for i, err := range errsOf {
		if err == nil {
			wrote[fmt.Sprint("w", i)] = storetest.Item(i)
			continue
		}
		if e := wantLocked(t, err); !strings.Contains(e.Error(), "is locked by") {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	t.Logf("%d of %d writers got the lock before their deadline", len(wrote), waiters)

	next := withLockTimeout(child(t, "hold", dir, id, "carol", ""), -1)
	done := startChildUntil(t, next, "locked")
	done.Close()
	if err := waitExit(t, next); err != nil {
		t.Fatalf("next process: %v", err)
	}
	checkReleased(t, s, dir, wrote)
}
