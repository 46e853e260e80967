package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const completeConfig = `checklists: checklists
roles:
  qa:
    members: [carol]
`

const completeChecklist = `name: minor
description: A small checklist for completion
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: acceptance-criteria
        title: Acceptance criteria met
        roles: [developer]
      - id: ci-security-scans
        title: Security scans clean
        roles: [security]
        check:
          run: "true"
      - id: qa-signoff
        title: QA sign-off completed
        roles: [qa]
      - id: release-notes
        title: Release notes drafted
        roles: [product-manager, project-manager]
      - id: deployment-window
        title: Deployment window scheduled
        roles: [project-manager]
        optional: true
  - id: deploy
    title: Deployment
    items:
      - id: production-deploy
        title: Deploy to production
        roles: [sre]
`

// completeFixture is a folder with a config, a team checklist and two
// releases: v1.4.0 in progress, with acceptance-criteria signed by alice,
// and v1.3.0 aborted.
func completeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".octorelease.yaml", completeConfig)
	write("checklists/minor.yaml", completeChecklist)
	f := completeFactory(t, dir)
	for _, v := range []string{"1.3.0", "1.4.0"} {
		mustRunArgs(t, f, false, "--as", "alice", "start", v, "--type", "minor", "--summary", "Release "+v)
	}
	mustRunArgs(t, f, false, "--as", "alice", "-r", "v1.3.0", "abort", "--reason", "superseded")
	mustRunArgs(t, f, false, "--as", "alice", "sign", "acceptance-criteria")
	return dir
}

func completeFactory(t *testing.T, dir string) *Factory {
	t.Helper()
	f, _, _ := testFactory(t)
	f.Cwd = dir
	return f
}

// complete runs `octorelease __complete args...` as the shell scripts do,
// through the root command, and returns the candidates (descriptions cut)
// and the directive line.
func complete(t *testing.T, dir string, args ...string) ([]string, string) {
	t.Helper()
	f := completeFactory(t, dir)
	f.Flags.As = ""
	f.gitEmailF = func() string { t.Error("completion ran git although --as was given"); return "" }
	if !slices.Contains(args, "--as") {
		f.gitEmailF = func() string { return "carol" }
	}
	args = append([]string{"__complete"}, args...)
	root := NewRootCmd(f)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	out := f.IO.Out.(*bytes.Buffer).String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	directive := lines[len(lines)-1]
	var cands []string
	for _, l := range lines[:len(lines)-1] {
		id, _, _ := strings.Cut(l, "\t")
		cands = append(cands, id)
	}
	return cands, directive
}

func TestCompletion(t *testing.T) {
	dir := completeFixture(t)
	as := func(actor string, args ...string) []string { return append([]string{"--as", actor}, args...) }
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		// sign: what the actor can sign now; the check not run yet keeps
		// ci-security-scans out; qa has members, carol is one.
		{"sign", as("alice", "sign", ""), []string{"release-notes", "deployment-window"}},
		{"done is sign", as("alice", "done", ""), []string{"release-notes", "deployment-window"}},
		{"sign as a member", as("carol", "sign", ""), []string{"qa-signoff", "release-notes", "deployment-window"}},
		{"sign by prefix", as("carol", "sign", "q"), []string{"qa-signoff"}},
		{"sign, one given", as("carol", "sign", "qa-signoff", ""), []string{"release-notes", "deployment-window"}},
		{"sign --role", as("carol", "sign", "--role", "qa", ""), []string{"qa-signoff"}},
		{"sign --force", as("alice", "sign", "--force", ""), []string{"ci-security-scans", "qa-signoff", "release-notes", "deployment-window", "production-deploy"}},
		{"sign as git's user.email", []string{"sign", "q"}, []string{"qa-signoff"}}, // qa has members: the actor matters
		// waive and revoke require --role: cobra offers it too.
		{"waive: optional pending", []string{"waive", ""}, []string{"--role", "deployment-window"}},
		{"waive takes one item", []string{"waive", "deployment-window", ""}, []string{"--role"}},
		{"waive --role of the item", []string{"waive", "deployment-window", "--role", ""}, []string{"project-manager"}},
		{"revoke: items with a sign-off", []string{"revoke", ""}, []string{"--role", "acceptance-criteria"}},
		{"check: items with a check", []string{"check", ""}, []string{"ci-security-scans"}},
		{"gate --item: every item", []string{"gate", "--item", "qa-signoff", "--item", ""},
			[]string{"acceptance-criteria", "ci-security-scans", "release-notes", "deployment-window", "production-deploy"}},
		{"gate --phase", []string{"gate", "--phase", ""}, []string{"pre-release", "deploy"}},
		{"status --role", []string{"status", "--role", "q"}, []string{"qa"}},
		{"sign --role of the item", as("alice", "sign", "release-notes", "--role", ""), []string{"product-manager", "project-manager"}},
		{"revoke --role of the sign-off", []string{"revoke", "acceptance-criteria", "--role", ""}, []string{"developer"}},
		{"-r for a writer: in progress", []string{"sign", "-r", ""}, []string{"v1.4.0"}},
		{"-r for a reader: all", []string{"status", "-r", ""}, []string{"v1.3.0", "v1.4.0"}},
		{"--release without v", []string{"log", "--release", "1."}, []string{"1.3.0", "1.4.0"}},
		{"-o", []string{"status", "-o", ""}, []string{"text", "json", "yaml", "markdown"}},
		{"checklist show", []string{"checklist", "show", "m"}, []string{"major", "minor"}},
		{"completion", []string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
		{"no arguments, no files", []string{"finish", ""}, nil},
		{"a note is no file", []string{"sign", "qa-signoff", "--note", ""}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, directive := complete(t, dir, tc.args...)
			if !slices.Equal(got, tc.want) {
				t.Errorf("__complete %s = %q, want %q", strings.Join(tc.args, " "), got, tc.want)
			}
			if directive != ":4" {
				t.Errorf("__complete %s: directive %s, want :4 (no file completion)", strings.Join(tc.args, " "), directive)
			}
		})
	}
	// Candidates carry the title as a description.
	f := completeFactory(t, dir)
	root := NewRootCmd(f)
	root.SetArgs([]string{"__complete", "waive", ""})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if out := f.IO.Out.(*bytes.Buffer).String(); !strings.Contains(out, "\ndeployment-window\tDeployment window scheduled\n") {
		t.Errorf("waive candidates: %q", out)
	}
}

// The actor comes from --as or OCTORELEASE_ACTOR without a process; git's
// user.email is asked only when the policy tells actors apart.
func TestCompletionActor(t *testing.T) {
	dir := completeFixture(t)
	for _, tc := range []struct {
		name    string
		env     map[string]string
		config  string
		wantGit bool
	}{
		{"OCTORELEASE_ACTOR", map[string]string{"OCTORELEASE_ACTOR": "carol"}, completeConfig, false},
		{"members: git", nil, completeConfig, true},
		{"no members: no git", nil, "checklists: checklists\n", false},
		{"separation of duties: git", nil, "checklists: checklists\npolicy:\n  separation_of_duties: true\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, ".octorelease.yaml"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			f := completeFactory(t, dir)
			f.Flags.As = ""
			f.LookupEnv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			ranGit := false
			f.gitEmailF = func() string { ranGit = true; return "carol" }
			root := NewRootCmd(f)
			root.SetArgs([]string{"__complete", "sign", ""})
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if ranGit != tc.wantGit {
				t.Errorf("ran git: %v, want %v", ranGit, tc.wantGit)
			}
			if out := f.IO.Out.(*bytes.Buffer).String(); !strings.Contains(out, "release-notes\t") {
				t.Errorf("candidates: %q", out)
			}
		})
	}
}

// Files and folders are completed where octorelease takes them.
func TestCompletionOfFiles(t *testing.T) {
	dir := completeFixture(t)
	for _, tc := range []struct {
		args      []string
		directive string
	}{
		{[]string{"checklist", "validate", ""}, ":0"},
		{[]string{"status", "--config", ""}, ":8"},     // yaml and yml
		{[]string{"status", "--state-dir", ""}, ":16"}, // folders
		{[]string{"gate", "--junit", ""}, ":0"},
		{[]string{"export", ""}, ":16"},
	} {
		if _, directive := complete(t, dir, tc.args...); directive != tc.directive {
			t.Errorf("__complete %s: directive %s, want %s", strings.Join(tc.args, " "), directive, tc.directive)
		}
	}
}

// Completing writes nothing to the state: the release folders are as they
// were, whatever is completed.
func TestCompletionWritesNothing(t *testing.T) {
	dir := completeFixture(t)
	before := stateFiles(t, dir)
	for _, args := range [][]string{{"sign", ""}, {"--as", "carol", "sign", ""}, {"revoke", ""}, {"gate", "--item", ""}, {"sign", "-r", ""}, {"status", "-r", ""}} {
		complete(t, dir, args...)
	}
	if after := stateFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("completion changed the state:\nbefore %q\nafter  %q", before, after)
	}
}

// stateFiles lists the files under the state folder, less the local index.
func stateFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dir, ".octorelease")
	err := filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if fi.IsDir() && rel == ".index" {
			return filepath.SkipDir
		}
		out = append(out, rel+" "+fi.ModTime().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBashCompletion sources the script `completion bash` writes into a
// real bash and asks it to complete `octorelease sign <TAB>`, as a user's
// TAB would: the script runs the built binary's __complete and fills
// COMPREPLY. The script needs bash-completion's _get_comp_words_by_ref
// (its fallback for a bash without _init_completion calls it too): with
// the package installed it is used; without it, a minimal stand-in.
func TestBashCompletion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := completeFixture(t)
	bin := filepath.Join(t.TempDir(), "octorelease")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/octorelease").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script, err := exec.Command(bin, "completion", "bash").Output()
	if err != nil {
		t.Fatal(err)
	}
	scriptFile := filepath.Join(t.TempDir(), "octorelease.bash")
	if err := os.WriteFile(scriptFile, script, 0o644); err != nil {
		t.Fatal(err)
	}
	var bashCompletion string
	for _, p := range []string{"/usr/share/bash-completion/bash_completion", "/usr/local/share/bash-completion/bash_completion",
		"/opt/homebrew/share/bash-completion/bash_completion", "/etc/bash_completion"} {
		if _, err := os.Stat(p); err == nil {
			bashCompletion = p
			break
		}
	}
	const standIn = `_get_comp_words_by_ref() { # -n =: cur prev words cword
	cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
	words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
}
`
	for _, setup := range []struct{ name, source string }{
		{"bash-completion", bashCompletion},
		{"stand-in", ""},
	} {
		t.Run(setup.name, func(t *testing.T) {
			prelude := standIn
			if setup.name == "bash-completion" {
				if setup.source == "" {
					t.Skip("bash-completion is not installed")
				}
				prelude = "source " + setup.source + "\n"
			}
			for _, tc := range []struct {
				line string
				want []string
			}{
				{"octorelease sign ", []string{"release-notes", "deployment-window"}},
				{"octorelease sign rel", []string{"release-notes"}},
				{"octorelease revoke ", []string{"--role", "acceptance-criteria"}}, // --role is required: offered too
				{"octorelease status -r ", []string{"v1.3.0", "v1.4.0"}},
			} {
				got := bashComplete(t, bash, bin, dir, prelude+"source "+scriptFile+"\n", tc.line)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%q<TAB>: COMPREPLY %q, want %q", tc.line, got, tc.want)
				}
			}
		})
	}
}

// bashComplete completes line in bash with the script loaded and returns
// COMPREPLY, each entry cut at its description.
func bashComplete(t *testing.T, bash, bin, dir, load, line string) []string {
	t.Helper()
	script := load + `
read -r -a COMP_WORDS <<<"$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$LINE
COMP_POINT=${#LINE}
__start_octorelease octorelease "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir, "LINE=" + line, "COLUMNS=200", "OCTORELEASE_ACTOR=alice", "NO_COLOR=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // compopt complains outside a real TAB: noise
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s%s", err, out, stderr.Bytes())
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			id, _, _ := strings.Cut(l, " ")
			got = append(got, id)
		}
	}
	return got
}
