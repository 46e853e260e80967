package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

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

// capture is a runF that keeps the options it is called with.
func capture[T any](got *any) func(*T) error {
	return func(o *T) error { *got = o; return nil }
}

// flagsOf checks that every dependency of the options a command built is
// wired (no nil provider, no empty folder), then returns the options with
// the dependencies zeroed: what is left came from the arguments and flags.
func flagsOf(t *testing.T, opts any) any {
	t.Helper()
	v := reflect.ValueOf(opts).Elem()
	out := reflect.New(v.Type()).Elem()
	out.Set(v)
	for i := 0; i < v.NumField(); i++ {
		fd, fv := v.Type().Field(i), out.Field(i)
		switch {
		case fv.Kind() == reflect.Func || fv.Kind() == reflect.Pointer:
			if fv.IsNil() && fd.Name != "Root" { // completion's Root is set when it runs
				t.Errorf("%s.%s is not wired", v.Type().Name(), fd.Name)
			}
		case fd.Name == "Cwd" || fd.Name == "Repo" || fd.Name == "Version" && v.Type().Name() == "VersionOptions":
			if fv.String() == "" {
				t.Errorf("%s.%s is empty", v.Type().Name(), fd.Name)
			}
		default:
			continue
		}
		fv.Set(reflect.Zero(fv.Type()))
	}
	return out.Interface()
}

// TestFlagsToOptions: every command turns its arguments and flags into its
// options, validated, with its dependencies wired, before runF is called.
func TestFlagsToOptions(t *testing.T) {
	type build func(f *Factory, got *any) *cobra.Command
	var (
		start    build = func(f *Factory, g *any) *cobra.Command { return NewCmdStart(f, capture[StartOptions](g)) }
		status   build = func(f *Factory, g *any) *cobra.Command { return NewCmdStatus(f, capture[StatusOptions](g)) }
		next     build = func(f *Factory, g *any) *cobra.Command { return NewCmdNext(f, capture[NextOptions](g)) }
		pending  build = func(f *Factory, g *any) *cobra.Command { return NewCmdPending(f, capture[PendingOptions](g)) }
		sign     build = func(f *Factory, g *any) *cobra.Command { return NewCmdSign(f, capture[SignOptions](g)) }
		waive    build = func(f *Factory, g *any) *cobra.Command { return NewCmdWaive(f, capture[ActionOptions](g)) }
		revoke   build = func(f *Factory, g *any) *cobra.Command { return NewCmdRevoke(f, capture[ActionOptions](g)) }
		walkCmd  build = func(f *Factory, g *any) *cobra.Command { return NewCmdWalk(f, capture[WalkOptions](g)) }
		finish   build = func(f *Factory, g *any) *cobra.Command { return NewCmdFinish(f, capture[FinishOptions](g)) }
		abort    build = func(f *Factory, g *any) *cobra.Command { return NewCmdAbort(f, capture[AbortOptions](g)) }
		incident build = func(f *Factory, g *any) *cobra.Command { return NewCmdIncident(f, capture[IncidentOptions](g)) }
		notesCmd build = func(f *Factory, g *any) *cobra.Command { return NewCmdNotes(f, capture[NotesOptions](g)) }
		list     build = func(f *Factory, g *any) *cobra.Command { return NewCmdList(f, capture[ListOptions](g)) }
		logCmd   build = func(f *Factory, g *any) *cobra.Command { return NewCmdLog(f, capture[LogOptions](g)) }
		gate     build = func(f *Factory, g *any) *cobra.Command { return NewCmdGate(f, capture[GateOptions](g)) }
		check    build = func(f *Factory, g *any) *cobra.Command { return NewCmdCheck(f, capture[CheckOptions](g)) }
		audit    build = func(f *Factory, g *any) *cobra.Command { return NewCmdAudit(f, capture[AuditOptions](g)) }
		retarget build = func(f *Factory, g *any) *cobra.Command { return NewCmdRetarget(f, capture[RetargetOptions](g)) }
		syncCmd  build = func(f *Factory, g *any) *cobra.Command { return NewCmdSync(f, capture[SyncOptions](g)) }
		migrate  build = func(f *Factory, g *any) *cobra.Command { return NewCmdMigrate(f, capture[MigrateOptions](g)) }
		export   build = func(f *Factory, g *any) *cobra.Command { return NewCmdExport(f, capture[TransferOptions](g)) }
		importC  build = func(f *Factory, g *any) *cobra.Command { return NewCmdImport(f, capture[TransferOptions](g)) }
		initCmd  build = func(f *Factory, g *any) *cobra.Command { return NewCmdInit(f, capture[InitOptions](g)) }
		clList   build = func(f *Factory, g *any) *cobra.Command {
			return NewCmdChecklistList(f, capture[ChecklistListOptions](g))
		}
		clShow build = func(f *Factory, g *any) *cobra.Command {
			return NewCmdChecklistShow(f, capture[ChecklistShowOptions](g))
		}
		clValidate build = func(f *Factory, g *any) *cobra.Command {
			return NewCmdChecklistValidate(f, capture[ChecklistValidateOptions](g))
		}
		version    build = func(f *Factory, g *any) *cobra.Command { return NewCmdVersion(f, capture[VersionOptions](g)) }
		completion build = func(f *Factory, g *any) *cobra.Command {
			return NewCmdCompletion(f, capture[CompletionOptions](g))
		}
	)
	// -o is a flag of the root: these cases set it as the root would.
	output := map[string]string{"status -o JSON": "JSON", "checklist show -o markdown": "markdown",
		"status -o markdown": "markdown", "walk -o json": "json"}
	tests := []struct {
		name string
		cmd  build
		args []string
		want any
	}{
		{"start", start, []string{"1.4.0"}, StartOptions{Version: "1.4.0"}},
		{"start flags", start, []string{"v2.0.0", "-t", "major", "--summary", "Big one", "--no-walk", "--commit", "HEAD~1"},
			StartOptions{Version: "v2.0.0", Type: "major", Summary: "Big one", NoWalk: true, Commit: "HEAD~1"}},
		{"status", status, []string{}, StatusOptions{}},
		{"status flags", status, []string{"--role", "qa", "--pending"}, StatusOptions{Role: "qa", Pending: true}},
		{"status -o JSON", status, []string{}, StatusOptions{Format: "json"}},
		{"checklist show -o markdown", clShow, []string{"minor"}, ChecklistShowOptions{Name: "minor", Format: "markdown"}},
		{"next", next, []string{"--role", "sre"}, NextOptions{Role: "sre"}},
		{"pending", pending, []string{}, PendingOptions{}},
		{"pending flags", pending, []string{"-a", "--role", "sre"}, PendingOptions{Role: "sre", All: true}},
		{"sign", sign, []string{"qa-signoff"}, SignOptions{Items: []string{"qa-signoff"}}},
		{"sign flags", sign, []string{"a", "b", "--role", "qa", "--note", "ok"}, SignOptions{Items: []string{"a", "b"}, Role: "qa", Note: "ok"}},
		{"sign evidence", sign, []string{"a", "--evidence", "https://x/1", "--evidence", "https://x/2,3"},
			SignOptions{Items: []string{"a"}, Evidence: []string{"https://x/1", "https://x/2,3"}}},
		{"sign forced", sign, []string{"a", "--force", "--reason", "CTO approved"}, SignOptions{Items: []string{"a"}, Force: true, Reason: "CTO approved"}},
		{"waive", waive, []string{"backup", "--role", "sre", "--reason", "stateless"},
			ActionOptions{Verb: "waive", Item: "backup", Role: "sre", Reason: "stateless"}},
		{"revoke", revoke, []string{"qa-signoff", "--role", "qa", "--reason", "regression"},
			ActionOptions{Verb: "revoke", Item: "qa-signoff", Role: "qa", Reason: "regression"}},
		{"walk", walkCmd, []string{"--role", "qa"}, WalkOptions{Role: "qa"}},
		{"finish", finish, []string{}, FinishOptions{}},
		{"abort", abort, []string{"--reason", "superseded"}, AbortOptions{Reason: "superseded"}},
		{"incident", incident, []string{"--reason", "5xx"}, IncidentOptions{Reason: "5xx"}},
		{"notes", notesCmd, []string{"-w", "--force", "--summary", "Faster"}, NotesOptions{Write: true, Force: true, Summary: "Faster"}},
		{"list", list, []string{"--all"}, ListOptions{All: true}},
		{"log", logCmd, []string{}, LogOptions{}},
		{"gate", gate, []string{}, GateOptions{}},
		{"gate phase", gate, []string{"-p", "pre-release", "--commit", "abc123"}, GateOptions{Phase: "pre-release", Commit: "abc123"}},
		{"gate items", gate, []string{"--item", "a", "--item", "b", "--junit", "r.xml"}, GateOptions{Items: []string{"a", "b"}, JUnit: "r.xml"}},
		{"check", check, []string{"smoke", "--sign"}, CheckOptions{Items: []string{"smoke"}, Sign: true}},
		{"audit verify", audit, []string{"verify", "--all", "--since", "main"}, AuditOptions{All: true, Since: "main"}},
		{"retarget", retarget, []string{"HEAD", "--reason", "fix"}, RetargetOptions{Rev: "HEAD", Reason: "fix"}},
		{"sync", syncCmd, []string{"--remote", "upstream", "--allow-other-commits"}, SyncOptions{Remote: "upstream", AllowOtherCommits: true}},
		{"migrate", migrate, []string{}, MigrateOptions{}},
		{"export", export, []string{"--all", "backup"}, TransferOptions{Export: true, All: true, Dir: "backup"}},
		{"import", importC, []string{"backup"}, TransferOptions{All: true, Dir: "backup"}}, // no -r: the whole folder
		{"init", initCmd, []string{"--force"}, InitOptions{Force: true}},
		{"checklist list", clList, []string{}, ChecklistListOptions{}},
		{"checklist show", clShow, []string{"minor"}, ChecklistShowOptions{Name: "minor"}},
		{"checklist validate", clValidate, []string{"a.yaml", "b.yaml"}, ChecklistValidateOptions{Files: []string{"a.yaml", "b.yaml"}}},
		{"version", version, []string{}, VersionOptions{}},
		{"completion", completion, []string{"bash"}, CompletionOptions{Shell: "bash"}},
	}
	// runCase runs one command line with a runF that keeps its options.
	runCase := func(t *testing.T, name string, cmd build, args []string) (got any, err error) {
		f, _, _ := testFactory(t)
		f.Flags.Output = output[name]
		c := cmd(f, &got)
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		c.SetOut(io.Discard)
		return got, c.Execute()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runCase(t, tt.name, tt.cmd, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			// A command that prints data gets -o validated: text when not given.
			want := reflect.New(reflect.TypeOf(tt.want)).Elem()
			want.Set(reflect.ValueOf(tt.want))
			if fd := want.FieldByName("Format"); fd.IsValid() && fd.String() == "" {
				fd.SetString("text")
			}
			if flags := flagsOf(t, got); !reflect.DeepEqual(flags, want.Interface()) {
				t.Errorf("got %+v, want %+v", flags, want)
			}
		})
	}

	// Refused before runF: an injected runF only ever sees valid options.
	refused := []struct {
		name string
		cmd  build
		args []string
	}{
		{"sign without an item", sign, []string{}},
		{"status -o markdown", status, []string{}},
		{"walk -o json", walkCmd, []string{}},
		{"sign --force without --reason", sign, []string{"a", "--force"}},
		{"sign --reason without --force", sign, []string{"a", "--reason", "x"}},
		{"sign with a bad evidence", sign, []string{"a", "--evidence", "two words"}},
		{"sign with a note too long", sign, []string{"a", "--note", strings.Repeat("x", 120_000)}},
		{"waive without --reason", waive, []string{"backup", "--role", "sre"}},
		{"waive without --role", waive, []string{"backup", "--reason", "x"}},
		{"revoke without --reason", revoke, []string{"a", "--role", "qa"}},
		{"abort without --reason", abort, []string{}},
		{"incident without --reason", incident, []string{}},
		{"retarget without --reason", retarget, []string{"HEAD"}},
		{"gate --phase with --item", gate, []string{"-p", "deploy", "--item", "a"}},
		{"start without a version", start, []string{}},
		{"completion of an unknown shell", completion, []string{"tcsh"}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runCase(t, tt.name, tt.cmd, tt.args)
			if err == nil {
				t.Error("accepted")
			}
			if got != nil {
				t.Errorf("runF called with %+v", got)
			}
		})
	}
}

func TestPendingAllWithReleaseRefusedBeforeRunF(t *testing.T) {
	f, _, _ := testFactory(t)
	var got any
	cmd := NewCmdPending(f, capture[PendingOptions](&got))
	f.Flags.Release = "v1.4.0" // -r, a flag of the root
	cmd.SetArgs([]string{"--all"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); errs.Code(err) != errs.CodeUsage || got != nil {
		t.Errorf("pending --all -r: %v, runF called: %v", err, got != nil)
	}
}

// TestStartSignStatusOutput runs command lines to exact output on a
// pipe (no terminal, no colour) with a fixed clock.
func TestStartSignStatusOutput(t *testing.T) {
	f, _, _ := testFactory(t)
	out, errOut, err := runArgs(t, f, false, "--as", "alice", "start", "1.4.0", "--type", "minor", "--no-walk")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out, "v1.4.0\n"; got != want {
		t.Errorf("start stdout = %q, want %q", got, want)
	}
	if got, want := errOut, "✓ opened release v1.4.0 (minor): 15 items in 2 phases, checklist from embedded\n"+
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

	out, errOut, err = runArgs(t, f, false, "--as", "alice", "sign", "acceptance-criteria", "capacity")
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("sign wrote data to stdout: %q", out)
	}
	if got, want := errOut, "✓ alice signed acceptance-criteria as Developer\n✓ alice signed capacity as SRE/DevOps\n"; got != want {
		t.Errorf("sign stderr = %q, want %q", got, want)
	}
	if n := eventFiles(); n != 3 {
		t.Errorf("after signing two items: %d event files, want 3 (one per sign-off)", n)
	}

	if out, _, err = runArgs(t, f, false, "status", "--role", "sre", "--pending"); err != nil {
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
	if got := out; got != want {
		t.Errorf("status stdout =\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(out, "\x1b[") {
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
