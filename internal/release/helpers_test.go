package release

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// testChecklist has two phases, a multi-role item, a check, optional items
// and needs:
//
//	pre:    a [developer]   b [qa, sre]   c [sre] check
//	deploy: d [sre] opt     e [sre]       f [qa] needs e    g [product-manager] opt needs f
func testChecklist() checklist.Checklist {
	return checklist.Checklist{
		Name: "minor", Description: "test", Source: "embedded",
		Phases: []checklist.Phase{
			{ID: "pre", Title: "Pre-release", Items: []checklist.Item{
				{ID: "a", Title: "Item A", Roles: []string{"developer"}},
				{ID: "b", Title: "Item B", Roles: []string{"qa", "sre"}},
				{ID: "c", Title: "Item C", Roles: []string{"sre"}, Check: &checklist.Check{Run: "./c.sh"}},
			}},
			{ID: "deploy", Title: "Deploy", Items: []checklist.Item{
				{ID: "d", Title: "Item D", Roles: []string{"sre"}, Optional: true},
				{ID: "e", Title: "Item E", Roles: []string{"sre"}},
				{ID: "f", Title: "Item F", Roles: []string{"qa"}, Needs: []string{"e"}},
				{ID: "g", Title: "Item G & <more>", Roles: []string{"product-manager"}, Optional: true, Needs: []string{"f"}},
			}},
		},
	}
}

func testMeta() Meta {
	return Meta{ID: "v1.4.0", Version: "1.4.0", Type: TypeMinor, Summary: "Spring", CreatedAt: t0, CreatedBy: "alice"}
}

// mustNew is New that fails the test on an error.
func mustNew(tb testing.TB, meta Meta, cl checklist.Checklist) *Release {
	tb.Helper()
	r, err := New(meta, cl)
	if err != nil {
		tb.Fatalf("new %s: %v", meta.ID, err)
	}
	return r
}

func newTest(tb testing.TB) *Release {
	tb.Helper()
	return mustNew(tb, testMeta(), testChecklist())
}

// open is a policy where anyone signs anything.
var open = Policy{}

// sod is open with separation of duties.
var sod = Policy{SeparationOfDuties: true}

// members: sre is alice and bob, qa is carol; other roles are open.
var members = Policy{Members: map[string][]string{
	"sre": {"alice", "Bob@Example.com"},
	"qa":  {"carol"},
}}

func mustSign(t testing.TB, r *Release, pol Policy, actor, role string, items ...string) {
	t.Helper()
	mustSignAt(t, r, pol, at(len(r.Events)), actor, role, items...)
}

func mustSignAt(t testing.TB, r *Release, pol Policy, when time.Time, actor, role string, items ...string) {
	t.Helper()
	if err := r.Sign(SignRequest{Items: items, Role: role, Actor: actor, At: when}, pol); err != nil {
		t.Fatalf("sign %v as %s/%s: %v", items, actor, role, err)
	}
}

func checkResult(item string, passed bool) CheckResult {
	code := 0
	if !passed {
		code = 1
	}
	return CheckResult{Command: "./" + item + ".sh", Passed: passed, ExitCode: code, DurationMS: 12, OutputSHA256: strings.Repeat("0", 64), OutputTail: "ok\n"}
}

func passCheck(t testing.TB, r *Release, item string, passed bool) {
	t.Helper()
	passCheckAt(t, r, at(len(r.Events)), item, passed)
}

func passCheckAt(t testing.TB, r *Release, when time.Time, item string, passed bool) {
	t.Helper()
	if err := r.RecordCheck(item, "ci", when, checkResult(item, passed)); err != nil {
		t.Fatalf("record check %s: %v", item, err)
	}
}

func mustRevoke(t testing.TB, r *Release, pol Policy, when time.Time, actor, role, item string) {
	t.Helper()
	if err := r.Revoke(ActionRequest{Item: item, Role: role, Actor: actor, Reason: "redo", At: when}, pol); err != nil {
		t.Fatalf("revoke %s/%s as %s: %v", item, role, actor, err)
	}
}

func mustStatus(t testing.TB, r *Release, status, reason string, when time.Time) {
	t.Helper()
	if err := r.SetStatus(status, "alice", reason, when, open); err != nil {
		t.Fatalf("status %s: %v", status, err)
	}
}

// completePre signs every item of phase pre.
func completePre(t testing.TB, r *Release) {
	t.Helper()
	mustSign(t, r, open, "dev", "", "a")
	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "alice", "sre", "b")
	passCheck(t, r, "c", true)
	mustSign(t, r, open, "alice", "", "c")
}

// wantErr asserts err's exit code and that its message (and hint) contain
// every fragment.
func wantErr(t testing.TB, err error, code int, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want exit %d %q", code, fragments)
	}
	if !errs.IsTyped(err) {
		t.Fatalf("error %q is %T, want an error with an exit code", err, err)
	}
	if got := errs.Code(err); got != code {
		t.Errorf("exit code %d, want %d (%v)", got, code, err)
	}
	text := err.Error() + "\n" + errs.Hint(err)
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Errorf("error %q lacks %q", text, f)
		}
	}
}

// itemState is the item's view under the open policy.
func itemState(t testing.TB, r *Release, id string) ItemView {
	t.Helper()
	return viewItem(t, r, open, id)
}

// viewItem is the item's view under pol.
func viewItem(t testing.TB, r *Release, pol Policy, id string) ItemView {
	t.Helper()
	iv, ok := r.Evaluate(pol).Item(id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return iv
}

// stored lists events as a store hands them to Assemble: each under the
// name of its file.
func stored(events []Event) []StoredEvent {
	out := make([]StoredEvent, len(events))
	for i, e := range events {
		out[i] = StoredEvent{Name: e.FileName(), Event: e}
	}
	return out
}

// assemble is Assemble that fails the test on damage.
func assemble(tb testing.TB, h Header, events []StoredEvent) *Release {
	tb.Helper()
	r, damage := Assemble(h, events)
	if damage != nil {
		tb.Fatalf("damage: %s", DescribeDamage(damage))
	}
	if r == nil {
		tb.Fatal("no release and no damage")
	}
	return r
}

// fork is another clone of r: r's events as read back from a store, so
// the events it records next are children of r's heads.
func fork(tb testing.TB, r *Release) *Release {
	tb.Helper()
	return assemble(tb, r.Header, stored(r.Events))
}

// union is every event of the clones, each clone's in its order, with
// the ones they share repeated: what a merge of their folders holds.
func union(clones ...*Release) []Event {
	var out []Event
	for _, c := range clones {
		out = append(out, c.Events...)
	}
	return out
}

// merge assembles the union of the clones' events.
func merge(tb testing.TB, clones ...*Release) *Release {
	tb.Helper()
	return assemble(tb, clones[0].Header, stored(union(clones...)))
}

// shuffled returns a permutation of events.
func shuffled(rng *rand.Rand, events []Event) []Event {
	out := slices.Clone(events)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// hashes lists the events' hashes, in order.
func hashes(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Hash
	}
	return out
}

// dump renders a view byte for byte, pointers followed (%+v would print
// the addresses of LatestCheck and Check, which differ between calls).
func dump(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// craft records e on r as a writer of this build would, but without the
// policy Sign applies: what an older or modified tool could have written.
func craft(tb testing.TB, r *Release, e Event) Event {
	tb.Helper()
	if err := r.appendEvent(e); err != nil {
		tb.Fatal(err)
	}
	return r.Events[len(r.Events)-1]
}

// signoffOf is the one sign-off of the item by actor for role.
func signoffOf(t testing.TB, iv ItemView, actor, role string) Signoff {
	t.Helper()
	var found []Signoff
	for _, s := range iv.Signoffs {
		if s.By == actor && s.Role == role {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s has %d sign-offs by %s for %s: %+v", iv.ID, len(found), actor, role, iv.Signoffs)
	}
	return found[0]
}
