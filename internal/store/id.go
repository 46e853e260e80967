package store

import (
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
)

// maxIDLen bounds a release id; file names stay well under NAME_MAX with
// the longest suffix (".json.tmp-<16 hex>").
const maxIDLen = 128

// CheckID is checkID for other backends, so every store accepts the same
// ids.
func CheckID(id string) error { return checkID(id) }

// checkID rejects, before anything touches the filesystem, an id that is
// not a release or incident id (release.ValidID) or that could escape the
// state folder or collide with another release's side files. The second
// check is the store's own guard, whatever ValidID accepts.
func checkID(id string) error {
	if !safeName(id, maxIDLen) || strings.Contains(strings.ToLower(id), ".json") || release.ValidID(id) != nil {
		// Not ValidID's message: it would echo an id of any length.
		return errs.Usagef("invalid release id %q: want v<semantic version> or <release>-incident-<n>", clip(id, 64))
	}
	return nil
}

// safeName reports whether s matches ^[A-Za-z0-9][A-Za-z0-9.+_-]{0,max-1}$
// and has no "..": no separators, no NUL, no leading dot, no traversal.
// Forbidding ".json" inside ids (checkID) keeps "<id>.json.tmp-*" from ever
// matching another release's file.
func safeName(s string, max int) bool {
	if s == "" || len(s) > max || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '+' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
