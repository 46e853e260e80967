package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// Renderer writes the text form of release data.
type Renderer struct {
	W        io.Writer
	Theme    Theme
	TTY      bool
	Now      time.Time
	RoleName func(id string) string
}

// Roles renders role ids as styled display names.
func (r Renderer) Roles(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = r.Theme.Role(r.RoleName(id))
	}
	return strings.Join(names, ", ")
}

// ReleaseLine is the one-line header of a release.
func (r Renderer) ReleaseLine(rel *release.Release) string {
	m := rel.Meta
	parts := []string{r.Theme.Heading(m.ID), m.Type, r.Theme.State(rel.Status()),
		"started by " + m.CreatedBy + " " + Time(m.CreatedAt, r.Now, r.TTY)}
	if m.Parent != "" {
		parts = append(parts, "incident of "+m.Parent)
	}
	line := strings.Join(parts, "  ")
	if m.Summary != "" {
		line += "\n" + m.Summary
	}
	return line
}

// Status writes a release's phases and the items of v, a filtered view of
// full (rel.Evaluate(), passed in so it is not computed twice): progress
// counts the whole phase, whatever the filter shows.
func (r Renderer) Status(rel *release.Release, full, v release.View, incidents []string) error {
	fmt.Fprintln(r.W, r.ReleaseLine(rel))
	if len(incidents) > 0 {
		fmt.Fprintf(r.W, "incidents: %s\n", strings.Join(incidents, ", "))
	}
	for _, p := range v.Phases {
		if len(p.Items) == 0 {
			continue
		}
		done, total := phaseProgress(full, p)
		fmt.Fprintf(r.W, "\n%s  %s\n", r.Theme.Heading(p.Title), r.Theme.Progress(done, total, r.TTY))
		t := &Table{TTY: r.TTY}
		for _, it := range p.Items {
			t.Row(r.itemCells(it)...)
		}
		if err := t.Render(r.W, "  "); err != nil {
			return err
		}
	}
	return nil
}

// phaseProgress counts the done or waived items of phase p in the release's
// full view, so `status --pending` or `--role` do not show 0/7 for a phase
// whose completed items were filtered out.
func phaseProgress(full release.View, p release.PhaseView) (done, total int) {
	items := p.Items
	for _, fp := range full.Phases {
		if fp.ID == p.ID {
			items = fp.Items
		}
	}
	for _, it := range items {
		if it.Finished() {
			done++
		}
	}
	return done, len(items)
}

func (r Renderer) itemCells(it release.ItemView) []string {
	mark := r.Theme.StateMark(it.State)
	if it.Forced {
		mark = r.Theme.StateMark("forced")
	}
	state := r.Theme.State(it.State)
	if it.Forced {
		state += " " + r.Theme.Forced("(forced)")
	}
	return []string{mark + " " + it.ID, state, r.Roles(it.Roles), r.detail(it)}
}

// detail says who signed and what is still awaited. It is built in one
// buffer: a large release renders thousands of these.
func (r Renderer) detail(it release.ItemView) string {
	var b strings.Builder
	b.Grow(64 * (len(it.Signoffs) + 1))
	sep := func() {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
	}
	for _, s := range it.Signoffs {
		sep()
		if s.Kind == release.EventWaive {
			b.WriteString("waived by ")
		}
		b.WriteString(s.By)
		b.WriteString(" (")
		b.WriteString(r.RoleName(s.Role))
		b.WriteString(")")
		if s.Kind == release.EventWaive {
			b.WriteString(": ")
			b.WriteString(s.Reason)
		}
		b.WriteString(" ")
		writeTime(&b, s.At, r.Now, r.TTY)
	}
	if c := it.LatestCheck; c != nil {
		res := r.Theme.Done("check passed")
		if !c.Passed {
			res = r.Theme.Failed("check failed")
		}
		sep()
		fmt.Fprintf(&b, "%s (exit %d, %s)", res, c.ExitCode, time.Duration(c.DurationMS)*time.Millisecond)
	} else if it.Check != nil && it.State != release.StateDone {
		sep()
		b.WriteString(r.Theme.Pending("check not run"))
	}
	switch it.State {
	case release.StatePending:
		sep()
		b.WriteString("waiting on ")
		b.WriteString(r.Roles(it.PendingRoles))
	case release.StateBlocked:
		sep()
		b.WriteString(r.Theme.Muted("blocked by " + strings.Join(it.Blockers, ", ")))
	}
	return b.String()
}

// Gate writes a gate result: the verdict, each blocker, and the waivers.
func (r Renderer) Gate(g release.GateResult) error {
	scope := "all phases"
	if g.Phase != "" {
		scope = "phase " + g.Phase + " and earlier"
	}
	if g.Passed {
		fmt.Fprintf(r.W, "%s gate passed for %s (%s): %d items done or waived\n",
			r.Theme.Done("✓"), g.Release, scope, len(g.Items))
	} else {
		fmt.Fprintf(r.W, "%s gate not passed for %s (%s): %d of %d items blocking\n",
			r.Theme.Failed("✗"), g.Release, scope, len(g.Blockers), len(g.Items))
		t := &Table{TTY: r.TTY}
		for _, b := range g.Blockers {
			// A done item whose latest check failed waits on no role.
			waiting := "no sign-off missing"
			if len(b.PendingRoles) > 0 {
				waiting = "waiting on " + r.Roles(b.PendingRoles)
			}
			t.Row(b.Item, b.Phase, r.Theme.Failed(b.Reason), waiting, b.Title)
		}
		if err := t.Render(r.W, "  "); err != nil {
			return err
		}
	}
	for _, it := range g.Items {
		if it.State == release.StateWaived {
			reason := ""
			if len(it.Signoffs) > 0 {
				reason = ": " + it.Signoffs[0].Reason
			}
			fmt.Fprintf(r.W, "  %s %s waived%s\n", r.Theme.StateMark("waived"), it.ID, reason)
		}
	}
	return nil
}
