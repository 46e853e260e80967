package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/store"
)

// InitOptions are the flags of `init`.
type InitOptions struct {
	IO *iostreams.IOStreams
	// StarterSigners drafts allowed_signers from the keys this machine knows.
	StarterSigners func() (content string, keys int, missing []string)
	Cwd            string // the folder to initialise: the working directory

	Force bool
}

// NewCmdInit builds `octorelease init`.
func NewCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO, StarterSigners: f.starterAllowedSigners, Cwd: f.Cwd}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write .octorelease.yaml and a copy of the default checklists",
		Long: `Write a commented .octorelease.yaml, copy the embedded default checklists and
the release-notes template into checklists/ so your team can edit them, and
create .octorelease/ (where releases are recorded; commit it so CI can read it)
with a .gitignore for its lock, temp and backup files.

Existing files are never overwritten unless --force is given.`,
		Example: `  octorelease init
  octorelease checklist validate`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runInit) },
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing files")
	return cmd
}

const configTemplate = `# octorelease configuration. Every key can also be set with an OCTORELEASE_<KEY>
# environment variable (e.g. OCTORELEASE_STATE_DIR) or the flag of the same
# name; flags beat environment beat this file.

# Folder of your checklists; a file here overrides the embedded one of the
# same name (patch, minor, major, incident) and may add new ones.
checklists: checklists

# Where releases are recorded. Commit this folder so CI can run 'octorelease gate'.
state_dir: .octorelease

# Where 'octorelease notes --write' writes release notes.
notes_dir: release-notes

# How long a writer waits for a release's lock before giving up.
lock_timeout: 10s

# Roles: rename the built-in ones (sre, qa, security, product-manager,
# project-manager, developer), add your own, and list members. A role with
# members may only be signed for by them; a role without members by anyone.
roles:
  sre:
    name: SRE/DevOps
    members: []
  qa:
    name: QA/Test Engineer
    members: []
  security:
    name: Security Lead
    members: []
  product-manager:
    name: Product Manager
    members: []
  project-manager:
    name: Project Manager
    members: []
  developer:
    name: Developer
    members: []

policy:
  # When true, one person may not sign two roles of the same item.
  separation_of_duties: false
  # When true, only sign-offs signed with a key in allowed_signers, by a
  # member of the role, count (docs/security.md).
  require_signatures: false

# Events are signed with your SSH key when one is configured: signing.key,
# or git's user.signingkey when gpg.format is ssh (as for signed commits).
# signing:
#   key: ~/.ssh/id_ed25519.pub
#   allowed_signers: .octorelease/allowed_signers

# sync: {remote: origin, auto: false}   # auto: run 'octorelease sync' after every write
`

func runInit(o *InitOptions) error {
	root := o.Cwd
	files := map[string][]byte{filepath.Join(root, config.FileName): []byte(configTemplate)}
	for name, content := range store.StateFiles() {
		files[filepath.Join(root, config.DefaultStateDir, name)] = []byte(content)
	}
	signers, keys, missing := o.StarterSigners()
	files[filepath.Join(root, config.DefaultStateDir, "allowed_signers")] = []byte(signers)
	err := fs.WalkDir(checklists.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(checklists.FS, p)
		files[filepath.Join(root, config.DefaultChecklists, p)] = data
		return err
	})
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	if !o.Force {
		var existing []string
		for _, p := range paths {
			if _, err := os.Lstat(p); err == nil {
				existing = append(existing, rel(root, p))
			}
		}
		if len(existing) > 0 {
			return errs.Usagef("not overwriting existing files: %s", strings.Join(existing, ", ")).
				WithHint("use --force to overwrite them")
		}
	}
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := fsutil.WriteAtomic(p, files[p], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		fmt.Fprintf(o.IO.ErrOut, "wrote %s\n", rel(root, p))
	}
	fmt.Fprintf(o.IO.ErrOut, "allowed_signers: %d key(s) found", keys)
	if len(missing) > 0 {
		fmt.Fprintf(o.IO.ErrOut, "; add the keys of %s", strings.Join(missing, ", "))
	}
	fmt.Fprintln(o.IO.ErrOut, " (needed once policy.require_signatures is on)")
	fmt.Fprintln(o.IO.ErrOut, "next: edit checklists/ and .octorelease.yaml, then run `octorelease checklist validate`")
	return nil
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
