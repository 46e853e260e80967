package release

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// sinceOf is each waiting item's Since, by item id (the same item under
// two roles has one time).
func sinceOf(t *testing.T, r *Release, pol Policy) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, w := range r.Waiting(pol) {
		for _, it := range w.Items {
			if prev, ok := out[it.ID]; ok && !prev.Equal(it.Since) {
				t.Errorf("%s: since %v for one role, %v for another", it.ID, prev, it.Since)
			}
			out[it.ID] = it.Since
		}
	}
	if got := r.ActionableSince(pol); !reflect.DeepEqual(got, out) {
		t.Errorf("ActionableSince = %v, Waiting says %v", got, out)
	}
	return out
}

func wantSince(t *testing.T, r *Release, pol Policy, want map[string]time.Time) {
	t.Helper()
	if got := sinceOf(t, r, pol); !reflect.DeepEqual(got, want) {
		t.Errorf("since =\n%v\nwant\n%v", got, want)
	}
}

// TestWaitingAtStart: the first phase's items without needs are
// actionable from the start event, grouped by role in checklist order.
func TestWaitingAtStart(t *testing.T) {
	r := newTest(t)
	got := r.Waiting(open)
	want := []RoleWait{
		{Role: "developer", Items: []WaitItem{{"a", "Item A", t0}}},
		{Role: "qa", Items: []WaitItem{{"b", "Item B", t0}}},
		{Role: "sre", Items: []WaitItem{{"b", "Item B", t0}, {"c", "Item C", t0}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Waiting =\n%+v\nwant\n%+v", got, want)
	}
	// One role of two signed: b waits on sre only, still since the start.
	mustSign(t, r, open, "carol", "qa", "b")
	got = r.Waiting(open)
	if len(got) != 2 || got[0].Role != "developer" || got[1].Role != "sre" {
		t.Fatalf("after qa signed b: %+v", got)
	}
	if it := got[1].Items[0]; it.ID != "b" || !it.Since.Equal(t0) {
		t.Errorf("b after a partial sign-off: %+v, want since %v", it, t0)
	}
}

// TestWaitingPhaseAndNeeds: completing a phase makes the next phase's
// items actionable at that event's time; completing a need, its
// dependent at that event's time.
func TestWaitingPhaseAndNeeds(t *testing.T) {
	r := newTest(t)
	completePre(t, r) // the last event, c's sign-off, completes the phase
	done := r.Events[len(r.Events)-1].At
	wantSince(t, r, open, map[string]time.Time{"d": done, "e": done})

	mustSignAt(t, r, open, at(30), "alice", "", "e")
	wantSince(t, r, open, map[string]time.Time{"d": done, "f": at(30)})

	// A later sign-off of an unrelated item changes nobody's time.
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "alice", Reason: "no backup", At: at(40)}, open); err != nil {
		t.Fatal(err)
	}
	wantSince(t, r, open, map[string]time.Time{"f": at(30)})

	// g needs f: actionable when f is signed.
	mustSignAt(t, r, open, at(50), "carol", "", "f")
	wantSince(t, r, open, map[string]time.Time{"g": at(50)})
}

// TestWaitingRevoke: a revoke that reopens an item of an earlier phase
// blocks the later phase again; the reopened item is actionable from the
// revoke, and the later items from its new sign-off.
func TestWaitingRevoke(t *testing.T) {
	r := newTest(t)
	completePre(t, r)
	mustRevoke(t, r, open, at(20), "dev", "developer", "a")
	wantSince(t, r, open, map[string]time.Time{"a": at(20)})

	mustSignAt(t, r, open, at(25), "dev", "", "a")
	wantSince(t, r, open, map[string]time.Time{"d": at(25), "e": at(25)})
}

// TestWaitingPolicy: a sign-off the policy does not count does not make
// anything actionable, and does not move the item's own time.
func TestWaitingPolicy(t *testing.T) {
	r := newTest(t)
	mustSignAt(t, r, open, at(1), "dev", "", "a")
	// mallory is no qa under members: b still waits on qa, since the start.
	mustSignAt(t, r, open, at(2), "mallory", "qa", "b")
	got := sinceOf(t, r, members)
	if !got["b"].Equal(t0) {
		t.Errorf("b under members: since %v, want %v", got["b"], t0)
	}
	// Under the open policy, mallory's sign-off counts: b waits on sre
	// only, and still since the start.
	if got := sinceOf(t, r, open); !got["b"].Equal(t0) {
		t.Errorf("b under open: since %v, want %v", got["b"], t0)
	}
}

// TestWaitingForced: a forced sign-off finishes its item, so what it
// blocked becomes actionable at that event.
func TestWaitingForced(t *testing.T) {
	r := newTest(t)
	if err := r.Sign(SignRequest{Items: []string{"e"}, Actor: "alice", Force: true, Reason: "hotfix", At: at(5)}, open); err != nil {
		t.Fatal(err)
	}
	got := sinceOf(t, r, open)
	if _, ok := got["f"]; ok {
		t.Errorf("f is still blocked by phase pre, yet waiting: %v", got)
	}
	completePre(t, r)
	done := r.Events[len(r.Events)-1].At
	wantSince(t, r, open, map[string]time.Time{"d": done, "f": done})
}

// TestWaitingNotInProgress: a finished or aborted release waits on nobody.
func TestWaitingNotInProgress(t *testing.T) {
	r := newTest(t)
	mustStatus(t, r, StatusAborted, "superseded", at(5))
	if got := r.Waiting(open); len(got) != 0 {
		t.Errorf("aborted release waits on %+v", got)
	}
}

// TestWaitingVerifiesOnce: the prefixes evaluated share one verification
// per event.
func TestWaitingVerifiesOnce(t *testing.T) {
	r := newTest(t)
	completePre(t, r)
	calls := map[string]int{}
	pol := Policy{Verify: func(e Event, _ time.Time) error { calls[e.Hash]++; return errors.New("no key") }}
	for i := range r.Events {
		r.Events[i].Signature = "sig" // marks it signed: Verify runs
	}
	_ = r.Waiting(pol)
	for h, n := range calls {
		if n != 1 {
			t.Errorf("event %s verified %d times", h[:8], n)
		}
	}
	if len(calls) == 0 {
		t.Error("Verify never called")
	}
}

// naiveSince is the definition: evaluate the view after every prefix of
// the events, and take, for each item pending at the end, the time of the
// event after which it has been pending in every later view.
func naiveSince(r *Release, pol Policy) map[string]time.Time {
	out := map[string]time.Time{}
	for _, p := range r.Evaluate(pol).Phases {
		for _, it := range p.Items {
			if it.State != StatePending {
				continue
			}
			since := r.Events[0].At
			for n := len(r.Events) - 1; n >= 1; n-- {
				iv, _ := (&Release{Header: r.Header, Events: r.Events[:n]}).Evaluate(pol).Item(it.ID)
				if iv.State != StatePending {
					since = r.Events[n].At
					break
				}
			}
			out[it.ID] = since
		}
	}
	return out
}

// TestWaitingMatchesPrefixReplay compares the walk with the definition on
// random histories of sign-offs, waivers, revokes, forced sign-offs and
// checks.
func TestWaitingMatchesPrefixReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	items := newTest(t).Checklist.ItemIDs()
	actors := []string{"alice", "bob", "carol", "dev"}
	moved := 0                // items actionable since an event after the start
	quorum := testChecklist() // b needs two qa sign-offs
	quorum.Phases[0].Items[1].Approvals = map[string]int{"qa": 2}
	for run := range 300 {
		r := newTest(t)
		if run%2 == 1 {
			r = mustNew(t, testMeta(), quorum)
		}
		pol := []Policy{open, members, sod}[run%3]
		for step := range 4 + rng.IntN(40) {
			when := at(step + 1)
			// Mostly an item that can be acted on, so that phases complete.
			v := r.Evaluate(pol)
			var pending []string
			for _, p := range v.Phases {
				for _, it := range p.Items {
					if it.State == StatePending {
						pending = append(pending, it.ID)
					}
				}
			}
			id := items[rng.IntN(len(items))]
			if len(pending) > 0 && rng.IntN(4) > 0 {
				id = pending[rng.IntN(len(pending))]
			}
			iv, _ := v.Item(id)
			role := iv.Roles[rng.IntN(len(iv.Roles))]
			actor := actors[rng.IntN(len(actors))]
			switch rng.IntN(8) {
			case 0:
				_ = r.Revoke(ActionRequest{Item: id, Role: role, Actor: actor, Reason: "redo", At: when}, pol)
			case 1:
				_ = r.Waive(ActionRequest{Item: id, Role: role, Actor: actor, Reason: "n/a", At: when}, pol)
			case 2:
				_ = r.Sign(SignRequest{Items: []string{id}, Role: role, Actor: actor, Force: true, Reason: "now", At: when}, pol)
			case 3, 4:
				if iv.Check != nil {
					_ = r.RecordCheck(id, "ci", when, checkResult(id, rng.IntN(4) > 0))
				}
			default:
				_ = r.Sign(SignRequest{Items: []string{id}, Role: role, Actor: actor, At: when}, pol)
			}
		}
		got, want := r.ActionableSince(pol), naiveSince(r, pol)
		if !reflect.DeepEqual(got, want) {
			var kinds []string
			for _, e := range r.Events {
				kinds = append(kinds, e.Kind+" "+e.Item+"/"+e.Role+" by "+e.Actor)
			}
			t.Fatalf("run %d: since =\n%v\nwant\n%v\nevents: %q", run, got, want, kinds)
		}
		for _, s := range got {
			if !s.Equal(t0) {
				moved++
			}
		}
		if slices.ContainsFunc(r.Waiting(pol), func(w RoleWait) bool { return len(w.Items) == 0 }) {
			t.Fatalf("run %d: a role waiting on no item", run)
		}
	}
	if moved < 50 {
		t.Errorf("only %d items became actionable after the start: the histories test little", moved)
	}
	t.Logf("%d items became actionable after the start", moved)
}

func TestRoleWaitSince(t *testing.T) {
	w := RoleWait{Role: "sre", Items: []WaitItem{{"b", "", at(5)}, {"c", "", at(2)}, {"e", "", at(9)}}}
	if got := w.Since(); !got.Equal(at(2)) {
		t.Errorf("Since = %v, want the earliest, %v", got, at(2))
	}
}

// TestWaitingMerged: on clones merged after signing concurrently, the
// walk follows the merged view order, as the definition does.
func TestWaitingMerged(t *testing.T) {
	r := newTest(t)
	passCheckAt(t, r, at(1), "c", true)
	other := fork(t, r)
	mustSignAt(t, r, open, at(2), "dev", "", "a")
	mustSignAt(t, other, open, at(3), "carol", "qa", "b")
	mustSignAt(t, other, open, at(4), "alice", "sre", "b", "c")
	m := merge(t, r, other)
	got, want := m.ActionableSince(open), naiveSince(m, open)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged: since = %v, want %v", got, want)
	}
	if !got["e"].Equal(at(4)) {
		t.Errorf("e actionable since %v, want %v (the last sign-off of phase pre)", got["e"], at(4))
	}
}

// BenchmarkWaiting is `pending` on a release whose last phase is open,
// each of its items signed by one role of three: the walk goes back
// through those sign-offs to the one that completed the phase before.
func BenchmarkWaiting(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			cl := benchChecklist(scale)
			r := mustNew(b, Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: t0, CreatedBy: "rm"}, cl)
			for pi, p := range cl.Phases {
				roles := benchRoles
				if pi == len(cl.Phases)-1 {
					roles = benchRoles[:1]
				}
				for _, role := range roles {
					for _, it := range p.Items {
						mustSignAt(b, r, Policy{}, at(len(r.Events)), role+"@example.com", role, it.ID)
					}
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if w := r.Waiting(Policy{}); len(w) != 2 {
					b.Fatalf("waiting on %d roles, want 2", len(w))
				}
			}
		})
	}
}

// TestWaitingRevokeKeepsFinished: a revoke that leaves its item finished
// (a second sign-off counts once the first is withdrawn) unblocks nothing
// anew: the next phase stays actionable since the phase was completed.
func TestWaitingRevokeKeepsFinished(t *testing.T) {
	r := newTest(t)
	mustSignAt(t, r, open, at(1), "dev", "", "a")
	first := r.Events[len(r.Events)-1].Hash
	mustSignAt(t, r, open, at(2), "carol", "qa", "b")
	mustSignAt(t, r, open, at(3), "alice", "sre", "b")
	passCheckAt(t, r, at(4), "c", true)
	mustSignAt(t, r, open, at(5), "alice", "", "c")
	craft(t, r, Event{Kind: EventSign, At: at(10), Actor: "dev", Role: "developer", Item: "a"}) // a duplicate, until…
	craft(t, r, Event{Kind: EventRevoke, At: at(11), Actor: "dev", Role: "developer", Item: "a", Reason: "redo", Revokes: []string{first}})
	if iv := itemState(t, r, "a"); iv.State != StateDone || !iv.Signoffs[0].At.Equal(at(10)) {
		t.Fatalf("a after the revoke: %+v", iv)
	}
	wantSince(t, r, open, map[string]time.Time{"d": at(5), "e": at(5)})
	if got, want := r.ActionableSince(open), naiveSince(r, open); !reflect.DeepEqual(got, want) {
		t.Errorf("since = %v, the definition says %v", got, want)
	}
}
