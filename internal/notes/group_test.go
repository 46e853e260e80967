package notes

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommit(t *testing.T) {
	tests := []struct {
		subject, body string
		want          Commit
	}{
		{"feat(cli): add notes", "", Commit{Type: "feat", Scope: "cli", Subject: "add notes"}},
		{"fix: crash on empty file", "", Commit{Type: "fix", Subject: "crash on empty file"}},
		{"Feat: capitalised type", "", Commit{Type: "feat", Subject: "capitalised type"}},
		{"feat(api)!: drop v1", "", Commit{Type: "feat", Scope: "api", Subject: "drop v1", Breaking: true}},
		{"refactor!: rename flags", "", Commit{Type: "refactor", Subject: "rename flags", Breaking: true}},
		{"fix: x", "BREAKING CHANGE: y", Commit{Type: "fix", Subject: "x", Body: "BREAKING CHANGE: y", Breaking: true}},
		{"chore: x", "BREAKING-CHANGE: y", Commit{Type: "chore", Subject: "x", Body: "BREAKING-CHANGE: y", Breaking: true}},
		{"docs: x", "mentions a BREAKING CHANGE: in prose", Commit{Type: "docs", Subject: "x", Body: "mentions a BREAKING CHANGE: in prose"}},
		{"Update README", "", Commit{Subject: "Update README"}},
		{"Merge branch 'topic'", "", Commit{Subject: "Merge branch 'topic'"}},
		{"feat:no space", "", Commit{Subject: "feat:no space"}},
		{"fix(): empty scope", "", Commit{Type: "fix", Subject: "empty scope"}},
		{"WIP: something", "", Commit{Type: "wip", Subject: "something"}},
	}
	for _, tt := range tests {
		got := ParseCommit("", tt.subject, tt.body)
		if got != tt.want {
			t.Errorf("ParseCommit(%q, %q) = %+v\nwant %+v", tt.subject, tt.body, got, tt.want)
		}
	}
}

func TestGroupCommitsOrder(t *testing.T) {
	in := []Commit{
		{Hash: "1", Type: "docs", Subject: "docs"},
		{Hash: "2", Type: "perf", Subject: "perf"},
		{Hash: "3", Type: "fix", Subject: "fix one"},
		{Hash: "4", Subject: "Update README"},
		{Hash: "5", Type: "feat", Subject: "feat"},
		{Hash: "6", Type: "fix", Subject: "breaking fix", Breaking: true},
		{Hash: "7", Type: "fix", Subject: "fix two"},
		{Hash: "8", Type: "chore", Subject: "chore"},
		{Hash: "9", Type: "feat", Subject: "breaking feat", Breaking: true},
	}
	got := GroupCommits(in)
	var titles []string
	order := map[string][]string{}
	for _, g := range got {
		titles = append(titles, g.Title)
		for _, c := range g.Commits {
			order[g.Title] = append(order[g.Title], c.Hash)
		}
	}
	if want := []string{"Breaking changes", "Features", "Fixes", "Performance", "Other"}; !reflect.DeepEqual(titles, want) {
		t.Fatalf("titles = %q, want %q", titles, want)
	}
	want := map[string][]string{
		"Breaking changes": {"6", "9"}, "Features": {"5"}, "Fixes": {"3", "7"},
		"Performance": {"2"}, "Other": {"1", "4", "8"},
	}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("groups = %v, want %v", order, want)
	}
}

func TestGroupCommitsOmitsEmptyGroups(t *testing.T) {
	got := GroupCommits([]Commit{{Type: "fix", Subject: "a"}, {Type: "docs", Subject: "b"}})
	if len(got) != 2 || got[0].Title != "Fixes" || got[1].Title != "Other" {
		t.Fatalf("groups = %+v", got)
	}
	if GroupCommits(nil) != nil {
		t.Fatal("GroupCommits(nil) should be empty")
	}
}

func TestMigrationSteps(t *testing.T) {
	commits := []Commit{
		ParseCommit("a", "feat(api)!: drop the v1 endpoints", ""),
		ParseCommit("b", "fix: stricter parsing", "Details.\n\nBREAKING CHANGE: unknown keys\n  are rejected.\nRefs #12\nBREAKING-CHANGE: second note"),
		ParseCommit("c", "feat!: both", "BREAKING CHANGE: the footer wins over the subject"),
		ParseCommit("d", "fix: not breaking", "Refs #3"),
	}
	want := []string{"drop the v1 endpoints", "unknown keys are rejected.", "second note", "the footer wins over the subject"}
	if got := MigrationSteps(commits); !reflect.DeepEqual(got, want) {
		t.Fatalf("MigrationSteps = %q\nwant %q", got, want)
	}
}

func FuzzParseCommit(f *testing.F) {
	f.Add("feat(api)!: drop v1", "BREAKING CHANGE: use v2")
	f.Add("fix: x", "")
	f.Add("Merge branch 'x'", "body\n\nBREAKING-CHANGE:\ncontinued")
	f.Add("(): ", "BREAKING CHANGE: \n")
	f.Fuzz(func(t *testing.T, subject, body string) {
		c := ParseCommit("h", subject, body)
		if c.Type != strings.ToLower(c.Type) {
			t.Errorf("type %q not lower case", c.Type)
		}
		if c.Type == "" && c.Subject != strings.TrimSpace(subject) {
			t.Errorf("non-conventional subject changed: %q -> %q", subject, c.Subject)
		}
		steps := MigrationSteps([]Commit{c})
		if c.Breaking != (len(steps) > 0) {
			t.Errorf("breaking=%v but %d migration steps", c.Breaking, len(steps))
		}
		if len(GroupCommits([]Commit{c})) != 1 {
			t.Error("a commit must land in exactly one group")
		}
	})
}
