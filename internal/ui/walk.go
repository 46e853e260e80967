package ui

import (
	"fmt"
	"strings"

	"github.com/octorelease/octorelease/internal/release"
)

// WalkSummary is what a walk recorded and what it leaves open.
type WalkSummary struct {
	Release  string
	Actor    string
	Recorded []release.Event // the sign and waive events the walk recorded
	Skipped  []string        // item ids, sorted
	View     release.View    // the release after the walk
}

// WalkSummary writes the end of a walk: what was recorded, what was
// skipped, the phases still open and, per role, the items that can be
// acted on now and wait for it.
func (r Renderer) WalkSummary(s WalkSummary) error {
	th := r.Theme
	fmt.Fprintf(r.W, "\n%s\n", r.Line(th.Heading(Clean(s.Release))+"  walk by "+Clean(s.Actor)))
	t := r.Table()
	for _, e := range s.Recorded {
		switch e.Kind {
		case release.EventSign:
			t.Row(th.StateMark(release.StateDone)+" "+Clean(e.Item), "signed as "+r.role(e.Role), walkDetail(e.Note, e.Evidence))
		case release.EventWaive:
			t.Row(th.StateMark(release.StateWaived)+" "+Clean(e.Item), "waived as "+r.role(e.Role), Clean(e.Reason))
		}
	}
	if t.Len() == 0 {
		fmt.Fprintln(r.W, "recorded: nothing")
	} else {
		fmt.Fprintf(r.W, "recorded: %d\n", t.Len())
		if err := t.Render(r.W, "  "); err != nil {
			return err
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintln(r.W, r.Line("skipped: "+Clean(strings.Join(s.Skipped, ", "))))
	}
	return r.stillOpen(s.View)
}

func walkDetail(note string, evidence []string) string {
	parts := []string{}
	if note != "" {
		parts = append(parts, note)
	}
	return Clean(strings.Join(append(parts, evidence...), "; "))
}

// stillOpen lists the phases with open items and, per role, the pending
// items that wait for it.
func (r Renderer) stillOpen(v release.View) error {
	th := r.Theme
	if v.Complete {
		fmt.Fprintln(r.W, r.Line("still open: nothing; every item is done or waived (run `octorelease finish`)"))
		return nil
	}
	var waiting []string
	byRole := map[string][]string{}
	for _, p := range v.Phases {
		open := 0
		for _, it := range p.Items {
			if it.Finished() {
				continue
			}
			open++
			if it.State != release.StatePending {
				continue
			}
			for _, role := range it.PendingRoles {
				if _, ok := byRole[role]; !ok {
					waiting = append(waiting, role)
				}
				byRole[role] = append(byRole[role], it.ID)
			}
		}
		if open > 0 {
			fmt.Fprintln(r.W, r.Line(fmt.Sprintf("still open: %s  %d of %d items  %s", th.Heading(Clean(p.Title)), open, len(p.Items),
				th.Progress(len(p.Items)-open, len(p.Items), r.TTY))))
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	fmt.Fprintln(r.W, "waiting on:")
	t := r.Table()
	for _, role := range waiting {
		t.Row(r.role(role), Clean(strings.Join(byRole[role], ", ")))
	}
	return t.Render(r.W, "  ")
}
