// Package testdoc holds the documents `status -o json` and `gate -o json`
// print (SPEC §8) as the process tests (team and trust tests) read them:
// only the fields some test reads, declared apart from the code that
// prints them, so that a test checks the documented names and not merely
// whatever the printer does.
package testdoc

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/testbin"
)

// Status is `status -o json`.
type Status struct {
	Release struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Commit string `json:"commit"`
	} `json:"release"`
	Complete bool `json:"complete"`
	Phases   []struct {
		ID    string `json:"id"`
		Items []Item `json:"items"`
	} `json:"phases"`
}

// Item is one item of a Status.
type Item struct {
	ID           string    `json:"id"`
	State        string    `json:"state"`
	PendingRoles []string  `json:"pending_roles"`
	Signoffs     []Signoff `json:"signoffs"`
}

// Signoff is one sign-off of an Item.
type Signoff struct {
	Role     string    `json:"role"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Note     string    `json:"note"`
	Signed   bool      `json:"signed"`
	Verified bool      `json:"verified"`
	Counted  bool      `json:"counted"`
	Conflict string    `json:"conflict"`
}

// Item is the item id of s; a status without it fails the test.
func (s Status) Item(t testing.TB, id string) Item {
	t.Helper()
	for _, p := range s.Phases {
		for _, it := range p.Items {
			if it.ID == id {
				return it
			}
		}
	}
	t.Fatalf("status of %s has no item %s", s.Release.ID, id)
	return Item{}
}

// Gate is `gate -o json`.
type Gate struct {
	Release  string    `json:"release"`
	Passed   bool      `json:"passed"`
	Blockers []Blocker `json:"blockers"`
}

// Blocker is one blocker of a Gate.
type Blocker struct {
	Item         string   `json:"item"`
	PendingRoles []string `json:"pending_roles"`
	Reason       string   `json:"reason"`
}

// Reasons maps each blocker's item ("" for a release-wide one) to its
// reason.
func (g Gate) Reasons() map[string]string {
	out := map[string]string{}
	for _, b := range g.Blockers {
		out[b.Item] = b.Reason
	}
	return out
}

// Decode is r's stdout decoded as a T; output that does not decode fails
// the test.
func Decode[T any](t testing.TB, r testbin.Result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		t.Fatalf("decode the output of %s: %v", r, err)
	}
	return v
}
