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
// A pending item X is pending from the event after which X has been
// unfinished (neither done nor waived) and its blockers (every item of the
// earlier phases, and its needs) have been finished, whichever of those
// events comes later in view order; the start when there is none. So
// since(X) is the latest of: when X was last reopened, when its phase's
// predecessor last became complete, when each need was last finished.
//
// Finishing is a matter of an item's own sign, waive and revoke events.
// Without a revoke touching the item it is monotone: a sign-off's conflicts
// are judged against the ones before it, so one counted in the full view
// counted from its event on, and the event that finished it is found in
// the full view's sign-offs, and an unfinished item never was finished.
// Only an item some revoke touches needs the views before its events;
// those are evaluated, walking its events back, and shared between items.
// The usual cost is one evaluation and a pass over the events.
func (r *Release) actionableSince(full View, pol Policy) map[string]time.Time {
	w := sinceWalk{r: r, pol: pol, pos: positions(r.Events), changes: map[string][]int{},
		touched: map[string]bool{}, prefix: map[int]View{}, finishedAt: map[string]int{}}
	for i, items := range r.touchedItems() {
		for _, id := range items {
			w.changes[id] = append(w.changes[id], i)
			if r.Events[i].Kind == EventRevoke {
				w.touched[id] = true
			}
		}
	}
	for _, idx := range w.changes {
		slices.Sort(idx)
	}
	out := map[string]time.Time{}
	earlier := 0 // event after which every item of the phases so far has been finished
	for _, p := range full.Phases {
		for _, it := range p.Items {
			if it.State != StatePending {
				continue
			}
			at := max(earlier, w.reopenedAt(it.ID))
			for _, n := range it.Needs {
				nv, _ := full.Item(n)
				at = max(at, w.finished(nv))
			}
			out[it.ID] = r.Meta.CreatedAt // no event at all: not a stored release
			if at < len(r.Events) {
				out[it.ID] = r.Events[at].At
			}
		}
		if !p.Complete {
			break // every later item is blocked
		}
		for _, it := range p.Items {
			earlier = max(earlier, w.finished(it))
		}
	}
	return out
}

// sinceWalk answers, by event index (0 is the start), when items were last
// finished or reopened.
type sinceWalk struct {
	r          *Release
	pol        Policy
	pos        map[string]int   // event hash → index
	changes    map[string][]int // item → its sign, waive and revoke events, in order
	touched    map[string]bool  // items a revoke touches
	prefix     map[int]View     // n → the view of the first n events
	finishedAt map[string]int
}

// finished is the event after which it, finished now, has been finished.
func (w *sinceWalk) finished(it ItemView) int {
	if at, ok := w.finishedAt[it.ID]; ok {
		return at
	}
	at, ok := 0, false
	if !w.touched[it.ID] {
		at, ok = w.firstFinished(it)
	}
	if !ok {
		at = w.lastChange(it.ID, func(iv ItemView) bool { return !iv.Finished() })
	}
	w.finishedAt[it.ID] = at
	return at
}

// reopenedAt is the event after which id, unfinished now, has been
// unfinished: the start unless a revoke touches it.
func (w *sinceWalk) reopenedAt(id string) int {
	if !w.touched[id] {
		return 0
	}
	return w.lastChange(id, ItemView.Finished)
}

// firstFinished replays the counted sign-offs of it, which no revoke
// touches, to the one that finished it (as itemView decides finished).
func (w *sinceWalk) firstFinished(it ItemView) (int, bool) {
	counted := map[string]int{}
	complete := func() bool {
		for _, role := range it.Roles {
			if counted[role] < it.Quorum(role) {
				return false
			}
		}
		return true
	}
	if complete() {
		return 0, true
	}
	for _, s := range it.Signoffs {
		if !s.Counted {
			continue
		}
		counted[s.Role]++
		if s.Kind == EventWaive || complete() {
			i, ok := w.pos[s.Event]
			return i, ok
		}
	}
	return 0, false
}

// lastChange walks id's events back to the latest one before which
// was(id's view) held, and returns its index; 0 if it held at none.
func (w *sinceWalk) lastChange(id string, was func(ItemView) bool) int {
	idx := w.changes[id]
	for k := len(idx) - 1; k >= 0; k-- {
		n := idx[k]
		v, ok := w.prefix[n]
		if !ok {
			v = (&Release{Header: w.r.Header, Events: w.r.Events[:n]}).Evaluate(w.pol)
			w.prefix[n] = v
		}
		if iv, ok := v.Item(id); ok && was(iv) {
			return n
		}
	}
	return 0
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
