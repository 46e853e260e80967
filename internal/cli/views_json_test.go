package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/jsonenc"
	"github.com/octorelease/octorelease/internal/release"
)

// text draws a string that exercises JSON quoting: quotes, backslashes,
// control characters, HTML characters, line separators, invalid UTF-8.
func text(rng *rand.Rand) string {
	parts := []string{"", "a", "release 1.4.0", `"`, `\`, "\n", "\t", "\x00", "\x1f", "<b>&amp;", "é", "✓", "🚀",
		"\u2028", "\u2029", "\x7f", "\xff", "\xe2\x82", "https://ci.example.com/run/42?x=1&y=2"}
	var b []byte
	for range rng.IntN(4) {
		b = append(b, parts[rng.IntN(len(parts))]...)
	}
	return string(b)
}

// randomRelease builds a release through the release package's own
// operations: sign-offs with notes and evidence, forced ones, waivers,
// revokes, checks that pass and fail, and status changes.
func randomRelease(t *testing.T, rng *rand.Rand) (*release.Release, []string) {
	t.Helper()
	roles := []string{"developer", "qa", "sre"}
	cl := checklist.Checklist{Name: "minor", Description: text(rng), Source: checklist.SourceEmbedded}
	for p := range 1 + rng.IntN(3) {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: text(rng)}
		for i := range rng.IntN(6) {
			it := checklist.Item{ID: fmt.Sprintf("item-%d-%d", p, i), Title: text(rng), Roles: roles[:1+rng.IntN(3)],
				Optional: rng.IntN(3) == 0, Help: text(rng)}
			if i > 0 && rng.IntN(3) == 0 {
				it.Needs = []string{ph.Items[0].ID}
			}
			if rng.IntN(3) == 0 {
				it.Check = &checklist.Check{Run: "make test " + text(rng)}
			}
			ph.Items = append(ph.Items, it)
		}
		cl.Phases = append(cl.Phases, ph)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, rng.IntN(1e9), time.UTC)
	meta := release.Meta{ID: "v1.4.0", Version: "1.4.0", Type: "minor", Summary: text(rng), CreatedAt: at, CreatedBy: text(rng) + "@example.com"}
	if rng.IntN(4) == 0 {
		meta.Parent = "v1.3.0"
	}
	r := release.New(meta, cl)
	for _, id := range r.Checklist.ItemIDs() {
		at = at.Add(time.Duration(rng.IntN(3600)) * time.Second)
		actor := text(rng) + "@example.com"
		if rng.IntN(3) == 0 {
			_ = r.RecordCheck(id, actor, at, release.CheckResult{Command: text(rng), Passed: rng.IntN(2) == 0,
				ExitCode: rng.IntN(3), TimedOut: rng.IntN(5) == 0, DurationMS: rng.Int64N(1e6), OutputSHA256: "ab", OutputTail: text(rng)})
		}
		switch rng.IntN(4) {
		case 0: // left pending
		case 1:
			_ = r.Waive(release.ActionRequest{Item: id, Role: "developer", Actor: actor, Reason: "n/a " + text(rng), At: at}, release.Policy{})
		default:
			for _, role := range roles[:1+rng.IntN(3)] {
				_ = r.Sign(release.SignRequest{Items: []string{id}, Role: role, Actor: actor, Note: text(rng),
					Evidence: []string{text(rng)}[:rng.IntN(2)], Force: true, Reason: "hurry " + text(rng), At: at}, release.Policy{})
			}
			if rng.IntN(5) == 0 {
				_ = r.Revoke(release.ActionRequest{Item: id, Role: "developer", Actor: actor, Reason: text(rng) + "x", At: at}, release.Policy{})
			}
		}
	}
	if rng.IntN(4) == 0 {
		_ = r.SetStatus(release.StatusIncident, "alice", "outage", "v1.4.0-incident-1", at)
	}
	var incidents []string
	if rng.IntN(3) == 0 {
		incidents = []string{"v1.4.0-incident-1", "v1.4.0-incident-2"}[:1+rng.IntN(2)]
	}
	return r, incidents
}

// TestStatusJSONMatchesEncodingJSON holds the hand-written `status -o json`
// to writeData's encoding/json output, byte for byte, for views of
// releases in every state and with strings that need escaping.
func TestStatusJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{} // what the views held, so the generator is known to reach it
	for i := range 400 {
		r, incidents := randomRelease(t, rng)
		view := statusView(r, r.Evaluate(), incidents)
		for _, p := range view.Phases {
			for _, it := range p.Items {
				seen["state "+it.State]++
				seen["signoffs"] += len(it.Signoffs)
				if it.Check != nil {
					seen["check"]++
				}
				if it.Forced {
					seen["forced"]++
				}
			}
		}
		if len(view.Release.Incidents) > 0 {
			seen["incidents"]++
		}
		var want bytes.Buffer
		if err := writeData(&want, "json", view); err != nil {
			t.Fatal(err)
		}
		e := jsonenc.Encoder{Indent: true}
		got := view.appendJSON(&e, nil)
		if e.Err() != nil {
			t.Fatal(e.Err())
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("release %d: wrote\n%s\nencoding/json writes\n%s", i, got, want.Bytes())
		}
	}
	t.Logf("views held: %v", seen)
	for _, k := range []string{"state done", "state waived", "state pending", "state blocked", "check", "forced", "incidents"} {
		if seen[k] < 20 {
			t.Errorf("only %d views with %s: the generator tests too little (%v)", seen[k], k, seen)
		}
	}
	if seen["signoffs"] < 1000 {
		t.Errorf("only %d sign-offs: the generator tests too little", seen["signoffs"])
	}
}
