package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
)

// A release over mapMin is decoded from the mapped file: it must load as
// the same release the read path gives, and verify.
func TestLoadLargeFileMapped(t *testing.T) {
	s, dir := newStore(t)
	r := newRelease("v1.4.0")
	for len(r.Events) < 2000 {
		appendEvent(r, release.Event{Kind: release.EventSign, Actor: "alice", Role: "qa", Item: "qa-signoff", At: testTime,
			Note: "a note long enough to make the file large", Evidence: []string{"https://ci.example.com/run/1"}})
	}
	if err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "v1.4.0.json")
	if fi, err := os.Stat(path); err != nil || fi.Size() < mapMin {
		t.Fatalf("test file is %v bytes (err %v), want at least %d to exercise the mapped path", fi.Size(), err, mapMin)
	}
	mapped, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	raw, read, err := s.LoadRaw("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := release.Encode(mapped)
	b, _ := release.Encode(read)
	if !bytes.Equal(a, b) || !bytes.Equal(a, raw) {
		t.Fatal("the mapped and the read path decode different releases")
	}
	if p := mapped.Verify(); p != nil {
		t.Fatalf("Verify: %v", p)
	}
}

// A file truncated in place while mapped must give an error, not a crash.
func TestWithContentsFileShrinks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 2*mapMin), 0o644); err != nil {
		t.Fatal(err)
	}
	var last byte
	err := withContents(path, func(data []byte) {
		if err := os.Truncate(path, 0); err != nil {
			t.Error(err)
			return
		}
		last = data[len(data)-1] // the page is gone: SIGBUS
	})
	if !errors.Is(err, errShrank) {
		t.Fatalf("err = %v (read %q), want errShrank", err, last)
	}
}

// A fault that has nothing to do with the mapping is still a crash.
func TestWithContentsOtherFaultPanics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 2*mapMin), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a nil dereference inside fn was swallowed")
		}
	}()
	var p *[2]byte
	_ = withContents(path, func([]byte) { _ = p[1] })
}
