package release

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

// The merge of two clones is the union of their event files (SPEC §6):
// these tests record different events on clones of one release and
// assemble the union, as a git merge of the state folders would give it.

// viewPolicies are the policies a merged view is checked under.
var viewPolicies = []Policy{open, members, sod}

// sameEverywhere assembles the union of the clones' events listed in many
// orders and fails unless every order gives the same events order, view,
// gate and status. It returns the merge.
func sameEverywhere(t *testing.T, clones ...*Release) *Release {
	t.Helper()
	all := union(clones...)
	m := merge(t, clones...)
	render := func(r *Release) string {
		var b strings.Builder
		b.WriteString(strings.Join(hashes(r.Events), " "))
		for _, pol := range viewPolicies {
			g, err := r.Gate("", nil, pol)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n" + dump(t, r.Evaluate(pol)) + "\n" + dump(t, g))
		}
		b.WriteString("\n" + r.OwnStatus() + " " + strings.Join(hashes(r.IgnoredStatusEvents()), " "))
		return b.String()
	}
	want := render(m)
	rng := rand.New(rand.NewPCG(uint64(len(all)), 7))
	for i := range 40 {
		if got := render(assemble(t, m.Header, stored(shuffled(rng, all)))); got != want {
			t.Fatalf("order %d of the union gives another release:\n%s\n---\n%s", i, want, got)
		}
	}
	// The other way round, and the merge merged again: the same.
	rev := slices.Clone(clones)
	slices.Reverse(rev)
	if got := render(merge(t, append(rev, m)...)); got != want {
		t.Fatal("merging the other way round, or again, gives another release")
	}
	return m
}

func TestMergeConcurrentSignoffs(t *testing.T) {
	base := newTest(t)
	a, b, c := fork(t, base), fork(t, base), fork(t, base)
	mustSignAt(t, a, open, at(5), "dev", "", "a")
	mustSignAt(t, b, open, at(5), "carol", "qa", "b")  // the same time as a's: the hash breaks the tie
	mustSignAt(t, b, open, at(3), "alice", "sre", "b") // a clock behind its parent's
	passCheckAt(t, c, at(4), "c", true)
	m := sameEverywhere(t, a, b, c)
	checkItems(t, m.Evaluate(open), map[string]itemWant{
		"a": {StateDone, []string{}, []string{}},
		"b": {StateDone, []string{}, []string{}},
		"c": {StatePending, []string{"sre"}, []string{}},
	})
	for _, id := range []string{"a", "b"} {
		iv := itemState(t, m, id)
		if len(iv.Counted()) != len(iv.Roles) || iv.Conflicted() {
			t.Errorf("%s: %+v", id, iv.Signoffs)
		}
	}
	if len(m.Events) != 1+1+2+1 {
		t.Errorf("%d events in the merge", len(m.Events))
	}
	// Merging in steps gives what merging at once does.
	ab := merge(t, a, b)
	bc := merge(t, b, c)
	if x, y := merge(t, ab, c), merge(t, a, bc); !slices.Equal(hashes(x.Events), hashes(m.Events)) ||
		!slices.Equal(hashes(y.Events), hashes(m.Events)) {
		t.Error("merging in steps changed the order")
	}
	// Each clone, synced, signs on: its new event is a child of every head.
	mustSign(t, m, open, "alice", "", "c")
	if p := m.Pending(); len(p) != 1 || len(p[0].Parents) != 3 {
		t.Errorf("pending after the merge %+v", p)
	}
}

// TestMergeRevokeStays: a revoke withdraws the sign-off it names on every
// clone, including one that still shows it.
func TestMergeRevokeStays(t *testing.T) {
	base := newTest(t)
	mustSign(t, base, open, "carol", "qa", "b")
	signed := base.Events[1].Hash
	a, b := fork(t, base), fork(t, base)
	mustRevoke(t, a, open, at(10), "carol", "qa", "b")
	if got := a.Events[len(a.Events)-1].Revokes; !slices.Equal(got, []string{signed}) {
		t.Fatalf("revoke names %v, want %s", got, signed)
	}
	mustSignAt(t, b, open, at(11), "alice", "sre", "b") // b still sees carol's sign-off
	if iv := itemState(t, b, "b"); iv.State != StateDone {
		t.Fatalf("before the merge b is %s on clone b", iv.State)
	}
	m := sameEverywhere(t, a, b)
	iv := itemState(t, m, "b")
	if iv.State != StatePending || !slices.Equal(iv.PendingRoles, []string{"qa"}) || len(iv.Signoffs) != 1 || iv.Signoffs[0].By != "alice" {
		t.Errorf("after the merge b is %s, pending %v, sign-offs %+v", iv.State, iv.PendingRoles, iv.Signoffs)
	}
	g, _ := m.Gate("", []string{"b"}, open)
	if len(g.Blockers) != 1 || g.Blockers[0].Reason != ReasonUnsigned {
		t.Errorf("gate %+v", g.Blockers)
	}
}

// TestMergeConcurrentSignSurvivesRevoke: a sign-off recorded on another
// clone, unseen by the revoker, is not withdrawn (observed-remove).
func TestMergeConcurrentSignSurvivesRevoke(t *testing.T) {
	t.Run("re-signed after a revoke on the other clone", func(t *testing.T) {
		base := newTest(t)
		mustSign(t, base, open, "carol", "qa", "b")
		a, b := fork(t, base), fork(t, base)
		mustRevoke(t, a, open, at(10), "carol", "qa", "b")
		// On b, dave (with no sign-off of his own) revokes the role, then signs it.
		mustRevoke(t, b, open, at(10), "dave", "qa", "b")
		mustSignAt(t, b, open, at(11), "dave", "qa", "b")
		m := sameEverywhere(t, a, b)
		iv := itemState(t, m, "b")
		if len(iv.Signoffs) != 1 || iv.Signoffs[0].By != "dave" || !iv.Signoffs[0].Counted ||
			!slices.Equal(iv.PendingRoles, []string{"sre"}) {
			t.Errorf("b after the merge: pending %v, sign-offs %+v", iv.PendingRoles, iv.Signoffs)
		}
	})
	t.Run("signed while the other clone revoked every sign-off of the role", func(t *testing.T) {
		base := newTest(t)
		a, b := fork(t, base), fork(t, base)
		mustSignAt(t, a, open, at(5), "carol", "qa", "b")
		carol := a.Events[len(a.Events)-1].Hash
		mustRevoke(t, a, open, at(20), "alice", "qa", "b") // alice has none: all of the role's
		if got := a.Events[len(a.Events)-1].Revokes; !slices.Equal(got, []string{carol}) {
			t.Fatalf("revoke names %v, want %s", got, carol)
		}
		mustSignAt(t, b, open, at(6), "dave", "qa", "b") // before the revoke, by the clock
		m := sameEverywhere(t, a, b)
		iv := itemState(t, m, "b")
		if len(iv.Signoffs) != 1 || iv.Signoffs[0].By != "dave" || !iv.Signoffs[0].Counted {
			t.Errorf("b after the merge: %+v", iv.Signoffs)
		}
		// A revoke on the merge sees dave's sign-off, and withdraws it.
		mustRevoke(t, m, open, at(30), "alice", "qa", "b")
		if got := m.Events[len(m.Events)-1].Revokes; !slices.Equal(got, []string{iv.Signoffs[0].Event}) {
			t.Errorf("revoke on the merge names %v", got)
		}
		if iv := itemState(t, m, "b"); len(iv.Signoffs) != 0 {
			t.Errorf("b after revoking on the merge: %+v", iv.Signoffs)
		}
	})
}

// TestMergeSeparationOfDuties: the same actor signing two roles of one
// item on two clones, each allowed there, breaks the policy once merged.
func TestMergeSeparationOfDuties(t *testing.T) {
	for _, tt := range []struct {
		name            string
		qaAt, sreAt     int
		counted, second string // roles
	}{
		{"qa first", 1, 2, "qa", "sre"},
		{"sre first", 2, 1, "sre", "qa"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := newTest(t)
			a, b := fork(t, base), fork(t, base)
			mustSignAt(t, a, sod, at(tt.qaAt), "alice", "qa", "b")
			mustSignAt(t, b, sod, at(tt.sreAt), "ALICE", "sre", "b") // the same person
			m := sameEverywhere(t, a, b)
			iv := viewItem(t, m, sod, "b")
			if len(iv.Signoffs) != 2 || iv.Signoffs[0].Role != tt.counted {
				t.Fatalf("sign-offs of b %+v", iv.Signoffs)
			}
			first, second := iv.Signoffs[0], iv.Signoffs[1]
			if !first.Counted || first.Conflict != "" {
				t.Errorf("first in view order does not count: %+v", first)
			}
			if second.Counted || !strings.HasPrefix(second.Conflict, "separation of duties") ||
				!strings.HasPrefix(second.Conflict, ConflictSoD) || !strings.Contains(second.Conflict, "also signed for "+tt.counted) {
				t.Errorf("second %+v, want a separation-of-duties conflict", second)
			}
			if iv.State != StatePending || !slices.Equal(iv.PendingRoles, []string{tt.second}) {
				t.Errorf("b is %s pending %v", iv.State, iv.PendingRoles)
			}
			g, err := m.Gate("pre", nil, sod)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(g.Blockers, func(b Blocker) bool { return b.Item == "b" })
			if i < 0 || g.Blockers[i].Reason != ReasonPolicyConflict || !slices.Equal(g.Blockers[i].PendingRoles, []string{tt.second}) {
				t.Errorf("gate blockers %+v, want b: policy-conflict", g.Blockers)
			}
			// Without separation of duties both count.
			if iv := viewItem(t, m, open, "b"); iv.State != StateDone || iv.Conflicted() {
				t.Errorf("without separation of duties b is %s: %+v", iv.State, iv.Signoffs)
			}
			// alice cannot sign the other role again; someone else can.
			if slices.ContainsFunc(m.Actionable("alice", "", sod), func(iv ItemView) bool { return iv.ID == "b" }) {
				t.Error("alice may act on b again")
			}
			wantErr(t, m.Sign(SignRequest{Items: []string{"b"}, Role: tt.second, Actor: "alice", At: at(9)}, sod),
				errs.CodePolicy, "separation of duties")
			mustSignAt(t, m, sod, at(9), "bob", tt.second, "b")
			iv = viewItem(t, m, sod, "b")
			if iv.State != StateDone || len(iv.Signoffs) != 3 || !iv.Conflicted() {
				t.Errorf("after bob signed, b is %s: %+v", iv.State, iv.Signoffs)
			}
			if g, _ := m.Gate("", []string{"b"}, sod); !g.Passed {
				t.Errorf("gate of b %+v", g.Blockers)
			}
		})
	}
}

// TestMergeDuplicate: the same person signing the same role on two clones
// counts once.
func TestMergeDuplicate(t *testing.T) {
	base := newTest(t)
	a, b := fork(t, base), fork(t, base)
	mustSignAt(t, a, open, at(2), "carol", "qa", "b")
	mustSignAt(t, b, open, at(1), "Carol", "qa", "b")
	m := sameEverywhere(t, a, b)
	iv := itemState(t, m, "b")
	if len(iv.Signoffs) != 2 || iv.Signoffs[0].By != "Carol" || !iv.Signoffs[0].Counted ||
		iv.Signoffs[1].Counted || iv.Signoffs[1].Conflict != ConflictDuplicate || len(iv.Counted()) != 1 {
		t.Errorf("sign-offs of b %+v", iv.Signoffs)
	}
}

// TestMergeMembership: membership is judged under the policy the view is
// computed with, not only the one in force when the sign-off was recorded.
func TestMergeMembership(t *testing.T) {
	was := Policy{Members: map[string][]string{"developer": {"dev", "dave"}}}
	now := Policy{Members: map[string][]string{"developer": {"dev"}}}
	base := newTest(t)
	a, b := fork(t, base), fork(t, base)
	mustSignAt(t, a, was, at(1), "dave", "", "a")
	mustSignAt(t, b, was, at(2), "carol", "qa", "b")
	m := sameEverywhere(t, a, b)
	if iv := viewItem(t, m, was, "a"); iv.State != StateDone || iv.Conflicted() {
		t.Errorf("under the old policy a is %s: %+v", iv.State, iv.Signoffs)
	}
	iv := viewItem(t, m, now, "a")
	if s := signoffOf(t, iv, "dave", "developer"); s.Counted || s.Conflict != ConflictNotMember {
		t.Errorf("dave's sign-off under the new policy %+v", s)
	}
	if iv.State != StatePending || !slices.Equal(iv.PendingRoles, []string{"developer"}) {
		t.Errorf("a is %s pending %v", iv.State, iv.PendingRoles)
	}
	g, _ := m.Gate("", []string{"a"}, now)
	if g.Passed || len(g.Blockers) != 1 || g.Blockers[0].Reason != ReasonPolicyConflict {
		t.Errorf("gate %+v", g.Blockers)
	}
	// dev, still a member, can sign: dave's does not hold the role.
	mustSignAt(t, m, now, at(3), "dev", "", "a")
	iv = viewItem(t, m, now, "a")
	if iv.State != StateDone || len(iv.Signoffs) != 2 || len(iv.Counted()) != 1 || iv.Counted()[0].By != "dev" {
		t.Errorf("a after dev signed: %s %+v", iv.State, iv.Signoffs)
	}
	if g, _ := m.Gate("", []string{"a"}, now); !g.Passed {
		t.Errorf("gate %+v", g.Blockers)
	}
}

// TestMergeCheckBeforeSign: a sign-off counts when the signer had seen the
// item's check pass; the gate follows the latest check in view order.
func TestMergeCheckBeforeSign(t *testing.T) {
	t.Run("failed on one clone, signed on the other", func(t *testing.T) {
		base := newTest(t)
		passCheckAt(t, base, at(1), "c", true)
		a, b := fork(t, base), fork(t, base)
		passCheckAt(t, a, at(10), "c", false)
		mustSignAt(t, b, open, at(5), "alice", "", "c")
		m := sameEverywhere(t, a, b)
		iv := itemState(t, m, "c")
		if iv.State != StateDone || len(iv.Counted()) != 1 || iv.Conflicted() {
			t.Errorf("c is %s: %+v", iv.State, iv.Signoffs)
		}
		if iv.LatestCheck == nil || iv.LatestCheck.Passed || !iv.LatestCheck.At.Equal(at(10)) {
			t.Errorf("latest check %+v, want clone a's failure", iv.LatestCheck)
		}
		g, _ := m.Gate("", []string{"c"}, open)
		if len(g.Blockers) != 1 || g.Blockers[0].Reason != ReasonCheckFailed {
			t.Errorf("gate %+v, want c: check-failed", g.Blockers)
		}
	})
	for _, tt := range []struct {
		name   string
		failAt int
		passes bool
	}{
		{"failed before the other clone's passing run", 3, true},
		{"failed after the other clone's passing run", 6, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := newTest(t)
			a, b := fork(t, base), fork(t, base)
			passCheckAt(t, a, at(tt.failAt), "c", false)
			passCheckAt(t, b, at(4), "c", true)
			mustSignAt(t, b, open, at(5), "alice", "", "c")
			m := sameEverywhere(t, a, b)
			iv := itemState(t, m, "c")
			if iv.State != StateDone || iv.Conflicted() {
				t.Errorf("c is %s: %+v", iv.State, iv.Signoffs)
			}
			if g, _ := m.Gate("", []string{"c"}, open); g.Passed != tt.passes {
				t.Errorf("gate passed %v, want %v: %+v", g.Passed, tt.passes, g.Blockers)
			}
		})
	}
	t.Run("signed without a passed check", func(t *testing.T) {
		base := newTest(t)
		a, b := fork(t, base), fork(t, base)
		// A tool that skipped the rule signs c on clone a; clone b's check passes.
		craft(t, a, Event{Kind: EventSign, At: at(5), Actor: "alice", Role: "sre", Item: "c"})
		passCheckAt(t, b, at(4), "c", true)
		m := sameEverywhere(t, a, b)
		iv := itemState(t, m, "c")
		if s := signoffOf(t, iv, "alice", "sre"); s.Counted || s.Conflict != ConflictCheck {
			t.Errorf("sign-off %+v, want a check conflict", s)
		}
		if iv.State != StatePending || iv.LatestCheck == nil || !iv.LatestCheck.Passed {
			t.Errorf("c is %s, latest check %+v", iv.State, iv.LatestCheck)
		}
		g, _ := m.Gate("", []string{"c"}, open)
		if len(g.Blockers) != 1 || g.Blockers[0].Reason != ReasonPolicyConflict {
			t.Errorf("gate %+v, want c: policy-conflict", g.Blockers)
		}
		// On the merge alice has seen the pass: signing again counts.
		mustSignAt(t, m, open, at(6), "alice", "", "c")
		if iv := itemState(t, m, "c"); iv.State != StateDone || len(iv.Counted()) != 1 {
			t.Errorf("c after signing on the merge is %s: %+v", iv.State, iv.Signoffs)
		}
	})
	t.Run("signed after the check failed again", func(t *testing.T) {
		r := newTest(t)
		passCheck(t, r, "c", true)
		passCheck(t, r, "c", false)
		craft(t, r, Event{Kind: EventCheck, At: at(3), Actor: "ci", Item: "a", Check: &CheckResult{Passed: true}}) // another item's
		craft(t, r, Event{Kind: EventSign, At: at(4), Actor: "alice", Role: "sre", Item: "c"})
		other := fork(t, base(t, r))
		passCheckAt(t, other, at(5), "c", true) // passes later, elsewhere
		m := sameEverywhere(t, r, other)
		if s := signoffOf(t, itemState(t, m, "c"), "alice", "sre"); s.Counted || s.Conflict != ConflictCheck {
			t.Errorf("sign-off %+v, want a check conflict", s)
		}
	})
}

// base is r as it was with only its start event: the common ancestor of
// a clone made before anything was recorded.
func base(t *testing.T, r *Release) *Release {
	t.Helper()
	return assemble(t, r.Header, stored(r.Events[:1]))
}

// TestMergeStatus: finish on one clone and abort on another resolve by
// one rule: the first status event in view order (the earlier, equal
// times by the lower hash) wins, the other is ignored.
func TestMergeStatus(t *testing.T) {
	complete := newTest(t)
	completeAll(t, complete)
	for _, tt := range []struct {
		name                string
		releasedAt, abortAt int
	}{
		{"finish first", 100, 101},
		{"abort first", 101, 100},
		{"same time", 100, 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fork(t, complete), fork(t, complete)
			mustStatus(t, a, StatusReleased, "", at(tt.releasedAt))
			mustStatus(t, b, StatusAborted, "budget", at(tt.abortAt))
			fin, abort := a.Events[len(a.Events)-1], b.Events[len(b.Events)-1]
			winner, loser := fin, abort
			if tt.abortAt < tt.releasedAt || tt.abortAt == tt.releasedAt && abort.Hash < fin.Hash {
				winner, loser = abort, fin
			}
			m := sameEverywhere(t, a, b)
			if got := m.OwnStatus(); got != winner.Status || m.Status() != winner.Status {
				t.Errorf("status %s, want %s", got, winner.Status)
			}
			ig := m.IgnoredStatusEvents()
			if len(ig) != 1 || ig[0].Hash != loser.Hash {
				t.Errorf("ignored %+v, want the %s", ig, loser.Status)
			}
			wantErr(t, m.Sign(SignRequest{Items: []string{"a"}, Actor: "dev", At: at(200)}, open), errs.CodePolicy, "release v1.4.0 is "+winner.Status)
		})
	}
	t.Run("finished on both", func(t *testing.T) {
		a, b := fork(t, complete), fork(t, complete)
		mustStatus(t, a, StatusReleased, "", at(100))
		mustStatus(t, b, StatusReleased, "", at(101))
		m := sameEverywhere(t, a, b)
		if m.OwnStatus() != StatusReleased || len(m.IgnoredStatusEvents()) != 0 {
			t.Errorf("status %s, ignored %+v", m.OwnStatus(), m.IgnoredStatusEvents())
		}
	})
}
