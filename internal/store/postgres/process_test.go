//go:build unix

package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestConcurrentSigners starts many `octorelease sign` processes against
// one release in one database at once, each signing an item of its own,
// while readers (status processes, and direct loads) run without a lock.
// Every sign-off must be recorded exactly once, the release must hold one
// event per writer plus the start, `audit verify` and `gate` must pass,
// and no read may fail or see the event count go back.
// OCTORELEASE_PG_WRITERS sets the writer count (default 100).
func TestConcurrentSigners(t *testing.T) {
	t.Parallel()
	writers := envInt(t, "OCTORELEASE_PG_WRITERS", 100)
	p := newProject(t, binary(t, ""), writers)
	p.must(p.run("start", "1.0.0", "--type", "minor", "--no-walk"))
	s := p.store()

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var loads, statuses atomic.Int64
	var intermediate sync.Map
	readErrs := make(chan error, 8)
	report := func(err error) {
		select {
		case readErrs <- err:
		default:
		}
	}
	readers.Go(func() {
		if err := storetest.LoadUntil(s, releaseID, stop, &loads, &intermediate); err != nil {
			report(err)
		}
	})
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := p.run("status", "-o", "json")
			if r.Code != 0 || !json.Valid([]byte(r.Stdout)) {
				report(fmt.Errorf("status during the writes: %s", r))
				return
			}
			statuses.Add(1)
		}
	})

	start := time.Now()
	procs := make([]*proc, writers)
	for i := range procs {
		procs[i] = p.startProcess(nil, "sign", itemID(i), "--role", "qa", "--as", fmt.Sprint("writer-", i),
			"--note", fmt.Sprint("process ", i), "--lock-timeout", "5m")
	}
	var slowest time.Duration
	for i, pr := range procs {
		r := pr.wait()
		slowest = max(slowest, r.Dur)
		if r.Code != 0 {
			t.Errorf("writer %d: %s", i, r)
		}
	}
	elapsed := time.Since(start)
	time.Sleep(50 * time.Millisecond)
	close(stop)
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Error(err)
	}

	r := verified(t, s, releaseID)
	got := storetest.Signers(r)
	for i := range writers {
		if a := got[itemID(i)]; !slices.Equal(a, []string{fmt.Sprint("writer-", i)}) {
			t.Errorf("%s signed by %v, want [writer-%d]", itemID(i), a, i)
		}
	}
	if len(r.Events) != 1+writers {
		t.Errorf("%d events, want %d", len(r.Events), 1+writers)
	}
	if a := p.run("audit", "verify"); a.Code != 0 {
		t.Errorf("audit verify: %s", a)
	}
	if g := p.run("gate"); g.Code != 0 {
		t.Errorf("gate after every item was signed: %s", g)
	}
	seen := 0
	intermediate.Range(func(k, _ any) bool {
		if n := k.(int); n > 1 && n < 1+writers {
			seen++
		}
		return true
	})
	t.Logf("figure: %d concurrent sign processes in %v (slowest %v, %.0f sign-offs/s); "+
		"%d lock-free loads saw %d intermediate versions; %d status processes, all whole",
		writers, elapsed.Round(time.Millisecond), slowest.Round(time.Millisecond),
		float64(writers)/elapsed.Seconds(), loads.Load(), seen, statuses.Load())
}

// TestKilledWriters kills `octorelease sign` processes with SIGKILL while
// they write, half of them aimed at the moment their transaction is open
// (the testhooks build holds each writer inside its transaction for
// OCTORELEASE_TEST_PG_WRITE_DELAY), while another writer races them.
// After every kill: the release loads and verifies; every sign-off of a
// process that exited 0 is there exactly once; a killed process's
// sign-offs, three items in one command for half of them, are all there
// or none (a transaction commits whole); the next writer is not blocked.
// OCTORELEASE_PG_KILLS sets how many processes are killed (default 16).
func TestKilledWriters(t *testing.T) {
	t.Parallel()
	kills := envInt(t, "OCTORELEASE_PG_KILLS", 16)
	maxRounds := kills * 4
	p := newProject(t, binary(t, "testhooks"), 4*maxRounds+8)
	p.must(p.run("start", "1.0.0", "--type", "minor", "--no-walk"))
	s := p.store()
	env := []string{"OCTORELEASE_TEST_PG_WRITE_DELAY=30ms"}
	next := 0
	itemsOf := map[string][]string{}
	sign := func(actor string, n int) *proc {
		for range n {
			itemsOf[actor] = append(itemsOf[actor], itemID(next))
			next++
		}
		args := append([]string{"sign"}, itemsOf[actor]...)
		return p.startProcess(env, append(args, "--role", "qa", "--as", actor, "--lock-timeout", "60s")...)
	}
	var life time.Duration
	for i := range 2 {
		r := sign(fmt.Sprint("calibrate-", i), 3).wait()
		if r.Code != 0 {
			t.Fatalf("calibration: %s", r)
		}
		life = max(life, r.Dur)
	}
	succeeded := []string{"calibrate-0", "calibrate-1"}
	var killed, inTx, whole, none, missed int
	for round := 0; killed < kills && round < maxRounds; round++ {
		victimActor, byActor := fmt.Sprint("victim-", round), fmt.Sprint("bystander-", round)
		n := 1 + 2*(round%2)
		victim := sign(victimActor, n)
		bystander := sign(byActor, 1)
		if round%2 == 0 {
			time.Sleep(rand.N(life * 3 / 2))
		} else if !waitInTransaction(t, p, victimActor, life*4) {
			t.Logf("round %d: the victim's transaction was not seen open", round)
		}
		open := inTransaction(t, p, victimActor)
		_ = victim.Cmd.Process.Kill()
		vr := victim.wait()
		br := bystander.wait()
		if br.Code != 0 {
			t.Fatalf("round %d: the writer next to a killed one failed: %s", round, br)
		}
		succeeded = append(succeeded, byActor)
		switch {
		case vr.Signaled:
			killed++
			if open {
				inTx++
			}
		case vr.Code == 0:
			missed++
			succeeded = append(succeeded, victimActor)
		default:
			t.Fatalf("round %d: the victim failed before the kill: %s", round, vr)
		}

		r := verified(t, s, releaseID)
		got := storetest.Signers(r)
		for _, actor := range succeeded {
			for _, item := range itemsOf[actor] {
				if a := got[item]; !slices.Equal(a, []string{actor}) {
					t.Fatalf("round %d: %s signed by %v, want [%s] (acknowledged)", round, item, a, actor)
				}
			}
		}
		if vr.Signaled {
			landed := 0
			for _, item := range itemsOf[victimActor] {
				switch a := got[item]; {
				case len(a) == 0:
				case slices.Equal(a, []string{victimActor}):
					landed++
				default:
					t.Fatalf("round %d: %s signed by %v", round, item, a)
				}
			}
			switch landed {
			case 0:
				none++
			case n:
				whole++
			default:
				t.Fatalf("round %d: %d of the killed writer's %d sign-offs landed: half a transaction", round, landed, n)
			}
		}
	}
	if killed < kills {
		t.Fatalf("only %d of %d victims were killed before they finished", killed, kills)
	}
	if inTx == 0 {
		t.Errorf("no kill landed inside an open transaction")
	}
	if a := p.run("audit", "verify"); a.Code != 0 {
		t.Errorf("audit verify: %s", a)
	}
	t.Logf("figure: %d writers killed (%d inside an open transaction), %d left all their sign-offs, %d none, never a part; %d finished first",
		killed, inTx, whole, none, missed)
}

// inTransaction reports whether actor's writer has its transaction open:
// its connection's application_name names it while it does.
func inTransaction(t testing.TB, p *project, actor string) bool {
	rows := pgtest.Query(t, p.schema.Admin,
		`SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 AND xact_start IS NOT NULL`,
		"%: "+actor+" on %")
	return len(rows) == 1 && rows[0] != "0"
}

func waitInTransaction(t testing.TB, p *project, actor string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if inTransaction(t, p, actor) {
			time.Sleep(rand.N(20 * time.Millisecond))
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// TestTerminatedConnections drops writers' connections from the server
// side while they write (pg_terminate_backend, as a failover or an
// administrator does), many times. A writer either succeeds, trying again
// on a new connection, and its sign-off is there exactly once, or fails
// with exit 1 and one line saying nothing was stored, and it is not there.
// Nothing is ever half-written.
func TestTerminatedConnections(t *testing.T) {
	t.Parallel()
	const writers, parallel = 40, 8
	p := newProject(t, binary(t, "testhooks"), writers)
	app := "octotest-" + strings.ToLower(p.schema.Name[len(p.schema.Name)-8:])
	p.env = append(p.env, "OCTORELEASE_PG_DSN="+pgtest.WithParam(p.schema.DSN, "application_name", app))
	p.must(p.run("start", "1.0.0", "--type", "minor", "--no-walk"))
	s := p.store()

	stop := make(chan struct{})
	var terminated atomic.Int64
	var cutMu sync.Mutex
	cut := map[string]int{} // actor -> connections terminated
	var killer sync.WaitGroup
	killer.Go(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, p.schema.Admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(10+rand.IntN(30)) * time.Millisecond):
			}
			// One writer in a transaction at a time, at random.
			rows, err := c.Query(ctx, `SELECT application_name FROM (SELECT pid, application_name FROM pg_stat_activity
				WHERE application_name LIKE $1 AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
				ORDER BY random() LIMIT 1) AS one WHERE pg_terminate_backend(pid)`, app+"%")
			if err != nil {
				t.Error(err)
				return
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Error(err)
				return
			}
			cutMu.Lock()
			for _, name := range names {
				terminated.Add(1)
				if _, rest, ok := strings.Cut(name, ": "); ok {
					actor, _, _ := strings.Cut(rest, " on ")
					cut[actor]++
				}
			}
			cutMu.Unlock()
		}
	})

	env := []string{"OCTORELEASE_TEST_PG_WRITE_DELAY=20ms"}
	results := make([]result, writers)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = p.startProcess(env, "sign", itemID(i), "--role", "qa", "--as", fmt.Sprint("writer-", i)).wait()
		})
	}
	wg.Wait()
	close(stop)
	killer.Wait()

	r := verified(t, s, releaseID)
	got := storetest.Signers(r)
	ok, failed, recovered := 0, 0, 0
	for i, res := range results {
		item, actor := itemID(i), fmt.Sprint("writer-", i)
		switch {
		case res.Code == 0:
			ok++
			if cut[actor] > 0 {
				recovered++
			}
			if a := got[item]; !slices.Equal(a, []string{actor}) {
				t.Errorf("writer %d exited 0, and %s is signed by %v", i, item, a)
			}
		case res.Code == 1:
			failed++
			if failed <= 2 {
				t.Logf("writer %d failed: %s", i, strings.TrimSpace(res.Stderr))
			}
			if err := oneLine(res.Stderr); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
			if strings.Contains(res.Stderr, "nothing was stored") && len(got[item]) != 0 {
				t.Errorf("writer %d said nothing was stored, and %s is signed by %v", i, item, got[item])
			}
			if len(got[item]) > 1 {
				t.Errorf("%s signed %d times", item, len(got[item]))
			}
		default:
			t.Errorf("writer %d: %s", i, res)
		}
	}
	if terminated.Load() == 0 {
		t.Error("no connection was terminated")
	}
	if a := p.run("audit", "verify"); a.Code != 0 {
		t.Errorf("audit verify: %s", a)
	}
	if recovered == 0 {
		t.Error("no writer whose connection was terminated succeeded on a new one")
	}
	t.Logf("figure: %d writer connections terminated mid-transaction; %d of %d writers succeeded (%d of them after losing a connection), %d failed cleanly (three connections lost), nothing half-written or doubled",
		terminated.Load(), ok, writers, recovered, failed)
}
