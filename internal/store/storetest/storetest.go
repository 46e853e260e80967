// Package storetest is the contract every store.Store backend must keep,
// in the manner of restic's internal/backend/test: one suite, run against
// the file store in temp folders and against PostgreSQL on a real server.
// A behaviour a user relies on is pinned here, not in one backend's tests.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// Run runs the contract against the backend open returns: an empty store
// for each subtest, cleaned up by the test's own Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"EmptyStore", testEmptyStore},
		{"CreateThenLoad", testCreateThenLoad},
		{"CreateStoresEveryPendingEvent", testCreateStoresEveryPendingEvent},
		{"CreateExisting", testCreateExisting},
		{"InvalidIDs", testInvalidIDs},
		{"UpdateAppendsExactlyPending", testUpdateAppendsExactlyPending},
		{"UpdateFnFails", testUpdateFnFails},
		{"UpdateRecordsNothing", testUpdateRecordsNothing},
		{"UpdateMissing", testUpdateMissing},
		{"UpdateMustNotChangeID", testUpdateMustNotChangeID},
		{"UpdateNeverRewritesHeader", testUpdateNeverRewritesHeader},
		{"RoundTripByteExact", testRoundTripByteExact},
		{"IDsSorted", testIDsSorted},
		{"OpenIDs", testOpenIDs},
		{"IncidentRuns", testIncidentRuns},
		{"InspectIntact", testInspectIntact},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentCreates", testConcurrentCreates},
		{"LoadedReleaseIsACopy", testLoadedReleaseIsACopy},
		{"EventSizeLimit", testEventSizeLimit},
		{"ManyOtherReleases", testManyOtherReleases},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// create stores r, failing the test on an error.
func create(t *testing.T, s store.Store, r *release.Release) {
	t.Helper()
	if err := s.Create(r); err != nil {
		t.Fatalf("Create(%s): %v", r.Meta.ID, err)
	}
}

func load(t *testing.T, s store.Store, id string) *release.Release {
	t.Helper()
	r, err := s.Load(id)
	if err != nil {
		t.Fatalf("Load(%s): %v", id, err)
	}
	return r
}

// update runs fn in an Update of id and returns the events fn recorded.
func update(t *testing.T, s store.Store, id string, fn func(*release.Release) error) []release.Event {
	t.Helper()
	var recorded []release.Event
	err := s.Update(id, func(r *release.Release) error {
		if err := fn(r); err != nil {
			return err
		}
		recorded = slices.Clone(r.Pending())
		return nil
	})
	if err != nil {
		t.Fatalf("Update(%s): %v", id, err)
	}
	return recorded
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want exit code %d", what, code)
	}
	if got := errs.Code(err); got != code {
		t.Fatalf("%s: %v has exit code %d, want %d", what, err, got, code)
	}
}

// wantNotFound fails unless err is the store's NotFoundError for id,
// with the exit code of an unknown release.
func wantNotFound(t *testing.T, what string, err error, id string) {
	t.Helper()
	wantCode(t, what, err, errs.CodeUsage)
	var nf *store.NotFoundError
	if !errors.As(err, &nf) || nf.ID != id || nf.In == "" {
		t.Fatalf("%s: %v (%T), want a NotFoundError for %s", what, err, err, id)
	}
}

// sameEvents fails unless got and want are the same events in the same
// order, each encoding to the same bytes.
func sameEvents(t *testing.T, what string, got, want []release.Event) {
	t.Helper()
	if g, w := Hashes(got), Hashes(want); !slices.Equal(g, w) {
		t.Fatalf("%s: events\n%v\nwant\n%v", what, g, w)
	}
	for i := range got {
		g, err := release.EncodeEvent(got[i])
		if err != nil {
			t.Fatal(err)
		}
		w, err := release.EncodeEvent(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("%s: event %d encodes as\n%s\nwant\n%s", what, i, g, w)
		}
	}
}

func sameHeader(t *testing.T, what string, got, want release.Header) {
	t.Helper()
	g, err := release.EncodeHeader(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := release.EncodeHeader(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("%s: header\n%s\nwant\n%s", what, g, w)
	}
}

func testEmptyStore(t *testing.T, s store.Store) {
	if ids, err := s.IDs(); err != nil || len(ids) != 0 {
		t.Errorf("IDs of an empty store: %v, %v", ids, err)
	}
	if ids, err := s.OpenIDs(); err != nil || len(ids) != 0 {
		t.Errorf("OpenIDs of an empty store: %v, %v", ids, err)
	}
	_, err := s.Load("v1.0.0")
	wantNotFound(t, "Load of a missing release", err, "v1.0.0")
	_, _, err = s.Inspect("v1.0.0")
	wantNotFound(t, "Inspect of a missing release", err, "v1.0.0")
}

func testCreateThenLoad(t *testing.T, s store.Store) {
	r := NewRelease(t, "v1.4.0", Checklist())
	want := slices.Clone(r.Events)
	create(t, s, r)
	if p := r.Pending(); len(p) != 0 {
		t.Errorf("after Create, %d events are still pending", len(p))
	}
	got := load(t, s, "v1.4.0")
	sameHeader(t, "Load after Create", got.Header, r.Header)
	sameEvents(t, "Load after Create", got.Events, want)
	if len(got.Pending()) != 0 || len(got.Runs) != 0 {
		t.Errorf("a loaded release has %d pending events and %d runs, want none", len(got.Pending()), len(got.Runs))
	}
	if ids, err := s.IDs(); err != nil || !slices.Equal(ids, []string{"v1.4.0"}) {
		t.Errorf("IDs = %v, %v", ids, err)
	}
}

func testCreateStoresEveryPendingEvent(t *testing.T, s store.Store) {
	r := NewRelease(t, "v1.4.0", ItemsChecklist(3))
	for i := range 3 {
		if err := Sign(Item(i), "qa", fmt.Sprint("qa", i), Tick(i+1))(r); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(r.Events)
	create(t, s, r)
	sameEvents(t, "Load of a release created with four events", load(t, s, "v1.4.0").Events, want)
}

func testCreateExisting(t *testing.T, s store.Store) {
	first := NewRelease(t, "v1.4.0", Checklist())
	create(t, s, first)
	update(t, s, "v1.4.0", Sign("qa-signoff", "qa", "carol", Tick(1)))
	before := load(t, s, "v1.4.0")

	second, err := release.New(release.Meta{ID: "v1.4.0", Version: "1.4.0", Type: release.TypeMinor,
		Summary: "a second start", CreatedAt: Tick(50), CreatedBy: "mallory"}, ItemsChecklist(1))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Create of an existing id", s.Create(second), errs.CodeUsage)
	after := load(t, s, "v1.4.0")
	sameHeader(t, "the existing release", after.Header, before.Header)
	sameEvents(t, "the existing release", after.Events, before.Events)
}

func testInvalidIDs(t *testing.T, s store.Store) {
	for _, id := range []string{"", "latest", "1.4.0", "../v1.4.0", "v1.4.0/../../x", "/etc/passwd", "v1.4.0\x00", ".v1.4.0"} {
		_, err := s.Load(id)
		wantCode(t, fmt.Sprintf("Load(%q)", id), err, errs.CodeUsage)
		_, _, err = s.Inspect(id)
		wantCode(t, fmt.Sprintf("Inspect(%q)", id), err, errs.CodeUsage)
		called := false
		err = s.Update(id, func(*release.Release) error { called = true; return nil })
		wantCode(t, fmt.Sprintf("Update(%q)", id), err, errs.CodeUsage)
		if called {
			t.Errorf("Update(%q) called fn", id)
		}
		r := NewRelease(t, "v1.4.0", Checklist())
		r.Meta.ID = id
		wantCode(t, fmt.Sprintf("Create(%q)", id), s.Create(r), errs.CodeUsage)
	}
	if ids, err := s.IDs(); err != nil || len(ids) != 0 {
		t.Errorf("invalid ids stored something: %v, %v", ids, err)
	}
}

func testUpdateAppendsExactlyPending(t *testing.T, s store.Store) {
	r := NewRelease(t, "v1.4.0", ItemsChecklist(4))
	create(t, s, r)
	want := slices.Clone(r.Events)
	for i := range 3 {
		err := s.Update("v1.4.0", func(r *release.Release) error {
			if p := r.Pending(); len(p) != 0 {
				t.Errorf("update %d: fn gets a release with %d pending events", i, len(p))
			}
			sameEvents(t, fmt.Sprintf("update %d: what fn gets", i), r.Events, want)
			items := []string{Item(i)}
			if i == 2 {
				items = append(items, Item(3)) // two events in one update, both stored
			}
			if err := r.Sign(release.SignRequest{Items: items, Role: "qa", Actor: "carol", At: Tick(i + 1)}, Open); err != nil {
				return err
			}
			want = append(want, r.Pending()...)
			return nil
		})
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		sameEvents(t, fmt.Sprintf("Load after update %d", i), load(t, s, "v1.4.0").Events, want)
	}
	if n := len(want); n != 1+3+1 {
		t.Fatalf("%d events, want 5", n)
	}
}

func testUpdateFnFails(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(2)))
	before := load(t, s, "v1.4.0")
	refused := errs.Policyf("refused after recording")
	err := s.Update("v1.4.0", func(r *release.Release) error {
		if err := Sign(Item(0), "qa", "carol", Tick(1))(r); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Update returned %v, want fn's own error", err)
	}
	sameEvents(t, "after a failed fn", load(t, s, "v1.4.0").Events, before.Events)

	// A refusal by the domain is returned with its exit code.
	err = s.Update("v1.4.0", Sign("no-such-item", "qa", "carol", Tick(2)))
	wantCode(t, "Update signing an unknown item", err, errs.CodeUsage)
	sameEvents(t, "after a refused sign", load(t, s, "v1.4.0").Events, before.Events)
}

func testUpdateRecordsNothing(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	before := load(t, s, "v1.4.0")
	called := false
	if err := s.Update("v1.4.0", func(r *release.Release) error { called = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if !called {
		t.Fatal("fn not called")
	}
	sameEvents(t, "after an update that recorded nothing", load(t, s, "v1.4.0").Events, before.Events)
}

func testUpdateMissing(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	called := false
	err := s.Update("v1.5.0", func(*release.Release) error { called = true; return nil })
	wantNotFound(t, "Update of a missing release", err, "v1.5.0")
	if called {
		t.Error("fn called for a missing release")
	}
	if ids, _ := s.IDs(); !slices.Equal(ids, []string{"v1.4.0"}) {
		t.Errorf("IDs = %v after an update of a missing release", ids)
	}
}

func testUpdateMustNotChangeID(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	before := load(t, s, "v1.4.0")
	err := s.Update("v1.4.0", func(r *release.Release) error {
		if err := Sign(Item(0), "qa", "carol", Tick(1))(r); err != nil {
			return err
		}
		r.Meta.ID = "v9.0.0"
		return nil
	})
	if err == nil {
		t.Fatal("an update that changed the release's id succeeded")
	}
	sameEvents(t, "after an update that changed the id", load(t, s, "v1.4.0").Events, before.Events)
	if ids, _ := s.IDs(); !slices.Equal(ids, []string{"v1.4.0"}) {
		t.Errorf("IDs = %v", ids)
	}
}

// testUpdateNeverRewritesHeader: the header is written once, by Create;
// what an Update's fn does to it is never stored (the start event hangs
// from its hash).
func testUpdateNeverRewritesHeader(t *testing.T, s store.Store) {
	r := NewRelease(t, "v1.4.0", ItemsChecklist(2))
	create(t, s, r)
	_ = s.Update("v1.4.0", func(r *release.Release) error {
		r.Meta.Summary = "rewritten"
		r.Meta.CreatedBy = "mallory"
		r.Checklist.Phases[0].Items = r.Checklist.Phases[0].Items[:1]
		return Sign(Item(0), "qa", "carol", Tick(1))(r)
	})
	got := load(t, s, "v1.4.0")
	sameHeader(t, "after an update that changed the header in memory", got.Header, r.Header)
	if _, damage, err := s.Inspect("v1.4.0"); err != nil || len(damage) != 0 {
		t.Errorf("Inspect: %v, %v", err, damage)
	}
}

// testRoundTripByteExact records every kind of event, with text that
// tempts an encoder to escape or normalise it, and wants each back as the
// same bytes: the hashes and signatures cover them.
func testRoundTripByteExact(t *testing.T, s store.Store) {
	r := NewRelease(t, "v2.0.0", Checklist())
	text := "<b>bold</b> & \"quoted\" \\ back\tslash ✓ ünï \u2028\u2029 \x1b[31mred\x1b[0m\n2nd line"
	res := release.CheckResult{Command: "go test ./... && echo '<ok>'", Passed: true, DurationMS: 1234,
		OutputSHA256: strings.Repeat("ab", 32), OutputTail: text}
	if err := r.RecordCheck("tests", "ci", Tick(1), res); err != nil {
		t.Fatal(err)
	}
	written := slices.Clone(r.Events)
	create(t, s, r)

	steps := []func(*release.Release) error{
		func(r *release.Release) error {
			return r.Sign(release.SignRequest{Items: []string{"tests"}, Role: "developer", Actor: "Dev <dev@example.com>",
				Note: text, Evidence: []string{"https://ci.example.com/run?id=1&x=<2>", "ünï"}, At: Tick(2)}, Open)
		},
		func(r *release.Release) error {
			return r.Waive(release.ActionRequest{Item: "changelog", Role: "developer", Actor: "dev", Reason: text, At: Tick(3)}, Open)
		},
		Sign("qa-signoff", "qa", "carol", Tick(4)),
		func(r *release.Release) error {
			return r.Revoke(release.ActionRequest{Item: "qa-signoff", Role: "qa", Actor: "carol", Reason: "wrong build", At: Tick(5)}, Open)
		},
		Sign("qa-signoff", "qa", "dave", Tick(6)),
		func(r *release.Release) error { // blocked by deploy: a force event and a sign
			return r.Sign(release.SignRequest{Items: []string{"announce"}, Role: "pm", Actor: "pm", Force: true, Reason: text, At: Tick(7)}, Open)
		},
		Sign("deploy", "sre", "sre", Tick(8)),
		func(r *release.Release) error { // a retarget and the revoke of deploy
			return r.Retarget("fedcba9876543210fedcba9876543210fedcba98", "alice", text, Tick(9), Open)
		},
		Sign("deploy", "sre", "sre", Tick(10)),
		func(r *release.Release) error {
			return r.SetStatus(release.StatusReleased, "alice", "", Tick(11), Open)
		},
	}
	for i, step := range steps {
		written = append(written, update(t, s, "v2.0.0", step)...)
		if len(written) == 0 {
			t.Fatalf("step %d recorded nothing", i)
		}
	}
	kinds := map[string]bool{}
	for _, e := range written {
		kinds[e.Kind] = true
	}
	for _, k := range []string{release.EventStart, release.EventCheck, release.EventSign, release.EventWaive,
		release.EventRevoke, release.EventForce, release.EventRetarget, release.EventStatus} {
		if !kinds[k] {
			t.Errorf("no %s event was recorded", k)
		}
	}
	got := load(t, s, "v2.0.0")
	sameHeader(t, "round trip", got.Header, r.Header)
	sameEvents(t, "round trip", got.Events, written)
	for _, e := range got.Events {
		if h, err := e.ComputeHash(); err != nil || h != e.Hash {
			t.Errorf("loaded %s event hashes to %s (%v), carries %s", e.Kind, h, err, e.Hash)
		}
	}
	if st, c := got.Status(), got.Commit(); st != release.StatusReleased || c != "fedcba9876543210fedcba9876543210fedcba98" {
		t.Errorf("status %s, commit %s; want released, the retargeted commit", st, c)
	}
}

func testIDsSorted(t *testing.T, s store.Store) {
	for _, id := range []string{"v1.2.0", "v10.0.0", "v1.10.0", "v2.0.0-rc.1", "v2.0.0"} {
		create(t, s, NewRelease(t, id, ItemsChecklist(1)))
	}
	create(t, s, NewIncident(t, "v1.2.0", 1))
	ids, err := s.IDs()
	if err != nil {
		t.Fatal(err)
	}
	// Byte order, as sort.Strings: a SQL backend needs COLLATE "C".
	want := []string{"v1.10.0", "v1.2.0", "v1.2.0-incident-1", "v10.0.0", "v2.0.0", "v2.0.0-rc.1"}
	if !slices.Equal(ids, want) {
		t.Errorf("IDs = %v, want %v", ids, want)
	}
}

// openIDs checks the rules every OpenIDs answer keeps: no duplicates,
// only ids of the store, and every id of want.
func openIDs(t *testing.T, s store.Store, want []string, notWant []string) []string {
	t.Helper()
	open, err := s.OpenIDs()
	if err != nil {
		t.Fatalf("OpenIDs: %v", err)
	}
	all, err := s.IDs()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range open {
		if seen[id] {
			t.Errorf("OpenIDs lists %s twice: %v", id, open)
		}
		seen[id] = true
		if !slices.Contains(all, id) {
			t.Errorf("OpenIDs lists %s, which is not in the store (IDs %v)", id, all)
		}
	}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("OpenIDs = %v misses in-progress %s", open, id)
		}
	}
	for _, id := range notWant {
		if seen[id] {
			t.Errorf("OpenIDs = %v lists finished %s", open, id)
		}
	}
	return open
}

func testOpenIDs(t *testing.T, s store.Store) {
	for _, id := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"} {
		create(t, s, NewRelease(t, id, ItemsChecklist(1)))
	}
	openIDs(t, s, []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"}, nil)

	update(t, s, "v1.0.0", Sign(Item(0), "qa", "carol", Tick(1)))
	update(t, s, "v1.0.0", func(r *release.Release) error {
		return r.SetStatus(release.StatusReleased, "alice", "", Tick(2), Open)
	})
	update(t, s, "v1.2.0", func(r *release.Release) error {
		return r.SetStatus(release.StatusAborted, "alice", "cancelled", Tick(2), Open)
	})
	update(t, s, "v1.3.0", Sign(Item(0), "qa", "carol", Tick(1))) // signed, not finished
	openIDs(t, s, []string{"v1.1.0", "v1.3.0"}, []string{"v1.0.0", "v1.2.0"})

	// A refused close leaves the release open.
	err := s.Update("v1.1.0", func(r *release.Release) error {
		return r.SetStatus(release.StatusReleased, "alice", "", Tick(3), Open) // qa not signed
	})
	wantCode(t, "releasing an incomplete release", err, errs.CodeGate)
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	openIDs(t, s, []string{"v1.1.0", "v1.3.0", "v1.4.0"}, []string{"v1.0.0", "v1.2.0"})
}

// testIncidentRuns: a release's incident runs are releases of their own,
// <id>-incident-<n>, attached to the release by Load (and to the release
// an Update works on), and its status follows from them.
func testIncidentRuns(t *testing.T, s store.Store) {
	const id = "v3.0.0"
	create(t, s, NewRelease(t, id, ItemsChecklist(1)))
	update(t, s, id, Sign(Item(0), "qa", "carol", Tick(1)))
	update(t, s, id, func(r *release.Release) error {
		return r.SetStatus(release.StatusReleased, "alice", "", Tick(2), Open)
	})
	status := func(want string, runs ...string) {
		t.Helper()
		r := load(t, s, id)
		var got []string
		for _, run := range r.Runs {
			got = append(got, run.Meta.ID)
			if run.Meta.Parent != id {
				t.Errorf("run %s has parent %q", run.Meta.ID, run.Meta.Parent)
			}
			if len(run.Runs) != 0 {
				t.Errorf("run %s has runs of its own", run.Meta.ID)
			}
		}
		if !slices.Equal(got, runs) {
			t.Errorf("runs %v, want %v", got, runs)
		}
		if st := r.Status(); st != want {
			t.Errorf("status %s, want %s", st, want)
		}
	}
	status(release.StatusReleased)

	run1 := release.IncidentID(id, 1)
	create(t, s, NewIncident(t, id, 1))
	status(release.StatusIncident, run1)
	openIDs(t, s, []string{run1}, nil)
	if r := load(t, s, run1); r.Meta.Parent != id || len(r.Runs) != 0 || r.Status() != release.StatusInProgress {
		t.Errorf("run %s: parent %q, %d runs, status %s", run1, r.Meta.Parent, len(r.Runs), r.Status())
	}
	// The release an Update works on has its runs: a release in incident
	// takes no sign-off.
	err := s.Update(id, func(r *release.Release) error {
		if len(r.Runs) != 1 || r.Status() != release.StatusIncident {
			t.Errorf("Update's release has %d runs, status %s", len(r.Runs), r.Status())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A false alarm: the run is aborted and the release is released again.
	update(t, s, run1, func(r *release.Release) error {
		return r.SetStatus(release.StatusAborted, "oncall", "false alarm", Tick(101), Open)
	})
	status(release.StatusReleased, run1)
	openIDs(t, s, nil, []string{run1})

	run2 := release.IncidentID(id, 2)
	create(t, s, NewIncident(t, id, 2))
	status(release.StatusIncident, run1, run2)
	openIDs(t, s, []string{run2}, []string{run1})
	update(t, s, run2, Sign("triage", "sre", "oncall", Tick(201)))
	status(release.StatusIncident, run1, run2)
	update(t, s, run2, Sign(release.RollbackItem, "sre", "oncall", Tick(202)))
	status(release.StatusRolledBack, run1, run2)
}

func testInspectIntact(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", Checklist()))
	update(t, s, "v1.4.0", func(r *release.Release) error {
		return r.Waive(release.ActionRequest{Item: "changelog", Role: "developer", Actor: "dev", Reason: "none", At: Tick(1)}, Open)
	})
	update(t, s, "v1.4.0", Sign("qa-signoff", "qa", "carol", Tick(2)))
	r, damage, err := s.Inspect("v1.4.0")
	if err != nil || len(damage) != 0 {
		t.Fatalf("Inspect of an intact release: %v, damage %v", err, damage)
	}
	if r == nil {
		t.Fatal("Inspect returned no release")
	}
	loaded := load(t, s, "v1.4.0")
	sameHeader(t, "Inspect", r.Header, loaded.Header)
	sameEvents(t, "Inspect", r.Events, loaded.Events)
}

// testConcurrentUpdates: writers sharing one store value, each signing its
// own item at once; none of their events is lost.
func testConcurrentUpdates(t *testing.T, s store.Store) {
	const writers = 50
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(writers)))
	errc := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errc[i] = s.Update("v1.4.0", Sign(Item(i), "qa", fmt.Sprint("qa-", i), Tick(i+1))) })
	}
	wg.Wait()
	for i, err := range errc {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	r := load(t, s, "v1.4.0")
	if len(r.Events) != 1+writers {
		t.Errorf("%d events, want %d", len(r.Events), 1+writers)
	}
	v := r.Evaluate(Open)
	for i := range writers {
		it, _ := v.Item(Item(i))
		if it.State != release.StateDone || len(it.Signoffs) != 1 || it.Signoffs[0].By != fmt.Sprint("qa-", i) {
			t.Errorf("%s: %s, sign-offs %+v", Item(i), it.State, it.Signoffs)
		}
	}
	if _, damage, err := s.Inspect("v1.4.0"); err != nil || len(damage) != 0 {
		t.Errorf("Inspect: %v, %v", err, damage)
	}
}

// testConcurrentCreates: of writers creating the same id at once (two
// people starting the same release) exactly one succeeds, and the release
// is that one's, whole.
func testConcurrentCreates(t *testing.T, s store.Store) {
	const writers = 10
	rs := make([]*release.Release, writers)
	for i := range rs {
		r, err := release.New(release.Meta{ID: "v1.4.0", Version: "1.4.0", Type: release.TypeMinor,
			Summary: fmt.Sprint("start ", i), CreatedAt: Tick(i), CreatedBy: fmt.Sprint("rm", i)}, ItemsChecklist(1))
		if err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	errc := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errc[i] = s.Create(rs[i]) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errc {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("creates %d and %d of one id both succeeded", winner, i)
		case err == nil:
			winner = i
		default:
			wantCode(t, fmt.Sprint("create ", i), err, errs.CodeUsage)
		}
	}
	if winner < 0 {
		t.Fatal("no create succeeded")
	}
	got := load(t, s, "v1.4.0")
	sameHeader(t, "the created release", got.Header, rs[winner].Header)
	sameEvents(t, "the created release", got.Events, rs[winner].Events)
}

// testLoadedReleaseIsACopy: what a caller does to a loaded release stays
// with it until an Update stores it.
func testLoadedReleaseIsACopy(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	want := load(t, s, "v1.4.0")
	r := load(t, s, "v1.4.0")
	if err := Sign(Item(0), "qa", "carol", Tick(1))(r); err != nil {
		t.Fatal(err)
	}
	r.Meta.Summary = "changed in memory"
	r.Checklist.Phases[0].Items[0].Title = "changed in memory"
	got := load(t, s, "v1.4.0")
	sameHeader(t, "a later Load", got.Header, want.Header)
	sameEvents(t, "a later Load", got.Events, want.Events)
}

// testEventSizeLimit: no write stores an event a reader would refuse.
func testEventSizeLimit(t *testing.T, s store.Store) {
	create(t, s, NewRelease(t, "v1.4.0", ItemsChecklist(1)))
	before := load(t, s, "v1.4.0")

	// The domain refuses it first...
	big := strings.Repeat("x", release.MaxTextLen)
	evidence := make([]string, release.MaxEvidence)
	for i := range evidence {
		evidence[i] = big
	}
	err := s.Update("v1.4.0", func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{Item(0)}, Role: "qa", Actor: "carol", Evidence: evidence, At: Tick(1)}, Open)
	})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a sign-off of %d bytes of evidence: %v, want a refusal naming the limit", len(big)*len(evidence), err)
	}
	// ... and the store too, for an event that went round the domain.
	err = s.Update("v1.4.0", func(r *release.Release) error {
		e := release.Event{Kind: release.EventSign, At: Tick(2), Actor: "carol", Role: "qa", Item: Item(0),
			Note: strings.Repeat("y", release.MaxEventSize), Parents: r.Heads()}
		h, err := e.ComputeHash()
		if err != nil {
			return err
		}
		e.Hash = h
		r.Events = append(r.Events, e)
		return nil
	})
	if err == nil {
		t.Error("the store wrote an event larger than release.MaxEventSize")
	}
	sameEvents(t, "after refused oversized events", load(t, s, "v1.4.0").Events, before.Events)
}

// testManyOtherReleases: what a command costs depends on the release it
// touches, not on the others; here only that nothing fails with 1,000
// other releases (backends' own tests check what is read).
func testManyOtherReleases(t *testing.T, s store.Store) {
	const others, workers = 1000, 8
	var wg sync.WaitGroup
	errc := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < others; i += workers {
				r, err := release.New(release.Meta{ID: fmt.Sprintf("v0.%d.%d", i/100, i%100), Version: fmt.Sprintf("0.%d.%d", i/100, i%100),
					Type: release.TypeMinor, CreatedAt: At, CreatedBy: "bulk"}, ItemsChecklist(1))
				if err == nil {
					err = s.Create(r)
				}
				if err != nil {
					errc[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	create(t, s, NewRelease(t, "v1.0.0", ItemsChecklist(1)))
	update(t, s, "v1.0.0", Sign(Item(0), "qa", "carol", Tick(1)))
	r := load(t, s, "v1.0.0")
	if len(r.Events) != 2 || len(r.Runs) != 0 {
		t.Errorf("%d events, %d runs", len(r.Events), len(r.Runs))
	}
	if _, damage, err := s.Inspect("v1.0.0"); err != nil || len(damage) != 0 {
		t.Errorf("Inspect: %v, %v", err, damage)
	}
	if ids, err := s.IDs(); err != nil || len(ids) != others+1 {
		t.Errorf("IDs: %d ids, %v", len(ids), err)
	}
	openIDs(t, s, []string{"v1.0.0", "v0.0.0", "v0.9.99"}, nil)
}
