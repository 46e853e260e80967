package release

import (
	"fmt"

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
