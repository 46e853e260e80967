// Package store persists releases behind one interface, Store, that every
// backend implements and one contract test suite (storetest) checks:
// FileStore keeps SPEC §6's folders of immutable event files.
package store

import (
	"fmt"
	"time"

	"github.com/octorelease/octorelease/internal/errs"

	"github.com/octorelease/octorelease/internal/release"
)

// Store loads and saves releases by id.
type Store interface {
	// Load reads a release, with its incident runs attached, without taking
	// any lock. A missing release is a *NotFoundError (CodeUsage); one
	// that does not parse, CodeRuntime, and one whose events do not
	// verify, a *DamagedError (CodeRuntime).
	Load(id string) (*release.Release, error)
	// Inspect returns every problem of a release's stored events, for
	// `audit verify`; the release is nil when the problems leave none.
	Inspect(id string) (*release.Release, []release.Damage, error)
	// Create stores a new release (its header and pending events); it fails
	// with CodeUsage if the id exists.
	Create(r *release.Release) error
	// Update locks the release, loads it, calls fn and, if fn returns nil,
	// stores the events fn recorded. If fn fails nothing is stored and its
	// error is returned.
	Update(id string, fn func(r *release.Release) error) error
	// IDs lists every release id in the store, sorted.
	IDs() ([]string, error)
	// OpenIDs lists the ids of releases that may be in progress, at a cost
	// independent of the number of closed releases. It is a superset:
	// callers confirm by loading.
	OpenIDs() ([]string, error)
}

// Apply is the step of Update every backend shares, taken under the
// release's lock: fn records events on r, loaded as release id; the events
// to store are returned (none when fn failed or recorded nothing).
func Apply(id string, r *release.Release, fn func(*release.Release) error) ([]release.Event, error) {
	if err := fn(r); err != nil {
		return nil, err
	}
	if r.Meta.ID != id {
		return nil, errs.Runtimef("update of release %s changed its id to %q", id, clip(r.Meta.ID, 64))
	}
	return r.Pending(), nil
}

// LockedError is a writer that could not take a release's lock in time.
type LockedError struct {
	Release string
	Holder  string // who holds it, as well as the backend can tell
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("release %s is locked by %s", e.Release, e.Holder)
}

// ExitCode is SPEC §9's runtime failure.
func (e *LockedError) ExitCode() int { return errs.CodeRuntime }

// NotFoundError is a release id that names no release in the store.
type NotFoundError struct {
	ID string
	In string // where it was looked for: the state folder, or "PostgreSQL database NAME"
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("no release %q in %s", e.ID, e.In) }

// ExitCode is SPEC §9's unknown release.
func (e *NotFoundError) ExitCode() int { return errs.CodeUsage }

// InDoubtError is a write whose connection to the backend was lost while
// it committed: whether it was stored is unknown.
type InDoubtError struct {
	ID      string
	Backend string // "PostgreSQL"
	Cause   string // the connection error, without credentials
}

func (e *InDoubtError) Error() string {
	return fmt.Sprintf("release %s: the connection to %s was lost while the write was committing, and whether it was stored is unknown (%s)",
		e.ID, e.Backend, e.Cause)
}

// ExitCode is SPEC §9's runtime failure.
func (e *InDoubtError) ExitCode() int { return errs.CodeRuntime }

// Format1Error refuses a write to a release still kept in state format 1,
// which this build reads but never writes.
type Format1Error struct {
	ID   string
	Path string // its format-1 file
}

func (e *Format1Error) Error() string {
	return fmt.Sprintf("release %s is still in state format 1 (%s): commands can read it, but writing needs format 2", e.ID, e.Path)
}

// ExitCode is SPEC §9's invalid input: the state must be migrated first.
func (e *Format1Error) ExitCode() int { return errs.CodeUsage }

// DamagedError is a release whose stored events do not assemble: edited,
// removed or foreign event files, or a release created twice.
type DamagedError struct {
	ID     string
	Damage []release.Damage // every problem found; the message names the first three
	// EventDir is the folder of the release's event files in a file
	// store, where the other creation of a release created twice is
	// removed; empty in other stores.
	EventDir string
}

func (e *DamagedError) Error() string {
	msg := fmt.Sprintf("release %s is damaged: %s", e.ID, release.DescribeDamage(e.Damage[:min(len(e.Damage), 3)]))
	if len(e.Damage) > 3 {
		msg += fmt.Sprintf(" (and %d more)", len(e.Damage)-3)
	}
	return msg
}

// ExitCode is SPEC §9's runtime failure: unparsable or tampered state.
func (e *DamagedError) ExitCode() int { return errs.CodeRuntime }

// LockLinkError refuses a write when a release's lock file is a symbolic
// link: taking the lock would open whatever it points to.
type LockLinkError struct{ Path string }

func (e *LockLinkError) Error() string {
	return fmt.Sprintf("lock %s is a symbolic link, not a lock file (committed by someone?): nothing was written", e.Path)
}

// ExitCode is SPEC §9's runtime failure.
func (e *LockLinkError) ExitCode() int { return errs.CodeRuntime }

// Options configure a FileStore.
type Options struct {
	LockTimeout time.Duration // how long a writer waits for the lock; default 10s
	Actor       string        // recorded in the lock file so a waiting writer can name the holder
	Now         func() time.Time
}
