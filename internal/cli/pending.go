package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
)

// PendingOptions are the flags of `pending`.
type PendingOptions struct {
	IO       *iostreams.IOStreams
	Format   string
	Rules    func(role string) (*Rules, error)
	Store    func() (store.Store, error)
	Current  func() (*Target, error)
	Renderer func() (ui.Renderer, error)

	Role string
	All  bool
}

// NewCmdPending builds `octorelease pending`.
func NewCmdPending(f *Factory, runF func(*PendingOptions) error) *cobra.Command {
	opts := &PendingOptions{IO: f.IO, Rules: f.Rules,
		Store: f.Store, Current: f.Current, Renderer: f.Renderer}
	cmd := &cobra.Command{
		Use:   "pending",
		Short: "Show who the release is waiting on, and since when",
		Long: `Show who the release is waiting on: each role with an item it can act on now,
the role's members from the config ("anyone" when it has none), those items,
and since when each has been actionable (the event that unblocked it).
With --all, every release in progress, with its gate state.
On a pipe, each line is role, item, since (RFC 3339) and members
(comma-separated), tab-separated; with --all the release id comes first and
the gate state last.`,
		Example: `  octorelease pending
  octorelease pending --role qa
  octorelease pending --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.All && f.Flags.Release != "" {
				return errs.Usagef("--all and -r cannot be combined")
			}
			return run(opts, runF, runPending)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "only this role")
	cmd.Flags().BoolVarP(&opts.All, "all", "a", false, "every release in progress")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// gateStateJSON is a release's gate over all phases, in short (list,
// pending).
type gateStateJSON struct {
	Passed   bool `json:"passed" yaml:"passed"`
	Blockers int  `json:"blockers" yaml:"blockers"`
}

type pendingJSON struct {
	Release string         `json:"release" yaml:"release"`
	Gate    gateStateJSON  `json:"gate" yaml:"gate"`
	Roles   []roleWaitJSON `json:"roles" yaml:"roles"`
}

type roleWaitJSON struct {
	Role    string         `json:"role" yaml:"role"`
	Name    string         `json:"name" yaml:"name"`
	Members []string       `json:"members" yaml:"members"`
	Items   []waitItemJSON `json:"items" yaml:"items"`
}

type waitItemJSON struct {
	ID    string    `json:"id" yaml:"id"`
	Title string    `json:"title" yaml:"title"`
	Since time.Time `json:"since" yaml:"since"`
}

func runPending(o *PendingOptions) error {
	releases, err := pendingReleases(o)
	if err != nil {
		return err
	}
	rules, err := o.Rules(o.Role)
	if err != nil {
		return err
	}
	cfg, pol := rules.Config, rules.Policy
	views := make([]pendingJSON, 0, len(releases))
	for _, r := range releases {
		views = append(views, pendingView(r, cfg, pol, o.Role))
	}
	if o.Format != "text" {
		if o.All {
			return writeData(o.IO.Out, o.Format, views)
		}
		return writeData(o.IO.Out, o.Format, views[0])
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	switch {
	case o.All && len(views) == 0:
		fmt.Fprintln(o.IO.ErrOut, "no releases in progress")
		return nil
	case !o.All && len(views[0].Roles) == 0:
		who := "anyone"
		if o.Role != "" {
			who = cfg.RoleName(o.Role)
		}
		fmt.Fprintf(o.IO.ErrOut, "%s is not waiting on %s now\n", views[0].Release, ui.Clean(who))
		return nil
	}
	if !rd.TTY {
		return pendingRows(o.IO.Out, views, o.All)
	}
	return pendingTables(rd, views)
}

// pendingReleases is the release -r names (or the only one in progress),
// or with all every release in progress.
func pendingReleases(o *PendingOptions) ([]*release.Release, error) {
	if !o.All {
		t, err := o.Current()
		if err != nil {
			return nil, err
		}
		return []*release.Release{t.Release}, nil
	}
	s, err := o.Store()
	if err != nil {
		return nil, err
	}
	return releasesWithStatus(s, release.StatusInProgress)
}

// pendingView is who r is waiting on (only role, if given) and its gate.
func pendingView(r *release.Release, cfg *config.Config, pol release.Policy, role string) pendingJSON {
	return pendingJSON{Release: r.Meta.ID, Gate: gateState(r, pol), Roles: waitingRoles(r, cfg, pol, role)}
}

// waitingRoles is who r is waiting on (only role, if given).
func waitingRoles(r *release.Release, cfg *config.Config, pol release.Policy, role string) []roleWaitJSON {
	out := []roleWaitJSON{}
	members := cfg.Members()
	for _, w := range r.Waiting(pol) {
		if role != "" && w.Role != role {
			continue
		}
		rw := roleWaitJSON{Role: w.Role, Name: cfg.RoleName(w.Role), Members: orEmpty(members[w.Role]), Items: []waitItemJSON{}}
		for _, it := range w.Items {
			rw.Items = append(rw.Items, waitItemJSON{ID: it.ID, Title: it.Title, Since: it.Since})
		}
		out = append(out, rw)
	}
	return out
}

// gateState is r's gate over all phases, as `gate` with no flag sees it.
func gateState(r *release.Release, pol release.Policy) gateStateJSON {
	g, err := r.Gate("", nil, pol)
	if err != nil { // only a bad --phase or --item fails, and none is given
		return gateStateJSON{}
	}
	return gateStateJSON{Passed: g.Passed, Blockers: len(g.Blockers)}
}

// gateText is a gate state as list and pending print it.
func gateText(th ui.Theme, g gateStateJSON) string {
	if g.Passed {
		return th.Done("passed")
	}
	return th.Blocked("blocked " + strconv.Itoa(g.Blockers))
}

// pendingRows writes one line per role and item: role, item, since and
// members, with the release first and its gate last when all.
func pendingRows(w io.Writer, views []pendingJSON, all bool) error {
	t := &ui.Table{}
	for _, v := range views {
		for _, rw := range v.Roles {
			members := membersText(rw.Members, ",")
			for _, it := range rw.Items {
				cells := []string{rw.Role, it.ID, ui.Time(it.Since, time.Time{}, false), members}
				if all {
					cells = append(append([]string{v.Release}, cells...), gateText(ui.NewTheme(false), v.Gate))
				}
				t.Row(cells...)
			}
		}
	}
	return t.Render(w, "")
}

// pendingTables writes, per release, a heading with its gate state, then
// a table per role waited on.
func pendingTables(rd ui.Renderer, views []pendingJSON) error {
	th := rd.Theme
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(rd.W)
		}
		fmt.Fprintf(rd.W, "%s  gate %s\n", th.Heading(v.Release), gateText(th, v.Gate))
		if len(v.Roles) == 0 {
			fmt.Fprintf(rd.W, "%s\n", th.Muted("waiting on nobody"))
		}
		for _, rw := range v.Roles {
			fmt.Fprintf(rd.W, "\n%s  %s\n", th.Role(ui.Clean(rw.Name)), membersText(rw.Members, ", "))
			t := rd.Table()
			for _, it := range rw.Items {
				t.Row(it.ID, ui.Clean(it.Title), "since "+sinceText(it.Since, rd.Now))
			}
			if err := t.Render(rd.W, "  "); err != nil {
				return err
			}
		}
	}
	return nil
}

// membersText is a role's members joined by sep, or "anyone".
func membersText(members []string, sep string) string {
	if len(members) == 0 {
		return "anyone"
	}
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = ui.Clean(m)
	}
	return strings.Join(out, sep)
}

// writeWaitingSummary ends `status` on a terminal (SPEC §15): one line of
// who the release is waiting on, each role with its members, its items
// and how long the oldest has waited. Nothing when nobody is waited on.
func writeWaitingSummary(rd ui.Renderer, roles []roleWaitJSON) error {
	if len(roles) == 0 {
		return nil
	}
	parts := make([]string, 0, len(roles))
	for _, rw := range roles {
		ids := make([]string, len(rw.Items))
		oldest := rw.Items[0].Since
		for i, it := range rw.Items {
			ids[i] = it.ID
			if it.Since.Before(oldest) {
				oldest = it.Since
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s) for %s since %s", rd.Theme.Role(ui.Clean(rw.Name)),
			membersText(rw.Members, ", "), strings.Join(ids, ", "), sinceText(oldest, rd.Now)))
	}
	_, err := fmt.Fprintf(rd.W, "\n%s\n", rd.Line("waiting on: "+strings.Join(parts, "; ")))
	return err
}

// sinceText is how long ago t was, for "since 2h": ui.Ago without "ago".
func sinceText(t, now time.Time) string {
	return strings.TrimSuffix(ui.Ago(now.Sub(t)), " ago")
}
