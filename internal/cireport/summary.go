package cireport

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// StepSummary writes g as GitHub-flavoured markdown for $GITHUB_STEP_SUMMARY:
// a heading, the verdict, and a table of the items in scope. It ends with a
// blank line so that summaries appended after it stay separate.
func StepSummary(w io.Writer, releaseID string, g release.GateResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## octorelease gate: %s (%s)\n\n", cell(releaseID), cell(phaseLabel(g.Phase)))
	items := itemsWithBlockers(g)
	blockers := blockersByItem(g.Blockers)
	blocked := 0
	for _, it := range items {
		if len(blockers[it.ID]) > 0 {
			blocked++
		}
	}
	if g.Passed {
		fmt.Fprintf(&b, "✅ **Passed**: %d of %d items done or waived.\n\n", len(items)-blocked, len(items))
	} else {
		fmt.Fprintf(&b, "❌ **Failed**: %d of %d items block the gate.\n\n", blocked, len(items))
	}
	if len(items) > 0 {
		b.WriteString("| Item | Phase | State | Signed by / pending |\n| --- | --- | --- | --- |\n")
		for _, it := range items {
			fmt.Fprintf(&b, "| %s %s | %s | %s | %s |\n",
				code(it.ID), cell(it.Title), cell(it.Phase), cell(stateText(it, blockers[it.ID])), cell(whoText(it)))
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write step summary: %w", err)
	}
	return nil
}

func stateText(it release.ItemView, bs []release.Blocker) string {
	if len(bs) > 0 {
		reasons := make([]string, len(bs))
		for i, x := range bs {
			reasons[i] = x.Reason
		}
		return "❌ " + strings.Join(reasons, ", ")
	}
	switch it.State {
	case release.StateDone:
		return "✅ done"
	case release.StateWaived:
		return "⏭️ waived"
	}
	return it.State
}

// whoText lists who signed (or waived, with the reason) for which role, then
// the roles still pending.
func whoText(it release.ItemView) string {
	var parts []string
	for _, s := range it.Signoffs {
		p := s.Role + ": " + s.By
		if s.Kind == release.EventWaive {
			p += " (waived: " + s.Reason + ")"
		}
		if s.Forced {
			p += " (forced)"
		}
		parts = append(parts, p)
	}
	if len(it.PendingRoles) > 0 {
		parts = append(parts, "pending: "+strings.Join(it.PendingRoles, ", "))
	}
	return strings.Join(parts, "; ")
}

// cell makes text that came from a file or a person (a title, a note, an
// actor's name) literal inside one table cell of GitHub-flavoured markdown:
// markdown's punctuation is backslash-escaped (no emphasis, code, link or
// image, and a pipe does not end the cell), HTML's is written as entities
// (no tag, no comment that hides the rest), a line break becomes a space
// (it would end the row) and other control characters U+FFFD.
func cell(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune(markdownPunct, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownPunct is the ASCII punctuation that can start or end markdown
// syntax inside a line. Backslash escapes are defined for all of it;
// the rest (. , : ; ( ) - ...) is left alone to keep the source readable.
const markdownPunct = "\\`*_[]|~#!"

// code writes an id as inline code. Ids of the checklist are
// checklist.ValidID; anything else (a stand-in from a blocker) is written
// as escaped text instead, since nothing can be escaped in a code span.
func code(id string) string {
	if !checklist.ValidID(id) {
		return cell(id)
	}
	return "`" + id + "`"
}
