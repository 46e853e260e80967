package main

import (
	"bufio"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docCommand is one `octorelease ...` line of a YAML block in docs/ci.md.
type docCommand struct {
	section string
	line    int
	args    []string
}

func (c docCommand) String() string {
	return "docs/ci.md:" + strconv.Itoa(c.line) + " (" + c.section + "): " + strings.Join(c.args, " ")
}

// ciDocCommands extracts the octorelease command lines of the ```yaml blocks
// of docs/ci.md: `run: octorelease ...`, `- octorelease ...` and bare lines
// of a `run: |` block.
func ciDocCommands(t *testing.T) []docCommand {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docCommand
	section, inYAML := "", false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
			continue
		case strings.HasPrefix(line, "```yaml"):
			inYAML = true
			continue
		case strings.HasPrefix(line, "```"):
			inYAML = false
			continue
		}
		if !inYAML {
			continue
		}
		s := strings.TrimSpace(line)
		s = strings.TrimPrefix(s, "- ")
		s = strings.TrimPrefix(s, "run: ")
		if i := strings.Index(s, " #"); i >= 0 {
			s = s[:i]
		}
		if !strings.HasPrefix(s, "octorelease ") {
			continue
		}
		if strings.ContainsAny(s, "$\"'`|&;<>") {
			t.Errorf("docs/ci.md:%d: keep octorelease commands free of shell syntax: %s", n, s)
			continue
		}
		out = append(out, docCommand{section: section, line: n, args: strings.Fields(s)[1:]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCIDocExamples runs the octorelease commands of docs/ci.md against a
// prepared release and checks the exit codes the page promises, so that the
// examples cannot rot.
func TestCIDocExamples(t *testing.T) {
	cmds := ciDocCommands(t)
	// Each CI system's example must gate the deploy on pre-release, run the
	// checks and write a JUnit report.
	for _, section := range []string{"GitHub Actions", "GitLab CI"} {
		var gate, check, junit bool
		for _, c := range cmds {
			if c.section != section {
				continue
			}
			joined := strings.Join(c.args, " ")
			gate = gate || strings.HasPrefix(joined, "gate --phase pre-release")
			check = check || c.args[0] == "check"
			junit = junit || strings.Contains(joined, "--junit ")
		}
		if !gate || !check || !junit {
			t.Errorf("%s example: gate --phase pre-release %v, check %v, --junit %v; want all", section, gate, check, junit)
		}
	}

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".octorelease.yaml"), "checklists: checklists\n")
	writeFile(t, filepath.Join(dir, "scripts", "verify-scans.sh"), "echo no findings\n")
	writeFile(t, filepath.Join(dir, "checklists", "minor.yaml"), `name: minor
extends: base
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: ci-security-scans
        title: Passing CI and security scans
        roles: [security]
        check:
          run: sh scripts/verify-scans.sh
          timeout: 2m
`)
	run := func(want int, args ...string) {
		t.Helper()
		if got, out := runOctorelease(t, dir, args...); got != want {
			t.Fatalf("octorelease %s: exit %d, want %d\n%s", strings.Join(args, " "), got, want, out)
		}
	}
	run(0, "start", "1.4.0", "--type", "minor", "--no-walk")

	// Pre-release incomplete: every gate is 3, every check 0.
	for _, c := range cmds {
		want := 0
		if c.args[0] == "gate" {
			want = 3
		}
		if got, out := runOctorelease(t, dir, c.args...); got != want {
			t.Errorf("%s: exit %d while pre-release is incomplete, want %d\n%s", c, got, want, out)
		}
	}

	// Signed off (the scan's sign-off needs the check that just passed): every command is 0.
	run(0, "sign", "acceptance-criteria", "ci-security-scans", "qa-signoff", "rollback-plan", "capacity")
	for _, role := range []string{"product-manager", "project-manager"} {
		run(0, "sign", "release-notes", "--role", role)
	}
	for _, role := range []string{"qa", "sre"} {
		run(0, "sign", "staging-smoke-tests", "--role", role)
	}
	for _, c := range cmds {
		if got, out := runOctorelease(t, dir, c.args...); got != 0 {
			t.Errorf("%s: exit %d once pre-release is signed off, want 0\n%s", c, got, out)
		}
	}

	// The JUnit report the examples publish: the 7 pre-release items, none failing.
	var report junitReport
	data, err := os.ReadFile(filepath.Join(dir, "reports", "octorelease.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &report); err != nil {
		t.Fatalf("JUnit report does not parse: %v", err)
	}
	if len(report.Suites) != 1 || report.Suites[0].Tests != 7 || report.Suites[0].Failures != 0 {
		t.Errorf("JUnit report: %+v, want one suite of 7 tests, 0 failures", report.Suites)
	}
}

// runOctorelease runs the octorelease that testscript.Main put on PATH, as
// the CI examples do, and returns its exit code and combined output.
func runOctorelease(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("octorelease", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+dir, "NO_COLOR=1", "OCTORELEASE_ACTOR=ci", "OCTORELEASE_RELEASE=v1.4.0",
		"GITHUB_ACTIONS=", "GITHUB_STEP_SUMMARY=", "OCTORELEASE_CONFIG=", "OCTORELEASE_STATE_DIR=",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")) // see TestScripts
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("run octorelease: %v", err)
	return -1, ""
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
