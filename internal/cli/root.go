package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
)

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := newRootCmd(f)
	addAllCommands(f, root)
	onceFlags(root)
	usageArgs(root)
	registerCompletions(f, root)
	return root
}

// newRootCmd builds the root command: persistent flags, groups, no commands.
func newRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "octorelease <command>",
		Short: "Role-tagged release checklists with recorded sign-offs",
		Long: `octorelease turns your release process into role-tagged checklists kept next
to your code. A release manager opens a release and is walked through the
pre-release gates and deployment steps; each role signs off on its items; every
sign-off, waiver and check result is recorded with who, when, why and evidence
as an immutable event file that git merges across clones; CI runs
'octorelease gate' to block a pipeline while a gate is open.`,
		Example: `  octorelease start 1.4.0 --summary "Faster search"
  octorelease sign qa-signoff --role qa --evidence https://ci.example.com/run/42
  octorelease status
  octorelease gate --phase pre-release`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Runnable, so that usageArgs sees its arguments: an unknown
		// command is a usage error. With none, it prints its help.
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Version: f.Version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if f.Flags.NoColor {
				f.IO.SetColor(false)
			}
			// Every command refuses a format that no command knows, even
			// one that prints no data; each data command then checks the
			// formats it supports.
			if o := strings.ToLower(f.Flags.Output); !slices.Contains(outputFormats, o) {
				return errs.Usagef("unknown output format %q%s; use one of: %s", f.Flags.Output,
					checklist.Suggest(o, outputFormats), strings.Join(outputFormats, ", "))
			}
			return nil
		},
		PersistentPostRunE: func(cmd *cobra.Command, _ []string) error {
			defer f.notifyAfter()
			return f.autoSync()
		},
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetVersionTemplate("octorelease {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &errs.Error{Code: errs.CodeUsage, Msg: err.Error(), Hint: fmt.Sprintf("see '%s --help'", cmd.CommandPath())}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&f.Flags.Config, "config", "", "config file (default: .octorelease.yaml found from the working directory up)")
	pf.StringVar(&f.Flags.StateDir, "state-dir", "", "folder of the release state files (default .octorelease)")
	pf.StringVar(&f.Flags.Checklists, "checklists", "", "folder of the team's checklists (default checklists, beside the config file)")
	pf.StringVar(&f.Flags.NotesDir, "notes-dir", "", "folder `notes --write` writes to (default release-notes)")
	pf.StringVar(&f.Flags.As, "as", "", "act as this actor (default: $OCTORELEASE_ACTOR, git user.email, OS user)")
	pf.StringVarP(&f.Flags.Release, "release", "r", "", "release id to act on (default: $OCTORELEASE_RELEASE or the only one in progress)")
	pf.StringVarP(&f.Flags.Output, "output", "o", "text", "output format: text, json, yaml or markdown (where supported)")
	pf.BoolVar(&f.Flags.NoColor, "no-color", false, "plain output without colour (also NO_COLOR)")
	pf.DurationVar(&f.Flags.LockTimeout, "lock-timeout", config.DefaultLockTimeout, "how long a writer waits for a release's lock")
	pf.BoolVar(&f.Flags.NoNotify, "no-notify", false, "send no webhook of the config's notify list")
	f.flagSet = pf

	root.AddGroup(
		&cobra.Group{ID: "release", Title: "Release commands:"},
		&cobra.Group{ID: "ci", Title: "CI commands:"},
		&cobra.Group{ID: "setup", Title: "Setup commands:"},
	)
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	return root
}

func addAllCommands(f *Factory, root *cobra.Command) {
	for _, c := range commandTable {
		root.AddCommand(withGroup(c.build(f), c.group))
	}
	addHelpTopics(root)
}

// commandTable lists the top-level commands in help order.
var commandTable = []struct {
	group string
	build func(*Factory) *cobra.Command
}{
	{"release", func(f *Factory) *cobra.Command { return NewCmdStart(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdStatus(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdNext(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdPending(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdSign(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdWaive(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdRevoke(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdWalk(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdFinish(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdAbort(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdIncident(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdNotes(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdList(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdLog(f, nil) }},
	{"ci", func(f *Factory) *cobra.Command { return NewCmdGate(f, nil) }},
	{"ci", func(f *Factory) *cobra.Command { return NewCmdCheck(f, nil) }},
	{"ci", func(f *Factory) *cobra.Command { return NewCmdAudit(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdRetarget(f, nil) }},
	{"release", func(f *Factory) *cobra.Command { return NewCmdSync(f, nil) }},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdMigrate(f, nil) }},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdExport(f, nil) }},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdImport(f, nil) }},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdInit(f, nil) }},
	{"setup", NewCmdChecklist},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdVersion(f, nil) }},
	{"setup", func(f *Factory) *cobra.Command { return NewCmdCompletion(f, nil) }},
}

func withGroup(c *cobra.Command, group string) *cobra.Command {
	c.GroupID = group
	return c
}

// usageArgs makes cobra's argument errors usage errors (exit 2), in one
// place: wrong arguments and an unknown command are the user's input. Any
// other error without a code of its own is a runtime failure (errs.Code).
func usageArgs(cmd *cobra.Command) {
	check := cmd.Args
	if check == nil {
		check = func(c *cobra.Command, args []string) error {
			// cobra's default (legacyArgs): only the root, which has
			// subcommands, refuses arguments: an unknown command.
			if !c.HasParent() && c.HasSubCommands() && len(args) > 0 {
				hint := ""
				if s := c.SuggestionsFor(args[0]); len(s) > 0 {
					hint = fmt.Sprintf(" (did you mean %q?)", s[0])
				}
				return fmt.Errorf("unknown command %q for %q%s", args[0], c.CommandPath(), hint)
			}
			return nil
		}
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			if errs.IsTyped(err) {
				return err
			}
			return (&errs.Error{Code: errs.CodeUsage, Msg: err.Error()}).WithHint("see '%s --help'", c.CommandPath())
		}
		return nil
	}
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
}

// Execute runs the command line. An error without a code of its own that
// cobra raised before the command ran (a required flag missing, flags that
// may not go together) is the user's input: a usage error. After the
// command started, errs.Code's default, a runtime failure, applies.
func Execute(f *Factory, root *cobra.Command) error {
	markRunning(f, root)
	err := explain(root.Execute())
	if err != nil && !f.running && !errs.IsTyped(err) {
		return (&errs.Error{Code: errs.CodeUsage, Msg: err.Error()}).WithHint("see 'octorelease --help'")
	}
	return err
}

func markRunning(f *Factory, cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			f.running = true
			return run(c, args)
		}
	}
	for _, c := range cmd.Commands() {
		markRunning(f, c)
	}
}

// outputFormats are the -o values any command knows (SPEC §7).
var outputFormats = []string{"text", "json", "yaml", "markdown"}

// formats declares the -o values cmd prints besides text. Before its RunE
// runs (and so before an injected runF), -o is checked against them and
// the value stored in target; a command with no target prints text only.
func (f *Factory) formats(cmd *cobra.Command, target *string, allowed ...string) *cobra.Command {
	runE := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		o := strings.ToLower(f.Flags.Output)
		if o == "" {
			o = "text"
		}
		if o != "text" && !slices.Contains(allowed, o) {
			return errs.Usagef("output format %q is not supported here; use one of: %s", f.Flags.Output,
				strings.Join(append([]string{"text"}, allowed...), ", "))
		}
		if target != nil {
			*target = o
		}
		return runE(c, args)
	}
	return cmd
}

// writeData writes v as JSON or YAML.
func writeData(w io.Writer, format string, v any) error {
	switch format {
	case "yaml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Close()
	default:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
}

// onceFlags makes every flag that takes one value refuse a second one:
// pflag keeps the last, so `--role qa --role sre` would sign sre only.
// Repeatable flags (--evidence, --item) are string arrays and stay so.
func onceFlags(cmd *cobra.Command) {
	wrap := func(fl *pflag.Flag) {
		switch fl.Value.Type() {
		case "string", "duration", "int":
			if _, done := fl.Value.(*onceValue); !done {
				fl.Value = &onceValue{Value: fl.Value, name: fl.Name}
			}
		}
	}
	cmd.Flags().VisitAll(wrap)
	cmd.PersistentFlags().VisitAll(wrap)
	for _, c := range cmd.Commands() {
		onceFlags(c)
	}
}

type onceValue struct {
	pflag.Value
	name string
	set  bool
	last string
}

// Set takes the first value, and the same value again (cobra's __complete
// parses a command line twice), but not another one.
func (v *onceValue) Set(s string) error {
	if v.set && s != v.last {
		return fmt.Errorf("--%s given twice; it takes one value", v.name)
	}
	v.set, v.last = true, s
	return v.Value.Set(s)
}
