package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestConcurrentWriterProcesses: many processes each sign their own item
// of one release at once; none of their events is lost and the release
// assembles clean, while a reader that takes no lock always loads it
// whole, never with fewer events than before. OCTORELEASE_STRESS_WRITERS
// sets the count (default 20; internal/reliability has the heavy version).
func TestConcurrentWriterProcesses(t *testing.T) {
	writers := envInt(t, "OCTORELEASE_STRESS_WRITERS", 20)
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(writers))

	stop := make(chan struct{})
	var reads atomic.Int64
	readErr := make(chan error, 1)
	go func() { readErr <- storetest.LoadUntil(s, id, stop, &reads, nil) }()

	cmds := make([]*exec.Cmd, writers)
	stderr := make([]bytes.Buffer, writers)
	for i := range cmds {
		cmds[i] = child(t, "append", dir, id, fmt.Sprint("writer-", i), storetest.Item(i))
		cmds[i].Stderr = &stderr[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v: %s", i, err, stderr[i].String())
		}
	}
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}

	r := intact(t, s, id)
	if len(r.Events) != 1+writers {
		t.Errorf("%d events, want %d", len(r.Events), 1+writers)
	}
	got := signers(r)
	for i := range writers {
		if want := []string{fmt.Sprint("writer-", i)}; !slices.Equal(got[storetest.Item(i)], want) {
			t.Errorf("%s signed by %v, want %v", storetest.Item(i), got[storetest.Item(i)], want)
		}
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	t.Logf("%d writers, %d lock-free reads, all whole", writers, reads.Load())
}

// TestKilledWriters SIGKILLs writer processes at random moments (build with
// -tags testhooks and set OCTORELEASE_TEST_WRITE_DELAY to land more kills
// between the temp write and the link). Afterwards the release assembles
// clean, every writer that exited 0 has its sign-off, the next writer
// sweeps the temp files and no lock is left stale.
// OCTORELEASE_STRESS_KILLS sets the number of rounds (default 10).
func TestKilledWriters(t *testing.T) {
	rounds := envInt(t, "OCTORELEASE_STRESS_KILLS", 10)
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(2*rounds+1))

	// Kills aim at the write: a random moment within killWindow after the
	// writer says it is about to update (plus the hook's delay, if any).
	killWindow := 4 * time.Millisecond
	hookDelay, _ := time.ParseDuration(os.Getenv("OCTORELEASE_TEST_WRITE_DELAY"))
	if !store.TestHooks {
		hookDelay = 0
	}
	killWindow += 2 * max(hookDelay, 0)
	var (
		mu        sync.Mutex
		succeeded = map[string]string{} // actor → item
		killed    int
		midWrite  int // kills after which temp files were seen
		prevTemps []string
	)
	for round := range rounds {
		// Two writers race; one of them is killed at a random moment.
		var wg sync.WaitGroup
		roundOK := false
		for w := range 2 {
			actor, item := fmt.Sprintf("r%d-w%d", round, w), storetest.Item(2*round+w)
			cmd := child(t, "append", dir, id, actor, item)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				if w == 0 {
					_, _ = bufio.NewReader(out).ReadString('\n')
					time.Sleep(rand.N(killWindow))
					_ = cmd.Process.Kill()
				}
				_, _ = io.Copy(io.Discard, out)
				err := cmd.Wait()
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					succeeded[actor] = item
					roundOK = true
				case w == 0:
					killed++
					if len(tempFiles(t, dir)) > 0 {
						midWrite++
					}
				default:
					t.Errorf("writer %s that was not killed failed: %v", actor, err)
				}
			})
		}
		wg.Wait()
		// A writer that got the lock after a killed one swept its temps.
		if roundOK {
			for _, p := range prevTemps {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("round %d: temp file %s of a killed writer survived the next writer", round, p)
				}
			}
		}
		prevTemps = tempFiles(t, dir)
	}

	// No stale lock: the next writer gets in at once and sweeps the temps.
	next := store.NewFileStore(dir, store.Options{LockTimeout: 2 * time.Second, Actor: "final"})
	mustUpdate(t, next, id, signItem(2*rounds, "final"))
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left after the next writer: %v", tmp)
	}

	r := intact(t, s, id)
	got := signers(r)
	for actor, item := range succeeded {
		if !slices.Equal(got[item], []string{actor}) {
			t.Errorf("writer %s exited 0 but %s is signed by %v", actor, item, got[item])
		}
	}
	for item, by := range got {
		if len(by) != 1 {
			t.Errorf("%s signed by %v", item, by)
		}
	}
	t.Logf("%d rounds: %d writers exited 0, %d killed, %d of them mid-write (temp file left)",
		rounds, len(succeeded), killed, midWrite)
	if hookDelay > 0 && rounds >= 10 && midWrite == 0 {
		t.Error("with the write delay hook, no kill landed mid-write")
	}
}
