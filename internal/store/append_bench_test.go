package store

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/release/releasetest"
)

// BenchmarkAppendEvent is what `sign` does to the store: lock, read, decode,
// append one event, encode, write a temp file, fsync, back up, rename, fsync
// the folder. Before each round the state file is put back (not timed), so
// every round signs the same item of a release of the same size.
func BenchmarkAppendEvent(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("%dx", scale), func(b *testing.B) {
			s := NewFileStore(b.TempDir(), Options{Actor: "bench"})
			at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
			r, err := releasetest.Signed(scale)
			if err != nil {
				b.Fatal(err)
			}
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
