package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// IncidentOptions are the flags of `incident`.
type IncidentOptions struct {
	IO      *iostreams.IOStreams
	Format  string
	Current func() (*Target, error)
	Loader  func() (*checklist.Loader, error)
	Actor   func() string
	Now     func() time.Time

	Reason string
}

// NewCmdIncident builds `octorelease incident`.
func NewCmdIncident(f *Factory, runF func(*IncidentOptions) error) *cobra.Command {
	opts := &IncidentOptions{IO: f.IO, Current: f.Current, Loader: f.Loader, Actor: f.Actor, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "incident --reason TEXT",
		Short: "Open the rollback and incident playbook for a release",
		Long: `Open an incident run of the incident checklist for the release (id
<release>-incident-<n>) and set the release's status to incident. The last
known-good release (the latest released one before it that was never rolled
back) is printed: that is what a rollback redeploys.

The incident run is a checklist like any other: use status, sign, waive,
walk, gate and log on it with -r. Signing its rollback item marks the release
rolled-back; finish on the incident run closes it.`,
		Example: `  octorelease incident -r v1.4.0 --reason "checkout errors at 5% after deploy"
  octorelease sign incident-response -r v1.4.0-incident-1 --role sre
  octorelease sign rollback -r v1.4.0-incident-1 --role sre --note "redeployed v1.3.2"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.Reason == "" {
				return errs.Usagef("incident needs --reason")
			}
			if err := release.CheckTexts("", opts.Reason, nil); err != nil {
				return err
			}
			return run(opts, runF, runIncident)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "what went wrong (required)")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// incidentJSON is `incident -o json`; its keys are in the order they have
// always been printed (sorted).
type incidentJSON struct {
	Incident      string `json:"incident" yaml:"incident"`
	LastKnownGood string `json:"last_known_good" yaml:"last_known_good"`
	Reason        string `json:"reason" yaml:"reason"`
	Release       string `json:"release" yaml:"release"`
}

func runIncident(o *IncidentOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	s, r := t.Store, t.Release
	if r.Meta.Parent != "" {
		return errs.Usagef("%s is itself an incident run; open the incident on %s", r.Meta.ID, r.Meta.Parent)
	}
	switch st := r.Status(); st {
	case release.StatusInProgress, release.StatusReleased:
	default:
		return errs.Policyf("%s is %s: an incident can be opened on a release in progress or released", r.Meta.ID, st)
	}
	loader, err := o.Loader()
	if err != nil {
		return err
	}
	cl, err := loader.Load("incident")
	if err != nil {
		return err
	}
	id := release.IncidentID(r.Meta.ID, len(r.Runs)+1)
	// One write: the run. The release's status (incident) follows from it.
	inc, err := release.New(release.Meta{ID: id, Version: r.Meta.Version, Type: "incident", Parent: r.Meta.ID,
		Summary: o.Reason, CreatedAt: o.Now(), CreatedBy: o.Actor()}, *cl)
	if err != nil {
		return errs.Usagef("%v", err)
	}
	if err := s.Create(inc); err != nil {
		return err
	}
	good, err := lastKnownGood(s, r.Meta.Version)
	if err != nil {
		return err
	}
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, incidentJSON{Incident: id, LastKnownGood: good, Reason: o.Reason, Release: r.Meta.ID})
	}
	fmt.Fprintf(o.IO.ErrOut, "✓ opened incident %s for %s: %s\n", id, r.Meta.ID, o.Reason)
	if good != "" {
		fmt.Fprintf(o.IO.ErrOut, "last known-good release: %s — rolling back means redeploying %s and signing `rollback` on %s\n", good, good, id)
	} else {
		fmt.Fprintf(o.IO.ErrOut, "no earlier release that was never rolled back: there is no known-good release to roll back to\n")
	}
	fmt.Fprintf(o.IO.ErrOut, "next: `octorelease next -r %s` shows what you can do\n", id)
	fmt.Fprintln(o.IO.Out, id)
	return nil
}

// lastKnownGood is the latest released version below version. A release
// that was rolled back has the final status rolled-back, so it is never one.
func lastKnownGood(s store.Store, version string) (string, error) {
	r, err := latestReleasedBefore(s, version)
	if r == nil || err != nil {
		return "", err
	}
	return r.Meta.ID, nil
}
