package release

import (
	"errors"
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

func newTest() *Release { return New(testMeta(), testChecklist()) }

// open is a policy where anyone signs anything.
var open = Policy{}

// members: sre is alice and bob, qa is carol; other roles are open.
var members = Policy{Members: map[string][]string{
	"sre": {"alice", "Bob@Example.com"},
	"qa":  {"carol"},
}}

func mustSign(t *testing.T, r *Release, pol Policy, actor, role string, items ...string) {
	t.Helper()
	if err := r.Sign(SignRequest{Items: items, Role: role, Actor: actor, At: at(len(r.Events))}, pol); err != nil {
		t.Fatalf("sign %v as %s/%s: %v", items, actor, role, err)
	}
}

func passCheck(t *testing.T, r *Release, item string, passed bool) {
	t.Helper()
	code := 0
	if !passed {
		code = 1
	}
	res := CheckResult{Command: "./" + item + ".sh", Passed: passed, ExitCode: code, DurationMS: 12, OutputSHA256: strings.Repeat("0", 64), OutputTail: "ok\n"}
	if err := r.RecordCheck(item, "ci", at(len(r.Events)), res); err != nil {
		t.Fatalf("record check %s: %v", item, err)
	}
}

// completePre signs every item of phase pre.
func completePre(t *testing.T, r *Release) {
	t.Helper()
	mustSign(t, r, open, "dev", "", "a")
	mustSign(t, r, open, "carol", "qa", "b")
	mustSign(t, r, open, "alice", "sre", "b")
	passCheck(t, r, "c", true)
	mustSign(t, r, open, "alice", "", "c")
}

// wantErr asserts err's exit code and that its message (and hint) contain
// every fragment.
func wantErr(t *testing.T, err error, code int, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want exit %d %q", code, fragments)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q is %T, want *errs.Error", err, err)
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

func itemState(t *testing.T, r *Release, id string) ItemView {
	t.Helper()
	iv, ok := r.Evaluate().Item(id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return iv
}
