package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store/storetest"
	"github.com/octorelease/octorelease/internal/testbin"
)

// TestConcurrentSigners starts many `octorelease sign` processes on one
// release at once: a third each sign an item of their own, the others sign
// two-role items in pairs, one writer per role. Meanwhile, all without a
// lock, processes run `status -o json` and `gate -o json` in a loop, and
// goroutines load the release folder directly (every event file decoded,
// Assemble clean) and list its events. Every sign-off must be recorded
// exactly once, the release must hold one event per writer plus the start
// (no write lost or doubled), `audit verify` must pass, and no read may
// fail, see a damaged release or see the event count go back.
// OCTORELEASE_STRESS_WRITERS sets the writer count (default 120).
func TestConcurrentSigners(t *testing.T) {
	writers := envInt(t, "OCTORELEASE_STRESS_WRITERS", 120)
	pairs := (writers - writers/3) / 2
	solo := writers - 2*pairs
	w := newWorkdirPairs(t, binary(t, ""), solo, pairs)
	w.start()
	// want maps item/role to the writer that signs it.
	type signoff struct{ item, role string }
	want := map[signoff]string{}
	args := make([][]string, writers)
	for i := range writers {
		s := signoff{itemID(i), "qa"}
		if i >= solo {
			j := i - solo
			s = signoff{pairID(j / 2), []string{"qa", "sre"}[j%2]}
		}
		actor := fmt.Sprint("writer-", i)
		want[s] = actor
		args[i] = []string{"sign", s.item, "--role", s.role, "--as", actor,
			"--note", fmt.Sprint("process ", i), "--lock-timeout", "5m"}
	}

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var loads, listings, statusReads, gateReads atomic.Int64
	var versions sync.Map // event counts the direct loads saw
	readErrs := make(chan error, 16)
	report := func(err error) {
		select {
		case readErrs <- err:
		default:
		}
	}
	for _, f := range []func() error{
		func() error { return storetest.LoadUntil(w.store(), releaseID, stop, &loads, &versions) },
		func() error { return listUntil(w, stop, &listings) },
		func() error { return statusUntil(w, stop, &statusReads) },
		func() error { return gateUntil(w, stop, &gateReads) },
	} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			if err := f(); err != nil {
				report(err)
			}
		}()
	}

	start := time.Now()
	cmds := make([]*testbin.Proc, writers)
	for i := range cmds {
		cmds[i] = w.startProcess(nil, args[i]...)
	}
	var slowest time.Duration
	for i, c := range cmds {
		r := c.Wait()
		slowest = max(slowest, r.Dur)
		if r.Code != 0 {
			t.Errorf("writer %d: %s", i, r)
		}
	}
	elapsed := time.Since(start)
	// Keep reading a little after the last write, then stop the readers.
	time.Sleep(50 * time.Millisecond)
	close(stop)
	readers.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Error(err)
	}

	r, _ := w.load()
	got := map[signoff][]string{}
	signs := 0
	for _, e := range r.Events {
		if e.Kind == release.EventSign {
			got[signoff{e.Item, e.Role}] = append(got[signoff{e.Item, e.Role}], e.Actor)
			signs++
		}
	}
	for s, actor := range want {
		if a := got[s]; len(a) != 1 || a[0] != actor {
			t.Errorf("%s for %s signed by %v, want [%s]", s.item, s.role, a, actor)
		}
	}
	if files := len(w.eventFiles()); len(r.Events) != 1+writers || signs != writers || files != 1+writers {
		t.Errorf("%d events (%d sign-offs) in %d event files; want %d events, %d sign-offs",
			len(r.Events), signs, files, 1+writers, writers)
	}
	if a := w.run("audit", "verify"); a.Code != 0 {
		t.Errorf("audit verify: %s", a)
	}
	if g := w.run("gate"); g.Code != 0 {
		t.Errorf("gate after every item was signed: %s", g)
	}
	if tmp := w.tempFiles(); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
	// The readers must really have overlapped the writers: they saw
	// versions between the first and the last.
	seen := 0
	versions.Range(func(k, _ any) bool {
		if n := k.(int); n > 1 && n < 1+writers {
			seen++
		}
		return true
	})
	if seen < min(5, writers/4) {
		t.Errorf("direct loads saw only %d intermediate versions of %d: they did not overlap the writers", seen, writers-1)
	}
	figure(t, "concurrent sign processes (own items / pairs on two-role items)", fmt.Sprintf("%d (%d / %d)", writers, solo, 2*pairs))
	figure(t, "concurrent writers wall time", elapsed.Round(time.Millisecond))
	figure(t, "slowest writer (incl. lock wait)", slowest.Round(time.Millisecond))
	figure(t, "lock-free direct loads during the run, all whole / event listings", fmt.Sprintf("%d / %d", loads.Load(), listings.Load()))
	figure(t, "intermediate versions the direct loads saw", fmt.Sprintf("%d of %d", seen, writers-1))
	figure(t, "lock-free status -o json / gate -o json processes, all whole", fmt.Sprintf("%d / %d", statusReads.Load(), gateReads.Load()))
}

// listUntil is a fast lock-free reader: it lists the events folder in a
// loop, decodes only the files it has not seen (event files are immutable)
// and assembles the listed events with the header exactly as the store's
// Load does. In every listing each event's parents must be listed too (or
// be the header), every 16th listing must assemble clean (the full check
// costs more CPU than the writers being watched), and the number of event
// files never goes back (nothing is ever removed).
func listUntil(w *workdir, stop <-chan struct{}, n *atomic.Int64) error {
	data, err := os.ReadFile(w.headerFile())
	if err != nil {
		return err
	}
	h, err := release.DecodeHeader(data)
	if err != nil {
		return err
	}
	headerHash, err := h.Hash()
	if err != nil {
		return err
	}
	cache := map[string]release.Event{}
	last := 0
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		names := w.eventFiles()
		if len(names) < last {
			return fmt.Errorf("listing %d: went back from %d event files to %d", i, last, len(names))
		}
		last = len(names)
		read := func(names []string) ([]release.StoredEvent, error) {
			stored := make([]release.StoredEvent, 0, len(names))
			for _, name := range names {
				e, ok := cache[name]
				if !ok {
					data, err := os.ReadFile(filepath.Join(w.eventsDir(), name))
					if err != nil {
						return nil, fmt.Errorf("listing %d: %v", i, err)
					}
					if e, err = release.DecodeEvent(data); err != nil {
						return nil, fmt.Errorf("listing %d: %s: %v", i, name, err)
					}
					cache[name] = e
				}
				stored = append(stored, release.StoredEvent{Name: name, Event: e})
			}
			return stored, nil
		}
		stored, err := read(names)
		if err != nil {
			return err
		}
		// A listing taken while writers link files can hold a child but
		// not its parent (ext4 lists in hash order): the store lists
		// again, and so does this reader. What must hold is that a
		// listing begun after this one ended holds every parent.
		for try := 0; ; try++ {
			missing := missingParent(headerHash, stored)
			if missing == "" {
				break
			}
			if try == 5 {
				return fmt.Errorf("listing %d of %d event files: %s, and 5 listings after it too", i, len(stored), missing)
			}
			if stored, err = read(w.eventFiles()); err != nil {
				return err
			}
		}
		if i%16 == 0 {
			if _, damage := release.Assemble(h, stored); damage != nil {
				return fmt.Errorf("listing %d of %d event files does not assemble: %s", i, len(names), release.DescribeDamage(damage))
			}
		}
		n.Add(1)
	}
}

// missingParent describes an event of stored whose parent is not in
// stored, or is "" when every parent is there.
func missingParent(headerHash string, stored []release.StoredEvent) string {
	listed := map[string]bool{headerHash: true}
	for _, se := range stored {
		listed[se.Event.Hash] = true
	}
	for _, se := range stored {
		for _, p := range se.Event.Parents {
			if !listed[p] {
				return fmt.Sprintf("%s is listed but not its parent %s", se.Name, p[:16])
			}
		}
	}
	return ""
}

// statusUntil runs `status -o json` processes in a loop; each must succeed
// with whole JSON whose sign-off count never goes back.
func statusUntil(w *workdir, stop <-chan struct{}, n *atomic.Int64) error {
	last := 0
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		r := w.startProcess(nil, "status", "-o", "json").Wait()
		if r.Code != 0 {
			return fmt.Errorf("status read %d: %s", n.Load(), r)
		}
		var v struct {
			Phases []struct {
				Items []struct {
					Signoffs []json.RawMessage `json:"signoffs"`
				} `json:"items"`
			} `json:"phases"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
			return fmt.Errorf("status read %d: %v", n.Load(), err)
		}
		count := 0
		for _, p := range v.Phases {
			for _, it := range p.Items {
				count += len(it.Signoffs)
			}
		}
		if count < last {
			return fmt.Errorf("status read %d: sign-offs went back from %d to %d", n.Load(), last, count)
		}
		last = count
		n.Add(1)
	}
}

// gateUntil runs `gate -o json` processes in a loop; each must answer
// passed (exit 0) or not passed (exit 3) with whole JSON that agrees with
// its exit code, and the number of blockers never goes up.
func gateUntil(w *workdir, stop <-chan struct{}, n *atomic.Int64) error {
	last := -1
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		r := w.startProcess(nil, "gate", "-o", "json").Wait()
		var v struct {
			Passed   bool              `json:"passed"`
			Blockers []json.RawMessage `json:"blockers"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil || (r.Code != 0 && r.Code != 3) || v.Passed != (r.Code == 0) {
			return fmt.Errorf("gate read %d (%v): %s", n.Load(), err, r)
		}
		if last >= 0 && len(v.Blockers) > last {
			return fmt.Errorf("gate read %d: blockers went up from %d to %d", n.Load(), last, len(v.Blockers))
		}
		last = len(v.Blockers)
		n.Add(1)
	}
}

// startProcess starts octorelease without waiting for it. Safe to call from
// several goroutines.
func (w *workdir) startProcess(extraEnv []string, args ...string) *testbin.Proc {
	p, err := testbin.Start(w.command(extraEnv, args...))
	if err != nil {
		panic(fmt.Sprintf("start octorelease: %v", err)) // fork failing is not a test result
	}
	return p
}
