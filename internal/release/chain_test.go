package release

import (
	"slices"
	"strings"
	"testing"
)

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(r *Release)
		want   []string // each must appear in some problem
	}{
		{"intact", func(*Release) {}, nil},
		{"event edited", func(r *Release) { r.Events[2].Actor = "mallory" },
			[]string{"event 3: hash does not match its content"}},
		{"event edited and rehashed", func(r *Release) {
			r.Events[2].Actor = "mallory"
			r.Events[2].Hash = eventHash(r.Events[2])
		}, []string{"event 4: does not chain to event 3"}},
		{"time edited", func(r *Release) { r.Events[1].At = r.Events[1].At.Add(1) },
			[]string{"event 2: hash does not match"}},
		{"hash edited", func(r *Release) { r.Events[1].Hash = strings.Repeat("0", 64) },
			[]string{"event 2: hash does not match", "event 3: does not chain to event 2"}},
		{"event removed", func(r *Release) { r.Events = slices.Delete(r.Events, 2, 3) },
			[]string{"event 3: seq is 4, expected 3", "event 3: does not chain to event 2"}},
		{"first event removed", func(r *Release) { r.Events = r.Events[1:] },
			[]string{"event 1: kind is", "event 1: seq is 2, expected 1", "event 1: does not chain to the header"}},
		{"all events removed", func(r *Release) { r.Events = nil }, []string{"no events"}},
		{"events reordered", func(r *Release) { r.Events[2], r.Events[3] = r.Events[3], r.Events[2] },
			[]string{"event 3: seq is 4, expected 3", "event 4: seq is 3, expected 4", "event 3: does not chain to event 2"}},
		{"reordered and renumbered", func(r *Release) {
			r.Events[2], r.Events[3] = r.Events[3], r.Events[2]
			r.Events[2].Seq, r.Events[3].Seq = 3, 4
		}, []string{"event 3: hash does not match", "event 3: does not chain to event 2"}},
		{"event inserted", func(r *Release) {
			e := r.Events[1]
			e.Item = "b"
			r.Events = slices.Insert(r.Events, 2, e)
		}, []string{"event 3: hash does not match", "event 4: seq is 3, expected 4"}},
		{"release metadata edited", func(r *Release) { r.Meta.CreatedBy = "mallory" },
			[]string{"event 1: does not chain to the header"}},
		{"checklist edited", func(r *Release) { r.Checklist.Phases[0].Items[0].Roles = []string{"qa"} },
			[]string{"event 1: does not chain to the header"}},
		{"checklist source edited", func(r *Release) { r.Checklist.Source = "x.yaml" },
			[]string{"event 1: does not chain to the header"}},
		{"second start", func(r *Release) {
			r.Events[2].Kind = EventStart
			r.Events[2].Hash = eventHash(r.Events[2])
			for i := 3; i < len(r.Events); i++ {
				r.Events[i].Prev = r.Events[i-1].Hash
				r.Events[i].Hash = eventHash(r.Events[i])
			}
		}, []string{"event 3: a second start event"}},
		{"unknown kind", func(r *Release) {
			r.Events[2].Kind = "bribe"
			r.Events[2].Hash = eventHash(r.Events[2])
		}, []string{"event 3: unknown kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := busy(t)
			tt.tamper(r)
			got := r.Verify()
			if tt.want == nil {
				if got != nil {
					t.Fatalf("intact release reported %q", got)
				}
				return
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
			// The same tampering, written canonically, is found in the bytes.
			data, err := Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			if p := VerifyBytes(data); len(p) == 0 {
				t.Error("VerifyBytes found nothing")
			} else if strings.Contains(p[0], "canonical") {
				t.Errorf("canonical re-encoding reported as non-canonical: %q", p[0])
			}
		})
	}
}

func TestSerialOutsideChain(t *testing.T) {
	r := busy(t)
	r.Serial = 42
	if p := r.Verify(); p != nil {
		t.Errorf("serial change reported: %v", p)
	}
}

func TestChainLinks(t *testing.T) {
	r := busy(t)
	if r.Events[0].Prev != r.headerHash() {
		t.Error("first event does not chain to the header")
	}
	for i, e := range r.Events {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d", i+1, e.Seq)
		}
		if len(e.Hash) != 64 || e.Hash != eventHash(e) {
			t.Errorf("event %d hash %q", e.Seq, e.Hash)
		}
		if i > 0 && e.Prev != r.Events[i-1].Hash {
			t.Errorf("event %d does not chain", e.Seq)
		}
	}
}
