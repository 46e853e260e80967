package release

import (
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// CONTRACT FILE: the signatures below are what the commands call. Bodies are
// implemented in the other files of this package.

// Policy is who may sign what (SPEC §2, §4).
type Policy struct {
	// Members maps a role id to its members (actor names or e-mails). A role
	// with no members may be signed for by anyone.
	Members            map[string][]string
	SeparationOfDuties bool
}

// SignRequest asks to sign one or more items for a role.
type SignRequest struct {
	Items    []string
	Role     string // may be empty: inferred per SPEC §7
	Actor    string
	Note     string
	Evidence []string
	Force    bool   // override phase order and needs
	Reason   string // required with Force
	At       time.Time
}

// ActionRequest asks to waive or revoke one item for a role.
type ActionRequest struct {
	Item   string
	Role   string
	Actor  string
	Reason string
	At     time.Time
}

// View is the derived state of a release (status -o json, SPEC §8).
type View struct {
	Complete bool
	Phases   []PhaseView
}

// PhaseView is one phase with its items' states.
type PhaseView struct {
	ID       string
	Title    string
	Complete bool
	Items    []ItemView
}

// ItemView is one item's derived state.
type ItemView struct {
	checklist.Item
	Phase        string
	State        string   // StateDone, StateWaived, StatePending, StateBlocked
	PendingRoles []string // roles that have not signed (empty when done or waived)
	Blockers     []string // for StateBlocked: the incomplete items (or phase) in the way
	Forced       bool     // a sign-off of this item was forced
	Signoffs     []Signoff
	LatestCheck  *CheckEvent // nil if the item has no check or it never ran
}

// Signoff is a current (not revoked) sign-off or waiver.
type Signoff struct {
	Role     string
	By       string
	At       time.Time
	Kind     string // "sign" or "waive"
	Note     string
	Reason   string
	Evidence []string
	Forced   bool
}

// CheckEvent is a check result with who ran it and when.
type CheckEvent struct {
	CheckResult
	By string
	At time.Time
}

// GateResult is the answer to `gate` (SPEC §8).
type GateResult struct {
	Release  string
	Phase    string // empty when all phases (or --item) were asked for
	Passed   bool
	Items    []ItemView // every item in scope, in checklist order
	Blockers []Blocker
}

// Blocker is an item in scope that is neither done nor waived, or whose
// latest check failed.
type Blocker struct {
	Item         string
	Title        string
	Phase        string
	PendingRoles []string
	Reason       string // "unsigned", "check-missing" or "check-failed"
}

// The functions below are implemented in this package (encoding.go, chain.go,
// state.go, policy.go, version.go):
//
//	func New(meta Meta, cl checklist.Checklist) *Release           // appends the start event
//	func Encode(r *Release) ([]byte, error)                         // canonical bytes of a state file
//	func Decode(data []byte) (*Release, error)                      // strict; rejects unknown fields, future formats
//	func VerifyBytes(data []byte) []string                          // audit: canonical form + hash chain; nil when intact
//	func (r *Release) Verify() []string                             // hash chain problems; nil when intact
//	func (r *Release) Status() string
//	func (r *Release) Evaluate() View
//	func (r *Release) Sign(req SignRequest, pol Policy) error       // all items or none
//	func (r *Release) Waive(req ActionRequest, pol Policy) error
//	func (r *Release) Revoke(req ActionRequest, pol Policy) error
//	func (r *Release) RecordCheck(item, actor string, at time.Time, res CheckResult) error
//	func (r *Release) SetStatus(status, actor, reason, link string, at time.Time) error
//	func (r *Release) Gate(phase string, items []string) (GateResult, error)
//	func (r *Release) Actionable(actor, role string, pol Policy) []ItemView
//	func (p Policy) MaySign(actor, role string) bool
//	func ParseVersion(s string) (id, version string, err error)    // "1.4.0" or "v1.4.0" → "v1.4.0", "1.4.0"
//	func CompareVersions(a, b string) int
//	func InferType(prev, next string) (string, error)              // 1.3.2 → 1.4.0 is "minor"
//	func IncidentID(releaseID string, n int) string                // "<release>-incident-<n>"
