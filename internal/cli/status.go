package cli

import (
	"fmt"
	"github.com/octorelease/octorelease/internal/checklist"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/ui"
)

// StatusOptions are the flags of `status`.
type StatusOptions struct {
	IO            *iostreams.IOStreams
	Format        string // -o, checked against the command's formats before runF
	Current       func() (*Target, error)
	Renderer      func() (ui.Renderer, error)
	HeadMovedPast func(commit string) (head string, moved bool)

	Role    string
	Pending bool
}

// NewCmdStatus builds `octorelease status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Current: f.Current, Renderer: f.Renderer,
		HeadMovedPast: f.headMovedPast}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a release's phases, items, roles and sign-offs",
		Long: `Show the release's phases and items: each item's state (done, waived, pending,
blocked), its roles, who signed and when, and what is still awaited.
On a pipe, rows are tab-separated and times are RFC 3339.`,
		Example: `  octorelease status
  octorelease status --role qa --pending
  octorelease status -r v1.4.0 -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runStatus) },
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "only items with this role")
	cmd.Flags().BoolVar(&opts.Pending, "pending", false, "only items that are not done or waived")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

func runStatus(o *StatusOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	if err := checkRole(t.Config, o.Role); err != nil {
		return err
	}
	r := t.Release
	full := r.Evaluate(t.Policy)
	v := filterView(full, o.Role, o.Pending)
	incidents := incidentsOf(r)
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, statusView(r, v, incidents))
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	if c := r.Commit(); c != "" && r.Status() == release.StatusInProgress {
		if head, moved := o.HeadMovedPast(c); moved {
			fmt.Fprintf(o.IO.ErrOut, "warning: HEAD (%s) has moved past the commit %s targets (%s); if HEAD is what you release, run `octorelease retarget HEAD --reason TEXT`\n",
				head[:12], r.Meta.ID, c[:min(12, len(c))])
		}
	}
	if err := rd.Status(r, full, v, incidents); err != nil {
		return err
	}
	if !rd.TTY {
		return nil // a pipe gets the rows alone: `pending` has the same in rows
	}
	return writeWaitingSummary(rd, waitingRoles(r, t.Config, t.Policy, o.Role))
}

// filterView keeps the items with role (if given) that are open (if pending).
func filterView(v release.View, role string, pending bool) release.View {
	if role == "" && !pending {
		return v
	}
	out := release.View{Complete: v.Complete}
	for _, p := range v.Phases {
		fp := p
		fp.Items = nil
		for _, it := range p.Items {
			if role != "" && !slices.Contains(it.Roles, role) {
				continue
			}
			if pending && it.Finished() {
				continue
			}
			fp.Items = append(fp.Items, it)
		}
		out.Phases = append(out.Phases, fp)
	}
	return out
}

// checkRole refuses an unknown role with the known ones listed; no role
// ("", no --role given) is fine.
func checkRole(cfg *config.Config, role string) error {
	if role != "" && !slices.Contains(cfg.RoleIDs(), role) {
		return usageUnknownRole(role, cfg.RoleIDs())
	}
	return nil
}

func usageUnknownRole(role string, known []string) error {
	return errs.Usagef("unknown role %q%s; known roles: %s", role, checklist.Suggest(role, known), strings.Join(known, ", "))
}

// NextOptions are the flags of `next`.
type NextOptions struct {
	IO       *iostreams.IOStreams
	Format   string
	Current  func() (*Target, error)
	Renderer func() (ui.Renderer, error)
	Actor    func() string

	Role string
}

// NewCmdNext builds `octorelease next`.
func NewCmdNext(f *Factory, runF func(*NextOptions) error) *cobra.Command {
	opts := &NextOptions{IO: f.IO, Current: f.Current, Renderer: f.Renderer, Actor: f.Actor}
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Show the items you (or a role) can act on now",
		Example: `  octorelease next
  octorelease next --role sre
  octorelease next --as carol@example.com -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runNext) },
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "items this role can act on (default: every role you may sign for)")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// nextJSON is `next -o json`; its keys are in the order they have always
// been printed (sorted).
type nextJSON struct {
	Actor   string     `json:"actor" yaml:"actor"`
	Items   []itemJSON `json:"items" yaml:"items"`
	Release string     `json:"release" yaml:"release"`
}

func runNext(o *NextOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	if err := checkRole(t.Config, o.Role); err != nil {
		return err
	}
	r, actor := t.Release, o.Actor()
	items := r.Actionable(actor, o.Role, t.Policy)
	if o.Format != "text" {
		out := []itemJSON{}
		for _, it := range items {
			out = append(out, itemView(it))
		}
		return writeData(o.IO.Out, o.Format, nextJSON{Actor: actor, Items: out, Release: r.Meta.ID})
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "nothing for %s to act on in %s now\n", actor, r.Meta.ID)
		return nil
	}
	tbl := rd.Table()
	for _, it := range items {
		if !rd.TTY { // item, state, the role ids to sign as, title
			tbl.Row(it.ID, it.State, rd.Roles(it.PendingRoles), ui.Clean(it.Title))
			continue
		}
		tbl.Row(rd.Theme.StateMark(it.State)+" "+it.ID, ui.Clean(it.Title), "as "+rd.Roles(it.PendingRoles))
	}
	if rd.TTY {
		fmt.Fprintf(o.IO.Out, "%s: what %s can act on now\n", rd.Theme.Heading(r.Meta.ID), actor)
	}
	if err := tbl.Render(o.IO.Out, ""); err != nil {
		return err
	}
	if rd.TTY {
		fmt.Fprintf(o.IO.ErrOut, "sign with `octorelease sign %s`\n", items[0].ID)
	}
	return nil
}
