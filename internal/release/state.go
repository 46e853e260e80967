package release

import (
	"slices"
	"strings"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

// New opens a release: the checklist snapshot, the metadata and the start
// event by meta.CreatedBy at meta.CreatedAt.
func New(meta Meta, cl checklist.Checklist) *Release {
	r := &Release{
		Format:    FormatVersion,
		Meta:      normMeta(meta),
		Checklist: normChecklist(cl),
		Events:    []Event{},
	}
	r.appendEvent(Event{Kind: EventStart, At: r.Meta.CreatedAt, Actor: meta.CreatedBy})
	return r
}

// Status is the release status set by the latest status event.
func (r *Release) Status() string {
	for i := len(r.Events) - 1; i >= 0; i-- {
		if e := r.Events[i]; e.Kind == EventStatus {
			return e.Status
		}
	}
	return StatusInProgress
}

// statusBefore returns the status in force before the latest event that set
// status s (in-progress if none).
func (r *Release) statusBefore(s string) string {
	found := false
	for i := len(r.Events) - 1; i >= 0; i-- {
		e := r.Events[i]
		if e.Kind != EventStatus {
			continue
		}
		if found {
			return e.Status
		}
		if e.Status == s {
			found = true
		}
	}
	return StatusInProgress
}

// history is the replayed event log, indexed by the checklist: for each
// item (numbered in checklist order) and each of its roles the event of the
// sign-off or waiver in force, and each item's latest check. Flat slices of
// event numbers rather than maps of sign-offs: a 1,000-item release with
// 3,000 sign-offs would otherwise build a thousand small maps per command.
type history struct {
	events []Event
	item   map[string]int // item id → item number (the first, were an id repeated)
	roles  [][]string     // item number → its roles
	first  []int          // item number → its first slot in current
	// current holds one slot per (item, role): the index in events of the
	// sign or waive event in force, or -1.
	current []int
	check   []int // item number → index in events of its latest check, or -1
}

func (r *Release) replay() history {
	n, slots := 0, 0
	for _, p := range r.Checklist.Phases {
		n += len(p.Items)
		for _, it := range p.Items {
			slots += len(it.Roles)
		}
	}
	h := history{events: r.Events, item: make(map[string]int, n), roles: make([][]string, 0, n),
		first: make([]int, 0, n), current: make([]int, slots), check: make([]int, n)}
	slot := 0
	for _, p := range r.Checklist.Phases {
		for _, it := range p.Items {
			if _, dup := h.item[it.ID]; !dup {
				h.item[it.ID] = len(h.roles)
			}
			h.roles = append(h.roles, it.Roles)
			h.first = append(h.first, slot)
			slot += len(it.Roles)
		}
	}
	for i := range h.current {
		h.current[i] = -1
	}
	for i := range h.check {
		h.check[i] = -1
	}
	for i, e := range r.Events {
		k, ok := h.item[e.Item]
		if !ok {
			continue // not an item event, or not an item of this checklist
		}
		switch e.Kind {
		case EventSign, EventWaive, EventRevoke:
			j := slices.Index(h.roles[k], e.Role)
			if j < 0 {
				continue // not a role of the item: never shown, never counted
			}
			if e.Kind == EventRevoke {
				i = -1
			}
			h.current[h.first[k]+j] = i
		case EventCheck:
			if e.Check != nil {
				h.check[k] = i
			}
		}
	}
	return h
}

// signoff is the sign-off or waiver in force for the item numbered k and
// its role, if any.
func (h history) signoff(k int, role string) (Signoff, bool) {
	j := slices.Index(h.roles[k], role)
	if j < 0 || h.current[h.first[k]+j] < 0 {
		return Signoff{}, false
	}
	e := &h.events[h.current[h.first[k]+j]]
	return Signoff{
		Role: e.Role, By: e.Actor, At: e.At, Kind: e.Kind, Note: e.Note,
		Reason: e.Reason, Evidence: nonNil(e.Evidence), Forced: e.Forced,
	}, true
}

// phaseBlocker names an incomplete phase in ItemView.Blockers.
const phaseBlockerPrefix = "phase "

// Evaluate derives every item's state from the event log (SPEC §8).
func (r *Release) Evaluate() View {
	h := r.replay()
	v := View{Complete: true, Phases: make([]PhaseView, 0, len(r.Checklist.Phases))}
	finished := make([]bool, len(h.roles)) // item number → done or waived
	// First pass: done / waived, which do not depend on order.
	for _, p := range r.Checklist.Phases {
		pv := PhaseView{ID: p.ID, Title: p.Title, Complete: true, Items: make([]ItemView, 0, len(p.Items))}
		for _, it := range p.Items {
			k := h.item[it.ID]
			iv := itemView(it, p.ID, h, k)
			if iv.Finished() {
				finished[k] = true
			} else {
				pv.Complete = false
			}
			pv.Items = append(pv.Items, iv)
		}
		v.Complete = v.Complete && pv.Complete
		v.Phases = append(v.Phases, pv)
	}
	// Second pass: what is left is pending or blocked.
	var incomplete []string // earlier phases not complete, as blockers
	for pi := range v.Phases {
		pv := &v.Phases[pi]
		for ii := range pv.Items {
			iv := &pv.Items[ii]
			if iv.State != "" {
				continue
			}
			iv.Blockers = append(iv.Blockers, incomplete...)
			for _, n := range iv.Needs {
				if k, ok := h.item[n]; !ok || !finished[k] {
					iv.Blockers = append(iv.Blockers, n)
				}
			}
			iv.State = StatePending
			if len(iv.Blockers) > 0 {
				iv.State = StateBlocked
			}
		}
		if !pv.Complete {
			incomplete = append(incomplete, phaseBlockerPrefix+pv.ID)
		}
	}
	return v
}

// itemView fills everything but the pending/blocked decision (State is
// left empty for those); k is the item's number in h.
func itemView(it checklist.Item, phase string, h history, k int) ItemView {
	it.Roles = nonNil(it.Roles)
	it.Needs = nonNil(it.Needs)
	iv := ItemView{Item: it, Phase: phase, PendingRoles: []string{}, Blockers: []string{}, Signoffs: []Signoff{}}
	waived := false
	for _, role := range it.Roles {
		s, ok := h.signoff(k, role)
		if !ok {
			iv.PendingRoles = append(iv.PendingRoles, role)
			continue
		}
		if len(iv.Signoffs) == 0 {
			iv.Signoffs = make([]Signoff, 0, len(it.Roles))
		}
		iv.Signoffs = append(iv.Signoffs, s)
		iv.Forced = iv.Forced || s.Forced
		waived = waived || s.Kind == EventWaive
	}
	if it.Check != nil && h.check[k] >= 0 {
		e := &h.events[h.check[k]]
		iv.LatestCheck = &CheckEvent{CheckResult: *e.Check, By: e.Actor, At: e.At}
	}
	switch {
	case waived:
		iv.State = StateWaived
		iv.PendingRoles = []string{}
	case len(iv.PendingRoles) == 0:
		iv.State = StateDone
	}
	return iv
}

// Finished reports whether the item is done or waived: it no longer holds
// its phase's gate.
func (iv ItemView) Finished() bool { return iv.State == StateDone || iv.State == StateWaived }

// Item returns the view of the item with the given id.
func (v View) Item(id string) (ItemView, bool) {
	for _, p := range v.Phases {
		for _, it := range p.Items {
			if it.ID == id {
				return it, true
			}
		}
	}
	return ItemView{}, false
}

// describeBlockers expands a blocked item's blockers for a message: an
// incomplete phase lists its unfinished items.
func (v View) describeBlockers(iv ItemView) string {
	parts := make([]string, 0, len(iv.Blockers))
	for _, b := range iv.Blockers {
		ph, ok := strings.CutPrefix(b, phaseBlockerPrefix)
		if !ok {
			parts = append(parts, b)
			continue
		}
		for _, p := range v.Phases {
			if p.ID != ph {
				continue
			}
			var open []string
			for _, it := range p.Items {
				if !it.Finished() {
					open = append(open, it.ID)
				}
			}
			parts = append(parts, "phase "+ph+" ("+strings.Join(open, ", ")+")")
		}
	}
	return strings.Join(parts, ", ")
}

// Gate answers `gate` (SPEC §7, §8): phase P and every earlier phase, all
// phases when phase is empty, or just the named items.
func (r *Release) Gate(phase string, items []string) (GateResult, error) {
	if phase != "" && len(items) > 0 {
		return GateResult{}, errs.Usagef("--phase and --item cannot be combined")
	}
	v := r.Evaluate()
	inScope, err := r.gateScope(v, phase, items)
	if err != nil {
		return GateResult{}, err
	}
	g := GateResult{Release: r.Meta.ID, Phase: phase, Items: []ItemView{}, Blockers: []Blocker{}}
	for _, p := range v.Phases {
		for _, it := range p.Items {
			if !inScope(p.ID, it.ID) {
				continue
			}
			g.Items = append(g.Items, it)
			if reason := blockReason(it); reason != "" {
				g.Blockers = append(g.Blockers, Blocker{
					Item: it.ID, Title: it.Title, Phase: p.ID,
					PendingRoles: nonNil(it.PendingRoles), Reason: reason,
				})
			}
		}
	}
	g.Passed = len(g.Blockers) == 0
	return g, nil
}

// Blocker reasons (SPEC §8).
const (
	ReasonUnsigned     = "unsigned"
	ReasonCheckMissing = "check-missing"
	ReasonCheckFailed  = "check-failed"
)

// blockReason says why an item blocks a gate, or "" if it does not. A
// waived item never blocks: waiving says the step, check included, does not
// apply.
func blockReason(it ItemView) string {
	switch {
	case it.State == StateWaived:
		return ""
	case it.State == StateDone:
		if it.Check != nil && it.LatestCheck != nil && !it.LatestCheck.Passed {
			return ReasonCheckFailed
		}
		return ""
	case it.Check != nil && it.LatestCheck == nil:
		return ReasonCheckMissing
	case it.Check != nil && !it.LatestCheck.Passed:
		return ReasonCheckFailed
	default:
		return ReasonUnsigned
	}
}

func (r *Release) gateScope(v View, phase string, items []string) (func(phase, item string) bool, error) {
	switch {
	case len(items) > 0:
		want := map[string]bool{}
		for _, id := range items {
			if _, ok := v.Item(id); !ok {
				return nil, r.unknownItem(id)
			}
			want[id] = true
		}
		return func(_, item string) bool { return want[item] }, nil
	case phase != "":
		upto := map[string]bool{}
		for _, p := range v.Phases {
			upto[p.ID] = true
			if p.ID == phase {
				return func(ph, _ string) bool { return upto[ph] }, nil
			}
		}
		ids := make([]string, 0, len(v.Phases))
		for _, p := range v.Phases {
			ids = append(ids, p.ID)
		}
		return nil, errs.Usagef("unknown phase %q in release %s", phase, r.Meta.ID).
			WithHint("phases: %s", strings.Join(ids, ", "))
	default:
		return func(string, string) bool { return true }, nil
	}
}

func (r *Release) unknownItem(id string) *errs.Error {
	return errs.Usagef("unknown item %q in release %s", id, r.Meta.ID).
		WithHint("items: %s", strings.Join(r.Checklist.ItemIDs(), ", "))
}

// Actionable lists the pending items the actor can sign now (for `next` and
// `walk`), in checklist order. With role set, only that role counts. Each
// view's PendingRoles is narrowed to the roles the actor may sign.
func (r *Release) Actionable(actor, role string, pol Policy) []ItemView {
	out := []ItemView{}
	if r.Status() != StatusInProgress {
		return out
	}
	for _, p := range r.Evaluate().Phases {
		for _, it := range p.Items {
			if it.State != StatePending {
				continue
			}
			var roles []string
			for _, pr := range it.PendingRoles {
				if role != "" && pr != role {
					continue
				}
				if pol.MaySign(actor, pr) && !(pol.SeparationOfDuties && holdsOtherRole(it, actor, pr)) {
					roles = append(roles, pr)
				}
			}
			if len(roles) > 0 {
				it.PendingRoles = roles
				out = append(out, it)
			}
		}
	}
	return out
}

// holdsOtherRole reports whether actor holds a current sign-off of the item
// for a role other than role.
func holdsOtherRole(it ItemView, actor, role string) bool {
	return slices.ContainsFunc(it.Signoffs, func(s Signoff) bool {
		return s.Role != role && strings.EqualFold(s.By, actor)
	})
}
