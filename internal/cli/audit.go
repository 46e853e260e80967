package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/gitsync"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/signing"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
)

// AuditOptions are the flags of `audit verify`.
type AuditOptions struct {
	IO        *iostreams.IOStreams
	Format    string
	Config    func() (*config.Config, error)
	Store     func() (store.Store, error)
	ReleaseID func(store.Store) (string, error)
	TrustRoot func() (*trust, error)
	Repo      string // the working directory, in the git repository of --since

	All   bool
	Since string
}

// NewCmdAudit builds `octorelease audit` and `audit verify`.
func NewCmdAudit(f *Factory, runF func(*AuditOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Verify the recorded events of releases",
	}
	opts := &AuditOptions{IO: f.IO, Config: f.Config, Store: f.Store,
		ReleaseID: f.ReleaseID, TrustRoot: f.trustRoot, Repo: f.Cwd}
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
wrote them: anyone who can write the folder can write a consistent one. With
--since REV (in CI, the merge base of a pull request) it also checks, through
git, that every state file present at REV is still there and unchanged, so a
change that edits or deletes recorded history is refused and named.`,
		Example: `  octorelease audit verify
  octorelease audit verify --all -o json
  octorelease audit verify --all --since "$(git merge-base origin/main HEAD)"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return run(opts, runF, runAuditVerify) },
	}
	verify.Flags().BoolVarP(&opts.All, "all", "a", false, "verify every release in the state folder")
	verify.Flags().StringVar(&opts.Since, "since", "", "also check that no state file present at this git revision was changed or removed")
	verify.Flags().StringVar(&f.AllowedSigners, "allowed-signers", "", "verify signatures against this allowed_signers file (default $OCTORELEASE_ALLOWED_SIGNERS, else signing.allowed_signers)")
	cmd.AddCommand(f.formats(verify, &opts.Format, "json", "yaml"))
	return cmd
}

type auditJSON struct {
	Release  string            `json:"release" yaml:"release"`
	Intact   bool              `json:"intact" yaml:"intact"`
	Events   int               `json:"events" yaml:"events"`
	Problems []string          `json:"problems" yaml:"problems"`
	Signers  []auditSignerJSON `json:"signers" yaml:"signers"`
}

// auditSignerJSON says who signed one event (SPEC §13).
type auditSignerJSON struct {
	Event       string `json:"event" yaml:"event"` // the event's file name
	Kind        string `json:"kind" yaml:"kind"`
	Actor       string `json:"actor" yaml:"actor"`
	Signed      bool   `json:"signed" yaml:"signed"`
	Verified    bool   `json:"verified" yaml:"verified"`
	Fingerprint string `json:"fingerprint,omitempty" yaml:"fingerprint,omitempty"`
	Detail      string `json:"detail" yaml:"detail"`
}

func runAuditVerify(o *AuditOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	t, err := o.TrustRoot()
	if err != nil {
		return err
	}
	s, err := o.Store()
	if err != nil {
		return err
	}
	var ids []string
	if o.All {
		if ids, err = s.IDs(); err != nil {
			return err
		}
	} else {
		id, err := o.ReleaseID(s)
		if err != nil && errs.Code(err) == errs.CodeRuntime {
			// Finding the release in progress loads it, and a damaged one
			// does not load: audit the one open release anyway, to say why.
			if open, oerr := s.OpenIDs(); oerr == nil && len(open) == 1 {
				id, err = open[0], nil
			}
		}
		if err != nil {
			return err
		}
		ids = []string{id}
	}
	byID := map[string]*auditJSON{}
	results := make([]*auditJSON, 0, len(ids))
	result := func(id string) *auditJSON {
		if res, ok := byID[id]; ok {
			return res
		}
		res := &auditJSON{Release: id, Problems: []string{}, Signers: []auditSignerJSON{}}
		byID[id] = res
		results = append(results, res)
		return res
	}
	for _, id := range ids {
		res := result(id)
		r, damage, err := s.Inspect(id)
		switch {
		case err != nil && errs.Code(err) == errs.CodeUsage && !o.All:
			return err
		case err != nil:
			res.Problems = append(res.Problems, explain(err).Error())
		default:
			if r != nil {
				res.Events = len(r.Events)
				auditSignatures(cfg, t, r, res)
			}
			for _, d := range damage {
				res.Problems = append(res.Problems, d.String())
			}
		}
	}
	if o.Since != "" {
		if err := auditSince(cfg, o.Repo, o.Since, result); err != nil {
			return err
		}
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Release < results[j].Release })
	failed := 0
	for _, res := range results {
		res.Intact = len(res.Problems) == 0
		if !res.Intact {
			failed++
		}
	}
	if err := writeAudit(o.IO, o.Format, results); err != nil {
		return err
	}
	if failed > 0 {
		return errs.Runtimef("%d of %d releases failed verification", failed, len(results))
	}
	return nil
}

// auditSince adds, to the release each belongs to, the state files that
// were present at rev and are now changed or gone. Every release's files
// count, not only the ones verified: history is history.
func auditSince(cfg *config.Config, repo, rev string, result func(id string) *auditJSON) error {
	if cfg.Backend == config.BackendPostgres {
		return errs.Usagef("audit verify --since compares the state folder with git history; with backend postgres rows are immutable in the database (export, then audit the folder)")
	}
	changes, err := gitsync.Changed(context.Background(), repo, cfg.StateDir, rev)
	if err != nil {
		return errs.Usagef("audit verify --since %s: %v", rev, err)
	}
	for _, c := range changes {
		id, _, inRelease := strings.Cut(c.InState, "/")
		if !inRelease {
			id = strings.TrimSuffix(c.InState, ".json") // format 1, or a file of the folder itself
		}
		res := result(id)
		res.Problems = append(res.Problems, fmt.Sprintf("%s: %s since %s (recorded history must not change)", c.Path, c.Kind, rev))
	}
	return nil
}

// auditSignatures names each event's signer and key, and adds a problem
// for a signature that does not verify, or for an unsigned event when
// signatures are required.
func auditSignatures(cfg *config.Config, t *trust, r *release.Release, res *auditJSON) {
	at := r.SignatureTimes()
	for i, e := range r.Events {
		detail, verr := t.describeSigner(e, at[i])
		row := auditSignerJSON{Event: e.FileName(), Kind: e.Kind, Actor: e.Actor, Signed: e.Signature != "",
			Verified: verr == nil && t != nil, Detail: detail}
		if k, err := signing.SignatureKey(e.Signature); err == nil {
			row.Fingerprint = signing.Fingerprint(k)
		}
		res.Signers = append(res.Signers, row)
		switch {
		case row.Signed && t != nil && verr != nil:
			res.Problems = append(res.Problems, fmt.Sprintf("events/%s: %s by %s: %s", row.Event, e.Kind, e.Actor, detail))
		case cfg.RequireSignatures && !row.Verified:
			res.Problems = append(res.Problems, fmt.Sprintf("events/%s: %s by %s: %s, and signatures are required", row.Event, e.Kind, e.Actor, detail))
		}
	}
}

func writeAudit(io *iostreams.IOStreams, format string, results []*auditJSON) error {
	if format != "text" {
		return writeData(io.Out, format, results)
	}
	th := ui.NewTheme(io.ColorEnabled())
	for _, res := range results {
		if res.Intact {
			fmt.Fprintf(io.Out, "%s %s: %d events, intact\n", th.Done("✓"), res.Release, res.Events)
			writeSigners(io.Out, res.Signers)
			continue
		}
		fmt.Fprintf(io.Out, "%s %s: tampered or damaged\n", th.Failed("✗"), res.Release)
		for _, p := range res.Problems {
			fmt.Fprintf(io.Out, "  %s\n", p)
		}
		writeSigners(io.Out, res.Signers)
	}
	return nil
}

// writeSigners lists who signed each event, when any event is signed.
func writeSigners(w io.Writer, rows []auditSignerJSON) {
	signed := false
	for _, r := range rows {
		signed = signed || r.Signed
	}
	if !signed {
		return
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", r.Event, r.Kind, r.Actor, r.Detail)
	}
}
