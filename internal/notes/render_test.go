package notes

import (
	"bytes"
	"encoding/json"
	"github.com/octorelease/octorelease/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

// templatePath is the real default template, the one embedded in the binary
// (SPEC §3); the golden files pin its output.
const templatePath = "../../checklists/release-notes.md.tmpl"

func loadTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkGolden compares got with testdata/<test name>.golden (go test
// -update rewrites it).
func checkGolden(t *testing.T, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden"), got)
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		data Data
	}{
		{"major", Data{
			Name: "v2.0.0", Version: "2.0.0", Type: "major", Date: "2026-11-25",
			Summary:     "Version 2 removes the v1 API and makes checklist loading strict.",
			PreviousTag: "v1.3.2", HasGit: true,
			Changes: []Group{
				{Title: "Breaking changes", Commits: []Commit{
					{Hash: "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c", Type: "feat", Scope: "api", Subject: "drop the v1 endpoints", Breaking: true},
					{Hash: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", Type: "fix", Subject: "stricter YAML parsing", Breaking: true},
				}},
				{Title: "Features", Commits: []Commit{{Hash: "1111111aaaaaaa", Type: "feat", Scope: "cli", Subject: "add notes command"}}},
				{Title: "Fixes", Commits: []Commit{{Hash: "2222222bbbbbbb", Type: "fix", Subject: "handle empty config"}}},
				{Title: "Performance", Commits: []Commit{{Hash: "3333333ccccccc", Type: "perf", Subject: "cache checklist parsing"}}},
				{Title: "Other", Commits: []Commit{
					{Hash: "4444444ddddddd", Type: "docs", Subject: "explain gates"},
					{Hash: "5555555eeeeeee", Subject: "Update README"},
				}},
			},
			Migration:   []string{"drop the v1 endpoints", "Checklist files with unknown keys no longer load; remove them."},
			KnownIssues: []string{"`walk` needs a terminal on Windows."},
		}},
		{"major_without_git", Data{Name: "v2.0.0", Version: "2.0.0", Type: "major", Date: "2026-11-25"}},
		{"patch_no_changes", Data{Name: "v1.3.3", Version: "1.3.3", Type: "patch", Date: "2026-11-25",
			Summary: "Nothing yet.", PreviousTag: "v1.3.2", HasGit: true}},
		{"first_release", Data{Name: "v0.1.0", Version: "0.1.0", Type: "minor", Date: "2026-11-25", HasGit: true,
			Changes: []Group{{Title: "Features", Commits: []Commit{{Hash: "abc", Type: "feat", Subject: "first"}}}}}},
	}
	tmpl := loadTemplate(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tmpl, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, got)
		})
	}
}

// The placeholders a product manager must act on are visible in the output.
func TestRenderFlagsWhatIsMissing(t *testing.T) {
	got, err := Render(loadTemplate(t), Data{Name: "v2.0.0", Version: "2.0.0", Type: "major"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**TODO:** summarise",
		"**TODO:** list the notable changes. No git history",
		"**TODO:** this is a major release but no migration steps",
		"None known.",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestRenderBadTemplate(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"# {{.Name}}\n\n{{.Nope}}\n", "release-notes.md.tmpl line 3: "},
		{"ok\n{{if .HasGit}}\nunclosed\n", "release-notes.md.tmpl line "},
		{"{{nosuchfunc .Name}}", "release-notes.md.tmpl line 1: function \"nosuchfunc\" not defined"},
		{"\n{{join .Name}}", "release-notes.md.tmpl line 2: "},
	}
	for _, tt := range tests {
		_, err := Render(tt.tmpl, Data{Name: "v1.0.0"})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Render(%q) error = %v, want prefix %q", tt.tmpl, err, tt.want)
		}
		if errs.Code(err) != errs.CodeUsage {
			t.Errorf("Render(%q) exit code = %d, want %d", tt.tmpl, errs.Code(err), errs.CodeUsage)
		}
	}
}

func TestRenderFuncs(t *testing.T) {
	tmpl := `{{short "0123456789"}}|{{join ", " .KnownIssues}}|{{.Summary | default "none"}}|{{upper .Type}}`
	got, err := Render(tmpl, Data{Type: "minor", Summary: "  ", KnownIssues: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "0123456|a, b|none|MINOR"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCollect(t *testing.T) {
	r := releaseRepo(t)

	major, err := Collect(r.dir, Data{Name: "v2.0.0", Version: "2.0.0", Type: "major"})
	if err != nil {
		t.Fatal(err)
	}
	if major.PreviousTag != "1.3.2" || !major.HasGit {
		t.Errorf("PreviousTag, HasGit = %q, %v", major.PreviousTag, major.HasGit)
	}
	var titles []string
	for _, g := range major.Changes {
		titles = append(titles, g.Title)
	}
	if got, want := strings.Join(titles, ","), "Breaking changes,Features,Performance,Other"; got != want {
		// the only fix since 1.3.2 is breaking
		t.Errorf("groups = %s, want %s", got, want)
	}
	wantSteps := []string{"checklist files with unknown keys no longer load; remove them.", "drop the v1 endpoints"}
	if strings.Join(major.Migration, "|") != strings.Join(wantSteps, "|") {
		t.Errorf("Migration = %q, want %q", major.Migration, wantSteps)
	}
	if len(major.Warnings) != 0 {
		t.Errorf("Warnings = %q, want none", major.Warnings)
	}

	minor, err := Collect(r.dir, Data{Name: "v1.4.0", Version: "1.4.0", Type: "minor"})
	if err != nil {
		t.Fatal(err)
	}
	// A breaking change in a minor release needs its migration steps too.
	if !minor.Breaking || len(minor.Migration) != 2 {
		t.Errorf("minor Breaking %v, Migration = %q, want the two BREAKING CHANGE notes", minor.Breaking, minor.Migration)
	}
	if want := []string{"minor release has 2 breaking change(s): consider a major release"}; strings.Join(minor.Warnings, "|") != want[0] {
		t.Errorf("minor Warnings = %q, want %q", minor.Warnings, want)
	}

	// A major release whose commits carry no breaking marker is flagged.
	plain := newTestRepo(t)
	plain.commit("feat: one")
	plain.tag("v1.0.0")
	plain.commit("feat: two")
	d, err := Collect(plain.dir, Data{Name: "v2.0.0", Version: "2.0.0", Type: "major"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "major release has no migration steps"; strings.Join(d.Warnings, "|") != want {
		t.Errorf("Warnings = %q, want %q", d.Warnings, want)
	}
}

func TestCollectOutsideGit(t *testing.T) {
	d, err := Collect(noGitDir(t), Data{Name: "v1.0.0", Version: "1.0.0", Type: "minor", Date: "2026-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	if d.HasGit || d.Changes != nil || d.PreviousTag != "" {
		t.Fatalf("Collect outside git = %+v", d)
	}
	if len(d.Warnings) != 1 || !strings.HasPrefix(d.Warnings[0], "not in a git repository") {
		t.Errorf("Warnings = %q", d.Warnings)
	}
	got, err := Render(loadTemplate(t), d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte("No git history was found")) {
		t.Errorf("no placeholder for missing git history:\n%s", got)
	}
}

func TestDataJSON(t *testing.T) {
	b, err := json.Marshal(Data{Name: "v1.0.0", Changes: []Group{{Title: "Fixes"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"v1.0.0","version":"","type":"","date":"","summary":"","previous_tag":"",` +
		`"changes":[{"title":"Fixes","commits":[]}],"migration":[],"known_issues":[],"warnings":[],"has_git":false,"breaking":false}`
	if string(b) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", b, want)
	}
}

// From a real repository to the rendered notes. Commit hashes are stable:
// fixed identities, dates and file contents, and no user git config.
func TestCollectAndRender(t *testing.T) {
	r := releaseRepo(t)
	r.commit("fix(ui): show ✓ for signed items — ünïcødé")
	d, err := Collect(r.dir, Data{Name: "v2.0.0", Version: "2.0.0", Type: "major", Date: "2026-11-25",
		Summary: "Strict checklists and a v2 API.", KnownIssues: []string{"None blocking."}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(loadTemplate(t), d)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, got)
}
