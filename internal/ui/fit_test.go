package ui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// hostile is text from a file or a person that tries to forge output: a
// second row, a GitHub workflow command, a terminal title and a screen
// clear, and reversed text.
const hostile = "ok\n::error::forged\r\x1b]0;pwned\x07\x1b[2J\u202egnp.exe"

// wide is a release whose texts are longer than any terminal: long phase
// and item titles, reasons, notes and evidence, a long actor name, and
// hostile text in a title, a waiver reason, a note and an actor name.
func wide(t *testing.T) *release.Release {
	t.Helper()
	long := "QA sign-off completed for every supported browser, both mobile apps and the public API clients, with the regression suite green"
	cl := checklist.Checklist{Name: "minor", Source: "embedded", Phases: []checklist.Phase{
		{ID: "pre-release", Title: "Pre-release requirements that every release of the payments platform meets before it ships", Items: []checklist.Item{
			{ID: "qa-signoff", Title: long, Roles: []string{"qa"}},
			{ID: "rollback-plan-documented-and-rehearsed-in-staging", Title: "Rollback plan " + hostile, Roles: []string{"sre", "qa", "security", "project-manager"}},
			{ID: "deployment-window", Title: "Deployment window scheduled", Roles: []string{"project-manager"}, Optional: true},
		}},
		{ID: "deploy", Title: "Deploy", Items: []checklist.Item{
			{ID: "production-deploy", Title: "Deploy to production through the automated pipeline, watching the error budget dashboards", Roles: []string{"sre"},
				Needs: []string{"rollback-plan-documented-and-rehearsed-in-staging"}},
		}},
	}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := release.New(release.Meta{ID: "v2.0.0", Version: "2.0.0", Type: "major", CreatedAt: t0, CreatedBy: "alice",
		Summary: "Payments rewrite: a new ledger, idempotent retries everywhere and the old batch jobs retired " + hostile}, cl)
	must(err)
	pol := release.Policy{}
	must(r.Sign(release.SignRequest{Items: []string{"qa-signoff"}, Actor: "carol.longname-of-the-qa-team@example.com",
		Note: "all green on the nightly matrix " + hostile, Evidence: []string{"https://ci.example.com/payments/runs/1234567890/attempts/1"},
		At: t0.Add(10 * time.Minute)}, pol))
	must(r.Sign(release.SignRequest{Items: []string{"rollback-plan-documented-and-rehearsed-in-staging"}, Role: "qa",
		Actor: "mallory\n::warning::x\x1b[31m", At: t0.Add(3 * time.Hour)}, pol))
	must(r.Waive(release.ActionRequest{Item: "deployment-window", Role: "project-manager", Actor: "pat",
		Reason: "continuous delivery: the service deploys many times a day behind feature flags, so no window is needed " + hostile,
		At:     now.Add(-2 * time.Minute)}, pol))
	return r
}

var widths = []int{80, 100, 200}

// checkFits fails if a line of out is wider than width columns, or if
// out carries a control character other than newline (and, without
// colour, an escape).
func checkFits(t *testing.T, out string, width int, color bool) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if w := ansi.StringWidth(line); w > width {
			t.Errorf("line %d is %d columns wide, more than %d:\n%s", i+1, w, width, line)
		}
		if strings.TrimRight(line, " ") != line {
			t.Errorf("line %d has trailing blanks: %q", i+1, line)
		}
		plain := ansi.Strip(line)
		if strings.ContainsFunc(plain, func(r rune) bool { return unsafeRune(r) && r != '\t' }) {
			t.Errorf("line %d carries a control character: %q", i+1, plain)
		}
		if !color && strings.Contains(line, "\x1b") {
			t.Errorf("line %d carries an escape: %q", i+1, line)
		}
	}
}

func renderAt(w *bytes.Buffer, width int, color, tty bool) Renderer {
	rd := renderer(w, color, tty)
	rd.Width = width
	return rd
}

// TestFitStatus: status on a terminal 80, 100 and 200 columns wide keeps
// every line within the width, wrapping long details inside their column.
func TestFitStatus(t *testing.T) {
	r := wide(t)
	v := r.Evaluate(release.Policy{})
	for _, w := range widths {
		for _, color := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/color=%v", w, color), func(t *testing.T) {
				var b bytes.Buffer
				if err := renderAt(&b, w, color, true).Status(r, v, v, nil); err != nil {
					t.Fatal(err)
				}
				checkFits(t, b.String(), w, color)
				if !color {
					checkGolden(t, fmt.Sprintf("status-wide-%d", w), b.String(), false)
				}
			})
		}
	}
}

// TestFitGate: a blocker's long title is wrapped inside the title column:
// each of its lines starts where the column does.
func TestFitGate(t *testing.T) {
	r := wide(t)
	g, err := r.Gate("", nil, release.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range widths {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			var b bytes.Buffer
			if err := renderAt(&b, w, false, true).Gate(g); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			checkFits(t, out, w, false)
			checkGolden(t, fmt.Sprintf("gate-wide-%d", w), out, false)
			lines := strings.Split(out, "\n")
			for i, line := range lines {
				at := strings.Index(line, "Deploy to production")
				if at < 0 {
					continue
				}
				col := ansi.StringWidth(line[:at])
				if w < 200 {
					next := lines[i+1]
					if len(next) <= col || strings.TrimSpace(next[:col]) != "" || next[col] == ' ' {
						t.Errorf("the title's second line does not start in its column (%d):\n%s\n%s", col, line, next)
					}
				}
			}
		})
	}
}

// TestFitLog and the walk summary: the same at every width.
func TestFitLog(t *testing.T) {
	r := wide(t)
	for _, w := range widths {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			var b bytes.Buffer
			if err := renderAt(&b, w, false, true).Log(r.Events); err != nil {
				t.Fatal(err)
			}
			checkFits(t, b.String(), w, false)
			checkGolden(t, fmt.Sprintf("log-wide-%d", w), b.String(), false)
		})
	}
}

func TestFitWalkSummary(t *testing.T) {
	r := wide(t)
	s := WalkSummary{Release: r.Meta.ID, Actor: "carol.longname-of-the-qa-team@example.com", Recorded: r.Events[1:],
		Skipped: []string{"production-deploy", "rollback-plan-documented-and-rehearsed-in-staging"}, View: r.Evaluate(release.Policy{})}
	for _, w := range widths {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			var b bytes.Buffer
			if err := renderAt(&b, w, false, true).WalkSummary(s); err != nil {
				t.Fatal(err)
			}
			checkFits(t, b.String(), w, false)
			checkGolden(t, fmt.Sprintf("walk-wide-%d", w), b.String(), false)
		})
	}
}

// TestPipeRows: on a pipe every item, blocker and event is one line of
// tab-separated fields with ids in fixed columns, whatever the texts
// carry; no escape sequence, no trailing blank, times in RFC 3339.
func TestPipeRows(t *testing.T) {
	r := wide(t)
	v := r.Evaluate(release.Policy{})
	g, err := r.Gate("", nil, release.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rd := renderAt(&b, 80, false, false)
	if err := rd.Status(r, v, v, nil); err != nil {
		t.Fatal(err)
	}
	if err := rd.Gate(g); err != nil {
		t.Fatal(err)
	}
	if err := rd.Log(r.Events); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkFits(t, out, 1000, false)
	checkGolden(t, "wide-plain-pipe", out, false)
	fields := map[string][]int{} // first field → number of fields of each row it starts
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "\t") {
			first := strings.Split(line, "\t")[0]
			fields[first] = append(fields[first], strings.Count(line, "\t")+1)
		}
	}
	for first, want := range map[string][]int{
		"qa-signoff":        {4},                     // a status row
		"deployment-window": {4, 5},                  // a status row; the gate's waiver, in the blockers' columns
		"production-deploy": {4, 5},                  // a status row; the gate's blocker
		"1":                 {7}, "2": {7}, "4": {7}, // log: seq, time, actor, kind, item, role, detail
	} {
		if !slices.Equal(fields[first], want) {
			t.Errorf("rows starting %q have %v fields, want %v\n%s", first, fields[first], want, out)
		}
	}
	for _, want := range []string{
		"rollback-plan-documented-and-rehearsed-in-staging\tpending\tsre,qa,security,project-manager\t",
		"\tsign\trollback-plan-documented-and-rehearsed-in-staging\tqa\t",
		"2026-11-25T10:10:00Z\tcarol.longname-of-the-qa-team@example.com\tsign\tqa-signoff\tqa\tnote: all green on the nightly matrix ok\\n::error::forged\\r\\x1b]0;pwned\\a\\x1b[2J\\u202egnp.exe",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pipe output lacks %q:\n%s", want, out)
		}
	}
}

// TestTableFit: columns narrower than their share keep their width, the
// first column is kept whole while the others can give way, and cells are
// wrapped in their column without trailing blanks.
func TestTableFit(t *testing.T) {
	for _, tc := range []struct {
		widths []int
		avail  int
		want   []int
	}{
		{[]int{10, 20, 30}, 100, []int{10, 20, 30}},
		{[]int{10, 20, 30}, 50, []int{10, 20, 20}},
		{[]int{10, 20, 31}, 50, []int{10, 20, 20}},
		{[]int{24, 14, 30, 100}, 72, []int{24, 14, 17, 17}},
		{[]int{24, 14, 30, 100}, 73, []int{24, 14, 17, 18}},
		{[]int{40, 40}, 30, []int{15, 15}}, // no room for the others: the first gives way
		{[]int{5, 100}, 8, []int{5, 8}},    // too narrow: minColumn
		{[]int{3, 100, 2}, 30, []int{3, 25, 2}},
	} {
		if got := fitColumns(tc.widths, tc.avail); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("fitColumns(%v, %d) = %v, want %v", tc.widths, tc.avail, got, tc.want)
		}
	}
	tb := &Table{TTY: true, Width: 32}
	tb.Row("id-1", "a long text that has to be wrapped in its column", "")
	tb.Row("id-2", "short", "")
	var b bytes.Buffer
	if err := tb.Render(&b, "  "); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"  id-1  a long text that has to\n" +
		"        be wrapped in its column\n" +
		"  id-2  short\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestProgressLine(t *testing.T) {
	long := "⠿ ci-security-scans: make scan && ./scripts/check-licenses.sh --all-modules --fail-on-unknown  12.3s"
	for _, w := range []int{20, 80, 200} {
		got := ProgressLine(w, long)
		if !strings.HasPrefix(got, "\r") || !strings.HasSuffix(got, "\x1b[K") {
			t.Fatalf("ProgressLine(%d) = %q: want \\r ... \\x1b[K", w, got)
		}
		body := strings.TrimSuffix(strings.TrimPrefix(got, "\r"), "\x1b[K")
		if n := ansi.StringWidth(body); n > w-1 {
			t.Errorf("ProgressLine(%d) is %d columns: %q", w, n, body)
		}
		if w == 200 && body != long {
			t.Errorf("ProgressLine(200) = %q, want it whole", body)
		}
	}
	if got := ProgressLine(80, "⠿ x: make\nmake test"); got != "\r⠿ x: make\\nmake test\x1b[K" {
		t.Errorf("a command of two lines: %q", got)
	}
}
