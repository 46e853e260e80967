package ui

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Clean makes text that came from a file or a person (a title, a note, an
// actor's name) safe to print on a terminal or a pipe (SPEC §10): control
// characters (C0 including \t, \r, \n and ESC; DEL; C1), the Unicode line and
// paragraph separators, the bidirectional embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) and bytes that are not UTF-8 are written as
// Go escapes (\n, \x1b, \u202e, \xff). Such text then cannot start a new line
// or table row, forge a GitHub workflow command, move the cursor or reorder
// what is shown. Everything else, backslashes included, is left as it is, so
// ordinary text prints unchanged.
func Clean(s string) string {
	if i := firstUnsafe(s, false); i >= 0 {
		return clean(s, i, false)
	}
	return s
}

// cleanCell is Clean for a table cell, which may carry the Theme's styling:
// SGR sequences (ESC [ parameters m: colour, bold) are kept, any other escape
// is escaped. It is the table's own guard for cells its callers did not
// Clean; renderers Clean text before styling it, so text cannot bring SGR of
// its own.
func cleanCell(s string) string {
	if i := firstUnsafe(s, true); i >= 0 {
		return clean(s, i, true)
	}
	return s
}

// firstUnsafe is the offset of the first thing in s that clean escapes, or
// -1: most text has none, and is then neither copied nor allocated.
func firstUnsafe(s string, keepSGR bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= ' ' && c < 0x7f:
			i++
		case c == 0x1b && keepSGR && sgrLen(s[i:]) > 0:
			i += sgrLen(s[i:])
		case c < 0x80:
			return i
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
				return i
			}
			i += n
		}
	}
	return -1
}

func clean(s string, from int, keepSGR bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:from])
	for i := from; i < len(s); {
		if keepSGR && s[i] == 0x1b {
			if n := sgrLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether r must not reach the output as it is.
func unsafeRune(r rune) bool {
	switch {
	case r < ' ', r == 0x7f, r >= 0x80 && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi controls
		return true
	}
	return false
}

// sgrLen is the length of the SGR sequence s starts with, or 0.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9', c == ';', c == ':':
		default:
			return 0
		}
	}
	return 0
}
