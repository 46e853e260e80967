package reliability

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testbin"
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

// The base project's state files, for cases that mangle them: release.json
// and the event file of its one sign-off (relative to the project).
var (
	validHeader, validEvent []byte
	headerRel, eventRel     string
	startRel                string
)

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
	file := func(rel, content string) map[string]string { return map[string]string{rel: content} }
	replaceIn := func(rel string, valid []byte, old, new string) map[string]string {
		s := string(valid)
		if !strings.Contains(s, old) {
			panic(rel + " has no " + old)
		}
		return file(rel, strings.Replace(s, old, new, 1))
	}
	header := func(content string) map[string]string { return file(headerRel, content) }
	replaceHeader := func(old, new string) map[string]string { return replaceIn(headerRel, validHeader, old, new) }
	event := func(content string) map[string]string { return file(eventRel, content) }
	replaceEvent := func(old, new string) map[string]string { return replaceIn(eventRel, validEvent, old, new) }
	nulAt := func(rel string, valid []byte) func(*workdir) {
		return func(w *workdir) {
			b := append([]byte{}, valid...)
			b[len(b)/3] = 0
			w.write(rel, string(b))
		}
	}
	// sparse makes rel a sparse file of size bytes: the size is checked
	// before anything is read.
	sparse := func(rel string, size int64) func(*workdir) {
		return func(w *workdir) {
			if err := os.Truncate(w.path(rel), size); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	// replaceWith removes rel and lets make put something else there.
	replaceWith := func(rel string, make func(w *workdir, p string) error) func(*workdir) {
		return func(w *workdir) {
			if err := os.RemoveAll(w.path(rel)); err != nil {
				w.t.Fatal(err)
			}
			if err := make(w, w.path(rel)); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	aFolder := func(_ *workdir, p string) error { return os.Mkdir(p, 0o755) }
	aFile := func(_ *workdir, p string) error { return os.WriteFile(p, []byte("x\n"), 0o644) }
	// aLinkToCopy moves the real thing elsewhere and links to it: a link
	// with valid content behind it is still refused.
	aLinkToCopy := func(rel string) func(*workdir) {
		return func(w *workdir) {
			elsewhere := filepath.Join(w.dir, "elsewhere-"+filepath.Base(rel))
			if err := os.Rename(w.path(rel), elsewhere); err != nil {
				w.t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, w.path(rel)); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	// lockLinkOut makes the lock file a link to a file outside the state
	// folder, which no writer may open, create or truncate.
	lockLinkOut := func(w *workdir) {
		if err := os.WriteFile(w.path("outside.txt"), []byte("keep me\n"), 0o644); err != nil {
			w.t.Fatal(err)
		}
		_ = os.Remove(w.lockFile())
		if err := os.Symlink(w.path("outside.txt"), w.lockFile()); err != nil {
			w.t.Fatal(err)
		}
	}
	outsideKept := func(w *workdir) error {
		if b, err := os.ReadFile(w.path("outside.txt")); err != nil || string(b) != "keep me\n" {
			return fmt.Errorf("the file the lock links to was touched: %q, %v", b, err)
		}
		return nil
	}
	// foreignStart adds the start event of another creation of v1.0.0 (as
	// a clone that started the same version before syncing would).
	foreignStart := func(w *workdir) {
		r, err := release.New(release.Meta{ID: releaseID, Version: "1.0.0", Type: "minor",
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CreatedBy: "other-clone"},
			checklist.Checklist{Name: "minor", Phases: []checklist.Phase{{ID: "one", Title: "One",
				Items: []checklist.Item{{ID: "s-000", Title: "Item 0", Roles: []string{"qa"}}}}}})
		if err != nil {
			w.t.Fatal(err)
		}
		e := r.Pending()[0]
		data, err := release.EncodeEvent(e)
		if err != nil {
			w.t.Fatal(err)
		}
		w.write(filepath.ToSlash(filepath.Join(filepath.Dir(eventRel), e.FileName())), string(data))
	}
	renameEvent := func(w *workdir) {
		if err := os.Rename(w.path(eventRel), w.path(strings.Replace(eventRel, "-sign-", "-waive-", 1))); err != nil {
			w.t.Fatal(err)
		}
	}
	remove := func(rel string) func(*workdir) {
		return func(w *workdir) {
			if err := os.Remove(w.path(rel)); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	const (
		signArgs   = "sign s-001 --role qa -r v1.0.0"
		statusArgs = "status -r v1.0.0"
		gateArgs   = "gate -r v1.0.0"
		auditArgs  = "audit verify -r v1.0.0"
	)
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

		// The header (release.json): a file that does not parse is never
		// overwritten, and nothing is written beside it.
		{name: "header/empty", files: header(""), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/whitespace", files: header(" \n\t\n"), args: args(statusArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/truncated", setup: func(w *workdir) { w.write(headerRel, string(validHeader[:len(validHeader)/2])) }, args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/future-format", files: replaceHeader(`"format": 2,`, `"format": 3,`), args: args(signArgs), code: exitRuntime, msg: `newer octorelease`},
		{name: "header/future-format-unknown-fields", files: header(`{"format": 99, "shiny": true}`), args: args(statusArgs), code: exitRuntime, msg: `newer octorelease`},
		{name: "header/format-1", files: replaceHeader(`"format": 2,`, `"format": 1,`), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse: a format-1 state file: run .octorelease migrate.`},
		{name: "header/nul-byte", setup: nulAt(headerRel, validHeader), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/invalid-utf8-outside-strings", files: replaceHeader(`"format"`, "\xff\"format\""), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/wrong-type", files: replaceHeader(`"format": 2,`, `"format": "two",`), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/unknown-field", files: replaceHeader(`"format": 2,`, `"format": 2, "admin": true,`), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/duplicate-key", files: replaceHeader(`"format": 2,`, `"format": 2, "format": 2,`), args: args(gateArgs), code: exitRuntime, msg: `release\.json does not parse.*duplicate key`},
		{name: "header/trailing-data", files: header(string(validHeader) + "{}\n"), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/json-null", files: header("null\n"), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/deep-nesting", files: header(deep), args: args(signArgs), code: exitRuntime, msg: `release\.json does not parse`},
		{name: "header/other-release-id", files: replaceHeader(`"id": "v1.0.0"`, `"id": "v9.9.9"`), args: args(signArgs), code: exitRuntime, msg: `v9\.9\.9`},
		{name: "header/over-size-cap", setup: sparse(headerRel, release.MaxHeaderSize+1), args: args(signArgs), code: exitRuntime, msg: `release\.json.*over the \d+-byte limit`},
		{name: "header/a-folder", setup: replaceWith(headerRel, aFolder), args: args(signArgs), code: exitRuntime, msg: `release\.json.*not a regular file`},
		{name: "header/missing", setup: remove(headerRel), args: args(statusArgs), code: exitRuntime, msg: `release\.json`},
		{name: "header/symlink", setup: aLinkToCopy(headerRel), args: args(signArgs), code: exitRuntime, msg: `release\.json`},
		{name: "header/edited", files: replaceHeader(`"title": "Item 1"`, `"title": "Item 1 (easier)"`), args: args(gateArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: release\.json: does not match the start event`},
		{name: "header/edited-sign", files: replaceHeader(`"created_by": "tester"`, `"created_by": "mallory"`), args: args(signArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: release\.json: does not match the start event`},

		// Event files: the same, and every edit, rename, deletion or
		// foreign event is damage that stops readers and writers alike.
		{name: "event/empty", files: event(""), args: args(signArgs), code: exitRuntime, msg: `events/.*-sign-s-000-qa-[0-9a-f]{16}\.json does not parse`},
		{name: "event/truncated", setup: func(w *workdir) { w.write(eventRel, string(validEvent[:len(validEvent)/2])) }, args: args(statusArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/nul-byte", setup: nulAt(eventRel, validEvent), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/invalid-utf8-outside-strings", files: replaceEvent(`"kind"`, "\xff\"kind\""), args: args(gateArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/wrong-type", files: replaceEvent(`"kind": "sign"`, `"kind": 7`), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/unknown-kind", files: replaceEvent(`"kind": "sign"`, `"kind": "sigh"`), args: args(statusArgs), code: exitRuntime, msg: `unknown kind "sigh"`},
		{name: "event/unknown-field", files: replaceEvent(`"kind": "sign",`, `"kind": "sign", "admin": true,`), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/duplicate-key", files: replaceEvent(`"kind": "sign",`, `"kind": "sign", "kind": "waive",`), args: args(gateArgs), code: exitRuntime, msg: `\.json does not parse.*duplicate key`},
		{name: "event/trailing-data", files: event(string(validEvent) + "{}\n"), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/json-null", files: event("null\n"), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/deep-nesting", files: event(deep), args: args(signArgs), code: exitRuntime, msg: `\.json does not parse`},
		{name: "event/over-size-cap", setup: sparse(eventRel, release.MaxEventSize+1), args: args(signArgs), code: exitRuntime, msg: `\.json.*over the \d+-byte limit`},
		{name: "event/a-folder", setup: replaceWith(eventRel, aFolder), args: args(signArgs), code: exitRuntime, msg: `\.json.*not a regular file`},
		{name: "event/symlink", setup: aLinkToCopy(eventRel), args: args(statusArgs), code: exitRuntime, msg: `-sign-s-000-qa-[0-9a-f]{16}\.json`},
		{name: "event/edited", files: replaceEvent(`"actor": "tester"`, `"actor": "mallory"`), args: args(gateArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: .*hash does not match its content`},
		{name: "event/edited-sign", files: replaceEvent(`"actor": "tester"`, `"actor": "mallory"`), args: args(signArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: .*hash does not match its content`},
		{name: "event/renamed", setup: renameEvent, args: args(statusArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: .*name does not match its content`},
		{name: "event/parent-deleted", setup: func(w *workdir) { remove(startRel)(w) }, args: args(signArgs), code: exitRuntime, msg: `v1\.0\.0 is damaged: .*parent [0-9a-f]{16} is missing`},
		{name: "event/foreign-start", setup: foreignStart, args: args(signArgs), code: exitRuntime, msg: `v1\.0\.0 was created twice.*other-clone`},
		{name: "events-dir/a-file", setup: replaceWith(filepath.Dir(eventRel), aFile), args: args(signArgs), code: exitRuntime, msg: `events is not a folder`},
		{name: "events-dir/symlink", setup: aLinkToCopy(filepath.Dir(eventRel)), args: args(signArgs), code: exitRuntime, msg: `events is not a folder`},
		{name: "release-dir/symlink", setup: aLinkToCopy(".octorelease/" + releaseID), args: args(signArgs), code: exitRuntime, msg: `v1\.0\.0 is not a folder`},
		{name: "release-dir/a-file", setup: replaceWith(".octorelease/"+releaseID, aFile), args: args(statusArgs), code: exitRuntime, msg: `v1\.0\.0 is not a folder`},
		{name: "lock/symlink-out", setup: lockLinkOut, args: args(signArgs), code: exitRuntime, msg: `\.lock`, check: outsideKept},
		{name: "lock/a-folder", setup: replaceWith(".octorelease/"+releaseID+"/.lock", aFolder), args: args(signArgs), code: exitRuntime, msg: `\.lock`},
		{name: "state/tampered", files: replaceEvent(`"actor": "tester"`, `"actor": "mallory"`), args: args(auditArgs), code: exitRuntime, msg: `1 of 1 releases failed verification`},
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
	base.load()
	headerRel = ".octorelease/" + releaseID + "/release.json"
	for _, name := range base.eventFiles() {
		rel := ".octorelease/" + releaseID + "/events/" + name
		switch {
		case strings.Contains(name, "-start-"):
			startRel = rel
		case strings.Contains(name, "-sign-s-000-"):
			eventRel = rel
		}
	}
	var err error
	if validHeader, err = os.ReadFile(base.path(headerRel)); err != nil {
		t.Fatal(err)
	}
	if validEvent, err = os.ReadFile(base.path(eventRel)); err != nil {
		t.Fatal(err)
	}

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
			if r.Code != c.code {
				t.Errorf("exit %d, want %d: %s", r.Code, c.code, r)
			}
			if err := checkErrorOutput(r.Stderr, c.multi); err != nil {
				t.Errorf("%v: %s", err, r)
			}
			// The message (the first line, or any line of a list of problems).
			msg, _, _ := strings.Cut(r.Stderr, "\n")
			if c.multi {
				msg = r.Stderr
			}
			if !regexp.MustCompile(c.msg).MatchString(msg) {
				t.Errorf("message %q does not match %q", testbin.Clip(msg, 600), c.msg)
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
