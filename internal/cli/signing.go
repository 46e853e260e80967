package cli

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/signing"
)

// trust is the parsed allowed_signers file: the trust root of SPEC §13.
type trust struct {
	path    string
	allowed *signing.AllowedSigners
	mu      sync.Mutex
	seen    map[string]verdict // event hash → verdict: each event is verified once per run
}

type verdict struct {
	v   signing.Verified
	err error
}

// trustRoot reads allowed_signers: gate --allowed-signers, else
// OCTORELEASE_ALLOWED_SIGNERS, else signing.allowed_signers (default
// <state_dir>/allowed_signers). A missing default file is no trust root; a
// named file that is missing, or one that does not parse, is an error.
func (f *Factory) trustRoot() (*trust, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	path, named := f.AllowedSigners, true
	if path == "" {
		path = f.getenv("OCTORELEASE_ALLOWED_SIGNERS")
	}
	if path == "" {
		path, named = cfg.AllowedSigners, cfg.AllowedSigners != defaultAllowedSigners(cfg.StateDir)
	}
	if _, err := os.Stat(path); err != nil && !named {
		return nil, nil // no default file (or no state folder to hold one)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Usagef("read allowed signers %s", path).Wrap(err)
	}
	allowed, err := signing.ParseAllowedSigners(path, data)
	if err != nil {
		return nil, errs.Usagef("%v", err)
	}
	if allowed.Len() == 0 && !named {
		return nil, nil // init's starter file before anyone filled it in
	}
	return &trust{path: path, allowed: allowed, seen: map[string]verdict{}}, nil
}

func defaultAllowedSigners(stateDir string) string {
	return stateDir + string(os.PathSeparator) + "allowed_signers"
}

// check verifies e's signature for its actor, with the key valid at at.
func (t *trust) check(e release.Event, at time.Time) (signing.Verified, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := e.Hash + "@" + at.UTC().Format(time.RFC3339Nano)
	if v, ok := t.seen[key]; ok {
		return v.v, v.err
	}
	msg, err := e.Canonical()
	var v signing.Verified
	if err == nil {
		v, err = t.allowed.Verify(msg, e.Signature, e.Actor, at)
	}
	t.seen[key] = verdict{v, err}
	return v, err
}

func (t *trust) verifier() func(release.Event, time.Time) error {
	return func(e release.Event, at time.Time) error {
		_, err := t.check(e, at)
		return err
	}
}

// signer finds the actor's signing key, once per command: it may run git
// (user.signingkey), and writers look for it before they take a lock
// (commandStore), so no lock is held while git runs.
func (f *Factory) signer() (signing.Signer, error) {
	f.signerOnce.Do(func() {
		cfg, err := f.Config()
		if err != nil {
			f.signerErr = err
			return
		}
		f.signerV, f.signerErr = signing.NewSigner(f.Cwd, cfg.SigningKey, f.getenv)
	})
	return f.signerV, f.signerErr
}

// signPending signs the events a write is about to store with the
// actor's key, when one is configured. With signatures required, an
// unsigned event, or one the trust root would not verify, is refused
// before anything is stored.
func (f *Factory) signPending(r *release.Release) error {
	if len(r.Pending()) == 0 {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	signer, err := f.signer()
	switch {
	case errors.Is(err, signing.ErrNoKey):
		if cfg.RequireSignatures {
			return errs.Policyf("signatures are required (policy.require_signatures) and no signing key is configured").
				WithHint("set signing.key in .octorelease.yaml, or `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`")
		}
		return nil
	case err != nil:
		return errs.Runtimef("signing key").Wrap(err)
	}
	if err := r.SignPending(signer.Sign); err != nil {
		return errs.Runtimef("sign the events of %s", r.Meta.ID).Wrap(err)
	}
	if !cfg.RequireSignatures {
		return nil
	}
	pol, err := f.Policy()
	if err != nil {
		return err
	}
	if pol.Verify == nil {
		return errs.Policyf("signatures are required and there is no trust root: %s is missing", cfg.AllowedSigners).
			WithHint("`octorelease init` writes a starter allowed_signers from the members' git signing keys")
	}
	for _, e := range r.Pending() {
		if err := pol.Verify(e, e.At); err != nil {
			return errs.Policyf("your signature would not count: %v", err).
				WithHint("add %s for %s to %s", signing.Fingerprint(signer.PublicKey()), e.Actor, cfg.AllowedSigners)
		}
	}
	return nil
}

// describeSigner says who signed an event and with which key, for audit.
func (t *trust) describeSigner(e release.Event, at time.Time) (string, error) {
	if e.Signature == "" {
		return "unsigned", errors.New("not signed")
	}
	if t == nil {
		k, err := signing.SignatureKey(e.Signature)
		if err != nil {
			return "signature does not parse", err
		}
		return fmt.Sprintf("signed with %s (no trust root to verify it)", signing.Fingerprint(k)), nil
	}
	v, err := t.check(e, at)
	if err != nil {
		if v.Fingerprint != "" {
			return fmt.Sprintf("signed with %s: %v", v.Fingerprint, err), err
		}
		return err.Error(), err
	}
	return fmt.Sprintf("signed by %s with %s (%s)", v.Principal, v.Fingerprint, v.Source), nil
}
