package ui

import (
	"bufio"
	"bytes"
	"errors"
	"github.com/octorelease/octorelease/internal/golden"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

var roleNames = map[string]string{"sre": "SRE/DevOps", "qa": "QA/Test Engineer", "security": "Security Lead",
	"project-manager": "Project Manager"}

func roleName(id string) string {
	if n, ok := roleNames[id]; ok {
		return n
	}
	return id
}

// now is three days after the release started: times cover minutes, hours and days ago.
var now = t0.Add(72 * time.Hour)

// sample is a release with every item state: done, waived, forced, pending
// (one role of two signed) and blocked (a later phase, and a need).
func sample(t *testing.T) *release.Release {
	t.Helper()
	cl := checklist.Checklist{Name: "minor", Description: "Incremental features", Source: "embedded", Phases: []checklist.Phase{
		{ID: "pre-release", Title: "Pre-release requirements", Items: []checklist.Item{
			{ID: "qa-signoff", Title: "QA sign-off completed", Roles: []string{"qa"}},
			{ID: "rollback-plan", Title: "Rollback plan documented", Roles: []string{"sre"}},
			{ID: "staging-smoke-tests", Title: "Smoke tests prepared", Roles: []string{"qa", "sre"}},
			{ID: "deployment-window", Title: "Deployment window scheduled", Roles: []string{"project-manager"}, Optional: true},
		}},
		{ID: "deploy", Title: "Deployment checklist", Items: []checklist.Item{
			{ID: "backup", Title: "Backup or snapshot", Roles: []string{"sre"}, Optional: true},
			{ID: "final-security-review", Title: "Final security scan review", Roles: []string{"security"}},
			{ID: "production-deploy", Title: "Deploy to production", Roles: []string{"sre"}, Needs: []string{"final-security-review"}},
		}},
	}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := release.New(release.Meta{ID: "v1.4.0", Version: "1.4.0", Type: "minor", Summary: "Faster search",
		CreatedAt: t0, CreatedBy: "alice"}, cl)
	must(err)
	pol := release.Policy{}
	must(r.Sign(release.SignRequest{Items: []string{"qa-signoff"}, Actor: "carol", Note: "all green",
		Evidence: []string{"https://ci.example.com/run/42"}, At: t0.Add(10 * time.Minute)}, pol))
	must(r.Sign(release.SignRequest{Items: []string{"rollback-plan"}, Actor: "bob", At: t0.Add(3 * time.Hour)}, pol))
	must(r.Sign(release.SignRequest{Items: []string{"staging-smoke-tests"}, Role: "qa", Actor: "carol", At: t0.Add(4 * time.Hour)}, pol))
	must(r.Waive(release.ActionRequest{Item: "deployment-window", Role: "project-manager", Actor: "pat",
		Reason: "low-traffic service", At: now.Add(-2 * time.Minute)}, pol))
	must(r.Sign(release.SignRequest{Items: []string{"final-security-review"}, Actor: "sam", Force: true,
		Reason: "scanner outage, approved by CISO", At: t0.Add(5 * time.Hour)}, pol))
	return r
}

// modes are the four ways output can leave the process: colour is decided
// apart from the terminal (CLICOLOR_FORCE on a pipe, NO_COLOR on a terminal).
var modes = []struct {
	name       string
	color, tty bool
}{
	{"color-tty", true, true},
	{"color-pipe", true, false},
	{"plain-tty", false, true},
	{"plain-pipe", false, false},
}

func renderer(w *bytes.Buffer, color, tty bool) Renderer {
	return Renderer{W: w, Theme: NewTheme(color), TTY: tty, Now: now, RoleName: roleName}
}

func TestStatusGolden(t *testing.T) {
	r := sample(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := renderer(&b, m.color, m.tty).Status(r, r.Evaluate(release.Policy{}), r.Evaluate(release.Policy{}), []string{"v1.4.0-incident-1"}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "status-"+m.name, b.String(), m.color)
		})
	}
}

func TestGateGolden(t *testing.T) {
	r := sample(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var b bytes.Buffer
			rd := renderer(&b, m.color, m.tty)
			for _, phase := range []string{"pre-release", ""} {
				g, err := r.Gate(phase, nil, release.Policy{})
				if err != nil {
					t.Fatal(err)
				}
				if err := rd.Gate(g); err != nil {
					t.Fatal(err)
				}
			}
			checkGolden(t, "gate-"+m.name, b.String(), m.color)
		})
	}
}

// TestLogGolden: `log` in the four modes; on a pipe one line per event,
// seq, time, actor, kind, item, role id and detail in their own fields.
func TestLogGolden(t *testing.T) {
	r := sample(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := renderer(&b, m.color, m.tty).Log(r.Events); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "log-"+m.name, b.String(), m.color)
		})
	}
}

// TestListGolden renders the rows `list` builds from ui's pieces: state
// words, progress bars and times.
func TestListGolden(t *testing.T) {
	rows := []struct {
		id, typ, status string
		done, total     int
		at              time.Time
		by              string
	}{
		{"v1.4.0", "minor", "in-progress", 3, 15, t0, "alice"},
		{"v1.3.2", "patch", "released", 16, 16, t0.Add(-30 * 24 * time.Hour), "bob"},
		{"v1.3.1", "patch", "rolled-back", 16, 16, now.Add(-90 * time.Minute), "carol"},
		{"v1.3.0", "minor", "aborted", 0, 15, now.Add(-20 * time.Second), "dave"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var b bytes.Buffer
			th := NewTheme(m.color)
			tb := &Table{TTY: m.tty}
			for _, r := range rows {
				tb.Row(th.Heading(r.id), r.typ, th.State(r.status), th.Progress(r.done, r.total, m.tty), Time(r.at, now, m.tty), r.by)
			}
			if err := tb.Render(&b, ""); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "list-"+m.name, b.String(), m.color)
		})
	}
}

// TestStateMarks: every state has its own mark, and plain text carries no
// escape sequence.
func TestStateMarks(t *testing.T) {
	plain, color := NewTheme(false), NewTheme(true)
	seen := map[string]string{}
	for _, s := range []string{"done", "pending", "waived", "blocked", "forced", "failed"} {
		m := plain.StateMark(s)
		if other, dup := seen[m]; dup {
			t.Errorf("%s and %s share the mark %q", s, other, m)
		}
		seen[m] = s
		if c := color.StateMark(s); !strings.Contains(c, "\x1b[") || !strings.Contains(c, m) {
			t.Errorf("coloured mark of %s = %q", s, c)
		}
	}
}

var escRE = regexp.MustCompile("\x1b")

// golden compares got with testdata/<name>.golden (rewritten with -update)
// and checks that plain output has no escape sequence and coloured output has.
func checkGolden(t *testing.T, name, got string, color bool) {
	t.Helper()
	if has := escRE.MatchString(got); has != color {
		t.Errorf("colour %v but escape sequences present: %v\n%q", color, has, got)
	}
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

var errWrite = errors.New("broken pipe")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errWrite
	}
	f.n -= len(p)
	return len(p), nil
}

// TestStatusPipeWriteError: rows on a pipe are written straight to the
// output, buffered there or not; a failed write must still be reported.
func TestStatusPipeWriteError(t *testing.T) {
	r := sample(t)
	// A buffer as large as iostreams' that has failed already: its error
	// sticks, and only shows when the rows are written.
	failed := bufio.NewWriterSize(&failAfter{}, 64<<10)
	failed.Write(make([]byte, 100<<10)) //nolint:errcheck // the point
	for _, w := range []struct {
		name string
		w    io.Writer
	}{
		{"unbuffered", &failAfter{n: 300}},
		{"buffered, as iostreams does", failed},
	} {
		t.Run(w.name, func(t *testing.T) {
			rd := Renderer{W: w.w, Theme: NewTheme(false), Now: now, RoleName: roleName}
			if err := rd.Status(r, r.Evaluate(release.Policy{}), r.Evaluate(release.Policy{}), nil); !errors.Is(err, errWrite) {
				t.Fatalf("Status = %v, want %v", err, errWrite)
			}
		})
	}
}
