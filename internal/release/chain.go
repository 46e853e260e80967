package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/octorelease/octorelease/internal/checklist"
)

// The hash chain: each event's Hash is the hex SHA-256 of the compact
// canonical JSON of the event with Hash empty; its Prev is the Hash of the
// event before it, and for the first event the hash of the header (format,
// release metadata and checklist snapshot), so those are covered too. Serial
// is deliberately outside the chain: it changes with every write.

type header struct {
	Format    int                 `json:"format"`
	Meta      Meta                `json:"release"`
	Checklist checklist.Checklist `json:"checklist"`
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// headerHash is the Prev of the first event.
func (r *Release) headerHash() string {
	b, err := canonicalJSON(header{Format: r.Format, Meta: normMeta(r.Meta), Checklist: normChecklist(r.Checklist)})
	if err != nil {
		return "" // unencodable header: never matches a stored hash
	}
	return sum(b)
}

// eventHash is the Hash an event must carry.
func eventHash(e Event) string {
	e = normEvent(e)
	e.Hash = ""
	b, err := canonicalJSON(e)
	if err != nil {
		return ""
	}
	return sum(b)
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
	prev := r.headerHash()
	for i, e := range r.Events {
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
		if h := eventHash(e); e.Hash != h {
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
