package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// TransferOptions are the flags of `export` and `import`.
type TransferOptions struct {
	IO        *iostreams.IOStreams
	Format    string
	Config    func() (*config.Config, error)
	Backend   func() (store.Store, error) // the configured store itself, see runTransfer
	ReleaseID func(store.Store) (string, error)
	Actor     func() string
	Now       func() time.Time
	Cwd       string // where a relative DIR is

	Export bool // export, else import
	All    bool
	Dir    string
}

func newTransferOptions(f *Factory, export bool) *TransferOptions {
	backend := func() (store.Store, error) {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		return f.openStore(cfg, f.Actor())
	}
	return &TransferOptions{IO: f.IO, Config: f.Config, Backend: backend,
		ReleaseID: f.ReleaseID, Actor: f.Actor, Now: f.Now, Cwd: f.Cwd, Export: export}
}

// NewCmdExport builds `octorelease export`.
func NewCmdExport(f *Factory, runF func(*TransferOptions) error) *cobra.Command {
	opts := newTransferOptions(f, true)
	cmd := &cobra.Command{
		Use:   "export [--all] DIR",
		Short: "Copy releases from the configured backend into a state folder",
		Long: `Write the release (-r, or the only one in progress) and its incident runs, or
every release with --all, from the configured backend (the PostgreSQL
database with backend: postgres) into DIR, as format-2 state folders exactly
as the file backend keeps them: DIR/<id>/release.json and one file per event.

Nothing is converted: every header and event keeps its bytes, so every hash
and signature survives, and ` + "`OCTORELEASE_BACKEND=file octorelease --state-dir DIR audit verify --all`" + `
verifies the copy. Running it again adds only the events DIR lacks; a release
that DIR holds with another header (another release of the same id) is
refused and nothing of it is written.`,
		Example: `  octorelease export --all backup/
  octorelease export -r v1.4.0 ./v1.4.0-state`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Dir = args[0]
			return run(opts, runF, runTransfer)
		},
	}
	cmd.Flags().BoolVarP(&opts.All, "all", "a", false, "export every release")
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// NewCmdImport builds `octorelease import`.
func NewCmdImport(f *Factory, runF func(*TransferOptions) error) *cobra.Command {
	opts := newTransferOptions(f, false)
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Copy releases from a state folder into the configured backend",
		Long: `Read every release of the format-2 state folder DIR (a file backend's
.octorelease, or what export wrote), or only -r ID and its incident runs, and
store it in the configured backend (the PostgreSQL database with backend:
postgres).

Nothing is converted: every header and event keeps its bytes, so every hash
and signature survives. A release is checked first as audit verify checks it,
and one with any problem is refused. Importing is idempotent: a release the
backend already holds gets only the events it lacks (none the second time),
and one it holds with another header (another release of the same id) is
refused and nothing of it is written. Format-1 releases need
` + "`octorelease migrate`" + ` first.`,
		Example: `  OCTORELEASE_PG_DSN=... octorelease import .octorelease
  octorelease import -r v1.4.0 ../other-clone/.octorelease`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			// import without -r imports the whole folder
			opts.Dir, opts.All = args[0], f.Flags.Release == ""
			return run(opts, runF, runTransfer)
		},
	}
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

type transferJSON struct {
	Release string `json:"release" yaml:"release"`
	Action  string `json:"action" yaml:"action"` // created, updated or unchanged
	Events  int    `json:"events" yaml:"events"`
	Added   int    `json:"added" yaml:"added"`
}

func runTransfer(o *TransferOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	dir := o.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(o.Cwd, dir)
	}
	// The configured store itself, not the Factory's Store: that one signs
	// what it writes, and a copy must keep every event as it is.
	backend, err := o.Backend()
	if err != nil {
		return err
	}
	folder := store.NewFileStore(dir, store.Options{LockTimeout: cfg.LockTimeout, Actor: o.Actor(), Now: o.Now})
	src, dst, verb := backend, store.Store(folder), "exported"
	if !o.Export {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return errs.Usagef("no state folder %s", dir)
		}
		src, dst, verb = folder, backend, "imported"
	}
	ids, err := transferIDs(o, src)
	if err != nil {
		return err
	}
	rows := []transferJSON{}
	for _, id := range ids {
		row, err := transferRelease(src, dst, id)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		if o.Format == "text" {
			switch row.Action {
			case "created":
				fmt.Fprintf(o.IO.ErrOut, "✓ %s %s: %d events\n", verb, id, row.Events)
			case "updated":
				fmt.Fprintf(o.IO.ErrOut, "✓ %s %s: %d new of %d events\n", verb, id, row.Added, row.Events)
			default:
				fmt.Fprintf(o.IO.ErrOut, "· %s: up to date (%d events)\n", id, row.Events)
			}
		}
	}
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, rows)
	}
	added := 0
	for _, r := range rows {
		added += r.Added
	}
	fmt.Fprintf(o.IO.Out, "%s %d releases (%d new events)\n", verb, len(rows), added)
	return nil
}

// transferIDs are the releases to copy: every one, or the current one
// and its incident runs.
func transferIDs(o *TransferOptions, src store.Store) ([]string, error) {
	if o.All {
		return src.IDs()
	}
	id, err := o.ReleaseID(src)
	if err != nil {
		return nil, err
	}
	r, err := src.Load(id)
	if err != nil {
		return nil, err
	}
	ids := []string{id}
	for _, run := range r.Runs {
		ids = append(ids, run.Meta.ID)
	}
	return ids, nil
}

// transferRelease copies release id from src to dst, byte for byte: a new
// release is created whole; one dst holds already, with the same header,
// gets the events it lacks, parents first; one with another header is
// refused.
func transferRelease(src, dst store.Store, id string) (transferJSON, error) {
	row := transferJSON{Release: id, Action: "unchanged"}
	r, damage, err := src.Inspect(id)
	if err != nil {
		return row, err
	}
	if r != nil && r.Format1 != "" {
		return row, errs.Usagef("release %s is still in state format 1 (%s): nothing of it was copied", id, r.Format1).
			WithHint("run `octorelease migrate` in that state folder first")
	}
	if r == nil || len(damage) > 0 {
		e := errs.Runtimef("release %s does not verify, so nothing of it was copied: %s", id, release.DescribeDamage(damage[:min(len(damage), 3)]))
		if len(damage) > 3 {
			e.Msg += fmt.Sprintf(" (and %d more)", len(damage)-3)
		}
		return row, e.WithHint("`octorelease audit verify -r %s` lists every problem", id)
	}
	row.Events = len(r.Events)
	header, err := release.EncodeHeader(r.Header)
	if err != nil {
		return row, err
	}
	cur, err := dst.Load(id)
	if errs.Code(err) == errs.CodeUsage {
		// Not there: create it whole, every event pending.
		fresh := &release.Release{Header: r.Header, Events: slices.Clone(r.Events)}
		if err := dst.Create(fresh); err != nil {
			return row, err
		}
		row.Action, row.Added = "created", len(r.Events)
		return row, nil
	}
	if err != nil {
		return row, err
	}
	if cur.Format1 != "" {
		return row, errs.Usagef("release %s is still in state format 1 at the destination (%s): nothing of it was copied", id, cur.Format1).
			WithHint("run `octorelease migrate` there first")
	}
	if !sameHeader(cur.Header, header) {
		return row, errs.Runtimef("release %s is another release at the destination: the headers differ (it was started twice, separately); nothing of it was copied", id)
	}
	if len(missing(cur, r)) == 0 {
		return row, nil
	}
	err = dst.Update(id, func(cur *release.Release) error {
		if !sameHeader(cur.Header, header) {
			return errs.Runtimef("release %s is another release at the destination: the headers differ", id)
		}
		add := missing(cur, r)
		cur.Events = append(cur.Events, add...)
		row.Added = len(add)
		return nil
	})
	if err != nil {
		return row, err
	}
	if row.Added > 0 {
		row.Action = "updated"
	}
	return row, nil
}

// missing are the events of from that to lacks, in from's view order:
// each after its parents.
func missing(to, from *release.Release) []release.Event {
	have := make(map[string]bool, len(to.Events))
	for _, e := range to.Events {
		have[e.Hash] = true
	}
	var out []release.Event
	for _, e := range from.Events {
		if !have[e.Hash] {
			out = append(out, e)
		}
	}
	return out
}

func sameHeader(h release.Header, want []byte) bool {
	got, err := release.EncodeHeader(h)
	return err == nil && string(got) == string(want)
}
