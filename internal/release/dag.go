package release

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/octorelease/octorelease/internal/checklist"
)

// New opens a release: the header (metadata and checklist snapshot) and
// the start event by meta.CreatedBy at meta.CreatedAt. Nothing is stored:
// both are new to the store.
func New(meta Meta, cl checklist.Checklist) (*Release, error) {
	meta.CreatedAt = meta.CreatedAt.UTC()
	h := Header{Format: FormatVersion, Meta: meta, Checklist: normChecklist(cl)}
	// What is kept is what a reader decodes: the header goes through its
	// own encoding, and one a reader would refuse is refused here.
	data, err := EncodeHeader(h)
	if err != nil {
		return nil, fmt.Errorf("encode header of %s: %w", meta.ID, err)
	}
	if h, err = DecodeHeader(data); err != nil {
		return nil, err
	}
	r := &Release{Header: h}
	if err := r.appendEvent(Event{Kind: EventStart, At: meta.CreatedAt, Actor: meta.CreatedBy}); err != nil {
		return nil, err
	}
	return r, nil
}

// Pending returns the events recorded since the release was assembled
// from the store: the ones a write has to store.
func (r *Release) Pending() []Event { return r.Events[r.stored:] }

// SignPending signs every event not yet stored with sign, over its
// canonical bytes. The hash leaves the signature out, so signing changes
// no hash and no parent.
func (r *Release) SignPending(sign func(message []byte) (string, error)) error {
	for i := r.stored; i < len(r.Events); i++ {
		msg, err := canonical(r.Events[i])
		if err != nil {
			return err
		}
		sig, err := sign(msg)
		if err != nil {
			return fmt.Errorf("sign %s event: %w", r.Events[i].Kind, err)
		}
		r.Events[i].Signature = sig
		if data, err := EncodeEvent(r.Events[i]); err != nil || len(data) > MaxEventSize {
			return tooLarge(len(data))
		}
	}
	return nil
}

// MarkStored records that every event is stored.
func (r *Release) MarkStored() { r.stored = len(r.Events) }

// appendEvent records e as a child of every head of the view (or of the
// header, for the first event) and fills its hash. The event goes through
// its own encoding first, so what is kept is exactly what a reader will
// decode, and one that a reader would refuse is refused here.
func (r *Release) appendEvent(e Event) error {
	e.At = e.At.UTC()
	e.Hash, e.Signature = "", ""
	e.Parents = r.Heads()
	if len(r.Events) > r.stored {
		e.Parents = []string{r.Events[len(r.Events)-1].Hash} // the head since the last append
	}
	if len(r.Events) == 0 {
		h, err := r.Header.Hash()
		if err != nil {
			return fmt.Errorf("hash header of %s: %w", r.Meta.ID, err)
		}
		e.Parents = []string{h}
	}
	if !validTime(e.At) {
		return errors.New("event time out of range")
	}
	b, err := canonical(e)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", e.Kind, err)
	}
	var back Event
	if err := decodeStrict(b, &back); err != nil {
		return fmt.Errorf("encode %s event: %w", e.Kind, err)
	}
	if back.Hash, err = back.ComputeHash(); err != nil {
		return err
	}
	data, err := EncodeEvent(back)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", e.Kind, err)
	}
	if len(data) > MaxEventSize {
		return tooLarge(len(data))
	}
	r.Events = append(r.Events, back)
	return nil
}

func tooLarge(n int) error {
	return fmt.Errorf("the event would be %d bytes, over the %d-byte limit: shorten the note, reason or evidence", n, MaxEventSize)
}

// Heads are the hashes of the events no other event names as a parent,
// sorted: the parents of the next event.
func (r *Release) Heads() []string {
	if len(r.Events) == 0 {
		return nil
	}
	child := make(map[string]bool, len(r.Events))
	for _, e := range r.Events {
		for _, p := range e.Parents {
			child[p] = true
		}
	}
	var heads []string
	for _, e := range r.Events {
		if !child[e.Hash] {
			heads = append(heads, e.Hash)
		}
	}
	slices.Sort(heads)
	return heads
}

// Damage is a problem that makes a release's events unusable: the view of
// a release with damage would show something nobody recorded.
type Damage struct {
	File    string // the event file (or release.json) at fault, when known
	Problem string
	// CreatedTwice: two clones created the release before they synced.
	CreatedTwice bool
}

func (d Damage) String() string {
	if d.File == "" {
		return d.Problem
	}
	return d.File + ": " + d.Problem
}

// StoredEvent is an event as read from a store, with the name it was
// stored under (its file name in the file store).
type StoredEvent struct {
	Name  string
	Event Event
}

// Assemble builds a release from its stored header and events, checking
// each event's hash against its content and its name, that every parent
// is present, that exactly one start event hangs from the header, and that
// the events form a DAG. The events are put in view order. Any damage is
// returned and the release is nil.
func Assemble(h Header, stored []StoredEvent) (*Release, []Damage) {
	var damage []Damage
	add := func(file, format string, a ...any) {
		damage = append(damage, Damage{File: file, Problem: fmt.Sprintf(format, a...)})
	}
	headerHash, err := h.Hash()
	if err != nil {
		return nil, []Damage{{File: "release.json", Problem: err.Error()}}
	}
	byHash := make(map[string]int, len(stored))
	dropped := map[string]string{} // claimed hash → file, of events that failed their check
	events := make([]Event, 0, len(stored))
	names := make([]string, 0, len(stored))
	for _, s := range stored {
		e := s.Event
		want, err := e.ComputeHash()
		switch {
		case err != nil:
			add(s.Name, "cannot be encoded: %v", err)
			continue
		case want != e.Hash:
			add(s.Name, "hash does not match its content (event edited?)")
			dropped[e.Hash] = s.Name
			continue
		case s.Name != "" && s.Name != e.FileName():
			add(s.Name, "name does not match its content (expected %s)", e.FileName())
			continue
		}
		if _, dup := byHash[e.Hash]; dup {
			continue // the same event stored twice (a copy): one counts
		}
		byHash[e.Hash] = len(events)
		events = append(events, e)
		names = append(names, s.Name)
	}
	// A start event that does not hang from this header is another clone's
	// creation of the same id: name it and every event built on it, which
	// is what has to go for one creation to remain.
	foreign := map[string]bool{}
	starts := 0
	for _, e := range events {
		if e.Kind == EventStart {
			starts++
			if len(e.Parents) != 1 || e.Parents[0] != headerHash {
				foreign[e.Hash] = true
			}
		}
	}
	if starts > 0 && len(foreign) == starts {
		// No start belongs to the header: the header is what changed.
		return nil, []Damage{{File: "release.json", Problem: "does not match the start event (edited or replaced?)"}}
	}
	if len(foreign) > 0 {
		if ordered, ok := viewOrder(events, byHash); ok {
			var files []string
			for _, e := range ordered {
				if !foreign[e.Hash] && slices.ContainsFunc(e.Parents, func(p string) bool { return foreign[p] }) {
					foreign[e.Hash] = true
				}
				if foreign[e.Hash] {
					files = append(files, names[byHash[e.Hash]])
				}
			}
			start := events[slices.IndexFunc(events, func(e Event) bool { return foreign[e.Hash] && e.Kind == EventStart })]
			add("", "%s was created twice, on two clones before they synced: release.json is %s's of %s, "+
				"and %d event files belong to the creation by %s at %s: %s",
				h.Meta.ID, h.Meta.CreatedBy, h.Meta.CreatedAt.Format(timeFormat), len(files),
				start.Actor, start.At.Format(timeFormat), strings.Join(files, ", "))
			damage[len(damage)-1].CreatedTwice = true
			return nil, damage
		}
	}
	for i, e := range events {
		if e.Kind == EventStart {
			continue
		}
		for _, p := range e.Parents {
			if _, ok := byHash[p]; !ok {
				if p == headerHash {
					add(names[i], "%s event hangs from the header: only the start event may", e.Kind)
				} else if file, ok := dropped[p]; ok {
					add(names[i], "parent %s is the damaged event %s", p[:16], file)
				} else {
					add(names[i], "parent %s is missing (an event file was deleted?)", p[:16])
				}
			}
		}
	}
	if starts > 1 && len(foreign) == 0 {
		add("", "%d start events", starts)
	}
	if starts == 0 && len(damage) == 0 {
		add("", "no start event")
	}
	if len(damage) > 0 {
		return nil, damage
	}
	ordered, ok := viewOrder(events, byHash)
	if !ok {
		return nil, []Damage{{Problem: "the events' parents form a cycle"}}
	}
	r := &Release{Header: h, Events: ordered}
	r.stored = len(ordered)
	return r, nil
}

// viewOrder sorts events topologically, taking among the events whose
// parents are all placed the earliest by time, then by hash: one order
// that every clone holding the same events computes alike.
func viewOrder(events []Event, byHash map[string]int) ([]Event, bool) {
	waiting := make([]int, len(events)) // parents not yet placed
	children := make([][]int, len(events))
	for i, e := range events {
		for _, p := range e.Parents {
			if j, ok := byHash[p]; ok {
				waiting[i]++
				children[j] = append(children[j], i)
			}
		}
	}
	ready := &readyQueue{events: events}
	for i := range events {
		if waiting[i] == 0 {
			ready.idx = append(ready.idx, i)
		}
	}
	heap.Init(ready)
	out := make([]Event, 0, len(events))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, events[i])
		for _, c := range children[i] {
			if waiting[c]--; waiting[c] == 0 {
				heap.Push(ready, c)
			}
		}
	}
	return out, len(out) == len(events)
}

type readyQueue struct {
	events []Event
	idx    []int
}

func (q *readyQueue) Len() int { return len(q.idx) }
func (q *readyQueue) Less(a, b int) bool {
	ea, eb := &q.events[q.idx[a]], &q.events[q.idx[b]]
	if !ea.At.Equal(eb.At) {
		return ea.At.Before(eb.At)
	}
	return ea.Hash < eb.Hash
}
func (q *readyQueue) Swap(a, b int) { q.idx[a], q.idx[b] = q.idx[b], q.idx[a] }
func (q *readyQueue) Push(x any)    { q.idx = append(q.idx, x.(int)) }
func (q *readyQueue) Pop() any {
	n := len(q.idx) - 1
	x := q.idx[n]
	q.idx = q.idx[:n]
	return x
}

// normChecklist gives the snapshot no nil lists, so that its encoding does
// not depend on how the value was built.
func normChecklist(c checklist.Checklist) checklist.Checklist {
	phases := make([]checklist.Phase, len(c.Phases))
	for i, p := range c.Phases {
		items := make([]checklist.Item, len(p.Items))
		for j, it := range p.Items {
			it.Roles = nonNil(it.Roles)
			it.Needs = nonNil(it.Needs)
			items[j] = it
		}
		p.Items = items
		phases[i] = p
	}
	c.Phases = phases
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// describeDamage joins damage into one line for an error message.
func DescribeDamage(d []Damage) string {
	parts := make([]string, len(d))
	for i, x := range d {
		parts[i] = x.String()
	}
	return strings.Join(parts, "; ")
}
