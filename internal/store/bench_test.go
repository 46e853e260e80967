package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/release/releasetest"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// signedStore is a store holding releasetest.Signed(scale), v1.0.0, with
// the qa sign-off of item-0-0 revoked, so that every round of a benchmark
// can sign it again. The files are written directly (no fsync): the setup
// is not what is measured.
func signedStore(b *testing.B, scale int) (*store.FileStore, string) {
	b.Helper()
	r, err := releasetest.Signed(scale)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	if err := r.Revoke(release.ActionRequest{Item: "item-0-0", Role: "qa", Actor: "qa", Reason: "bench", At: at}, release.Policy{}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	writeRelease(b, dir, r)
	return store.NewFileStore(dir, store.Options{Actor: "bench"}), dir
}

var signAgain = func(r *release.Release) error {
	at := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)
	return r.Sign(release.SignRequest{Items: []string{"item-0-0"}, Role: "qa", Actor: "qa", At: at}, release.Policy{})
}

// BenchmarkAppendEvent is what `sign` does to the store: lock, read and
// verify every event file of the release, append one event, write it to a
// temp file, fsync, link it into place, fsync the folder. After each round
// the new file is removed (not timed), so every round signs the same item
// of a release of the same size.
func BenchmarkAppendEvent(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("%dx", scale), func(b *testing.B) {
			s, dir := signedStore(b, scale)
			events := filepath.Join(dir, "v1.0.0", "events")
			before, err := os.ReadDir(events)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update("v1.0.0", signAgain); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				after, err := os.ReadDir(events)
				if err != nil || len(after) != len(before)+1 {
					b.Fatalf("%d event files after an append, want %d (%v)", len(after), len(before)+1, err)
				}
				for i, e := range after {
					if i >= len(before) || e.Name() != before[i].Name() {
						if err := os.Remove(filepath.Join(events, e.Name())); err != nil {
							b.Fatal(err)
						}
						break
					}
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkLoad is the lock-free read `status` and `gate` do.
func BenchmarkLoad(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("%dx", scale), func(b *testing.B) {
			s, _ := signedStore(b, scale)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load("v1.0.0"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenIDs is the lookup of the releases in progress among 1,000
// closed ones: with the index settled, and with a scan (what the first
// lookup after a start, a finish or a pull does).
func BenchmarkOpenIDs(b *testing.B) {
	b.Run("settled", func(b *testing.B) { benchOpenIDs(b, false) })
	b.Run("scan", func(b *testing.B) { benchOpenIDs(b, true) })
}

func benchOpenIDs(b *testing.B, scan bool) {
	dir := b.TempDir()
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		v := fmt.Sprintf("v0.%d.%d", i/100, i%100)
		r, err := release.New(release.Meta{ID: v, Version: v[1:], Type: release.TypeMinor, CreatedAt: at, CreatedBy: "rm"}, storetest.ItemsChecklist(1))
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			if err := r.SetStatus(release.StatusAborted, "rm", "bench", at, release.Policy{}); err != nil {
				b.Fatal(err)
			}
		}
		writeRelease(b, dir, r)
	}
	s := store.NewFileStore(dir, store.Options{})
	if _, err := s.OpenIDs(); err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{dir, filepath.Join(dir, store.IndexDir, "open")} {
		if err := os.Chtimes(p, old, old); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.OpenIDs(); err != nil {
		b.Fatal(err)
	}
	stamp := filepath.Join(dir, store.IndexDir, "stamp")
	if _, err := os.Stat(stamp); err != nil {
		b.Fatalf("the index kept no stamp: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if scan {
			b.StopTimer()
			if err := os.Remove(stamp); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		ids, err := s.OpenIDs()
		if err != nil || len(ids) != 1 {
			b.Fatalf("OpenIDs = %v, %v", ids, err)
		}
	}
}
