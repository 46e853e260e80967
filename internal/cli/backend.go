package cli

import (
	"strings"
	"sync"

	"github.com/octorelease/octorelease/internal/config"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres"
)

// openStore opens the configured backend (SPEC §4 backend:, §16). actor is
// recorded by writers as a lock holder.
func (f *Factory) openStore(cfg *config.Config, actor string) (store.Store, error) {
	opts := store.Options{LockTimeout: cfg.LockTimeout, Actor: actor, Now: f.Now}
	switch cfg.Backend {
	case "", config.BackendFile:
		return store.NewFileStore(cfg.StateDir, opts), nil
	case config.BackendPostgres:
		dsn, _ := f.LookupEnv(postgres.DSNEnv)
		if strings.TrimSpace(dsn) == "" {
			return nil, errs.Usagef("backend postgres needs the environment variable %s (a libpq connection string or postgres:// URL); it is never read from a file", postgres.DSNEnv).
				WithHint("see docs/postgres.md")
		}
		s, err := pgStore(dsn)
		if err != nil {
			return nil, err
		}
		return s.WithOptions(opts), nil
	}
	return nil, errs.Usagef("backend %q is not supported; use %s or %s", cfg.Backend, config.BackendFile, config.BackendPostgres)
}

// pgStores are the PostgreSQL stores opened in this process, by DSN: the
// reader and the writer of a command (and the commands of one test
// process) share one connection pool.
var pgStores struct {
	sync.Mutex
	m map[string]*postgres.Store
}

func pgStore(dsn string) (*postgres.Store, error) {
	pgStores.Lock()
	defer pgStores.Unlock()
	if s, ok := pgStores.m[dsn]; ok {
		return s, nil
	}
	s, err := postgres.Open(dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	if pgStores.m == nil {
		pgStores.m = map[string]*postgres.Store{}
	}
	pgStores.m[dsn] = s
	return s, nil
}
