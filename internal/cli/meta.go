package cli

import (
	"fmt"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/iostreams"
)

// VersionOptions are what `version` prints (no flags of its own).
type VersionOptions struct {
	IO      *iostreams.IOStreams
	Format  string
	Version string
}

// NewCmdVersion builds `octorelease version`.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO, Version: f.Version}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the octorelease version",
		Example: "  octorelease version\n  octorelease version -o json",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return run(opts, runF, runVersion) },
	}
	return f.formats(cmd, &opts.Format, "json", "yaml")
}

// versionJSON is `version -o json`.
type versionJSON struct {
	Go      string `json:"go" yaml:"go"`
	Version string `json:"version" yaml:"version"`
}

func runVersion(o *VersionOptions) error {
	if o.Format != "text" {
		return writeData(o.IO.Out, o.Format, versionJSON{Go: runtime.Version(), Version: o.Version})
	}
	_, err := fmt.Fprintf(o.IO.Out, "octorelease %s (%s)\n", o.Version, runtime.Version())
	return err
}

// CompletionOptions are the argument of `completion`.
type CompletionOptions struct {
	IO    *iostreams.IOStreams
	Root  *cobra.Command // the tree to complete
	Shell string
}

// NewCmdCompletion builds `octorelease completion`.
func NewCmdCompletion(f *Factory, runF func(*CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Generate a shell completion script",
		Long: `Generate a completion script for your shell. Completion reads the current
state and config (and never writes them): item ids (for sign, what you can
sign now), role ids, release ids, phase ids, checklist names and output formats.

  bash:        source <(octorelease completion bash)     (in ~/.bashrc)
               needs the bash-completion package, version 2:
                 Debian, Ubuntu:  sudo apt install bash-completion
                 Fedora, RHEL:    sudo dnf install bash-completion
                 macOS:           brew install bash bash-completion@2
               (bash-completion@2 needs bash 4.2 or later, not the bash 3.2
               macOS ships; follow brew's note to source it from ~/.bash_profile)
  zsh:         octorelease completion zsh > "${fpath[1]}/_octorelease"
               (with compinit enabled: autoload -U compinit; compinit)
  fish:        octorelease completion fish > ~/.config/fish/completions/octorelease.fish
  powershell:  octorelease completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Root, opts.Shell = cmd.Root(), args[0]
			return run(opts, runF, runCompletion)
		},
	}
}

func runCompletion(o *CompletionOptions) error {
	out := o.IO.Out
	switch o.Shell {
	case "bash":
		return o.Root.GenBashCompletionV2(out, true)
	case "zsh":
		return o.Root.GenZshCompletion(out)
	case "fish":
		return o.Root.GenFishCompletion(out, true)
	default:
		return o.Root.GenPowerShellCompletionWithDesc(out)
	}
}

const exitCodesHelp = `octorelease exits with one of these codes:

  0  success; the gate passed
  1  runtime failure: I/O, a state file that does not parse, a failed check,
     a tampered event chain, a lock that could not be taken in time
  2  usage or invalid input: bad flag, unknown release, item or role, invalid
     checklist YAML or config, no terminal for 'walk'
  3  gate not passed, or release incomplete ('gate', 'finish')
  4  refused by policy: not a member of the role, out of order, separation of
     duties, waiving a required item, signing an item whose check has not passed

Errors are printed to stderr as one line "octorelease: <message>", sometimes
followed by a "hint:" line. Data goes to stdout.`

func addHelpTopics(root *cobra.Command) {
	topic := &cobra.Command{
		Use:   "exit-codes",
		Short: "Exit codes and what they mean",
		Long:  exitCodesHelp,
		Run:   func(cmd *cobra.Command, _ []string) { _ = cmd.Help() },
		// A help topic: shown by `octorelease help exit-codes`, not as a command.
		Hidden: true,
	}
	topic.SetHelpFunc(func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), c.Long) })
	root.AddCommand(topic)
	cfgTopic := &cobra.Command{
		Use:    "config",
		Short:  "Configuration keys, their environment variables and flags",
		Run:    func(cmd *cobra.Command, _ []string) { _ = cmd.Help() },
		Hidden: true,
	}
	cfgTopic.SetHelpFunc(func(c *cobra.Command, _ []string) { fmt.Fprint(c.OutOrStdout(), configHelp(root)) })
	root.AddCommand(cfgTopic)
}

// configHelp lists every key of .octorelease.yaml with its environment
// variable and the flags that set it, found in the command tree itself, so
// the list cannot claim a flag that does not exist.
func configHelp(root *cobra.Command) string {
	flags := map[string][]string{} // flag name → commands that have it
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			where := c.CommandPath()
			if c == root {
				where = "every command"
			}
			flags[fl.Name] = append(flags[fl.Name], where)
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var b strings.Builder
	b.WriteString(`.octorelease.yaml keys (SPEC §4). Each can also come from its environment
variable, and from a flag where one exists; flags beat the environment, which
beats the file, which beats the defaults.

`)
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tENVIRONMENT\tFLAG")
	for _, k := range config.Keys() {
		flag := "none: the file or the environment"
		if where := flags[k.Flag]; len(where) > 0 {
			flag = "--" + k.Flag + " (" + strings.Join(where, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Env, flag)
	}
	tw.Flush()
	b.WriteString(`
signing.allowed_signers is also read from OCTORELEASE_ALLOWED_SIGNERS, so
that CI can take the trust root from outside the pushed tree. roles (names
and members) and notify (webhooks) are lists that only the file holds.
OCTORELEASE_CONFIG names the config file, like --config.
`)
	return b.String()
}
