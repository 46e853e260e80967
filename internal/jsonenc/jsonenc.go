// Package jsonenc writes JSON exactly as encoding/json's Encoder does with
// SetEscapeHTML(false), compact or with SetIndent("", "  "), but without
// reflection: encoding/json spends a cold process's first call building
// its type caches (~0.45 ms for `status -o json`), and over 20 ms
// reflecting over a 1,000-item release. The state file codec, the JSON
// output of `status` and the lock file's holder line are written with it;
// their tests hold each to encoding/json byte for byte.
package jsonenc

import (
	"fmt"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// Encoder tracks the layout of the value being written. Its methods take
// the buffer and return it extended, as append does: kept in a local rather
// than in the Encoder, the buffer's header is not stored to memory on every
// write (with a write barrier while the garbage collector runs).
type Encoder struct {
	Indent bool // two-space indented, one field or element per line
	depth  int  // of the object or array being written
	first  bool // nothing written yet in that object or array
	err    error
}

// Err is the first value that could not be written (a time outside the
// years 0-9999, as for encoding/json), or nil.
func (e *Encoder) Err() error { return e.err }

// spaces is indentation for the first 16 levels; deeper ones repeat it.
const spaces = "                                "

// Open starts an object ('{') or array ('[').
func (e *Encoder) Open(b []byte, c byte) []byte {
	e.depth++
	e.first = true
	return append(b, c)
}

// Close ends an object or array; an empty one stays on its line: {} or [].
func (e *Encoder) Close(b []byte, c byte) []byte {
	e.depth--
	if e.Indent && !e.first {
		b = e.newline(b)
	}
	e.first = false
	return append(b, c)
}

func (e *Encoder) newline(b []byte) []byte {
	b = append(b, '\n')
	for n := 2 * e.depth; n > 0; n -= len(spaces) {
		b = append(b, spaces[:min(n, len(spaces))]...)
	}
	return b
}

// Elem starts an array element or an object field.
func (e *Encoder) Elem(b []byte) []byte {
	if !e.first {
		b = append(b, ',')
	}
	e.first = false
	if e.Indent {
		b = e.newline(b)
	}
	return b
}

// Key starts a field; k is its name quoted, with the colon: "name":.
func (e *Encoder) Key(b []byte, k string) []byte {
	b = append(e.Elem(b), k...)
	if e.Indent {
		return append(b, ' ')
	}
	return b
}

// Str writes a string field.
func (e *Encoder) Str(b []byte, k, v string) []byte {
	return AppendString(e.Key(b, k), v)
}

// StrOmit writes an omitempty string field.
func (e *Encoder) StrOmit(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return AppendString(e.Key(b, k), v)
}

// Int writes an integer field.
func (e *Encoder) Int(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(e.Key(b, k), v, 10)
}

// Bool writes a boolean field.
func (e *Encoder) Bool(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(e.Key(b, k), v)
}

// Time writes t in UTC as time.Time.MarshalJSON does: RFC 3339 with
// nanoseconds, and an error for a year outside [0,9999].
func (e *Encoder) Time(b []byte, k string, t time.Time) []byte {
	b = append(e.Key(b, k), '"')
	if tb, err := t.UTC().AppendText(b); err == nil {
		b = tb
	} else if e.err == nil {
		e.err = fmt.Errorf("%s %w", k, err)
	}
	return append(b, '"')
}

// Strings writes a list of strings that is never null: nil is [].
func (e *Encoder) Strings(b []byte, k string, v []string) []byte {
	b = e.Open(e.Key(b, k), '[')
	for _, s := range v {
		b = AppendString(e.Elem(b), s)
	}
	return e.Close(b, ']')
}

// plain[c] is whether byte c stands for itself in a JSON string, both
// ways: printable ASCII but for the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// special8 finds, eight at a time, the bytes that are not plain in x
// (eight bytes, little-endian): below 0x20, '"', '\\', or 0x80 and up. Its
// lowest set bit is the high bit of the first such byte; it is 0 if there
// is none. (Above the first, a borrow can set bits of plain bytes too.)
// Most strings (hashes, ids, URLs) are long runs of plain bytes.
func special8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ lo*'"'
	s := x ^ lo*'\\'
	return ((x-lo*0x20)&^x | (q-lo)&^q | (s-lo)&^s | x) & hi
}

// PlainRun returns the length of the run of plain bytes at the start of s.
func PlainRun[T string | []byte](s T) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if m := special8(load64(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// load64 is the little-endian uint64 of s[i:i+8].
func load64[T string | []byte](s T, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// AppendString quotes s as encoding/json does without HTML escaping: the
// short escapes for \" \\ \b \f \n \r \t, \u00XX for the other control
// characters, \ufffd for each byte of invalid UTF-8, and \u2028 and \u2029
// (which JavaScript takes for line ends); everything else as it is.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := PlainRun(s)
	start := 0
	for i < len(s) {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
