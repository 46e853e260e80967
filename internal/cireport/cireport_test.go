package cireport

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

var at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// gateRun is when the gate ran, in a zone other than UTC.
var gateRun = time.Date(2026, 11, 25, 12, 30, 0, 0, time.FixedZone("CET", 3600))

func item(phase, id, title, state string, roles []string, pending []string, signoffs ...release.Signoff) release.ItemView {
	return release.ItemView{
		Item:         checklist.Item{ID: id, Title: title, Roles: roles},
		Phase:        phase,
		State:        state,
		PendingRoles: pending,
		Signoffs:     signoffs,
	}
}

// failingGate is a pre-release gate with one done, one waived, one unsigned
// item (partly signed) and one whose check failed.
func failingGate() release.GateResult {
	check := item("pre-release", "ci-security-scans", "Passing CI and security scans", release.StateDone,
		[]string{"security"}, nil, release.Signoff{Role: "security", By: "dave", At: at, Kind: "sign"})
	check.LatestCheck = &release.CheckEvent{
		CheckResult: release.CheckResult{Command: "./scan.sh", ExitCode: 2, DurationMS: 1234, OutputTail: "CVE-1 found\n"},
		By:          "ci", At: at,
	}
	return release.GateResult{
		Release: "v1.4.0",
		Phase:   "pre-release",
		Passed:  false,
		Items: []release.ItemView{
			item("pre-release", "acceptance-criteria", "All acceptance criteria met and PRs merged", release.StateDone,
				[]string{"developer"}, nil, release.Signoff{Role: "developer", By: "erin", At: at, Kind: "sign"}),
			check,
			item("pre-release", "release-notes", "Release notes drafted", release.StatePending,
				[]string{"product-manager", "project-manager"}, []string{"project-manager"},
				release.Signoff{Role: "product-manager", By: "pat", At: at, Kind: "sign"}),
			item("pre-release", "backup", "Backup | snapshot", release.StateWaived,
				[]string{"sre"}, nil, release.Signoff{Role: "sre", By: "alice", At: at, Kind: "waive", Reason: "no database"}),
		},
		Blockers: []release.Blocker{
			{Item: "ci-security-scans", Title: "Passing CI and security scans", Phase: "pre-release", Reason: "check-failed"},
			{Item: "release-notes", Title: "Release notes drafted", Phase: "pre-release",
				PendingRoles: []string{"project-manager"}, Reason: "unsigned"},
		},
	}
}

// Only the attributes and elements CI reporters read; parsed back
// independently of the writer's types.
type parsedSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Skipped   int    `xml:"skipped,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) parsedSuites {
	t.Helper()
	var p parsedSuites
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, data)
	}
	if len(p.Suites) != 1 {
		t.Fatalf("got %d testsuites, want 1", len(p.Suites))
	}
	return p
}

func TestJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.4.0", failingGate(), gateRun); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("missing XML declaration:\n%s", buf.String())
	}
	p := parseJUnit(t, buf.Bytes())
	s := p.Suites[0]
	if p.Tests != 4 || p.Failures != 2 || p.Errors != 0 {
		t.Errorf("testsuites tests/failures/errors = %d/%d/%d, want 4/2/0", p.Tests, p.Failures, p.Errors)
	}
	if s.Name != "octorelease gate v1.4.0 [pre-release]" || s.Tests != 4 || s.Failures != 2 || s.Skipped != 1 || s.Errors != 0 {
		t.Errorf("testsuite = %q tests=%d failures=%d skipped=%d errors=%d",
			s.Name, s.Tests, s.Failures, s.Skipped, s.Errors)
	}
	// Times are the checks' durations in seconds; the suite's timestamp is
	// when the gate ran, in UTC.
	if s.Time != "1.234" || p.Time != "1.234" || s.Timestamp != "2026-11-25T11:30:00Z" {
		t.Errorf("testsuite time=%q timestamp=%q, testsuites time=%q; want 1.234, 2026-11-25T11:30:00Z, 1.234",
			s.Time, s.Timestamp, p.Time)
	}
	if ts, err := time.Parse(time.RFC3339, s.Timestamp); err != nil || !ts.Equal(gateRun) {
		t.Errorf("timestamp %q is not RFC 3339 of the gate run: %v", s.Timestamp, err)
	}
	wantNames := []string{
		"acceptance-criteria: All acceptance criteria met and PRs merged",
		"ci-security-scans: Passing CI and security scans",
		"release-notes: Release notes drafted",
		"backup: Backup | snapshot",
	}
	if len(s.Cases) != len(wantNames) {
		t.Fatalf("got %d test cases, want %d", len(s.Cases), len(wantNames))
	}
	for i, c := range s.Cases {
		if c.Name != wantNames[i] || c.ClassName != "v1.4.0.pre-release" {
			t.Errorf("case %d = %s / %q, want v1.4.0.pre-release / %q", i, c.ClassName, c.Name, wantNames[i])
		}
	}
	for i, want := range []string{"0", "1.234", "0", "0"} {
		if got := s.Cases[i].Time; got != want {
			t.Errorf("case %d time = %q, want %q", i, got, want)
		}
	}
	if c := s.Cases[0]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("done item reported as failed or skipped")
	}
	if f := s.Cases[1].Failure; f == nil || f.Type != "check-failed" ||
		f.Message != "ci-security-scans (pre-release) is check-failed" ||
		!strings.Contains(f.Body, "exit code: 2") || !strings.Contains(f.Body, "CVE-1 found") {
		t.Errorf("check-failed case failure = %+v", f)
	}
	if f := s.Cases[2].Failure; f == nil || f.Type != "unsigned" ||
		f.Message != "release-notes (pre-release) is unsigned: waiting on project-manager" ||
		f.Body != "title: Release notes drafted\npending roles: project-manager\n" {
		t.Errorf("unsigned case failure = %+v", f)
	}
	if sk := s.Cases[3].Skipped; sk == nil || sk.Message != "waived: no database" || s.Cases[3].Failure != nil {
		t.Errorf("waived case skipped = %+v", sk)
	}
}

func TestJUnitPassedAllPhases(t *testing.T) {
	g := failingGate()
	g.Phase, g.Passed, g.Blockers = "", true, nil
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.4.0", g, gateRun); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes()).Suites[0]
	if s.Name != "octorelease gate v1.4.0 [all phases]" || s.Tests != 4 || s.Failures != 0 || s.Skipped != 1 {
		t.Errorf("testsuite = %q tests=%d failures=%d skipped=%d", s.Name, s.Tests, s.Failures, s.Skipped)
	}
}

func TestJUnitEscapes(t *testing.T) {
	g := release.GateResult{
		Release: "v1.0.0",
		Items:   []release.ItemView{item("deploy", "x", `a <b> & "c" 'd'`+"\x1b[31m\x00", release.StatePending, []string{"sre"}, []string{"sre"})},
		Blockers: []release.Blocker{{Item: "x", Title: `a <b> & "c"`, Phase: "deploy",
			PendingRoles: []string{"sre"}, Reason: "unsigned"}},
	}
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.0.0", g, gateRun); err != nil {
		t.Fatal(err)
	}
	c := parseJUnit(t, buf.Bytes()).Suites[0].Cases[0]
	if c.Name != "x: a <b> & \"c\" 'd'\uFFFD[31m\uFFFD" {
		t.Errorf("name round-tripped as %q", c.Name)
	}
	if f := c.Failure; f == nil || f.Body != "title: a <b> & \"c\" 'd'\uFFFD[31m\uFFFD\npending roles: sre\n" {
		t.Errorf("failure body round-tripped as %+v", f)
	}
}

// Line breaks and tabs in attribute values survive XML attribute
// normalisation, which would turn raw ones into spaces.
func TestJUnitAttributeLineBreaks(t *testing.T) {
	g := failingGate()
	g.Items[3].Signoffs[0].Reason = "line one\n\tline two\r\n"
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.4.0", g, gateRun); err != nil {
		t.Fatal(err)
	}
	if sk := parseJUnit(t, buf.Bytes()).Suites[0].Cases[3].Skipped; sk == nil || sk.Message != "waived: line one\n\tline two\r\n" {
		t.Errorf("skipped message round-tripped as %+v", sk)
	}
}

func TestJUnitKeepsBlockerMissingFromItems(t *testing.T) {
	g := release.GateResult{Release: "v1.0.0", Blockers: []release.Blocker{
		{Item: "monitor", Title: "Monitor", Phase: "deploy", PendingRoles: []string{"sre"}, Reason: "unsigned"},
	}}
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.0.0", g, gateRun); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes()).Suites[0]
	if s.Tests != 1 || s.Failures != 1 || s.Cases[0].Name != "monitor: Monitor" {
		t.Errorf("got %+v", s)
	}
}

func TestStepSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := StepSummary(&buf, "v1.4.0", failingGate()); err != nil {
		t.Fatal(err)
	}
	want := "## octorelease gate: v1.4.0 (pre-release)\n" +
		"\n" +
		"❌ **Failed**: 2 of 4 items block the gate.\n" +
		"\n" +
		"| Item | Phase | State | Signed by / pending |\n" +
		"| --- | --- | --- | --- |\n" +
		"| `acceptance-criteria` All acceptance criteria met and PRs merged | pre-release | ✅ done | developer: erin |\n" +
		"| `ci-security-scans` Passing CI and security scans | pre-release | ❌ check-failed | security: dave |\n" +
		"| `release-notes` Release notes drafted | pre-release | ❌ unsigned | product-manager: pat; pending: project-manager |\n" +
		"| `backup` Backup \\| snapshot | pre-release | ⏭️ waived | sre: alice (waived: no database) |\n" +
		"\n"
	if got := buf.String(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestStepSummaryPassed(t *testing.T) {
	g := release.GateResult{Release: "v2.0.0", Passed: true, Items: []release.ItemView{
		item("deploy", "monitor", "Monitor\nerror rates", release.StateDone, []string{"sre"}, nil,
			release.Signoff{Role: "sre", By: "a|b", At: at, Kind: "sign", Forced: true}),
	}}
	var buf bytes.Buffer
	if err := StepSummary(&buf, "v2.0.0", g); err != nil {
		t.Fatal(err)
	}
	want := "## octorelease gate: v2.0.0 (all phases)\n" +
		"\n" +
		"✅ **Passed**: 1 of 1 items done or waived.\n" +
		"\n" +
		"| Item | Phase | State | Signed by / pending |\n" +
		"| --- | --- | --- | --- |\n" +
		"| `monitor` Monitor error rates | deploy | ✅ done | sre: a\\|b (forced) |\n" +
		"\n"
	if got := buf.String(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestAnnotations(t *testing.T) {
	var buf bytes.Buffer
	if err := Annotations(&buf, failingGate()); err != nil {
		t.Fatal(err)
	}
	want := "::error title=octorelease gate::ci-security-scans (pre-release) is check-failed\n" +
		"::error title=octorelease gate::release-notes (pre-release) is unsigned: waiting on project-manager\n"
	if got := buf.String(); got != want {
		t.Errorf("annotations:\n%s\nwant:\n%s", got, want)
	}
}

func TestAnnotationsPassedWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	if err := Annotations(&buf, release.GateResult{Passed: true}); err != nil || buf.Len() != 0 {
		t.Errorf("got %q, %v; want nothing", buf.String(), err)
	}
}

func TestAnnotationsEscapeData(t *testing.T) {
	g := release.GateResult{Blockers: []release.Blocker{{Item: "x", Phase: "p%1\r\nq", Reason: "unsigned",
		PendingRoles: []string{"a:b", "c,d"}}}}
	var buf bytes.Buffer
	if err := Annotations(&buf, g); err != nil {
		t.Fatal(err)
	}
	// In the message only %, CR and LF are escaped; : and , stay.
	want := "::error title=octorelease gate::x (p%251%0D%0Aq) is unsigned: waiting on a:b, c,d\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestEscapeProperty(t *testing.T) {
	tests := map[string]string{
		"octorelease gate": "octorelease gate",
		"a:b,c":            "a%3Ab%2Cc",
		"100%\r\n":         "100%25%0D%0A",
		"%3A":              "%253A", // escaped once, not double-decoded
	}
	for in, want := range tests {
		if got := escapeProperty(in); got != want {
			t.Errorf("escapeProperty(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeData("a:b,c%\n"); got != "a:b,c%25%0A" {
		t.Errorf("escapeData = %q", got)
	}
}

func TestSeconds(t *testing.T) {
	for ms, want := range map[int64]string{0: "0", -5: "0", 1: "0.001", 42: "0.042", 1500: "1.5", 1234: "1.234", 300000: "300"} {
		if got := seconds(ms); got != want {
			t.Errorf("seconds(%d) = %q, want %q", ms, got, want)
		}
	}
}

// hostile is a checklist title (or note, or actor name) written to break
// out of every output format: markdown, HTML, a table row, a workflow
// command line, a terminal.
const hostile = "Deploy | **bold** _it_ `code` [link](https://evil.example) ![img](x) <script>alert(1)</script> &amp; ~~s~~ \\ #h\n::warning::pwned\r\n::error::forged\x1b[31m"

func hostileGate() release.GateResult {
	it := item("pre-release", "qa-signoff", hostile, release.StatePending, []string{"qa"}, []string{"qa"},
		release.Signoff{Role: "qa", By: "mal|<b>lory\n::warning::by", At: at, Kind: "waive", Reason: hostile})
	return release.GateResult{Release: "v1.4.0", Phase: "pre-release", Items: []release.ItemView{it},
		Blockers: []release.Blocker{{Item: "qa-signoff", Title: hostile, Phase: "pre-release",
			PendingRoles: []string{"qa"}, Reason: "unsigned"}}}
}

// Titles, notes and actors are literal text in the step summary: no
// markdown or HTML of theirs is live, and none can end the table row.
func TestStepSummaryEscapesHostileText(t *testing.T) {
	var buf bytes.Buffer
	if err := StepSummary(&buf, "v1.4.0", hostileGate()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n")
	row := lines[len(lines)-1]
	if len(lines) != 7 || !strings.HasPrefix(row, "| `qa-signoff` ") {
		t.Fatalf("summary is not 7 lines ending in the item's row:\n%s", buf.String())
	}
	wantTitle := `Deploy \| \*\*bold\*\* \_it\_ \` + "`" + `code\` + "`" + ` \[link\](https://evil.example) \!\[img\](x) ` +
		`&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; \~\~s\~\~ \\ \#h ::warning::pwned ::error::forged` + "\uFFFD" + `\[31m`
	if want := "| `qa-signoff` " + wantTitle + " | pre-release | ❌ unsigned | qa: mal\\|&lt;b&gt;lory ::warning::by (waived: " + wantTitle + "); pending: qa |"; row != want {
		t.Errorf("row:\n%s\nwant:\n%s", row, want)
	}
	// Every markdown or HTML character of the input is escaped: none is
	// left bare (a backslash before it, or an entity in its place).
	cells := strings.TrimSuffix(strings.TrimPrefix(row, "| `qa-signoff` "), " |")
	for i := 0; i < len(cells); i++ {
		switch c := cells[i]; {
		case c == '\\':
			i++ // an escape and what it escapes
		case strings.IndexByte("*_`[]<>~#!\x1b\r", c) >= 0:
			t.Errorf("unescaped %q at %d: %s", c, i, cells[max(0, i-10):min(len(cells), i+10)])
		case c == '&' && !strings.HasPrefix(cells[i:], "&amp;") && !strings.HasPrefix(cells[i:], "&lt;") && !strings.HasPrefix(cells[i:], "&gt;"):
			t.Errorf("bare & at %d", i)
		}
	}
}

// No text of a checklist or a person can start a line of its own among the
// annotations: a title (or phase, or role) with a line break stays inside
// its workflow command.
func TestAnnotationsCannotForgeCommands(t *testing.T) {
	g := hostileGate()
	g.Blockers[0].Phase = "pre\n::warning::pwned"
	g.Blockers[0].PendingRoles = []string{"qa\r\n::error::forged", "50%"}
	var buf bytes.Buffer
	if err := Annotations(&buf, g); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "::error title=octorelease gate::") {
		t.Fatalf("annotations = %q, want one ::error line", out)
	}
	if strings.ContainsAny(out[:len(out)-1], "\r\n") || !strings.Contains(out, "%0A::warning") {
		t.Errorf("line break not escaped: %q", out)
	}
	if !strings.Contains(out, "50%25") {
		t.Errorf("%% not escaped: %q", out)
	}
}

// The hostile title survives the JUnit report as text: it parses back
// exactly, but for the control character XML cannot hold.
func TestJUnitHostileTitle(t *testing.T) {
	var buf bytes.Buffer
	if err := JUnit(&buf, "v1.4.0", hostileGate(), gateRun); err != nil {
		t.Fatal(err)
	}
	c := parseJUnit(t, buf.Bytes()).Suites[0].Cases[0]
	want := strings.ReplaceAll(hostile, "\x1b", "\uFFFD")
	if c.Name != "qa-signoff: "+want {
		t.Errorf("name = %q\nwant %q", c.Name, "qa-signoff: "+want)
	}
	if c.Failure == nil || !strings.HasPrefix(c.Failure.Body, "title: "+want+"\n") {
		t.Errorf("failure = %+v", c.Failure)
	}
}
