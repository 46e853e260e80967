// Package store persists releases. Store is the seam for a second backend;
// FileStore (file.go) is the one SPEC §6 describes.
package store

import (
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// Store loads and saves releases by id.
type Store interface {
	// Load reads a release without taking any lock. A missing release is a
	// *errs.Error with CodeUsage; a file that does not parse, CodeRuntime.
	Load(id string) (*release.Release, error)
	// LoadRaw is Load plus the exact stored bytes, for `audit verify`.
	LoadRaw(id string) ([]byte, *release.Release, error)
	// Create writes a new release; it fails with CodeUsage if the id exists.
	Create(r *release.Release) error
	// Update locks the release, loads it, calls fn and, if fn returns nil and
	// changed the release (new events), writes it atomically. If fn returns an
	// error nothing is written and that error is returned.
	Update(id string, fn func(r *release.Release) error) error
	// IDs lists every release id in the store.
	IDs() ([]string, error)
	// IDsWithStatus lists the ids whose status may be the given one, at a cost
	// independent of the number of other releases. The list is a superset:
	// callers confirm the status by loading.
	IDsWithStatus(status string) ([]string, error)
}

// Options configure a FileStore.
type Options struct {
	LockTimeout time.Duration // how long a writer waits for the lock; default 10s
	Actor       string        // recorded in the lock file so a waiting writer can name the holder
	Now         func() time.Time
}
