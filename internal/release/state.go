package release

import (
	"slices"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

// ownTransitions are the status changes a release's own status events may
// make, applied in view order. Of two concurrent changes (finish on one
// clone, abort on another) the first in view order wins, and the other is
// ignored because from the status it left no change is allowed.
var ownTransitions = map[string][]string{
	StatusInProgress: {StatusReleased, StatusAborted, StatusRolledBack},
	StatusReleased:   {StatusRolledBack},
}

// OwnStatus is the status the release's own status events give it.
func (r *Release) OwnStatus() string {
	st, _ := r.ownStatus()
	return st
}

// IgnoredStatusEvents are status events that lost to a concurrent change.
func (r *Release) IgnoredStatusEvents() []Event {
	_, ignored := r.ownStatus()
	return ignored
}

// ownStatus applies the status events. Format 2 writes only released and
// aborted; releases migrated from format 1 also carry the incident
// history that format 1 wrote into the release itself. Entering an
// incident and returning to the status it interrupted are no changes of
// the release's own status (its runs say whether it is in an incident),
// and rolled-back stays what it was: a fact.
func (r *Release) ownStatus() (string, []Event) {
	st := StatusInProgress
	var ignored []Event
	var pos map[string]int
	for _, e := range r.Events {
		if e.Kind == EventStatus && r.policy.RequireSignatures {
			if pos == nil {
				pos = positions(r.Events)
			}
			if !r.policy.admits(e, r.Events, pos) {
				ignored = append(ignored, e) // not admitted: changes nothing
				continue
			}
		}
		switch {
		case e.Kind != EventStatus, e.Status == StatusIncident, e.Status == st:
		case slices.Contains(ownTransitions[st], e.Status):
			st = e.Status
		default:
			ignored = append(ignored, e)
		}
	}
	return st, ignored
}

// Status is the release's status (SPEC §8): its own, unless an incident
// run says otherwise. A run whose rollback item is signed makes it
// rolled-back for good; an open run makes it incident. Deriving this from
// the runs means an incident writes one release, never two.
func (r *Release) Status() string {
	own := r.OwnStatus()
	if own == StatusRolledBack || own == StatusAborted {
		return own
	}
	open := false
	for _, run := range r.Runs {
		if run.RolledBack() {
			return StatusRolledBack
		}
		open = open || run.OwnStatus() == StatusInProgress
	}
	if open {
		return StatusIncident
	}
	return own
}

// RolledBack reports whether this incident run's rollback item is signed.
func (r *Release) RolledBack() bool {
	if r.Meta.Parent == "" {
		return false
	}
	it, ok := r.Evaluate(Policy{}).Item(RollbackItem)
	return ok && it.State == StateDone
}

// RollbackItem is the incident checklist's item whose sign-off marks the
// release rolled back.
const RollbackItem = "rollback"

// Conflicts a sign-off can have with the policy (SPEC §6): it is shown,
// and does not count.
const (
	ConflictNotMember = "not a member of the role"
	ConflictDuplicate = "a second sign-off by the same person for the role"
	ConflictSoD       = "separation of duties"
	ConflictCheck     = "signed before the item's check passed"
	ConflictRetarget  = "signed for an earlier target commit"
	// With signatures required (SPEC §13):
	ConflictUnsigned     = "not signed"
	ConflictBadSignature = "signature does not verify"
)

// history is the replayed event set, indexed by the checklist: for each
// item (numbered in checklist order) the sign-offs and waivers not
// revoked, in view order, each judged against the policy, and the item's
// latest check.
type history struct {
	events   []Event
	item     map[string]int // item id → item number
	items    []checklist.Item
	signoffs [][]Signoff // item number → live sign-offs
	check    []int       // item number → index in events of its latest check, or -1
}

func (r *Release) replay(pol Policy) history {
	h := history{events: r.Events, item: map[string]int{}}
	for _, p := range r.Checklist.Phases {
		for _, it := range p.Items {
			if _, dup := h.item[it.ID]; !dup {
				h.item[it.ID] = len(h.items)
			}
			h.items = append(h.items, it)
		}
	}
	h.signoffs = make([][]Signoff, len(h.items))
	h.check = make([]int, len(h.items))
	for i := range h.check {
		h.check[i] = -1
	}
	pos := positions(r.Events)
	revoked := r.revokedSet(pol, pos)
	retarget := r.latestRetarget(pol, pos)
	for i, e := range r.Events {
		k, ok := h.item[e.Item]
		if !ok {
			continue // not an item event, or not an item of this checklist
		}
		switch e.Kind {
		case EventCheck:
			if e.Check != nil && pol.admits(e, r.Events, pos) {
				h.check[k] = i
			}
		case EventSign, EventWaive:
			it := h.items[k]
			if revoked[e.Hash] || !slices.Contains(it.Roles, e.Role) {
				continue // withdrawn, or not a role of the item: never shown
			}
			s := Signoff{Role: e.Role, By: e.Actor, At: e.At, Kind: e.Kind, Note: e.Note, Reason: e.Reason,
				Evidence: nonNil(e.Evidence), Forced: e.Forced, Event: e.Hash, Signed: e.Signature != ""}
			var verr error
			if s.Signed && pol.Verify != nil {
				verr = pol.Verify(e, signedAt(r.Events, pos, i))
				s.Verified = verr == nil
			}
			s.Conflict = h.conflict(s, k, pol)
			if pol.RequireSignatures && (s.Conflict == ConflictNotMember || !s.Verified) {
				s.Unverified = true
				switch {
				case s.Conflict != "":
				case !s.Signed:
					s.Conflict = ConflictUnsigned
				case verr != nil:
					s.Conflict = ConflictBadSignature + ": " + verr.Error()
				default:
					s.Conflict = ConflictBadSignature + ": no trust root (allowed_signers)"
				}
			}
			if s.Conflict == "" && e.Kind == EventSign && it.Check != nil && !checkPassedBefore(r.Events, pos, i, e.Item, pol) {
				s.Conflict = ConflictCheck
			}
			if s.Conflict == "" && it.ResetOnRetarget && retarget >= 0 && !isAncestor(r.Events, pos, retarget, i) {
				// Made concurrently with (or before) the latest retarget,
				// for the commit the release no longer targets.
				s.Conflict = ConflictRetarget
			}
			s.Counted = s.Conflict == ""
			h.signoffs[k] = append(h.signoffs[k], s)
		}
	}
	return h
}

// admits reports whether event e may change the release's state under the
// policy: any event when signatures are not required, else only one whose
// signature verifies for its actor.
func (p Policy) admits(e Event, events []Event, pos map[string]int) bool {
	if !p.RequireSignatures {
		return true
	}
	if e.Signature == "" || p.Verify == nil {
		return false
	}
	i, ok := pos[e.Hash]
	if !ok {
		return p.Verify(e, e.At) == nil
	}
	return p.Verify(e, signedAt(events, pos, i)) == nil
}

// signedAt is the time a signature of events[i] is checked at: its own
// time, or the latest of its parents' if that is later. A signer chooses
// the time written into their event, but not the events it follows, so a
// key that expired cannot sign an event back-dated to before.
func signedAt(events []Event, pos map[string]int, i int) time.Time {
	at := events[i].At
	for _, p := range events[i].Parents {
		if j, ok := pos[p]; ok && events[j].At.After(at) {
			at = events[j].At
		}
	}
	return at
}

// SignatureTimes gives, for each event in view order, the time its
// signature is checked at (see signedAt).
func (r *Release) SignatureTimes() []time.Time {
	pos := positions(r.Events)
	out := make([]time.Time, len(r.Events))
	for i := range r.Events {
		out[i] = signedAt(r.Events, pos, i)
	}
	return out
}

// revokedSet is the sign-offs withdrawn by revokes the policy admits and
// whose author may withdraw them: the signer, a member of the role, or a
// retarget (its revokes link to it).
func (r *Release) revokedSet(pol Policy, pos map[string]int) map[string]bool {
	revoked := map[string]bool{}
	for _, e := range r.Events {
		if e.Kind != EventRevoke || !pol.admits(e, r.Events, pos) {
			continue
		}
		byRetarget := false
		if j, ok := pos[e.Link]; ok && r.Events[j].Kind == EventRetarget && pol.admits(r.Events[j], r.Events, pos) {
			byRetarget = true
		}
		for _, x := range e.Revokes {
			j, ok := pos[x]
			if !ok {
				continue
			}
			t := r.Events[j]
			if byRetarget || strings.EqualFold(t.Actor, e.Actor) || pol.MaySign(e.Actor, t.Role) {
				revoked[x] = true
			}
		}
	}
	return revoked
}

// latestRetarget is the index of the last retarget the policy admits, or -1.
func (r *Release) latestRetarget(pol Policy, pos map[string]int) int {
	for i := len(r.Events) - 1; i >= 0; i-- {
		if e := r.Events[i]; e.Kind == EventRetarget && e.Commit != "" && pol.admits(e, r.Events, pos) {
			return i
		}
	}
	return -1
}

// isAncestor reports whether events[a] is an ancestor of events[i].
func isAncestor(events []Event, pos map[string]int, a, i int) bool {
	seen := map[int]bool{}
	stack := []int{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range events[j].Parents {
			k, ok := pos[p]
			if !ok || seen[k] || k < a { // view order is topological: ancestors come first
				continue
			}
			if k == a {
				return true
			}
			seen[k] = true
			stack = append(stack, k)
		}
	}
	return false
}

// conflict judges sign-off s of item k against the policy and the
// sign-offs before it in view order; "" when it counts.
func (h history) conflict(s Signoff, k int, pol Policy) string {
	if !pol.MaySign(s.By, s.Role) {
		return ConflictNotMember
	}
	for _, o := range h.signoffs[k] {
		if !o.Counted || !strings.EqualFold(o.By, s.By) {
			continue
		}
		if o.Role == s.Role {
			return ConflictDuplicate
		}
		if pol.SeparationOfDuties {
			return ConflictSoD + ": also signed for " + o.Role
		}
	}
	return ""
}

func positions(events []Event) map[string]int {
	pos := make(map[string]int, len(events))
	for i, e := range events {
		pos[e.Hash] = i
	}
	return pos
}

// checkPassedBefore reports whether, among the events the writer of
// events[i] had seen (its ancestors), the latest check of item the policy
// admits passed: what the sign-time rule saw on the signer's machine.
func checkPassedBefore(events []Event, pos map[string]int, i int, item string, pol Policy) bool {
	seen := map[int]bool{}
	stack := []int{i}
	latest := -1
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range events[j].Parents {
			a, ok := pos[p]
			if !ok || seen[a] {
				continue
			}
			seen[a] = true
			if e := events[a]; e.Kind == EventCheck && e.Item == item && e.Check != nil && a > latest && pol.admits(e, events, pos) {
				latest = a
			}
			stack = append(stack, a)
		}
	}
	return latest >= 0 && events[latest].Check.Passed
}

// phaseBlocker names an incomplete phase in ItemView.Blockers.
const phaseBlockerPrefix = "phase "

// Evaluate derives every item's state from the events under the policy
// (SPEC §8): a sign-off the policy refuses is shown but not counted.
func (r *Release) Evaluate(pol Policy) View {
	h := r.replay(pol)
	v := View{Complete: true, Phases: make([]PhaseView, 0, len(r.Checklist.Phases))}
	finished := make([]bool, len(h.items)) // item number → done or waived
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
	iv := ItemView{Item: it, Phase: phase, PendingRoles: []string{}, Blockers: []string{}, Signoffs: nonNilSignoffs(h.signoffs[k])}
	waived := false
	for _, role := range it.Roles {
		counted := 0
		for _, s := range iv.Signoffs {
			if s.Role != role || !s.Counted {
				continue
			}
			counted++
			iv.Forced = iv.Forced || s.Forced
			waived = waived || s.Kind == EventWaive
		}
		if counted < it.Quorum(role) {
			iv.PendingRoles = append(iv.PendingRoles, role)
			iv.ShortOfQuorum = iv.ShortOfQuorum || counted > 0
		}
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

func nonNilSignoffs(s []Signoff) []Signoff {
	if s == nil {
		return []Signoff{}
	}
	return s
}

// Finished reports whether the item is done or waived: it no longer holds
// its phase's gate.
func (iv ItemView) Finished() bool { return iv.State == StateDone || iv.State == StateWaived }

// Counted is the item's sign-offs that count toward it.
func (iv ItemView) Counted() []Signoff {
	var out []Signoff
	for _, s := range iv.Signoffs {
		if s.Counted {
			out = append(out, s)
		}
	}
	return out
}

// Conflicted reports whether a sign-off of the item was refused by the policy.
func (iv ItemView) Conflicted() bool {
	return slices.ContainsFunc(iv.Signoffs, func(s Signoff) bool { return !s.Counted })
}

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
func (r *Release) Gate(phase string, items []string, pol Policy) (GateResult, error) {
	if phase != "" && len(items) > 0 {
		return GateResult{}, &GateScopeError{Phase: phase, Items: items}
	}
	v := r.Evaluate(pol)
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
	ReasonUnsigned       = "unsigned"
	ReasonCheckMissing   = "check-missing"
	ReasonCheckFailed    = "check-failed"
	ReasonPolicyConflict = "policy-conflict"
	ReasonQuorum         = "quorum"
	ReasonUnverified     = "unverified"
	ReasonWrongCommit    = "wrong-commit"
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
	case slices.ContainsFunc(it.Signoffs, func(s Signoff) bool { return s.Unverified && slices.Contains(it.PendingRoles, s.Role) }):
		return ReasonUnverified
	case slices.ContainsFunc(it.Signoffs, func(s Signoff) bool { return !s.Counted && slices.Contains(it.PendingRoles, s.Role) }):
		// A role is open because its sign-off broke the policy.
		return ReasonPolicyConflict
	case it.ShortOfQuorum:
		return ReasonQuorum
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
		return nil, errs.Usagef("unknown phase %q in release %s%s", phase, r.Meta.ID, checklist.Suggest(phase, ids)).
			WithHint("phases: %s", strings.Join(ids, ", "))
	default:
		return func(string, string) bool { return true }, nil
	}
}

func (r *Release) unknownItem(id string) *errs.Error {
	return errs.Usagef("unknown item %q in release %s%s", id, r.Meta.ID, checklist.Suggest(id, r.Checklist.ItemIDs())).
		WithHint("items: %s", strings.Join(r.Checklist.ItemIDs(), ", "))
}

// Commit is the commit the release targets: the latest retarget in view
// order, else the one recorded at start (SPEC §14).
func (r *Release) Commit() string {
	pos := positions(r.Events)
	if i := r.latestRetarget(r.policy, pos); i >= 0 {
		return r.Events[i].Commit
	}
	return r.Meta.Commit
}

// GateCommit adds a wrong-commit blocker to g when the release targets
// another commit than want (a full or abbreviated SHA).
func (r *Release) GateCommit(g *GateResult, want string) {
	have := r.Commit()
	if want == "" || have != "" && strings.HasPrefix(have, strings.ToLower(want)) && len(want) >= 7 {
		return
	}
	title := "release targets no commit"
	if have != "" {
		title = "release targets commit " + have
	}
	g.Blockers = append(g.Blockers, Blocker{Title: title + ", not " + want, PendingRoles: []string{}, Reason: ReasonWrongCommit})
	g.Passed = false
}

// Actionable lists the pending items the actor can sign now (for `next` and
// `walk`), in checklist order. With role set, only that role counts. Each
// view's PendingRoles is narrowed to the roles the actor may sign.
func (r *Release) Actionable(actor, role string, pol Policy) []ItemView {
	out := []ItemView{}
	if r.Status() != StatusInProgress {
		return out
	}
	for _, p := range r.Evaluate(pol).Phases {
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

// holdsOtherRole reports whether actor holds a counted sign-off of the
// item for a role other than role.
func holdsOtherRole(it ItemView, actor, role string) bool {
	return slices.ContainsFunc(it.Signoffs, func(s Signoff) bool {
		return s.Counted && s.Role != role && strings.EqualFold(s.By, actor)
	})
}
