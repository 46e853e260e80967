package release

import (
	"slices"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"

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
	r := newTest(t)
	v := r.Evaluate(open)
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
	checkItems(t, r.Evaluate(open), map[string]itemWant{"b": {StatePending, []string{"qa"}, []string{}}})

	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "dev", "", "a")
	passCheck(t, r, "c", true)
	mustSign(t, r, open, "alice", "", "c")
	v = r.Evaluate(open)
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
	// Sign-offs are listed in view order (sre was signed first), each
	// counted.
	b, _ := v.Item("b")
	if len(b.Signoffs) != 2 || b.Signoffs[0].Role != "sre" || b.Signoffs[1].Role != "qa" ||
		!b.Signoffs[0].Counted || !b.Signoffs[1].Counted || b.Signoffs[0].Conflict != "" || len(b.Counted()) != 2 {
		t.Errorf("signoffs of b not in view order, or not counted: %+v", b.Signoffs)
	}
	if b.Signoffs[0].Event != r.Events[1].Hash || b.Signoffs[0].Signed {
		t.Errorf("sign-off of b does not name its event %s: %+v", r.Events[1].Hash, b.Signoffs[0])
	}

	r2 := newTest(t)
	completeAll(t, r2)
	v = r2.Evaluate(open)
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
	r := newTest(t)
	completeAll(t, r)
	if err := r.Revoke(ActionRequest{Item: "a", Role: "developer", Actor: "dev", Reason: "reopened", At: at(40)}, open); err != nil {
		t.Fatal(err)
	}
	v := r.Evaluate(open)
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
			{StatusReleased, "", errs.CodePolicy}, {StatusAborted, "again", errs.CodePolicy}, {StatusInProgress, "", errs.CodeUsage}}},
		// Format 2 writes only released and aborted: the rest is derived.
		{"in-progress cannot be set", false, []step{{StatusInProgress, "", errs.CodeUsage}}},
		{"unknown status", false, []step{{"shipped", "", errs.CodeUsage}}},
		{"incident is derived from runs", true, []step{{StatusIncident, "5xx", errs.CodeUsage},
			{StatusReleased, "", 0}, {StatusIncident, "5xx", errs.CodeUsage}}},
		{"rolled-back is derived from runs", true, []step{{StatusRolledBack, "x", errs.CodeUsage},
			{StatusReleased, "", 0}, {StatusRolledBack, "x", errs.CodeUsage}}},
		{"released cannot be aborted", true, []step{{StatusReleased, "", 0}, {StatusAborted, "x", errs.CodePolicy},
			{StatusReleased, "", errs.CodePolicy}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTest(t)
			if tt.complete {
				completeAll(t, r)
			}
			for i, s := range tt.steps {
				before, n := r.Status(), len(r.Events)
				err := r.SetStatus(s.status, "alice", s.reason, at(100+i), open)
				if s.code == 0 {
					if err != nil {
						t.Fatalf("step %d: %s → %s: %v", i, before, s.status, err)
					}
					if got := r.Status(); got != s.status || r.OwnStatus() != s.status {
						t.Fatalf("step %d: status %s (own %s), want %s", i, got, r.OwnStatus(), s.status)
					}
					e := r.Events[len(r.Events)-1]
					if e.Kind != EventStatus || e.Status != s.status || e.Reason != s.reason || e.Link != "" || e.Actor != "alice" ||
						!slices.Equal(e.Parents, []string{r.Events[len(r.Events)-2].Hash}) {
						t.Errorf("status event %+v", e)
					}
					continue
				}
				wantErr(t, err, s.code)
				if r.Status() != before || len(r.Events) != n {
					t.Fatalf("step %d: refused %s → %s changed the release", i, before, s.status)
				}
			}
			if ig := r.IgnoredStatusEvents(); len(ig) != 0 {
				t.Errorf("a single clone ignored status events %+v", ig)
			}
		})
	}
}

// incidentRun is run n of release v1.4.0: a triage item and the optional
// rollback item whose sign-off marks the release rolled back.
func incidentRun(t *testing.T, n int) *Release {
	t.Helper()
	cl := checklist.Checklist{Name: "incident", Source: "embedded", Phases: []checklist.Phase{
		{ID: "response", Title: "Incident response", Items: []checklist.Item{
			{ID: "triage", Title: "Triage", Roles: []string{"sre"}},
			{ID: RollbackItem, Title: "Roll back", Roles: []string{"sre"}, Optional: true},
		}},
	}}
	return mustNew(t, Meta{ID: IncidentID("v1.4.0", n), Version: "1.4.0", Type: TypeIncident, Parent: "v1.4.0",
		Summary: "5xx", CreatedAt: at(200 + n), CreatedBy: "bob"}, cl)
}

// closeRun finishes an incident run without rolling back.
func closeRun(t *testing.T, run *Release) {
	t.Helper()
	mustSign(t, run, open, "bob", "", "triage")
	if err := run.Waive(ActionRequest{Item: RollbackItem, Actor: "bob", Reason: "config fix instead", At: at(300)}, open); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, run, StatusReleased, "", at(301))
}

// TestStatusFromRuns: incident and rolled-back follow from the release's
// incident runs (SPEC §8), which the store attaches as Runs.
func TestStatusFromRuns(t *testing.T) {
	released := func(t *testing.T) *Release {
		r := newTest(t)
		completeAll(t, r)
		mustStatus(t, r, StatusReleased, "", at(100))
		return r
	}
	t.Run("open run", func(t *testing.T) {
		r := released(t)
		r.Runs = []*Release{incidentRun(t, 1)}
		if s := r.Status(); s != StatusIncident || r.OwnStatus() != StatusReleased {
			t.Errorf("status %s, own %s; want incident, released", s, r.OwnStatus())
		}
		wantErr(t, r.SetStatus(StatusAborted, "alice", "x", at(400), open), errs.CodePolicy,
			"release v1.4.0 is incident and cannot become aborted")
		if r.Runs[0].RolledBack() {
			t.Error("a run with no rollback sign-off rolled back")
		}
	})
	t.Run("closed run", func(t *testing.T) {
		r := released(t)
		run := incidentRun(t, 1)
		closeRun(t, run)
		r.Runs = []*Release{run}
		if s := r.Status(); s != StatusReleased || run.RolledBack() {
			t.Errorf("status %s after the run closed with rollback waived, rolled back %v", s, run.RolledBack())
		}
		// A second run opens a second incident.
		r.Runs = append(r.Runs, incidentRun(t, 2))
		if s := r.Status(); s != StatusIncident {
			t.Errorf("status %s with a second open run", s)
		}
	})
	t.Run("aborted run", func(t *testing.T) {
		r := released(t)
		run := incidentRun(t, 1)
		mustStatus(t, run, StatusAborted, "false alarm", at(300))
		r.Runs = []*Release{run}
		if s := r.Status(); s != StatusReleased {
			t.Errorf("status %s after the run was aborted", s)
		}
	})
	t.Run("rolled back", func(t *testing.T) {
		r := released(t)
		run := incidentRun(t, 1)
		mustSign(t, run, open, "bob", "", RollbackItem)
		if !run.RolledBack() || run.Status() != StatusInProgress {
			t.Fatalf("run rolled back %v, status %s", run.RolledBack(), run.Status())
		}
		r.Runs = []*Release{run, incidentRun(t, 2)}
		if s := r.Status(); s != StatusRolledBack {
			t.Errorf("status %s, want rolled-back", s)
		}
		mustSign(t, run, open, "bob", "", "triage")
		mustStatus(t, run, StatusReleased, "", at(400))
		if s := r.Status(); s != StatusRolledBack {
			t.Errorf("status %s after the rolled-back run closed, want rolled-back for good", s)
		}
		wantErr(t, r.SetStatus(StatusReleased, "alice", "", at(401), open), errs.CodePolicy, "is rolled-back")
	})
	t.Run("incident during rollout", func(t *testing.T) {
		r := newTest(t)
		run := incidentRun(t, 1)
		r.Runs = []*Release{run}
		if s := r.Status(); s != StatusIncident {
			t.Fatalf("status %s", s)
		}
		wantErr(t, r.Sign(SignRequest{Items: []string{"a"}, Actor: "dev", At: at(1)}, open), errs.CodePolicy, "release v1.4.0 is incident")
		closeRun(t, run)
		if s := r.Status(); s != StatusInProgress {
			t.Fatalf("status %s after the run closed, want in-progress again", s)
		}
		wantErr(t, r.SetStatus(StatusReleased, "alice", "", at(400), open), errs.CodeGate, "is incomplete")
	})
	t.Run("aborted stays aborted", func(t *testing.T) {
		r := newTest(t)
		mustStatus(t, r, StatusAborted, "stop", at(1))
		r.Runs = []*Release{incidentRun(t, 1)}
		if s := r.Status(); s != StatusAborted {
			t.Errorf("status %s", s)
		}
	})
}

// TestOwnStatusMigrated: a release migrated from format 1 carries the
// incident history format 1 wrote into the release itself. Entering an
// incident, or returning to the status it interrupted, is no change of the
// release's own status; rolled-back is; a change the transitions forbid is
// ignored.
func TestOwnStatusMigrated(t *testing.T) {
	tests := []struct {
		statuses []string
		want     string
		ignored  []string
	}{
		{[]string{StatusReleased, StatusIncident, StatusRolledBack}, StatusRolledBack, nil},
		{[]string{StatusReleased, StatusIncident, StatusRolledBack, StatusReleased, StatusIncident}, StatusRolledBack,
			[]string{StatusReleased}},
		{[]string{StatusReleased, StatusIncident, StatusReleased, StatusIncident}, StatusReleased, nil},
		{[]string{StatusIncident, StatusInProgress, StatusReleased}, StatusReleased, nil},
		{[]string{StatusIncident, StatusRolledBack}, StatusRolledBack, nil},
		{[]string{StatusIncident, StatusReleased, StatusAborted}, StatusReleased, []string{StatusAborted}},
		{[]string{StatusAborted, StatusReleased, StatusRolledBack}, StatusAborted, []string{StatusReleased, StatusRolledBack}},
		{[]string{StatusInProgress, StatusRolledBack, StatusAborted, StatusReleased}, StatusRolledBack,
			[]string{StatusAborted, StatusReleased}},
		{[]string{"shipped", StatusReleased}, StatusReleased, []string{"shipped"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.statuses, ","), func(t *testing.T) {
			r := newTest(t)
			for i, st := range tt.statuses {
				craft(t, r, Event{Kind: EventStatus, At: at(10 + i), Actor: "alice", Status: st})
			}
			if got := r.OwnStatus(); got != tt.want {
				t.Errorf("own status %s, want %s", got, tt.want)
			}
			if got := r.Status(); got != tt.want {
				t.Errorf("status %s, want %s", got, tt.want)
			}
			var ignored []string
			for _, e := range r.IgnoredStatusEvents() {
				ignored = append(ignored, e.Status)
			}
			if !slices.Equal(ignored, tt.ignored) {
				t.Errorf("ignored %v, want %v", ignored, tt.ignored)
			}
		})
	}
}

func TestFinishListsBlockers(t *testing.T) {
	r := newTest(t)
	completePre(t, r)
	wantErr(t, r.SetStatus(StatusReleased, "alice", "", at(50), open), errs.CodeGate,
		"release v1.4.0 is incomplete: d (unsigned), e (unsigned), f (unsigned), g (unsigned)")
	// A done item whose latest check failed still blocks the release.
	r = newTest(t)
	completeAll(t, r)
	passCheck(t, r, "c", false)
	wantErr(t, r.SetStatus(StatusReleased, "alice", "", at(50), open), errs.CodeGate, "c (check-failed)")
}

func TestStatusDefault(t *testing.T) {
	if s := newTest(t).Status(); s != StatusInProgress {
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
	fresh := newTest(t)
	partial := newTest(t)
	mustSign(t, partial, open, "dev", "", "a")
	mustSign(t, partial, open, "alice", "sre", "b")
	passCheck(t, partial, "c", false)
	done := newTest(t)
	completeAll(t, done)
	rechecked := newTest(t)
	completeAll(t, rechecked)
	passCheck(t, rechecked, "c", false)
	passedNotSigned := newTest(t)
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
			g, err := tt.r.Gate(tt.phase, tt.items, open)
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

	g, _ := partial.Gate("pre", nil, open)
	if b := g.Blockers[0]; b.Title != "Item B" || b.Phase != "pre" || !slices.Equal(b.PendingRoles, []string{"qa"}) {
		t.Errorf("blocker %+v", b)
	}
	g, _ = rechecked.Gate("", nil, open)
	if b := g.Blockers[0]; b.PendingRoles == nil || len(b.PendingRoles) != 0 {
		t.Errorf("done item blocker pending roles %#v", b.PendingRoles)
	}

	_, err := fresh.Gate("ship", nil, open)
	wantErr(t, err, errs.CodeUsage, `unknown phase "ship" in release v1.4.0`, "phases: pre, deploy")
	_, err = fresh.Gate("", []string{"a", "nope"}, open)
	wantErr(t, err, errs.CodeUsage, `unknown item "nope"`, "items: a, b, c")
	_, err = fresh.Gate("pre", []string{"a"}, open)
	wantErr(t, err, errs.CodeUsage, "a gate is of a phase or of items, not both")
}

func TestActionable(t *testing.T) {
	ids := func(views []ItemView) []string {
		out := []string{}
		for _, v := range views {
			out = append(out, v.ID)
		}
		return out
	}
	r := newTest(t)
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

	mustSign(t, r, sod, "alice", "qa", "b")
	if got := ids(r.Actionable("alice", "", sod)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("with separation of duties alice can act on %v", got)
	}
	if got := ids(r.Actionable("alice", "", open)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("without separation of duties alice can act on %v", got)
	}

	if err := r.SetStatus(StatusAborted, "alice", "stop", at(90), open); err != nil {
		t.Fatal(err)
	}
	if got := r.Actionable("x", "", open); len(got) != 0 {
		t.Errorf("aborted release actionable: %v", ids(got))
	}
}
