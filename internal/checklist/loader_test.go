package checklist

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/errs"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const teamMinor = `name: minor
description: Our minor release
extends: base
phases:
  - id: deploy
    title: Deployment checklist
    items:
      - id: feature-flags
        title: Feature flags configured
        roles: [developer]
        check:
          run: ./scripts/flags.sh
          timeout: 90s
`

const teamCustom = `name: custom
description: Our own checklist
phases:
  - id: only
    title: Only
    items:
      - id: one
        title: One
        roles: [qa]
`

// TestTeamDirOverridesEmbedded: a team file replaces the embedded checklist of
// the same name, a new file adds a checklist, the rest stay embedded.
func TestTeamDirOverridesEmbedded(t *testing.T) {
	dir := t.TempDir()
	minorPath := writeFile(t, dir, "minor.yaml", teamMinor)
	customPath := writeFile(t, dir, "custom.yaml", teamCustom)
	writeFile(t, dir, "notes.txt", "not a checklist")
	l := &Loader{Embedded: checklists.FS, Dir: dir}

	entries, err := l.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: "base", Description: "Items common to every release (extended by patch, minor and major; not started on its own)", Source: "embedded"},
		{Name: "custom", Description: "Our own checklist", Source: customPath},
		{Name: "incident", Description: "Rollback and incident playbook for a failed or harmful deployment", Source: "embedded"},
		{Name: "major", Description: "Significant functionality or breaking changes", Source: "embedded"},
		{Name: "minor", Description: "Our minor release", Source: minorPath, Overrides: true},
		{Name: "patch", Description: "Hotfixes addressing critical production issues", Source: "embedded"},
	}
	if !slices.Equal(entries, want) {
		t.Errorf("List:\n got %+v\nwant %+v", entries, want)
	}

	minor := mustLoad(t, l, "minor")
	if minor.Source != minorPath || minor.Description != "Our minor release" {
		t.Errorf("minor: source %q description %q", minor.Source, minor.Description)
	}
	it, phase, ok := minor.Item("feature-flags")
	if !ok || minor.Phases[phase].ID != "deploy" {
		t.Fatalf("feature-flags missing from the deploy phase: %v", minor.ItemIDs())
	}
	if it.Check == nil || it.Check.Run != "./scripts/flags.sh" || it.Check.EffectiveTimeout() != 90*time.Second {
		t.Errorf("check = %+v", it.Check)
	}
	if _, _, ok := minor.Item("announce"); !ok {
		t.Error("inherited base items missing from the team's minor")
	}
	if cl := mustLoad(t, l, "custom"); cl.Source != customPath || len(cl.ItemIDs()) != 1 {
		t.Errorf("custom: %+v", cl)
	}
	if cl := mustLoad(t, l, "patch"); cl.Source != "embedded" {
		t.Errorf("patch source %q", cl.Source)
	}
}

// TestTeamBaseChangesEmbeddedChildren: embedded patch extends the team's base
// when the team overrides base.
func TestTeamBaseChangesEmbeddedChildren(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "base.yaml", teamCustom) // named base.yaml but says name: custom
	l := &Loader{Embedded: checklists.FS, Dir: dir}
	_, err := l.Load("patch")
	ps := problemsOf(t, err)
	if !strings.Contains(ps[0].String(), filepath.Join(dir, "base.yaml")+`:1:7: name "custom" does not match the file name "base.yaml"`) {
		t.Errorf("got %v", err)
	}
	writeFile(t, dir, "base.yaml", strings.Replace(teamCustom, "name: custom", "name: base", 1))
	cl := mustLoad(t, l, "patch")
	if got := cl.ItemIDs(); !slices.Equal(got, []string{"one", "production-issue"}) {
		t.Errorf("patch over the team's base: %v", got)
	}
}

func TestMissingDirMeansEmbeddedOnly(t *testing.T) {
	l := &Loader{Embedded: checklists.FS, Dir: filepath.Join(t.TempDir(), "nope")}
	entries, err := l.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Errorf("List = %+v", entries)
	}
	if err := l.Validate(nil); err != nil {
		t.Errorf("Validate(nil) with no team folder validates the embedded ones: %v", err)
	}
}

func TestLoadUnknownChecklist(t *testing.T) {
	l := embeddedLoader()
	for _, name := range []string{"hotfix", "../base", "", "Minor"} {
		_, err := l.Load(name)
		var e *UnknownError
		if !errors.As(err, &e) || errs.Code(err) != errs.CodeUsage {
			t.Fatalf("Load(%q): want an UnknownError, a usage error, got %T %v", name, err, err)
		}
		if e.Name != name || !slices.Equal(e.Available, []string{"base", "incident", "major", "minor", "patch"}) {
			t.Errorf("Load(%q): %+v does not list the available checklists", name, e)
		}
		if !strings.Contains(err.Error(), "available: base, incident, major, minor, patch") {
			t.Errorf("Load(%q): %q does not list the available checklists", name, err)
		}
	}
}

func TestValidationErrorExitCode(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: [x"))
	if errs.Code(err) != errs.CodeUsage {
		t.Errorf("exit code %d, want 2", errs.Code(err))
	}
	if got := (&ValidationError{Problems: []Problem{{File: "a.yaml", Line: 2, Col: 3, Msg: "bad"}, {File: "b.yaml", Msg: "too big"}}}).Error(); got != "a.yaml:2:3: bad\nb.yaml: too big" {
		t.Errorf("Error() = %q", got)
	}
}

// TestValidate: with no arguments every team file; with paths just those, and
// every problem of every file in one error.
func TestValidate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "minor.yaml", teamMinor)
	bad := writeFile(t, dir, "bad.yaml", "name: bad\nphases:\n  - id: p\n    title: P\n    items:\n      - {id: a, title: A, roles: [wizard]}\n")
	worse := writeFile(t, dir, "worse.yaml", "name: worse\nextends: nothing\nphases: []\nextra: 1\n")
	l := &Loader{Embedded: checklists.FS, Dir: dir}

	err := l.Validate(nil)
	got := strings.Split(err.Error(), "\n")
	want := []string{
		bad + `:6:35: unknown role "wizard"; known roles: developer, product-manager, project-manager, qa, security, sre`,
		worse + `:2:10: extends "nothing": no such checklist; available: bad, base, incident, major, minor, patch, worse`,
		worse + `:4:1: unknown key "extra" in checklist; expected one of: name, description, extends, phases`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Validate(nil):\n got %q\nwant %q", got, want)
	}
	if err := l.Validate([]string{filepath.Join(dir, "minor.yaml")}); err != nil {
		t.Errorf("Validate(minor): %v", err)
	}
	if err := l.Validate([]string{bad}); err == nil || strings.Contains(err.Error(), "worse") {
		t.Errorf("Validate(bad) = %v", err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if err := l.Validate([]string{missing}); err == nil || err.Error() != missing+": no such file" {
		t.Errorf("Validate(missing) = %v", err)
	}
	if err := l.Validate([]string{filepath.Join(dir, "Bad Name.yml")}); err == nil || !strings.Contains(err.Error(), "must be named <name>.yaml") {
		t.Errorf("Validate(bad name) = %v", err)
	}
}

// TestValidateResolvesSiblings: a file given to Validate extends the files of
// its own folder before the team's and the embedded ones.
func TestValidateResolvesSiblings(t *testing.T) {
	other := t.TempDir()
	writeFile(t, other, "base.yaml", strings.Replace(teamCustom, "name: custom", "name: base", 1))
	child := writeFile(t, other, "child.yaml", "name: child\nextends: base\nphases:\n  - id: only\n    title: Only\n    items:\n      - {id: two, title: Two, roles: [sre], needs: [one]}\n")
	l := &Loader{Embedded: checklists.FS, Dir: t.TempDir()}
	if err := l.Validate([]string{child}); err != nil {
		t.Errorf("Validate(child) = %v", err)
	}
}

func TestConfiguredRoles(t *testing.T) {
	fsys := fstest.MapFS{"t.yaml": {Data: []byte("name: t\nphases:\n  - id: p\n    title: P\n    items:\n      - {id: a, title: A, roles: [dba, qa]}\n")}}
	l := &Loader{Embedded: fsys, Roles: []string{"dba", "sre"}}
	_, err := l.Load("t")
	if err == nil || err.Error() != `embedded/t.yaml:6:40: unknown role "qa"; known roles: dba, sre` {
		t.Errorf("got %v", err)
	}
	l.Roles = append(BuiltinRoles(), "dba")
	if _, err := l.Load("t"); err != nil {
		t.Error(err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := "name: big\ndescription: " + strings.Repeat("x", MaxFileSize) + "\nphases: []\n"
	_, err := Parse("big.yaml", []byte(big))
	if err == nil || !strings.HasPrefix(err.Error(), "big.yaml: file is") || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("Parse: %v", err)
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "big.yaml", big)
	l := &Loader{Dir: dir}
	_, err = l.Load("big")
	if err == nil || err.Error() != p+": file is over the 1048576-byte (1 MiB) limit for a checklist" {
		t.Errorf("Load: %v", err)
	}
	l = &Loader{Embedded: fstest.MapFS{"big.yaml": {Data: []byte(big)}}}
	if _, err := l.Load("big"); err == nil || !strings.Contains(err.Error(), "embedded/big.yaml: file is over") {
		t.Errorf("Load embedded: %v", err)
	}
	exact := "name: ok\nphases: [{id: p, title: P, items: [{id: a, title: A, roles: [qa]}]}]\n#"
	exact += strings.Repeat("x", MaxFileSize-len(exact))
	if _, err := Parse("ok.yaml", []byte(exact)); err != nil {
		t.Errorf("a file of exactly 1 MiB: %v", err)
	}
}

// TestChecklistJSON pins the shape of `checklist show -o json` (SPEC §8).
func TestChecklistJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "minor.yaml", teamMinor)
	l := &Loader{Embedded: checklists.FS, Dir: dir}
	cl := mustLoad(t, l, "minor")
	b, err := json.Marshal(cl)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Name, Description, Source string
		Phases                    []struct {
			ID, Title string
			Items     []map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	first := raw.Phases[0].Items[0]
	for key, want := range map[string]string{
		"id": `"acceptance-criteria"`, "roles": `["developer"]`, "optional": "false", "needs": "[]", "check": "null",
	} {
		if got := string(first[key]); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	if _, ok := first["help"]; !ok {
		t.Error("help missing")
	}
	last := raw.Phases[1].Items[len(raw.Phases[1].Items)-1]
	if got := string(last["check"]); got != `{"run":"./scripts/flags.sh","timeout":"1m30s"}` {
		t.Errorf("check = %s", got)
	}
	if !strings.Contains(string(b), `"source":"`+filepath.Join(dir, "minor.yaml")) {
		t.Errorf("source missing: %s", b)
	}
	// A state file keeps the checklist as JSON: it must round-trip.
	var back Checklist
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(&back); string(b2) != string(b) {
		t.Errorf("round trip changed the JSON:\n%s\n%s", b, b2)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		text string
	}{
		{0, ""}, {10 * time.Minute, "10m"}, {time.Hour, "1h"}, {90 * time.Minute, "1h30m"},
		{90 * time.Second, "1m30s"}, {45 * time.Second, "45s"}, {1500 * time.Millisecond, "1.5s"},
	} {
		if got := Duration(tt.d).String(); got != tt.text {
			t.Errorf("String(%v) = %q, want %q", tt.d, got, tt.text)
		}
		back, err := ParseDuration(tt.text)
		if err != nil || time.Duration(back) != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v", tt.text, back, err)
		}
	}

	c := Check{Run: "x", Timeout: Duration(10 * time.Minute)}
	b, _ := json.Marshal(c)
	if string(b) != `{"run":"x","timeout":"10m"}` {
		t.Errorf("JSON %s", b)
	}
	if b, _ := json.Marshal(Check{Run: "x"}); string(b) != `{"run":"x"}` {
		t.Errorf("zero timeout JSON %s", b)
	}
	for in, want := range map[string]time.Duration{`{"timeout":"10m"}`: 10 * time.Minute, `{"timeout":""}`: 0, `{"timeout":null}`: 0, `{}`: 0} {
		var c Check
		if err := json.Unmarshal([]byte(in), &c); err != nil || time.Duration(c.Timeout) != want {
			t.Errorf("unmarshal %s = %v, %v", in, c.Timeout, err)
		}
	}
	for _, in := range []string{`{"timeout":"soon"}`, `{"timeout":600}`} {
		var c Check
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("unmarshal %s: want an error", in)
		}
	}

	y, err := yaml.Marshal(c)
	if err != nil || string(y) != "run: x\ntimeout: 10m\n" {
		t.Errorf("YAML %q, %v", y, err)
	}
	var yc Check
	if err := yaml.Unmarshal([]byte("run: y\ntimeout: 2h\n"), &yc); err != nil || time.Duration(yc.Timeout) != 2*time.Hour {
		t.Errorf("YAML unmarshal %+v, %v", yc, err)
	}
	if err := yaml.Unmarshal([]byte("timeout: [1]\n"), &yc); err == nil {
		t.Error("YAML unmarshal of a list: want an error")
	}
	if got := (&Check{}).EffectiveTimeout(); got != DefaultCheckTimeout {
		t.Errorf("EffectiveTimeout = %v", got)
	}
}

// TestParseFile exposes what a single file holds before extends.
func TestParseFile(t *testing.T) {
	f, err := Parse("checklists/patch.yaml", mustRead(t, "patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "patch" || f.Extends != "base" || f.Path != "checklists/patch.yaml" || len(f.Phases) != 1 || f.Phases[0].Items[0].ID != "production-issue" {
		t.Errorf("Parse = %+v", f)
	}
	f, err = Parse("x.yaml", []byte("name: x\ndescription: half\nphases: nope\n"))
	if err == nil || f == nil || f.Description != "half" {
		t.Errorf("a failed Parse still returns what it read: %+v, %v", f, err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := checklists.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
