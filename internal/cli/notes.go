package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/notes"
)

// NotesOptions are the flags of `notes`.
type NotesOptions struct {
	IO      *iostreams.IOStreams
	Format  string
	Current func() (*Target, error)
	Now     func() time.Time
	Repo    string // the working directory, in the git repository whose history is read

	Write   bool
	Force   bool
	Summary string
}

// NewCmdNotes builds `octorelease notes`.
func NewCmdNotes(f *Factory, runF func(*NotesOptions) error) *cobra.Command {
	opts := &NotesOptions{IO: f.IO, Current: f.Current, Now: f.Now, Repo: f.Cwd}
	cmd := &cobra.Command{
		Use:   "notes",
		Short: "Draft release notes from the template and git history",
		Long: `Render the release-notes template (release-notes.md.tmpl in your checklists
folder, else the embedded one): release name and number, date, summary,
notable changes, migration steps and known issues. In a git repository the
notable changes are the commits since the previous release's tag (vX.Y.Z or
X.Y.Z), grouped by conventional-commit type: breaking changes, features,
fixes, performance, other.

--write writes notes_dir/<id>.md and refuses to overwrite a file that was
edited since octorelease wrote it, unless --force.`,
		Example: `  octorelease notes
  octorelease notes --write
  octorelease notes --summary "Faster search and a new export" -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runNotes) },
	}
	cmd.Flags().BoolVarP(&opts.Write, "write", "w", false, "write notes_dir/<id>.md")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "with --write, overwrite a file edited by hand")
	cmd.Flags().StringVar(&opts.Summary, "summary", "", "summary to use instead of the one given to start")
	return f.formats(cmd, &opts.Format, "json", "markdown")
}

func runNotes(o *NotesOptions) error {
	t, err := o.Current()
	if err != nil {
		return err
	}
	r, cfg := t.Release, t.Config
	tmpl, err := notesTemplate(cfg.ChecklistsDir)
	if err != nil {
		return err
	}
	summary := o.Summary
	if summary == "" {
		summary = r.Meta.Summary
	}
	d, err := notes.Collect(o.Repo, notes.Data{Name: r.Meta.ID, Version: r.Meta.Version, Type: r.Meta.Type,
		Date: o.Now().Format("2006-01-02"), Summary: summary})
	if err != nil {
		return err
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
	}
	if o.Format == "json" && !o.Write {
		return writeData(o.IO.Out, o.Format, d)
	}
	content, err := notes.Render(tmpl, d)
	if err != nil {
		return err
	}
	if !o.Write {
		_, err = o.IO.Out.Write(content)
		return err
	}
	path := filepath.Join(cfg.NotesDir, r.Meta.ID+".md")
	if err := notes.Write(path, content, o.Force); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "✓ wrote %s\n", rel(o.Repo, path))
	if o.Format == "json" {
		return writeData(o.IO.Out, o.Format, d)
	}
	return nil
}

// notesTemplate is the team's template if it has one, else the embedded one.
func notesTemplate(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, notes.TemplateName))
	if errors.Is(err, fs.ErrNotExist) {
		data, err = fs.ReadFile(checklists.FS, notes.TemplateName)
	}
	if err != nil {
		return "", fmt.Errorf("read release-notes template: %w", err)
	}
	return string(data), nil
}
