package cli

import (
	"fmt"
	"github.com/octorelease/octorelease/internal/checklist"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
)

// current resolves and loads the release a command acts on (read-only).
func (f *Factory) current() (store.Store, *release.Release, error) {
	s, err := f.Store()
	if err != nil {
		return nil, nil, err
	}
	id, r, err := f.resolveRelease(s)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		if r, err = s.Load(id); err != nil {
			return nil, nil, suggestRelease(s, id, err)
		}
	}
	return s, r, nil
}

func (f *Factory) renderer() (ui.Renderer, error) {
	cfg, err := f.Config()
	if err != nil {
		return ui.Renderer{}, err
	}
	return ui.Renderer{W: f.IO.Out, Theme: f.Theme(), TTY: f.IO.IsStdoutTTY(), Now: f.Now(), RoleName: cfg.RoleName,
		Width: f.IO.TerminalWidth()}, nil
}

// StatusOptions are the flags of `status`.
type StatusOptions struct {
	F       *Factory
	Role    string
	Pending bool
}

// NewCmdStatus builds `octorelease status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{F: f}
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
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runStatus(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "only items with this role")
	cmd.Flags().BoolVar(&opts.Pending, "pending", false, "only items that are not done or waived")
	return cmd
}

func runStatus(o *StatusOptions) error {
	f := o.F
	format, err := f.outputFormat("json", "yaml")
	if err != nil {
		return err
	}
	_, r, err := f.current()
	if err != nil {
		return err
	}
	if err := f.checkRole(o.Role); err != nil {
		return err
	}
	full := r.Evaluate(f.policy())
	v := filterView(full, o.Role, o.Pending)
	incidents := incidentsOf(r)
	if format != "text" {
		return writeData(f.IO.Out, format, statusView(r, v, incidents))
	}
	rd, err := f.renderer()
	if err != nil {
		return err
	}
	if c := r.Commit(); c != "" && r.Status() == release.StatusInProgress {
		if head, moved := f.headMovedPast(c); moved {
			fmt.Fprintf(f.IO.ErrOut, "warning: HEAD (%s) has moved past the commit %s targets (%s); if HEAD is what you release, run `octorelease retarget HEAD --reason TEXT`\n",
				head[:12], r.Meta.ID, c[:min(12, len(c))])
		}
	}
	if err := rd.Status(r, full, v, incidents); err != nil {
		return err
	}
	if !rd.TTY {
		return nil // a pipe gets the rows alone: `pending` has the same in rows
	}
	return f.writeWaitingSummary(rd, r, o.Role)
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
func (f *Factory) checkRole(role string) error {
	if role == "" {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if !slices.Contains(cfg.RoleIDs(), role) {
		return usageUnknownRole(role, cfg.RoleIDs())
	}
	return nil
}

func usageUnknownRole(role string, known []string) error {
	return errs.Usagef("unknown role %q%s; known roles: %s", role, checklist.Suggest(role, known), strings.Join(known, ", "))
}

// NextOptions are the flags of `next`.
type NextOptions struct {
	F    *Factory
	Role string
}

// NewCmdNext builds `octorelease next`.
func NewCmdNext(f *Factory, runF func(*NextOptions) error) *cobra.Command {
	opts := &NextOptions{F: f}
	cmd := &cobra.Command{
		Use:   "next",
		Short: "Show the items you (or a role) can act on now",
		Example: `  octorelease next
  octorelease next --role sre
  octorelease next --as carol@example.com -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runNext(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "items this role can act on (default: every role you may sign for)")
	return cmd
}

func runNext(o *NextOptions) error {
	f := o.F
	format, err := f.outputFormat("json", "yaml")
	if err != nil {
		return err
	}
	_, r, err := f.current()
	if err != nil {
		return err
	}
	if err := f.checkRole(o.Role); err != nil {
		return err
	}
	pol, err := f.Policy()
	if err != nil {
		return err
	}
	items := r.Actionable(f.Actor(), o.Role, pol)
	if format != "text" {
		out := []itemJSON{}
		for _, it := range items {
			out = append(out, itemView(it))
		}
		return writeData(f.IO.Out, format, map[string]any{"release": r.Meta.ID, "actor": f.Actor(), "items": out})
	}
	rd, err := f.renderer()
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "nothing for %s to act on in %s now\n", f.Actor(), r.Meta.ID)
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
		fmt.Fprintf(f.IO.Out, "%s: what %s can act on now\n", rd.Theme.Heading(r.Meta.ID), f.Actor())
	}
	if err := t.Render(f.IO.Out, ""); err != nil {
		return err
	}
	if rd.TTY {
		fmt.Fprintf(f.IO.ErrOut, "sign with `octorelease sign %s`\n", items[0].ID)
	}
	return nil
}
