package store

import (
	"fmt"
	"testing"
)

// BenchmarkUpdate is one locked, fsynced append to a release of about 100
// events (make bench).
func BenchmarkUpdate(b *testing.B) {
	s := NewFileStore(b.TempDir(), Options{})
	if err := s.Create(newRelease("v1.4.0")); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if err := s.Update("v1.4.0", signBy(fmt.Sprint("warm", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.Update("v1.4.0", signBy(fmt.Sprint("bench", i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad is the lock-free read `status` and `gate` do.
func BenchmarkLoad(b *testing.B) {
	s := NewFileStore(b.TempDir(), Options{})
	if err := s.Create(newRelease("v1.4.0")); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if err := s.Update("v1.4.0", signBy(fmt.Sprint("warm", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.Load("v1.4.0"); err != nil {
			b.Fatal(err)
		}
	}
}
