package checklist

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// Problem is one thing wrong in a checklist file. Line and Col are 1-based;
// zero when the problem concerns the whole file (e.g. it is too large).
type Problem struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// ValidationError lists every problem found in one or more checklist files.
type ValidationError struct {
	Problems []Problem
}

// Error is one "file:line:col: msg" per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// ExitCode makes invalid checklists a usage error (SPEC §9).
func (e *ValidationError) ExitCode() int { return errs.CodeUsage }

var _ errs.Coder = (*ValidationError)(nil)

// UnknownError is a checklist name that no checklist file or embedded
// checklist has.
type UnknownError struct {
	Name      string
	Available []string // the names there are, sorted
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown checklist %q; available: %s", e.Name, strings.Join(e.Available, ", "))
}

// ExitCode is SPEC §9's unknown name.
func (e *UnknownError) ExitCode() int { return errs.CodeUsage }

// newValidationError sorts (by file and position) and de-duplicates problems (a shared parent such as
// base.yaml is resolved once per child); nil when there are none.
func newValidationError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	ps := slices.Clone(problems)
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Msg, b.Msg))
	})
	ps = slices.CompactFunc(ps, func(a, b Problem) bool { return a == b })
	return &ValidationError{Problems: ps}
}
