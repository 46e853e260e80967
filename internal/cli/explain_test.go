package cli

import (
	"fmt"
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

// TestExplainKeepsWhatWraps: a typed error inside others is worded in
// place; an *errs.Error around it keeps its exit code and hint, as
// errs.Code and errs.Hint find it first.
func TestExplainKeepsWhatWraps(t *testing.T) {
	unknown := &checklist.UnknownError{Name: "x", Available: []string{"minor", "patch"}}
	const msg, hint = `unknown checklist "x"; available: minor, patch`, "`octorelease checklist list` shows where each checklist comes from"
	for _, tc := range []struct {
		err       error
		code      int
		msg, hint string
	}{
		{unknown, errs.CodeUsage, msg, hint},
		{fmt.Errorf("start: %w", unknown), errs.CodeUsage, "start: " + msg, hint},
		{errs.Runtimef("step").WithHint("outer hint").Wrap(unknown), errs.CodeRuntime, "step: " + msg, "outer hint"},
	} {
		err := explain(tc.err)
		if errs.Code(err) != tc.code || err.Error() != tc.msg || errs.Hint(err) != tc.hint {
			t.Errorf("explain(%q) = %q (exit %d, hint %q), want %q (exit %d, hint %q)",
				tc.err, err, errs.Code(err), errs.Hint(err), tc.msg, tc.code, tc.hint)
		}
	}
	plain := errs.Usagef("plain").WithHint("h")
	if err := explain(plain); err != plain {
		t.Errorf("explain changed an error it has no words for: %v", err)
	}
}
