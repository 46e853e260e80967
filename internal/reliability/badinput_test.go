package reliability

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// badCase is one malformed input run through the real binary.
type badCase struct {
	name  string
	files map[string]string    // written (relative to the project) before the command
	setup func(*workdir)       // anything files cannot express
	args  []string             // the command line
	env   []string             // extra environment
	code  int                  // the documented exit code (SPEC §9)
	msg   string               // regexp the first stderr line (any line with multi) must match
	multi bool                 // a list of problems: several `octorelease:` lines allowed
	check func(*workdir) error // optional extra check afterwards
}

const (
	startMinor  = "start 2.0.0 --type minor --no-walk"
	exitUsage   = 2
	exitRuntime = 1
	exitPolicy  = 4
)

func args(s string) []string { return strings.Fields(s) }

// validState is the state file of the base project, for cases that mangle it.
var validState []byte

func badInputCases() []badCase {
	long := strings.Repeat("x", 10_000)
	longID := "v1.0.0-" + strings.Repeat("a", 10_000)
	laughs := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	item := func(extra string) string {
		return "name: minor\nphases:\n  - id: one\n    title: One\n    items:\n      - id: a\n        title: A\n        roles: [qa]\n" + extra
	}
	cl := func(content string) map[string]string { return map[string]string{"checklists/minor.yaml": content} }
	cfg := func(content string) map[string]string { return map[string]string{".octorelease.yaml": content} }
	state := func(content string) map[string]string {
		return map[string]string{".octorelease/" + releaseID + ".json": content}
	}
	replaceState := func(old, new string) map[string]string {
		s := string(validState)
		if !strings.Contains(s, old) {
			panic("state has no " + old)
		}
		return state(strings.Replace(s, old, new, 1))
	}
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)

	return []badCase{
		// Checklists: a broken team checklist stops `start` before the state is touched.
		{name: "checklist/empty", files: cl(""), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`},
		{name: "checklist/invalid-utf8", files: cl(item("        help: \xff\xfe bad\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`},
		{name: "checklist/nul-bytes", files: cl(item("        help: a\x00b\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`},
		{name: "checklist/alias-bomb", files: cl("name: minor\n" + laughs + "phases: []\n"), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`, multi: true},
		{name: "checklist/alias-bomb-in-roles", files: cl(strings.Replace(item(""), "roles: [qa]", "roles: &r [qa, qa, qa]\n      - {id: b, title: B, roles: *r}", 1)), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`, multi: true},
		{name: "checklist/duplicate-key", files: cl("name: minor\nname: minor\nphases: []\n"), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:2`, multi: true},
		{name: "checklist/duplicate-item-id", files: cl(item("      - {id: a, title: A2, roles: [qa]}\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:\d+:\d+: .*a`, multi: true},
		{name: "checklist/roles-wrong-type", files: cl(strings.Replace(item(""), "[qa]", "qa", 1)), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:8`, multi: true},
		{name: "checklist/optional-wrong-type", files: cl(item("        optional: maybe\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:9`, multi: true},
		{name: "checklist/unknown-key", files: cl(item("        colour: red\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:9`, multi: true},
		{name: "checklist/unknown-role", files: cl(strings.Replace(item(""), "[qa]", "[wizard]", 1)), args: args(startMinor), code: exitUsage, msg: `wizard`, multi: true},
		{name: "checklist/needs-cycle", files: cl(item("        needs: [b]\n      - {id: b, title: B, roles: [qa], needs: [a]}\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`, multi: true},
		{name: "checklist/extends-cycle", files: map[string]string{
			"checklists/minor.yaml": "name: minor\nextends: loop\nphases: []\n",
			"checklists/loop.yaml":  "name: loop\nextends: minor\nphases: []\n",
		}, args: args(startMinor), code: exitUsage, msg: `\.yaml`, multi: true},
		{name: "checklist/item-id-traversal", files: cl(strings.Replace(item(""), "id: a", "id: ../../etc/passwd", 1)), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:6`, multi: true},
		{name: "checklist/over-size-cap", files: cl(item("        help: " + strings.Repeat("x", 1<<20) + "\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`},
		{name: "checklist/deep-nesting", files: cl("name: minor\nphases: " + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + "\n"), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`, multi: true},
		{name: "checklist/yaml-syntax", files: cl("name: minor\nphases:\n\t- id: one\n"), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:3`},
		{name: "checklist/two-documents", files: cl(item("") + "---\nname: other\n"), args: args(startMinor), code: exitUsage, msg: `minor\.yaml`, multi: true},
		{name: "checklist/bad-timeout", files: cl(item("        check: {run: ./x.sh, timeout: 10 parsecs}\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:9`, multi: true},
		{name: "checklist/huge-timeout", files: cl(item("        check: {run: ./x.sh, timeout: 99999999999999999999h}\n")), args: args(startMinor), code: exitUsage, msg: `minor\.yaml:9`, multi: true},
		{name: "checklist/type-traversal", args: args("start 2.0.0 --type ../../../../etc/passwd --no-walk"), code: exitUsage, msg: `passwd`},
		{name: "checklist/show-traversal", args: args("checklist show ../checklists/minor"), code: exitUsage, msg: `minor`},
		{name: "checklist/validate-missing-file", args: args("checklist validate no/such/file.yaml"), code: exitUsage, msg: `file\.yaml`, multi: true},
		{name: "checklist/validate-a-folder", args: args("checklist validate checklists"), code: exitUsage, msg: `checklists`, multi: true},
		{name: "checklist/long-name", args: []string{"checklist", "show", long}, code: exitUsage, msg: `xxx`},

		// Config: an invalid .octorelease.yaml stops every command that needs it.
		{name: "config/unknown-key", files: cfg("state_dri: elsewhere\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:1:1: unknown key "state_dri"`},
		{name: "config/alias", files: cfg("checklists: &c checklists\nnotes_dir: *c\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:1`},
		{name: "config/alias-bomb", files: cfg(laughs), args: args("status"), code: exitUsage, msg: `\.octorelease\.yaml`},
		{name: "config/invalid-utf8", files: cfg("state_dir: \xff\xfe\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml`},
		{name: "config/nul-bytes", files: cfg("state_dir: a\x00b\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml`},
		{name: "config/over-size-cap", files: cfg("# " + strings.Repeat("x", 1<<20) + "\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml`},
		{name: "config/duplicate-key", files: cfg("state_dir: .octorelease\nstate_dir: elsewhere\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:2:1: duplicate key`},
		{name: "config/roles-wrong-type", files: cfg("roles: [sre, qa]\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:1`},
		{name: "config/members-wrong-type", files: cfg("roles:\n  qa:\n    members: alice\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:3`},
		{name: "config/state-dir-mapping", files: cfg("state_dir: {a: b}\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:1`},
		{name: "config/lock-timeout", files: cfg("lock_timeout: forever\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `forever`},
		{name: "config/role-id-traversal", files: cfg("roles:\n  ../x: {name: X}\n"), args: args("sign s-001 --role qa"), code: exitUsage, msg: `\.octorelease\.yaml:2`},
		{name: "config/not-a-mapping", files: cfg("- a\n- b\n"), args: args("status"), code: exitUsage, msg: `\.octorelease\.yaml:1`},
		{name: "config/missing-file", args: args("--config no/such.yaml status"), code: exitUsage, msg: `no/such\.yaml`},
		{name: "config/a-folder", args: args("--config checklists status"), code: exitUsage, msg: `checklists`},
		{name: "config/env-bad-sod", env: []string{"OCTORELEASE_POLICY_SEPARATION_OF_DUTIES=perhaps"}, args: args("sign s-001 --role qa"), code: exitUsage, msg: `perhaps`},

		// State files: a file that does not parse is never overwritten.
		{name: "state/empty", files: state(""), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `v1\.0\.0\.json does not parse`},
		{name: "state/whitespace", files: state(" \n\t\n"), args: args("status -r v1.0.0"), code: exitRuntime, msg: `v1\.0\.0\.json does not parse`},
		{name: "state/truncated", setup: func(w *workdir) { w.write(".octorelease/v1.0.0.json", string(validState[:len(validState)/2])) }, args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `v1\.0\.0\.json does not parse`},
		{name: "state/future-format", files: replaceState(`"format": 1,`, `"format": 2,`), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `newer octorelease`},
		{name: "state/future-format-unknown-fields", files: state(`{"format": 99, "shiny": true}`), args: args("status -r v1.0.0"), code: exitRuntime, msg: `newer octorelease`},
		{name: "state/nul-byte", setup: func(w *workdir) {
			b := append([]byte{}, validState...)
			b[len(b)/3] = 0
			w.write(".octorelease/v1.0.0.json", string(b))
		}, args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/invalid-utf8-outside-strings", setup: func(w *workdir) {
			w.write(".octorelease/v1.0.0.json", strings.Replace(string(validState), `"serial"`, "\xff\"serial\"", 1))
		}, args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/wrong-type", files: replaceState(`"serial": 2,`, `"serial": "two",`), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/unknown-field", files: replaceState(`"serial": 2,`, `"serial": 2, "admin": true,`), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/trailing-data", files: state(string(validState) + "{}\n"), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/json-null", files: state("null\n"), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/deep-nesting", files: state(deep), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `does not parse`},
		{name: "state/other-release-id", files: replaceState(`"id": "v1.0.0"`, `"id": "v9.9.9"`), args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `v9\.9\.9`},
		{name: "state/over-size-cap", setup: func(w *workdir) {
			// Sparse: the size is checked before anything is read.
			if err := os.Truncate(w.stateFile(), 64<<20+1); err != nil {
				w.t.Fatal(err)
			}
		}, args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `larger than 64 MiB`},
		{name: "state/a-folder", setup: func(w *workdir) {
			if err := os.Remove(w.stateFile()); err != nil {
				w.t.Fatal(err)
			}
			if err := os.Mkdir(w.stateFile(), 0o755); err != nil {
				w.t.Fatal(err)
			}
		}, args: args("sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `v1\.0\.0\.json`},
		{name: "state/tampered-chain", files: replaceState(`"actor": "tester"`, `"actor": "mallory"`), args: args("audit verify -r v1.0.0"), code: exitRuntime, msg: `1 of 1 releases failed verification`},
		{name: "state/state-dir-is-a-file", args: args("--state-dir checklists/minor.yaml sign s-001 --role qa -r v1.0.0"), code: exitRuntime, msg: `not a directory`},

		// Flags and ids.
		{name: "id/10000-chars", args: []string{"status", "-r", longID}, code: exitUsage, msg: `invalid release id`},
		{name: "id/10000-chars-sign", args: []string{"sign", "s-001", "--role", "qa", "-r", longID}, code: exitUsage, msg: `invalid release id`},
		{name: "id/traversal", args: args("sign s-001 --role qa -r ../../../etc/passwd"), code: exitUsage, msg: `invalid release id`},
		{name: "id/traversal-inside", args: args("status -r v1.0.0/../../x"), code: exitUsage, msg: `invalid release id`},
		{name: "id/env-traversal", env: []string{"OCTORELEASE_RELEASE=../v1.0.0"}, args: args("sign s-001 --role qa"), code: exitUsage, msg: `invalid release id`},
		{name: "id/json-suffix", args: args("status -r v1.0.0.json"), code: exitUsage, msg: `invalid release id`},
		{name: "id/unknown-release", args: args("status -r v9.9.9"), code: exitUsage, msg: `no release "v9\.9\.9"`},
		{name: "id/start-10000-chars", args: []string{"start", longID, "--type", "minor", "--no-walk"}, code: exitUsage, msg: `invalid version`},
		{name: "id/start-traversal", args: args("start ../../1.0.0 --type minor --no-walk"), code: exitUsage, msg: `invalid version`},
		{name: "id/start-existing", args: args("start 1.0.0 --type minor --no-walk"), code: exitUsage, msg: `already exists`},
		{name: "id/item-10000-chars", args: []string{"sign", long, "--role", "qa"}, code: exitUsage, msg: `unknown item`},
		{name: "id/item-traversal", args: args("sign ../s-001 --role qa"), code: exitUsage, msg: `unknown item`},
		{name: "id/unknown-role", args: args("sign s-001 --role wizard"), code: exitUsage, msg: `wizard`},
		{name: "id/role-10000-chars", args: []string{"sign", "s-001", "--role", long}, code: exitUsage, msg: `unknown role`},
		{name: "id/already-signed", args: args("sign s-000 --role qa"), code: exitPolicy, msg: `s-000`},
		{name: "flag/lock-timeout-10000-chars", args: []string{"sign", "s-001", "--role", "qa", "--lock-timeout", long}, code: exitUsage, msg: `xxx…\(\d+ bytes\)…xxx`},
		{name: "flag/output-10000-chars", args: []string{"status", "-o", long}, code: exitUsage, msg: `output format`},
		{name: "flag/phase-10000-chars", args: []string{"gate", "--phase", long}, code: exitUsage, msg: `xxx`},
		{name: "flag/unknown", args: args("sign s-001 --role qa --frobnicate"), code: exitUsage, msg: `frobnicate`},
		{name: "flag/lock-timeout-not-a-duration", args: args("sign s-001 --role qa --lock-timeout banana"), code: exitUsage, msg: `banana`},
		{name: "flag/lock-timeout-negative", args: args("sign s-001 --role qa --lock-timeout -5s"), code: exitUsage, msg: `-5s`},
		{name: "flag/output-unknown", args: args("status -o xml"), code: exitUsage, msg: `xml`},
		{name: "flag/sign-no-items", args: args("sign --role qa"), code: exitUsage, msg: `arg`},
		{name: "flag/force-without-reason", args: args("sign s-001 --role qa --force"), code: exitUsage, msg: `--reason`},
		{name: "flag/waive-required", args: args("waive s-001 --role qa --reason nope"), code: exitPolicy, msg: `s-001`},
		{name: "flag/unknown-command", args: args("frobnicate"), code: exitUsage, msg: `frobnicate`},
		{name: "flag/walk-without-terminal", args: args("walk"), code: exitUsage, msg: `terminal`},
	}
}

// TestBadInput runs every malformed input through the real binary: each
// gets its documented exit code and a one-line error, never a panic, and the
// state folder stays byte-for-byte as it was.
func TestBadInput(t *testing.T) {
	bin := binary(t, "")
	base := newWorkdir(t, bin, 3)
	base.start()
	base.must(base.run("sign", "s-000", "--role", "qa"))
	_, validState = base.load()

	cases := badInputCases()
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := base.clone(t)
			for rel, content := range c.files {
				w.write(rel, content)
			}
			if c.setup != nil {
				c.setup(w)
			}
			before := treeHash(t, w.stateDir())
			r := w.runEnv(c.env, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d: %s", r.code, c.code, r)
			}
			if err := checkErrorOutput(r.stderr, c.multi); err != nil {
				t.Errorf("%v: %s", err, r)
			}
			// The message (the first line, or any line of a list of problems).
			msg, _, _ := strings.Cut(r.stderr, "\n")
			if c.multi {
				msg = r.stderr
			}
			if !regexp.MustCompile(c.msg).MatchString(msg) {
				t.Errorf("message %q does not match %q", clip(msg, 600), c.msg)
			}
			if d := diffTrees(before, treeHash(t, w.stateDir())); d != nil {
				t.Errorf("state folder changed: %v", d)
			}
			if c.check != nil {
				if err := c.check(w); err != nil {
					t.Error(err)
				}
			}
		})
	}
	figure(t, "bad inputs tried", len(cases))
}

// clone copies the workdir (project, checklists and state) for one case.
func (w *workdir) clone(t *testing.T) *workdir {
	t.Helper()
	c := *w
	c.t = t
	c.dir = t.TempDir()
	c.env = nil
	for _, e := range w.env {
		e = strings.ReplaceAll(e, w.dir, c.dir)
		c.env = append(c.env, e)
	}
	err := filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(w.dir, p)
		dst := filepath.Join(c.dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &c
}
