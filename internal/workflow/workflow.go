// Package workflow carries out one change to a release and works out what
// the change implied: the events it recorded, the phases it completed,
// whether the release can now be finished, and the status an incident run
// gave the release it belongs to. Commands report an Outcome; they do not
// compute it.
package workflow

import (
	"slices"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// Outcome is what one change recorded and implied.
type Outcome struct {
	Release  *release.Release // as the change left it
	Recorded []release.Event  // the events the change recorded, in order
	// Completed are the phases this change completed, in checklist order.
	Completed []PhaseDone
	// Finishable: the release is in progress and every item is done or
	// waived, so it can be finished.
	Finishable bool
	// Parent is an incident run's release, reloaded, when the change
	// closed the run or signed its rollback: the release's status is
	// derived from its runs, so it changed with this write.
	Parent *release.Release
}

// PhaseDone is a phase a change completed, and the phase after it ("" for
// the last phase).
type PhaseDone struct {
	ID   string
	Next string
}

// Update applies fn to release id under its lock, with pol deciding what
// counts, and returns what it recorded and implied. Nothing is stored when
// fn fails.
func Update(s store.Store, id string, pol release.Policy, fn func(*release.Release) error) (Outcome, error) {
	var before int
	var wasComplete []bool
	var after *release.Release
	err := s.Update(id, func(r *release.Release) error {
		before = len(r.Events)
		wasComplete = phasesComplete(r.Evaluate(pol))
		if err := fn(r); err != nil {
			return err
		}
		after = r
		return nil
	})
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Release: after, Recorded: slices.Clone(after.Events[before:])}
	if after.Status() == release.StatusInProgress {
		v := after.Evaluate(pol)
		for i, p := range v.Phases {
			if !p.Complete || (i < len(wasComplete) && wasComplete[i]) {
				continue
			}
			done := PhaseDone{ID: p.ID}
			if i+1 < len(v.Phases) {
				done.Next = v.Phases[i+1].ID
			}
			out.Completed = append(out.Completed, done)
		}
		out.Finishable = v.Complete
	}
	if after.Meta.Parent != "" && changesParent(out.Recorded) {
		if p, err := s.Load(after.Meta.Parent); err == nil {
			out.Parent = p
		}
	}
	return out, nil
}

// changesParent reports whether an incident run's events change its
// release's status: closing the run gives the release back its status,
// signing rollback rolls it back.
func changesParent(events []release.Event) bool {
	for _, e := range events {
		if e.Kind == release.EventStatus || e.Kind == release.EventSign && e.Item == release.RollbackItem {
			return true
		}
	}
	return false
}

func phasesComplete(v release.View) []bool {
	out := make([]bool, len(v.Phases))
	for i, p := range v.Phases {
		out[i] = p.Complete
	}
	return out
}
