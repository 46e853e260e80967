package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/ui"
)

// Shell completion (SPEC §10) is registered here, in one place: the
// command tree is walked and each command's arguments and each flag get
// their completion by name, so a new command with a --role or --phase
// flag is completed like the others.
//
// Candidates come from the current state and config. Completing reads
// them and never writes the state (the store's local index cache is kept
// up to date as by any reader); it starts no process unless the actor is
// needed and neither --as nor OCTORELEASE_ACTOR names it (see actor).
// Every completion answers ShellCompDirectiveNoFileComp, and so does a
// command or flag that has none (the root's default directive): a shell
// never offers file names where octorelease takes none. The exceptions
// take files or folders: commands whose usage names FILE or DIR, and
// fileFlags.

// argCompletions complete positional arguments, by command path below the
// root ("checklist show").
var argCompletions = map[string]completeFunc{
	"sign":           (*completer).signItems,
	"waive":          (*completer).waiveItems,
	"revoke":         (*completer).revokeItems,
	"check":          (*completer).checkItems,
	"checklist show": (*completer).checklistNames,
}

// flagCompletions complete flag values, by flag name, on every command.
var flagCompletions = map[string]completeFunc{
	"release": (*completer).releases,
	"output":  (*completer).outputFormats,
	"role":    (*completer).roles,
	"phase":   (*completer).phases,
	"item":    (*completer).allItems,
}

// fileFlags take a file or folder: the shell completes those.
var fileFlags = map[string]cobra.CompletionFunc{
	"config":          fileExt("yaml", "yml"),
	"state-dir":       dirs,
	"junit":           cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault),
	"allowed-signers": cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault),
}

// writers act on a release in progress, and so do next and pending, which
// only such a release answers: -r completes the releases in progress for
// them, every release for the others.
var writers = []string{"sign", "waive", "revoke", "walk", "check", "finish", "abort", "incident", "retarget", "next", "pending"}

// completeFunc lists the candidates for the word being completed: values,
// or "value\tdescription". They are filtered by the word's prefix after.
type completeFunc func(c *completer, cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, error)

type completer struct{ f *Factory }

// registerCompletions gives every command in root's tree its completions.
func registerCompletions(f *Factory, root *cobra.Command) {
	noFiles := cobra.ShellCompDirectiveNoFileComp
	root.CompletionOptions.DefaultShellCompDirective = &noFiles
	c := &completer{f: f}
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.ValidArgsFunction == nil && len(cmd.ValidArgs) == 0 {
			if fn, ok := argCompletions[commandKey(cmd)]; ok {
				cmd.ValidArgsFunction = c.run(fn)
			} else if usesFiles(cmd.Use) {
				cmd.ValidArgsFunction = cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault)
			} else if usesDirs(cmd.Use) {
				cmd.ValidArgsFunction = dirs
			}
		}
		register := func(fl *pflag.Flag) {
			if _, done := cmd.GetFlagCompletionFunc(fl.Name); done {
				return
			}
			if fn, ok := flagCompletions[fl.Name]; ok {
				_ = cmd.RegisterFlagCompletionFunc(fl.Name, c.run(fn))
			} else if fn, ok := fileFlags[fl.Name]; ok {
				_ = cmd.RegisterFlagCompletionFunc(fl.Name, fn)
			}
		}
		cmd.PersistentFlags().VisitAll(register)
		cmd.Flags().VisitAll(register)
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// commandKey is cmd's path below the root: "sign", "checklist show".
func commandKey(cmd *cobra.Command) string {
	var names []string
	for c := cmd; c.HasParent(); c = c.Parent() {
		names = append([]string{c.Name()}, names...)
	}
	return strings.Join(names, " ")
}

func usesFiles(use string) bool { return strings.Contains(use, "FILE") }
func usesDirs(use string) bool  { return strings.Contains(use, "DIR") }

func fileExt(exts ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(exts, cobra.ShellCompDirectiveFilterFileExt)
}

func dirs(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// run makes fn a cobra completion: its candidates that start with the
// word, and never file names. An error (no release in progress, a config
// that does not load) leaves no candidates; BASH_COMP_DEBUG_FILE gets it.
func (c *completer) run(fn completeFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cands, err := fn(c, cmd, args, toComplete)
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("octorelease: %v", err), false)
		}
		out := cands[:0]
		for _, cand := range cands {
			if strings.HasPrefix(cand, toComplete) {
				out = append(out, cand)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// candidate is value with its description, cleaned for the shell (a tab
// or newline in a title would split it).
func candidate(value, desc string) cobra.Completion {
	return cobra.CompletionWithDesc(ui.Clean(value), ui.Clean(desc))
}

// release is the release the command would act on, and the policy.
func (c *completer) release() (*release.Release, release.Policy, error) {
	t, err := c.f.Current()
	if err != nil {
		return nil, release.Policy{}, err
	}
	return t.Release, t.Policy, nil
}

// actor is who the completed command would act as. --as and
// OCTORELEASE_ACTOR cost nothing; git's user.email (Factory.Actor) costs a
// process start, paid only when the policy tells actors apart: a role has
// members, or separation of duties is on. Otherwise anyone may sign
// anything and the actor does not change the candidates.
func (c *completer) actor(pol release.Policy) string {
	for _, a := range []string{c.f.Flags.As, c.f.getenv("OCTORELEASE_ACTOR")} {
		if a = strings.TrimSpace(a); a != "" {
			return a
		}
	}
	members := false
	for _, m := range pol.Members {
		members = members || len(m) > 0
	}
	if !members && !pol.SeparationOfDuties {
		return ""
	}
	return c.f.Actor()
}

// items are the candidates for item ids: those keep says yes to, less the
// ones already on the command line.
func (c *completer) items(args []string, keep func(release.ItemView) bool) ([]cobra.Completion, error) {
	r, pol, err := c.release()
	if err != nil {
		return nil, err
	}
	var out []cobra.Completion
	for _, p := range r.Evaluate(pol).Phases {
		for _, it := range p.Items {
			if keep(it) && !slices.Contains(args, it.ID) {
				out = append(out, candidate(it.ID, it.Title))
			}
		}
	}
	return out, nil
}

// signItems: what the actor can sign now (for --role, if given), less the
// items whose check has not passed, which sign refuses; with --force,
// every item not done or waived.
func (c *completer) signItems(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	r, pol, err := c.release()
	if err != nil {
		return nil, err
	}
	role, _ := cmd.Flags().GetString("role")
	if force, _ := cmd.Flags().GetBool("force"); force {
		return c.items(args, func(it release.ItemView) bool {
			return !it.Finished() && (role == "" || slices.Contains(it.PendingRoles, role))
		})
	}
	var out []cobra.Completion
	for _, it := range r.Actionable(c.actor(pol), role, pol) {
		if it.Check != nil && (it.LatestCheck == nil || !it.LatestCheck.Passed) {
			continue
		}
		if !slices.Contains(args, it.ID) {
			out = append(out, candidate(it.ID, it.Title))
		}
	}
	return out, nil
}

// waiveItems: the optional items that are pending.
func (c *completer) waiveItems(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	if len(args) > 0 {
		return nil, nil
	}
	return c.items(args, func(it release.ItemView) bool { return it.Optional && it.State == release.StatePending })
}

// revokeItems: the items with a sign-off or waiver to withdraw.
func (c *completer) revokeItems(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	if len(args) > 0 {
		return nil, nil
	}
	return c.items(args, func(it release.ItemView) bool { return len(it.Signoffs) > 0 })
}

// checkItems: the items with a check.
func (c *completer) checkItems(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	return c.items(args, func(it release.ItemView) bool { return it.Check != nil })
}

// allItems (gate --item): every item, less those already given.
func (c *completer) allItems(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, error) {
	given, _ := cmd.Flags().GetStringArray("item")
	return c.items(given, func(release.ItemView) bool { return true })
}

// phases: the release's phase ids.
func (c *completer) phases(*cobra.Command, []string, string) ([]cobra.Completion, error) {
	t, err := c.f.Current()
	if err != nil {
		return nil, err
	}
	r := t.Release
	var out []cobra.Completion
	for _, p := range r.Checklist.Phases {
		out = append(out, candidate(p.ID, p.Title))
	}
	return out, nil
}

// roles: the config's role ids; for sign, waive and revoke with an item
// given, that item's roles (for revoke, those with a sign-off).
func (c *completer) roles(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	cfg, err := c.f.Config()
	if err != nil {
		return nil, err
	}
	ids := cfg.RoleIDs()
	if key := commandKey(cmd); len(args) > 0 && slices.Contains([]string{"sign", "waive", "revoke"}, key) {
		if ids, err = c.itemRoles(key, args); err != nil {
			return nil, err
		}
	}
	out := make([]cobra.Completion, 0, len(ids))
	for _, id := range ids {
		out = append(out, candidate(id, cfg.RoleName(id)))
	}
	return out, nil
}

func (c *completer) itemRoles(key string, items []string) ([]string, error) {
	r, pol, err := c.release()
	if err != nil {
		return nil, err
	}
	v := r.Evaluate(pol)
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, item := range items {
		it, ok := v.Item(item)
		if !ok {
			continue
		}
		if key != "revoke" {
			for _, id := range it.Roles {
				add(id)
			}
			continue
		}
		for _, s := range it.Signoffs {
			add(s.Role)
		}
	}
	return ids, nil
}

// releases (-r): the releases in progress for a command that acts on one,
// else every release. A version typed without its v ("1.4") completes
// without it.
func (c *completer) releases(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, error) {
	s, err := c.f.Store()
	if err != nil {
		return nil, err
	}
	var out []cobra.Completion
	add := func(id, desc string) {
		if toComplete != "" && toComplete[0] >= '0' && toComplete[0] <= '9' {
			id = strings.TrimPrefix(id, "v")
		}
		out = append(out, candidate(id, desc))
	}
	top, _, _ := strings.Cut(commandKey(cmd), " ")
	if slices.Contains(writers, top) {
		open, err := releasesWithStatus(s, release.StatusInProgress)
		if err != nil {
			return nil, err
		}
		for _, r := range open {
			add(r.Meta.ID, r.Meta.Summary)
		}
		return out, nil
	}
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		add(id, "")
	}
	return out, nil
}

// outputFormats (-o): all four; each command refuses those it cannot print.
func (c *completer) outputFormats(*cobra.Command, []string, string) ([]cobra.Completion, error) {
	return slices.Clone(outputFormats), nil
}

// checklistNames (checklist show): the checklists the loader knows.
func (c *completer) checklistNames(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, error) {
	if len(args) > 0 {
		return nil, nil
	}
	loader, err := c.f.Loader()
	if err != nil {
		return nil, err
	}
	entries, err := loader.List()
	if err != nil {
		return nil, err
	}
	out := make([]cobra.Completion, 0, len(entries))
	for _, e := range entries {
		out = append(out, candidate(e.Name, e.Description))
	}
	return out, nil
}
