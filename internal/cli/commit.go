package cli

import (
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/workflow"
)

// errNoRepo: the working directory is not in a git repository.
var errNoRepo = errors.New("not in a git repository")

// resolveCommit turns a revision into the full SHA of its commit.
func (f *Factory) resolveCommit(rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", errs.Usagef("invalid revision %q", rev)
	}
	if err := exec.Command("git", "-C", f.Cwd, "rev-parse", "--git-dir").Run(); err != nil {
		return "", errNoRepo
	}
	out, err := exec.Command("git", "-C", f.Cwd, "rev-parse", "--verify", "--quiet", rev+"^{commit}").Output()
	if err != nil {
		return "", errs.Usagef("%q is not a commit of this repository", rev)
	}
	return strings.TrimSpace(string(out)), nil
}

// headMovedPast reports whether HEAD is a descendant of commit other than
// commit itself: the release's target is behind the working tree.
func (f *Factory) headMovedPast(commit string) (string, bool) {
	head, err := f.resolveCommit("HEAD")
	if err != nil || head == commit {
		return "", false
	}
	if exec.Command("git", "-C", f.Cwd, "merge-base", "--is-ancestor", commit, head).Run() != nil {
		return head, false
	}
	return head, true
}

// RetargetOptions are the arguments and flags of `retarget`.
type RetargetOptions struct {
	IO            *iostreams.IOStreams
	Rules         func(role string) (*Rules, error)
	Update        func(func(*release.Release) error) (workflow.Outcome, error)
	ResolveCommit func(rev string) (string, error)
	Actor         func() string
	Now           func() time.Time

	Rev    string
	Reason string
}

// NewCmdRetarget builds `octorelease retarget`.
func NewCmdRetarget(f *Factory, runF func(*RetargetOptions) error) *cobra.Command {
	opts := &RetargetOptions{IO: f.IO, Rules: f.Rules, Update: f.Update,
		ResolveCommit: f.resolveCommit, Actor: f.Actor, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "retarget REV --reason TEXT",
		Short: "Move the release to another commit; withdraw the sign-offs it makes stale",
		Long: `Move the release to the commit REV, recorded as an event. The sign-offs of the
items marked reset_on_retarget in the checklist (those that test, scan or
deploy the code: what they vouched for was another commit) are withdrawn by
recorded revokes and must be signed again; the others stand.`,
		Example: `  octorelease retarget HEAD --reason "fix for the checkout regression"
  octorelease retarget 3f2a9c1 --reason "rebuilt with the patched base image"`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Rev = args[0]
			if opts.Reason == "" {
				return errs.Usagef("retarget needs --reason")
			}
			if err := release.CheckTexts("", opts.Reason, nil); err != nil {
				return err
			}
			return run(opts, runF, runRetarget)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the release moves (required)")
	return cmd
}

func runRetarget(o *RetargetOptions) error {
	sha, err := o.ResolveCommit(o.Rev)
	if errors.Is(err, errNoRepo) {
		return errs.Usagef("retarget needs a git repository to resolve %q", o.Rev)
	}
	if err != nil {
		return err
	}
	rules, err := o.Rules("")
	if err != nil {
		return err
	}
	out, err := o.Update(func(r *release.Release) error {
		return r.Retarget(sha, o.Actor(), o.Reason, o.Now(), rules.Policy)
	})
	if err != nil {
		return err
	}
	reportOutcome(o.IO.ErrOut, rules.Config.RoleName, out)
	return nil
}
