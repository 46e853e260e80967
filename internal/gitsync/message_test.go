package gitsync

import "testing"

func TestMessage(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{".octorelease/v1.4.0/events/a.json", ".octorelease/v1.4.0/events/b.json", ".octorelease/v1.4.0/events/c.json"},
			"octorelease: record 3 events (v1.4.0)"},
		{[]string{".octorelease/v1.4.0/events/a.json"}, "octorelease: record 1 event (v1.4.0)"},
		{[]string{".octorelease/v1.5.0/release.json", ".octorelease/v1.5.0/events/a.json", ".octorelease/v1.4.0/events/b.json"},
			"octorelease: record 1 release and 2 events (v1.4.0, v1.5.0)"},
		{[]string{".octorelease/.gitignore"}, "octorelease: record 1 file"},
		{[]string{".octorelease/a/events/1.json", ".octorelease/b/events/1.json", ".octorelease/c/events/1.json",
			".octorelease/d/events/1.json", ".octorelease/d/notes.md"},
			"octorelease: record 4 events and 1 file (a, b, c, 1 more)"},
	} {
		if got := Message(".octorelease", tc.paths); got != tc.want {
			t.Errorf("Message(%q) = %q, want %q", tc.paths, got, tc.want)
		}
	}
}
