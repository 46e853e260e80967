package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
)

// The goldens below pin the text (terminal and pipe) and JSON output of
// every data command, run on the command line (runArgs) against one
// release that shows every state. Colour stays off (the ui package has
// the colour goldens); a terminal is 100 columns wide.

// goldenWidth is the terminal width of the terminal variants.
const goldenWidth = 100

var goldenT0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// goldenConfig names members for every role but developer, who is
// anyone, and gives sre a name of its own.
const goldenConfig = `roles:
  qa:
    members: [carol, quinn]
  sre:
    name: SRE
    members: [alice, bob]
  security:
    members: [sam]
  product-manager:
    members: [pat]
  project-manager:
    members: [pm]
`

// goldenFixture is a folder with goldenConfig and two releases, made on
// the command line with a clock that moves between steps:
//
//   - v1.3.0, started by alice at T0-2d, aborted at T0-1d;
//   - v1.4.0, started by alice at T0 with a summary: at T0+1h every item
//     of pre-release signed (with a note, evidence, and two roles for
//     release-notes and staging-smoke-tests); at T0+2h deployment-window
//     waived and staging-deploy signed by sre and qa; at T0+2h30m alice's
//     sre sign-off of staging-deploy revoked. So deploy has a waived item,
//     pending ones (backup, final-security-review, staging-deploy with
//     qa's sign-off standing) and blocked ones.
//
// The clock stands at T0+3h; commands run as alice unless they say --as.
type goldenFixture struct {
	f   *Factory
	now time.Time
}

func newGoldenFixture(t *testing.T) *goldenFixture {
	t.Helper()
	f, _, _ := testFactory(t)
	f.IO.SetWidth(goldenWidth)
	fx := &goldenFixture{f: f}
	f.Now = func() time.Time { return fx.now }
	if err := os.WriteFile(filepath.Join(f.Cwd, ".octorelease.yaml"), []byte(goldenConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at   time.Duration
		args []string
	}{
		{-48 * time.Hour, []string{"--as", "alice", "start", "1.3.0", "--type", "minor", "--no-walk", "--summary", "Search filters"}},
		{-24 * time.Hour, []string{"--as", "alice", "-r", "v1.3.0", "abort", "--reason", "superseded by 1.4.0"}},
		{0, []string{"--as", "alice", "start", "1.4.0", "--type", "minor", "--no-walk", "--summary", "Faster search and saved queries"}},
		{time.Hour, []string{"--as", "dev", "sign", "acceptance-criteria", "--note", "all 14 PRs merged"}},
		{time.Hour, []string{"--as", "sam", "sign", "ci-security-scans", "--evidence", "https://ci.example.com/run/42"}},
		{time.Hour, []string{"--as", "carol", "sign", "qa-signoff"}},
		{time.Hour, []string{"--as", "pat", "sign", "release-notes", "--role", "product-manager"}},
		{time.Hour, []string{"--as", "pm", "sign", "release-notes", "--role", "project-manager"}},
		{time.Hour, []string{"--as", "alice", "sign", "rollback-plan", "capacity"}},
		{time.Hour, []string{"--as", "quinn", "sign", "staging-smoke-tests", "--role", "qa"}},
		{time.Hour, []string{"--as", "alice", "sign", "staging-smoke-tests", "--role", "sre"}},
		{2 * time.Hour, []string{"--as", "pm", "waive", "deployment-window", "--role", "project-manager", "--reason", "no change freeze this week"}},
		{2 * time.Hour, []string{"--as", "alice", "sign", "staging-deploy", "--role", "sre", "--note", "build 812"}},
		{2 * time.Hour, []string{"--as", "carol", "sign", "staging-deploy", "--role", "qa"}},
		{150 * time.Minute, []string{"--as", "alice", "revoke", "staging-deploy", "--role", "sre", "--reason", "smoke tests flaked; redeploying"}},
	}
	for _, s := range steps {
		fx.now = goldenT0.Add(s.at)
		mustRunArgs(t, f, false, s.args...)
	}
	fx.now = goldenT0.Add(3 * time.Hour)
	return fx
}

// goldenCase is one command line and the golden it is checked against.
type goldenCase struct {
	variant string
	tty     bool
	args    []string
	code    int // the exit code the command must end with
}

// textCases are a command's terminal and pipe variants, named prefix-tty
// and prefix-pipe (tty and pipe when prefix is empty).
func textCases(prefix string, code int, args ...string) []goldenCase {
	name := func(mode string) string {
		if prefix == "" {
			return mode
		}
		return prefix + "-" + mode
	}
	return []goldenCase{{name("tty"), true, args, code}, {name("pipe"), false, args, code}}
}

// jsonCase is a command's -o json variant, on a pipe.
func jsonCase(variant string, code int, args ...string) []goldenCase {
	return []goldenCase{{variant, false, append([]string{"-o", "json"}, args...), code}}
}

// runGoldens runs each case as alice (unless it says --as) and compares
// its transcript with testdata/<TestName>-<variant>.golden; normalise, if
// given, takes out what is not the same from one run to the next.
func runGoldens(t *testing.T, base *Factory, cases []goldenCase, normalise func(string) string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.variant, func(t *testing.T) {
			args := tc.args
			if !slices.Contains(args, "--as") {
				args = append([]string{"--as", "alice"}, args...)
			}
			out, errOut, err := runArgs(t, base, tc.tty, args...)
			if code := errs.Code(err); code != tc.code {
				t.Fatalf("octorelease %q: exit %d (%v), want %d\nstdout: %s\nstderr: %s", args, code, err, tc.code, out, errOut)
			}
			got := transcript(out, errOut, err)
			if normalise != nil {
				got = normalise(got)
			}
			if strings.Contains(got, "\x1b") {
				t.Errorf("an escape sequence reached the output:\n%q", got)
			}
			if !tc.tty {
				// An empty last field is a column kept in place; a
				// trailing space is padding that has no place on a pipe.
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if strings.TrimRight(line, " ") != line {
						t.Errorf("trailing space on a pipe in %q", line)
					}
				}
			}
			checkGolden(t, strings.ReplaceAll(t.Name(), "/", "-"), got)
		})
	}
}

// transcript is what a run shows: stdout as it is, then, when there is
// any, what went to stderr, then the error the process would print and
// its exit code (as app.Report prints it).
func transcript(out, errOut string, err error) string {
	var b strings.Builder
	b.WriteString(out)
	if errOut != "" {
		b.WriteString("--- stderr\n")
		b.WriteString(errOut)
	}
	if err != nil {
		fmt.Fprintf(&b, "--- exit %d\noctorelease: %s\n", errs.Code(err), err)
		if h := errs.Hint(err); h != "" {
			fmt.Fprintf(&b, "hint: %s\n", h)
		}
	}
	return b.String()
}

// goVersion takes the toolchain's version out of `version`.
func goVersion(s string) string { return strings.ReplaceAll(s, runtime.Version(), "GO_VERSION") }

// TestReadGoldens: every command that only reads, on one fixture (none of
// them changes it): on a terminal, on a pipe and as JSON.
func TestReadGoldens(t *testing.T) {
	fx := newGoldenFixture(t)
	for _, g := range []struct {
		name      string
		cases     []goldenCase
		normalise func(string) string
	}{
		{"status", slices.Concat(textCases("", 0, "status"),
			textCases("role-pending", 0, "status", "--role", "sre", "--pending"), jsonCase("json", 0, "status")), nil},
		// alice is no member of security: nothing for her, said on stderr.
		{"next", slices.Concat(textCases("", 0, "next"), textCases("role", 0, "--as", "sam", "next", "--role", "security"),
			[]goldenCase{{"role-nobody-pipe", false, []string{"next", "--role", "security"}, 0}}, jsonCase("json", 0, "next")), nil},
		{"pending", slices.Concat(textCases("", 0, "pending"), jsonCase("json", 0, "pending")), nil},
		{"list", slices.Concat(textCases("", 0, "list"), textCases("all", 0, "list", "--all"),
			jsonCase("all-json", 0, "list", "--all")), nil},
		{"log", slices.Concat(textCases("", 0, "log"), jsonCase("json", 0, "log")), nil},
		// pre-release passes, the whole release does not.
		{"gate", slices.Concat(textCases("phase", 0, "gate", "--phase", "pre-release"), textCases("", errs.CodeGate, "gate"),
			jsonCase("json", errs.CodeGate, "gate"), jsonCase("phase-json", 0, "gate", "--phase", "pre-release")), nil},
		{"audit-verify", slices.Concat(textCases("", 0, "audit", "verify"), textCases("all", 0, "audit", "verify", "--all"),
			jsonCase("json", 0, "audit", "verify")), nil},
		{"checklist-list", slices.Concat(textCases("", 0, "checklist", "list"), jsonCase("json", 0, "checklist", "list")), nil},
		{"checklist-show", slices.Concat(textCases("", 0, "checklist", "show", "minor"),
			[]goldenCase{{"markdown", false, []string{"-o", "markdown", "checklist", "show", "minor"}, 0}},
			jsonCase("json", 0, "checklist", "show", "minor")), nil},
		// notes on stdout (not --write), in a folder that is no git
		// repository, which notes warns about.
		{"notes", slices.Concat(textCases("", 0, "notes"), jsonCase("json", 0, "notes")), nil},
		{"version", slices.Concat(textCases("", 0, "version"), jsonCase("json", 0, "version")), goVersion},
		{"help-config", textCases("", 0, "help", "config"), nil},
	} {
		t.Run(g.name, func(t *testing.T) { runGoldens(t, fx.f, g.cases, g.normalise) })
	}
}

const checkChecklist = `name: minor
description: A small checklist with automated checks
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: ci-security-scans
        title: Security scans clean
        roles: [security]
        check:
          run: "true"
      - id: lint
        title: Lint clean
        roles: [developer]
        check:
          run: "echo 'main.go:3: unused variable x'; false"
      - id: qa-signoff
        title: QA sign-off completed
        roles: [qa]
`

// checkDurations takes out how long a check took: the wall clock, not
// the fixture's.
var checkDurations = regexp.MustCompile(`(passed in |\) in )[0-9.]+(ns|µs|ms|s)\b|("duration_ms": )[0-9]+`)

func normaliseDurations(s string) string {
	return checkDurations.ReplaceAllStringFunc(s, func(m string) string {
		sub := checkDurations.FindStringSubmatch(m)
		if sub[3] != "" {
			return sub[3] + "DURATION"
		}
		return sub[1] + "DURATION"
	})
}

// TestCheckGolden: one check passes (`true`), one fails with output; the
// text goes to stderr, stdout has the JSON. Exit 1: a check failed. The
// terminal variant is the pipe's: progress is drawn only when stderr is a
// terminal, which runArgs never makes it (its timing is the wall clock's).
func TestCheckGolden(t *testing.T) {
	f, _, _ := testFactory(t)
	f.IO.SetWidth(goldenWidth)
	for name, data := range map[string]string{
		".octorelease.yaml":     "checklists: checklists\nroles:\n  security:\n    members: [sam]\n",
		"checklists/minor.yaml": checkChecklist,
	} {
		path := filepath.Join(f.Cwd, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustRunArgs(t, f, false, "--as", "alice", "start", "1.4.0", "--type", "minor", "--no-walk", "--summary", "Checks")
	cases := slices.Concat(textCases("", errs.CodeRuntime, "check"), jsonCase("json", errs.CodeRuntime, "check"),
		[]goldenCase{{"one-pipe", false, []string{"check", "ci-security-scans"}, 0}})
	runGoldens(t, f, cases, normaliseDurations)
}

// TestWriteGolden: the commands that record something, each on a fresh
// fixture (they change it), on a terminal and a pipe, and with -o json
// where they print data. What they did is said on stderr; stdout has the
// id or the data.
func TestWriteGolden(t *testing.T) {
	var cases []goldenCase
	add := func(prefix string, code int, json bool, args ...string) {
		cases = append(cases, textCases(prefix, code, args...)...)
		if json {
			cases = append(cases, jsonCase(prefix+"-json", code, args...)...)
		}
	}
	add("start", 0, true, "start", "2.0.0", "--type", "major", "--no-walk", "--summary", "New search engine")
	add("sign", 0, false, "--as", "sam", "sign", "final-security-review", "--note", "pen test clean")
	add("sign-again", 0, false, "--as", "alice", "-r", "v1.4.0", "sign", "staging-deploy", "--role", "sre")
	add("waive", 0, false, "--as", "alice", "waive", "backup", "--role", "sre", "--reason", "stateless service")
	add("revoke", 0, false, "--as", "carol", "revoke", "qa-signoff", "--role", "qa", "--reason", "regression in checkout")
	add("finish-blocked", errs.CodeGate, false, "finish")
	add("abort", 0, false, "abort", "--reason", "superseded by 1.4.1")
	add("incident", 0, true, "--as", "alice", "incident", "--reason", "checkout errors at 5%")
	add("export", 0, true, "export", "--all", "backup")
	add("migrate", 0, true, "migrate")
	for _, tc := range cases {
		fx := newGoldenFixture(t)
		runGoldens(t, fx.f, []goldenCase{tc}, func(s string) string { return strings.ReplaceAll(s, fx.f.Cwd, "$WORK") })
	}
}

// TestMigrateGolden: migrate carries a format-1 state folder (the legacy
// reader's fixture) into format 2, saying so per release.
func TestMigrateGolden(t *testing.T) {
	f, _, _ := testFactory(t)
	src := filepath.Join("..", "legacy", "testdata", "state")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(f.Cwd, ".octorelease")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(state, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGoldens(t, f, []goldenCase{{"pipe", false, []string{"migrate"}, 0}, {"again-json", false, []string{"-o", "json", "migrate"}, 0}},
		func(s string) string { return strings.ReplaceAll(s, f.Cwd, "$WORK") })
}

// TestImportGolden: what export wrote is imported into another project's
// file store, then imported again, which adds nothing.
func TestImportGolden(t *testing.T) {
	fx := newGoldenFixture(t)
	backup := filepath.Join(t.TempDir(), "backup")
	mustRunArgs(t, fx.f, false, "export", "--all", backup)
	other, _, _ := testFactory(t)
	other.Now = fx.f.Now
	normalise := func(s string) string { return strings.ReplaceAll(s, backup, "$BACKUP") }
	runGoldens(t, other, slices.Concat(textCases("", 0, "import", backup), jsonCase("again-json", 0, "import", backup)), normalise)
}
