// Package notify tells people what a command did to a release (SPEC §15):
// it derives the events that matter to them (an item became actionable for
// a role, a phase completed, a gate blocked, a release was released, an
// incident opened, a release was rolled back) by comparing a release
// before and after a write, renders each as the documented JSON payload
// (docs/notifications.md) or a Slack message, and POSTs it to webhooks with
// a short timeout and a bounded retry.
//
// It takes plain values and returns data and errors; the command layer
// decides when to send and prints the warnings.
package notify

import (
	"slices"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// Schema names the payload's version. A change that could break a
// receiver (a field removed, renamed or retyped) gets a new one; fields may
// be added within a version.
const Schema = "octorelease.notification/v1"

// Events (SPEC §15); config.NotifyEvents lists the same names.
const (
	Waiting       = "waiting"
	PhaseComplete = "phase-complete"
	GateBlocked   = "gate-blocked"
	Released      = "released"
	Incident      = "incident"
	RolledBack    = "rolled-back"
)

// Events are all event kinds, in the order of SPEC §15.
var Events = []string{Waiting, PhaseComplete, GateBlocked, Released, Incident, RolledBack}

// Payload is one notification: the body of a `format: json` webhook.
// Fields that belong to other event kinds are left out.
type Payload struct {
	Schema  string  `json:"schema"`
	Event   string  `json:"event"`
	At      string  `json:"at"` // RFC 3339, UTC
	Actor   string  `json:"actor"`
	Release Release `json:"release"`
	// waiting: each role with newly actionable items.
	Roles []Role `json:"roles,omitempty"`
	// phase-complete.
	Phase *Phase `json:"phase,omitempty"`
	// gate-blocked: what was gated and what blocks it.
	Gate     *Gate     `json:"gate,omitempty"`
	Blockers []Blocker `json:"blockers,omitempty"`
	// incident, rolled-back: the incident run.
	Incident *IncidentRun `json:"incident,omitempty"`
}

// Release identifies the release an event is about.
type Release struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Commit  string `json:"commit"`           // "" when it targets none
	Parent  string `json:"parent,omitempty"` // set on an incident run
}

// Role is a role that has something to do now.
type Role struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"` // empty: anyone may sign for it
	Items   []Item   `json:"items"`
}

// Item is a checklist item.
type Item struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Phase string `json:"phase"`
}

// Phase is a completed phase and the one it opens.
type Phase struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Next  *PhaseRef `json:"next,omitempty"` // absent when no incomplete phase follows
}

// PhaseRef names a phase.
type PhaseRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Gate is what a gate was asked to check.
type Gate struct {
	Phase string   `json:"phase"` // "" for every phase
	Items []string `json:"items"` // the items asked for with --item; empty otherwise
}

// Blocker is an item that keeps a gate closed (as in `gate -o json`).
type Blocker struct {
	Item         string   `json:"item"`
	Title        string   `json:"title"`
	Phase        string   `json:"phase"`
	PendingRoles []string `json:"pending_roles"`
	Reason       string   `json:"reason"`
}

// IncidentRun is an incident run of a release.
type IncidentRun struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Source is who and what produced a command's events.
type Source struct {
	Actor  string
	At     time.Time
	Policy release.Policy
	// Role gives a role's display name and members; nil means the id and
	// no members.
	Role func(id string) (name string, members []string)
}

func (s Source) payload(event string, r *release.Release) Payload {
	m := r.Meta
	return Payload{Schema: Schema, Event: event, At: s.At.UTC().Format(time.RFC3339), Actor: s.Actor,
		Release: Release{ID: m.ID, Version: m.Version, Type: m.Type, Status: r.Status(), Commit: r.Commit(), Parent: m.Parent}}
}

// Changes are the events of a write that turned before into after (the
// same release; before is nil when the write created it): the roles with
// newly actionable items (waiting), the phases it completed and whether
// it released the release. A rollback is RolledBack's: it needs the parent.
func (s Source) Changes(before, after *release.Release) []Payload {
	var out []Payload
	av := after.Evaluate(s.Policy)
	var bv release.View
	if before != nil {
		bv = before.Evaluate(s.Policy)
	}
	if after.Status() == release.StatusInProgress {
		if roles := s.newlyActionable(bv, av); len(roles) > 0 {
			p := s.payload(Waiting, after)
			p.Roles = roles
			out = append(out, p)
		}
		if before != nil {
			out = append(out, s.completedPhases(after, bv, av)...)
		}
	}
	if after.Meta.Parent == "" && after.Status() == release.StatusReleased &&
		(before == nil || before.Status() != release.StatusReleased) {
		out = append(out, s.payload(Released, after))
	}
	return out
}

// newlyActionable groups the (role, item) pairs pending in after and not
// in before by role, roles and items in checklist order.
func (s Source) newlyActionable(before, after release.View) []Role {
	was := map[[2]string]bool{}
	for _, p := range before.Phases {
		for _, it := range p.Items {
			if it.State == release.StatePending {
				for _, role := range it.PendingRoles {
					was[[2]string{role, it.ID}] = true
				}
			}
		}
	}
	var roles []Role
	for _, p := range after.Phases {
		for _, it := range p.Items {
			if it.State != release.StatePending {
				continue
			}
			for _, id := range it.PendingRoles {
				if was[[2]string{id, it.ID}] {
					continue
				}
				i := slices.IndexFunc(roles, func(r Role) bool { return r.ID == id })
				if i < 0 {
					roles = append(roles, s.role(id))
					i = len(roles) - 1
				}
				roles[i].Items = append(roles[i].Items, Item{ID: it.ID, Title: it.Title, Phase: p.ID})
			}
		}
	}
	return roles
}

func (s Source) role(id string) Role {
	r := Role{ID: id, Name: id, Members: []string{}, Items: []Item{}}
	if s.Role != nil {
		name, members := s.Role(id)
		if name != "" {
			r.Name = name
		}
		if members != nil {
			r.Members = slices.Clone(members)
		}
	}
	return r
}

func (s Source) completedPhases(r *release.Release, before, after release.View) []Payload {
	var out []Payload
	for i, p := range after.Phases {
		if !p.Complete || i < len(before.Phases) && before.Phases[i].Complete {
			continue
		}
		ph := &Phase{ID: p.ID, Title: p.Title}
		for _, q := range after.Phases[i+1:] {
			if !q.Complete {
				ph.Next = &PhaseRef{ID: q.ID, Title: q.Title}
				break
			}
		}
		pl := s.payload(PhaseComplete, r)
		pl.Phase = ph
		out = append(out, pl)
	}
	return out
}

// GateBlocked is the event of a gate that did not pass; items are the
// ones asked for with --item.
func (s Source) GateBlocked(r *release.Release, g release.GateResult, items []string) Payload {
	p := s.payload(GateBlocked, r)
	p.Gate = &Gate{Phase: g.Phase, Items: append([]string{}, items...)}
	p.Blockers = make([]Blocker, 0, len(g.Blockers))
	for _, b := range g.Blockers {
		p.Blockers = append(p.Blockers, Blocker{Item: b.Item, Title: b.Title, Phase: b.Phase,
			PendingRoles: append([]string{}, b.PendingRoles...), Reason: b.Reason})
	}
	return p
}

// IncidentOpened is the event of run opened on parent (as loaded before
// the run was created).
func (s Source) IncidentOpened(parent, run *release.Release) Payload {
	withRun := *parent
	withRun.Runs = append(slices.Clip(parent.Runs), run)
	p := s.payload(Incident, &withRun)
	p.Incident = &IncidentRun{ID: run.Meta.ID, Reason: run.Meta.Summary}
	return p
}

// RolledBack is the rolled-back event of a write that turned the incident
// run before into after, given its parent as loaded after the write; nil
// when the write did not roll the parent back (or another run had).
func (s Source) RolledBack(parent, before, after *release.Release) *Payload {
	if before.RolledBack() || !after.RolledBack() || parent.Status() != release.StatusRolledBack {
		return nil
	}
	for _, run := range parent.Runs {
		if run.Meta.ID != after.Meta.ID && run.RolledBack() {
			return nil
		}
	}
	p := s.payload(RolledBack, parent)
	p.Incident = &IncidentRun{ID: after.Meta.ID, Reason: after.Meta.Summary}
	return &p
}
