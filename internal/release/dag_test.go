package release

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// skewed is busy with a few events whose clocks run behind their parents:
// the view order is topological first, time second.
func skewed(t *testing.T) *Release {
	t.Helper()
	r := newTest(t)
	completePre(t, r)
	mustSignAt(t, r, open, at(-30), "alice", "sre", "e") // a clock half an hour slow
	mustSignAt(t, r, open, at(-30), "carol", "qa", "f")  // same time, later event
	if err := r.Waive(ActionRequest{Item: "d", Role: "sre", Actor: "bob", Reason: "n/a", At: at(-60)}, open); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAssembleOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range []*Release{busy(t), skewed(t), small(t)} {
		want := hashes(r.Events)
		for i := range 50 {
			events := stored(r.Events)
			if i > 0 {
				rng.Shuffle(len(events), func(a, b int) { events[a], events[b] = events[b], events[a] })
			}
			back := assemble(t, r.Header, events)
			if got := hashes(back.Events); !slices.Equal(got, want) {
				t.Fatalf("shuffle %d: events in another order\n%v\nwant\n%v", i, got, want)
			}
			if !reflect.DeepEqual(back.Events, r.Events) || !reflect.DeepEqual(back.Header, r.Header) {
				t.Fatal("assembled events or header differ from the recorded ones")
			}
			if len(back.Pending()) != 0 {
				t.Errorf("%d events pending after Assemble", len(back.Pending()))
			}
			if !slices.Equal(back.Heads(), []string{want[len(want)-1]}) {
				t.Errorf("heads %v", back.Heads())
			}
		}
		// The same view, too.
		back := assemble(t, r.Header, stored(shuffled(rng, r.Events)))
		if dump(t, back.Evaluate(members)) != dump(t, r.Evaluate(members)) || back.Status() != r.Status() {
			t.Error("the assembled release has another view")
		}
	}
}

// TestAssembleNext: an event recorded on an assembled release is a child
// of its heads, and the only pending one.
func TestAssembleNext(t *testing.T) {
	base := newTest(t)
	a, b := fork(t, base), fork(t, base)
	mustSign(t, a, open, "dev", "", "a")
	mustSign(t, b, open, "carol", "qa", "b")
	m := merge(t, a, b)
	heads := m.Heads()
	want := []string{a.Events[1].Hash, b.Events[1].Hash}
	slices.Sort(want)
	if !slices.Equal(heads, want) {
		t.Fatalf("heads of the merge %v, want %v", heads, want)
	}
	mustSign(t, m, open, "alice", "sre", "b")
	passCheck(t, m, "c", true)
	p := m.Pending()
	if len(p) != 2 || !slices.Equal(p[0].Parents, want) || !slices.Equal(p[1].Parents, []string{p[0].Hash}) {
		t.Errorf("pending %+v: want a child of both heads, then a child of it", p)
	}
	if !slices.Equal(m.Heads(), []string{p[1].Hash}) {
		t.Errorf("heads after recording %v", m.Heads())
	}
}

// damaged runs Assemble and returns its damage, failing when there is none.
func damaged(t *testing.T, h Header, events []StoredEvent) []Damage {
	t.Helper()
	r, damage := Assemble(h, events)
	if damage == nil || r != nil {
		t.Fatalf("no damage found (release %v)", r != nil)
	}
	return damage
}

// hasDamage checks that damage names file (any when "") with a problem
// containing every fragment.
func hasDamage(t *testing.T, damage []Damage, file string, fragments ...string) {
	t.Helper()
	for _, d := range damage {
		if file != "" && d.File != file {
			continue
		}
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(d.Problem, f)
		}
		if ok {
			return
		}
	}
	t.Errorf("damage %q lacks %s: %q", DescribeDamage(damage), file, fragments)
}

func TestAssembleDamage(t *testing.T) {
	r := busy(t)
	h := r.Header
	events := func() []StoredEvent { return stored(r.Events) }
	index := func(pred func(Event) bool) int { return slices.IndexFunc(r.Events, pred) }
	signF := index(func(e Event) bool { return e.Kind == EventSign && e.Item == "f" })
	name := func(i int) string { return r.Events[i].FileName() }

	t.Run("edited note", func(t *testing.T) {
		s := events()
		s[signF].Event.Note = "all good"
		d := damaged(t, h, s)
		hasDamage(t, d, name(signF), "hash does not match its content")
		// Its child names it as its parent: the damaged event, not a missing one.
		hasDamage(t, d, name(signF+1), "parent "+r.Events[signF].Hash[:16]+" is the damaged event "+name(signF))

	})
	t.Run("edited and rehashed", func(t *testing.T) {
		s := events()
		s[signF].Event.Actor = "mallory"
		s[signF].Event.Hash, _ = s[signF].Event.ComputeHash()
		d := damaged(t, h, s)
		hasDamage(t, d, name(signF), "name does not match its content", "expected "+s[signF].Event.FileName())
		hasDamage(t, d, name(signF+1), "is missing")
	})
	t.Run("edited, rehashed and renamed", func(t *testing.T) {
		s := events()
		s[signF].Event.Actor = "mallory"
		s[signF].Event.Hash, _ = s[signF].Event.ComputeHash()
		s[signF].Name = s[signF].Event.FileName()
		hasDamage(t, damaged(t, h, s), name(signF+1), "parent "+r.Events[signF].Hash[:16]+" is missing")
	})
	t.Run("edited check", func(t *testing.T) {
		s := events()
		i := index(func(e Event) bool { return e.Kind == EventCheck })
		c := *s[i].Event.Check
		c.Passed = !c.Passed
		s[i].Event.Check = &c
		hasDamage(t, damaged(t, h, s), name(i), "hash does not match")
	})
	t.Run("renamed file", func(t *testing.T) {
		s := events()
		s[2].Name = strings.Replace(s[2].Name, "-sign-", "-waive-", 1)
		hasDamage(t, damaged(t, h, s), s[2].Name, "name does not match its content (expected "+name(2)+")")
	})
	t.Run("deleted middle event", func(t *testing.T) {
		s := events()
		s = slices.Delete(s, 3, 4)
		d := damaged(t, h, s)
		hasDamage(t, d, name(4), "parent "+r.Events[3].Hash[:16]+" is missing (an event file was deleted?)")
		if len(d) != 1 {
			t.Errorf("damage %q, want the one missing parent", DescribeDamage(d))
		}
	})
	t.Run("deleted start event", func(t *testing.T) {
		hasDamage(t, damaged(t, h, events()[1:]), name(1), "parent "+r.Events[0].Hash[:16]+" is missing")
	})
	t.Run("no events", func(t *testing.T) {
		hasDamage(t, damaged(t, h, nil), "", "no start event")
	})
	t.Run("event hanging from the header", func(t *testing.T) {
		s := events()
		e := s[1].Event
		e.Parents = slices.Clone(r.Events[0].Parents)
		e.Hash, _ = e.ComputeHash()
		s = append(s, StoredEvent{Name: e.FileName(), Event: e})
		hasDamage(t, damaged(t, h, s), e.FileName(), "sign event hangs from the header: only the start event may")
	})
	t.Run("second start from this header", func(t *testing.T) {
		s := events()
		e := s[0].Event
		e.Actor = "bob"
		e.Hash, _ = e.ComputeHash()
		s = append(s, StoredEvent{Name: e.FileName(), Event: e})
		hasDamage(t, damaged(t, h, s), "", "2 start events")
	})
	t.Run("edited header", func(t *testing.T) {
		h := r.Header
		h.Meta.Summary = "edited"
		damaged(t, h, events())
	})
	t.Run("header with an edited checklist", func(t *testing.T) {
		h := r.Header
		h.Checklist.Phases = slices.Clone(h.Checklist.Phases)
		h.Checklist.Phases[0].Items = slices.Clone(h.Checklist.Phases[0].Items)
		h.Checklist.Phases[0].Items[2].Check = nil // c's check dropped
		damaged(t, h, events())
	})
	t.Run("created twice", func(t *testing.T) {
		// Bob started v1.4.0 on his clone too, before the clones synced,
		// and signed on it; git kept alice's release.json.
		meta := testMeta()
		meta.CreatedBy, meta.CreatedAt = "bob", at(1)
		other := mustNew(t, meta, testChecklist())
		mustSign(t, other, open, "bob", "sre", "b")
		mustSign(t, other, open, "dev", "", "a")
		s := append(events(), stored(other.Events)...)
		rand.New(rand.NewPCG(5, 6)).Shuffle(len(s), func(a, b int) { s[a], s[b] = s[b], s[a] })
		d := damaged(t, h, s)
		if len(d) != 1 {
			t.Fatalf("damage %q, want one", DescribeDamage(d))
		}
		hasDamage(t, d, "", "v1.4.0 was created twice", "release.json is alice's of 2026-11-25T10:00:00Z",
			"3 event files belong to the creation by bob at 2026-11-25T10:01:00Z")
		for _, e := range other.Events {
			if !strings.Contains(d[0].Problem, e.FileName()) {
				t.Errorf("damage does not name bob's %s", e.FileName())
			}
		}
		for _, e := range r.Events {
			if strings.Contains(d[0].Problem, e.FileName()) {
				t.Errorf("damage names alice's %s", e.FileName())
			}
		}
		// Bob's header with alice's events: the same, the other way round.
		d = damaged(t, other.Header, s)
		hasDamage(t, d, "", "release.json is bob's", "creation by alice at 2026-11-25T10:00:00Z")
	})
}

// TestAssembleCopies: the same event stored twice (a copy, or both sides
// of a merge) counts once; an event stored without a name is not held to
// one.
func TestAssembleCopies(t *testing.T) {
	r := busy(t)
	s := append(stored(r.Events), stored(r.Events[2:5])...)
	s[4].Name = ""
	back := assemble(t, r.Header, s)
	if !slices.Equal(hashes(back.Events), hashes(r.Events)) {
		t.Error("copies changed the events")
	}
}

// TestByteFlips changes every byte of every event file of a release (each
// bit, and a few replacement bytes): each change must fail to decode, or
// decode to the same event (a change of white space or of a key's case,
// which encoding/json matches case-insensitively), or be damage to
// Assemble.
func TestByteFlips(t *testing.T) {
	r := small(t)
	h := r.Header
	harmless, tried := 0, 0
	for i, e := range r.Events {
		data, err := EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(data))
		for j := range data {
			variants := []byte{data[j] ^ 0x01}
			if !raceEnabled {
				for bit := 1; bit < 8; bit++ {
					variants = append(variants, data[j]^1<<bit)
				}
				variants = append(variants, ' ', '0', '9', 'a', '"', '\\')
			}
			for _, b := range variants {
				if b == data[j] {
					continue
				}
				copy(buf, data)
				buf[j] = b
				tried++
				got, err := DecodeEvent(buf)
				if err != nil {
					continue
				}
				if reflect.DeepEqual(got, e) {
					harmless++
					continue
				}
				s := stored(r.Events)
				s[i].Event = got
				if _, damage := Assemble(h, s); damage == nil {
					t.Errorf("event %d byte %d changed from %q to %q went unnoticed:\n%s", i, j, data[j], b, buf)
				}
			}
		}
	}
	t.Logf("%d changes of %d events, %d harmless, the rest detected", tried, len(r.Events), harmless)

	// The header: any change of its content breaks the start event's link.
	data, err := EncodeHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(data))
	for j := range data {
		for _, b := range []byte{data[j] ^ 0x01, data[j] ^ 0x20} {
			copy(buf, data)
			buf[j] = b
			got, err := DecodeHeader(buf)
			if err != nil || reflect.DeepEqual(got, h) {
				continue
			}
			if _, damage := Assemble(got, stored(r.Events)); damage == nil {
				t.Errorf("header byte %d changed from %q to %q went unnoticed", j, data[j], b)
			}
		}
	}
}
