package workflow

import (
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// twoPhases: phase one has a, phase two has b.
var twoPhases = checklist.Checklist{Name: "tiny", Phases: []checklist.Phase{
	{ID: "one", Title: "One", Items: []checklist.Item{{ID: "a", Title: "A", Roles: []string{"qa"}}}},
	{ID: "two", Title: "Two", Items: []checklist.Item{{ID: "b", Title: "B", Roles: []string{"sre"}}}},
}}

func newStore(t *testing.T) store.Store {
	t.Helper()
	s := store.NewFileStore(t.TempDir(), store.Options{Actor: "rm", Now: func() time.Time { return t0 }})
	r, err := release.New(release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "tiny", CreatedAt: t0, CreatedBy: "rm"}, twoPhases)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(item, role string, at time.Time) func(*release.Release) error {
	return func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{item}, Role: role, Actor: "alice", At: at}, release.Policy{})
	}
}

func TestUpdateSaysWhatAChangeImplied(t *testing.T) {
	s := newStore(t)
	out, err := Update(s, "v1.0.0", release.Policy{}, sign("a", "qa", t0.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Recorded) != 1 || out.Recorded[0].Item != "a" || out.Recorded[0].Kind != release.EventSign {
		t.Errorf("recorded %+v, want the one sign-off of a", out.Recorded)
	}
	if want := []PhaseDone{{ID: "one", Next: "two"}}; len(out.Completed) != 1 || out.Completed[0] != want[0] {
		t.Errorf("completed %+v, want %+v", out.Completed, want)
	}
	if out.Finishable {
		t.Error("finishable with b open")
	}

	out, err = Update(s, "v1.0.0", release.Policy{}, sign("b", "sre", t0.Add(2*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	// Phase one was complete before: only two is news.
	if len(out.Completed) != 1 || out.Completed[0] != (PhaseDone{ID: "two"}) || !out.Finishable {
		t.Errorf("completed %+v finishable %v, want two (the last) and finishable", out.Completed, out.Finishable)
	}
	if out.Parent != nil {
		t.Error("a release that is no incident run has no parent to report")
	}
}

func TestUpdateStoresNothingWhenTheChangeFails(t *testing.T) {
	s := newStore(t)
	if _, err := Update(s, "v1.0.0", release.Policy{}, sign("b", "sre", t0.Add(time.Minute))); err == nil {
		t.Fatal("signing b before phase one is done: want a refusal")
	}
	r, err := s.Load("v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 1 {
		t.Errorf("%d events stored, want only the start event", len(r.Events))
	}
}

func TestUpdateReportsTheParentOfAnIncidentRun(t *testing.T) {
	s := newStore(t)
	incident := checklist.Checklist{Name: "incident", Phases: []checklist.Phase{{ID: "respond", Title: "Respond",
		Items: []checklist.Item{{ID: release.RollbackItem, Title: "Roll back", Roles: []string{"sre"}}}}}}
	run, err := release.New(release.Meta{ID: release.IncidentID("v1.0.0", 1), Version: "1.0.0", Type: "incident",
		Parent: "v1.0.0", Summary: "5xx", CreatedAt: t0.Add(time.Minute), CreatedBy: "rm"}, incident)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(run); err != nil {
		t.Fatal(err)
	}
	out, err := Update(s, run.Meta.ID, release.Policy{}, sign(release.RollbackItem, "sre", t0.Add(2*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Parent == nil || out.Parent.Meta.ID != "v1.0.0" || out.Parent.Status() != release.StatusRolledBack {
		t.Fatalf("parent %+v, want v1.0.0 rolled back", out.Parent)
	}
}
