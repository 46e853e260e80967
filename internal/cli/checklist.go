package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/checklist"
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
	cmd.AddCommand(newCmdChecklistList(f), newCmdChecklistShow(f), newCmdChecklistValidate(f))
	return cmd
}

func newCmdChecklistList(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the available checklists and where each comes from",
		Example: "  octorelease checklist list\n  octorelease checklist list -o json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			format, err := f.outputFormat("json", "yaml")
			if err != nil {
				return err
			}
			loader, err := f.Loader()
			if err != nil {
				return err
			}
			entries, err := loader.List()
			if err != nil {
				return err
			}
			if format != "text" {
				type entryJSON struct {
					Name        string `json:"name" yaml:"name"`
					Description string `json:"description" yaml:"description"`
					Source      string `json:"source" yaml:"source"`
					Overrides   bool   `json:"overrides" yaml:"overrides"`
				}
				out := make([]entryJSON, len(entries))
				for i, e := range entries {
					out[i] = entryJSON{e.Name, e.Description, e.Source, e.Overrides}
				}
				return writeData(f.IO.Out, format, out)
			}
			t := &ui.Table{TTY: f.IO.IsStdoutTTY(), Width: f.IO.TerminalWidth()}
			th := f.Theme()
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
			return t.Render(f.IO.Out, "")
		},
	}
}

func newCmdChecklistShow(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a resolved checklist (extends applied)",
		Example: `  octorelease checklist show minor
  octorelease checklist show major -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return func() error {
				format, err := f.outputFormat("json", "yaml", "markdown")
				if err != nil {
					return err
				}
				loader, err := f.Loader()
				if err != nil {
					return err
				}
				cl, err := loader.Load(args[0])
				if err != nil {
					return err
				}
				switch format {
				case "json", "yaml":
					return writeData(f.IO.Out, format, cl)
				case "markdown":
					return renderChecklistMarkdown(f, cl)
				}
				return renderChecklist(f, cl)
			}()
		},
	}
}

func renderChecklist(f *Factory, cl *checklist.Checklist) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	rd, err := f.renderer()
	if err != nil {
		return err
	}
	th, w := rd.Theme, f.IO.Out
	fmt.Fprintln(w, rd.Line(fmt.Sprintf("%s  %s  (%s)", th.Heading(ui.Clean(cl.Name)), ui.Clean(cl.Description), ui.Clean(cl.Source))))
	for _, p := range cl.Phases {
		fmt.Fprintf(w, "\n%s\n", rd.Line(th.Heading(ui.Clean(p.Title))+"  "+th.Muted(p.ID)))
		t := rd.Table()
		for _, it := range p.Items {
			t.Row(it.ID, ui.Clean(it.Title), roleNames(th, cfg.RoleName, it.Roles), ui.Clean(itemNotes(it)))
		}
		if err := t.Render(w, "  "); err != nil {
			return err
		}
	}
	return nil
}

func renderChecklistMarkdown(f *Factory, cl *checklist.Checklist) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	w := f.IO.Out
	fmt.Fprintf(w, "# %s\n\n%s\n", cl.Name, cl.Description)
	for _, p := range cl.Phases {
		fmt.Fprintf(w, "\n## %s\n\n", p.Title)
		for _, it := range p.Items {
			roles := make([]string, len(it.Roles))
			for i, r := range it.Roles {
				roles[i] = "**" + cfg.RoleName(r) + "**"
			}
			note := itemNotes(it)
			if note != "" {
				note = " (" + note + ")"
			}
			fmt.Fprintf(w, "- [ ] `%s` %s — %s%s\n", it.ID, it.Title, strings.Join(roles, " and "), note)
		}
	}
	return nil
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

func newCmdChecklistValidate(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Validate your team's checklists (or the given files)",
		Long: `Validate checklist files: every problem of every file is reported as
file:line:column. Exits 0 when valid, 2 when not.`,
		Example: `  octorelease checklist validate
  octorelease checklist validate checklists/minor.yaml`,
		RunE: func(_ *cobra.Command, args []string) error {
			return func() error {
				loader, err := f.Loader()
				if err != nil {
					return err
				}
				if err := loader.Validate(args); err != nil {
					return err
				}
				what := "checklists in " + loader.Dir
				if len(args) > 0 {
					what = strings.Join(args, ", ")
				}
				fmt.Fprintf(f.IO.ErrOut, "✓ %s valid\n", what)
				return nil
			}()
		},
	}
}
