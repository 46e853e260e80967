package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/checkrun"
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/ui"
	"github.com/octorelease/octorelease/internal/workflow"
)

// CheckOptions are the flags of `check`.
type CheckOptions struct {
	IO      *iostreams.IOStreams
	Format  string
	Current func() (*Target, error)
	Update  func(func(*release.Release) error) (workflow.Outcome, error)
	Actor   func() string
	Now     func() time.Time

	Items []string
	Sign  bool
}

// NewCmdCheck builds `octorelease check`.
func NewCmdCheck(f *Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, Current: f.Current, Update: f.Update, Actor: f.Actor, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "check [ITEM...]",
		Short: "Run the items' automated checks and record the results",
		Long: `Run the check.run command of every item that has one (or of the named
items) with sh -c, from the folder of the config file, each with its timeout
(default 5m; on timeout the check and its child processes are killed). Each
result is recorded: pass or fail, exit code, duration, the SHA-256 of the
output and its last 20 lines. Exit 1 if any check failed; exit 0, saying so,
when no item has a check.

Ctrl-C (or SIGTERM) stops the running check with its child processes and
records nothing for it (exit 130); the checks that ended before it stay
recorded. Processes a check leaves behind are stopped once it ends; on
Linux also those that detached with setsid.

An item with a check can only be signed once its latest check passed. With
--sign, a passing check also signs the item for each of its pending roles
you may sign for.`,
		Example: `  octorelease check
  octorelease check production-deploy --sign`,
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Items = args
			return run(opts, runF, runCheck)
		},
	}
	cmd.Flags().BoolVar(&opts.Sign, "sign", false, "sign each item whose check passes, for every role you may sign for")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// checkRunJSON is one result of `check -o json`: the item, then the same
// fields as an item's "check" in `status -o json`, then the output's tail.
type checkRunJSON struct {
	Item       string `json:"item" yaml:"item"`
	checkJSON  `yaml:",inline"`
	OutputTail string `json:"output_tail" yaml:"output_tail"`
}

func checkRunView(item, by string, at time.Time, res release.CheckResult) checkRunJSON {
	return checkRunJSON{Item: item, OutputTail: res.OutputTail, checkJSON: checkJSON{
		Command: res.Command, Passed: res.Passed, ExitCode: res.ExitCode, TimedOut: res.TimedOut,
		DurationMS: res.DurationMS, OutputSHA: res.OutputSHA256, By: by, At: at}}
}

func runCheck(o *CheckOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	s, r, cfg, pol := t.Store, t.Release, t.Config, t.Policy
	targets, err := checkTargets(r, o.Items, pol)
	if err != nil {
		return err
	}
	results := []checkRunJSON{}
	if len(targets) == 0 {
		// The embedded checklists have no checks: CI's `octorelease check`
		// step has nothing to do, which is not a failure.
		fmt.Fprintf(o.IO.ErrOut, "nothing to check: no item of %s has a check\n", r.Meta.ID)
		if o.Format != "text" {
			return writeData(o.IO.Out, o.Format, results)
		}
		return nil
	}
	// Ctrl-C or SIGTERM stops the running check (its whole process group)
	// and records nothing for it; the results recorded before stay.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	failed := 0
	var signErr, stopErr error
	for _, it := range targets {
		res := runOneCheck(ctx, o.IO, cfg.Root, r.Meta, it)
		if ctx.Err() != nil {
			// However the check ended, a signal came while it ran: its
			// result is not the check's verdict.
			fmt.Fprintf(o.IO.ErrOut, "✗ check of %s interrupted: stopped, not recorded\n", it.ID)
			stopErr = &errs.Error{Code: codeInterrupted,
				Msg: fmt.Sprintf("interrupted: the check of %s was stopped and not recorded", it.ID)}
			break
		}
		actor, at := o.Actor(), o.Now()
		err := s.Update(r.Meta.ID, func(cur *release.Release) error {
			if err := cur.RecordCheck(it.ID, actor, at, res); err != nil {
				return err
			}
			r = cur
			return nil
		})
		if err != nil {
			return err
		}
		results = append(results, checkRunView(it.ID, actor, at, res))
		if !res.Passed {
			failed++
		} else if o.Sign {
			if err := signPassed(o, cfg, it.ID, pol); err != nil {
				fmt.Fprintf(o.IO.ErrOut, "  not signed: %v\n", err)
				signErr = err
			}
		}
		if ctx.Err() != nil {
			stopErr = &errs.Error{Code: codeInterrupted, Msg: fmt.Sprintf("interrupted after the check of %s", it.ID)}
			break
		}
	}
	// The results recorded, also when interrupted: they are in the state.
	if o.Format != "text" {
		if err := writeData(o.IO.Out, o.Format, results); err != nil {
			return err
		}
	}
	switch {
	case stopErr != nil:
		return stopErr
	case failed > 0:
		return errs.Runtimef("%d of %d checks failed", failed, len(results))
	}
	return signErr
}

// checkTargets returns the items whose checks to run: the named ones (each
// must exist and have a check), else every item with a check, which may be
// none.
func checkTargets(r *release.Release, ids []string, pol release.Policy) ([]release.ItemView, error) {
	v := r.Evaluate(pol)
	var out []release.ItemView
	if len(ids) == 0 {
		for _, p := range v.Phases {
			for _, it := range p.Items {
				if it.Check != nil {
					out = append(out, it)
				}
			}
		}
		return out, nil
	}
	for _, id := range ids {
		it, ok := v.Item(id)
		if !ok {
			return nil, errs.Usagef("unknown item %q in %s", id, r.Meta.ID)
		}
		if it.Check == nil {
			return nil, errs.Usagef("item %q has no check", id)
		}
		out = append(out, it)
	}
	return out, nil
}

func runOneCheck(ctx context.Context, io *iostreams.IOStreams, dir string, m release.Meta, it release.ItemView) release.CheckResult {
	tty := io.IsStderrTTY()
	var progress func(time.Duration)
	if tty {
		progress = func(d time.Duration) {
			fmt.Fprint(io.ErrOut, ui.ProgressLine(io.StderrWidth(),
				fmt.Sprintf("⠿ %s: %s  %s", it.ID, it.Check.Run, d.Truncate(100*time.Millisecond))))
		}
	} else {
		fmt.Fprintf(io.ErrOut, "running check of %s: %s\n", it.ID, it.Check.Run)
	}
	res := checkrun.Run(ctx, checkrun.Spec{
		Command: it.Check.Run, Dir: dir, Timeout: it.Check.EffectiveTimeout(),
		Env: []string{"OCTORELEASE_RELEASE=" + m.ID, "OCTORELEASE_VERSION=" + m.Version, "OCTORELEASE_ITEM=" + it.ID},
	}, progress)
	if tty {
		fmt.Fprint(io.ErrOut, "\r\033[K")
	}
	if ctx.Err() != nil {
		return res // interrupted: the caller says so, and records nothing
	}
	d := time.Duration(res.DurationMS) * time.Millisecond
	switch {
	case res.Passed:
		fmt.Fprintf(io.ErrOut, "✓ check of %s passed in %s\n", it.ID, d)
	case res.TimedOut:
		fmt.Fprintf(io.ErrOut, "✗ check of %s timed out after %s and was killed\n", it.ID, d)
	default:
		fmt.Fprintf(io.ErrOut, "✗ check of %s failed (exit %d) in %s\n", it.ID, res.ExitCode, d)
	}
	if tail := strings.TrimRight(res.OutputTail, "\n"); !res.Passed && tail != "" {
		fmt.Fprintln(io.ErrOut, tail)
	}
	return res
}

// signPassed signs an item whose check just passed, for each pending role
// the actor may sign for.
func signPassed(o *CheckOptions, cfg *config.Config, id string, pol release.Policy) error {
	actor := o.Actor()
	out, err := o.Update(func(r *release.Release) error {
		it, _ := r.Evaluate(pol).Item(id)
		signed := 0
		for _, role := range it.PendingRoles {
			if !pol.MaySign(actor, role) {
				continue
			}
			err := r.Sign(release.SignRequest{Items: []string{id}, Role: role, Actor: actor,
				Note: "check passed", At: o.Now()}, pol)
			if err != nil {
				return err
			}
			signed++
		}
		if signed == 0 && len(it.PendingRoles) > 0 {
			return errs.Policyf("%s may not sign %s for any of its pending roles", actor, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	reportOutcome(o.IO.ErrOut, cfg.RoleName, out)
	return nil
}
