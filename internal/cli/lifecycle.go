package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/ui"
)

// FinishOptions are the flags of `finish` (none of its own).
type FinishOptions struct {
	F *Factory
}

// NewCmdFinish builds `octorelease finish`.
func NewCmdFinish(f *Factory, runF func(*FinishOptions) error) *cobra.Command {
	opts := &FinishOptions{F: f}
	return &cobra.Command{
		Use:   "finish",
		Short: "Mark the release released (or close an incident run)",
		Long: `Mark the release released. Every item must be done or waived; otherwise the
blockers are listed and the exit code is 3. On an incident run, finish closes
the incident: its release returns to the status it had before, unless the
incident rolled it back.`,
		Example: "  octorelease finish\n  octorelease finish -r v1.4.0-incident-1",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runFinish(opts)
		},
	}
}

func runFinish(o *FinishOptions) error {
	f := o.F
	_, r, err := f.current()
	if err != nil {
		return err
	}
	if st := r.Status(); st != release.StatusInProgress {
		return errs.Policyf("%s is already %s: finish closes a release that is in progress", r.Meta.ID, st)
	}
	if g, err := r.Gate("", nil, f.policy()); err == nil && !g.Passed {
		rd, err := f.renderer()
		if err != nil {
			return err
		}
		rd.W = f.IO.ErrOut
		if err := rd.Gate(g); err != nil {
			return err
		}
		return errs.Gatef("%s is not complete: %d items blocking", r.Meta.ID, len(g.Blockers)).
			WithHint("`octorelease status --pending` shows what is left")
	}
	// Closing an incident run gives its release back the status it had:
	// the release's status is derived from its runs, so nothing else is written.
	return f.mutate(func(r *release.Release) error {
		return r.SetStatus(release.StatusReleased, f.Actor(), "", f.Now(), f.policy())
	})
}

// AbortOptions are the flags of `abort`.
type AbortOptions struct {
	F      *Factory
	Reason string
}

// NewCmdAbort builds `octorelease abort`.
func NewCmdAbort(f *Factory, runF func(*AbortOptions) error) *cobra.Command {
	opts := &AbortOptions{F: f}
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
			if runF != nil {
				return runF(opts)
			}
			return runAbort(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the release is aborted (required)")
	return cmd
}

func runAbort(o *AbortOptions) error {
	f := o.F
	return f.mutate(func(r *release.Release) error {
		return r.SetStatus(release.StatusAborted, f.Actor(), o.Reason, f.Now(), f.policy())
	})
}

// ListOptions are the flags of `list`.
type ListOptions struct {
	F   *Factory
	All bool
}

// NewCmdList builds `octorelease list`.
func NewCmdList(f *Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List releases (in progress, or all) with type, status and progress",
		Example: "  octorelease list\n  octorelease list --all -o json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runList(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.All, "all", "a", false, "include released, aborted and rolled-back releases")
	return cmd
}

type listJSON struct {
	releaseJSON `yaml:",inline"`
	Done        int           `json:"done" yaml:"done"`
	Total       int           `json:"total" yaml:"total"`
	Gate        gateStateJSON `json:"gate" yaml:"gate"`
}

func runList(o *ListOptions) error {
	f, all := o.F, o.All
	format, err := f.outputFormat("json", "yaml")
	if err != nil {
		return err
	}
	s, err := f.Store()
	if err != nil {
		return err
	}
	var releases []*release.Release
	var damaged []error
	if all {
		releases, damaged, err = allReleases(s)
	} else {
		releases, err = releasesWithStatus(s, release.StatusInProgress, release.StatusIncident)
	}
	if err != nil {
		return err
	}
	if err := listRows(f, format, releases); err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(f.IO.ErrOut, "octorelease: %v\n", d)
	}
	if len(damaged) > 0 {
		return errs.Silent{Code: errs.CodeRuntime}
	}
	return nil
}

// listRows prints the list of releases.
func listRows(f *Factory, format string, releases []*release.Release) error {
	rows := []listJSON{}
	for _, r := range releases {
		g, err := r.Gate("", nil, f.policy()) // every item, evaluated once
		if err != nil {
			return err
		}
		done, total := progress(g.Items)
		rows = append(rows, listJSON{releaseView(r, nil), done, total, gateStateJSON{g.Passed, len(g.Blockers)}})
	}
	if format != "text" {
		return writeData(f.IO.Out, format, rows)
	}
	rd, err := f.renderer()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "no releases in progress (`octorelease list --all` shows finished ones)")
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
	return t.Render(f.IO.Out, "")
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
	F *Factory
}

// NewCmdLog builds `octorelease log`.
func NewCmdLog(f *Factory, runF func(*LogOptions) error) *cobra.Command {
	opts := &LogOptions{F: f}
	return &cobra.Command{
		Use:     "log",
		Short:   "Show the release's events, oldest first",
		Example: "  octorelease log\n  octorelease log -r v1.4.0 -o json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runLog(opts)
		},
	}
}

func runLog(o *LogOptions) error {
	f := o.F
	format, err := f.outputFormat("json", "yaml")
	if err != nil {
		return err
	}
	_, r, err := f.current()
	if err != nil {
		return err
	}
	if format != "text" {
		return writeData(f.IO.Out, format, r.Events)
	}
	rd, err := f.renderer()
	if err != nil {
		return err
	}
	rd.Width = f.IO.TerminalWidth()
	return rd.Log(r.Events)
}
