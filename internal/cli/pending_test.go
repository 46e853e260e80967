package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
)

var pendingT0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const pendingConfig = `roles:
  qa:
    members: [carol, quinn]
  sre:
    members: [alice]
  security:
    members: ["eve\e[31m", sam]
`

// pendingFixture is a factory over buffers with a settable clock and two
// releases in progress, made on the command line (runArgs):
//
//   - v1.4.0, started at T0: phase pre-release completed at T0+1h
//     (deploy's items actionable since then), staging-deploy and
//     final-security-review signed at T0+2h (production-deploy actionable
//     since then);
//   - v2.0.0, started at T0+30m, nothing signed.
//
// Both are started by alice. The clock stands at T0+3h.
type pendingFixture struct {
	f   *Factory
	now time.Time
}

func newPendingFixture(t *testing.T) *pendingFixture {
	t.Helper()
	f, _, _ := testFactory(t)
	fx := &pendingFixture{f: f, now: pendingT0}
	f.Now = func() time.Time { return fx.now }
	if err := os.WriteFile(filepath.Join(f.Cwd, ".octorelease.yaml"), []byte(pendingConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRunArgs(t, f, false, "--as", "alice", "start", "1.4.0", "--type", "minor", "--no-walk")
	fx.now = pendingT0.Add(30 * time.Minute)
	mustRunArgs(t, f, false, "--as", "alice", "start", "2.0.0", "--type", "major", "--no-walk")
	fx.now = pendingT0.Add(time.Hour)
	for _, s := range []struct{ as, role, item string }{
		{"dev", "", "acceptance-criteria"},
		{"sam", "", "ci-security-scans"},
		{"carol", "", "qa-signoff"},
		{"pat", "product-manager", "release-notes"},
		{"pm", "project-manager", "release-notes"},
		{"alice", "", "rollback-plan"},
		{"quinn", "qa", "staging-smoke-tests"},
		{"alice", "sre", "staging-smoke-tests"},
		{"alice", "", "capacity"},
	} {
		fx.sign(t, s.as, s.role, s.item)
	}
	fx.now = pendingT0.Add(2 * time.Hour)
	fx.sign(t, "alice", "sre", "staging-deploy")
	fx.sign(t, "carol", "qa", "staging-deploy")
	fx.sign(t, "sam", "", "final-security-review")
	fx.now = pendingT0.Add(3 * time.Hour)
	return fx
}

// sign signs item of v1.4.0 as as, for role if given.
func (fx *pendingFixture) sign(t *testing.T, as, role, item string) {
	t.Helper()
	args := []string{"-r", "v1.4.0", "--as", as, "sign", item}
	if role != "" {
		args = append(args, "--role", role)
	}
	if _, errOut, err := runArgs(t, fx.f, false, args...); err != nil {
		t.Fatalf("sign %s as %s: %v (stderr %q)", item, as, err, errOut)
	}
}

// run runs the command line args as alice, on a terminal or a pipe, and
// returns stdout.
func (fx *pendingFixture) run(t *testing.T, tty bool, args ...string) string {
	t.Helper()
	out, errOut, err := runArgs(t, fx.f, tty, append([]string{"--as", "alice"}, args...)...)
	if err != nil {
		t.Fatalf("%v (stderr %q)", err, errOut)
	}
	return out
}

// TestPendingText: one release (-r) and every one (--all), on a terminal
// and on a pipe.
func TestPendingText(t *testing.T) {
	fx := newPendingFixture(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"one", []string{"-r", "v1.4.0", "pending"}},
		{"role", []string{"-r", "v1.4.0", "pending", "--role", "sre"}},
		{"all-role", []string{"pending", "--all", "--role", "security"}},
		{"all", []string{"pending", "--all"}},
	} {
		for _, tty := range []bool{true, false} {
			mode := map[bool]string{true: "tty", false: "pipe"}[tty]
			t.Run(tc.name+"-"+mode, func(t *testing.T) {
				got := fx.run(t, tty, tc.args...)
				if strings.Contains(got, "\x1b") {
					t.Errorf("an escape sequence reached the output:\n%q", got)
				}
				if !tty {
					for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
						if strings.TrimRight(line, " \t") != line {
							t.Errorf("trailing blank in %q", line)
						}
					}
				}
				checkGolden(t, "TestPendingText-"+tc.name+"-"+mode, got)
			})
		}
	}
}

// TestPendingJSON pins the shape of -o json, with and without --all.
func TestPendingJSON(t *testing.T) {
	fx := newPendingFixture(t)
	one := fx.run(t, false, "-r", "1.4.0", "-o", "json", "pending")
	checkGolden(t, "TestPendingJSON-one", one)
	var v pendingJSON
	if err := json.Unmarshal([]byte(one), &v); err != nil {
		t.Fatal(err)
	}
	if v.Release != "v1.4.0" || v.Gate.Passed || v.Gate.Blockers != 6 {
		t.Errorf("release %s gate %+v, want v1.4.0 blocked by 6", v.Release, v.Gate)
	}
	all := fx.run(t, false, "-o", "json", "pending", "--all", "--role", "qa")
	checkGolden(t, "TestPendingJSON-all-qa", all)
	var vs []pendingJSON
	if err := json.Unmarshal([]byte(all), &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Release != "v1.4.0" || vs[1].Release != "v2.0.0" {
		t.Fatalf("--all: %+v", vs)
	}
	for _, v := range vs {
		for _, r := range v.Roles {
			if r.Role != "qa" {
				t.Errorf("--role qa shows role %s", r.Role)
			}
		}
	}
}

// TestPendingNobody: a release waiting on nobody (or not on the role
// asked for) says so on stderr, and writes no data.
func TestPendingNobody(t *testing.T) {
	fx := newPendingFixture(t)
	out, errOut, err := runArgs(t, fx.f, false, "--as", "alice", "-r", "v1.4.0", "pending", "--role", "developer")
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	if got, want := errOut, "v1.4.0 is not waiting on Developer now\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if _, _, err := runArgs(t, fx.f, false, "--as", "alice", "-r", "v1.4.0", "pending", "--role", "wizard"); errs.Code(err) != errs.CodeUsage {
		t.Errorf("unknown role: %v, want a usage error", err)
	}
	if _, _, err := runArgs(t, fx.f, false, "--as", "alice", "-r", "v1.4.0", "pending", "--all"); errs.Code(err) != errs.CodeUsage {
		t.Errorf("--all with -r: %v, want a usage error", err)
	}
}

// TestStatusWaitingSummary: status ends with who it is waiting on on a
// terminal, and only there.
func TestStatusWaitingSummary(t *testing.T) {
	fx := newPendingFixture(t)
	tty := fx.run(t, true, "-r", "v1.4.0", "status")
	checkGolden(t, "TestStatusWaitingSummary-tty", tty)
	if strings.Contains(tty, "\x1b") {
		t.Errorf("an escape sequence reached the output:\n%q", tty)
	}
	lines := strings.Split(strings.TrimSuffix(tty, "\n"), "\n")
	want := "waiting on: Project Manager (anyone) for deployment-window since 2h; SRE/DevOps (alice) for backup, production-deploy since 2h"
	if last := lines[len(lines)-1]; last != want || lines[len(lines)-2] != "" {
		t.Errorf("status on a terminal ends\n%q\n%q\nwant a blank line and\n%q", lines[len(lines)-2], last, want)
	}
	filtered := fx.run(t, true, "-r", "v1.4.0", "status", "--role", "sre", "--pending")
	if got := filtered[strings.LastIndex(strings.TrimSuffix(filtered, "\n"), "\n")+1:]; got != "waiting on: SRE/DevOps (alice) for backup, production-deploy since 2h\n" {
		t.Errorf("status --role sre on a terminal ends %q", got)
	}
	for _, format := range []string{"text", "json"} {
		got := fx.run(t, false, "-r", "v1.4.0", "-o", format, "status")
		if strings.Contains(got, "waiting on:") {
			t.Errorf("status -o %q on a pipe has the summary:\n%s", format, got)
		}
	}
}

// TestListGate: list shows each release's gate state, last on a pipe.
func TestListGate(t *testing.T) {
	fx := newPendingFixture(t)
	for _, tty := range []bool{true, false} {
		got := fx.run(t, tty, "list")
		checkGolden(t, "TestListGate-"+map[bool]string{true: "tty", false: "pipe"}[tty], got)
	}
	got := fx.run(t, false, "-o", "json", "list")
	var rows []struct {
		ID   string        `json:"id"`
		Gate gateStateJSON `json:"gate"`
	}
	if err := json.Unmarshal([]byte(got), &rows); err != nil {
		t.Fatal(err)
	}
	want := []gateStateJSON{{Passed: false, Blockers: 6}, {Passed: false, Blockers: 17}}
	if len(rows) != 2 || rows[0].Gate != want[0] || rows[1].Gate != want[1] {
		t.Errorf("list -o json gates: %+v, want %+v", rows, want)
	}
}

// TestGateSeveralInProgress: gate with no -r and two releases in
// progress exits 2 and names them.
func TestGateSeveralInProgress(t *testing.T) {
	fx := newPendingFixture(t)
	_, _, err := runArgs(t, fx.f, false, "--as", "alice", "gate")
	if errs.Code(err) != errs.CodeUsage {
		t.Fatalf("gate: %v (exit %d), want exit 2", err, errs.Code(err))
	}
	if got, want := err.Error(), "2 releases in progress: v1.4.0, v2.0.0"; got != want {
		t.Errorf("gate: %q, want %q", got, want)
	}
	if got := errs.Hint(err); !strings.Contains(got, "-r") {
		t.Errorf("hint %q does not say how to name one", got)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// TestPendingColor: on a colour terminal the text is the plain one,
// styled.
func TestPendingColor(t *testing.T) {
	fx := newPendingFixture(t)
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"TestPendingText-all-tty", []string{"pending", "--all"}},
		{"TestStatusWaitingSummary-tty", []string{"-r", "v1.4.0", "status"}},
		{"TestListGate-tty", []string{"list"}},
	} {
		fx.f.IO.SetColor(true)
		got := fx.run(t, true, tc.args...)
		fx.f.IO.SetColor(false)
		if !sgr.MatchString(got) {
			t.Errorf("%s: no colour on a colour terminal:\n%s", tc.golden, got)
		}
		want, err := os.ReadFile(filepath.Join("testdata", tc.golden+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		if plain := sgr.ReplaceAllString(got, ""); plain != string(want) {
			t.Errorf("%s in colour, unstyled:\n%s\nwant\n%s", tc.golden, plain, want)
		}
	}
}
