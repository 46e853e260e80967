package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
)

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "octorelease <command>",
		Short: "Role-tagged release checklists with recorded sign-offs",
		Long: `octorelease turns your release process into role-tagged checklists kept next
to your code. A release manager opens a release and is walked through the
pre-release gates and deployment steps; each role signs off on its items; every
sign-off, waiver and check result is recorded with who, when, why and evidence
in a tamper-evident state file; CI runs 'octorelease gate' to block a pipeline
while a gate is open.`,
		Example: `  octorelease start 1.4.0 --summary "Faster search"
  octorelease sign qa-signoff --role qa --evidence https://ci.example.com/run/42
  octorelease status
  octorelease gate --phase pre-release`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       f.Version,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f.Flags.NoColor {
				f.IO.SetColor(false)
			}
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
	pf.StringVar(&f.Flags.As, "as", "", "act as this actor (default: $OCTORELEASE_ACTOR, git user.email, OS user)")
	pf.StringVarP(&f.Flags.Release, "release", "r", "", "release id to act on (default: $OCTORELEASE_RELEASE or the only one in progress)")
	pf.StringVarP(&f.Flags.Output, "output", "o", "text", "output format: text, json, yaml or markdown (where supported)")
	pf.BoolVar(&f.Flags.NoColor, "no-color", false, "plain output without colour (also NO_COLOR)")
	pf.DurationVar(&f.Flags.LockTimeout, "lock-timeout", config.DefaultLockTimeout, "how long a writer waits for a release's lock")
	f.flagSet = pf

	root.AddGroup(
		&cobra.Group{ID: "release", Title: "Release commands:"},
		&cobra.Group{ID: "ci", Title: "CI commands:"},
		&cobra.Group{ID: "setup", Title: "Setup commands:"},
	)
	for _, c := range []*cobra.Command{
		NewCmdStart(f, nil), NewCmdStatus(f, nil), NewCmdNext(f, nil), NewCmdSign(f, nil),
		NewCmdWaive(f, nil), NewCmdRevoke(f, nil), NewCmdWalk(f, nil), NewCmdFinish(f, nil),
		NewCmdAbort(f, nil), NewCmdIncident(f, nil), NewCmdNotes(f, nil), NewCmdList(f, nil), NewCmdLog(f, nil),
	} {
		c.GroupID = "release"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{NewCmdGate(f, nil), NewCmdCheck(f, nil), NewCmdAudit(f)} {
		c.GroupID = "ci"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{NewCmdInit(f, nil), NewCmdChecklist(f), NewCmdVersion(f), NewCmdCompletion(f)} {
		c.GroupID = "setup"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("setup")
	root.SetCompletionCommandGroupID("setup")
	addHelpTopics(root)
	return root
}

// wrapRun turns a run function's untyped errors into runtime errors (exit 1),
// so that app.Main can treat any remaining untyped error as cobra's own
// usage error (exit 2).
func wrapRun(fn func() error) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		return asRuntime(fn())
	}
}

func asRuntime(err error) error {
	if err == nil || errs.IsTyped(err) {
		return err
	}
	return &errs.Error{Code: errs.CodeRuntime, Err: err}
}

// outputFormat validates -o against what a command supports.
func (f *Factory) outputFormat(allowed ...string) (string, error) {
	o := strings.ToLower(f.Flags.Output)
	if o == "" {
		o = "text"
	}
	if o == "text" || slices.Contains(allowed, o) {
		return o, nil
	}
	return "", errs.Usagef("output format %q is not supported here; use one of: %s", f.Flags.Output,
		strings.Join(append([]string{"text"}, allowed...), ", "))
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
