package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/errs"
)

// NewCmdAudit builds `octorelease audit` and `audit verify`.
func NewCmdAudit(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Verify the recorded events of releases",
	}
	var all bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify a release's events (or every release's with --all)",
		Long: `Every event of a release is a file named after its SHA-256, and names the
events its writer had seen as parents; the start event names the hash of the
release's header and checklist snapshot. verify recomputes every hash from the
content, checks it against the file's name, that every parent is present, that
the start event belongs to the header and that every file is in the form
octorelease writes. Exit 0 when intact, 1 otherwise.

Without signatures this proves that the files agree with each other, not who
wrote them: anyone who can write the folder can write a consistent one. Run it
in CI with --since (the merge base of a pull request) so that git history
shows that nothing recorded earlier was changed or removed.`,
		Example: "  octorelease audit verify\n  octorelease audit verify --all -o json",
		Args:    cobra.NoArgs,
		RunE:    wrapRun(func() error { return runAuditVerify(f, all) }),
	}
	verify.Flags().BoolVarP(&all, "all", "a", false, "verify every release file in the state folder")
	cmd.AddCommand(verify)
	return cmd
}

type auditJSON struct {
	Release  string   `json:"release" yaml:"release"`
	Intact   bool     `json:"intact" yaml:"intact"`
	Events   int      `json:"events" yaml:"events"`
	Problems []string `json:"problems" yaml:"problems"`
}

func runAuditVerify(f *Factory, all bool) error {
	format, err := f.outputFormat("json", "yaml")
	if err != nil {
		return err
	}
	s, err := f.Store()
	if err != nil {
		return err
	}
	var ids []string
	if all {
		if ids, err = s.IDs(); err != nil {
			return err
		}
	} else {
		id, err := f.ReleaseID(s)
		if err != nil {
			return err
		}
		ids = []string{id}
	}
	results := []auditJSON{}
	failed := 0
	for _, id := range ids {
		res := auditJSON{Release: id, Problems: []string{}}
		r, damage, err := s.Inspect(id)
		switch {
		case err != nil && errs.Code(err) == errs.CodeUsage && !all:
			return err
		case err != nil:
			res.Problems = append(res.Problems, err.Error())
		default:
			if r != nil {
				res.Events = len(r.Events)
			}
			for _, d := range damage {
				res.Problems = append(res.Problems, d.String())
			}
		}
		res.Intact = len(res.Problems) == 0
		if !res.Intact {
			failed++
		}
		results = append(results, res)
	}
	if format != "text" {
		if err := writeData(f.IO.Out, format, results); err != nil {
			return err
		}
	} else {
		th := f.Theme()
		for _, res := range results {
			if res.Intact {
				fmt.Fprintf(f.IO.Out, "%s %s: %d events, intact\n", th.Done("✓"), res.Release, res.Events)
				continue
			}
			fmt.Fprintf(f.IO.Out, "%s %s: tampered or damaged\n", th.Failed("✗"), res.Release)
			for _, p := range res.Problems {
				fmt.Fprintf(f.IO.Out, "  %s\n", p)
			}
		}
	}
	if failed > 0 {
		return errs.Runtimef("%d of %d releases failed verification", failed, len(results))
	}
	return nil
}
