// Package release is the domain of a release in flight: its header (the
// metadata and the checklist snapshot taken at start), the set of immutable,
// hash-linked events recorded about it, the view derived from those events
// in one deterministic order, the gates and the sign-off policy.
// It is pure Go: no cobra, viper, lipgloss or file I/O.
package release

import (
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// FormatVersion is the state format this build writes and reads (SPEC §6).
// Format 1 (one file per release, a linear chain) is read only by migrate.
const FormatVersion = 2

// Release statuses (SPEC §8).
const (
	StatusInProgress = "in-progress"
	StatusReleased   = "released"
	StatusAborted    = "aborted"
	StatusIncident   = "incident"
	StatusRolledBack = "rolled-back"
)

// Item states (SPEC §8).
const (
	StateDone    = "done"
	StateWaived  = "waived"
	StatePending = "pending"
	StateBlocked = "blocked"
)

// Event kinds (SPEC §6).
const (
	EventStart  = "start"
	EventSign   = "sign"
	EventWaive  = "waive"
	EventRevoke = "revoke"
	EventCheck  = "check"
	EventForce  = "force"
	EventStatus = "status"
	// EventRetarget moves the release to another commit (SPEC §14).
	EventRetarget = "retarget"
)

// Header is a release's release.json: written once, by start or incident,
// and never rewritten. Its hash is the parent of the start event.
type Header struct {
	Format    int                 `json:"format"`
	Meta      Meta                `json:"release"`
	Checklist checklist.Checklist `json:"checklist"`
	// Migrated is set on a release converted from format 1: the old chain's
	// final hash keeps it provable.
	Migrated *Migration `json:"migrated,omitempty"`
}

// Migration records where a migrated release came from.
type Migration struct {
	FromFormat int    `json:"from_format"`
	FinalHash  string `json:"final_hash"`
	Events     int    `json:"events"`
}

// Meta is what `start` (or `incident`) fixed about the release.
type Meta struct {
	ID        string    `json:"id"`
	Version   string    `json:"version"`
	Type      string    `json:"type"`             // patch, minor, major, or incident
	Parent    string    `json:"parent,omitempty"` // for an incident run: the release it belongs to
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Commit    string    `json:"commit,omitempty"` // the commit being released (SPEC §14)
}

// Event is one immutable record. Hash is the hex SHA-256 of its canonical
// encoding without Hash and Signature; Parents are the hashes of the events
// its writer had seen (the heads of its view), or the header's hash for the
// start event.
type Event struct {
	Kind     string       `json:"kind"`
	At       time.Time    `json:"at"`
	Actor    string       `json:"actor"`
	Role     string       `json:"role,omitempty"`
	Item     string       `json:"item,omitempty"`
	Note     string       `json:"note,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Evidence []string     `json:"evidence,omitempty"`
	Forced   bool         `json:"forced,omitempty"`
	Status   string       `json:"status,omitempty"`  // kind "status": the new release status
	Link     string       `json:"link,omitempty"`    // a related release id
	Check    *CheckResult `json:"check,omitempty"`   // kind "check"
	Revokes  []string     `json:"revokes,omitempty"` // kind "revoke": the events withdrawn
	Commit   string       `json:"commit,omitempty"`  // kind "retarget": the new target commit
	Parents  []string     `json:"parents"`
	Hash     string       `json:"hash,omitempty"`
	// Signature is an armored SSHSIG of the canonical encoding (SPEC §13).
	Signature string `json:"signature,omitempty"`
}

// CheckResult is the recorded outcome of one automated check run.
type CheckResult struct {
	Command      string `json:"command"`
	Passed       bool   `json:"passed"`
	ExitCode     int    `json:"exit_code"`
	TimedOut     bool   `json:"timed_out,omitempty"`
	DurationMS   int64  `json:"duration_ms"`
	OutputSHA256 string `json:"output_sha256"`
	OutputTail   string `json:"output_tail"` // last lines of combined stdout+stderr
}

// Release is a header with its events in view order (topological, ties
// broken by time, then hash). Events past the stored ones are new: the
// store writes them (see New, Assemble, Pending).
type Release struct {
	Header
	Events []Event
	// Runs are the incident runs of this release, attached by the store
	// when it loads a release: the release's status is derived from them
	// rather than written into it a second time.
	Runs []*Release
	// Format1 is the format-1 file a release not yet migrated was read
	// from: it can be read, and writes refuse it.
	Format1 string
	// policy decides which status and retarget events count (SetPolicy):
	// with signatures required, only those that verify.
	policy Policy

	stored int // Events[:stored] are already stored
}
