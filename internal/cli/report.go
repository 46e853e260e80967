package cli

import (
	"fmt"
	"io"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/workflow"
)

// reportOutcome prints what a change recorded, one ✓ line per event, then
// what it implied: the phases it completed, the release it made ready to
// finish, the status it gave an incident run's release.
func reportOutcome(w io.Writer, roleName func(string) string, out workflow.Outcome) {
	r := out.Release
	for _, e := range out.Recorded {
		switch e.Kind {
		case release.EventSign:
			forced := ""
			if e.Forced {
				forced = " (forced)"
			}
			fmt.Fprintf(w, "✓ %s signed %s as %s%s\n", e.Actor, e.Item, roleName(e.Role), forced)
		case release.EventWaive:
			fmt.Fprintf(w, "✓ %s waived %s for %s: %s\n", e.Actor, e.Item, roleName(e.Role), e.Reason)
		case release.EventRevoke:
			fmt.Fprintf(w, "✓ %s revoked %s for %s: %s\n", e.Actor, e.Item, roleName(e.Role), e.Reason)
		case release.EventStatus:
			fmt.Fprintf(w, "✓ %s is now %s\n", r.Meta.ID, e.Status)
		}
	}
	for _, p := range out.Completed {
		if p.Next != "" {
			fmt.Fprintf(w, "phase %q complete; %q is open: `octorelease next` shows what you can do\n", p.ID, p.Next)
		} else if out.Finishable {
			fmt.Fprintf(w, "every item of %s is done: run `octorelease finish`\n", r.Meta.ID)
		}
	}
	if p := out.Parent; p != nil {
		fmt.Fprintf(w, "✓ %s is now %s\n", p.Meta.ID, p.Status())
	}
}
