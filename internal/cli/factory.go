// Package cli holds octorelease's commands. Each is built the same way:
// NewCmdX(f, runF) fills an XOptions struct with the command's flag values
// and the providers it uses, taken from the Factory (streams, config, store,
// the release acted on, clock, actor); RunE validates the flags, then calls
// runF (a test's) or runX, which does the work through those providers
// alone. Changes to a release go through workflow.Update, and the command
// reports the Outcome.
package cli

import (
	"os"
	"os/exec"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/signing"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/ui"
	"github.com/octorelease/octorelease/internal/workflow"
)

// GlobalFlags are the flags every command accepts (SPEC §7).
type GlobalFlags struct {
	Config      string
	StateDir    string
	Checklists  string
	NotesDir    string
	As          string
	Release     string
	Output      string
	NoColor     bool
	LockTimeout time.Duration
	NoNotify    bool
}

// Factory provides the dependencies of one run. Expensive ones (config,
// store, policy, actor, signer) are built on first use, so that a command
// pays only for what it uses. Commands never hold it: they hold the
// providers (its method values) they need.
type Factory struct {
	IO        *iostreams.IOStreams
	Now       func() time.Time
	LookupEnv func(string) (string, bool)
	Cwd       string
	Version   string

	Flags     GlobalFlags
	flagSet   *pflag.FlagSet
	cfg       *config.Config
	actor     string
	gitEmailF func() string // overridable in tests
	wrote     bool          // a store write succeeded: sync.auto has work
	running   bool          // a command's RunE started (see Execute)

	signerOnce sync.Once // see signer
	signerV    signing.Signer
	signerErr  error
	pol        *release.Policy
	notify     notifyState // what the writes did, for the webhooks (notify.go)
	// AllowedSigners overrides the trust root (gate --allowed-signers).
	AllowedSigners string
}

// NewFactory returns a Factory for the real process.
func NewFactory(io *iostreams.IOStreams, version string) *Factory {
	cwd, _ := os.Getwd()
	return &Factory{
		IO:        io,
		Now:       func() time.Time { return time.Now().UTC() },
		LookupEnv: os.LookupEnv,
		Cwd:       cwd,
		Version:   version,
	}
}

func (f *Factory) getenv(k string) string {
	v, _ := f.LookupEnv(k)
	return v
}

// Config loads the configuration once.
func (f *Factory) Config() (*config.Config, error) {
	if f.cfg != nil {
		return f.cfg, nil
	}
	path := f.Flags.Config
	if path == "" {
		path = f.getenv("OCTORELEASE_CONFIG")
	}
	cfg, err := config.Load(config.LoadOptions{
		Cwd: f.Cwd, ConfigPath: path, Flags: f.flagSet, LookupEnv: f.LookupEnv,
	})
	if err != nil {
		return nil, err
	}
	f.cfg = cfg
	return cfg, nil
}

// Loader returns the checklist loader for the configured folder.
func (f *Factory) Loader() (*checklist.Loader, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return &checklist.Loader{Embedded: checklists.FS, Dir: cfg.ChecklistsDir, Roles: cfg.RoleIDs()}, nil
}

// Store opens the state store. The sign-off policy is read first: a
// release is never evaluated without its trust root, and an allowed_signers
// file that does not parse fails the command instead of counting nothing.
func (f *Factory) Store() (store.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if _, err := f.Policy(); err != nil {
		return nil, err
	}
	reader, err := f.openStore(cfg, "")
	if err != nil {
		return nil, err
	}
	return commandStore{Store: reader, f: f, cfg: cfg}, nil
}

// commandStore is the store a command sees. Reads take no lock and get the
// policy. A write resolves the actor, which the store records as the lock
// holder (finding it may run `git config`, a process start that readers
// such as status and gate need not pay for), signs the events it records,
// and is noted for sync.auto and the webhooks.
type commandStore struct {
	store.Store
	f   *Factory
	cfg *config.Config
}

// writer is the store opened with the actor as the lock holder.
func (s commandStore) writer() store.Store {
	w, err := s.f.openStore(s.cfg, s.f.Actor())
	if err != nil {
		return s.Store // the reader opened with the same settings
	}
	return w
}

func (s commandStore) Create(r *release.Release) error {
	_, _ = s.f.signer() // before any lock; an error counts only if events are recorded
	if err := s.f.signPending(r); err != nil {
		return err
	}
	var parent *release.Release // as it was before the run was created
	if r.Meta.Parent != "" && s.f.notifyOn() {
		parent, _ = s.Store.Load(r.Meta.Parent)
	}
	err := s.writer().Create(r)
	if err == nil {
		s.f.wrote = true
		s.f.noteCreated(s.Store, parent, r)
	}
	return err
}

// Load gives the release the policy, which decides which status and
// retarget events count.
func (s commandStore) Load(id string) (*release.Release, error) {
	r, err := s.Store.Load(id)
	if err == nil {
		r.SetPolicy(s.f.policy())
	}
	return r, err
}

func (s commandStore) Update(id string, fn func(*release.Release) error) error {
	_, _ = s.f.signer() // before the lock; an error counts only if events are recorded
	var before int
	var after *release.Release
	err := s.writer().Update(id, func(r *release.Release) error {
		r.SetPolicy(s.f.policy())
		before = len(r.Events)
		if err := fn(r); err != nil {
			return err
		}
		after = r
		return s.f.signPending(r)
	})
	if err == nil {
		s.f.wrote = true
		s.f.noteWrite(s.Store, after, before)
	}
	return err
}

// Rules are what a command checks a change or a view against: the config
// (roles, their members and names) and the sign-off policy.
type Rules struct {
	Config *config.Config
	Policy release.Policy
}

// Rules loads the config and the policy, and refuses role (a --role; ""
// for none) unless the config knows it.
func (f *Factory) Rules(role string) (*Rules, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if err := checkRole(cfg, role); err != nil {
		return nil, err
	}
	pol, err := f.Policy()
	if err != nil {
		return nil, err
	}
	return &Rules{Config: cfg, Policy: pol}, nil
}

// Target is the release a command acts on, with the rules it is evaluated
// under and the store it came from.
type Target struct {
	Rules
	Store   store.Store
	Release *release.Release
}

// Current resolves and loads the release a command acts on (read-only).
func (f *Factory) Current() (*Target, error) {
	s, err := f.Store() // loads the config and the policy first
	if err != nil {
		return nil, err
	}
	id, r, err := f.resolveRelease(s)
	if err != nil {
		return nil, err
	}
	if r == nil {
		if r, err = s.Load(id); err != nil {
			return nil, suggestRelease(s, id, err)
		}
	}
	return &Target{Rules: Rules{Config: f.cfg, Policy: f.policy()}, Store: s, Release: r}, nil
}

// Update applies fn to the release a command acts on, under its lock, and
// returns what the change recorded and implied, for the command to report.
func (f *Factory) Update(fn func(*release.Release) error) (workflow.Outcome, error) {
	s, err := f.Store()
	if err != nil {
		return workflow.Outcome{}, err
	}
	id, err := f.ReleaseID(s)
	if err != nil {
		return workflow.Outcome{}, err
	}
	out, err := workflow.Update(s, id, f.policy(), fn)
	if err != nil {
		return out, suggestRelease(s, id, err)
	}
	return out, nil
}

// Renderer draws on stdout with the config's role names.
func (f *Factory) Renderer() (ui.Renderer, error) {
	cfg, err := f.Config()
	if err != nil {
		return ui.Renderer{}, err
	}
	return ui.Renderer{W: f.IO.Out, Theme: f.Theme(), TTY: f.IO.IsStdoutTTY(), Now: f.Now(), RoleName: cfg.RoleName,
		Width: f.IO.TerminalWidth()}, nil
}

// Policy is the sign-off policy from the config.
func (f *Factory) Policy() (release.Policy, error) {
	if f.pol != nil {
		return *f.pol, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return release.Policy{}, err
	}
	pol := release.Policy{Members: cfg.Members(), SeparationOfDuties: cfg.SeparationOfDuties,
		RequireSignatures: cfg.RequireSignatures}
	trust, err := f.trustRoot()
	if err != nil {
		return release.Policy{}, err
	}
	if trust != nil {
		pol.Verify = trust.verifier()
	}
	f.pol = &pol
	return pol, nil
}

// policy is Policy for a command that has loaded the config already
// (every command that opened the store has): it cannot fail then.
func (f *Factory) policy() release.Policy {
	pol, _ := f.Policy()
	return pol
}

// Actor is who is acting (SPEC §5): --as, OCTORELEASE_ACTOR, git config
// user.email, the OS user name.
func (f *Factory) Actor() string {
	if f.actor != "" {
		return f.actor
	}
	for _, get := range []func() string{
		func() string { return f.Flags.As },
		func() string { return f.getenv("OCTORELEASE_ACTOR") },
		f.gitEmail,
		osUser,
	} {
		if a := strings.TrimSpace(get()); a != "" {
			f.actor = a
			return a
		}
	}
	f.actor = "unknown"
	return f.actor
}

func (f *Factory) gitEmail() string {
	if f.gitEmailF != nil {
		return f.gitEmailF()
	}
	out, err := exec.Command("git", "-C", f.Cwd, "config", "user.email").Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// Theme is the style set for stdout.
func (f *Factory) Theme() ui.Theme { return ui.NewTheme(f.IO.ColorEnabled()) }

// ReleaseID resolves the release a command acts on (SPEC §7): -r, then
// OCTORELEASE_RELEASE, then the only in-progress release.
func (f *Factory) ReleaseID(s store.Store) (string, error) {
	id, _, err := f.resolveRelease(s)
	return id, err
}

// resolveRelease is ReleaseID plus the release when finding it meant loading
// it (the only one in progress), so that a reader does not decode it twice.
func (f *Factory) resolveRelease(s store.Store) (string, *release.Release, error) {
	id := f.Flags.Release
	if id == "" {
		id = f.getenv("OCTORELEASE_RELEASE")
	}
	if id != "" {
		return normaliseID(id), nil, nil
	}
	active, err := releasesWithStatus(s, release.StatusInProgress)
	if err != nil {
		return "", nil, err
	}
	switch len(active) {
	case 0:
		return "", nil, errs.Usagef("no release in progress").WithHint("start one with `octorelease start VERSION`, or name one with -r")
	case 1:
		return active[0].Meta.ID, active[0], nil
	}
	ids := make([]string, len(active))
	for i, r := range active {
		ids[i] = r.Meta.ID
	}
	return "", nil, errs.Usagef("%d releases in progress: %s", len(active), strings.Join(ids, ", ")).
		WithHint("name one with -r ID or OCTORELEASE_RELEASE")
}

// normaliseID lets "1.4.0" name the release "v1.4.0".
func normaliseID(id string) string {
	if id != "" && id[0] >= '0' && id[0] <= '9' {
		return "v" + id
	}
	return id
}

// run is every command's last step: the injected runF of a test, which
// sees the options as validated, or the command's own run function.
func run[T any](opts *T, runF, runX func(*T) error) error {
	if runF != nil {
		return runF(opts)
	}
	return runX(opts)
}
