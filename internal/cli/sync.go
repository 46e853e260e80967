package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/gitsync"
	"github.com/octorelease/octorelease/internal/iostreams"
)

// SyncOptions are the flags of `sync`.
type SyncOptions struct {
	IO     *iostreams.IOStreams
	Format string
	Config func() (*config.Config, error)
	Repo   string // the working directory, in the git repository to sync

	Remote            string
	AllowOtherCommits bool
}

// NewCmdSync builds `octorelease sync`.
func NewCmdSync(f *Factory, runF func(*SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{IO: f.IO, Config: f.Config, Repo: f.Cwd}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Share the state with the team through git: commit, pull, push",
		Long: `Commit the state folder's new files, and only those, integrate the remote
branch (a rebase, or a merge when other changes in the working tree make a
rebase impossible) and push. When the push is rejected because someone else
pushed first, sync fetches and tries again, a bounded number of times.

Recorded events are only ever added, so any git workflow merges them: sync is
for those who do not want to think about it, and sync.auto: true in the
config runs it after every write. It never leaves a rebase or a merge in
progress, never discards a change, and stops with the repository as it was
when a recorded file was modified or deleted (tampering), or when unpushed
commits touch files outside the state folder (it will not publish them
unasked; --allow-other-commits does).`,
		Example: `  octorelease sync
  octorelease sync --remote upstream
  octorelease sign qa-signoff --role qa && octorelease sync`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runSync) },
	}
	cmd.Flags().StringVar(&opts.Remote, "remote", "", "remote to sync with (default: sync.remote, the branch's upstream, or origin)")
	cmd.Flags().BoolVar(&opts.AllowOtherCommits, "allow-other-commits", false, "also push unpushed commits that touch files outside the state folder")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// syncJSON is `sync -o json`; its keys are in the order they have always
// been printed (sorted).
type syncJSON struct {
	Commit    string   `json:"commit" yaml:"commit"`
	Committed []string `json:"committed" yaml:"committed"`
	Merged    bool     `json:"merged" yaml:"merged"`
	Pulled    int      `json:"pulled" yaml:"pulled"`
	Pushed    bool     `json:"pushed" yaml:"pushed"`
	Retries   int      `json:"retries" yaml:"retries"`
	Upstream  string   `json:"upstream" yaml:"upstream"`
}

func runSync(o *SyncOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	if cfg.Backend == config.BackendPostgres {
		return errs.Usagef("sync shares the file store through git; with backend postgres every writer already shares one database")
	}
	remote := o.Remote
	if remote == "" {
		remote = cfg.SyncRemote
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := gitsync.Sync(ctx, gitsync.Options{Repo: o.Repo, StateDir: cfg.StateDir, Remote: remote,
		AllowOtherCommits: o.AllowOtherCommits, Stderr: o.IO.ErrOut})
	if err != nil {
		return syncError(err)
	}
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, syncJSON{Commit: res.Commit, Committed: orEmpty(res.Committed),
			Merged: res.Merged, Pulled: res.Pulled, Pushed: res.Pushed, Retries: res.Retries, Upstream: res.Upstream})
	}
	if res.UpToDate() {
		return nil // sync said so on its progress lines
	}
	fmt.Fprintf(o.IO.ErrOut, "✓ synced with %s: %d new state files committed, %d commits pulled", res.Upstream, len(res.Committed), res.Pulled)
	if res.Retries > 0 {
		fmt.Fprintf(o.IO.ErrOut, ", pushed after %d retries", res.Retries)
	}
	fmt.Fprintln(o.IO.ErrOut)
	return nil
}

// syncError gives sync's refusals their exit codes: tampering is a
// runtime failure like a damaged state (1), and unpushed commits outside
// the state folder are refused by policy (4).
func syncError(err error) error {
	var tamper *gitsync.TamperError
	var other *gitsync.OtherCommitsError
	switch {
	case errors.As(err, &tamper):
		return &errs.Error{Code: errs.CodeRuntime, Err: err}
	case errors.As(err, &other):
		return (&errs.Error{Code: errs.CodePolicy, Err: err}).WithHint("push them yourself, or pass --allow-other-commits")
	}
	return &errs.Error{Code: errs.CodeRuntime, Err: err}
}

// autoSync runs sync after a command that wrote, when sync.auto is set.
// The write has succeeded either way; a failed sync says so and how to
// retry.
func (f *Factory) autoSync() error {
	if !f.wrote {
		return nil
	}
	cfg, err := f.Config()
	if err != nil || !cfg.SyncAuto || cfg.Backend == config.BackendPostgres {
		return err
	}
	if err := runSync(&SyncOptions{IO: f.IO, Format: "text", Config: f.Config, Repo: f.Cwd}); err != nil {
		return fmt.Errorf("recorded locally, but sync.auto failed: %w (run `octorelease sync` to retry)", err)
	}
	return nil
}
