package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
)

// testFactory returns a Factory over buffers in a fresh folder, with a
// fixed clock and actor and no environment.
func testFactory(t *testing.T) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &Factory{
		IO:        ios,
		Now:       func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
		LookupEnv: func(string) (string, bool) { return "", false },
		Cwd:       t.TempDir(),
		Version:   "1.2.3-test",
		gitEmailF: func() string { return "" },
	}
	f.Flags.As = "alice"
	return f, out, errOut
}

func TestSignFlagsToOptions(t *testing.T) {
	tests := []struct {
		args []string
		want SignOptions
	}{
		{[]string{"qa-signoff"}, SignOptions{Items: []string{"qa-signoff"}}},
		{[]string{"a", "b", "--role", "qa", "--note", "ok"}, SignOptions{Items: []string{"a", "b"}, Role: "qa", Note: "ok"}},
		{[]string{"a", "--evidence", "https://x/1", "--evidence", "https://x/2,3"},
			SignOptions{Items: []string{"a"}, Evidence: []string{"https://x/1", "https://x/2,3"}}},
		{[]string{"a", "--force", "--reason", "CTO approved"}, SignOptions{Items: []string{"a"}, Force: true, Reason: "CTO approved"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(t)
			var got *SignOptions
			cmd := NewCmdSign(f, func(o *SignOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got.F = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
	f, _, _ := testFactory(t)
	cmd := NewCmdSign(f, func(*SignOptions) error { t.Fatal("run without an item"); return nil })
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil {
		t.Error("sign with no item: want an error")
	}
}

func TestStartFlagsToOptions(t *testing.T) {
	tests := []struct {
		args []string
		want StartOptions
	}{
		{[]string{"1.4.0"}, StartOptions{Version: "1.4.0"}},
		{[]string{"v2.0.0", "-t", "major", "--summary", "Big one", "--no-walk"},
			StartOptions{Version: "v2.0.0", Type: "major", Summary: "Big one", NoWalk: true}},
	}
	for _, tt := range tests {
		f, _, _ := testFactory(t)
		var got *StartOptions
		cmd := NewCmdStart(f, func(o *StartOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		got.F = nil
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%v: got %+v, want %+v", tt.args, *got, tt.want)
		}
	}
}

func TestGateFlagsToOptions(t *testing.T) {
	tests := []struct {
		args []string
		want GateOptions
	}{
		{nil, GateOptions{}},
		{[]string{"-p", "pre-release"}, GateOptions{Phase: "pre-release"}},
		{[]string{"--item", "a", "--item", "b", "--junit", "r.xml"}, GateOptions{Items: []string{"a", "b"}, JUnit: "r.xml"}},
	}
	for _, tt := range tests {
		f, _, _ := testFactory(t)
		var got *GateOptions
		cmd := NewCmdGate(f, func(o *GateOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		got.F = nil
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%v: got %+v, want %+v", tt.args, *got, tt.want)
		}
	}
}

// TestStartSignStatusOutput runs commands from Options to exact output on a
// pipe (no terminal, no colour) with a fixed clock.
func TestStartSignStatusOutput(t *testing.T) {
	f, out, errOut := testFactory(t)
	if err := runStart(&StartOptions{F: f, Version: "1.4.0", Type: "minor", NoWalk: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "v1.4.0\n"; got != want {
		t.Errorf("start stdout = %q, want %q", got, want)
	}
	if got, want := errOut.String(), "✓ opened release v1.4.0 (minor): 15 items in 2 phases, checklist from embedded\n"+
		"next: `octorelease next` shows what you can sign; `octorelease status` shows everything\n"; got != want {
		t.Errorf("start stderr = %q, want %q", got, want)
	}
	rel := filepath.Join(f.Cwd, ".octorelease", "v1.4.0")
	if _, err := os.Stat(filepath.Join(rel, "release.json")); err != nil {
		t.Fatal(err)
	}
	eventFiles := func() int {
		t.Helper()
		entries, err := os.ReadDir(filepath.Join(rel, "events"))
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	if n := eventFiles(); n != 1 {
		t.Errorf("after start: %d event files, want 1 (the start event)", n)
	}

	out.Reset()
	errOut.Reset()
	if err := runSign(&SignOptions{F: f, Items: []string{"acceptance-criteria", "capacity"}}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("sign wrote data to stdout: %q", out)
	}
	if got, want := errOut.String(), "✓ alice signed acceptance-criteria as Developer\n✓ alice signed capacity as SRE/DevOps\n"; got != want {
		t.Errorf("sign stderr = %q, want %q", got, want)
	}
	if n := eventFiles(); n != 3 {
		t.Errorf("after signing two items: %d event files, want 3 (one per sign-off)", n)
	}

	out.Reset()
	errOut.Reset()
	if err := runStatus(&StatusOptions{F: f, Role: "sre", Pending: true}); err != nil {
		t.Fatal(err)
	}
	want := "v1.4.0  minor  in-progress  started by alice 2026-11-25T10:00:00Z\n" +
		"\nPre-release requirements  2/7\n" +
		"rollback-plan\tpending\tsre\twaiting on sre\n" +
		"staging-smoke-tests\tpending\tqa,sre\twaiting on qa, sre\n" +
		"\nDeployment checklist  0/8\n" +
		"backup\tblocked\tsre\tblocked by phase pre-release\n" +
		"staging-deploy\tblocked\tsre,qa\tblocked by phase pre-release\n" +
		"production-deploy\tblocked\tsre\tblocked by phase pre-release, staging-deploy, final-security-review\n" +
		"post-deploy-verify\tblocked\tsre,qa\tblocked by phase pre-release, production-deploy\n" +
		"monitor\tblocked\tsre\tblocked by phase pre-release, production-deploy\n"
	if got := out.String(); got != want {
		t.Errorf("status stdout =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("status on a pipe has escape sequences")
	}
}

func TestVersionOutput(t *testing.T) {
	f, out, _ := testFactory(t)
	root := NewRootCmd(f)
	root.SetArgs([]string{"version", "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"version": "1.2.3-test"`) {
		t.Errorf("version -o json = %q", out)
	}
}

// TestLifecycleFlagsToOptions: finish, abort, list and log take the one
// command shape; abort's flags are validated before runF is called.
func TestLifecycleFlagsToOptions(t *testing.T) {
	f, _, _ := testFactory(t)
	var abort *AbortOptions
	cmd := NewCmdAbort(f, func(o *AbortOptions) error { abort = o; return nil })
	cmd.SetArgs([]string{"--reason", "superseded"})
	if err := cmd.Execute(); err != nil || abort == nil || abort.Reason != "superseded" || abort.F != f {
		t.Errorf("abort --reason: %v, %+v", err, abort)
	}
	abort = nil
	cmd = NewCmdAbort(f, func(o *AbortOptions) error { abort = o; return nil })
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); errs.Code(err) != errs.CodeUsage || abort != nil {
		t.Errorf("abort without --reason: %v, runF called: %v", err, abort != nil)
	}

	var list *ListOptions
	lc := NewCmdList(f, func(o *ListOptions) error { list = o; return nil })
	lc.SetArgs([]string{"--all"})
	if err := lc.Execute(); err != nil || list == nil || !list.All {
		t.Errorf("list --all: %v, %+v", err, list)
	}
	var fin *FinishOptions
	fc := NewCmdFinish(f, func(o *FinishOptions) error { fin = o; return nil })
	fc.SetArgs(nil)
	if err := fc.Execute(); err != nil || fin == nil || fin.F != f {
		t.Errorf("finish: %v, %+v", err, fin)
	}
	var lg *LogOptions
	gc := NewCmdLog(f, func(o *LogOptions) error { lg = o; return nil })
	gc.SetArgs(nil)
	if err := gc.Execute(); err != nil || lg == nil {
		t.Errorf("log: %v, %+v", err, lg)
	}
}
