package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// Renderer writes the text form of release data. Text that came from a
// file or a person goes through Clean; on a pipe, roles are their ids and
// rows are tab-separated (SPEC §10).
type Renderer struct {
	W        io.Writer
	Theme    Theme
	TTY      bool
	Now      time.Time
	RoleName func(id string) string
	// Width is the terminal's width (iostreams' TerminalWidth): tables and
	// long lines on a terminal are fitted to it. 0 means no limit.
	Width int
}

// Table is a table for this renderer's output: a terminal's fitted to its
// width, or a pipe's.
func (r Renderer) Table() *Table { return &Table{TTY: r.TTY, Width: r.Width} }

// Line fits a line that is not a table row (a heading, a summary) to the
// terminal's width, wrapping it; on a pipe it is left whole.
func (r Renderer) Line(s string) string {
	if !r.TTY {
		return s
	}
	return fitLine(s, r.Width)
}

// Roles renders role ids for a table cell: styled display names on a
// terminal; on a pipe the ids, separated by commas (a field of ids).
func (r Renderer) Roles(ids []string) string {
	if !r.TTY {
		return roleIDs(ids)
	}
	var b strings.Builder
	b.Grow(32 * len(ids))
	r.writeRoles(&b, ids)
	return b.String()
}

// textWriter is what the renderers write cells to: a strings.Builder for a
// cell, or the (buffered) output itself for rows on a pipe.
type textWriter interface {
	io.Writer
	io.StringWriter
}

func (r Renderer) writeRoles(w textWriter, ids []string) {
	for i, id := range ids {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(r.role(id))
	}
}

// role is a role as shown: its styled display name on a terminal, its id on
// a pipe.
func (r Renderer) role(id string) string {
	if !r.TTY {
		return Clean(id)
	}
	return r.Theme.Role(Clean(r.RoleName(id)))
}

// roleIDs is a pipe's roles column: ids separated by commas.
func roleIDs(ids []string) string {
	var b strings.Builder
	writeRoleIDs(&b, ids)
	return b.String()
}

func writeRoleIDs(w textWriter, ids []string) {
	for i, id := range ids {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString(Clean(id))
	}
}

// ReleaseLine is the one-line header of a release.
func (r Renderer) ReleaseLine(rel *release.Release) string {
	m := rel.Meta
	parts := []string{r.Theme.Heading(Clean(m.ID)), Clean(m.Type), r.Theme.State(rel.Status()),
		"started by " + Clean(m.CreatedBy) + " " + Time(m.CreatedAt, r.Now, r.TTY)}
	if m.Parent != "" {
		parts = append(parts, "incident of "+Clean(m.Parent))
	}
	if c := Clean(rel.Commit()); c != "" {
		parts = append(parts, "commit "+c[:min(12, len(c))])
	}
	line := r.Line(strings.Join(parts, "  "))
	if m.Summary != "" {
		line += "\n" + r.Line(Clean(m.Summary))
	}
	return line
}

// Status writes a release's phases and the items of v, a filtered view of
// full (rel.Evaluate(), passed in so it is not computed twice): progress
// counts the whole phase, whatever the filter shows.
func (r Renderer) Status(rel *release.Release, full, v release.View, incidents []string) error {
	fmt.Fprintln(r.W, r.ReleaseLine(rel))
	if len(incidents) > 0 {
		fmt.Fprintln(r.W, r.Line("incidents: "+Clean(strings.Join(incidents, ", "))))
	}
	for _, p := range v.Phases {
		if len(p.Items) == 0 {
			continue
		}
		done, total := phaseProgress(full, p)
		fmt.Fprintf(r.W, "\n%s\n", r.Line(r.Theme.Heading(Clean(p.Title))+"  "+r.Theme.Progress(done, total, r.TTY)))
		if !r.TTY {
			if err := r.pipeRows(p.Items); err != nil {
				return err
			}
			continue
		}
		t := r.Table()
		for _, it := range p.Items {
			t.Row(r.itemCells(it)...)
		}
		if err := t.Render(r.W, "  "); err != nil {
			return err
		}
	}
	return nil
}

// pipeRows writes items as Table writes them on a pipe, one line each of
// tab-separated fields: item id, state, role ids (comma-separated), detail
// (SPEC §10). They go straight to the output: a large release would
// otherwise build, and a fresh process fault in, every cell of thousands of
// rows first.
func (r Renderer) pipeRows(items []release.ItemView) error {
	w := pipeOut(r.W)
	for _, it := range items {
		w.WriteString(Clean(it.ID))
		w.WriteString("\t")
		w.WriteString(r.Theme.State(it.State))
		w.WriteString("\t")
		writeRoleIDs(w, it.Roles)
		w.WriteString("\t")
		r.writeDetail(w, it)
		w.WriteString("\n")
	}
	return pipeDone(w, r.W)
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
	mark, state := r.itemState(it)
	var detail strings.Builder
	detail.Grow(64 * (len(it.Signoffs) + 1))
	r.writeDetail(&detail, it)
	return []string{mark + " " + Clean(it.ID), state, r.Roles(it.Roles), detail.String()}
}

// itemState is an item's mark and state, forced or not.
func (r Renderer) itemState(it release.ItemView) (mark, state string) {
	if it.Forced {
		return r.Theme.StateMark("forced"), r.Theme.State(it.State) + " " + r.Theme.Forced("(forced)")
	}
	return r.Theme.StateMark(it.State), r.Theme.State(it.State)
}

// writeDetail says who signed and what is still awaited, in one go: a
// large release renders thousands of these.
func (r Renderer) writeDetail(w textWriter, it release.ItemView) {
	started := false
	sep := func() {
		if started {
			w.WriteString("; ")
		}
		started = true
	}
	for _, s := range it.Signoffs {
		sep()
		if s.Kind == release.EventWaive {
			w.WriteString("waived by ")
		}
		w.WriteString(Clean(s.By))
		w.WriteString(" (")
		if r.TTY {
			w.WriteString(Clean(r.RoleName(s.Role)))
		} else {
			w.WriteString(Clean(s.Role))
		}
		w.WriteString(")")
		if s.Kind == release.EventWaive {
			w.WriteString(": ")
			w.WriteString(Clean(s.Reason))
		}
		w.WriteString(" ")
		writeTime(w, s.At, r.Now, r.TTY)
		if s.Forced && !r.TTY { // a terminal marks the item, a pipe's state column is the state alone
			w.WriteString(" forced")
		}
		if !s.Counted {
			w.WriteString(" ")
			w.WriteString(r.Theme.Failed("not counted: " + Clean(s.Conflict)))
		}
	}
	if c := it.LatestCheck; c != nil {
		res := r.Theme.Done("check passed")
		if !c.Passed {
			res = r.Theme.Failed("check failed")
		}
		sep()
		fmt.Fprintf(w, "%s (exit %d, %s)", res, c.ExitCode, time.Duration(c.DurationMS)*time.Millisecond)
	} else if it.Check != nil && it.State != release.StateDone {
		sep()
		w.WriteString(r.Theme.Pending("check not run"))
	}
	switch it.State {
	case release.StatePending:
		sep()
		w.WriteString("waiting on ")
		r.writeRoles(w, it.PendingRoles)
	case release.StateBlocked:
		sep()
		w.WriteString(r.Theme.Muted("blocked by " + Clean(strings.Join(it.Blockers, ", "))))
	}
}

// Gate writes a gate result: the verdict, each blocker, and the waivers.
func (r Renderer) Gate(g release.GateResult) error {
	scope := "all phases"
	if g.Phase != "" {
		scope = "phase " + g.Phase + " and earlier"
	}
	if g.Passed {
		fmt.Fprintln(r.W, r.Line(fmt.Sprintf("%s gate passed for %s (%s): %d items done or waived",
			r.Theme.Done("✓"), Clean(g.Release), Clean(scope), len(g.Items))))
	} else {
		fmt.Fprintln(r.W, r.Line(fmt.Sprintf("%s gate not passed for %s (%s): %d of %d items blocking",
			r.Theme.Failed("✗"), Clean(g.Release), Clean(scope), len(g.Blockers), len(g.Items))))
		// On a pipe: item, phase, reason, the role ids waited on, title.
		t := r.Table()
		for _, b := range g.Blockers {
			waiting := roleIDs(b.PendingRoles)
			if r.TTY {
				// A done item whose latest check failed waits on no role.
				waiting = "no sign-off missing"
				if len(b.PendingRoles) > 0 {
					waiting = "waiting on " + r.Roles(b.PendingRoles)
				}
			}
			t.Row(Clean(b.Item), Clean(b.Phase), r.Theme.Failed(b.Reason), waiting, Clean(b.Title))
		}
		if err := t.Render(r.W, "  "); err != nil {
			return err
		}
	}
	// On a pipe a waiver is a row in the blockers' columns: item, phase,
	// "waived", the role id that waived it, the reason.
	waived := r.Table()
	for _, it := range g.Items {
		if it.State != release.StateWaived {
			continue
		}
		reason, role := "", ""
		if len(it.Signoffs) > 0 {
			reason, role = Clean(it.Signoffs[0].Reason), Clean(it.Signoffs[0].Role)
		}
		if !r.TTY {
			waived.Row(Clean(it.ID), Clean(it.Phase), "waived", role, reason)
			continue
		}
		if reason != "" {
			reason = ": " + reason
		}
		fmt.Fprintln(r.W, r.Line(fmt.Sprintf("  %s %s waived%s", r.Theme.StateMark("waived"), Clean(it.ID), reason)))
	}
	return waived.Render(r.W, "")
}
