package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// TestKilledSigners kills `octorelease sign` processes with SIGKILL at
// random moments while another writer runs. The binary is built with
// -tags testhooks and OCTORELEASE_TEST_WRITE_DELAY (default 20ms) holds each
// writer between writing its temp file and renaming it, so many kills land
// mid-write. After every kill: the state file and its backup parse and
// verify, every sign-off whose process exited 0 is there exactly once, the
// temp files of a killed writer are gone once the next writer has run, and
// no stale lock blocks the next writer. OCTORELEASE_STRESS_KILLS sets how
// many processes are killed (default 20).
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
	w := newWorkdir(t, binary(t, "testhooks"), 2*maxRounds+4)
	w.start()
	env := []string{"OCTORELEASE_TEST_WRITE_DELAY=" + delay}
	next := 0
	sign := func(actor string, timeout string) *proc {
		item := itemID(next)
		next++
		return w.startProcess(env, "sign", item, "--role", "qa", "--as", actor, "--lock-timeout", timeout)
	}

	// Aim the kills: a writer's whole life, measured unhindered.
	var life time.Duration
	for i := range 3 {
		r := sign(fmt.Sprint("calibrate-", i), "10s").wait()
		if r.code != 0 {
			t.Fatalf("calibration: %s", r)
		}
		life = max(life, r.dur)
	}
	window := life * 3 / 2

	var (
		succeeded         = map[string]string{} // actor -> item, for processes that exited 0
		killed, landed    int                   // killed; killed but the sign-off was already renamed in
		isolated          int                   // kills with no other writer running
		tempsAfterKill    int                   // of those, kills that left a temp file (mid-write)
		heldLock          int                   // of those, kills of a process holding the lock
		missed            int                   // the victim finished before the kill
		prevTemps         []string
		slowestBystander  time.Duration
		rounds            int
		itemOf            = map[string]string{}
		chainChecks, baks int
	)
	for rounds = 0; killed < kills && rounds < maxRounds; rounds++ {
		victimActor, byActor := fmt.Sprintf("victim-%d", rounds), fmt.Sprintf("bystander-%d", rounds)
		itemOf[victimActor], itemOf[byActor] = itemID(next), itemID(next+1)
		// In even rounds the other writer races the victim (and may be
		// waiting for its lock when it dies); in odd rounds it starts after
		// the kill, so what the victim left can be seen on its own.
		racing := rounds%2 == 0
		victim := sign(victimActor, "30s")
		var bystander *proc
		if racing {
			bystander = sign(byActor, "30s")
		}
		time.Sleep(rand.N(window))
		_ = victim.cmd.Process.Kill()
		vr := victim.wait()
		if !racing {
			if vr.signaled {
				isolated++
				if len(w.tempFiles()) > 0 {
					tempsAfterKill++
				}
				if b, _ := os.ReadFile(w.stateFile() + ".lock"); strings.Contains(string(b), fmt.Sprintf(`"pid":%d,`, vr.pid)) {
					heldLock++
				}
			}
			bystander = sign(byActor, "30s")
		}
		br := bystander.wait()
		slowestBystander = max(slowestBystander, br.dur)

		switch {
		case vr.signaled:
			killed++
		case vr.code == 0:
			missed++
			succeeded[victimActor] = itemOf[victimActor]
		default:
			t.Fatalf("round %d: victim failed before the kill: %s", rounds, vr)
		}
		if br.code != 0 {
			t.Fatalf("round %d: the writer next to a killed one failed (stale lock?): %s", rounds, br)
		}
		succeeded[byActor] = itemOf[byActor]

		// The file parses and verifies after every kill; so does the backup.
		r, _ := w.load()
		chainChecks++
		if bak, err := os.ReadFile(w.stateFile() + ".bak"); err == nil {
			if p := release.VerifyBytes(bak); p != nil {
				t.Fatalf("round %d: backup does not verify: %v", rounds, p)
			}
			baks++
		}
		got := signers(r)
		for actor, item := range succeeded {
			if a := got[item]; len(a) != 1 || a[0] != actor {
				t.Fatalf("round %d: %s exited 0 but %s is signed by %v", rounds, actor, item, a)
			}
		}
		if vr.signaled && slices.Equal(got[itemOf[victimActor]], []string{victimActor}) {
			landed++
		}
		if r.Serial != int64(len(r.Events)) {
			t.Fatalf("round %d: serial %d with %d events: a write was lost or doubled", rounds, r.Serial, len(r.Events))
		}
		// The bystander got the lock after any earlier kill, so the temp
		// files seen after the previous round must be gone.
		for _, p := range prevTemps {
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("round %d: temp file %s of a killed writer survived the next writer", rounds, p)
			}
		}
		prevTemps = w.tempFiles()
		if rounds%25 == 0 {
			if a := w.run("audit", "verify"); a.code != 0 {
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
	if final.code != 0 {
		t.Fatalf("writer after the kills: %s", final)
	}
	if tmp := w.tempFiles(); tmp != nil {
		t.Errorf("temp files left after the next writer: %v", tmp)
	}
	if b, err := os.ReadFile(w.stateFile() + ".lock"); err != nil || len(b) != 0 {
		t.Errorf("lock file after the last writer: %q, %v; want it empty and present", b, err)
	}
	if a := w.run("audit", "verify"); a.code != 0 || !strings.Contains(a.stdout, "chain intact") {
		t.Errorf("audit verify: %s", a)
	}
	figure(t, "writers killed with SIGKILL (all survived)", killed)
	figure(t, "kills seen in isolation: died holding the lock / left a temp file", fmt.Sprintf("%d of %d / %d of %d", heldLock, isolated, tempsAfterKill, isolated))
	figure(t, "kills after the rename (sign-off kept)", landed)
	figure(t, "kill rounds / victims that finished first", fmt.Sprintf("%d / %d", rounds, missed))
	figure(t, "writers that exited 0, all recorded", len(succeeded)+1)
	figure(t, "state+backup verifications after kills", fmt.Sprintf("%d+%d", chainChecks, baks))
	figure(t, "write delay hook / kill window", fmt.Sprintf("%s / %v", delay, window.Round(time.Millisecond)))
	figure(t, "slowest writer next to a kill", slowestBystander.Round(time.Millisecond))
}
