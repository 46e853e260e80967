package cli

import (
	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/store"
)

// openStore opens the configured backend (SPEC §4 backend:). actor is
// recorded by writers as a lock holder.
func (f *Factory) openStore(cfg *config.Config, actor string) (store.Store, error) {
	switch cfg.Backend {
	case "", config.BackendFile:
		return store.NewFileStore(cfg.StateDir, store.Options{LockTimeout: cfg.LockTimeout, Actor: actor, Now: f.Now}), nil
	}
	return nil, errs.Usagef("backend %q is not supported; use file", cfg.Backend)
}
