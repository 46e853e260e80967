// Package cireport renders a gate result for CI systems (SPEC §7 `gate`):
// JUnit XML for Jenkins, GitLab and GitHub test reporters, a markdown step
// summary and workflow-command annotations for GitHub Actions.
package cireport

import (
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

// suiteName names the report after the release and the phase asked for.
func suiteName(releaseID string, g release.GateResult) string {
	return "octorelease gate " + releaseID + " [" + phaseLabel(g.Phase) + "]"
}

func phaseLabel(phase string) string {
	if phase == "" {
		return "all phases"
	}
	return phase
}

// blockersByItem groups the blockers by item id, keeping their order.
func blockersByItem(bs []release.Blocker) map[string][]release.Blocker {
	m := make(map[string][]release.Blocker, len(bs))
	for _, b := range bs {
		m[b.Item] = append(m[b.Item], b)
	}
	return m
}

// itemsWithBlockers returns the items in scope, plus a stand-in for any
// blocker whose item is missing from g.Items, so that no blocker is lost.
func itemsWithBlockers(g release.GateResult) []release.ItemView {
	items := g.Items
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		seen[it.ID] = true
	}
	for _, b := range g.Blockers {
		if !seen[b.Item] {
			seen[b.Item] = true
			var it release.ItemView
			it.ID, it.Title, it.Phase, it.PendingRoles = b.Item, b.Title, b.Phase, b.PendingRoles
			it.State = release.StatePending
			items = append(items[:len(items):len(items)], it)
		}
	}
	return items
}

// describe says why one item blocks the gate, in one line:
// "qa-signoff (pre-release) is unsigned: waiting on qa".
func describe(bs []release.Blocker) string {
	b := bs[0]
	reasons := make([]string, 0, len(bs))
	var roles []string
	for _, x := range bs {
		reasons = append(reasons, x.Reason)
		roles = appendNew(roles, x.PendingRoles...)
	}
	s := b.Item + " (" + b.Phase + ") is " + strings.Join(reasons, " and ")
	if len(roles) > 0 {
		s += ": waiting on " + strings.Join(roles, ", ")
	}
	return s
}

func appendNew(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			found = found || l == m
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}

// waiverReason joins the reasons of the item's waivers.
func waiverReason(it release.ItemView) string {
	var rs []string
	for _, s := range it.Signoffs {
		if s.Kind == release.EventWaive {
			rs = append(rs, s.Reason)
		}
	}
	return strings.Join(rs, "; ")
}
