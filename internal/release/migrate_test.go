package release

import (
	"slices"
	"strings"
	"testing"
)

// format1Events is a format-1 history: a sign-off revoked and signed
// again, a waiver, a check, and the incident history format 1 wrote into
// the release itself.
func format1Events() []Event {
	return []Event{
		{Kind: EventStart, At: t0, Actor: "alice"},
		{Kind: EventSign, At: at(1), Actor: "dev", Role: "developer", Item: "a", Note: "merged", Evidence: []string{"https://x/pr/1"}},
		{Kind: EventRevoke, At: at(2), Actor: "dev", Role: "developer", Item: "a", Reason: "typo"},
		{Kind: EventSign, At: at(3), Actor: "dev", Role: "developer", Item: "a"},
		{Kind: EventRevoke, At: at(3), Actor: "carol", Role: "qa", Item: "b", Reason: "nothing in force"},
		{Kind: EventCheck, At: at(4), Actor: "ci", Item: "c", Check: &CheckResult{Command: "./c.sh", Passed: true, OutputTail: "ok"}},
		{Kind: EventSign, At: at(5), Actor: "alice", Role: "sre", Item: "c"},
		{Kind: EventStatus, At: at(6), Actor: "alice", Status: StatusIncident, Reason: "5xx", Link: "v1.4.0-incident-1"},
		{Kind: EventStatus, At: at(7), Actor: "alice", Status: StatusInProgress},
		// Old events carried their own chain; none of it is kept.
		{Kind: EventSign, At: at(8), Actor: "carol", Role: "qa", Item: "b", Parents: []string{"x"}, Hash: "y", Revokes: []string{"z"}},
	}
}

func TestFromFormat1(t *testing.T) {
	old := format1Events()
	final := strings.Repeat("c", 64)
	meta := testMeta()
	r, err := FromFormat1(meta, testChecklist(), old, final)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != FormatVersion || r.Migrated == nil || *r.Migrated != (Migration{FromFormat: 1, FinalHash: final, Events: len(old)}) {
		t.Errorf("header format %d, migrated %+v", r.Format, r.Migrated)
	}
	if len(r.Events) != len(old) || len(r.Pending()) != len(old) {
		t.Fatalf("%d events, %d pending; want %d, all pending", len(r.Events), len(r.Pending()), len(old))
	}
	hh, _ := r.Header.Hash()
	for i, e := range r.Events {
		o := old[i]
		if e.Kind != o.Kind || e.Actor != o.Actor || !e.At.Equal(o.At) || e.Note != o.Note || e.Reason != o.Reason ||
			e.Item != o.Item || e.Role != o.Role || e.Status != o.Status || e.Link != o.Link ||
			!slices.Equal(e.Evidence, o.Evidence) || (e.Check == nil) != (o.Check == nil) {
			t.Errorf("event %d %+v does not keep %+v", i, e, o)
		}
		want := []string{hh}
		if i > 0 {
			want = []string{r.Events[i-1].Hash}
		}
		if !slices.Equal(e.Parents, want) {
			t.Errorf("event %d parents %v, want %v", i, e.Parents, want)
		}
	}
	// A revoke names the sign-off in force for its item and role.
	if got := r.Events[2].Revokes; !slices.Equal(got, []string{r.Events[1].Hash}) {
		t.Errorf("revoke names %v, want %s", got, r.Events[1].Hash)
	}
	if got := r.Events[4].Revokes; got != nil {
		t.Errorf("revoke with nothing in force names %v", got)
	}
	if got := r.Events[9].Revokes; got != nil {
		t.Errorf("a sign-off kept old revokes %v", got)
	}
	if r.Events[7].Check != nil || r.Events[5].Check == nil || r.Events[5].Check.OutputTail != "ok" {
		t.Error("check result not kept")
	}

	// It assembles, and reads as format 1 did.
	back := assemble(t, r.Header, stored(r.Events))
	if !slices.Equal(hashes(back.Events), hashes(r.Events)) {
		t.Error("the migrated release does not assemble in its order")
	}
	iv := itemState(t, back, "a")
	if iv.State != StateDone || len(iv.Signoffs) != 1 || iv.Signoffs[0].Event != r.Events[3].Hash {
		t.Errorf("a after migration: %+v", iv)
	}
	if s := itemState(t, back, "c"); s.State != StateDone || s.Conflicted() {
		t.Errorf("c after migration: %+v", s.Signoffs)
	}
	if back.OwnStatus() != StatusInProgress || len(back.IgnoredStatusEvents()) != 0 {
		t.Errorf("status %s, ignored %+v", back.OwnStatus(), back.IgnoredStatusEvents())
	}

	// The same input gives the same release: migration is deterministic.
	again, err := FromFormat1(meta, testChecklist(), format1Events(), final)
	if err != nil || !slices.Equal(hashes(again.Events), hashes(r.Events)) {
		t.Errorf("a second migration differs: %v", err)
	}

	if _, err := FromFormat1(meta, testChecklist(), old[1:], final); err == nil || !strings.Contains(err.Error(), "not start") {
		t.Errorf("history without a start event: %v", err)
	}
	bad := format1Events()
	bad[3].At = bad[3].At.AddDate(-3000, 0, 0)
	if _, err := FromFormat1(meta, testChecklist(), bad, final); err == nil || !strings.Contains(err.Error(), "event 4") {
		t.Errorf("an event out of range: %v", err)
	}
}
