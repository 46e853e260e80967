package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// The hash chain: each event's Hash is the hex SHA-256 of the compact
// canonical JSON of the event with Hash empty; its Prev is the Hash of the
// event before it, and for the first event the hash of the header (format,
// release metadata and checklist snapshot), so those are covered too. Serial
// is deliberately outside the chain: it changes with every write.

// hasher hashes the compact encoding of the header and of events, which is
// what json.Encoder with SetEscapeHTML(false) wrote (codec_encode.go). It
// reuses one buffer and returns digests as arrays, so that checking 3,000
// events allocates nothing.
type hasher struct {
	buf []byte
}

// digest is a hex SHA-256. The methods that return one also return false
// for a value that cannot be encoded (a time outside years 0-9999), whose
// hash is "".
type digest = [2 * sha256.Size]byte

func (h *hasher) header(r *Release) (x digest, ok bool) {
	// A 1,000-item checklist is written in pieces, not into one buffer.
	d := sha256.New()
	e := encoder{flush: func(b []byte) { d.Write(b) }}
	h.buf = e.header(h.buf[:0], r)
	if e.Err() != nil {
		return x, false
	}
	d.Write(h.buf)
	hex.Encode(x[:], d.Sum(h.buf[:0]))
	return x, true
}

func (h *hasher) event(ev *Event) (x digest, ok bool) {
	var e encoder
	h.buf = e.event(h.buf[:0], ev, false)
	if e.Err() != nil {
		return x, false
	}
	s := sha256.Sum256(h.buf)
	hex.Encode(x[:], s[:])
	return x, true
}

// hashString is a digest as stored; "" for a value that cannot be encoded.
func hashString(x digest, ok bool) string {
	if !ok {
		return ""
	}
	return string(x[:])
}

// headerHash is the Prev of the first event.
func (r *Release) headerHash() string {
	var h hasher
	return hashString(h.header(r))
}

// eventHash is the Hash an event must carry.
func eventHash(e Event) string {
	var h hasher
	return hashString(h.event(&e))
}

// appendEvent chains e to the log, filling Seq, Prev and Hash.
func (r *Release) appendEvent(e Event) {
	e.At = e.At.UTC()
	e.Seq = len(r.Events) + 1
	if len(r.Events) == 0 {
		e.Prev = r.headerHash()
	} else {
		e.Prev = r.Events[len(r.Events)-1].Hash
	}
	e.Hash = eventHash(e)
	r.Events = append(r.Events, e)
}

// Verify checks the hash chain and returns one line per problem, naming the
// event; nil when the chain is intact.
func (r *Release) Verify() []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if r.Format != FormatVersion {
		add("format is %d, expected %d", r.Format, FormatVersion)
	}
	if len(r.Events) == 0 {
		add("no events: the start event is missing")
		return problems
	}
	if k := r.Events[0].Kind; k != EventStart {
		add("event 1: kind is %q, expected %q (events removed or reordered?)", k, EventStart)
	}
	var h hasher
	prev := hashString(h.header(r))
	for i := range r.Events {
		e := &r.Events[i]
		seq := i + 1
		if e.Seq != seq {
			add("event %d: seq is %d, expected %d (events removed or reordered?)", seq, e.Seq, seq)
		}
		if i > 0 && e.Kind == EventStart {
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
		// hashString(h.event(e)) != e.Hash, without making the string.
		if x, ok := h.event(e); ok && string(x[:]) != e.Hash || !ok && e.Hash != "" {
			add("event %d: hash does not match its content (event edited?)", seq)
		}
		prev = e.Hash
	}
	return problems
}

var knownKind = map[string]bool{
	EventStart: true, EventSign: true, EventWaive: true, EventRevoke: true,
	EventCheck: true, EventForce: true, EventStatus: true,
}
