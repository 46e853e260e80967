package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
)

func TestCreateAndLoad(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")

	r, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if r.Meta.ID != "v1.4.0" || r.Serial != 1 || len(r.Events) != 1 {
		t.Fatalf("loaded id %q serial %d events %d", r.Meta.ID, r.Serial, len(r.Events))
	}
	if p := r.Verify(); p != nil {
		t.Fatalf("chain: %v", p)
	}
	data := readFile(t, filepath.Join(dir, "v1.4.0.json"))
	if p := release.VerifyBytes(data); p != nil {
		t.Fatalf("file not canonical: %v", p)
	}
	raw, rr, err := s.LoadRaw("v1.4.0")
	if err != nil || !bytes.Equal(raw, data) || rr.Meta.ID != "v1.4.0" {
		t.Fatalf("LoadRaw: %v, same bytes %v", err, bytes.Equal(raw, data))
	}
	_, _, err = s.LoadRaw("../x")
	wantCode(t, err, errs.CodeUsage)
	for _, name := range []string{"v1.4.0.json.lock", ".index/in-progress/v1.4.0"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.4.0.json.bak")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new release has no backup, got %v", err)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestCreateExistingIsUsageError(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	path := filepath.Join(dir, "v1.4.0.json")
	before := readFile(t, path)

	other := newRelease("v1.4.0")
	other.Meta.Summary = "second"
	e := wantCode(t, s.Create(other), errs.CodeUsage)
	if !strings.Contains(e.Error(), "already exists") {
		t.Errorf("message %q", e)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("existing release was overwritten")
	}
}

func TestUpdateKeepsBackupAndGrowsSerial(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	path := filepath.Join(dir, "v1.4.0.json")

	for i := 2; i <= 4; i++ {
		prev := readFile(t, path)
		if err := s.Update("v1.4.0", signBy(fmt.Sprint("qa", i))); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path+".bak"); !bytes.Equal(got, prev) {
			t.Fatalf("update %d: .bak is not the previous version", i)
		}
		r, err := s.Load("v1.4.0")
		if err != nil {
			t.Fatal(err)
		}
		if r.Serial != int64(i) || len(r.Events) != i {
			t.Fatalf("update %d: serial %d, %d events", i, r.Serial, len(r.Events))
		}
		if p := release.VerifyBytes(readFile(t, path)); p != nil {
			t.Fatalf("update %d: %v", i, p)
		}
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestUpdateWithoutChangeWritesNothing(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	path := filepath.Join(dir, "v1.4.0.json")
	before, _ := os.Stat(path)

	called := false
	err := s.Update("v1.4.0", func(r *release.Release) error {
		called = true
		r.Serial = 99 // the serial is the store's business, not a change
		return nil
	})
	if err != nil || !called {
		t.Fatalf("Update: %v (fn called: %v)", err, called)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Error("file was rewritten")
	}
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Error("a backup was made without a write")
	}
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	path := filepath.Join(dir, "v1.4.0.json")
	before := readFile(t, path)

	refused := errs.Policyf("not a member of qa")
	err := s.Update("v1.4.0", func(r *release.Release) error {
		_ = signBy("mallory")(r)
		return refused
	})
	if err != refused {
		t.Fatalf("got %v, want fn's own error", err)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("file changed although fn failed")
	}
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Error("a backup was made although fn failed")
	}
}

func TestUpdateRefusesIDChange(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	before := readFile(t, filepath.Join(dir, "v1.4.0.json"))
	err := s.Update("v1.4.0", func(r *release.Release) error {
		r.Meta.ID = "v2.0.0"
		return nil
	})
	wantCode(t, err, errs.CodeRuntime)
	if !bytes.Equal(readFile(t, filepath.Join(dir, "v1.4.0.json")), before) {
		t.Error("file changed")
	}
}

func TestUnparsableFileIsNeverOverwritten(t *testing.T) {
	valid := func() []byte {
		b, err := release.Encode(newRelease("v1.4.0"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}()
	cases := map[string][]byte{
		"empty":         {},
		"blank":         []byte(" \n\t\n"),
		"truncated":     valid[:len(valid)/2],
		"garbage":       []byte("not json at all"),
		"future format": bytes.Replace(valid, []byte(`"format": 1`), []byte(`"format": 7`), 1),
		"unknown field": bytes.Replace(valid, []byte(`"serial"`), []byte(`"extra": 1, "serial"`), 1),
		"other release": bytes.ReplaceAll(valid, []byte(`"v1.4.0"`), []byte(`"v9.0.0"`)),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			s, dir := newStore(t)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "v1.4.0.json")
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}

			_, err := s.Load("v1.4.0")
			e := wantCode(t, err, errs.CodeRuntime)
			if want := "state file " + path + " does not parse"; !strings.HasPrefix(e.Error(), want) {
				t.Errorf("Load: %q, want prefix %q", e, want)
			}

			called := false
			err = s.Update("v1.4.0", func(r *release.Release) error { called = true; return nil })
			wantCode(t, err, errs.CodeRuntime)
			if called {
				t.Error("fn called on an unparsable release")
			}
			if !bytes.Equal(readFile(t, path), content) {
				t.Error("unparsable file was overwritten")
			}
		})
	}
}

func TestUnparsableHintsAtBackup(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	if err := s.Update("v1.4.0", signBy("carol")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "v1.4.0.json")
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load("v1.4.0")
	if h := errs.Hint(err); !strings.Contains(h, path+".bak") {
		t.Errorf("hint %q does not name the backup", h)
	}
}

func TestOversizedFileIsRefused(t *testing.T) {
	s, dir := newStore(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "v1.4.0.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: cheap
		t.Fatal(err)
	}
	f.Close()
	_, err = s.Load("v1.4.0")
	e := wantCode(t, err, errs.CodeRuntime)
	if !strings.Contains(e.Error(), "64 MiB") {
		t.Errorf("message %q", e)
	}
}

func TestMissingReleaseIsUsageError(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")

	_, err := s.Load("v9.9.9")
	e := wantCode(t, err, errs.CodeUsage)
	if want := fmt.Sprintf("no release %q in %s", "v9.9.9", dir); e.Error() != want {
		t.Errorf("message %q, want %q", e, want)
	}
	if !strings.Contains(e.Hint, "octorelease list --all") {
		t.Errorf("hint %q", e.Hint)
	}

	wantCode(t, s.Update("v9.9.9", signBy("x")), errs.CodeUsage)
	if _, err := os.Stat(filepath.Join(dir, "v9.9.9.json.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Update of a missing release left a lock file")
	}

	// A store folder that does not exist yet is an empty store.
	empty := NewFileStore(filepath.Join(t.TempDir(), "none"), Options{})
	_, err = empty.Load("v1.0.0")
	wantCode(t, err, errs.CodeUsage)
	if ids, err := empty.IDs(); err != nil || ids != nil {
		t.Errorf("IDs of a missing folder: %v, %v", ids, err)
	}
	if ids, err := empty.IDsWithStatus(release.StatusInProgress); err != nil || ids != nil {
		t.Errorf("IDsWithStatus of a missing folder: %v, %v", ids, err)
	}
}

func TestInvalidIDsTouchNothing(t *testing.T) {
	bad := []string{
		"", ".", "..", "../x", "../../etc/passwd", "/etc/passwd", "a/b", `a\b`,
		"a\x00b", ".hidden", "-flag", "v1..0", "v1 0", "v1.4.0\n",
		strings.Repeat("a", 10000), strings.Repeat("a", 129),
		"v1.json", "v1.json.tmp-0011", "v1.JSON.bak", "v1.0.0-a.json.tmp-1",
		"1.4.0", "latest", strings.Repeat("a", 128),
	}
	root := t.TempDir()
	dir := filepath.Join(root, "state")
	s := NewFileStore(dir, Options{})
	before := tree(t, root)
	for _, id := range bad {
		_, err := s.Load(id)
		e := wantCode(t, err, errs.CodeUsage)
		if !strings.HasPrefix(e.Error(), "invalid release id") || len(e.Error()) > 200 {
			t.Errorf("Load(%.20q): message %.300q", id, e)
		}
		wantCode(t, s.Update(id, signBy("x")), errs.CodeUsage)
		r := newRelease("v1.0.0")
		r.Meta.ID = id
		wantCode(t, s.Create(r), errs.CodeUsage)
	}
	if after := tree(t, root); !slices.Equal(before, after) {
		t.Errorf("invalid ids created files: %v", after)
	}
	for _, id := range []string{"v1.4.0", "v1.4.0-rc.1", "v1.4.0-incident-2", "v10.20.30"} {
		if err := checkID(id); err != nil {
			t.Errorf("checkID(%q): %v", id, err)
		}
	}
}

func TestIDsListsOnlyReleases(t *testing.T) {
	s, dir := newStore(t)
	for _, id := range []string{"v1.10.0", "v1.2.0", "v1.2.0-incident-1"} {
		mustCreate(t, s, id)
	}
	if err := s.Update("v1.2.0", signBy("carol")); err != nil {
		t.Fatal(err)
	}
	for _, junk := range []string{"v1.2.0.json.tmp-0123abcd", "notes.md", ".json", "x.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, junk), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	ids, err := s.IDs()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"v1.10.0", "v1.2.0", "v1.2.0-incident-1"}; !slices.Equal(ids, want) {
		t.Errorf("IDs = %v, want %v", ids, want)
	}
}

func TestStatusIndex(t *testing.T) {
	s, dir := newStore(t)
	for _, id := range []string{"v1.3.0", "v1.4.0", "v2.0.0"} {
		mustCreate(t, s, id)
	}
	check := func(status string, want ...string) {
		t.Helper()
		ids, err := s.IDsWithStatus(status)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("IDsWithStatus(%s) = %v, want %v", status, ids, want)
		}
	}
	check(release.StatusInProgress, "v1.3.0", "v1.4.0", "v2.0.0")
	check(release.StatusReleased)

	if err := s.Update("v1.3.0", setStatus(release.StatusReleased)); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("v2.0.0", setStatus(release.StatusAborted)); err != nil {
		t.Fatal(err)
	}
	check(release.StatusInProgress, "v1.4.0")
	check(release.StatusReleased, "v1.3.0")
	check(release.StatusAborted, "v2.0.0")

	// A refused update leaves the index as it was.
	err := s.Update("v1.4.0", func(r *release.Release) error {
		_ = setStatus(release.StatusIncident)(r)
		r.Meta.ID = "broken" // refused after the fn, before any write
		return nil
	})
	wantCode(t, err, errs.CodeRuntime)
	check(release.StatusInProgress, "v1.4.0")

	// A lost index is rebuilt from the releases themselves.
	if err := os.RemoveAll(filepath.Join(dir, indexDir)); err != nil {
		t.Fatal(err)
	}
	check(release.StatusInProgress, "v1.4.0")
	check(release.StatusReleased, "v1.3.0")
	if _, err := os.Stat(filepath.Join(dir, indexDir, indexBuilt)); err != nil {
		t.Errorf("rebuilt index not marked complete: %v", err)
	}

	// Markers of releases whose file is gone are dropped from the answer.
	if err := os.Remove(filepath.Join(dir, "v1.4.0.json")); err != nil {
		t.Fatal(err)
	}
	check(release.StatusInProgress)

	for _, bad := range []string{"", "../x", "a/b", ".built"} {
		_, err := s.IDsWithStatus(bad)
		wantCode(t, err, errs.CodeUsage)
	}
}

func TestConcurrentGoroutinesSerialise(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	const workers, each = 6, 5
	var wg sync.WaitGroup
	errc := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := NewFileStore(dir, Options{Actor: fmt.Sprint("g", w)})
			for i := range each {
				errc <- st.Update("v1.4.0", signBy(fmt.Sprintf("g%d-%d", w, i)))
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Load("v1.4.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 1+workers*each || r.Serial != 1+workers*each {
		t.Fatalf("%d events, serial %d", len(r.Events), r.Serial)
	}
	if p := r.Verify(); p != nil {
		t.Fatal(p)
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	path := filepath.Join(dir, "v1.4.0.json")
	before := readFile(t, path)

	holder := child(t, "hold", dir, "v1.4.0", "alice")
	stdin := startChildUntil(t, holder, "locked")

	waiter := NewFileStore(dir, Options{LockTimeout: 300 * time.Millisecond, Actor: "bob"})
	start := time.Now()
	called := false
	err := waiter.Update("v1.4.0", func(*release.Release) error { called = true; return nil })
	waited := time.Since(start)
	e := wantCode(t, err, errs.CodeRuntime)
	host, _ := os.Hostname()
	want := fmt.Sprintf(`^release v1\.4\.0 is locked by alice on %s \(pid %d\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`,
		regexp.QuoteMeta(host), holder.Process.Pid)
	if !regexp.MustCompile(want).MatchString(e.Error()) {
		t.Errorf("message %q, want %s", e, want)
	}
	if e.Hint != "try again, or raise --lock-timeout" {
		t.Errorf("hint %q", e.Hint)
	}
	if called || waited < 300*time.Millisecond || waited > 5*time.Second {
		t.Errorf("fn called %v, waited %v", called, waited)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Error("file changed while locked by another")
	}

	// Create waits for the same lock.
	wantCode(t, waiter.Create(newRelease("v1.4.0")), errs.CodeRuntime)

	// Released normally: the next writer gets in and the holder line is gone.
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := waiter.Update("v1.4.0", signBy("bob")); err != nil {
		t.Fatal(err)
	}
	if b := readFile(t, path+".lock"); len(b) != 0 {
		t.Errorf("lock file keeps %q after release", b)
	}
}

func TestKilledHolderLeavesNoStaleLock(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")

	crasher := child(t, "crash", dir, "v1.4.0", "alice")
	startChildUntil(t, crasher, "ready")
	if len(tempFiles(t, dir)) != 1 {
		t.Fatalf("crasher left no temp file: %v", tempFiles(t, dir))
	}
	if err := crasher.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = crasher.Wait()

	next := NewFileStore(dir, Options{LockTimeout: time.Second, Actor: "bob"})
	if err := next.Update("v1.4.0", signBy("bob")); err != nil {
		t.Fatalf("after a killed holder: %v", err)
	}
	if tmp := tempFiles(t, dir); tmp != nil {
		t.Errorf("next writer left the killed writer's temp files: %v", tmp)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.4.0.json.lock")); err != nil {
		t.Errorf("lock file must be permanent: %v", err)
	}
	r, err := s.Load("v1.4.0")
	if err != nil || r.Verify() != nil || r.Serial != 2 {
		t.Fatalf("after recovery: %v, serial %d", err, r.Serial)
	}
}

func TestIndexRebuildWithUnparsableRelease(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, "v1.3.0")
	mustCreate(t, s, "v1.4.0")
	good := readFile(t, filepath.Join(dir, "v1.4.0.json"))
	if err := os.WriteFile(filepath.Join(dir, "v1.4.0.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, indexDir)); err != nil {
		t.Fatal(err)
	}

	// The broken release is a candidate for every status, so its load reports it.
	for _, st := range []string{release.StatusInProgress, release.StatusReleased} {
		ids, err := s.IDsWithStatus(st)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, "v1.4.0") {
			t.Errorf("IDsWithStatus(%s) = %v: the unparsable release is missing", st, ids)
		}
	}
	built := filepath.Join(dir, indexDir, indexBuilt)
	if _, err := os.Stat(built); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("index marked complete while a release could not be read")
	}

	if err := os.WriteFile(filepath.Join(dir, "v1.4.0.json"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	ids, err := s.IDsWithStatus(release.StatusReleased)
	if err != nil || ids != nil {
		t.Fatalf("after the fix: %v, %v", ids, err)
	}
	if _, err := os.Stat(built); err != nil {
		t.Fatalf("index not marked complete after the fix: %v", err)
	}
}

func TestIndexRebuildInReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores folder permissions")
	}
	s, dir := newStore(t)
	mustCreate(t, s, "v1.4.0")
	if err := os.RemoveAll(filepath.Join(dir, indexDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	ids, err := s.IDsWithStatus(release.StatusInProgress)
	if err != nil || !slices.Equal(ids, []string{"v1.4.0"}) {
		t.Fatalf("read-only folder: %v, %v", ids, err)
	}
}
