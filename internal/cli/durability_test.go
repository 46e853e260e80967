package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// step is one recorded call of a write.
type step struct{ op, path string }

// traceRun runs a command line and records every file-system step the
// writers made (fsutil.TraceForTest).
func traceRun(t *testing.T, f *Factory, args ...string) []step {
	t.Helper()
	var steps []step
	restore := fsutil.TraceForTest(func(op, path string) { steps = append(steps, step{op, path}) })
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.Execute()
	restore()
	if err != nil && !strings.Contains(err.Error(), "gate not passed") {
		t.Fatalf("%v: %v", args, err)
	}
	return steps
}

// durable checks that path was written the one durable way: a temp file in
// its folder created, written, synced and closed, then renamed (or linked)
// into place, then the folder synced; and in that order.
func durable(t *testing.T, steps []step, path string) {
	t.Helper()
	dir := filepath.Dir(path)
	var tmp string
	want := []string{"create", "write", "sync", "close", "install", "syncdir"}
	at := 0
	for _, s := range steps {
		if at == len(want) {
			break
		}
		switch want[at] {
		case "create":
			if s.op == "create" && filepath.Dir(s.path) == dir && strings.HasPrefix(filepath.Base(s.path), filepath.Base(path)+fsutil.TempInfix) {
				tmp, at = s.path, at+1
			}
		case "write", "sync", "close":
			if s.path == tmp && s.op == want[at] {
				at++
			}
		case "install":
			if (s.op == "rename" || s.op == "link") && s.path == path {
				at++
			}
		case "syncdir":
			if s.op == "syncdir" && s.path == dir {
				at++
			}
		}
	}
	if at != len(want) {
		t.Errorf("%s: the write stopped being durable at %q; steps:\n%v", path, want[at], steps)
	}
}

// TestWritersAreDurable: init, notes --write and gate --junit write every
// file through the one durable primitive. Removing a Sync, the folder
// sync, or replacing it with os.WriteFile fails here.
func TestWritersAreDurable(t *testing.T) {
	f, _, _ := testFactory(t)
	steps := traceRun(t, f, "init")
	for _, rel := range []string{".octorelease.yaml", "checklists/minor.yaml", ".octorelease/.gitignore", ".octorelease/allowed_signers"} {
		durable(t, steps, filepath.Join(f.Cwd, rel))
	}

	f, _, _ = testFactory(t)
	traceRun(t, f, "start", "1.4.0", "--type", "minor", "--no-walk")
	steps = traceRun(t, f, "notes", "--write")
	durable(t, steps, filepath.Join(f.Cwd, "release-notes", "v1.4.0.md"))

	steps = traceRun(t, f, "gate", "--junit", "report.xml")
	durable(t, steps, filepath.Join(f.Cwd, "report.xml"))

	// The state too: start built the release folder, sign links an event.
	f, _, _ = testFactory(t)
	traceRun(t, f, "start", "1.4.0", "--type", "minor", "--no-walk")
	steps = traceRun(t, f, "sign", "acceptance-criteria")
	var event string
	for _, s := range steps {
		if s.op == "link" {
			event = s.path
		}
	}
	if event == "" {
		t.Fatalf("sign linked no event file: %v", steps)
	}
	durable(t, steps, event)
}

// TestExplainAddsTheWayOut: the domain's refusals carry no flag or
// command names; the command line adds them, keeping the exit codes.
func TestExplainAddsTheWayOut(t *testing.T) {
	for _, tc := range []struct {
		err       error
		code      int
		msg, hint string
	}{
		{&release.BlockedError{Item: "e", Blockers: "f"}, errs.CodePolicy, "e is blocked by f", "pass --force --reason"},
		{&release.CheckNotPassedError{Item: "c"}, errs.CodePolicy, "check of c has not passed (run `octorelease check c`)", ""},
		{&release.EvidenceRequiredError{Item: "p"}, errs.CodePolicy, "p needs evidence: sign it with --evidence URL", ""},
		{&store.LockedError{Release: "v1", Holder: "alice"}, errs.CodeRuntime, "release v1 is locked by alice", "raise --lock-timeout"},
	} {
		err := explain(tc.err)
		if errs.Code(err) != tc.code || err.Error() != tc.msg || !strings.Contains(errs.Hint(err), tc.hint) {
			t.Errorf("explain(%T) = %q (exit %d, hint %q), want %q (exit %d, hint with %q)",
				tc.err, err, errs.Code(err), errs.Hint(err), tc.msg, tc.code, tc.hint)
		}
	}
}
