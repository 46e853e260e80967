package release

import (
	"slices"
	"time"
)

// RoleWait is a role the release is waiting on (SPEC §15): the pending
// items it has still to sign, in checklist order.
type RoleWait struct {
	Role  string
	Items []WaitItem
}

// WaitItem is a pending item and since when it has been actionable.
type WaitItem struct {
	ID    string
	Title string
	Since time.Time
}

// Since is the earliest Since of the role's items: how long the role has
// kept the release waiting.
func (w RoleWait) Since() time.Time {
	var t time.Time
	for _, it := range w.Items {
		if t.IsZero() || it.Since.Before(t) {
			t = it.Since
		}
	}
	return t
}

// Waiting says who the release is waiting on: each role with a pending
// item whose pending roles include it, in order of first appearance in the
// checklist. A release that is not in progress waits on nobody.
func (r *Release) Waiting(pol Policy) []RoleWait {
	out := []RoleWait{}
	if r.Status() != StatusInProgress {
		return out
	}
	pol = memoVerify(pol)
	v := r.Evaluate(pol)
	since := r.actionableSince(v, pol)
	index := map[string]int{} // role → position in out
	for _, p := range v.Phases {
		for _, it := range p.Items {
			if it.State != StatePending {
				continue
			}
			for _, role := range it.PendingRoles {
				i, ok := index[role]
				if !ok {
					i = len(out)
					index[role] = i
					out = append(out, RoleWait{Role: role})
				}
				out[i].Items = append(out[i].Items, WaitItem{ID: it.ID, Title: it.Title, Since: since[it.ID]})
			}
		}
	}
	return out
}

// ActionableSince maps each pending item to the time it became pending and
// has stayed so: the time of the event after which it was neither blocked
// (by an earlier phase or a need) nor done or waived, else the start.
func (r *Release) ActionableSince(pol Policy) map[string]time.Time {
	pol = memoVerify(pol)
	return r.actionableSince(r.Evaluate(pol), pol)
}

// actionableSince derives ActionableSince from the events; full is the
// view of all of them.
//
// An item's state depends only on its own sign-offs and on whether its
// blockers (the items of earlier phases and its needs) are done or
// waived, and those change only at sign, waive and revoke events (a
// force is followed by its sign; a retarget records revokes). So the
// state of item X can only change at the events that touch X or one of
// its blockers: X's "relevant" events. Walking the relevant events of
// the pending items backwards, the view just before each one is
// evaluated (once, for every item it is relevant to): the first, going
// back, before which X was not pending is the event X became actionable
// at. An item no such event is found for has been pending since the
// start; one with no relevant event at all (a first-phase item without
// needs or sign-offs) costs no evaluation.
//
// Replaying Evaluate over every prefix would cost one evaluation per
// event; this usually costs a few (the event that completed the previous
// phase and the item's own partial sign-offs), and at most one per sign,
// waive or revoke event.
func (r *Release) actionableSince(full View, pol Policy) map[string]time.Time {
	start := r.Meta.CreatedAt
	if len(r.Events) > 0 && r.Events[0].Kind == EventStart {
		start = r.Events[0].At
	}
	touches := r.touchedItems()
	// relevant[X]: the items whose events may change X's state.
	relevant := map[string]map[string]bool{}
	var earlier []string // items of the phases before the current one
	for _, p := range full.Phases {
		for _, it := range p.Items {
			if it.State != StatePending {
				continue
			}
			set := map[string]bool{it.ID: true}
			for _, b := range earlier {
				set[b] = true
			}
			for _, n := range it.Needs {
				set[n] = true
			}
			relevant[it.ID] = set
		}
		for _, it := range p.Items {
			earlier = append(earlier, it.ID)
		}
	}
	since := make(map[string]time.Time, len(relevant))
	for id := range relevant {
		since[id] = start
	}
	open := len(relevant) // items whose time is not settled yet
	for i := len(r.Events) - 1; i > 0 && open > 0; i-- {
		var waiting []string // unsettled items event i is relevant to
		for id, set := range relevant {
			if set != nil && slices.ContainsFunc(touches[i], func(t string) bool { return set[t] }) {
				waiting = append(waiting, id)
			}
		}
		if len(waiting) == 0 {
			continue
		}
		before := (&Release{Header: r.Header, Events: r.Events[:i]}).Evaluate(pol)
		for _, id := range waiting {
			if it, ok := before.Item(id); !ok || it.State != StatePending {
				since[id] = r.Events[i].At
				relevant[id] = nil // settled
				open--
			}
		}
	}
	return since
}

// touchedItems maps the index of each sign, waive or revoke event to the
// items whose sign-offs it adds or withdraws.
func (r *Release) touchedItems() map[int][]string {
	itemOf := map[string]string{} // sign or waive event hash → its item
	out := map[int][]string{}
	for i, e := range r.Events {
		switch e.Kind {
		case EventSign, EventWaive:
			itemOf[e.Hash] = e.Item
			out[i] = []string{e.Item}
		case EventRevoke:
			items := []string{e.Item}
			for _, h := range e.Revokes {
				if it, ok := itemOf[h]; ok && !slices.Contains(items, it) {
					items = append(items, it)
				}
			}
			out[i] = items
		}
	}
	return out
}

// memoVerify remembers each event's verification: deriving since when an
// item was actionable evaluates several prefixes of the same events, and
// checking a signature is not cheap.
func memoVerify(pol Policy) Policy {
	if pol.Verify == nil {
		return pol
	}
	verify, seen := pol.Verify, map[string]error{}
	pol.Verify = func(e Event, at time.Time) error {
		key := e.Hash + "@" + at.String()
		if e.Hash == "" {
			return verify(e, at)
		}
		if err, ok := seen[key]; ok {
			return err
		}
		err := verify(e, at)
		seen[key] = err
		return err
	}
	return pol
}
