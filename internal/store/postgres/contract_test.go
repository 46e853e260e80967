package postgres_test

import (
	"testing"

	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres"
	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// open returns a store over a fresh schema of its own, closed and dropped
// when the test ends.
func open(t testing.TB, opts store.Options) *postgres.Store {
	t.Helper()
	sc := pgtest.NewSchema(t)
	s, err := postgres.Open(sc.DSN, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestContract runs the backend contract (the one the file store passes)
// against PostgreSQL, a fresh schema for each case.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, store.Options{Actor: "contract"})
	})
}
