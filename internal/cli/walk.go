package cli

import (
	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
)

// WalkOptions are the flags of `walk`.
type WalkOptions struct {
	F    *Factory
	Role string
}

// NewCmdWalk builds `octorelease walk`.
func NewCmdWalk(f *Factory, runF func(*WalkOptions) error) *cobra.Command {
	opts := &WalkOptions{F: f}
	cmd := &cobra.Command{
		Use:   "walk",
		Short: "Walk interactively through what you can act on now",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return asRuntime(runWalk(opts))
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "walk the items of this role only")
	return cmd
}

func runWalk(o *WalkOptions) error {
	if !o.F.IO.CanPrompt() {
		return errs.Usagef("walk needs a terminal").WithHint("use `octorelease sign ITEM` to sign without one")
	}
	return errs.Runtimef("walk is not implemented yet")
}

func promptType(f *Factory, version string) (string, error) {
	return "", errs.Usagef("no earlier release to infer the type of %s from", version).WithHint("pass --type")
}
