package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/workflow"
)

// SignOptions are the flags of `sign`.
type SignOptions struct {
	IO     *iostreams.IOStreams
	Rules  func(role string) (*Rules, error)
	Update func(func(*release.Release) error) (workflow.Outcome, error)
	Actor  func() string
	Now    func() time.Time

	Items    []string
	Role     string
	Note     string
	Evidence []string
	Force    bool
	Reason   string
}

// NewCmdSign builds `octorelease sign` (alias `done`).
func NewCmdSign(f *Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: f.IO, Rules: f.Rules, Update: f.Update, Actor: f.Actor, Now: f.Now}
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
			if err := opts.validate(); err != nil {
				return err
			}
			return run(opts, runF, runSign)
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

// validate checks what the flags alone can tell, before runF: a note too
// long is a usage error whatever the release's state.
func (o *SignOptions) validate() error {
	if o.Force && o.Reason == "" {
		return errs.Usagef("--force needs --reason")
	}
	if o.Reason != "" && !o.Force {
		return errs.Usagef("--reason is only used with --force; use --note for a note")
	}
	if err := release.CheckTexts(o.Note, o.Reason, o.Evidence); err != nil {
		return err
	}
	for _, ev := range o.Evidence {
		if err := release.CheckEvidence(ev); err != nil {
			return errs.Usagef("--evidence").Wrap(err)
		}
	}
	return nil
}

func runSign(o *SignOptions) error {
	rules, err := o.Rules(o.Role)
	if err != nil {
		return err
	}
	pol := rules.Policy
	req := release.SignRequest{Items: o.Items, Role: o.Role, Actor: o.Actor(), Note: o.Note,
		Evidence: o.Evidence, Force: o.Force, Reason: o.Reason, At: o.Now()}
	out, err := o.Update(func(r *release.Release) error { return r.Sign(req, pol) })
	if err != nil {
		return err
	}
	reportOutcome(o.IO.ErrOut, rules.Config.RoleName, out)
	return nil
}

// ActionOptions are the flags of `waive` and `revoke`.
type ActionOptions struct {
	IO     *iostreams.IOStreams
	Rules  func(role string) (*Rules, error)
	Update func(func(*release.Release) error) (workflow.Outcome, error)
	Actor  func() string
	Now    func() time.Time

	Verb   string // waive or revoke
	Item   string
	Role   string
	Reason string
}

// NewCmdWaive builds `octorelease waive`.
func NewCmdWaive(f *Factory, runF func(*ActionOptions) error) *cobra.Command {
	return newActionCmd(f, runF, "waive", "Complete an optional item without doing it",
		`Waive an optional item ("if needed", "if applicable") for a role, with a
reason. Waiving a required item is refused (exit 4).`,
		`  octorelease waive backup --role sre --reason "stateless service, nothing to back up"`)
}

// NewCmdRevoke builds `octorelease revoke`.
func NewCmdRevoke(f *Factory, runF func(*ActionOptions) error) *cobra.Command {
	return newActionCmd(f, runF, "revoke", "Withdraw a sign-off or waiver (recorded, not erased)",
		`Withdraw a role's sign-off or waiver of an item, with a reason. The original
sign-off stays in the log; the item becomes pending again.`,
		`  octorelease revoke qa-signoff --role qa --reason "regression found in checkout"`)
}

func newActionCmd(f *Factory, runF func(*ActionOptions) error, verb, short, long, example string) *cobra.Command {
	opts := &ActionOptions{IO: f.IO, Rules: f.Rules, Update: f.Update, Actor: f.Actor, Now: f.Now, Verb: verb}
	cmd := &cobra.Command{
		Use:     verb + " ITEM --role ROLE --reason TEXT",
		Short:   short,
		Long:    long,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Item = args[0]
			if opts.Reason == "" {
				return errs.Usagef("%s needs --reason", verb)
			}
			if err := release.CheckTexts("", opts.Reason, nil); err != nil {
				return err
			}
			return run(opts, runF, runAction)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "role of the sign-off (required)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why (required)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func runAction(o *ActionOptions) error {
	rules, err := o.Rules(o.Role)
	if err != nil {
		return err
	}
	pol := rules.Policy
	req := release.ActionRequest{Item: o.Item, Role: o.Role, Actor: o.Actor(), Reason: o.Reason, At: o.Now()}
	out, err := o.Update(func(r *release.Release) error {
		if o.Verb == "revoke" {
			return r.Revoke(req, pol)
		}
		return r.Waive(req, pol)
	})
	if err != nil {
		return err
	}
	reportOutcome(o.IO.ErrOut, rules.Config.RoleName, out)
	return nil
}
