package release

import (
	"fmt"
	"net/url"
	"path"
	"strings"
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
		return fmt.Errorf("evidence %q has spaces or control characters: give one URL or path per --evidence", clip(ev))
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
