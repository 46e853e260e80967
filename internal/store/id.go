package store

import (
	"strings"

	"github.com/octorelease/octorelease/internal/errs"
)

// maxIDLen bounds a release id; file names stay well under NAME_MAX with
// the longest suffix (".json.tmp-<16 hex>").
const maxIDLen = 128

// checkID rejects an id that could escape the state folder or collide with
// another release's side files, before anything touches the filesystem.
func checkID(id string) error {
	if !safeName(id, maxIDLen) || strings.Contains(strings.ToLower(id), ".json") {
		return errs.Usagef("invalid release id %q", clip(id, 64)).
			WithHint("a release id is a version such as v1.4.0: letters, digits and . + _ -")
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
