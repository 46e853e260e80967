package release

import (
	"fmt"
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// The refusals a front end may want to explain in its own words: each
// carries its data and its exit code, and none names a flag or a command
// (internal/cli adds those).

// BlockedError refuses to sign an item whose phase or needs are open.
type BlockedError struct {
	Item     string
	Blockers string // the open phases (with their items) and needs
}

func (e *BlockedError) Error() string { return fmt.Sprintf("%s is blocked by %s", e.Item, e.Blockers) }

// ExitCode is SPEC §9's refusal by policy.
func (e *BlockedError) ExitCode() int { return errs.CodePolicy }

// CheckNotPassedError refuses to sign an item whose latest check has not
// passed.
type CheckNotPassedError struct{ Item string }

func (e *CheckNotPassedError) Error() string {
	return fmt.Sprintf("check of %s has not passed", e.Item)
}

// ExitCode is SPEC §9's refusal by policy.
func (e *CheckNotPassedError) ExitCode() int { return errs.CodePolicy }

// EvidenceRequiredError refuses a sign-off without evidence of an item
// that requires it.
type EvidenceRequiredError struct{ Item string }

func (e *EvidenceRequiredError) Error() string { return fmt.Sprintf("%s needs evidence", e.Item) }

// ExitCode is SPEC §9's refusal by policy.
func (e *EvidenceRequiredError) ExitCode() int { return errs.CodePolicy }

// ReasonRequiredError refuses an action that records why it was taken (a
// forced sign-off, a waiver, a revoke, an abort, a retarget) when no
// reason was given.
type ReasonRequiredError struct {
	// Action is the action and what it acts on, such as "waiving backup"
	// or "marking v1.4.0 aborted"; empty for a sign-off forced past its
	// blockers.
	Action string
}

func (e *ReasonRequiredError) Error() string {
	if e.Action == "" {
		return "forcing a sign-off needs a reason"
	}
	return e.Action + " needs a reason"
}

// ExitCode is SPEC §9's invalid input.
func (e *ReasonRequiredError) ExitCode() int { return errs.CodeUsage }

// RoleRequiredError refuses a sign-off, waiver or revoke of an item with
// several roles when which one is meant cannot be told.
type RoleRequiredError struct {
	Item  string
	Roles []string // the item's roles
	// Revoke is set for a revoke: the role is the one whose sign-off it
	// withdraws.
	Revoke bool
}

func (e *RoleRequiredError) Error() string {
	return fmt.Sprintf("item %s %s roles %s: the role must be named", e.Item, e.verb(), strings.Join(e.Roles, ", "))
}

// verb says what the item's roles are to the action: needed to sign or
// waive it, had when revoking.
func (e *RoleRequiredError) verb() string {
	if e.Revoke {
		return "has"
	}
	return "needs"
}

// ExitCode is SPEC §9's invalid input.
func (e *RoleRequiredError) ExitCode() int { return errs.CodeUsage }

// IncompleteError refuses to mark a release released while items in scope
// of its gate are open.
type IncompleteError struct {
	Release  string
	Blockers []Blocker
}

func (e *IncompleteError) Error() string {
	open := make([]string, 0, len(e.Blockers))
	for _, b := range e.Blockers {
		open = append(open, fmt.Sprintf("%s (%s)", b.Item, b.Reason))
	}
	return fmt.Sprintf("release %s is incomplete: %s", e.Release, strings.Join(open, ", "))
}

// ExitCode is SPEC §9's open gate.
func (e *IncompleteError) ExitCode() int { return errs.CodeGate }

// NotNewerError refuses to infer the type of a release whose version is
// not above the latest release's.
type NotNewerError struct {
	Version, Latest string // both with their v
}

func (e *NotNewerError) Error() string {
	return fmt.Sprintf("version %s is not newer than the latest release %s", e.Version, e.Latest)
}

// ExitCode is SPEC §9's invalid input.
func (e *NotNewerError) ExitCode() int { return errs.CodeUsage }

// GateScopeError refuses a gate asked of a phase and of named items at
// once: its scope is one or the other.
type GateScopeError struct {
	Phase string
	Items []string
}

func (e *GateScopeError) Error() string {
	return fmt.Sprintf("a gate is of a phase or of items, not both (phase %s, items %s)", e.Phase, strings.Join(e.Items, ", "))
}

// ExitCode is SPEC §9's invalid input.
func (e *GateScopeError) ExitCode() int { return errs.CodeUsage }
