package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// sizedRelease is a release of 10×scale items in up to 10 phases, each item
// needing three roles, all signed: 1x, 10x and 100x (1,000 items, 3,000
// sign-offs) are the sizes of docs/performance.md.
func sizedRelease(b *testing.B, scale int) *release.Release {
	b.Helper()
	roles := []string{"developer", "qa", "sre"}
	items := 10 * scale
	phases := min(10, items/5)
	cl := checklist.Checklist{Name: "bench", Source: checklist.SourceEmbedded}
	for p := range phases {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: fmt.Sprintf("Phase %d", p)}
		for i := range items / phases {
			ph.Items = append(ph.Items, checklist.Item{ID: fmt.Sprintf("item-%d-%d", p, i),
				Title: fmt.Sprintf("Item %d", i), Roles: roles})
		}
		cl.Phases = append(cl.Phases, ph)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := release.New(release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: at, CreatedBy: "rm"}, cl)
	for _, p := range cl.Phases {
		for _, role := range roles {
			req := release.SignRequest{Role: role, Actor: role + "@example.com", At: at}
			for _, it := range p.Items {
				req.Items = append(req.Items, it.ID)
			}
			if err := r.Sign(req, release.Policy{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return r
}

// BenchmarkAppendEvent is what `sign` does to the store: lock, read, decode,
// append one event, encode, write a temp file, fsync, back up, rename, fsync
// the folder. Before each round the state file is put back (not timed), so
// every round signs the same item of a release of the same size.
func BenchmarkAppendEvent(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("%dx", scale), func(b *testing.B) {
			s := NewFileStore(b.TempDir(), Options{Actor: "bench"})
			at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
			r := sizedRelease(b, scale)
			if err := r.Revoke(release.ActionRequest{Item: "item-0-0", Role: "qa", Actor: "qa", Reason: "bench", At: at}, release.Policy{}); err != nil {
				b.Fatal(err)
			}
			if err := s.Create(r); err != nil {
				b.Fatal(err)
			}
			orig, err := os.ReadFile(s.path("v1.0.0"))
			if err != nil {
				b.Fatal(err)
			}
			sign := func(r *release.Release) error {
				return r.Sign(release.SignRequest{Items: []string{"item-0-0"}, Role: "qa", Actor: "qa", At: at}, release.Policy{})
			}
			b.SetBytes(int64(len(orig)))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				if err := os.WriteFile(s.path("v1.0.0"), orig, 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.Update("v1.0.0", sign); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
