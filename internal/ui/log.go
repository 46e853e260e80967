package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

// Log writes a release's events, oldest first. On a terminal: number, time,
// actor, kind and a description naming the item and role. On a pipe, one
// line per event of tab-separated fields: seq, time (RFC 3339), actor,
// kind, item, role id, detail (SPEC §10).
func (r Renderer) Log(events []release.Event) error {
	t := r.Table()
	for i, e := range events {
		seq, at, actor := strconv.Itoa(i+1), Time(e.At, r.Now, r.TTY), Clean(e.Actor)
		if !r.TTY {
			t.Row(seq, at, actor, Clean(e.Kind), Clean(e.Item), Clean(e.Role), r.eventDetail(e))
			continue
		}
		desc := r.eventDetail(e)
		if e.Role != "" {
			desc = join("as "+r.role(e.Role), desc)
		}
		if e.Item != "" {
			desc = join(Clean(e.Item), desc)
		}
		t.Row(seq, at, actor, r.Theme.Heading(Clean(e.Kind)), desc)
	}
	return t.Render(r.W, "")
}

// join joins two parts of an event's description.
func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "  " + b
}

// eventDetail is what an event says besides its item and role.
func (r Renderer) eventDetail(e release.Event) string {
	var parts []string
	if e.Status != "" {
		parts = append(parts, "→ "+r.Theme.State(Clean(e.Status)))
	}
	if e.Forced {
		parts = append(parts, r.Theme.Forced("forced"))
	}
	if e.Check != nil {
		res := r.Theme.Done("passed")
		if !e.Check.Passed {
			res = r.Theme.Failed("failed")
		}
		parts = append(parts, fmt.Sprintf("check %s (exit %d)", res, e.Check.ExitCode))
	}
	if e.Commit != "" {
		parts = append(parts, "commit "+Clean(e.Commit[:min(12, len(e.Commit))]))
	}
	for _, x := range []struct{ k, v string }{{"reason", e.Reason}, {"note", e.Note}, {"link", e.Link}} {
		if x.v != "" {
			parts = append(parts, x.k+": "+Clean(x.v))
		}
	}
	if len(e.Evidence) > 0 {
		parts = append(parts, "evidence: "+Clean(strings.Join(e.Evidence, " ")))
	}
	return strings.Join(parts, "  ")
}
