package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// SignOptions are the flags of `sign`.
type SignOptions struct {
	F        *Factory
	Items    []string
	Role     string
	Note     string
	Evidence []string
	Force    bool
	Reason   string
}

// NewCmdSign builds `octorelease sign` (alias `done`).
func NewCmdSign(f *Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{F: f}
	cmd := &cobra.Command{
		Use:     "sign ITEM...",
		Aliases: []string{"done"},
		Short:   "Record your sign-off of one or more items",
		Long: `Record the actor's sign-off of each ITEM for a role. --role may be left out
when you are a member of exactly one of the item's roles (or the item has a
single role). Items are signed in order: an item of a later phase, or one
whose needs are incomplete, is refused (exit 4) unless --force --reason is
given, which is recorded and shown in status. Several items are signed all
or none.`,
		Example: `  octorelease sign qa-signoff --role qa --evidence https://ci.example.com/run/42
  octorelease sign staging-deploy --role sre --note "smoke tests green"
  octorelease done capacity rollback-plan --as alice
  octorelease sign production-deploy --force --reason "staging outage, approved by CTO"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Items = args
			if runF != nil {
				return runF(opts)
			}
			return runSign(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Role, "role", "", "role you sign for")
	fl.StringVar(&opts.Note, "note", "", "a note recorded with the sign-off")
	fl.StringArrayVar(&opts.Evidence, "evidence", nil, "a link to evidence (repeatable)")
	fl.BoolVar(&opts.Force, "force", false, "sign out of order (needs --reason; recorded as forced)")
	fl.StringVar(&opts.Reason, "reason", "", "why the sign-off is forced")
	return cmd
}

func runSign(o *SignOptions) error {
	f := o.F
	if o.Force && o.Reason == "" {
		return errs.Usagef("--force needs --reason")
	}
	if o.Reason != "" && !o.Force {
		return errs.Usagef("--reason is only used with --force; use --note for a note")
	}
	if err := f.checkRole(o.Role); err != nil {
		return err
	}
	pol, err := f.Policy()
	if err != nil {
		return err
	}
	// Before the lock and the release are touched: a note too long is a
	// usage error whatever the release's state.
	if err := release.CheckTexts(o.Note, o.Reason, o.Evidence); err != nil {
		return err
	}
	for _, ev := range o.Evidence {
		if err := release.CheckEvidence(ev); err != nil {
			return errs.Usagef("--evidence: %v", err)
		}
	}
	req := release.SignRequest{Items: o.Items, Role: o.Role, Actor: f.Actor(), Note: o.Note,
		Evidence: o.Evidence, Force: o.Force, Reason: o.Reason, At: f.Now()}
	return f.mutate(func(r *release.Release) error { return r.Sign(req, pol) })
}

// mutate applies fn to the current release under its lock, reports what
// was recorded, and follows through on incident rules.
func (f *Factory) mutate(fn func(r *release.Release) error) error {
	s, err := f.Store()
	if err != nil {
		return err
	}
	id, err := f.ReleaseID(s)
	if err != nil {
		return err
	}
	var before int
	var wasComplete []bool
	var after *release.Release
	err = s.Update(id, func(r *release.Release) error {
		before = len(r.Events)
		wasComplete = phasesComplete(r.Evaluate(f.policy()))
		if err := fn(r); err != nil {
			return err
		}
		after = r
		return nil
	})
	if err != nil {
		return suggestRelease(s, id, err)
	}
	f.reportEvents(after, after.Events[before:], wasComplete)
	f.reportParent(s, after, after.Events[before:])
	f.noteWrite(s, after, before)
	return nil
}

// reportParent says what an incident run's events did to its release,
// whose status is derived from its runs: closing the run gives the
// release back its status, signing rollback rolls it back.
func (f *Factory) reportParent(s store.Store, run *release.Release, events []release.Event) {
	if run.Meta.Parent == "" {
		return
	}
	for _, e := range events {
		if e.Kind == release.EventStatus || e.Kind == release.EventSign && e.Item == release.RollbackItem {
			if p, err := s.Load(run.Meta.Parent); err == nil {
				fmt.Fprintf(f.IO.ErrOut, "✓ %s is now %s\n", p.Meta.ID, p.Status())
			}
			return
		}
	}
}

func phasesComplete(v release.View) []bool {
	out := make([]bool, len(v.Phases))
	for i, p := range v.Phases {
		out[i] = p.Complete
	}
	return out
}

// reportEvents prints one ✓ line per recorded event, and the phases that
// these events completed.
func (f *Factory) reportEvents(r *release.Release, events []release.Event, wasComplete []bool) {
	cfg, _ := f.Config()
	name := func(id string) string {
		if cfg == nil {
			return id
		}
		return cfg.RoleName(id)
	}
	for _, e := range events {
		switch e.Kind {
		case release.EventSign:
			forced := ""
			if e.Forced {
				forced = " (forced)"
			}
			fmt.Fprintf(f.IO.ErrOut, "✓ %s signed %s as %s%s\n", e.Actor, e.Item, name(e.Role), forced)
		case release.EventWaive:
			fmt.Fprintf(f.IO.ErrOut, "✓ %s waived %s for %s: %s\n", e.Actor, e.Item, name(e.Role), e.Reason)
		case release.EventRevoke:
			fmt.Fprintf(f.IO.ErrOut, "✓ %s revoked %s for %s: %s\n", e.Actor, e.Item, name(e.Role), e.Reason)
		case release.EventStatus:
			fmt.Fprintf(f.IO.ErrOut, "✓ %s is now %s\n", r.Meta.ID, e.Status)
		}
	}
	if r.Status() != release.StatusInProgress {
		return
	}
	v := r.Evaluate(f.policy())
	for i, p := range v.Phases {
		if !p.Complete || (i < len(wasComplete) && wasComplete[i]) {
			continue
		}
		if i+1 < len(v.Phases) {
			fmt.Fprintf(f.IO.ErrOut, "phase %q complete; %q is open: `octorelease next` shows what you can do\n", p.ID, v.Phases[i+1].ID)
		} else if v.Complete {
			fmt.Fprintf(f.IO.ErrOut, "every item of %s is done: run `octorelease finish`\n", r.Meta.ID)
		}
	}
}

// ActionOptions are the flags of `waive` and `revoke`.
type ActionOptions struct {
	F      *Factory
	Item   string
	Role   string
	Reason string
}

// NewCmdWaive builds `octorelease waive`.
func NewCmdWaive(f *Factory, runF func(*ActionOptions) error) *cobra.Command {
	return newActionCmd(f, runF, "waive", "Complete an optional item without doing it",
		`Waive an optional item ("if needed", "if applicable") for a role, with a
reason. Waiving a required item is refused (exit 4).`,
		`  octorelease waive backup --role sre --reason "stateless service, nothing to back up"`,
		func(r *release.Release, req release.ActionRequest, pol release.Policy) error {
			return r.Waive(req, pol)
		})
}

// NewCmdRevoke builds `octorelease revoke`.
func NewCmdRevoke(f *Factory, runF func(*ActionOptions) error) *cobra.Command {
	return newActionCmd(f, runF, "revoke", "Withdraw a sign-off or waiver (recorded, not erased)",
		`Withdraw a role's sign-off or waiver of an item, with a reason. The original
sign-off stays in the log; the item becomes pending again.`,
		`  octorelease revoke qa-signoff --role qa --reason "regression found in checkout"`,
		func(r *release.Release, req release.ActionRequest, pol release.Policy) error {
			return r.Revoke(req, pol)
		})
}

func newActionCmd(f *Factory, runF func(*ActionOptions) error, verb, short, long, example string,
	act func(*release.Release, release.ActionRequest, release.Policy) error) *cobra.Command {
	opts := &ActionOptions{F: f}
	cmd := &cobra.Command{
		Use:     verb + " ITEM --role ROLE --reason TEXT",
		Short:   short,
		Long:    long,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Item = args[0]
			if runF != nil {
				return runF(opts)
			}
			return func() error {
				if opts.Reason == "" {
					return errs.Usagef("%s needs --reason", verb)
				}
				if err := f.checkRole(opts.Role); err != nil {
					return err
				}
				pol, err := f.Policy()
				if err != nil {
					return err
				}
				if err := release.CheckTexts("", opts.Reason, nil); err != nil {
					return err
				}
				req := release.ActionRequest{Item: opts.Item, Role: opts.Role, Actor: f.Actor(), Reason: opts.Reason, At: f.Now()}
				return f.mutate(func(r *release.Release) error { return act(r, req, pol) })
			}()
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "role of the sign-off (required)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why (required)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}
