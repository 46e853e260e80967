package legacy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// The hash chain of format 1: each event's Hash is the hex SHA-256 of its
// compact JSON with Hash "" (the field is still written); its Prev is the
// Hash of the event before, and for the first event the hash of the header
// {"format","release","checklist"}, so those are covered too. Serial is
// outside the chain: it changes with every write.
//
// The bytes are what json.Encoder with SetEscapeHTML(false) writes (less
// its newline) of the types in this package, after the normalisation the
// old encoder did while writing: times in UTC, and the checklist's lists
// (phases, items, roles, needs) and the events written as [] when nil.

// header is what the first event's Prev covers: the file without Serial
// and Events.
type header struct {
	Format    int       `json:"format"`
	Release   Meta      `json:"release"`
	Checklist Checklist `json:"checklist"`
}

// encode is v as json.Encoder writes it without HTML escaping: compact
// without the trailing newline, or indented with it (the file's form).
func encode(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // evidence URLs keep their & < >
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if !indent {
		b = b[:len(b)-1]
	}
	return b, nil
}

// hashOf is the hex SHA-256 of v's compact encoding, or "" for a value
// that cannot be encoded (a time outside years 0-9999), as the old code had.
func hashOf(v any) string {
	b, err := encode(v, false)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func headerHash(f *File) string {
	return hashOf(header{Format: f.Format, Release: normMeta(f.Release), Checklist: normChecklist(f.Checklist)})
}

// eventHash is the Hash e must carry; e is a copy.
func eventHash(e Event) string {
	e.At = e.At.UTC()
	e.Hash = ""
	return hashOf(e)
}

func normMeta(m Meta) Meta {
	m.CreatedAt = m.CreatedAt.UTC()
	return m
}

// normChecklist returns a copy of c with no nil list, which encoding/json
// would write as null where format 1 wrote [].
func normChecklist(c Checklist) Checklist {
	phases := make([]Phase, len(c.Phases))
	for i, p := range c.Phases {
		items := make([]Item, len(p.Items))
		for j, it := range p.Items {
			if it.Roles == nil {
				it.Roles = []string{}
			}
			if it.Needs == nil {
				it.Needs = []string{}
			}
			items[j] = it
		}
		p.Items = items
		phases[i] = p
	}
	c.Phases = phases
	return c
}

var knownKind = map[string]bool{
	"start": true, "sign": true, "waive": true, "revoke": true,
	"check": true, "force": true, "status": true,
}

// Verify recomputes the hash chain and returns one line per problem, naming
// the event, in the old `audit verify` wording; nil when the chain is
// intact. A chain cut after its last event is still intact: compare
// FinalHash with a copy kept elsewhere to catch that.
func Verify(f *File) []string {
	if f == nil {
		return []string{"no state file"}
	}
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if f.Format != Format {
		add("format is %d, expected %d", f.Format, Format)
	}
	if len(f.Events) == 0 {
		add("no events: the start event is missing")
		return problems
	}
	if k := f.Events[0].Kind; k != "start" {
		add("event 1: kind is %q, expected %q (events removed or reordered?)", k, "start")
	}
	prev := headerHash(f)
	for i := range f.Events {
		e := &f.Events[i]
		seq := i + 1
		if e.Seq != seq {
			add("event %d: seq is %d, expected %d (events removed or reordered?)", seq, e.Seq, seq)
		}
		if i > 0 && e.Kind == "start" {
			add("event %d: a second start event", seq)
		}
		if !knownKind[e.Kind] {
			add("event %d: unknown kind %q", seq, e.Kind)
		}
		if e.Prev != prev {
			if i == 0 {
				add("event 1: does not chain to the header (release metadata, checklist or format changed?)")
			} else {
				add("event %d: does not chain to event %d (events removed, inserted or reordered?)", seq, seq-1)
			}
		}
		if eventHash(*e) != e.Hash {
			add("event %d: hash does not match its content (event edited?)", seq)
		}
		prev = e.Hash
	}
	return problems
}

// FinalHash is the Hash of the last event, which covers the whole chain;
// "" when there are no events. It is the stored hash: call Verify first.
func FinalHash(f *File) string {
	if f == nil || len(f.Events) == 0 {
		return ""
	}
	return f.Events[len(f.Events)-1].Hash
}

// canonical is the file as format 1 wrote it: indented by two spaces, no
// HTML escaping, a final newline, normalised as for hashing.
func canonical(f *File) ([]byte, error) {
	c := *f
	c.Release = normMeta(f.Release)
	c.Checklist = normChecklist(f.Checklist)
	c.Events = make([]Event, len(f.Events))
	for i, e := range f.Events {
		e.At = e.At.UTC()
		c.Events[i] = e
	}
	return encode(&c, true)
}

// VerifyBytes audits a state file as `audit verify` did: it must decode, be
// byte for byte in the canonical form, and have an intact chain. The
// canonical form catches what the chain cannot see because it changes no
// value: spacing, escapes, key case, a field left out instead of empty. It
// returns nil when the file is intact.
func VerifyBytes(data []byte) []string {
	f, err := Decode(data)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if canon, err := canonical(f); err != nil {
		problems = append(problems, err.Error())
	} else if !bytes.Equal(canon, data) {
		problems = append(problems, "file is not in canonical form (edited by hand?): "+firstDiff(data, canon))
	}
	return append(problems, Verify(f)...)
}

// firstDiff describes the first line where got differs from want.
func firstDiff(got, want []byte) string {
	g := bytes.SplitAfter(got, []byte("\n"))
	w := bytes.SplitAfter(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d is %q, expected %q", i+1, clip(gl), clip(wl))
		}
	}
	return "files differ"
}

func clip(b []byte) string {
	const max = 120
	s := []rune(string(bytes.TrimSuffix(b, []byte("\n"))))
	if len(s) > max {
		return string(s[:max]) + "…"
	}
	return string(s)
}
