package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
)

// StartOptions are the flags of `start`.
type StartOptions struct {
	IO          *iostreams.IOStreams
	Format      string
	Store       func() (store.Store, error)
	Loader      func() (*checklist.Loader, error)
	Policy      func() (release.Policy, error)
	Renderer    func() (ui.Renderer, error)
	StartCommit func(rev string) (string, error)
	PromptType  func(version string) (string, error)
	Walk        func(id string) error // goes on into the walk of release id
	Actor       func() string
	Now         func() time.Time

	Version string
	Type    string
	Summary string
	Commit  string
	NoWalk  bool
}

// NewCmdStart builds `octorelease start`.
func NewCmdStart(f *Factory, runF func(*StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IO, Store: f.Store, Loader: f.Loader, Policy: f.Policy,
		Renderer: f.Renderer, StartCommit: f.startCommit, PromptType: f.promptType, Walk: f.walkRelease,
		Actor: f.Actor, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "start VERSION",
		Short: "Open a release and walk through its checklist",
		Long: `Open a release of VERSION (a semantic version, with or without a leading v;
1.4.0 and v1.4.0 name the same release, v1.4.0). The checklist of the release
type is copied into the release, so later edits of the YAML do not change a
release in flight.

Without --type, the type is inferred from the latest released version
(1.3.2 → 1.4.0 is minor); with no earlier release, --type is required (on a
terminal you are asked). On a terminal, start goes on into 'walk' unless
--no-walk is given.`,
		Example: `  octorelease start 1.4.0 --summary "Faster search"
  octorelease start 2.0.0 --type major --no-walk
  octorelease start v1.3.3 --type patch`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Version = args[0]
			return run(opts, runF, runStart)
		},
	}
	cmd.Flags().StringVarP(&opts.Type, "type", "t", "", "release type: patch, minor or major (a checklist name)")
	cmd.Flags().StringVar(&opts.Summary, "summary", "", "one-line summary of the release (used in release notes)")
	cmd.Flags().BoolVar(&opts.NoWalk, "no-walk", false, "do not go on into the interactive walk")
	cmd.Flags().StringVar(&opts.Commit, "commit", "", "the commit being released (default HEAD, in a git repository)")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"patch", "minor", "major"}, cobra.ShellCompDirectiveNoFileComp))
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

var releaseTypes = []string{"patch", "minor", "major"}

func runStart(o *StartOptions) error {
	id, version, err := release.ParseVersion(o.Version)
	if err != nil {
		return err
	}
	s, err := o.Store()
	if err != nil {
		return err
	}
	typ := o.Type
	if typ == "" {
		if typ, err = inferType(s, version); err != nil {
			if !o.IO.CanPrompt() || o.Format != "text" {
				return err
			}
			if typ, err = o.PromptType(version); err != nil {
				return err
			}
		}
	}
	if typ == "incident" || typ == "base" {
		return errs.Usagef("release type %q cannot be started; use patch, minor or major", typ)
	}
	loader, err := o.Loader()
	if err != nil {
		return err
	}
	cl, err := loader.Load(typ)
	if err != nil {
		return err
	}
	commit, err := o.StartCommit(o.Commit)
	if err != nil {
		return err
	}
	r, err := release.New(release.Meta{ID: id, Version: version, Type: typ, Summary: o.Summary,
		CreatedAt: o.Now(), CreatedBy: o.Actor(), Commit: commit}, *cl)
	if err != nil {
		return errs.Usagef("%v", err)
	}
	if err := s.Create(r); err != nil {
		return err
	}
	items := len(cl.ItemIDs())
	fmt.Fprintf(o.IO.ErrOut, "✓ opened release %s (%s): %d items in %d phases, checklist from %s\n",
		id, typ, items, len(cl.Phases), cl.Source)
	if o.Format != "text" {
		pol, err := o.Policy()
		if err != nil {
			return err
		}
		return writeData(o.IO.Out, o.Format, statusView(r, r.Evaluate(pol), nil))
	}
	if o.IO.CanPrompt() && !o.NoWalk {
		rd, err := o.Renderer()
		if err != nil {
			return err
		}
		if err := renderChecklist(rd, cl); err != nil {
			return err
		}
		fmt.Fprintln(o.IO.Out)
		return o.Walk(id)
	}
	fmt.Fprintf(o.IO.Out, "%s\n", id)
	fmt.Fprintf(o.IO.ErrOut, "next: `octorelease next` shows what you can sign; `octorelease status` shows everything\n")
	return nil
}

// latestReleased is the id of the highest released version, or "".
func latestReleased(s store.Store) string {
	r, err := latestReleasedBefore(s, "999999999.0.0")
	if err != nil || r == nil {
		return ""
	}
	return r.Meta.ID
}

// startCommit is the commit a new release targets (SPEC §14): --commit,
// else HEAD when the working directory is in a git repository that has
// one, else none.
func (f *Factory) startCommit(rev string) (string, error) {
	if rev == "" {
		sha, err := f.resolveCommit("HEAD")
		if err != nil {
			return "", nil
		}
		return sha, nil
	}
	sha, err := f.resolveCommit(rev)
	if errors.Is(err, errNoRepo) {
		return "", errs.Usagef("--commit %s needs a git repository", rev)
	}
	return sha, err
}

// inferType compares version with the latest released version before it.
func inferType(s store.Store, version string) (string, error) {
	prev, err := latestReleasedBefore(s, version)
	if err != nil {
		return "", err
	}
	if prev == nil {
		if newer := latestReleased(s); newer != "" {
			return "", errs.Usagef("%s is older than %s, the latest release, so its type cannot be inferred", version, newer).
				WithHint("to release an older line, pass --type patch, --type minor or --type major")
		}
		return "", errs.Usagef("no earlier release to infer the type of %s from", version).
			WithHint("pass --type patch, --type minor or --type major")
	}
	return release.InferType(prev.Meta.Version, version)
}
