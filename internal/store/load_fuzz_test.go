package store_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// fuzzRelease is the release FuzzLoad damages: a header and four events.
func fuzzRelease(t testing.TB) *release.Release {
	r := storetest.NewRelease(t, id, storetest.Checklist())
	steps := []func(*release.Release) error{
		func(r *release.Release) error {
			return r.RecordCheck("tests", "ci", storetest.Tick(1), release.CheckResult{Command: "go test", Passed: true,
				OutputSHA256: "00", OutputTail: "ok <3>\n"})
		},
		func(r *release.Release) error {
			return r.Sign(release.SignRequest{Items: []string{"tests"}, Role: "developer", Actor: "dev", Note: "ünï & <b>",
				Evidence: []string{"https://x/?a=1&b=2"}, At: storetest.Tick(2)}, storetest.Open)
		},
		storetest.Sign("qa-signoff", "qa", "carol", storetest.Tick(3)),
	}
	for _, step := range steps {
		if err := step(r); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// writeRelease writes r's files into dir as the store lays them out,
// without the store (and without fsync).
func writeRelease(t testing.TB, dir string, r *release.Release) {
	t.Helper()
	events := filepath.Join(dir, r.Meta.ID, "events")
	if err := os.MkdirAll(events, 0o755); err != nil {
		t.Fatal(err)
	}
	header, err := release.EncodeHeader(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, r.Meta.ID, "release.json"), header)
	for _, e := range r.Events {
		data, err := release.EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(events, e.FileName()), data)
	}
}

func compact(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzLoad puts arbitrary bytes into a real state folder, as release.json
// (where 0), as the last event file (1) or as a new event file (2, named
// after its content when it decodes, as a writer would). Load never
// panics; it fails with exit 1, or returns a release whose events all
// verify and that is the original one (plus, for a new file, one valid
// event hanging from it).
func FuzzLoad(f *testing.F) {
	orig := fuzzRelease(f)
	header, _ := release.EncodeHeader(orig.Header)
	last, _ := release.EncodeEvent(orig.Events[len(orig.Events)-1])
	child := func() []byte {
		r := fuzzRelease(f)
		r.MarkStored()
		if err := storetest.Sign("deploy", "sre", "sre", storetest.Tick(9))(r); err != nil {
			return nil // deploy waits for the build phase; the revoke below is the child then
		}
		data, _ := release.EncodeEvent(r.Events[len(r.Events)-1])
		return data
	}()
	revoke := func() []byte {
		r := fuzzRelease(f)
		r.MarkStored()
		if err := r.Revoke(release.ActionRequest{Item: "qa-signoff", Role: "qa", Actor: "carol", Reason: "no", At: storetest.Tick(9)}, storetest.Open); err != nil {
			f.Fatal(err)
		}
		data, _ := release.EncodeEvent(r.Events[len(r.Events)-1])
		return data
	}()
	start, _ := release.EncodeEvent(orig.Events[0])
	for _, seed := range []struct {
		where uint8
		data  []byte
	}{
		{0, header}, {0, compact(f, header)}, {0, header[:len(header)/2]}, {0, nil}, {0, []byte("{}")}, {0, []byte("null")},
		{0, bytes.Replace(header, []byte(`"format": 2`), []byte(`"format": 1`), 1)},
		{0, bytes.Replace(header, []byte(`"format": 2`), []byte(`"format": 2, "format": 2`), 1)},
		{0, bytes.Replace(header, []byte(`"alice@example.com"`), []byte(`"mallory"`), 1)},
		{1, last}, {1, compact(f, last)}, {1, last[:len(last)-2]}, {1, []byte("[]")},
		{1, bytes.Replace(last, []byte(`"carol"`), []byte(`"mallory"`), 1)},
		{1, bytes.Replace(last, []byte(`"carol"`), []byte("\"\xff\""), 1)},
		{1, bytes.Replace(last, []byte(`"kind": "sign"`), []byte(`"kind": "sign", "kind": "waive"`), 1)},
		{1, bytes.Replace(last, []byte(`"parents": [`), []byte(`"parents": [1e999, `), 1)},
		{2, child}, {2, revoke}, {2, start}, {2, last}, {2, []byte(`{"kind":"start"}`)},
	} {
		f.Add(seed.where, seed.data)
	}
	f.Fuzz(func(t *testing.T, where uint8, data []byte) {
		dir := t.TempDir()
		writeRelease(t, dir, orig)
		events := filepath.Join(dir, id, "events")
		switch where % 3 {
		case 0:
			writeFile(t, filepath.Join(dir, id, "release.json"), data)
		case 1:
			writeFile(t, filepath.Join(events, orig.Events[len(orig.Events)-1].FileName()), data)
		case 2:
			name := "20261125T100009.000000000Z-sign-x-qa-0000000000000000.json"
			if e, err := release.DecodeEvent(data); err == nil {
				name = e.FileName()
			}
			writeFile(t, filepath.Join(events, name), data)
		}
		s := store.NewFileStore(dir, store.Options{})
		_, _, _ = s.Inspect(id) // must not panic either
		r, err := s.Load(id)
		if err != nil {
			if code := errs.Code(err); code != errs.CodeRuntime {
				t.Fatalf("Load: %v has exit code %d, want 1", err, code)
			}
			return
		}
		checkVerifies(t, r)
		got, want := storetest.Hashes(r.Events), storetest.Hashes(orig.Events)
		switch where % 3 {
		case 0, 1:
			if !slices.Equal(got, want) {
				t.Fatalf("loaded events %v, want the original %v", got, want)
			}
			a, _ := release.EncodeHeader(r.Header)
			if !bytes.Equal(a, header) {
				t.Fatalf("loaded header\n%s\nwant the original\n%s", a, header)
			}
		case 2:
			if extra := len(got) - len(want); extra < 0 || extra > 1 || !isSubset(want, got) {
				t.Fatalf("loaded events %v from the original %v and one file", got, want)
			}
		}
	})
}

func isSubset(sub, of []string) bool {
	for _, x := range sub {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return true
}

// checkVerifies fails unless every event of r carries its own hash, every
// parent is an event of r (or the header, for the one start event), and
// the events are in an order where parents come first.
func checkVerifies(t *testing.T, r *release.Release) {
	t.Helper()
	headerHash, err := r.Header.Hash()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	starts := 0
	for _, e := range r.Events {
		if h, err := e.ComputeHash(); err != nil || h != e.Hash {
			t.Fatalf("event %s hashes to %s (%v)", e.Hash, h, err)
		}
		for _, p := range e.Parents {
			if e.Kind == release.EventStart {
				if p != headerHash {
					t.Fatalf("start event hangs from %s, not the header %s", p, headerHash)
				}
				continue
			}
			if !seen[p] {
				t.Fatalf("event %s comes before its parent %s", e.Hash, p)
			}
		}
		if e.Kind == release.EventStart {
			starts++
		}
		seen[e.Hash] = true
	}
	if starts != 1 {
		t.Fatalf("%d start events", starts)
	}
}
