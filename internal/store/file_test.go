package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestLayout pins SPEC §6's layout: a folder per release with its header
// and one file per event, named by the event, in the bytes the encoding
// gives; the state folder's .gitignore and .gitattributes.
func TestLayout(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.Checklist())
	mustUpdate(t, s, id, storetest.Sign("qa-signoff", "qa", "carol", storetest.Tick(1)))
	mustUpdate(t, s, id, func(r *release.Release) error {
		return r.Waive(release.ActionRequest{Item: "changelog", Role: "developer", Actor: "dev", Reason: "none", At: storetest.Tick(2)}, storetest.Open)
	})
	r := mustLoad(t, s, id)

	if got, want := names(t, dir), []string{".gitattributes", ".gitignore", store.IndexDir, id}; !slices.Equal(got, want) {
		t.Errorf("state folder holds %v, want %v", got, want)
	}
	for name, content := range store.StateFiles() {
		if got := readFile(t, filepath.Join(dir, name)); string(got) != content {
			t.Errorf("%s is\n%s\nwant\n%s", name, got, content)
		}
	}
	gi := store.StateFiles()[".gitignore"]
	for _, pattern := range []string{".lock", "*" + fsutil.TempInfix + "*", ".index/"} {
		if !slices.Contains(strings.Split(gi, "\n"), pattern) {
			t.Errorf(".gitignore lacks %q", pattern)
		}
	}
	if got, want := names(t, filepath.Join(dir, id)), []string{".lock", "events", "release.json"}; !slices.Equal(got, want) {
		t.Errorf("release folder holds %v, want %v", got, want)
	}
	header, err := release.EncodeHeader(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, id, "release.json")); !bytes.Equal(got, header) {
		t.Errorf("release.json is\n%s\nwant\n%s", got, header)
	}
	var want []string
	for _, e := range r.Events {
		want = append(want, e.FileName())
		data, err := release.EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(dir, id, "events", e.FileName())); !bytes.Equal(got, data) {
			t.Errorf("events/%s is\n%s\nwant\n%s", e.FileName(), got, data)
		}
	}
	slices.Sort(want)
	if got := eventFiles(t, dir, id); !slices.Equal(got, want) {
		t.Errorf("events/ holds %v, want %v", got, want)
	}
	// The names read as the history, in time order.
	for i, prefix := range []string{"20261125T100000.123456789Z-start-", "20261125T100001.123456789Z-sign-qa-signoff-qa-",
		"20261125T100002.123456789Z-waive-changelog-developer-"} {
		if !strings.HasPrefix(want[i], prefix) || !strings.HasSuffix(want[i], r.Events[i].Hash[:16]+".json") {
			t.Errorf("event file %d is %s, want %s<hash>.json", i, want[i], prefix)
		}
	}
}

// TestTeamStateFilesKept: start works without init, and a team's own
// .gitignore and .gitattributes are never replaced.
func TestTeamStateFilesKept(t *testing.T) {
	s, dir := newStore(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ours := "# the team's\n.lock\n*.tmp-*\n.index/\nnotes/\n"
	writeFile(t, filepath.Join(dir, ".gitignore"), []byte(ours))
	mustCreate(t, s, id, storetest.Checklist())
	mustCreate(t, s, "v1.5.0", storetest.Checklist())
	if got := readFile(t, filepath.Join(dir, ".gitignore")); string(got) != ours {
		t.Errorf(".gitignore replaced by\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, ".gitattributes")); string(got) != store.StateFiles()[".gitattributes"] {
		t.Errorf(".gitattributes is\n%s", got)
	}
}

// TestNoTempFilesLeft: every write, failed ones included, cleans up.
func TestNoTempFilesLeft(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(3))
	mustUpdate(t, s, id, signItem(0, "carol"))
	mustUpdate(t, s, id, func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{storetest.Item(1), storetest.Item(2)}, Role: "qa", Actor: "dave", At: storetest.Tick(9)}, storetest.Open)
	})
	wantCode(t, s.Create(storetest.NewRelease(t, id, storetest.Checklist())), errs.CodeUsage)
	_ = s.Update(id, func(r *release.Release) error { return errs.Usagef("no") })
	if _, err := s.OpenIDs(); err != nil {
		t.Fatal(err)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
}

// TestTempFilesOfKilledWritersIgnored: what a writer killed mid-write
// leaves (a temp event file, a half-built release folder) is not part of
// any release.
func TestTempFilesOfKilledWritersIgnored(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	want := mustLoad(t, s, id)
	events := filepath.Join(dir, id, "events")
	writeFile(t, filepath.Join(events, "20261125T100001.000000000Z-sign-item-0-qa-0123456789abcdef.json"+fsutil.TempInfix+"00112233"), []byte(`{"kind":"sign","ha`))
	writeFile(t, filepath.Join(events, want.Events[0].FileName()+fsutil.TempInfix+"44556677"), nil)
	half := filepath.Join(dir, ".v1.5.0"+fsutil.TempInfix+"1234")
	if err := os.MkdirAll(filepath.Join(half, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(half, "release.json"), []byte("{"))

	r := intact(t, s, id)
	if len(r.Events) != 1 || r.Events[0].Hash != want.Events[0].Hash {
		t.Errorf("events %v", storetest.Hashes(r.Events))
	}
	mustLoad(t, s, id)
	if ids, err := s.IDs(); err != nil || !slices.Equal(ids, []string{id}) {
		t.Errorf("IDs = %v, %v", ids, err)
	}
	if ids, err := s.OpenIDs(); err != nil || !slices.Equal(ids, []string{id}) {
		t.Errorf("OpenIDs = %v, %v", ids, err)
	}
	mustUpdate(t, s, id, signItem(0, "carol"))
}

// outside makes a folder beside the state folder: where a symlink
// committed into the state must not make a write land.
func outside(t *testing.T, dir string) string {
	t.Helper()
	o := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.MkdirAll(o, 0o755); err != nil {
		t.Fatal(err)
	}
	return o
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
}

// TestSymlinkedLockRefused: a .lock committed as a symbolic link to
// another file must not make a writer open, create, truncate or write it.
func TestSymlinkedLockRefused(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		t.Run(fmt.Sprint("dangling=", dangling), func(t *testing.T) {
			s, dir := newStore(t)
			mustCreate(t, s, id, storetest.ItemsChecklist(1))
			out := outside(t, dir)
			target := filepath.Join(out, "precious")
			content := []byte("a file the writer must not touch\n")
			if !dangling {
				writeFile(t, target, content)
			}
			symlink(t, target, filepath.Join(dir, id, ".lock"))
			before, _ := os.Stat(target)
			events := eventFiles(t, dir, id)

			called := false
			err := s.Update(id, func(r *release.Release) error { called = true; return signItem(0, "carol")(r) })
			if err == nil {
				t.Fatal("Update through a symlinked .lock succeeded")
			}
			var link *store.LockLinkError
			if !errors.As(err, &link) || link.Path != filepath.Join(dir, id, ".lock") || errs.Code(err) != errs.CodeRuntime {
				t.Errorf("error %v (%T), want a LockLinkError naming the lock, exit 1", err, err)
			}
			if called {
				t.Error("fn called without the lock")
			}
			if dangling {
				if _, err := os.Lstat(target); err == nil {
					t.Error("the symlink's target was created")
				}
			} else {
				after, err := os.Stat(target)
				if got := readFile(t, target); !bytes.Equal(got, content) || err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
					t.Errorf("the symlink's target changed: %q", got)
				}
			}
			if got := eventFiles(t, dir, id); !slices.Equal(got, events) {
				t.Errorf("events written: %v", got)
			}
		})
	}
}

// TestSymlinkedFoldersRefused: a release folder or an events folder that
// is a symbolic link is an error, for readers and writers, and nothing is
// written where it points.
func TestSymlinkedFoldersRefused(t *testing.T) {
	for _, which := range []string{"release", "events"} {
		t.Run(which, func(t *testing.T) {
			s, dir := newStore(t)
			mustCreate(t, s, id, storetest.ItemsChecklist(1))
			out := outside(t, dir)
			// The link points at a whole copy, so following it would work.
			rel := filepath.Join(dir, id)
			copyTree(t, rel, out)
			link := rel
			if which == "events" {
				link = filepath.Join(rel, "events")
				out = filepath.Join(out, "events")
			} else {
				if err := os.RemoveAll(rel); err != nil {
					t.Fatal(err)
				}
			}
			symlink(t, out, link)
			before := snapshot(t, filepath.Dir(dir))

			_, err := s.Load(id)
			wantErrContains(t, err, link, "not a folder")
			wantCode(t, err, errs.CodeRuntime)
			_, _, err = s.Inspect(id)
			wantErrContains(t, err, link)
			err = s.Update(id, signItem(0, "carol"))
			wantErrContains(t, err, link)
			if which == "release" {
				wantCode(t, s.Create(storetest.NewRelease(t, id, storetest.ItemsChecklist(1))), errs.CodeUsage)
				if ids, _ := s.IDs(); len(ids) != 0 {
					t.Errorf("IDs lists the symlink: %v", ids)
				}
			}
			after := snapshot(t, filepath.Dir(dir))
			delete(after, filepath.Join(dir, id, ".lock")) // the lock is taken in the real release folder
			delete(before, filepath.Join(dir, id, ".lock"))
			sameSnapshot(t, "after reads and writes through a symlink", before, after)
		})
	}
}

// TestSymlinkedFilesRefused: an event file or a release.json that is a
// symbolic link (even to a copy of the right bytes) is an error naming it.
func TestSymlinkedFilesRefused(t *testing.T) {
	for _, which := range []string{"event", "header"} {
		t.Run(which, func(t *testing.T) {
			s, dir := newStore(t)
			r := mustCreate(t, s, id, storetest.ItemsChecklist(1))
			path := filepath.Join(dir, id, "release.json")
			if which == "event" {
				path = filepath.Join(dir, id, "events", r.Events[0].FileName())
			}
			copyOf := filepath.Join(outside(t, dir), "copy.json")
			writeFile(t, copyOf, readFile(t, path))
			symlink(t, copyOf, path)
			before := snapshot(t, dir)

			_, err := s.Load(id)
			wantErrContains(t, err, path)
			wantCode(t, err, errs.CodeRuntime)
			called := false
			err = s.Update(id, func(*release.Release) error { called = true; return nil })
			wantErrContains(t, err, path)
			if called {
				t.Error("fn called on a release that does not load")
			}
			after := snapshot(t, dir)
			delete(after, filepath.Join(dir, id, ".lock"))
			sameSnapshot(t, "after a refused update", before, after)
		})
	}
}

// TestSymlinkedStateFilesKept: a .gitignore or .gitattributes committed as
// a symbolic link is left alone, and its target is never written.
func TestSymlinkedStateFilesKept(t *testing.T) {
	s, dir := newStore(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := outside(t, dir)
	writeFile(t, filepath.Join(out, "gitignore"), []byte("precious\n"))
	symlink(t, filepath.Join(out, "gitignore"), filepath.Join(dir, ".gitignore"))
	symlink(t, filepath.Join(out, "missing"), filepath.Join(dir, ".gitattributes"))
	before := snapshot(t, out)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	sameSnapshot(t, "outside the state folder", before, snapshot(t, out))
}

// TestSymlinkedIndexRefused: the index is local to a machine, but a
// symbolic link committed in its place must not redirect its writes.
func TestSymlinkedIndexRefused(t *testing.T) {
	for _, sub := range []string{"", "open", "closed"} {
		t.Run("link="+filepath.Join(store.IndexDir, sub), func(t *testing.T) {
			s, dir := newStore(t)
			if err := os.MkdirAll(filepath.Join(dir, store.IndexDir), 0o755); err != nil {
				t.Fatal(err)
			}
			out := outside(t, dir)
			symlink(t, out, filepath.Join(dir, store.IndexDir, sub))
			mustCreate(t, s, id, storetest.ItemsChecklist(1))
			mustCreate(t, s, "v1.5.0", storetest.ItemsChecklist(1))
			mustUpdate(t, s, "v1.5.0", closeRelease(release.StatusAborted))
			ids, err := s.OpenIDs()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(ids, id) {
				t.Errorf("OpenIDs = %v misses %s", ids, id)
			}
			if got := tree(t, out); len(got) != 1 {
				t.Errorf("written through the symlink: %v", got[1:])
			}
		})
	}
}

// TestDamagedReleaseNeverWritten: a release whose files do not verify is
// reported, naming the file, and an Update never adds to it.
func TestDamagedReleaseNeverWritten(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, rel string, r *release.Release)
		want   []string // in the error; "FILE" is the damaged event's name
	}{
		{"edited event", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "events", r.Events[1].FileName())
			writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"actor": "carol"`), []byte(`"actor": "mallory"`), 1))
		}, []string{"FILE1", "hash does not match"}},
		{"deleted middle event", func(t *testing.T, rel string, r *release.Release) {
			if err := os.Remove(filepath.Join(rel, "events", r.Events[1].FileName())); err != nil {
				t.Fatal(err)
			}
		}, []string{"FILE2", "parent " + "HASH1" + " is missing"}},
		{"renamed event", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "events", r.Events[2].FileName())
			if err := os.Rename(p, filepath.Join(rel, "events", "20990101T000000.000000000Z-sign-x.json")); err != nil {
				t.Fatal(err)
			}
		}, []string{"20990101T000000.000000000Z-sign-x.json", "name does not match"}},
		{"unparsable event", func(t *testing.T, rel string, r *release.Release) {
			writeFile(t, filepath.Join(rel, "events", r.Events[2].FileName()), []byte(`{"kind": "sign",`))
		}, []string{"state file", "FILE2", "does not parse"}},
		{"unknown field", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "events", r.Events[2].FileName())
			writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`{`), []byte(`{"extra": 1,`), 1))
		}, []string{"FILE2", "does not parse", "extra"}},
		{"oversized event", func(t *testing.T, rel string, r *release.Release) {
			f, err := os.OpenFile(filepath.Join(rel, "events", r.Events[2].FileName()), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(release.MaxEventSize + 1); err != nil {
				t.Fatal(err)
			}
		}, []string{"FILE2", "limit"}},
		{"edited header", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "release.json")
			writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"created_by": "alice@example.com"`), []byte(`"created_by": "mallory"`), 1))
		}, []string{"release.json"}},
		{"unparsable header", func(t *testing.T, rel string, r *release.Release) {
			writeFile(t, filepath.Join(rel, "release.json"), []byte("{"))
		}, []string{"release.json", "does not parse"}},
		{"header of another release", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "release.json")
			writeFile(t, p, bytes.ReplaceAll(readFile(t, p), []byte(`"v1.4.0"`), []byte(`"v9.0.0"`)))
		}, []string{"release.json", "v9.0.0"}},
		{"future format", func(t *testing.T, rel string, r *release.Release) {
			p := filepath.Join(rel, "release.json")
			writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"format": 2`), []byte(`"format": 3`), 1))
		}, []string{"release.json", "newer octorelease"}},
		{"missing header", func(t *testing.T, rel string, r *release.Release) {
			if err := os.Remove(filepath.Join(rel, "release.json")); err != nil {
				t.Fatal(err)
			}
		}, []string{"release.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := newStore(t)
			mustCreate(t, s, id, storetest.ItemsChecklist(4))
			mustUpdate(t, s, id, signItem(0, "carol"))
			mustUpdate(t, s, id, signItem(1, "dave"))
			r := mustLoad(t, s, id)
			rel := filepath.Join(dir, id)
			tc.damage(t, rel, r)
			before := snapshot(t, dir)

			_, err := s.Load(id)
			wantCode(t, err, errs.CodeRuntime)
			for _, part := range tc.want {
				for i, e := range r.Events {
					part = strings.ReplaceAll(part, fmt.Sprint("FILE", i), e.FileName())
					part = strings.ReplaceAll(part, fmt.Sprint("HASH", i), e.Hash[:16])
				}
				wantErrContains(t, err, part)
			}
			called := false
			err = s.Update(id, func(r *release.Release) error { called = true; return signItem(2, "erin")(r) })
			wantCode(t, err, errs.CodeRuntime)
			if called {
				t.Error("fn called on a damaged release")
			}
			sameSnapshot(t, "after an update of a damaged release", before, snapshot(t, dir))
			if tmp := tempFiles(t, dir); tmp != nil {
				t.Errorf("temp files left: %v", tmp)
			}
		})
	}
}

// TestInspectNamesEveryProblem: audit verify sees every damaged file, not
// only the first, with its path inside the release folder.
func TestInspectNamesEveryProblem(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(4))
	for i := range 3 {
		mustUpdate(t, s, id, signItem(i, fmt.Sprint("qa", i)))
	}
	r := mustLoad(t, s, id)
	events := filepath.Join(dir, id, "events")
	p := filepath.Join(events, r.Events[1].FileName())
	writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"actor": "qa0"`), []byte(`"actor": "mallory"`), 1))
	if err := os.Remove(filepath.Join(events, r.Events[2].FileName())); err != nil {
		t.Fatal(err)
	}
	_, damage, err := s.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	got := release.DescribeDamage(damage)
	for _, want := range []string{
		"events/" + r.Events[1].FileName() + ": hash does not match",
		"events/" + r.Events[3].FileName() + ": parent " + r.Events[2].Hash[:16] + " is missing",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("damage %q lacks %q", got, want)
		}
	}
}

// TestNoFileOverTheReadersLimit: refused oversized events leave nothing,
// and the largest accepted one reads back.
func TestNoFileOverTheReadersLimit(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(2))
	huge := strings.Repeat("n", release.MaxTextLen+1)
	err := s.Update(id, func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{storetest.Item(0)}, Role: "qa", Actor: "carol", Note: huge, At: storetest.Tick(1)}, storetest.Open)
	})
	wantCode(t, err, errs.CodeUsage)
	wantErrContains(t, err, "the note", "limit")

	// Evidence up to the event limit is stored and loads.
	link := strings.Repeat("e", release.MaxTextLen)
	fits := make([]string, (release.MaxEventSize-4096)/len(link)-1)
	for i := range fits {
		fits[i] = link
	}
	mustUpdate(t, s, id, func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{storetest.Item(0)}, Role: "qa", Actor: "carol", Evidence: fits, At: storetest.Tick(2)}, storetest.Open)
	})
	// One more link would not fit: refused before anything is written.
	over := append(slices.Clone(fits), link, link)
	err = s.Update(id, func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{storetest.Item(1)}, Role: "qa", Actor: "dave", Evidence: over, At: storetest.Tick(3)}, storetest.Open)
	})
	wantErrContains(t, err, "limit")
	r := mustLoad(t, s, id)
	if len(r.Events) != 2 {
		t.Fatalf("%d events, want 2", len(r.Events))
	}
	for _, name := range eventFiles(t, dir, id) {
		if fi, err := os.Stat(filepath.Join(dir, id, "events", name)); err != nil || fi.Size() > release.MaxEventSize {
			t.Errorf("%s: %v bytes (%v), over the limit", name, fi.Size(), err)
		}
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
}

// TestUnreadableOthersDoNotMatter: reading, writing and inspecting a
// release touch its folder (and its runs') only: 200 other releases that
// do not even parse change nothing.
func TestUnreadableOthersDoNotMatter(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	for i := range 200 {
		other := filepath.Join(dir, fmt.Sprintf("v0.%d.0", i))
		if err := os.MkdirAll(filepath.Join(other, "events"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(other, "release.json"), []byte("not json"))
	}
	mustUpdate(t, s, id, signItem(0, "carol"))
	intact(t, s, id)
	if r := mustLoad(t, s, id); len(r.Events) != 2 {
		t.Errorf("%d events", len(r.Events))
	}
}

// TestWritesAreDurable: every file the store writes goes through one
// fsutil write (temp file, write, sync, close, link, folder sync); a new
// release's folder is synced before its rename and the state folder
// after it.
func TestWritesAreDurable(t *testing.T) {
	s, dir := newStore(t)
	random := regexp.MustCompile(regexp.QuoteMeta(fsutil.TempInfix) + `[0-9a-f]+`)
	trace := func(fn func()) []string {
		var got []string
		restore := fsutil.TraceForTest(func(name, path string) {
			p, _ := filepath.Rel(dir, path)
			got = append(got, name+" "+random.ReplaceAllString(filepath.ToSlash(p), fsutil.TempInfix+"*"))
		})
		defer restore()
		fn()
		return got
	}
	write := func(path string) []string {
		tmp := path + fsutil.TempInfix + "*"
		return []string{"create " + tmp, "write " + tmp, "sync " + tmp, "close " + tmp, "link " + path, "remove " + tmp,
			"syncdir " + filepath.ToSlash(filepath.Dir(path))}
	}

	var r *release.Release
	got := trace(func() { r = mustCreate(t, s, id, storetest.ItemsChecklist(1)) })
	var state []string // the first Create writes the state files, in any order
	for len(got) >= 7 && strings.HasPrefix(got[4], "link .git") {
		state = append(state, strings.TrimPrefix(got[4], "link "))
		if !slices.Equal(got[:7], write(state[len(state)-1])) {
			t.Errorf("Create writes %s as %v", state[len(state)-1], got[:7])
		}
		got = got[7:]
	}
	if slices.Sort(state); !slices.Equal(state, []string{".gitattributes", ".gitignore"}) {
		t.Errorf("Create wrote the state files %v", state)
	}
	tmp := "." + id + fsutil.TempInfix + "*"
	want := append(write(tmp+"/release.json"), write(tmp+"/events/"+r.Events[0].FileName())...)
	want = append(want, "syncdir "+tmp, "syncdir .")
	if !slices.Equal(got, want) {
		t.Errorf("Create's steps\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	got = trace(func() { mustUpdate(t, s, id, signItem(0, "carol")) })
	want = write(id + "/events/" + mustLoad(t, s, id).Events[1].FileName())
	if !slices.Equal(got, want) {
		t.Errorf("Update's steps\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFormat1ReadableNotWritable: a release still in format 1 (one
// <id>.json, SPEC §12) is listed and loads, is in OpenIDs while in
// progress, and a write says to migrate, changing nothing.
func TestFormat1ReadableNotWritable(t *testing.T) {
	s, dir := newStore(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := readFile(t, filepath.Join("..", "legacy", "testdata", "state", id+".json"))
	writeFile(t, filepath.Join(dir, id+".json"), old)
	mustCreate(t, s, "v1.5.0", storetest.ItemsChecklist(1))

	if ids, err := s.IDs(); err != nil || !slices.Equal(ids, []string{id, "v1.5.0"}) {
		t.Errorf("IDs = %v, %v", ids, err)
	}
	r := mustLoad(t, s, id)
	if r.Meta.ID != id || r.Status() != release.StatusInProgress {
		t.Errorf("loaded %s, status %s", r.Meta.ID, r.Status())
	}
	wantOpen(t, s, id, "v1.5.0")
	err := s.Update(id, func(*release.Release) error { t.Error("fn called"); return nil })
	wantCode(t, err, errs.CodeUsage)
	var f1 *store.Format1Error
	if !errors.As(err, &f1) || f1.ID != id || f1.Path != filepath.Join(dir, id+".json") {
		t.Errorf("error %v (%T), want a Format1Error naming %s", err, err, filepath.Join(dir, id+".json"))
	}
	wantCode(t, s.Create(storetest.NewRelease(t, id, storetest.Checklist())), errs.CodeUsage)
	if got := readFile(t, filepath.Join(dir, id+".json")); !bytes.Equal(got, old) {
		t.Error("the format-1 file changed")
	}
	if _, err := os.Lstat(filepath.Join(dir, id)); err == nil {
		t.Error("a format-2 folder appeared for the format-1 release")
	}
}

// TestDamagedIsTyped: a release whose events do not assemble is a
// DamagedError naming the release, its problems and its events folder
// (where the other creation of a release created twice is removed).
func TestDamagedIsTyped(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(2))
	mustUpdate(t, s, id, signItem(0, "carol"))
	r := mustLoad(t, s, id)
	p := filepath.Join(dir, id, "events", r.Events[1].FileName())
	writeFile(t, p, bytes.Replace(readFile(t, p), []byte(`"actor": "carol"`), []byte(`"actor": "mallory"`), 1))

	_, err := s.Load(id)
	var d *store.DamagedError
	if !errors.As(err, &d) {
		t.Fatalf("error %v (%T), want a DamagedError", err, err)
	}
	if d.ID != id || d.EventDir != filepath.Join(dir, id, "events") || len(d.Damage) != 1 || d.Damage[0].File != r.Events[1].FileName() {
		t.Errorf("DamagedError %+v", d)
	}
	if errs.Code(err) != errs.CodeRuntime {
		t.Errorf("exit code %d, want %d", errs.Code(err), errs.CodeRuntime)
	}
}
