package release

import (
	"slices"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

type itemWant struct {
	state    string
	pending  []string
	blockers []string
}

func checkItems(t *testing.T, v View, want map[string]itemWant) {
	t.Helper()
	for id, w := range want {
		iv, ok := v.Item(id)
		if !ok {
			t.Errorf("no item %s", id)
			continue
		}
		if iv.State != w.state || !slices.Equal(iv.PendingRoles, w.pending) || !slices.Equal(iv.Blockers, w.blockers) {
			t.Errorf("%s: state %s pending %q blockers %q; want %s %q %q",
				id, iv.State, iv.PendingRoles, iv.Blockers, w.state, w.pending, w.blockers)
		}
	}
}

func TestEvaluate(t *testing.T) {
	r := newTest()
	v := r.Evaluate()
	if v.Complete || v.Phases[0].Complete || v.Phases[1].Complete || len(v.Phases) != 2 {
		t.Errorf("fresh release complete: %+v", v)
	}
	checkItems(t, v, map[string]itemWant{
		"a": {StatePending, []string{"developer"}, []string{}},
		"b": {StatePending, []string{"qa", "sre"}, []string{}},
		"c": {StatePending, []string{"sre"}, []string{}},
		"d": {StateBlocked, []string{"sre"}, []string{"phase pre"}},
		"f": {StateBlocked, []string{"qa"}, []string{"phase pre", "e"}},
		"g": {StateBlocked, []string{"product-manager"}, []string{"phase pre", "f"}},
	})
	if v.Phases[1].Items[0].Phase != "deploy" || v.Phases[0].Title != "Pre-release" {
		t.Errorf("phase fields %+v", v.Phases[1].Items[0])
	}

	mustSign(t, r, open, "alice", "sre", "b")
	checkItems(t, r.Evaluate(), map[string]itemWant{"b": {StatePending, []string{"qa"}, []string{}}})

	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "dev", "", "a")
	passCheck(t, r, "c", true)
	mustSign(t, r, open, "alice", "", "c")
	v = r.Evaluate()
	if !v.Phases[0].Complete || v.Phases[1].Complete || v.Complete {
		t.Errorf("after phase pre: %+v", v)
	}
	checkItems(t, v, map[string]itemWant{
		"b": {StateDone, []string{}, []string{}},
		"d": {StatePending, []string{"sre"}, []string{}},
		"e": {StatePending, []string{"sre"}, []string{}},
		"f": {StateBlocked, []string{"qa"}, []string{"e"}},
		"g": {StateBlocked, []string{"product-manager"}, []string{"f"}},
	})
	b, _ := v.Item("b")
	if len(b.Signoffs) != 2 || b.Signoffs[0].Role != "qa" || b.Signoffs[1].Role != "sre" {
		t.Errorf("signoffs of b not in role order: %+v", b.Signoffs)
	}

	r2 := newTest()
	completeAll(t, r2)
	v = r2.Evaluate()
	if !v.Complete || !v.Phases[1].Complete {
		t.Errorf("complete release not complete: %+v", v)
	}
	checkItems(t, v, map[string]itemWant{
		"d": {StateWaived, []string{}, []string{}},
		"g": {StateWaived, []string{}, []string{}},
		"f": {StateDone, []string{}, []string{}},
	})
}

func TestEvaluateRevokeEarlierItemKeepsLaterDone(t *testing.T) {
	r := newTest()
	completeAll(t, r)
	if err := r.Revoke(ActionRequest{Item: "a", Role: "developer", Actor: "dev", Reason: "reopened", At: at(40)}, open); err != nil {
		t.Fatal(err)
	}
	v := r.Evaluate()
	checkItems(t, v, map[string]itemWant{
		"a": {StatePending, []string{"developer"}, []string{}},
		"e": {StateDone, []string{}, []string{}},
	})
	if v.Complete || v.Phases[0].Complete || !v.Phases[1].Complete {
		t.Errorf("completeness after revoke: %v %v %v", v.Complete, v.Phases[0].Complete, v.Phases[1].Complete)
	}
}

func TestStatusTransitions(t *testing.T) {
	type step struct {
		status, reason string
		code           int // 0: allowed
	}
	tests := []struct {
		name     string
		complete bool
		steps    []step
	}{
		{"finish incomplete", false, []step{{StatusReleased, "", errs.CodeGate}}},
		{"finish complete", true, []step{{StatusReleased, "", 0}}},
		{"abort", false, []step{{StatusAborted, "", errs.CodeUsage}, {StatusAborted, "budget", 0},
			{StatusReleased, "", errs.CodePolicy}, {StatusInProgress, "", errs.CodePolicy}, {StatusIncident, "x", errs.CodePolicy}}},
		{"same status", false, []step{{StatusInProgress, "", errs.CodePolicy}}},
		{"unknown status", false, []step{{"shipped", "", errs.CodeUsage}}},
		{"in-progress cannot roll back", false, []step{{StatusRolledBack, "x", errs.CodePolicy}}},
		{"released then incident then rolled back", true, []step{{StatusReleased, "", 0}, {StatusIncident, "", errs.CodeUsage},
			{StatusIncident, "5xx", 0}, {StatusRolledBack, "", 0}, {StatusReleased, "", errs.CodePolicy},
			{StatusIncident, "again", errs.CodePolicy}, {StatusInProgress, "", errs.CodePolicy}}},
		{"incident closed back to released", true, []step{{StatusReleased, "", 0}, {StatusIncident, "5xx", 0},
			{StatusInProgress, "", errs.CodePolicy}, {StatusReleased, "false alarm", 0}, {StatusIncident, "again", 0}}},
		{"incident during rollout closed back to in-progress", false, []step{{StatusIncident, "staging down", 0},
			{StatusReleased, "", errs.CodePolicy}, {StatusInProgress, "", 0}, {StatusReleased, "", errs.CodeGate}}},
		{"released cannot be aborted", true, []step{{StatusReleased, "", 0}, {StatusAborted, "x", errs.CodePolicy}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTest()
			if tt.complete {
				completeAll(t, r)
			}
			for i, s := range tt.steps {
				before, n := r.Status(), len(r.Events)
				err := r.SetStatus(s.status, "alice", s.reason, "v1.4.0-incident-1", at(100+i))
				if s.code == 0 {
					if err != nil {
						t.Fatalf("step %d: %s → %s: %v", i, before, s.status, err)
					}
					if got := r.Status(); got != s.status {
						t.Fatalf("step %d: status %s, want %s", i, got, s.status)
					}
					e := r.Events[len(r.Events)-1]
					if e.Kind != EventStatus || e.Status != s.status || e.Reason != s.reason || e.Link != "v1.4.0-incident-1" || e.Actor != "alice" {
						t.Errorf("status event %+v", e)
					}
					continue
				}
				wantErr(t, err, s.code)
				if r.Status() != before || len(r.Events) != n {
					t.Fatalf("step %d: refused %s → %s changed the release", i, before, s.status)
				}
			}
		})
	}
}

func TestFinishListsBlockers(t *testing.T) {
	r := newTest()
	completePre(t, r)
	wantErr(t, r.SetStatus(StatusReleased, "alice", "", "", at(50)), errs.CodeGate,
		"release v1.4.0 is incomplete: d (unsigned), e (unsigned), f (unsigned), g (unsigned)")
	// A done item whose latest check failed still blocks the release.
	r = newTest()
	completeAll(t, r)
	passCheck(t, r, "c", false)
	wantErr(t, r.SetStatus(StatusReleased, "alice", "", "", at(50)), errs.CodeGate, "c (check-failed)")
}

func TestStatusDefault(t *testing.T) {
	if s := newTest().Status(); s != StatusInProgress {
		t.Errorf("status %s", s)
	}
}

func TestGate(t *testing.T) {
	blockers := func(g GateResult) []string {
		var out []string
		for _, b := range g.Blockers {
			out = append(out, b.Item+":"+b.Reason)
		}
		return out
	}
	items := func(g GateResult) []string {
		var out []string
		for _, it := range g.Items {
			out = append(out, it.ID)
		}
		return out
	}
	fresh := newTest()
	partial := newTest()
	mustSign(t, partial, open, "dev", "", "a")
	mustSign(t, partial, open, "alice", "sre", "b")
	passCheck(t, partial, "c", false)
	done := newTest()
	completeAll(t, done)
	rechecked := newTest()
	completeAll(t, rechecked)
	passCheck(t, rechecked, "c", false)
	passedNotSigned := newTest()
	passCheck(t, passedNotSigned, "c", true)

	tests := []struct {
		name      string
		r         *Release
		phase     string
		items     []string
		passed    bool
		wantItems []string
		blockers  []string
	}{
		{"all phases fresh", fresh, "", nil, false, []string{"a", "b", "c", "d", "e", "f", "g"},
			[]string{"a:unsigned", "b:unsigned", "c:check-missing", "d:unsigned", "e:unsigned", "f:unsigned", "g:unsigned"}},
		{"phase pre", partial, "pre", nil, false, []string{"a", "b", "c"}, []string{"b:unsigned", "c:check-failed"}},
		{"phase deploy includes pre", partial, "deploy", nil, false, []string{"a", "b", "c", "d", "e", "f", "g"},
			[]string{"b:unsigned", "c:check-failed", "d:unsigned", "e:unsigned", "f:unsigned", "g:unsigned"}},
		{"items in checklist order", partial, "", []string{"e", "a", "a"}, false, []string{"a", "e"}, []string{"e:unsigned"}},
		{"signed item passes", partial, "", []string{"a"}, true, []string{"a"}, nil},
		{"passed check, unsigned", passedNotSigned, "", []string{"c"}, false, []string{"c"}, []string{"c:unsigned"}},
		{"complete", done, "", nil, true, []string{"a", "b", "c", "d", "e", "f", "g"}, nil},
		{"waived items pass", done, "", []string{"d", "g"}, true, []string{"d", "g"}, nil},
		{"done item with failed recheck", rechecked, "pre", nil, false, []string{"a", "b", "c"}, []string{"c:check-failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.r.Gate(tt.phase, tt.items)
			if err != nil {
				t.Fatal(err)
			}
			if g.Release != "v1.4.0" || g.Phase != tt.phase || g.Passed != tt.passed {
				t.Errorf("gate %s/%s passed=%v", g.Release, g.Phase, g.Passed)
			}
			if got := items(g); !slices.Equal(got, tt.wantItems) {
				t.Errorf("items %v, want %v", got, tt.wantItems)
			}
			if got := blockers(g); !slices.Equal(got, tt.blockers) {
				t.Errorf("blockers %v, want %v", got, tt.blockers)
			}
			if g.Blockers == nil || g.Items == nil {
				t.Error("nil slices in the gate result")
			}
		})
	}

	g, _ := partial.Gate("pre", nil)
	if b := g.Blockers[0]; b.Title != "Item B" || b.Phase != "pre" || !slices.Equal(b.PendingRoles, []string{"qa"}) {
		t.Errorf("blocker %+v", b)
	}
	g, _ = rechecked.Gate("", nil)
	if b := g.Blockers[0]; b.PendingRoles == nil || len(b.PendingRoles) != 0 {
		t.Errorf("done item blocker pending roles %#v", b.PendingRoles)
	}

	_, err := fresh.Gate("ship", nil)
	wantErr(t, err, errs.CodeUsage, `unknown phase "ship" in release v1.4.0`, "phases: pre, deploy")
	_, err = fresh.Gate("", []string{"a", "nope"})
	wantErr(t, err, errs.CodeUsage, `unknown item "nope"`, "items: a, b, c")
	_, err = fresh.Gate("pre", []string{"a"})
	wantErr(t, err, errs.CodeUsage, "cannot be combined")
}

func TestActionable(t *testing.T) {
	ids := func(views []ItemView) []string {
		out := []string{}
		for _, v := range views {
			out = append(out, v.ID)
		}
		return out
	}
	r := newTest()
	tests := []struct {
		name, actor, role string
		pol               Policy
		want              []string
	}{
		{"anyone, open policy", "x", "", open, []string{"a", "b", "c"}},
		{"role filter", "x", "qa", open, []string{"b"}},
		{"members: outsider", "dave", "", members, []string{"a"}},
		{"members: qa member", "carol", "", members, []string{"a", "b"}},
		{"members: sre member", "bob@example.com", "sre", members, []string{"b", "c"}},
		{"role not pending anywhere", "x", "product-manager", open, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(r.Actionable(tt.actor, tt.role, tt.pol)); !slices.Equal(got, tt.want) {
				t.Errorf("actionable %v, want %v", got, tt.want)
			}
		})
	}
	for _, v := range r.Actionable("carol", "", members) {
		if v.ID == "b" && !slices.Equal(v.PendingRoles, []string{"qa"}) {
			t.Errorf("pending roles of b for carol %v, want [qa]", v.PendingRoles)
		}
	}

	sod := Policy{SeparationOfDuties: true}
	mustSign(t, r, sod, "alice", "qa", "b")
	if got := ids(r.Actionable("alice", "", sod)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("with separation of duties alice can act on %v", got)
	}
	if got := ids(r.Actionable("alice", "", open)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("without separation of duties alice can act on %v", got)
	}

	if err := r.SetStatus(StatusAborted, "alice", "stop", "", at(90)); err != nil {
		t.Fatal(err)
	}
	if got := r.Actionable("x", "", open); len(got) != 0 {
		t.Errorf("aborted release actionable: %v", ids(got))
	}
}
