package cireport

import (
	"fmt"
	"io"
	"strings"

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
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
				cell("`"+it.ID+"` "+it.Title), cell(it.Phase), cell(stateText(it, blockers[it.ID])), cell(whoText(it)))
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

// cell makes s safe inside one markdown table cell: a pipe would end the
// cell and a newline the row.
var cellReplacer = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

func cell(s string) string { return cellReplacer.Replace(s) }
