package release

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// CheckEvidence accepts an evidence link: a URL with a scheme and a host
// (https://ci.example.com/run/42), or a path inside the repository
// (reports/qa.html): relative, with no ".." that climbs out of it.
// Anything else, the empty string included, is refused.
func CheckEvidence(ev string) error {
	s := strings.TrimSpace(ev)
	if s == "" {
		return fmt.Errorf("evidence is empty: give a URL or a path inside the repository")
	}
	if s != ev || strings.ContainsAny(s, " \t\r\n") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &SeveralEvidenceError{Evidence: ev}
	}
	if u, err := url.Parse(s); err == nil && len(u.Scheme) > 1 {
		if u.Host == "" && !(u.Scheme == "mailto" && u.Opaque != "") {
			return fmt.Errorf("evidence %q is not a URL with a host", clip(ev))
		}
		return nil
	}
	p := strings.ReplaceAll(s, "\\", "/")
	if path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") || strings.Contains(p, ":") {
		return fmt.Errorf("evidence %q is neither a URL nor a path inside the repository", clip(ev))
	}
	return nil
}

// SeveralEvidenceError is an evidence link with spaces or control
// characters: most likely several links given as one.
type SeveralEvidenceError struct{ Evidence string }

func (e *SeveralEvidenceError) Error() string {
	return fmt.Sprintf("evidence %q has spaces or control characters", clip(e.Evidence))
}

// ExitCode is SPEC §9's invalid input.
func (e *SeveralEvidenceError) ExitCode() int { return errs.CodeUsage }
