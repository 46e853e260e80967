package notes

import (
	"regexp"
	"strings"
	"sync"
)

// header matches a conventional-commit subject: type(scope)!: description.
//
// Compiled on first use: every command links this package, few need it.
var header = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)(?:\(([^()]*)\))?(!)?: +(\S.*)$`)
})

// breakingFooter matches the footer that marks a breaking change; the
// specification allows both spellings.
//
// Compiled on first use: every command links this package, few need it.
var breakingFooter = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^BREAKING[ -]CHANGE: *(.*)$`) })

// ParseCommit parses a commit's subject line and body as a conventional
// commit. A subject that is not one is kept whole, with an empty Type.
func ParseCommit(hash, subject, body string) Commit {
	c := Commit{Hash: hash, Subject: strings.TrimSpace(subject), Body: strings.TrimSpace(body)}
	if m := header().FindStringSubmatch(c.Subject); m != nil {
		c.Type = strings.ToLower(m[1])
		c.Scope = strings.TrimSpace(m[2])
		c.Breaking = m[3] == "!"
		c.Subject = strings.TrimSpace(m[4])
	}
	if len(breakingNotes(c.Body)) > 0 {
		c.Breaking = true
	}
	return c
}

// breakingNotes returns the text of each BREAKING CHANGE footer in body; a
// footer runs on over the following lines up to a blank line or the next
// footer ("Token: value" or "Token #value").
func breakingNotes(body string) []string {
	var notes []string
	cur := -1
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if m := breakingFooter().FindStringSubmatch(line); m != nil {
			notes = append(notes, strings.TrimSpace(m[1]))
			cur = len(notes) - 1
			continue
		}
		if cur < 0 {
			continue
		}
		if line == "" || footerToken().MatchString(line) {
			cur = -1
			continue
		}
		notes[cur] = strings.TrimSpace(notes[cur] + " " + strings.TrimSpace(line))
	}
	// A footer with its text on the following lines only is still a note.
	out := notes[:0]
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Compiled on first use: every command links this package, few need it.
var footerToken = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z-]*(: | #)`) })

// groupOrder is the order of the groups in the notes, and the commit types
// that go into each; a breaking commit goes first whatever its type, and a
// type not listed goes to "Other".
var groupOrder = []struct {
	title string
	types []string
}{
	{"Breaking changes", nil},
	{"Features", []string{"feat", "feature"}},
	{"Fixes", []string{"fix", "bugfix"}},
	{"Performance", []string{"perf"}},
	{"Other", nil},
}

// GroupCommits sorts commits into "Breaking changes", "Features", "Fixes",
// "Performance" and "Other", in that order, keeping the commits' order
// within each group and leaving out empty groups.
func GroupCommits(commits []Commit) []Group {
	buckets := make([][]Commit, len(groupOrder))
	for _, c := range commits {
		i := groupIndex(c)
		buckets[i] = append(buckets[i], c)
	}
	var groups []Group
	for i, g := range groupOrder {
		if len(buckets[i]) > 0 {
			groups = append(groups, Group{Title: g.title, Commits: buckets[i]})
		}
	}
	return groups
}

func groupIndex(c Commit) int {
	if c.Breaking {
		return 0
	}
	for i, g := range groupOrder {
		for _, t := range g.types {
			if c.Type == t {
				return i
			}
		}
	}
	return len(groupOrder) - 1
}

// MigrationSteps returns a step for each breaking change: the text of its
// BREAKING CHANGE footer, or its subject when it is marked only with "!".
func MigrationSteps(commits []Commit) []string {
	var steps []string
	for _, c := range commits {
		if !c.Breaking {
			continue
		}
		if notes := breakingNotes(c.Body); len(notes) > 0 {
			steps = append(steps, notes...)
			continue
		}
		steps = append(steps, c.Subject)
	}
	return steps
}
