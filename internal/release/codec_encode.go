package release

import (
	"fmt"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/octorelease/octorelease/internal/checklist"
)

// Hand-written encoder for the state file and the hash chain. encoding/json
// spent over 20 ms reflecting over these few types to write a 1,000-item
// release, and a cold process built its type cache first; this takes a
// tenth of that. It writes exactly the bytes encoding/json wrote for them
// (json.Encoder with SetEscapeHTML(false), compact for hashing or
// SetIndent("", "  ") for the file); codec_test.go holds it to that against
// encoding/json itself.
//
// The normalisation the format relies on is done while writing: times in
// UTC, and the slices that encoding/json would write as null written as [].
// The only null is an item without a check.

// encoder writes one value. Its methods take the buffer and return it
// extended, as append does: kept in a local rather than in the encoder, the
// buffer's header is not stored to memory on every write (with a write
// barrier while the garbage collector runs).
type encoder struct {
	indent bool  // two-space indented, one field or element per line
	depth  int   // of the object or array being written
	first  bool  // nothing written yet in that object or array
	err    error // the first time that cannot be written
	// flush, if set, takes what has been written so far between checklist
	// items, so that hashing a large checklist needs no buffer its size.
	flush func([]byte)
}

// spaces is the indentation of the deepest field: an item's check is at
// depth 6 (release, checklist, phases, phase, items, item).
const spaces = "                                "

func (e *encoder) open(b []byte, c byte) []byte {
	e.depth++
	e.first = true
	return append(b, c)
}

// close ends an object or array; an empty one stays on its line: {} or [].
func (e *encoder) close(b []byte, c byte) []byte {
	e.depth--
	if e.indent && !e.first {
		b = e.newline(b)
	}
	e.first = false
	return append(b, c)
}

func (e *encoder) newline(b []byte) []byte {
	b = append(b, '\n')
	return append(b, spaces[:2*e.depth]...)
}

// elem starts an array element or an object field.
func (e *encoder) elem(b []byte) []byte {
	if !e.first {
		b = append(b, ',')
	}
	e.first = false
	if e.indent {
		b = e.newline(b)
	}
	return b
}

// key starts a field; k is its name quoted, with the colon: "name":.
func (e *encoder) key(b []byte, k string) []byte {
	b = append(e.elem(b), k...)
	if e.indent {
		return append(b, ' ')
	}
	return b
}

func (e *encoder) str(b []byte, k, v string) []byte {
	return appendString(e.key(b, k), v)
}

// strOmit writes an omitempty string field.
func (e *encoder) strOmit(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(e.key(b, k), v)
}

func (e *encoder) int(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(e.key(b, k), v, 10)
}

func (e *encoder) bool(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(e.key(b, k), v)
}

// time writes t in UTC as time.Time.MarshalJSON does: RFC 3339 with
// nanoseconds, and an error for a year outside [0,9999].
func (e *encoder) time(b []byte, k string, t time.Time) []byte {
	b = append(e.key(b, k), '"')
	if tb, err := t.UTC().AppendText(b); err == nil {
		b = tb
	} else if e.err == nil {
		e.err = fmt.Errorf("%s %w", k, err)
	}
	return append(b, '"')
}

// strings writes a list that is never null: nil is [].
func (e *encoder) strings(b []byte, k string, v []string) []byte {
	b = e.open(e.key(b, k), '[')
	for _, s := range v {
		b = appendString(e.elem(b), s)
	}
	return e.close(b, ']')
}

func (e *encoder) release(b []byte, r *Release) []byte {
	b = e.open(b, '{')
	b = e.int(b, `"format":`, int64(r.Format))
	b = e.int(b, `"serial":`, r.Serial)
	b = e.meta(e.key(b, `"release":`), &r.Meta)
	b = e.checklist(e.key(b, `"checklist":`), &r.Checklist)
	b = e.open(e.key(b, `"events":`), '[')
	for i := range r.Events {
		b = e.event(e.elem(b), &r.Events[i], true)
	}
	b = e.close(b, ']')
	return e.close(b, '}')
}

// header is what the first event's Prev covers: the release without Serial
// and Events.
func (e *encoder) header(b []byte, r *Release) []byte {
	b = e.open(b, '{')
	b = e.int(b, `"format":`, int64(r.Format))
	b = e.meta(e.key(b, `"release":`), &r.Meta)
	b = e.checklist(e.key(b, `"checklist":`), &r.Checklist)
	return e.close(b, '}')
}

func (e *encoder) meta(b []byte, m *Meta) []byte {
	b = e.open(b, '{')
	b = e.str(b, `"id":`, m.ID)
	b = e.str(b, `"version":`, m.Version)
	b = e.str(b, `"type":`, m.Type)
	b = e.strOmit(b, `"parent":`, m.Parent)
	b = e.str(b, `"summary":`, m.Summary)
	b = e.time(b, `"created_at":`, m.CreatedAt)
	b = e.str(b, `"created_by":`, m.CreatedBy)
	return e.close(b, '}')
}

func (e *encoder) checklist(b []byte, c *checklist.Checklist) []byte {
	b = e.open(b, '{')
	b = e.str(b, `"name":`, c.Name)
	b = e.str(b, `"description":`, c.Description)
	b = e.str(b, `"source":`, c.Source)
	b = e.open(e.key(b, `"phases":`), '[')
	for i := range c.Phases {
		p := &c.Phases[i]
		b = e.open(e.elem(b), '{')
		b = e.str(b, `"id":`, p.ID)
		b = e.str(b, `"title":`, p.Title)
		b = e.open(e.key(b, `"items":`), '[')
		for j := range p.Items {
			b = e.item(e.elem(b), &p.Items[j])
			if e.flush != nil && len(b) >= 16<<10 {
				e.flush(b)
				b = b[:0]
			}
		}
		b = e.close(b, ']')
		b = e.close(b, '}')
	}
	b = e.close(b, ']')
	return e.close(b, '}')
}

func (e *encoder) item(b []byte, it *checklist.Item) []byte {
	b = e.open(b, '{')
	b = e.str(b, `"id":`, it.ID)
	b = e.str(b, `"title":`, it.Title)
	b = e.strings(b, `"roles":`, it.Roles)
	b = e.bool(b, `"optional":`, it.Optional)
	b = e.strings(b, `"needs":`, it.Needs)
	b = e.str(b, `"help":`, it.Help)
	b = e.key(b, `"check":`)
	if c := it.Check; c == nil {
		b = append(b, "null"...)
	} else {
		b = e.open(b, '{')
		b = e.str(b, `"run":`, c.Run)
		if c.Timeout != 0 {
			b = e.str(b, `"timeout":`, c.Timeout.String())
		}
		b = e.close(b, '}')
	}
	return e.close(b, '}')
}

// event writes ev; without withHash its hash is written as "", which is
// what the hash covers.
func (e *encoder) event(b []byte, ev *Event, withHash bool) []byte {
	b = e.open(b, '{')
	b = e.int(b, `"seq":`, int64(ev.Seq))
	b = e.str(b, `"kind":`, ev.Kind)
	b = e.time(b, `"at":`, ev.At)
	b = e.str(b, `"actor":`, ev.Actor)
	b = e.strOmit(b, `"role":`, ev.Role)
	b = e.strOmit(b, `"item":`, ev.Item)
	b = e.strOmit(b, `"note":`, ev.Note)
	b = e.strOmit(b, `"reason":`, ev.Reason)
	if len(ev.Evidence) > 0 {
		b = e.strings(b, `"evidence":`, ev.Evidence)
	}
	if ev.Forced {
		b = e.bool(b, `"forced":`, true)
	}
	b = e.strOmit(b, `"status":`, ev.Status)
	b = e.strOmit(b, `"link":`, ev.Link)
	if c := ev.Check; c != nil {
		b = e.open(e.key(b, `"check":`), '{')
		b = e.str(b, `"command":`, c.Command)
		b = e.bool(b, `"passed":`, c.Passed)
		b = e.int(b, `"exit_code":`, int64(c.ExitCode))
		if c.TimedOut {
			b = e.bool(b, `"timed_out":`, true)
		}
		b = e.int(b, `"duration_ms":`, c.DurationMS)
		b = e.str(b, `"output_sha256":`, c.OutputSHA256)
		b = e.str(b, `"output_tail":`, c.OutputTail)
		b = e.close(b, '}')
	}
	b = e.str(b, `"prev":`, ev.Prev)
	if withHash {
		b = e.str(b, `"hash":`, ev.Hash)
	} else {
		b = e.str(b, `"hash":`, "")
	}
	return e.close(b, '}')
}

// encodedSize is a little more than the indented encoding of r takes
// unless its strings need escapes, so that Encode allocates once. A field
// at depth d takes 2d+6 bytes besides its name and value: comma, newline,
// indentation, quotes, colon and space.
func encodedSize(r *Release) int {
	m := &r.Meta
	n := 300 + len(m.ID) + len(m.Version) + len(m.Type) + len(m.Parent) + len(m.Summary) + len(m.CreatedBy)
	c := &r.Checklist
	n += len(c.Name) + len(c.Description) + len(c.Source)
	for i := range c.Phases {
		p := &c.Phases[i]
		n += 80 + len(p.ID) + len(p.Title)
		for j := range p.Items {
			it := &p.Items[j]
			n += 230 + len(it.ID) + len(it.Title) + len(it.Help)
			for _, s := range it.Roles {
				n += 16 + len(s)
			}
			for _, s := range it.Needs {
				n += 16 + len(s)
			}
			if it.Check != nil {
				n += 90 + len(it.Check.Run)
			}
		}
	}
	for i := range r.Events {
		ev := &r.Events[i]
		n += 180 + len(ev.Kind) + len(ev.Actor) + len(ev.Prev) + len(ev.Hash)
		for _, s := range [...]string{ev.Role, ev.Item, ev.Note, ev.Reason, ev.Status, ev.Link} {
			if s != "" {
				n += 20 + len(s)
			}
		}
		if len(ev.Evidence) > 0 {
			n += 30
			for _, s := range ev.Evidence {
				n += 12 + len(s)
			}
		}
		if ev.Forced {
			n += 22
		}
		if c := ev.Check; c != nil {
			n += 250 + len(c.Command) + len(c.OutputSHA256) + len(c.OutputTail)
		}
	}
	return n
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

// plainRun returns the length of the run of plain bytes at the start of s.
func plainRun[T string | []byte](s T) int {
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

// appendString quotes s as encoding/json does without HTML escaping: the
// short escapes for \" \\ \b \f \n \r \t, \u00XX for the other control
// characters, \ufffd for each byte of invalid UTF-8, and \u2028 and \u2029
// (which JavaScript takes for line ends); everything else as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := plainRun(s)
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
