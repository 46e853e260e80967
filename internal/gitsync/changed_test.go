package gitsync

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestChanged(t *testing.T) {
	_, c := setup(t, 1)
	a := c[0]
	state := filepath.Join(a, stateRel)
	write(t, filepath.Join(state, "v1.4.0", "events", "0002.json"), "{\"n\":2}\n")
	write(t, filepath.Join(state, "v1.4.0", "events", "0003.json"), "{\"n\":3}\n")
	write(t, filepath.Join(state, "v1.4.0", "events", "-n :(glob)*.json"), "{}\n") // unchanged, odd name
	write(t, filepath.Join(state, "v1.4.0", "events", "-m *.json"), "{}\n")
	git(t, a, "add", ".")
	git(t, a, "commit", "-q", "-m", "more")
	rev := git(t, a, "rev-parse", "HEAD")

	// Modified, uncommitted.
	write(t, filepath.Join(state, "v1.4.0", "release.json"), `{"id":"forged"}`)
	// Deleted, committed.
	git(t, a, "rm", "-q", filepath.Join(stateRel, "v1.4.0", "events", "0001.json"))
	git(t, a, "commit", "-q", "-m", "drop")
	// Modified, committed.
	write(t, filepath.Join(state, "v1.4.0", "events", "0002.json"), "{\"n\":22}\n")
	git(t, a, "commit", "-q", "-m", "edit", "--", filepath.Join(stateRel, "v1.4.0", "events", "0002.json"))
	write(t, filepath.Join(state, "v1.4.0", "events", "-m *.json"), "{\"edited\":1}\n")
	// Deleted, uncommitted.
	if err := os.Remove(filepath.Join(state, "v1.4.0", "events", "0003.json")); err != nil {
		t.Fatal(err)
	}
	// Unchanged but touched, and added after rev: neither is a change.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(state, ".gitignore"), future, future); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(state, "v1.5.0", "release.json"), "{}\n")
	git(t, a, "add", filepath.Join(stateRel, "v1.5.0"))
	git(t, a, "commit", "-q", "-m", "v1.5.0")
	write(t, filepath.Join(state, "v1.5.0", "events", "0001.json"), "{}\n")

	got, err := Changed(ctx, a, state, rev)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{".octorelease/v1.4.0/events/-m *.json", Modified, "v1.4.0/events/-m *.json"},
		{".octorelease/v1.4.0/events/0001.json", Deleted, "v1.4.0/events/0001.json"},
		{".octorelease/v1.4.0/events/0002.json", Modified, "v1.4.0/events/0002.json"},
		{".octorelease/v1.4.0/events/0003.json", Deleted, "v1.4.0/events/0003.json"},
		{".octorelease/v1.4.0/release.json", Modified, "v1.4.0/release.json"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Changed = %+v\nwant %+v", got, want)
	}

	// A file replaced by a folder is a change too.
	gi := filepath.Join(state, ".gitignore")
	if err := os.Remove(gi); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(gi, "x"), "")
	got, err = Changed(ctx, a, state, "HEAD")
	want = []Change{
		{".octorelease/.gitignore", Modified, ".gitignore"},
		{".octorelease/v1.4.0/events/-m *.json", Modified, "v1.4.0/events/-m *.json"},
		{".octorelease/v1.4.0/events/0003.json", Deleted, "v1.4.0/events/0003.json"},
		{".octorelease/v1.4.0/release.json", Modified, "v1.4.0/release.json"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Changed(HEAD) = %+v, %v\nwant %+v", got, err, want)
	}
	if _, err := Changed(ctx, a, state, "no-such-rev"); err == nil {
		t.Error("unknown revision accepted")
	}
	if _, err := Changed(ctx, a, state, "--all"); err == nil {
		t.Error("option as revision accepted")
	}
}

func TestChangedSymlink(t *testing.T) {
	_, c := setup(t, 1)
	a := c[0]
	state := filepath.Join(a, stateRel)
	if err := os.Symlink("v1.4.0", filepath.Join(state, "latest")); err != nil {
		t.Skip("no symlinks:", err)
	}
	git(t, a, "add", ".")
	git(t, a, "commit", "-q", "-m", "link")
	if got, err := Changed(ctx, a, state, "HEAD"); err != nil || len(got) != 0 {
		t.Fatalf("unchanged symlink: %+v, %v", got, err)
	}
	os.Remove(filepath.Join(state, "latest"))
	if err := os.Symlink("v1.5.0", filepath.Join(state, "latest")); err != nil {
		t.Fatal(err)
	}
	got, err := Changed(ctx, a, state, "HEAD")
	if want := []Change{{".octorelease/latest", Modified, "latest"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("retargeted symlink: %+v, %v", got, err)
	}
}
