package release

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

// completeAll finishes every item: phase pre signed, d and g waived, e and f signed.
func completeAll(t testing.TB, r *Release) {
	t.Helper()
	completePre(t, r)
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "alice", Reason: "no data", At: at(30)}, open); err != nil {
		t.Fatal(err)
	}
	mustSign(t, r, open, "alice", "sre", "e")
	mustSign(t, r, open, "carol", "qa", "f")
	if err := r.Waive(ActionRequest{Item: "g", Role: "product-manager", Actor: "pam", Reason: "internal only", At: at(31)}, open); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefusals(t *testing.T) {
	withCheckOnE := func(t *testing.T) *Release {
		cl := testChecklist()
		cl.Phases[1].Items[1].Check = &checklist.Check{Run: "./e.sh"}
		return mustNew(t, testMeta(), cl)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) *Release
		req   SignRequest
		pol   Policy
		code  int
		want  []string
	}{
		{"unknown item", nil, SignRequest{Items: []string{"zz"}, Actor: "x"}, open, errs.CodeUsage,
			[]string{`unknown item "zz" in release v1.4.0`, "items: a, b, c, d, e, f, g"}},
		{"no items", nil, SignRequest{Actor: "x"}, open, errs.CodeUsage, []string{"no item"}},
		{"role not of the item", nil, SignRequest{Items: []string{"a"}, Role: "qa", Actor: "x"}, open, errs.CodeUsage,
			[]string{`item a has no role "qa"`, "roles: developer"}},
		{"role ambiguous", nil, SignRequest{Items: []string{"b"}, Actor: "x"}, open, errs.CodeUsage,
			[]string{"item b needs roles qa, sre: the role must be named"}},
		{"member of two roles", nil, SignRequest{Items: []string{"b"}, Actor: "alice"},
			Policy{Members: map[string][]string{"qa": {"alice"}, "sre": {"alice"}}}, errs.CodeUsage,
			[]string{"the role must be named"}},
		{"not a member", nil, SignRequest{Items: []string{"b"}, Role: "sre", Actor: "dave"}, members, errs.CodePolicy,
			[]string{"dave may not sign b for role sre", "alice, Bob@Example.com"}},
		{"not a member, single role inferred", func(t *testing.T) *Release {
			r := newTest(t)
			passCheck(t, r, "c", true)
			return r
		}, SignRequest{Items: []string{"c"}, Actor: "dave"}, members, errs.CodePolicy,
			[]string{"dave may not sign c for role sre"}},
		{"member of no role of the item", nil, SignRequest{Items: []string{"b"}, Actor: "dave"}, members, errs.CodePolicy,
			[]string{"dave may not sign b", "qa: carol", "sre: alice, Bob@Example.com"}},
		{"already signed", func(t *testing.T) *Release {
			r := newTest(t)
			mustSign(t, r, open, "dev", "", "a")
			return r
		}, SignRequest{Items: []string{"a"}, Actor: "dev2"}, open, errs.CodePolicy,
			[]string{"a is already signed for role developer by dev at 2026-11-25T10:01:00Z; revoke first"}},
		{"separation of duties", func(t *testing.T) *Release {
			r := newTest(t)
			mustSign(t, r, sod, "alice", "qa", "b")
			return r
		}, SignRequest{Items: []string{"b"}, Role: "sre", Actor: "ALICE"}, sod, errs.CodePolicy,
			[]string{"separation of duties", "role qa", "sre"}},
		{"earlier phase incomplete", nil, SignRequest{Items: []string{"e"}, Actor: "alice"}, open, errs.CodePolicy,
			[]string{"e is blocked by phase pre (a, b, c)"}},
		{"needs incomplete", func(t *testing.T) *Release {
			r := newTest(t)
			completePre(t, r)
			return r
		}, SignRequest{Items: []string{"f"}, Actor: "carol"}, open, errs.CodePolicy,
			[]string{"f is blocked by e"}},
		{"force without reason", nil, SignRequest{Items: []string{"e"}, Actor: "alice", Force: true}, open, errs.CodeUsage,
			[]string{"forcing a sign-off needs a reason"}},
		{"check never ran", nil, SignRequest{Items: []string{"c"}, Actor: "alice"}, open, errs.CodePolicy,
			[]string{"check of c has not passed"}},
		{"check failed", func(t *testing.T) *Release {
			r := newTest(t)
			passCheck(t, r, "c", false)
			return r
		}, SignRequest{Items: []string{"c"}, Actor: "alice"}, open, errs.CodePolicy,
			[]string{"check of c has not passed"}},
		{"check passed then failed", func(t *testing.T) *Release {
			r := newTest(t)
			passCheck(t, r, "c", true)
			passCheck(t, r, "c", false)
			return r
		}, SignRequest{Items: []string{"c"}, Actor: "alice"}, open, errs.CodePolicy,
			[]string{"check of c has not passed"}},
		{"force does not override a check", withCheckOnE,
			SignRequest{Items: []string{"e"}, Actor: "alice", Force: true, Reason: "hurry"}, open, errs.CodePolicy,
			[]string{"check of e has not passed"}},
		{"release aborted", func(t *testing.T) *Release {
			r := newTest(t)
			if err := r.SetStatus(StatusAborted, "alice", "no", at(1), open); err != nil {
				t.Fatal(err)
			}
			return r
		}, SignRequest{Items: []string{"a"}, Actor: "dev"}, open, errs.CodePolicy,
			[]string{"release v1.4.0 is aborted"}},
		{"release released", func(t *testing.T) *Release {
			r := newTest(t)
			completeAll(t, r)
			if err := r.SetStatus(StatusReleased, "alice", "", at(40), open); err != nil {
				t.Fatal(err)
			}
			return r
		}, SignRequest{Items: []string{"a"}, Actor: "dev"}, open, errs.CodePolicy,
			[]string{"release v1.4.0 is released"}},
		{"one bad item refuses all", nil, SignRequest{Items: []string{"a", "zz"}, Actor: "dev"}, open, errs.CodeUsage,
			[]string{`unknown item "zz"`}},
		{"one blocked item refuses all", nil, SignRequest{Items: []string{"a", "e"}, Actor: "alice"}, open, errs.CodePolicy,
			[]string{"e is blocked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTest(t)
			if tt.setup != nil {
				r = tt.setup(t)
			}
			before := slices.Clone(r.Events)
			tt.req.At = at(50)
			err := r.Sign(tt.req, tt.pol)
			wantErr(t, err, tt.code, tt.want...)
			if !slices.EqualFunc(before, r.Events, func(a, b Event) bool { return a.Hash == b.Hash }) {
				t.Errorf("a refused sign changed the events: %d → %d", len(before), len(r.Events))
			}
		})
	}
}

func TestSignRoleResolution(t *testing.T) {
	tests := []struct {
		name, actor, item, want string
		pol                     Policy
	}{
		{"single open role", "anyone", "a", "developer", open},
		{"explicit member of qa", "carol", "b", "qa", members},
		{"explicit member of sre", "alice", "b", "sre", members},
		{"member e-mail case-insensitive", "bob@example.com", "b", "sre", members},
		{"only signable role", "dave", "b", "qa", Policy{Members: map[string][]string{"sre": {"alice"}}}},
		{"explicit beats open", "alice", "b", "sre", Policy{Members: map[string][]string{"sre": {"alice"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTest(t)
			mustSign(t, r, tt.pol, tt.actor, "", tt.item)
			e := r.Events[len(r.Events)-1]
			if e.Kind != EventSign || e.Role != tt.want || e.Actor != tt.actor || e.Item != tt.item {
				t.Errorf("event %+v, want %s signing %s for %s", e, tt.actor, tt.item, tt.want)
			}
		})
	}
}

func TestSignRecordsEvent(t *testing.T) {
	r := newTest(t)
	err := r.Sign(SignRequest{Items: []string{"a"}, Actor: "dev", Note: "merged", Evidence: []string{"https://x/pr/1"}, At: at(5)}, open)
	if err != nil {
		t.Fatal(err)
	}
	e := r.Events[1]
	if want, _ := e.ComputeHash(); e.Hash != want || !slices.Equal(e.Parents, []string{r.Events[0].Hash}) || r.Events[0].Kind != EventStart {
		t.Errorf("sign event not hash-linked to the start event: %+v", e)
	}
	if len(r.Pending()) != 2 {
		t.Errorf("%d events pending for the store, want start and sign", len(r.Pending()))
	}
	if e.Kind != EventSign || e.Role != "developer" || e.Note != "merged" ||
		!slices.Equal(e.Evidence, []string{"https://x/pr/1"}) || e.Forced || !e.At.Equal(at(5)) {
		t.Errorf("sign event %+v", e)
	}
	iv := itemState(t, r, "a")
	if iv.State != StateDone || len(iv.Signoffs) != 1 || iv.Signoffs[0].Note != "merged" || iv.Signoffs[0].By != "dev" {
		t.Errorf("item a %+v", iv)
	}
}

func TestSignSeveralItemsCompletesPhase(t *testing.T) {
	r := newTest(t)
	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "alice", "sre", "b")
	passCheck(t, r, "c", true)
	// a completes phase pre, which opens d and e in the same request.
	mustSign(t, r, open, "alice", "", "c", "a", "e", "a")
	var signed []string
	for _, e := range r.Events {
		if e.Kind == EventSign {
			signed = append(signed, e.Item+"/"+e.Role)
		}
	}
	want := []string{"b/qa", "b/sre", "c/sre", "a/developer", "e/sre"}
	if !slices.Equal(signed, want) {
		t.Errorf("signed %v, want %v", signed, want)
	}
	if back, damage := Assemble(r.Header, stored(r.Events)); damage != nil || !slices.Equal(hashes(back.Events), hashes(r.Events)) {
		t.Errorf("the events do not assemble back: %s", DescribeDamage(damage))
	}
}

func TestSignForce(t *testing.T) {
	r := newTest(t)
	err := r.Sign(SignRequest{Items: []string{"f"}, Role: "qa", Actor: "carol", Force: true, Reason: "hotfix", At: at(1)}, open)
	if err != nil {
		t.Fatal(err)
	}
	force, sign := r.Events[1], r.Events[2]
	if force.Kind != EventForce || force.Item != "f" || force.Role != "qa" || force.Reason != "hotfix" || force.Actor != "carol" {
		t.Errorf("force event %+v", force)
	}
	if sign.Kind != EventSign || !sign.Forced || sign.Item != "f" {
		t.Errorf("sign event %+v", sign)
	}
	iv := itemState(t, r, "f")
	if iv.State != StateDone || !iv.Forced || !iv.Signoffs[0].Forced {
		t.Errorf("forced item %+v", iv)
	}
	// Force on an item that is not blocked signs normally.
	mustSign(t, r, open, "dev", "", "a")
	if err := r.Sign(SignRequest{Items: []string{"b"}, Role: "qa", Actor: "carol", Force: true, Reason: "x", At: at(3)}, open); err != nil {
		t.Fatal(err)
	}
	if last := r.Events[len(r.Events)-1]; last.Forced || r.Events[len(r.Events)-2].Kind == EventForce {
		t.Errorf("unneeded force recorded: %+v", last)
	}
	// Revoking the forced sign-off clears the mark.
	if err := r.Revoke(ActionRequest{Item: "f", Role: "qa", Actor: "carol", Reason: "redo", At: at(4)}, open); err != nil {
		t.Fatal(err)
	}
	if iv := itemState(t, r, "f"); iv.Forced || iv.State != StateBlocked {
		t.Errorf("after revoke: %+v", iv)
	}
}

func TestSeparationOfDutiesOff(t *testing.T) {
	r := newTest(t)
	mustSign(t, r, open, "alice", "qa", "b")
	mustSign(t, r, open, "alice", "sre", "b")
	if iv := itemState(t, r, "b"); iv.State != StateDone {
		t.Errorf("b is %s", iv.State)
	}
}

func TestSeparationOfDutiesAfterRevoke(t *testing.T) {
	r := newTest(t)
	mustSign(t, r, sod, "alice", "qa", "b")
	if err := r.Revoke(ActionRequest{Item: "b", Role: "qa", Actor: "alice", Reason: "wrong hat", At: at(2)}, sod); err != nil {
		t.Fatal(err)
	}
	mustSign(t, r, sod, "alice", "sre", "b")
	mustSign(t, r, sod, "carol", "qa", "b")
}

func TestWaive(t *testing.T) {
	tests := []struct {
		name string
		pre  bool // complete phase pre first
		req  ActionRequest
		pol  Policy
		code int
		want []string
	}{
		{"required item", true, ActionRequest{Item: "e", Role: "sre", Actor: "alice", Reason: "r"}, open, errs.CodePolicy,
			[]string{"e is required and cannot be waived"}},
		{"no reason", true, ActionRequest{Item: "d", Role: "sre", Actor: "alice"}, open, errs.CodeUsage,
			[]string{"waiving d needs a reason"}},
		{"unknown item", true, ActionRequest{Item: "zz", Role: "sre", Actor: "alice", Reason: "r"}, open, errs.CodeUsage,
			[]string{`unknown item "zz"`}},
		{"wrong role", true, ActionRequest{Item: "d", Role: "qa", Actor: "alice", Reason: "r"}, open, errs.CodeUsage,
			[]string{`item d has no role "qa"`}},
		{"not a member", true, ActionRequest{Item: "d", Role: "sre", Actor: "dave", Reason: "r"}, members, errs.CodePolicy,
			[]string{"dave may not sign d for role sre"}},
		{"earlier phase incomplete", false, ActionRequest{Item: "d", Role: "sre", Actor: "alice", Reason: "r"}, open, errs.CodePolicy,
			[]string{"d is blocked by phase pre"}},
		{"needs incomplete", true, ActionRequest{Item: "g", Role: "product-manager", Actor: "pam", Reason: "r"}, open, errs.CodePolicy,
			[]string{"g is blocked by f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTest(t)
			if tt.pre {
				completePre(t, r)
			}
			n := len(r.Events)
			tt.req.At = at(60)
			wantErr(t, r.Waive(tt.req, tt.pol), tt.code, tt.want...)
			if len(r.Events) != n {
				t.Error("a refused waiver changed the events")
			}
		})
	}

	r := newTest(t)
	completePre(t, r)
	req := ActionRequest{Item: "d", Actor: "bob@example.com", Reason: "no schema change", At: at(60)}
	if err := r.Waive(req, members); err != nil {
		t.Fatal(err)
	}
	iv := itemState(t, r, "d")
	if iv.State != StateWaived || len(iv.PendingRoles) != 0 || iv.Signoffs[0].Kind != EventWaive || iv.Signoffs[0].Reason != "no schema change" {
		t.Errorf("waived item %+v", iv)
	}
	wantErr(t, r.Waive(req, members), errs.CodePolicy, "already waived for role sre by bob@example.com")
}

func TestRevoke(t *testing.T) {
	r := newTest(t)
	mustSign(t, r, members, "carol", "qa", "b")
	passCheck(t, r, "c", true)
	mustSign(t, r, members, "alice", "sre", "c")

	refusals := []struct {
		name string
		req  ActionRequest
		code int
		want []string
	}{
		{"no sign-off", ActionRequest{Item: "a", Role: "developer", Actor: "dev", Reason: "r"}, errs.CodeUsage,
			[]string{"a has no sign-off for role developer to revoke"}},
		{"no reason", ActionRequest{Item: "b", Role: "qa", Actor: "carol"}, errs.CodeUsage, []string{"revoking b needs a reason"}},
		{"unknown item", ActionRequest{Item: "zz", Role: "qa", Actor: "carol", Reason: "r"}, errs.CodeUsage, []string{`unknown item "zz"`}},
		{"wrong role", ActionRequest{Item: "b", Role: "developer", Actor: "carol", Reason: "r"}, errs.CodeUsage, []string{`no role "developer"`}},
		{"role not signed", ActionRequest{Item: "b", Role: "sre", Actor: "alice", Reason: "r"}, errs.CodeUsage, []string{"no sign-off for role sre"}},
		{"neither signer nor member", ActionRequest{Item: "b", Role: "qa", Actor: "alice", Reason: "r"}, errs.CodePolicy,
			[]string{"alice may not revoke carol's sign-off of b", "carol"}},
		{"ambiguous role", ActionRequest{Item: "b", Actor: "dave", Reason: "r"}, errs.CodeUsage, []string{"item b has roles qa, sre: the role must be named"}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			n := len(r.Events)
			wantErr(t, r.Revoke(tt.req, members), tt.code, tt.want...)
			if len(r.Events) != n {
				t.Error("a refused revoke changed the events")
			}
		})
	}

	// Another member of the role may revoke; the revoke is an event.
	if err := r.Revoke(ActionRequest{Item: "c", Role: "sre", Actor: "BOB@example.com", Reason: "redo", At: at(70)}, members); err != nil {
		t.Fatal(err)
	}
	last := r.Events[len(r.Events)-1]
	signC := r.Events[len(r.Events)-2]
	if last.Kind != EventRevoke || last.Item != "c" || last.Role != "sre" || last.Reason != "redo" ||
		signC.Kind != EventSign || !slices.Equal(last.Revokes, []string{signC.Hash}) {
		t.Errorf("revoke event %+v does not name the sign-off %s", last, signC.Hash)
	}
	if iv := itemState(t, r, "c"); iv.State != StatePending || !slices.Equal(iv.PendingRoles, []string{"sre"}) {
		t.Errorf("after revoke c is %+v", iv)
	}
	// The signer may revoke with the role inferred, then sign again.
	if err := r.Revoke(ActionRequest{Item: "b", Actor: "carol", Reason: "typo", At: at(71)}, members); err != nil {
		t.Fatal(err)
	}
	mustSign(t, r, members, "carol", "", "b")
	if iv := itemState(t, r, "b"); len(iv.Signoffs) != 1 || iv.Signoffs[0].Role != "qa" {
		t.Errorf("after re-sign b is %+v", iv)
	}
	kinds := 0
	for _, e := range r.Events {
		if e.Item == "b" && (e.Kind == EventSign || e.Kind == EventRevoke) {
			kinds++
		}
	}
	if kinds != 3 {
		t.Errorf("history of b has %d sign/revoke events, want 3 (nothing erased)", kinds)
	}
}

// TestRevokeNamesEvents: a revoke names the hashes it withdraws, the
// actor's own sign-offs for the role when there are any, else all of the
// role's (counted or not).
func TestRevokeNamesEvents(t *testing.T) {
	qa2 := Policy{Members: map[string][]string{"qa": {"carol", "erin"}}}
	setup := func(t *testing.T) (r *Release, dave, carol string) {
		r = newTest(t)
		mustSign(t, r, open, "dave", "qa", "b") // before dave left qa
		mustSign(t, r, qa2, "carol", "qa", "b") // dave's does not count under qa2
		iv := viewItem(t, r, qa2, "b")
		d, c := signoffOf(t, iv, "dave", "qa"), signoffOf(t, iv, "carol", "qa")
		if d.Counted || d.Conflict != ConflictNotMember || !c.Counted {
			t.Fatalf("sign-offs of b %+v", iv.Signoffs)
		}
		return r, d.Event, c.Event
	}
	revokes := func(t *testing.T, r *Release, actor string) []string {
		t.Helper()
		if err := r.Revoke(ActionRequest{Item: "b", Actor: actor, Role: "qa", Reason: "redo", At: at(20)}, qa2); err != nil {
			t.Fatal(err)
		}
		return r.Events[len(r.Events)-1].Revokes
	}
	t.Run("own", func(t *testing.T) {
		r, dave, carol := setup(t)
		if got := revokes(t, r, "Carol"); !slices.Equal(got, []string{carol}) {
			t.Errorf("carol's revoke names %v, want only her own %s", got, carol)
		}
		iv := viewItem(t, r, qa2, "b")
		if len(iv.Signoffs) != 1 || iv.Signoffs[0].Event != dave || iv.State != StatePending {
			t.Errorf("after carol's revoke b is %+v", iv)
		}
	})
	t.Run("own, not a member any more", func(t *testing.T) {
		r, dave, _ := setup(t)
		if got := revokes(t, r, "dave"); !slices.Equal(got, []string{dave}) {
			t.Errorf("dave's revoke names %v, want only his own %s", got, dave)
		}
	})
	t.Run("all of the role", func(t *testing.T) {
		r, dave, carol := setup(t)
		if got := revokes(t, r, "erin"); !slices.Equal(got, []string{dave, carol}) {
			t.Errorf("erin's revoke names %v, want every sign-off of the role %v", got, []string{dave, carol})
		}
		if iv := viewItem(t, r, qa2, "b"); len(iv.Signoffs) != 0 {
			t.Errorf("after erin's revoke b has %+v", iv.Signoffs)
		}
	})
	t.Run("role inferred from the own sign-off", func(t *testing.T) {
		r, _, carol := setup(t)
		if err := r.Revoke(ActionRequest{Item: "b", Actor: "carol", Reason: "redo", At: at(20)}, qa2); err != nil {
			t.Fatal(err)
		}
		if e := r.Events[len(r.Events)-1]; e.Role != "qa" || !slices.Equal(e.Revokes, []string{carol}) {
			t.Errorf("revoke %+v", e)
		}
	})
}

func TestRevokeWaiver(t *testing.T) {
	r := newTest(t)
	completePre(t, r)
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "alice", Reason: "n/a", At: at(30)}, open); err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ActionRequest{Item: "d", Role: "sre", Actor: "alice", Reason: "needed after all", At: at(31)}, open); err != nil {
		t.Fatal(err)
	}
	if iv := itemState(t, r, "d"); iv.State != StatePending {
		t.Errorf("d is %s after revoking the waiver", iv.State)
	}
}

func TestRevokeAfterRelease(t *testing.T) {
	r := newTest(t)
	completeAll(t, r)
	if err := r.SetStatus(StatusReleased, "alice", "", at(40), open); err != nil {
		t.Fatal(err)
	}
	wantErr(t, r.Revoke(ActionRequest{Item: "a", Role: "developer", Actor: "dev", Reason: "r", At: at(41)}, open),
		errs.CodePolicy, "release v1.4.0 is released")
	wantErr(t, r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "dev", Reason: "r", At: at(41)}, open),
		errs.CodePolicy, "release v1.4.0 is released")
}

func TestRecordCheck(t *testing.T) {
	r := newTest(t)
	wantErr(t, r.RecordCheck("zz", "ci", at(1), CheckResult{}), errs.CodeUsage, `unknown item "zz"`)
	wantErr(t, r.RecordCheck("a", "ci", at(1), CheckResult{}), errs.CodeUsage, "item a has no check")
	passCheck(t, r, "c", false)
	passCheck(t, r, "c", true)
	iv := itemState(t, r, "c")
	if iv.LatestCheck == nil || !iv.LatestCheck.Passed || iv.LatestCheck.By != "ci" || !iv.LatestCheck.At.Equal(at(2)) {
		t.Errorf("latest check %+v", iv.LatestCheck)
	}
	if e := r.Events[len(r.Events)-1]; e.Kind != EventCheck || e.Item != "c" || e.Check == nil || e.Check.DurationMS != 12 {
		t.Errorf("check event %+v", e)
	}
}

func TestMaySign(t *testing.T) {
	tests := []struct {
		actor, role string
		want        bool
	}{
		{"alice", "sre", true},
		{"ALICE", "sre", true},
		{"bob@example.com", "sre", true},
		{"bob", "sre", false},
		{"carol", "sre", false},
		{"anyone", "developer", true},
		{"anyone", "no-such-role", true},
	}
	pol := Policy{Members: map[string][]string{"sre": {"alice", "Bob@Example.com"}, "developer": {}}}
	for _, tt := range tests {
		if got := pol.MaySign(tt.actor, tt.role); got != tt.want {
			t.Errorf("MaySign(%q, %q) = %v, want %v", tt.actor, tt.role, got, tt.want)
		}
	}
	if !(Policy{}).MaySign("x", "sre") {
		t.Error("nil member map must allow anyone")
	}
}

// signOneByOne is Sign as it was before it reused one view across items:
// every item evaluated against every event so far. Sign must do the same.
func signOneByOne(r *Release, req SignRequest, pol Policy) error {
	if err := r.requireInProgress(); err != nil {
		return err
	}
	work := r.clone()
	var seen []string
	for _, id := range req.Items {
		if slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		if err := work.signOne(work.Evaluate(pol), id, req, pol); err != nil {
			return err
		}
	}
	r.Events = work.Events
	return nil
}

// TestSignManyMatchesOneByOne signs random lists of items (repeats,
// blocked items, unknown ids, with and without --force, with and without
// a role) on releases in random states, and holds Sign to signOneByOne.
func TestSignManyMatchesOneByOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := newTest(t).Checklist.ItemIDs()
	roles := []string{"", "", "", "", "sre", "qa", "developer", "product-manager"}
	actors := []string{"alice", "bob", "carol", "dev"}
	outcomes := map[string]int{}
	n := 6000
	if raceEnabled {
		n = 1000
	}
	for i := range n {
		r := newTest(t)
		if rng.IntN(2) == 0 {
			passCheck(t, r, "c", rng.IntN(4) != 0)
		}
		for range rng.IntN(6) { // an earlier history
			_ = r.Sign(SignRequest{Items: []string{ids[rng.IntN(len(ids))]}, Role: roles[rng.IntN(len(roles))],
				Actor: actors[rng.IntN(len(actors))], At: at(1)}, members)
		}
		// A run of items in checklist order, as one signs a phase's items.
		req := SignRequest{Role: roles[rng.IntN(len(roles))], Actor: actors[rng.IntN(len(actors))], At: at(2), Note: "n"}
		from := rng.IntN(len(ids))
		req.Items = append(req.Items, ids[from:min(len(ids), from+1+rng.IntN(4))]...)
		if rng.IntN(4) == 0 {
			req.Items = append(req.Items, ids[rng.IntN(len(ids))])
		}
		if rng.IntN(20) == 0 {
			req.Items = append(req.Items, "nope")
		}
		if rng.IntN(3) == 0 {
			req.Force, req.Reason = true, "hotfix"
		}
		pol := []Policy{open, members, members, members}[rng.IntN(4)]
		a, b := r.clone(), r.clone()
		errA, errB := a.Sign(req, pol), signOneByOne(b, req, pol)
		if fmt.Sprint(errA) != fmt.Sprint(errB) || !slices.EqualFunc(a.Events, b.Events, func(x, y Event) bool { return x.Hash == y.Hash }) {
			t.Fatalf("case %d: %+v\nSign: %v, %d events\none by one: %v, %d events", i, req, errA, len(a.Events), errB, len(b.Events))
		}
		if errA == nil {
			outcomes["signed"]++
			if len(a.Events)-len(r.Events) > 1 {
				outcomes["signed several"]++
			}
		} else {
			outcomes[fmt.Sprint(errs.Code(errA))]++
		}
	}
	t.Logf("outcomes by exit code: %v", outcomes)
	if outcomes["signed several"] < n/30 || outcomes["4"] < n/20 {
		t.Errorf("too few signed or refused requests to test much: %v", outcomes)
	}
}
