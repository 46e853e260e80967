package release

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// Benchmark sizes: 1x is a checklist of 10 items, every item needing three
// roles, all signed (30 sign-offs); 10x and 100x scale items and sign-offs
// together, so 100x is the 1,000-item, 3,000-sign-off release of
// docs/performance.md.
var benchSizes = []int{1, 10, 100}

var benchRoles = []string{"developer", "qa", "sre"}

func benchChecklist(scale int) checklist.Checklist {
	items := 10 * scale
	phases := min(10, items/5)
	cl := checklist.Checklist{Name: "bench", Source: checklist.SourceEmbedded}
	for p := range phases {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: fmt.Sprintf("Phase %d", p)}
		for i := range items / phases {
			ph.Items = append(ph.Items, checklist.Item{
				ID: fmt.Sprintf("item-%d-%d", p, i), Title: fmt.Sprintf("Item %d of phase %d", i, p),
				Roles: benchRoles, Help: "Confirm the thing this item is about and link evidence.",
			})
		}
		cl.Phases = append(cl.Phases, ph)
	}
	return cl
}

// benchReleases caches signedRelease per scale: signing 3,000 sign-offs
// takes a while, and every benchmark needs the same releases, which none
// of them changes.
var benchReleases = map[int]*Release{}

// benchRelease is a release of benchChecklist(scale) with every item signed
// by every role: the shape of releasetest.Signed, which tests inside this
// package cannot import.
func benchRelease(b *testing.B, scale int) *Release {
	b.Helper()
	if r, ok := benchReleases[scale]; ok {
		return r
	}
	r := signedRelease(b, scale)
	benchReleases[scale] = r
	return r
}

func signedRelease(tb testing.TB, scale int) *Release {
	tb.Helper()
	cl := benchChecklist(scale)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := mustNew(tb, Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: at, CreatedBy: "rm@example.com"}, cl)
	for _, p := range cl.Phases {
		for _, role := range benchRoles {
			req := SignRequest{Items: nil, Role: role, Actor: role + "@example.com", At: at,
				Evidence: []string{"https://ci.example.com/run/42"}}
			for _, it := range p.Items {
				req.Items = append(req.Items, it.ID)
			}
			if err := r.Sign(req, Policy{}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return r
}

func sizeName(scale int) string { return fmt.Sprintf("%dx", scale) }

// listed is the release's events as the file store lists them: by file
// name.
func listed(r *Release) []StoredEvent {
	s := stored(r.Events)
	slices.SortFunc(s, func(a, b StoredEvent) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// TestBenchRelease keeps the benchmarks honest: the release they measure
// is complete, and assembles back into itself.
func TestBenchRelease(t *testing.T) {
	r := signedRelease(t, 1)
	if v := r.Evaluate(Policy{}); !v.Complete || len(r.Events) != 31 {
		t.Fatalf("bench release complete %v with %d events", v.Complete, len(r.Events))
	}
	back := assemble(t, r.Header, listed(r))
	if !slices.Equal(hashes(back.Events), hashes(r.Events)) {
		t.Error("the bench release does not assemble into its own order")
	}
}

// BenchmarkDecodeEvents is the parsing half of loading a release: every
// event file decoded.
func BenchmarkDecodeEvents(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			files := make([][]byte, len(r.Events))
			size := 0
			for i, e := range r.Events {
				data, err := EncodeEvent(e)
				if err != nil {
					b.Fatal(err)
				}
				files[i] = data
				size += len(data)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				for _, data := range files {
					if _, err := DecodeEvent(data); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkAssemble is the other half: hashes and names checked, the DAG
// checked and put in view order.
func BenchmarkAssemble(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			events := listed(r)
			b.ReportAllocs()
			for b.Loop() {
				if back, damage := Assemble(r.Header, events); damage != nil || len(back.Events) != len(r.Events) {
					b.Fatal(DescribeDamage(damage))
				}
			}
		})
	}
}

// BenchmarkEvaluate is computing status: every item's state from the events.
func BenchmarkEvaluate(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			pol := Policy{SeparationOfDuties: true}
			b.ReportAllocs()
			for b.Loop() {
				if v := r.Evaluate(pol); !v.Complete {
					b.Fatal("release not complete")
				}
			}
		})
	}
}

// BenchmarkGate is evaluating the gate of the last phase (so every phase).
func BenchmarkGate(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			last := r.Checklist.Phases[len(r.Checklist.Phases)-1].ID
			pol := Policy{SeparationOfDuties: true}
			b.ReportAllocs()
			for b.Loop() {
				g, err := r.Gate(last, nil, pol)
				if err != nil || !g.Passed {
					b.Fatal(err, g.Blockers)
				}
			}
		})
	}
}
