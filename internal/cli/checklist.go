package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/ui"
)

// NewCmdChecklist builds `octorelease checklist` and its subcommands.
func NewCmdChecklist(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checklist <command>",
		Short: "List, show and validate checklists",
		Long: `Checklists are YAML files, one per release type (patch, minor, major) plus the
incident playbook. The defaults are embedded; files in your checklists folder
override them by name and may add new ones.`,
	}
	cmd.AddCommand(NewCmdChecklistList(f, nil), NewCmdChecklistShow(f, nil), NewCmdChecklistValidate(f, nil))
	return cmd
}

// ChecklistListOptions are the flags of `checklist list` (none of its own).
type ChecklistListOptions struct {
	IO     *iostreams.IOStreams
	Format string
	Loader func() (*checklist.Loader, error)
}

// NewCmdChecklistList builds `octorelease checklist list`.
func NewCmdChecklistList(f *Factory, runF func(*ChecklistListOptions) error) *cobra.Command {
	opts := &ChecklistListOptions{IO: f.IO, Loader: f.Loader}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the available checklists and where each comes from",
		Example: "  octorelease checklist list\n  octorelease checklist list -o json",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return run(opts, runF, runChecklistList) },
	}
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// checklistEntryJSON is one row of `checklist list -o json`.
type checklistEntryJSON struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description" yaml:"description"`
	Source      string `json:"source" yaml:"source"`
	Overrides   bool   `json:"overrides" yaml:"overrides"`
}

func runChecklistList(o *ChecklistListOptions) error {
	loader, err := o.Loader()
	if err != nil {
		return err
	}
	entries, err := loader.List()
	if err != nil {
		return err
	}
	if o.Format != "text" {
		out := make([]checklistEntryJSON, len(entries))
		for i, e := range entries {
			out[i] = checklistEntryJSON{e.Name, e.Description, e.Source, e.Overrides}
		}
		return writeData(o.IO.Out, o.Format, out)
	}
	t := &ui.Table{TTY: o.IO.IsStdoutTTY(), Width: o.IO.TerminalWidth()}
	th := ui.NewTheme(o.IO.ColorEnabled())
	if t.TTY {
		t.Row(th.Heading("NAME"), th.Heading("SOURCE"), th.Heading("DESCRIPTION"))
	}
	for _, e := range entries {
		src := e.Source
		if e.Overrides {
			src += " (overrides embedded)"
		}
		t.Row(e.Name, src, e.Description)
	}
	return t.Render(o.IO.Out, "")
}

// ChecklistShowOptions are the argument of `checklist show`.
type ChecklistShowOptions struct {
	IO       *iostreams.IOStreams
	Format   string
	Loader   func() (*checklist.Loader, error)
	Renderer func() (ui.Renderer, error)

	Name string
}

// NewCmdChecklistShow builds `octorelease checklist show`.
func NewCmdChecklistShow(f *Factory, runF func(*ChecklistShowOptions) error) *cobra.Command {
	opts := &ChecklistShowOptions{IO: f.IO, Loader: f.Loader, Renderer: f.Renderer}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a resolved checklist (extends applied)",
		Example: `  octorelease checklist show minor
  octorelease checklist show major -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			return run(opts, runF, runChecklistShow)
		},
	}
	return f.formats(cmd, &opts.Format, "json", "yaml", "markdown")
}

func runChecklistShow(o *ChecklistShowOptions) error {
	loader, err := o.Loader()
	if err != nil {
		return err
	}
	cl, err := loader.Load(o.Name)
	if err != nil {
		return err
	}
	if o.Format == "json" || o.Format == "yaml" {
		return writeData(o.IO.Out, o.Format, cl)
	}
	rd, err := o.Renderer()
	if err != nil {
		return err
	}
	if o.Format == "markdown" {
		renderChecklistMarkdown(rd.W, rd.RoleName, cl)
		return nil
	}
	return renderChecklist(rd, cl)
}

func renderChecklist(rd ui.Renderer, cl *checklist.Checklist) error {
	th, w := rd.Theme, rd.W
	fmt.Fprintln(w, rd.Line(fmt.Sprintf("%s  %s  (%s)", th.Heading(ui.Clean(cl.Name)), ui.Clean(cl.Description), ui.Clean(cl.Source))))
	for _, p := range cl.Phases {
		fmt.Fprintf(w, "\n%s\n", rd.Line(th.Heading(ui.Clean(p.Title))+"  "+th.Muted(p.ID)))
		t := rd.Table()
		for _, it := range p.Items {
			roles := strings.Join(it.Roles, ",") // on a pipe, ids (SPEC §10)
			if rd.TTY {
				roles = roleNames(th, rd.RoleName, it.Roles)
			}
			t.Row(it.ID, ui.Clean(it.Title), roles, ui.Clean(itemNotes(it)))
		}
		if err := t.Render(w, "  "); err != nil {
			return err
		}
	}
	return nil
}

func renderChecklistMarkdown(w io.Writer, roleName func(string) string, cl *checklist.Checklist) {
	fmt.Fprintf(w, "# %s\n\n%s\n", cl.Name, cl.Description)
	for _, p := range cl.Phases {
		fmt.Fprintf(w, "\n## %s\n\n", p.Title)
		for _, it := range p.Items {
			roles := make([]string, len(it.Roles))
			for i, r := range it.Roles {
				roles[i] = "**" + roleName(r) + "**"
			}
			note := itemNotes(it)
			if note != "" {
				note = " (" + note + ")"
			}
			fmt.Fprintf(w, "- [ ] `%s` %s — %s%s\n", it.ID, it.Title, strings.Join(roles, " and "), note)
		}
	}
}

// itemNotes summarises an item's optional flag, needs and check.
func itemNotes(it checklist.Item) string {
	var notes []string
	if it.Optional {
		notes = append(notes, "optional")
	}
	if len(it.Needs) > 0 {
		notes = append(notes, "needs "+strings.Join(it.Needs, ", "))
	}
	if it.Check != nil {
		notes = append(notes, "check: "+it.Check.Run)
	}
	return strings.Join(notes, "; ")
}

func roleNames(th ui.Theme, name func(string) string, ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = th.Role(name(id))
	}
	return strings.Join(names, ", ")
}

// ChecklistValidateOptions are the arguments of `checklist validate`.
type ChecklistValidateOptions struct {
	IO     *iostreams.IOStreams
	Loader func() (*checklist.Loader, error)

	Files []string
}

// NewCmdChecklistValidate builds `octorelease checklist validate`.
func NewCmdChecklistValidate(f *Factory, runF func(*ChecklistValidateOptions) error) *cobra.Command {
	opts := &ChecklistValidateOptions{IO: f.IO, Loader: f.Loader}
	return &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Validate your team's checklists (or the given files)",
		Long: `Validate checklist files: every problem of every file is reported as
file:line:column. Exits 0 when valid, 2 when not.`,
		Example: `  octorelease checklist validate
  octorelease checklist validate checklists/minor.yaml`,
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			return run(opts, runF, runChecklistValidate)
		},
	}
}

func runChecklistValidate(o *ChecklistValidateOptions) error {
	loader, err := o.Loader()
	if err != nil {
		return err
	}
	if err := loader.Validate(o.Files); err != nil {
		return err
	}
	what := "checklists in " + loader.Dir
	if len(o.Files) > 0 {
		what = strings.Join(o.Files, ", ")
	}
	fmt.Fprintf(o.IO.ErrOut, "✓ %s valid\n", what)
	return nil
}
