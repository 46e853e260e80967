package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
	"github.com/octorelease/octorelease/internal/workflow"
)

// FinishOptions are the flags of `finish` (none of its own).
type FinishOptions struct {
	IO       *iostreams.IOStreams
	Current  func() (*Target, error)
	Update   func(func(*release.Release) error) (workflow.Outcome, error)
	Renderer func() (ui.Renderer, error)
	Actor    func() string
	Now      func() time.Time
}

// NewCmdFinish builds `octorelease finish`.
func NewCmdFinish(f *Factory, runF func(*FinishOptions) error) *cobra.Command {
	opts := &FinishOptions{IO: f.IO, Current: f.Current, Update: f.Update,
		Renderer: f.Renderer, Actor: f.Actor, Now: f.Now}
	return &cobra.Command{
		Use:   "finish",
		Short: "Mark the release released (or close an incident run)",
		Long: `Mark the release released. Every item must be done or waived; otherwise the
blockers are listed and the exit code is 3. On an incident run, finish closes
the incident: its release returns to the status it had before, unless the
incident rolled it back.`,
		Example: "  octorelease finish\n  octorelease finish -r v1.4.0-incident-1",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return run(opts, runF, runFinish) },
	}
}

func runFinish(o *FinishOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	r, pol := t.Release, t.Policy
	if st := r.Status(); st != release.StatusInProgress {
		return errs.Policyf("%s is already %s: finish closes a release that is in progress", r.Meta.ID, st)
	}
	if g, err := r.Gate("", nil, pol); err == nil && !g.Passed {
		rd, err := o.Renderer()
		if err != nil {
			return err
		}
		rd.W = o.IO.ErrOut
		if err := rd.Gate(g); err != nil {
			return err
		}
		return errs.Gatef("%s is not complete: %d items blocking", r.Meta.ID, len(g.Blockers)).
			WithHint("`octorelease status --pending` shows what is left")
	}
	// Closing an incident run gives its release back the status it had:
	// the release's status is derived from its runs, so nothing else is written.
	return setStatus(o.IO, o.Update, func(r *release.Release) error {
		return r.SetStatus(release.StatusReleased, o.Actor(), "", o.Now(), pol)
	})
}

// setStatus records a status change and reports it (a status event needs
// no role names).
func setStatus(io *iostreams.IOStreams, update func(func(*release.Release) error) (workflow.Outcome, error),
	fn func(*release.Release) error) error {
	out, err := update(fn)
	if err != nil {
		return err
	}
	reportOutcome(io.ErrOut, func(id string) string { return id }, out)
	return nil
}

// AbortOptions are the flags of `abort`.
type AbortOptions struct {
	IO     *iostreams.IOStreams
	Policy func() (release.Policy, error)
	Update func(func(*release.Release) error) (workflow.Outcome, error)
	Actor  func() string
	Now    func() time.Time

	Reason string
}

// NewCmdAbort builds `octorelease abort`.
func NewCmdAbort(f *Factory, runF func(*AbortOptions) error) *cobra.Command {
	opts := &AbortOptions{IO: f.IO, Policy: f.Policy, Update: f.Update, Actor: f.Actor, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "abort --reason TEXT",
		Short:   "Mark the release aborted",
		Example: `  octorelease abort --reason "superseded by 1.4.1"`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			// Flags are checked before runF, so an injected runF sees
			// validated options.
			if opts.Reason == "" {
				return errs.Usagef("abort needs --reason")
			}
			if err := release.CheckTexts("", opts.Reason, nil); err != nil {
				return err
			}
			return run(opts, runF, runAbort)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the release is aborted (required)")
	return cmd
}

func runAbort(o *AbortOptions) error {
	pol, err := o.Policy()
	if err != nil {
		return err
	}
	return setStatus(o.IO, o.Update, func(r *release.Release) error {
		return r.SetStatus(release.StatusAborted, o.Actor(), o.Reason, o.Now(), pol)
	})
}

// ListOptions are the flags of `list`.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Format   string
	Store    func() (store.Store, error)
	Policy   func() (release.Policy, error)
	Renderer func() (ui.Renderer, error)

	All bool
}

// NewCmdList builds `octorelease list`.
func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Store: f.Store, Policy: f.Policy, Renderer: f.Renderer}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List releases (in progress, or all) with type, status and progress",
		Example: "  octorelease list\n  octorelease list --all -o json",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return run(opts, runF, runList) },
	}
	cmd.Flags().BoolVarP(&opts.All, "all", "a", false, "include released, aborted and rolled-back releases")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

type listJSON struct {
	releaseJSON `yaml:",inline"`
	Done        int           `json:"done" yaml:"done"`
	Total       int           `json:"total" yaml:"total"`
	Gate        gateStateJSON `json:"gate" yaml:"gate"`
}

func runList(o *ListOptions) error {
	s, err := o.Store()
	if err != nil {
		return err
	}
	pol, err := o.Policy()
	if err != nil {
		return err
	}
	var releases []*release.Release
	var damaged []error
	if o.All {
		releases, damaged, err = allReleases(s)
	} else {
		releases, err = releasesWithStatus(s, release.StatusInProgress, release.StatusIncident)
	}
	if err != nil {
		return err
	}
	if err := listRows(o, o.Format, pol, releases); err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(o.IO.ErrOut, "octorelease: %v\n", explain(d))
	}
	if len(damaged) > 0 {
		return errs.Silent{Code: errs.CodeRuntime}
	}
	return nil
}

// listRows prints the list of releases.
func listRows(o *ListOptions, format string, pol release.Policy, releases []*release.Release) error {
	rows := []listJSON{}
	for _, r := range releases {
		g, err := r.Gate("", nil, pol) // every item, evaluated once
		if err != nil {
			return err
		}
		done, total := progress(g.Items)
		rows = append(rows, listJSON{releaseView(r, nil), done, total, gateStateJSON{g.Passed, len(g.Blockers)}})
	}
	if format != "text" {
		return writeData(o.IO.Out, format, rows)
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "no releases in progress (`octorelease list --all` shows finished ones)")
		return nil
	}
	t := rd.Table()
	if rd.TTY {
		th := rd.Theme
		t.Row(th.Heading("ID"), th.Heading("TYPE"), th.Heading("STATUS"), th.Heading("PROGRESS"), th.Heading("STARTED"), th.Heading("BY"), th.Heading("GATE"))
	}
	for _, row := range rows {
		t.Row(row.ID, row.Type, rd.Theme.State(row.Status), rd.Theme.Progress(row.Done, row.Total, rd.TTY),
			ui.Time(row.CreatedAt, rd.Now, rd.TTY), ui.Clean(row.CreatedBy), gateText(rd.Theme, row.Gate))
	}
	return t.Render(o.IO.Out, "")
}

// progress counts the done or waived items.
func progress(items []release.ItemView) (done, total int) {
	for _, it := range items {
		if it.Finished() {
			done++
		}
	}
	return done, len(items)
}

// LogOptions are the flags of `log` (none of its own).
type LogOptions struct {
	IO       *iostreams.IOStreams
	Format   string
	Current  func() (*Target, error)
	Renderer func() (ui.Renderer, error)
}

// NewCmdLog builds `octorelease log`.
func NewCmdLog(f *Factory, runF func(*LogOptions) error) *cobra.Command {
	opts := &LogOptions{IO: f.IO, Current: f.Current, Renderer: f.Renderer}
	cmd := &cobra.Command{
		Use:     "log",
		Short:   "Show the release's events, oldest first",
		Example: "  octorelease log\n  octorelease log -r v1.4.0 -o json",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return run(opts, runF, runLog) },
	}
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

func runLog(o *LogOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, t.Release.Events)
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	return rd.Log(t.Release.Events)
}
