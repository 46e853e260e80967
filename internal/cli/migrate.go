package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/migrate"
	"github.com/octorelease/octorelease/internal/store"
)

// MigrateOptions are the flags of `migrate`.
type MigrateOptions struct {
	IO     *iostreams.IOStreams
	Format string
	Config func() (*config.Config, error)
	Store  func() (store.Store, error)
}

// NewCmdMigrate builds `octorelease migrate`.
func NewCmdMigrate(f *Factory, runF func(*MigrateOptions) error) *cobra.Command {
	opts := &MigrateOptions{IO: f.IO, Config: f.Config, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Convert format-1 state files to format 2",
		Long: `Convert every release still kept in state format 1 (<state_dir>/<id>.json, one
file with a linear hash chain, which conflicted on every concurrent push) to
format 2 (<state_dir>/<id>/, a header and one immutable file per event, which
git merges without conflicts).

Each old event keeps its kind, actor, time, note, reason, evidence, status and
check result; the new header records the old chain's final hash, so the old
file in git history stays provable. A release whose old chain does not verify
is left as it is and reported. The old file, its .bak and .lock, and the old
.index/<status>/ markers are removed. Commit the result.

Until a release is migrated, commands that only read it work as before, and
commands that write to it say to run migrate.`,
		Example: `  octorelease migrate
  git add .octorelease && git commit -m "octorelease: state format 2"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runMigrate) },
	}
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

type migrateJSON struct {
	Release string `json:"release" yaml:"release"`
	Events  int    `json:"events" yaml:"events"`
	From    string `json:"from" yaml:"from"`
	Error   string `json:"error,omitempty" yaml:"error,omitempty"`
}

func runMigrate(o *MigrateOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	s, err := o.Store()
	if err != nil {
		return err
	}
	results, err := migrate.Run(cfg.StateDir, s.Create)
	if err != nil {
		return errs.Runtimef("migrate %s", cfg.StateDir).Wrap(err)
	}
	rows := []migrateJSON{}
	failed := 0
	for _, r := range results {
		row := migrateJSON{Release: r.Release, Events: r.Events, From: r.From}
		if r.Err != nil {
			row.Error = explain(r.Err).Error()
			failed++
		}
		rows = append(rows, row)
	}
	if o.Format != "text" {
		if err := writeData(o.IO.Out, o.Format, rows); err != nil {
			return err
		}
	} else if len(rows) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "nothing to migrate: no format-1 state files in %s\n", cfg.StateDir)
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(o.IO.ErrOut, "✗ %s: %s\n", r.Release, r.Error)
		} else if o.Format == "text" {
			fmt.Fprintf(o.IO.ErrOut, "✓ %s: %d events carried into format 2\n", r.Release, r.Events)
		}
	}
	if failed > 0 {
		return errs.Runtimef("%d of %d releases were not migrated", failed, len(rows))
	}
	return nil
}
