package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testbin"
)

// TestKilledSigners kills `octorelease sign` processes with SIGKILL at
// random moments while another writer runs. The binary is built with
// -tags testhooks, and OCTORELEASE_TEST_WRITE_DELAY (default 20ms) holds
// each writer before each event file it writes, so kills land inside
// writes, between the event files of one write and (less often) inside the
// writing of one file. Every other victim signs three items in one command:
// three event files, written in order, of which a kill may leave a prefix
// (docs/reliability.md). After every kill: the release loads and `audit
// verify`'s check finds nothing (no event file is partial or out of form);
// every sign-off of a process that exited 0 is there exactly once; a killed
// process left a prefix of its sign-offs, each at most once; the event
// count is one per event of the processes that exited 0 plus those
// prefixes (no write lost or doubled); readers ignore the temp files a
// killed writer left, and the next writer sweeps them; no stale lock blocks
// the next writer. OCTORELEASE_STRESS_KILLS sets how many processes are
// killed (default 20).
func TestKilledSigners(t *testing.T) {
	kills := envInt(t, "OCTORELEASE_STRESS_KILLS", 20)
	delay := os.Getenv("OCTORELEASE_TEST_WRITE_DELAY")
	if delay == "" {
		delay = "20ms"
	}
	if _, err := time.ParseDuration(delay); err != nil {
		t.Fatalf("OCTORELEASE_TEST_WRITE_DELAY=%q: %v", delay, err)
	}
	maxRounds := kills * 4
	w := newWorkdir(t, binary(t, "testhooks"), 4*maxRounds+16)
	w.start()
	env := []string{"OCTORELEASE_TEST_WRITE_DELAY=" + delay}
	next := 0
	itemsOf := map[string][]string{} // actor -> the items it signs, in order
	sign := func(actor string, n int, timeout string) *testbin.Proc {
		for range n {
			itemsOf[actor] = append(itemsOf[actor], itemID(next))
			next++
		}
		args := append([]string{"sign"}, itemsOf[actor]...)
		return w.startProcess(env, append(args, "--role", "qa", "--as", actor, "--lock-timeout", timeout)...)
	}

	// Aim the kills: the whole life of a three-item writer, unhindered.
	var life time.Duration
	for i := range 3 {
		r := sign(fmt.Sprint("calibrate-", i), 3, "10s").Wait()
		if r.Code != 0 {
			t.Fatalf("calibration: %s", r)
		}
		life = max(life, r.Dur)
	}
	window := life * 3 / 2
	succeeded := []string{"calibrate-0", "calibrate-1", "calibrate-2"}

	plantedTempIgnoredAndSwept(t, w, func() result { return sign("sweeper", 1, "10s").Wait() })
	succeeded = append(succeeded, "sweeper")

	var (
		victims           []string // actors killed
		killed, landed    int      // killed; sign-offs of killed ones that landed
		partial           int      // killed multi-item writers that left a proper prefix
		isolated          int      // kills with no other writer running
		tempsAfterKill    int      // of those, kills that left a temp file (inside a file's write)
		heldLock          int      // of those, kills of a process holding the lock
		missed            int      // the victim finished before the kill
		prevTemps         []string
		slowestBystander  time.Duration
		rounds, verifies  int
		readsWithTemps    int
		succeededEvents   = 3*3 + 1
		killedCouldWrite  int
		killedEventsFound int
	)
	for rounds = 0; killed < kills && rounds < maxRounds; rounds++ {
		victimActor, byActor := fmt.Sprintf("victim-%d", rounds), fmt.Sprintf("bystander-%d", rounds)
		n := 1
		if rounds%4 >= 2 {
			n = 3
		}
		// In even rounds the other writer races the victim (and may be
		// waiting for its lock when it dies); in odd rounds it starts after
		// the kill, so what the victim left can be seen on its own.
		racing := rounds%2 == 0
		victim := sign(victimActor, n, "30s")
		var bystander *testbin.Proc
		if racing {
			bystander = sign(byActor, 1, "30s")
		}
		time.Sleep(rand.N(window))
		_ = victim.Cmd.Process.Kill()
		vr := victim.Wait()
		if !racing {
			if vr.Signaled {
				isolated++
				if b, _ := os.ReadFile(w.lockFile()); strings.Contains(string(b), fmt.Sprintf(`"pid":%d,`, vr.Pid)) {
					heldLock++
				}
				if len(w.tempFiles()) > 0 {
					tempsAfterKill++
					readsWithTemps++
					readersIgnoreTemps(t, w, fmt.Sprintf("round %d", rounds))
				}
			}
			bystander = sign(byActor, 1, "30s")
		}
		br := bystander.Wait()
		slowestBystander = max(slowestBystander, br.Dur)

		switch {
		case vr.Signaled:
			killed++
			victims = append(victims, victimActor)
			killedCouldWrite += n
		case vr.Code == 0:
			missed++
			succeeded = append(succeeded, victimActor)
			succeededEvents += n
		default:
			t.Fatalf("round %d: victim failed before the kill: %s", rounds, vr)
		}
		if br.Code != 0 {
			t.Fatalf("round %d: the writer next to a killed one failed (stale lock?): %s", rounds, br)
		}
		succeeded = append(succeeded, byActor)
		succeededEvents++

		// The release loads and verifies after every kill: no event file
		// is partial, none is out of form.
		r, _ := w.load()
		verifies++
		got := map[string][]string{} // item -> signers
		for _, e := range r.Events {
			if e.Kind == release.EventSign {
				got[e.Item] = append(got[e.Item], e.Actor)
			}
		}
		for _, actor := range succeeded {
			for _, item := range itemsOf[actor] {
				if a := got[item]; len(a) != 1 || a[0] != actor {
					t.Fatalf("round %d: %s exited 0 but %s is signed by %v", rounds, actor, item, a)
				}
			}
		}
		killedEventsFound = 0
		for _, actor := range victims {
			items, done := itemsOf[actor], 0
			for done < len(items) && slices.Equal(got[items[done]], []string{actor}) {
				done++
			}
			for _, item := range items[done:] {
				if got[item] != nil {
					t.Fatalf("round %d: killed %s left %v of %v: not a prefix (%s signed by %v)",
						rounds, actor, items[:done], items, item, got[item])
				}
			}
			killedEventsFound += done
			if actor == victimActor && vr.Signaled {
				landed += done
				if done > 0 && done < len(items) {
					partial++
				}
			}
		}
		if want := 1 + succeededEvents + killedEventsFound; len(r.Events) != want || len(w.eventFiles()) != want {
			t.Fatalf("round %d: %d events in %d event files, want %d (1 start + %d of processes that exited 0 + %d that killed ones left): a write was lost or doubled",
				rounds, len(r.Events), len(w.eventFiles()), want, succeededEvents, killedEventsFound)
		}
		// The bystander got the lock after any earlier kill, so the temp
		// files seen after the previous round must be gone.
		for _, p := range prevTemps {
			if _, err := os.Lstat(p); err == nil {
				t.Fatalf("round %d: temp file %s of a killed writer survived the next writer", rounds, p)
			}
		}
		prevTemps = w.tempFiles()
		if rounds%25 == 0 {
			if a := w.run("audit", "verify"); a.Code != 0 {
				t.Fatalf("round %d: %s", rounds, a)
			}
		}
	}
	if killed < kills {
		t.Fatalf("only %d of %d writers killed in %d rounds (the others finished first)", killed, kills, rounds)
	}

	// No stale lock: the next writer gets in at once, sweeps every temp
	// file and leaves the lock file without a holder line.
	final := w.runEnv(env, "sign", itemID(next), "--role", "qa", "--as", "final", "--lock-timeout", "1s")
	if final.Code != 0 {
		t.Fatalf("writer after the kills: %s", final)
	}
	if tmp := w.tempFiles(); tmp != nil {
		t.Errorf("temp files left after the next writer: %v", tmp)
	}
	if b, err := os.ReadFile(w.lockFile()); err != nil || len(b) != 0 {
		t.Errorf("lock file after the last writer: %q, %v; want it empty and present", b, err)
	}
	if a := w.run("audit", "verify"); a.Code != 0 || !strings.Contains(a.Stdout, "intact") {
		t.Errorf("audit verify: %s", a)
	}
	figure(t, "writers killed with SIGKILL (all survived)", killed)
	figure(t, "kills seen in isolation: died holding the lock / left a temp file", fmt.Sprintf("%d of %d / %d of %d", heldLock, isolated, tempsAfterKill, isolated))
	figure(t, "events of killed writers that landed / they could have written", fmt.Sprintf("%d / %d", landed, killedCouldWrite))
	figure(t, "killed three-item writes that left a proper prefix", partial)
	figure(t, "kill rounds / victims that finished first", fmt.Sprintf("%d / %d", rounds, missed))
	figure(t, "writers that exited 0, every sign-off recorded once", len(succeeded)+1)
	figure(t, "release loads + verifications after kills / reads beside a killed writer's temp file", fmt.Sprintf("%d / %d", verifies, readsWithTemps))
	figure(t, "write delay hook / kill window", fmt.Sprintf("%s / %v", delay, window.Round(time.Millisecond)))
	figure(t, "slowest writer next to a kill", slowestBystander.Round(time.Millisecond))
}

// readersIgnoreTemps runs the readers while a killed writer's temp files
// are in the release folder: they answer as if the files were not there.
func readersIgnoreTemps(t *testing.T, w *workdir, when string) {
	t.Helper()
	for _, c := range []struct {
		args  []string
		codes []int
	}{
		{[]string{"status", "-o", "json"}, []int{0}},
		{[]string{"gate"}, []int{0, 3}},
		{[]string{"log"}, []int{0}},
		{[]string{"audit", "verify"}, []int{0}},
	} {
		if r := w.run(c.args...); !slices.Contains(c.codes, r.Code) {
			t.Fatalf("%s, beside temp files %v: %s", when, w.tempFiles(), r)
		}
	}
}

// plantedTempIgnoredAndSwept leaves what a writer killed inside an event
// file's write leaves, whatever the kills land on: half an event in a temp
// file beside its final name, and the dead writer's holder line in the lock
// file. Readers ignore it; the next writer sweeps it and records its own
// sign-off.
func plantedTempIgnoredAndSwept(t *testing.T, w *workdir, sign func() result) {
	t.Helper()
	names := w.eventFiles()
	last, err := os.ReadFile(filepath.Join(w.eventsDir(), names[len(names)-1]))
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(w.eventsDir(), "20991231T235959.000000000Z-sign-s-999-qa-0123456789abcdef.json.tmp-00deadbeef00cafe")
	w.write(strings.TrimPrefix(tmp, w.dir+string(filepath.Separator)), string(last[:len(last)/2]))
	w.write(strings.TrimPrefix(w.lockFile(), w.dir+string(filepath.Separator)),
		`{"actor":"killed","host":"elsewhere","pid":999999999,"since":"2026-01-01T00:00:00Z"}`+"\n")
	readersIgnoreTemps(t, w, "planted temp file")
	if r := sign(); r.Code != 0 {
		t.Fatalf("writer after a planted temp file: %s", r)
	}
	if _, err := os.Lstat(tmp); err == nil {
		t.Fatalf("the next writer did not sweep %s", tmp)
	}
	if b, err := os.ReadFile(w.lockFile()); err != nil || len(b) != 0 {
		t.Fatalf("lock file after the sweeping writer: %q, %v; want it empty", b, err)
	}
}
