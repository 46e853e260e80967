package release

import (
	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/jsonenc"
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

// encoder writes a release, its header or an event with jsonenc.
type encoder struct {
	jsonenc.Encoder
	// flush, if set, takes what has been written so far between checklist
	// items, so that hashing a large checklist needs no buffer its size.
	flush func([]byte)
}

func (e *encoder) release(b []byte, r *Release) []byte {
	b = e.Open(b, '{')
	b = e.Int(b, `"format":`, int64(r.Format))
	b = e.Int(b, `"serial":`, r.Serial)
	b = e.meta(e.Key(b, `"release":`), &r.Meta)
	b = e.checklist(e.Key(b, `"checklist":`), &r.Checklist)
	b = e.Open(e.Key(b, `"events":`), '[')
	for i := range r.Events {
		b = e.event(e.Elem(b), &r.Events[i], true)
	}
	b = e.Close(b, ']')
	return e.Close(b, '}')
}

// header is what the first event's Prev covers: the release without Serial
// and Events.
func (e *encoder) header(b []byte, r *Release) []byte {
	b = e.Open(b, '{')
	b = e.Int(b, `"format":`, int64(r.Format))
	b = e.meta(e.Key(b, `"release":`), &r.Meta)
	b = e.checklist(e.Key(b, `"checklist":`), &r.Checklist)
	return e.Close(b, '}')
}

func (e *encoder) meta(b []byte, m *Meta) []byte {
	b = e.Open(b, '{')
	b = e.Str(b, `"id":`, m.ID)
	b = e.Str(b, `"version":`, m.Version)
	b = e.Str(b, `"type":`, m.Type)
	b = e.StrOmit(b, `"parent":`, m.Parent)
	b = e.Str(b, `"summary":`, m.Summary)
	b = e.Time(b, `"created_at":`, m.CreatedAt)
	b = e.Str(b, `"created_by":`, m.CreatedBy)
	return e.Close(b, '}')
}

func (e *encoder) checklist(b []byte, c *checklist.Checklist) []byte {
	b = e.Open(b, '{')
	b = e.Str(b, `"name":`, c.Name)
	b = e.Str(b, `"description":`, c.Description)
	b = e.Str(b, `"source":`, c.Source)
	b = e.Open(e.Key(b, `"phases":`), '[')
	for i := range c.Phases {
		p := &c.Phases[i]
		b = e.Open(e.Elem(b), '{')
		b = e.Str(b, `"id":`, p.ID)
		b = e.Str(b, `"title":`, p.Title)
		b = e.Open(e.Key(b, `"items":`), '[')
		for j := range p.Items {
			b = e.item(e.Elem(b), &p.Items[j])
			if e.flush != nil && len(b) >= 16<<10 {
				e.flush(b)
				b = b[:0]
			}
		}
		b = e.Close(b, ']')
		b = e.Close(b, '}')
	}
	b = e.Close(b, ']')
	return e.Close(b, '}')
}

func (e *encoder) item(b []byte, it *checklist.Item) []byte {
	b = e.Open(b, '{')
	b = e.Str(b, `"id":`, it.ID)
	b = e.Str(b, `"title":`, it.Title)
	b = e.Strings(b, `"roles":`, it.Roles)
	b = e.Bool(b, `"optional":`, it.Optional)
	b = e.Strings(b, `"needs":`, it.Needs)
	b = e.Str(b, `"help":`, it.Help)
	b = e.Key(b, `"check":`)
	if c := it.Check; c == nil {
		b = append(b, "null"...)
	} else {
		b = e.Open(b, '{')
		b = e.Str(b, `"run":`, c.Run)
		if c.Timeout != 0 {
			b = e.Str(b, `"timeout":`, c.Timeout.String())
		}
		b = e.Close(b, '}')
	}
	return e.Close(b, '}')
}

// event writes ev; without withHash its hash is written as "", which is
// what the hash covers.
func (e *encoder) event(b []byte, ev *Event, withHash bool) []byte {
	b = e.Open(b, '{')
	b = e.Int(b, `"seq":`, int64(ev.Seq))
	b = e.Str(b, `"kind":`, ev.Kind)
	b = e.Time(b, `"at":`, ev.At)
	b = e.Str(b, `"actor":`, ev.Actor)
	b = e.StrOmit(b, `"role":`, ev.Role)
	b = e.StrOmit(b, `"item":`, ev.Item)
	b = e.StrOmit(b, `"note":`, ev.Note)
	b = e.StrOmit(b, `"reason":`, ev.Reason)
	if len(ev.Evidence) > 0 {
		b = e.Strings(b, `"evidence":`, ev.Evidence)
	}
	if ev.Forced {
		b = e.Bool(b, `"forced":`, true)
	}
	b = e.StrOmit(b, `"status":`, ev.Status)
	b = e.StrOmit(b, `"link":`, ev.Link)
	if c := ev.Check; c != nil {
		b = e.Open(e.Key(b, `"check":`), '{')
		b = e.Str(b, `"command":`, c.Command)
		b = e.Bool(b, `"passed":`, c.Passed)
		b = e.Int(b, `"exit_code":`, int64(c.ExitCode))
		if c.TimedOut {
			b = e.Bool(b, `"timed_out":`, true)
		}
		b = e.Int(b, `"duration_ms":`, c.DurationMS)
		b = e.Str(b, `"output_sha256":`, c.OutputSHA256)
		b = e.Str(b, `"output_tail":`, c.OutputTail)
		b = e.Close(b, '}')
	}
	b = e.Str(b, `"prev":`, ev.Prev)
	if withHash {
		b = e.Str(b, `"hash":`, ev.Hash)
	} else {
		b = e.Str(b, `"hash":`, "")
	}
	return e.Close(b, '}')
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
