package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// TestConcurrentWriterProcesses: many processes append to one release at
// once; none of their events is lost and the chain verifies, while a reader
// that takes no lock always sees a whole file with a serial that never goes
// back. OCTORELEASE_STRESS_WRITERS sets the count (default 50).
func TestConcurrentWriterProcesses(t *testing.T) {
	writers := envInt(t, "OCTORELEASE_STRESS_WRITERS", 50)
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")

	stop := make(chan struct{})
	var reads atomic.Int64
	readErr := make(chan error, 1)
	go func() { readErr <- readUntil(s, stop, &reads) }()

	cmds := make([]*exec.Cmd, writers)
	stderr := make([]bytes.Buffer, writers)
	for i := range cmds {
		cmds[i] = child(t, "append", dir, "v1.4.0", fmt.Sprint("writer-", i))
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

	r, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if p := release.VerifyBytes(readFile(t, filepath.Join(dir, "v1.4.0.json"))); p != nil {
		t.Fatalf("chain: %v", p)
	}
	got := actors(r)
	for i := range writers {
		if n := got[fmt.Sprint("writer-", i)]; n != 1 {
			t.Errorf("writer-%d has %d events, want 1", i, n)
		}
	}
	if r.Serial != int64(1+writers) {
		t.Errorf("serial %d, want %d", r.Serial, 1+writers)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	t.Logf("%d writers, %d lock-free reads, all whole", writers, reads.Load())
}

// readUntil loads the release in a loop without a lock; every read must
// parse and serials must never go back.
func readUntil(s *FileStore, stop <-chan struct{}, reads *atomic.Int64) error {
	var last int64
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		r, err := s.Load("v1.4.0")
		if err != nil {
			return fmt.Errorf("reader: %w", err)
		}
		if r.Serial < last {
			return fmt.Errorf("reader: serial went back from %d to %d", last, r.Serial)
		}
		last = r.Serial
		reads.Add(1)
	}
}

// TestKilledWriters SIGKILLs writer processes at random moments (build with
// -tags testhooks and set OCTORELEASE_TEST_WRITE_DELAY to land more kills
// between the temp write and the rename). Afterwards the file parses and
// verifies, every writer that exited 0 has its event, the next writer sweeps
// the temp files and no lock is left stale. OCTORELEASE_STRESS_KILLS sets
// the number of rounds (default 30).
func TestKilledWriters(t *testing.T) {
	rounds := envInt(t, "OCTORELEASE_STRESS_KILLS", 30)
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")

	// Kills aim at the write: a random moment within killWindow after the
	// writer says it is about to update (plus the hook's delay, if any).
	killWindow := 4 * time.Millisecond
	hookDelay, _ := time.ParseDuration(os.Getenv("OCTORELEASE_TEST_WRITE_DELAY"))
	if !testHooks {
		hookDelay = 0
	}
	killWindow += 2 * max(hookDelay, 0)
	var (
		mu        sync.Mutex
		succeeded []string
		killed    int
		midWrite  int // kills after which temp files were seen
		prevTemps []string
	)
	for round := range rounds {
		// Two writers race; one of them is killed at a random moment.
		var wg sync.WaitGroup
		roundOK := false
		for w := range 2 {
			actor := fmt.Sprintf("r%d-w%d", round, w)
			cmd := child(t, "append", dir, "v1.4.0", actor)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
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
					succeeded = append(succeeded, actor)
					roundOK = true
				case w == 0:
					killed++
					if len(tempFiles(t, dir)) > 0 {
						midWrite++
					}
				default:
					t.Errorf("writer %s that was not killed failed: %v", actor, err)
				}
			}()
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
	next := NewFileStore(dir, Options{LockTimeout: 2 * time.Second, Actor: "final"})
	if err := next.Update("v1.4.0", signBy("final")); err != nil {
		t.Fatalf("writer after the kills: %v", err)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left after the next writer: %v", tmp)
	}

	data := readFile(t, filepath.Join(dir, "v1.4.0.json"))
	if p := release.VerifyBytes(data); p != nil {
		t.Fatalf("after kills: %v", p)
	}
	r, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	got := actors(r)
	for _, a := range succeeded {
		if got[a] != 1 {
			t.Errorf("writer %s exited 0 but has %d events", a, got[a])
		}
	}
	for a, n := range got {
		if n != 1 && a != "alice" {
			t.Errorf("actor %s has %d events", a, n)
		}
	}
	if r.Serial != int64(len(r.Events)) {
		t.Errorf("serial %d with %d events: a write was lost or doubled", r.Serial, len(r.Events))
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.4.0.json.bak")); err != nil {
		t.Errorf("backup: %v", err)
	}
	t.Logf("%d rounds: %d writers exited 0, %d killed, %d of them mid-write (temp file left)",
		rounds, len(succeeded), killed, midWrite)
	if hookDelay > 0 && rounds >= 10 && midWrite == 0 {
		t.Error("with the write delay hook, no kill landed mid-write")
	}
}
