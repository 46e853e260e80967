package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/cireport"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/ui"
)

// GateOptions are the flags of `gate`.
type GateOptions struct {
	IO            *iostreams.IOStreams
	Format        string // -o, checked against the command's formats before runF
	Current       func() (*Target, error)
	Renderer      func() (ui.Renderer, error)
	ResolveCommit func(rev string) (string, error)
	NotifyBlocked func(r *release.Release, g release.GateResult, items []string)
	Getenv        func(string) string
	Now           func() time.Time
	Cwd           string // where a relative --junit path is

	Phase  string
	Items  []string
	JUnit  string
	Commit string
}

// NewCmdGate builds `octorelease gate`.
func NewCmdGate(f *Factory, runF func(*GateOptions) error) *cobra.Command {
	opts := &GateOptions{IO: f.IO, Current: f.Current,
		Renderer: f.Renderer, ResolveCommit: f.resolveCommit, NotifyBlocked: f.notifyGateBlocked,
		Getenv: f.getenv, Now: f.Now, Cwd: f.Cwd}
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "CI check: exit 0 when a gate is passed, 3 when not",
		Long: `Check whether every item of phase P and the phases before it (all phases
without --phase; just the named items with --item) is done or waived. Exit 0
when passed, 3 when not (each blocker is listed with its missing roles and
why: unsigned, check-missing, check-failed, policy-conflict, quorum or
wrong-commit), 1 when the release cannot be read. gate only reads: it never
waits for a writer's lock. With --commit (or OCTORELEASE_COMMIT) a release
that targets another commit does not pass: QA signing one build and
production getting another is what that prevents.

--junit FILE writes a JUnit XML report (one testcase per item). When
GITHUB_STEP_SUMMARY is set, a markdown summary is appended to it; when
GITHUB_ACTIONS=true, blockers are also printed as ::error:: annotations.`,
		Example: `  octorelease gate --phase pre-release
  octorelease gate --item qa-signoff --item ci-security-scans
  octorelease gate --junit reports/octorelease.xml -o json
  octorelease gate --phase pre-release --commit "$GITHUB_SHA"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.Commit == "" {
				opts.Commit = f.getenv("OCTORELEASE_COMMIT")
			}
			return run(opts, runF, runGate)
		},
	}
	cmd.Flags().StringVarP(&opts.Phase, "phase", "p", "", "gate this phase and every earlier one")
	cmd.Flags().StringArrayVar(&opts.Items, "item", nil, "gate just this item (repeatable)")
	cmd.Flags().StringVar(&opts.JUnit, "junit", "", "write a JUnit XML report to this file")
	cmd.Flags().StringVar(&opts.Commit, "commit", "", "fail (wrong-commit) unless the release targets this commit (default $OCTORELEASE_COMMIT)")
	cmd.MarkFlagsMutuallyExclusive("phase", "item")
	cmd.Flags().StringVar(&f.AllowedSigners, "allowed-signers", "", "take the trust root from this allowed_signers file, e.g. one from the default branch (default $OCTORELEASE_ALLOWED_SIGNERS, else signing.allowed_signers)")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// gateJSON is `gate -o json` (SPEC §8, docs/ci.md "The CI contract").
type gateJSON struct {
	Release string `json:"release" yaml:"release"`
	// Phase is the --phase asked for, left out when none was (all phases, or --item).
	Phase     string        `json:"phase,omitempty" yaml:"phase,omitempty"`
	Passed    bool          `json:"passed" yaml:"passed"`
	Blockers  []blockerJSON `json:"blockers" yaml:"blockers"`
	Waived    []string      `json:"waived" yaml:"waived"`
	ItemCount int           `json:"item_count" yaml:"item_count"` // items in scope
	// Items is ItemCount under its old name, which elsewhere (status) is
	// a list of items. Deprecated: read item_count.
	Items int `json:"items" yaml:"items"`
}

type blockerJSON struct {
	Item         string   `json:"item" yaml:"item"`
	Title        string   `json:"title" yaml:"title"`
	Phase        string   `json:"phase" yaml:"phase"`
	PendingRoles []string `json:"pending_roles" yaml:"pending_roles"`
	Reason       string   `json:"reason" yaml:"reason"`
}

func runGate(o *GateOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	r := t.Release
	// A damaged or edited event never loads (the store checks every hash,
	// name and parent), so it cannot pass for "nothing to check".
	g, err := r.Gate(o.Phase, o.Items, t.Policy)
	if err != nil {
		return err
	}
	if want := o.Commit; want != "" {
		// A revision gate can resolve is compared as its full SHA; else
		// (CI passes a SHA it checked out) as given.
		if sha, err := o.ResolveCommit(want); err == nil {
			want = sha
		}
		r.GateCommit(&g, want)
	}
	if len(g.Items) == 0 {
		return errs.Runtimef("%s has no items to gate: its checklist is empty", r.Meta.ID)
	}
	// Annotations go with the text on stdout, where GitHub documents them;
	// with -o json or yaml they go to stderr so that stdout stays parseable.
	annotations := o.IO.Out
	if o.Format != "text" {
		annotations = o.IO.ErrOut
	}
	if err := writeCIReports(o, r.Meta.ID, g, annotations); err != nil {
		return err
	}
	if o.Format != "text" {
		out := gateJSON{Release: g.Release, Phase: g.Phase, Passed: g.Passed, Blockers: []blockerJSON{},
			Waived: []string{}, ItemCount: len(g.Items), Items: len(g.Items)}
		for _, b := range g.Blockers {
			out.Blockers = append(out.Blockers, blockerJSON{b.Item, b.Title, b.Phase, orEmpty(b.PendingRoles), b.Reason})
		}
		for _, it := range g.Items {
			if it.State == release.StateWaived {
				out.Waived = append(out.Waived, it.ID)
			}
		}
		if err := writeData(o.IO.Out, o.Format, out); err != nil {
			return err
		}
	} else {
		rd, err := o.Renderer()
		if err != nil {
			return err
		}
		if err := rd.Gate(g); err != nil {
			return err
		}
	}
	if !g.Passed {
		o.NotifyBlocked(r, g, o.Items)
		return errs.Gatef("gate not passed: %d blocking item(s) in %s", len(g.Blockers), g.Release)
	}
	return nil
}

// writeCIReports writes the JUnit file, the GitHub step summary and the
// GitHub annotations, each only when asked for.
func writeCIReports(o *GateOptions, id string, g release.GateResult, annotations io.Writer) error {
	if junit := o.JUnit; junit != "" {
		var buf bytes.Buffer
		if err := cireport.JUnit(&buf, id, g, o.Now()); err != nil {
			return err
		}
		if !filepath.IsAbs(junit) {
			junit = filepath.Join(o.Cwd, junit)
		}
		if err := os.MkdirAll(filepath.Dir(junit), 0o755); err != nil {
			return err
		}
		if err := fsutil.WriteAtomic(junit, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write JUnit report: %w", err)
		}
	}
	if path := o.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		var buf bytes.Buffer
		if err := cireport.StepSummary(&buf, id, g); err != nil {
			return err
		}
		sf, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("append step summary: %w", err)
		}
		_, werr := sf.Write(buf.Bytes())
		if cerr := sf.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("append step summary: %w", werr)
		}
	}
	if o.Getenv("GITHUB_ACTIONS") == "true" {
		return cireport.Annotations(annotations, g)
	}
	return nil
}
