package release

import (
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

const (
	commitA = "1111111111111111111111111111111111111111"
	commitB = "2222222222222222222222222222222222222222"
)

// TestRetargetWithdrawsMarkedItems: retarget records the new commit and
// revokes exactly the sign-offs of reset_on_retarget items.
func TestRetargetWithdrawsMarkedItems(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[1].ResetOnRetarget = true // b [qa, sre]
	meta := testMeta()
	meta.Commit = commitA
	r := mustNew(t, meta, cl)
	mustSign(t, r, open, "dave", "developer", "a")
	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "alice", "sre", "b")
	if r.Commit() != commitA {
		t.Fatalf("Commit() = %s", r.Commit())
	}
	if err := r.Retarget(commitB, "rm", "rebuilt", at(5), open); err != nil {
		t.Fatal(err)
	}
	if r.Commit() != commitB {
		t.Errorf("after retarget Commit() = %s", r.Commit())
	}
	if it := itemState(t, r, "a"); it.State != StateDone {
		t.Errorf("a is %s; an unmarked item keeps its sign-off", it.State)
	}
	if it := itemState(t, r, "b"); it.State != StatePending || len(it.Signoffs) != 0 {
		t.Errorf("b is %s with %d sign-offs; a marked item must be signed again", it.State, len(it.Signoffs))
	}
	revokes := 0
	for _, e := range r.Events {
		if e.Kind == EventRevoke {
			revokes++
		}
	}
	if revokes != 2 {
		t.Errorf("%d revoke events, want one per signed role of b (2)", revokes)
	}
	wantErr(t, r.Retarget(commitB, "rm", "again", at(6), open), errs.CodeUsage, "already targets")
	wantErr(t, r.Retarget(commitA, "rm", "", at(6), open), errs.CodeUsage, "retargeting v1.4.0 needs a reason")
}

// TestGateCommit: a release that targets another commit does not pass.
func TestGateCommit(t *testing.T) {
	meta := testMeta()
	meta.Commit = commitA
	r := mustNew(t, meta, testChecklist())
	completePre(t, r)
	for _, c := range []struct {
		want   string
		passed bool
	}{{commitA, true}, {commitA[:7], true}, {commitA[:6], false}, {commitB, false}, {"", true}} {
		g, err := r.Gate("pre", nil, open)
		if err != nil {
			t.Fatal(err)
		}
		r.GateCommit(&g, c.want)
		if g.Passed != c.passed {
			t.Errorf("--commit %q: passed %v, want %v (%+v)", c.want, g.Passed, c.passed, g.Blockers)
		}
		if !c.passed && g.Blockers[len(g.Blockers)-1].Reason != ReasonWrongCommit {
			t.Errorf("--commit %q: blockers %+v, want wrong-commit", c.want, g.Blockers)
		}
	}
}

// TestQuorum: approvals {qa: 2} needs two distinct qa signers.
func TestQuorum(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[0] = checklist.Item{ID: "a", Title: "A", Roles: []string{"qa"}, Approvals: map[string]int{"qa": 2}}
	r := mustNew(t, testMeta(), cl)
	mustSign(t, r, open, "carol", "qa", "a")
	it := itemState(t, r, "a")
	if it.State != StatePending || !it.ShortOfQuorum {
		t.Fatalf("one of two signers: state %s, short %v", it.State, it.ShortOfQuorum)
	}
	g, _ := r.Gate("", []string{"a"}, open)
	if len(g.Blockers) != 1 || g.Blockers[0].Reason != ReasonQuorum {
		t.Errorf("blockers %+v, want quorum", g.Blockers)
	}
	wantErr(t, r.Sign(SignRequest{Items: []string{"a"}, Role: "qa", Actor: "Carol", At: at(2)}, open), errs.CodePolicy, "already signed")
	mustSign(t, r, open, "quinn", "qa", "a")
	if it := itemState(t, r, "a"); it.State != StateDone {
		t.Errorf("two signers: state %s", it.State)
	}
	wantErr(t, r.Sign(SignRequest{Items: []string{"a"}, Role: "qa", Actor: "zed", At: at(3)}, open), errs.CodePolicy, "already signed")
}

// TestEvidenceRequired: a sign-off without evidence is refused.
func TestEvidenceRequired(t *testing.T) {
	cl := testChecklist()
	cl.Phases[0].Items[0].Evidence = checklist.EvidenceRequired
	r := mustNew(t, testMeta(), cl)
	wantErr(t, r.Sign(SignRequest{Items: []string{"a"}, Actor: "dave", At: at(1)}, open), errs.CodePolicy, "needs evidence")
	if err := r.Sign(SignRequest{Items: []string{"a"}, Actor: "dave", Evidence: []string{"https://issues.example.com/1"}, At: at(1)}, open); err != nil {
		t.Fatal(err)
	}
}
