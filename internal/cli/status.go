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
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
)

// StatusOptions are the flags of `status`.
type StatusOptions struct {
	IO            *iostreams.IOStreams
	Format        func(allowed ...string) (string, error)
	Config        func() (*config.Config, error)
	Policy        func() (release.Policy, error)
	Current       func() (store.Store, *release.Release, error)
	Renderer      func() (ui.Renderer, error)
	HeadMovedPast func(commit string) (head string, moved bool)

	Role    string
	Pending bool
}

// NewCmdStatus builds `octorelease status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Format: f.outputFormat, Config: f.Config, Policy: f.Policy,
		Current: f.Current, Renderer: f.Renderer, HeadMovedPast: f.headMovedPast}
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
	return cmd
}

func runStatus(o *StatusOptions) error {
	format, err := o.Format("json", "yaml")
	if err != nil {
		return err
	}
	_, r, err := o.Current()
	if err != nil {
		return err
	}
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	if err := checkRole(cfg, o.Role); err != nil {
		return err
	}
	pol, err := o.Policy()
	if err != nil {
		return err
	}
	full := r.Evaluate(pol)
	v := filterView(full, o.Role, o.Pending)
	incidents := incidentsOf(r)
	if format != "text" {
		return writeData(o.IO.Out, format, statusView(r, v, incidents))
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
	return writeWaitingSummary(rd, waitingRoles(r, cfg, pol, o.Role))
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
	Format   func(allowed ...string) (string, error)
	Config   func() (*config.Config, error)
	Policy   func() (release.Policy, error)
	Current  func() (store.Store, *release.Release, error)
	Renderer func() (ui.Renderer, error)
	Actor    func() string

	Role string
}

// NewCmdNext builds `octorelease next`.
func NewCmdNext(f *Factory, runF func(*NextOptions) error) *cobra.Command {
	opts := &NextOptions{IO: f.IO, Format: f.outputFormat, Config: f.Config, Policy: f.Policy,
		Current: f.Current, Renderer: f.Renderer, Actor: f.Actor}
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
	return cmd
}

// nextJSON is `next -o json`; its keys are in the order they have always
// been printed (sorted).
type nextJSON struct {
	Actor   string     `json:"actor" yaml:"actor"`
	Items   []itemJSON `json:"items" yaml:"items"`
	Release string     `json:"release" yaml:"release"`
}

func runNext(o *NextOptions) error {
	format, err := o.Format("json", "yaml")
	if err != nil {
		return err
	}
	_, r, err := o.Current()
	if err != nil {
		return err
	}
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	if err := checkRole(cfg, o.Role); err != nil {
		return err
	}
	pol, err := o.Policy()
	if err != nil {
		return err
	}
	actor := o.Actor()
	items := r.Actionable(actor, o.Role, pol)
	if format != "text" {
		out := []itemJSON{}
		for _, it := range items {
			out = append(out, itemView(it))
		}
		return writeData(o.IO.Out, format, nextJSON{Actor: actor, Items: out, Release: r.Meta.ID})
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "nothing for %s to act on in %s now\n", actor, r.Meta.ID)
		return nil
	}
	t := rd.Table()
	for _, it := range items {
		if !rd.TTY { // item, state, the role ids to sign as, title
			t.Row(it.ID, it.State, rd.Roles(it.PendingRoles), ui.Clean(it.Title))
			continue
		}
		t.Row(rd.Theme.StateMark(it.State)+" "+it.ID, ui.Clean(it.Title), "as "+rd.Roles(it.PendingRoles))
	}
	if rd.TTY {
		fmt.Fprintf(o.IO.Out, "%s: what %s can act on now\n", rd.Theme.Heading(r.Meta.ID), actor)
	}
	if err := t.Render(o.IO.Out, ""); err != nil {
		return err
	}
	if rd.TTY {
		fmt.Fprintf(o.IO.ErrOut, "sign with `octorelease sign %s`\n", items[0].ID)
	}
	return nil
}
