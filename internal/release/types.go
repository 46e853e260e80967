// Package release is the domain of a release in flight: its metadata, the
// checklist snapshot taken at start, the append-only hash-chained event log,
// the item states derived from it, the gates and the sign-off policy.
// It is pure Go: no cobra, viper, lipgloss or file I/O.
package release

import (
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// FormatVersion is the state file format this build writes and reads.
const FormatVersion = 1

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
)

// Release is one state file: a release or an incident run.
// Everything but Serial is covered by the hash chain (see chain.go).
type Release struct {
	Format    int                 `json:"format"`
	Serial    int64               `json:"serial"`
	Meta      Meta                `json:"release"`
	Checklist checklist.Checklist `json:"checklist"`
	Events    []Event             `json:"events"`
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
}

// Event is one entry of the append-only log.
type Event struct {
	Seq      int          `json:"seq"`
	Kind     string       `json:"kind"`
	At       time.Time    `json:"at"`
	Actor    string       `json:"actor"`
	Role     string       `json:"role,omitempty"`
	Item     string       `json:"item,omitempty"`
	Note     string       `json:"note,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	Evidence []string     `json:"evidence,omitempty"`
	Forced   bool         `json:"forced,omitempty"`
	Status   string       `json:"status,omitempty"` // kind "status": the new release status
	Link     string       `json:"link,omitempty"`   // a related release id (incident run, rolled-back release)
	Check    *CheckResult `json:"check,omitempty"`
	Prev     string       `json:"prev"` // hex SHA-256 of the previous event (or of the header for seq 1)
	Hash     string       `json:"hash"` // hex SHA-256 of this event's canonical encoding with Hash empty
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
