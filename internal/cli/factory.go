// Package cli holds octorelease's commands: one file per command, each with
// an Options struct filled from flags, a NewCmdX constructor and a runX
// function that does the work through the injected Factory.
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

// Factory carries the dependencies of one run. Expensive ones (config, store,
// actor) are built on first use so that a command pays only for what it uses.
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

// Store opens the state store.
func (f *Factory) Store() (store.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	reader, err := f.openStore(cfg, "")
	if err != nil {
		return nil, err
	}
	writer := func() store.Store {
		s, err := f.openStore(cfg, f.Actor())
		if err != nil {
			return reader // the reader opened with the same settings
		}
		return s
	}
	return writerActor{Store: reader, writer: writer,
		wrote: func(err error) { f.wrote = f.wrote || err == nil }, sign: f.signPending, policy: f.policy,
		findSigner: func() { _, _ = f.signer() }}, nil
}

// writerActor resolves the actor, which the store records as the lock
// holder, only when a command writes: finding it may run `git config`, a
// process start that readers such as status and gate need not pay for.
type writerActor struct {
	store.Store // reads take no lock
	writer      func() store.Store
	wrote       func(error)
	sign        func(*release.Release) error // signs the events a write records
	policy      func() release.Policy
	findSigner  func()
}

func (s writerActor) Create(r *release.Release) error {
	s.findSigner()
	if err := s.sign(r); err != nil {
		return err
	}
	err := s.writer().Create(r)
	s.wrote(err)
	return err
}

func (s writerActor) Inspect(id string) (*release.Release, []release.Damage, error) {
	return s.Store.Inspect(id)
}

// Load gives the release the policy, which decides which status and
// retarget events count.
func (s writerActor) Load(id string) (*release.Release, error) {
	r, err := s.Store.Load(id)
	if err == nil {
		r.SetPolicy(s.policy())
	}
	return r, err
}

func (s writerActor) Update(id string, fn func(*release.Release) error) error {
	s.findSigner() // before the lock; an error counts only if events are recorded
	err := s.writer().Update(id, func(r *release.Release) error {
		r.SetPolicy(s.policy())
		if err := fn(r); err != nil {
			return err
		}
		return s.sign(r)
	})
	s.wrote(err)
	return err
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
