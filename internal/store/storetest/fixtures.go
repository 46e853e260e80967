package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// At is the time the suite's releases start. It has nanoseconds on
// purpose: an event's hash covers its time to the nanosecond, so a backend
// that rounds times (PostgreSQL's timestamptz keeps microseconds) breaks
// the round trip.
var At = time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)

// Tick is At plus n seconds.
func Tick(n int) time.Time { return At.Add(time.Duration(n) * time.Second) }

// Open is the policy of the suite: anyone signs anything.
var Open = release.Policy{}

// Checklist is the small checklist of the suite, with one item for each
// kind of event:
//
//	build: tests [developer] check   changelog [developer] optional   qa-signoff [qa]
//	ship:  deploy [sre] reset on retarget   announce [pm] needs deploy
func Checklist() checklist.Checklist {
	return checklist.Checklist{
		Name: "minor", Description: "store contract", Source: checklist.SourceEmbedded,
		Phases: []checklist.Phase{
			{ID: "build", Title: "Build", Items: []checklist.Item{
				{ID: "tests", Title: "Tests pass", Roles: []string{"developer"}, Check: &checklist.Check{Run: "go test ./..."}},
				{ID: "changelog", Title: "Changelog <written> & reviewed", Roles: []string{"developer"}, Optional: true},
				{ID: "qa-signoff", Title: "QA sign-off", Roles: []string{"qa"}},
			}},
			{ID: "ship", Title: "Ship", Items: []checklist.Item{
				{ID: "deploy", Title: "Deploy", Roles: []string{"sre"}, ResetOnRetarget: true, Approvals: map[string]int{"sre": 1}},
				{ID: "announce", Title: "Announce", Roles: []string{"pm"}, Needs: []string{"deploy"}},
			}},
		},
	}
}

// ItemsChecklist is one phase of n independent items, item-0 ... item-<n-1>,
// each needing the qa role: n writers can each sign one of them.
func ItemsChecklist(n int) checklist.Checklist {
	ph := checklist.Phase{ID: "verify", Title: "Verify"}
	for i := range n {
		ph.Items = append(ph.Items, checklist.Item{ID: Item(i), Title: fmt.Sprintf("Item %d", i), Roles: []string{"qa"}})
	}
	return checklist.Checklist{Name: "many", Source: checklist.SourceEmbedded, Phases: []checklist.Phase{ph}}
}

// Item is the id of ItemsChecklist's i-th item.
func Item(i int) string { return fmt.Sprintf("item-%d", i) }

// IncidentChecklist is an incident run's checklist: its rollback item
// marks the release rolled back (release.RollbackItem).
func IncidentChecklist() checklist.Checklist {
	return checklist.Checklist{Name: "incident", Source: checklist.SourceEmbedded, Phases: []checklist.Phase{{
		ID: "respond", Title: "Respond", Items: []checklist.Item{
			{ID: "triage", Title: "Triage", Roles: []string{"sre"}},
			{ID: release.RollbackItem, Title: "Roll back", Roles: []string{"sre"}, Optional: true},
		},
	}}}
}

// NewRelease opens release id (a v<semver> id) with checklist cl, started
// by alice at At; nothing is stored.
func NewRelease(t testing.TB, id string, cl checklist.Checklist) *release.Release {
	t.Helper()
	r, err := release.New(release.Meta{
		ID: id, Version: strings.TrimPrefix(id, "v"), Type: release.TypeMinor,
		Summary: "Contract <test> & \"quotes\" ✓", CreatedAt: At, CreatedBy: "alice@example.com",
		Commit: "0123456789abcdef0123456789abcdef01234567",
	}, cl)
	if err != nil {
		t.Fatalf("new release %s: %v", id, err)
	}
	return r
}

// NewIncident opens the n-th incident run of release parent.
func NewIncident(t testing.TB, parent string, n int) *release.Release {
	t.Helper()
	id := release.IncidentID(parent, n)
	r, err := release.New(release.Meta{
		ID: id, Version: strings.TrimPrefix(parent, "v"), Type: release.TypeIncident, Parent: parent,
		Summary: "incident", CreatedAt: Tick(100 * n), CreatedBy: "oncall",
	}, IncidentChecklist())
	if err != nil {
		t.Fatalf("new incident run %s: %v", id, err)
	}
	return r
}

// Sign is an Update function that signs item for role as actor.
func Sign(item, role, actor string, at time.Time) func(*release.Release) error {
	return func(r *release.Release) error {
		return r.Sign(release.SignRequest{Items: []string{item}, Role: role, Actor: actor, At: at}, Open)
	}
}

// Hashes are the hashes of events, in order.
func Hashes(events []release.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Hash
	}
	return out
}

// Signers maps item to the actors of its sign events, in log order: who
// signed, whether or not the sign-off still counts.
func Signers(r *release.Release) map[string][]string {
	m := map[string][]string{}
	for _, e := range r.Events {
		if e.Kind == release.EventSign {
			m[e.Item] = append(m[e.Item], e.Actor)
		}
	}
	return m
}
