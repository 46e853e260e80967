package release

import (
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// Policy is who may sign what (SPEC §2, §4).
type Policy struct {
	// Members maps a role id to its members (actor names or e-mails). A role
	// with no members may be signed for by anyone.
	Members            map[string][]string
	SeparationOfDuties bool
	// RequireSignatures: only sign-offs whose signature verifies count
	// (SPEC §13).
	RequireSignatures bool
	// Verify checks an event's signature against the trust root (the
	// actor must be a principal of the signing key, valid at time at); nil
	// when there is no trust root, and then no signature verifies.
	Verify func(e Event, at time.Time) error
}

// SetPolicy makes the release's status and target commit follow pol: with
// signatures required, a status or retarget event that does not verify
// changes nothing. Its incident runs get the same policy.
func (r *Release) SetPolicy(pol Policy) {
	r.policy = pol
	for _, run := range r.Runs {
		run.SetPolicy(pol)
	}
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
	// ShortOfQuorum: a role has counted sign-offs, but fewer than its
	// approvals ask for.
	ShortOfQuorum bool
}

// Signoff is a sign-off or waiver that was not revoked. One that the
// policy refuses (SPEC §6) is kept, with Counted false and the Conflict.
type Signoff struct {
	Role     string
	By       string
	At       time.Time
	Kind     string // "sign" or "waive"
	Note     string
	Reason   string
	Evidence []string
	Forced   bool
	Event    string // the hash of the recording event, which a revoke names
	Signed   bool   // the event carries a signature
	Verified bool   // the signature verifies for the signer (Policy.Verify)
	// Unverified: it does not count because signatures are required and
	// this one is missing, does not verify, or its signer is no longer a
	// member of the role.
	Unverified bool
	Counted    bool
	Conflict   string // why it does not count; "" when Counted
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
	Reason       string // a Reason* constant
}
