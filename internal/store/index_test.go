package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

func openIDs(t *testing.T, s *store.FileStore) []string {
	t.Helper()
	ids, err := s.OpenIDs()
	if err != nil {
		t.Fatalf("OpenIDs: %v", err)
	}
	return ids
}

func wantOpen(t *testing.T, s *store.FileStore, want ...string) {
	t.Helper()
	if got := openIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("OpenIDs = %v, want %v", got, want)
	}
}

// settle makes the index keep its stamp, which it does not for folders
// changed within the last moments (they may change again within the same
// timestamp tick): the folders' times are set an hour back and the index
// is used once. Later changes then have to be noticed through the stamp.
func settle(t *testing.T, s *store.FileStore, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	openIDs(t, s) // makes .index/open if need be
	for _, p := range []string{dir, filepath.Join(dir, store.IndexDir, "open")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	openIDs(t, s)
	if _, err := os.Stat(filepath.Join(dir, store.IndexDir, "stamp")); err != nil {
		t.Fatalf("the index kept no stamp: %v", err)
	}
}

// clone copies the state folder as a git clone would: without the local
// index and locks.
func clone(t *testing.T, dir string) (*store.FileStore, string) {
	t.Helper()
	other := filepath.Join(t.TempDir(), "clone")
	copyTree(t, dir, other)
	return store.NewFileStore(other, store.Options{Actor: "other"}), other
}

// newEventFiles lists the event files of id in dir that are not in before.
func newEventFiles(t *testing.T, dir, id string, before []string) []string {
	t.Helper()
	var out []string
	for _, n := range eventFiles(t, dir, id) {
		if !slices.Contains(before, n) {
			out = append(out, n)
		}
	}
	return out
}

// TestOpenIDsClosedOnAnotherClone: a release finished on another clone
// and pulled (its status event file arrives) drops out of OpenIDs, though
// nothing changed at the state folder's level.
func TestOpenIDsClosedOnAnotherClone(t *testing.T) {
	for _, status := range []string{release.StatusReleased, release.StatusAborted} {
		t.Run(status, func(t *testing.T) {
			s, dir := newStore(t)
			mustCreate(t, s, id, storetest.ItemsChecklist(1))
			mustCreate(t, s, "v1.5.0", storetest.ItemsChecklist(1))
			mustUpdate(t, s, id, signItem(0, "carol"))
			other, otherDir := clone(t, dir)
			before := eventFiles(t, otherDir, id)
			mustUpdate(t, other, id, closeRelease(status))
			pulled := newEventFiles(t, otherDir, id, before)
			if len(pulled) != 1 {
				t.Fatalf("the close wrote %v", pulled)
			}
			settle(t, s, dir)
			wantOpen(t, s, id, "v1.5.0")

			writeFile(t, filepath.Join(dir, id, "events", pulled[0]), readFile(t, filepath.Join(otherDir, id, "events", pulled[0])))
			wantOpen(t, s, "v1.5.0")
			wantOpen(t, s, "v1.5.0")
			if st := mustLoad(t, s, id).Status(); st != status {
				t.Errorf("status %s after the pull, want %s", st, status)
			}
		})
	}
}

// TestOpenIDsSeesPulledReleases: release folders that arrive from git
// (a pull, a checkout) are classified: an open one is listed, a closed
// one is not.
func TestOpenIDsSeesPulledReleases(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	other, otherDir := clone(t, dir)
	mustCreate(t, other, "v1.5.0", storetest.ItemsChecklist(1))
	mustCreate(t, other, "v1.6.0", storetest.ItemsChecklist(1))
	mustUpdate(t, other, "v1.6.0", closeRelease(release.StatusAborted))
	mustCreate(t, other, "v1.5.0-incident-1", storetest.IncidentChecklist())
	settle(t, s, dir)
	wantOpen(t, s, id)

	for _, pulled := range []string{"v1.5.0", "v1.6.0", "v1.5.0-incident-1"} {
		copyTree(t, filepath.Join(otherDir, pulled), filepath.Join(dir, pulled))
	}
	wantOpen(t, s, id, "v1.5.0", "v1.5.0-incident-1")
	wantOpen(t, s, id, "v1.5.0", "v1.5.0-incident-1")

	// A release removed (a reset, a checkout of another branch) is gone.
	if err := os.RemoveAll(filepath.Join(dir, "v1.5.0")); err != nil {
		t.Fatal(err)
	}
	wantOpen(t, s, id, "v1.5.0-incident-1")
}

// TestOpenIDsRebuildsIndex: the index is a cache: deleted, or emptied of
// one marker with its stamp left in place, it is rebuilt with the same
// answer.
func TestOpenIDsRebuildsIndex(t *testing.T) {
	setup := func(t *testing.T) (*store.FileStore, string) {
		s, dir := newStore(t)
		for _, v := range []string{"v1.3.0", id, "v1.5.0", "v1.6.0"} {
			mustCreate(t, s, v, storetest.ItemsChecklist(1))
		}
		mustUpdate(t, s, "v1.3.0", signItem(0, "carol"))
		mustUpdate(t, s, "v1.3.0", closeRelease(release.StatusReleased))
		mustUpdate(t, s, "v1.6.0", closeRelease(release.StatusAborted))
		settle(t, s, dir)
		wantOpen(t, s, id, "v1.5.0")
		return s, dir
	}
	t.Run("deleted", func(t *testing.T) {
		s, dir := setup(t)
		if err := os.RemoveAll(filepath.Join(dir, store.IndexDir)); err != nil {
			t.Fatal(err)
		}
		wantOpen(t, s, id, "v1.5.0")
		for _, m := range []string{"open/" + id, "open/v1.5.0", "closed/v1.3.0", "closed/v1.6.0"} {
			if _, err := os.Stat(filepath.Join(dir, store.IndexDir, m)); err != nil {
				t.Errorf("marker %s not rebuilt: %v", m, err)
			}
		}
	})
	for _, which := range []string{"open/" + id, "closed/v1.3.0", "stamp"} {
		t.Run("removed "+which, func(t *testing.T) {
			s, dir := setup(t)
			if err := os.Remove(filepath.Join(dir, store.IndexDir, which)); err != nil {
				t.Fatal(err)
			}
			wantOpen(t, s, id, "v1.5.0")
			wantOpen(t, s, id, "v1.5.0")
		})
	}
	t.Run("emptied", func(t *testing.T) {
		s, dir := setup(t)
		for _, kind := range []string{"open", "closed"} {
			p := filepath.Join(dir, store.IndexDir, kind)
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		wantOpen(t, s, id, "v1.5.0")
	})
}

// TestOpenIDsForgedClosedMarker: a closed marker the store did not write
// (copied with a clone, committed with `git add -f`) hides no release: it
// must name a status event the release really has.
func TestOpenIDsForgedClosedMarker(t *testing.T) {
	s, dir := newStore(t)
	r := mustCreate(t, s, id, storetest.ItemsChecklist(1))
	mustCreate(t, s, "v1.5.0", storetest.ItemsChecklist(1))
	mustUpdate(t, s, "v1.5.0", closeRelease(release.StatusAborted))
	closed := filepath.Join(dir, store.IndexDir, "closed")
	if err := os.MkdirAll(closed, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"missing event": "20261125T100000.000000000Z-status-released-0123456789abcdef.json",
		"start event":   r.Events[0].FileName(),
		"traversal":     "../../v1.5.0/events/" + eventFiles(t, dir, "v1.5.0")[1],
		"empty":         "",
	} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(closed, id), []byte(content))
			_ = os.RemoveAll(filepath.Join(dir, store.IndexDir, "open"))
			_ = os.Remove(filepath.Join(dir, store.IndexDir, "stamp"))
			wantOpen(t, s, id)
		})
	}
}

// TestOpenIDsListsUnreadableReleases: a release that does not parse is
// listed, so that the command reports it rather than hiding it.
func TestOpenIDsListsUnreadableReleases(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	if err := os.RemoveAll(filepath.Join(dir, store.IndexDir)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, id, "release.json"), []byte("{"))
	wantOpen(t, s, id)
}

// TestOpenIDsSkipsClosedReleases: once the index knows a release is
// closed, OpenIDs does not read it again; here, closed releases whose
// headers no longer parse neither appear nor cause an error.
func TestOpenIDsSkipsClosedReleases(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	for i := range 30 {
		v := fmt.Sprintf("v0.%d.0", i)
		mustCreate(t, s, v, storetest.ItemsChecklist(1))
		mustUpdate(t, s, v, closeRelease(release.StatusAborted))
	}
	wantOpen(t, s, id)
	for i := range 30 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("v0.%d.0", i), "release.json"), []byte("not json"))
	}
	_ = os.Remove(filepath.Join(dir, store.IndexDir, "stamp"))
	wantOpen(t, s, id)
}

// TestOpenIDsNeverMissesACreatedRelease: a release whose Create returned
// is in every OpenIDs answer that starts after it, whatever the index's
// stamp and scans were doing meanwhile.
func TestOpenIDsNeverMissesACreatedRelease(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	const n = 40
	var created atomic.Int32
	done := make(chan error, 1)
	go func() {
		w := store.NewFileStore(dir, store.Options{})
		for i := range n {
			r := storetest.NewRelease(t, fmt.Sprintf("v2.%d.0", i), storetest.ItemsChecklist(1))
			if err := w.Create(r); err != nil {
				done <- err
				return
			}
			created.Store(int32(i + 1))
		}
		done <- nil
	}()
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		k := int(created.Load())
		ids := openIDs(t, s)
		for i := range k {
			if v := fmt.Sprintf("v2.%d.0", i); !slices.Contains(ids, v) {
				t.Fatalf("OpenIDs = %v misses %s, created before it started", ids, v)
			}
		}
	}
	if ids := openIDs(t, s); len(ids) != n+1 {
		t.Errorf("%d open ids, want %d", len(ids), n+1)
	}
}

// TestOpenIDsAfterCheckoutOfAnOlderState is a known limitation: a release
// closed here and then reopened by checking out a branch where it is not
// closed (its status event file goes away; nothing at the state folder's
// level changes) stays hidden until the next scan. Detecting it would mean
// looking at every closed release on every call.
func TestOpenIDsAfterCheckoutOfAnOlderState(t *testing.T) {
	s, dir := newStore(t)
	mustCreate(t, s, id, storetest.ItemsChecklist(1))
	before := eventFiles(t, dir, id)
	mustUpdate(t, s, id, closeRelease(release.StatusAborted))
	closing := newEventFiles(t, dir, id, before)
	settle(t, s, dir)
	wantOpen(t, s)
	if err := os.Remove(filepath.Join(dir, id, "events", closing[0])); err != nil {
		t.Fatal(err)
	}
	if ids := openIDs(t, s); !slices.Contains(ids, id) {
		t.Skipf("known limitation: OpenIDs = %v hides %s, reopened by a checkout, until the next scan", ids, id)
	}
}

// TestOpenIDsItemNamedLikeAStatus: the index reads an event's kind from
// its file name, where an item or a role may be called "status-released".
func TestOpenIDsItemNamedLikeAStatus(t *testing.T) {
	s, dir := newStore(t)
	cl := storetest.ItemsChecklist(1)
	cl.Phases[0].Items[0].ID = "status-released"
	cl.Phases[0].Items[0].Roles = []string{"status-aborted"}
	mustCreate(t, s, id, cl)
	mustUpdate(t, s, id, storetest.Sign("status-released", "status-aborted", "carol", storetest.Tick(1)))
	if err := os.RemoveAll(filepath.Join(dir, store.IndexDir)); err != nil {
		t.Fatal(err)
	}
	wantOpen(t, s, id)
	wantOpen(t, s, id)
}
