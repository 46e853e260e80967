// Package notes drafts release notes: it reads the commits since the previous
// release's tag from git, groups them by conventional-commit type, renders the
// release-notes template, and writes the result so that a later run never
// clobbers a file a person has edited since.
//
// It is a domain package: no cobra, viper or lipgloss. The `notes` command
// builds a Data, calls Collect and Render, and prints or Writes the result.
package notes

import (
	"encoding/json"
	"fmt"

	"golang.org/x/mod/semver"
)

// Commit is one commit, parsed as a conventional commit where possible.
// For a non-conventional message Type and Scope are empty and Subject is the
// whole first line.
type Commit struct {
	Hash     string `json:"hash"`
	Type     string `json:"type"`
	Scope    string `json:"scope"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	Breaking bool   `json:"breaking"`
}

// Group is a titled group of commits in the notable changes.
type Group struct {
	Title   string   `json:"title"`
	Commits []Commit `json:"commits"`
}

// Data is everything the release-notes template can use; it is also the
// `notes -o json` document.
type Data struct {
	Name        string   `json:"name"`    // the release id, e.g. "v1.4.0"
	Version     string   `json:"version"` // e.g. "1.4.0"
	Type        string   `json:"type"`    // patch, minor or major
	Date        string   `json:"date"`
	Summary     string   `json:"summary"`
	PreviousTag string   `json:"previous_tag"` // "" when there is none
	Changes     []Group  `json:"changes"`      // empty groups omitted
	Migration   []string `json:"migration"`
	KnownIssues []string `json:"known_issues"`
	Warnings    []string `json:"warnings"`
	HasGit      bool     `json:"has_git"`
	// Breaking: a notable change is marked breaking, so "no migration
	// steps" would be wrong.
	Breaking bool `json:"breaking"`
}

// MarshalJSON writes empty lists as [] rather than null, so that the JSON
// fields keep one type.
func (d Data) MarshalJSON() ([]byte, error) {
	type plain Data
	p := plain(d)
	p.Changes = nonNil(p.Changes)
	for i := range p.Changes {
		p.Changes[i].Commits = nonNil(p.Changes[i].Commits)
	}
	p.Migration = nonNil(p.Migration)
	p.KnownIssues = nonNil(p.KnownIssues)
	p.Warnings = nonNil(p.Warnings)
	return json.Marshal(p)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Collect fills d's PreviousTag, HasGit, Changes, Migration and Warnings from
// the git repository that contains dir; d.Version and d.Type must be set.
// Outside a git repository (or without git) HasGit is false and the notable
// changes are left for the template's placeholder.
func Collect(dir string, d Data) (Data, error) {
	prev, err := PreviousTag(dir, d.Version)
	if err != nil {
		return d, err
	}
	commits, hasGit, err := Log(dir, prev)
	if err != nil {
		return d, err
	}
	d.PreviousTag, d.HasGit = prev, hasGit
	d.Changes = GroupCommits(commits)
	d.Migration = MigrationSteps(commits)
	for _, c := range commits {
		d.Breaking = d.Breaking || c.Breaking
	}
	d.Warnings = warnings(d, commits)
	return d, nil
}

// warnings lists what a person should look at before publishing.
func warnings(d Data, commits []Commit) []string {
	var w []string
	if !d.HasGit {
		w = append(w, "not in a git repository (or git is not installed): notable changes must be written by hand")
	} else if d.PreviousTag == "" {
		w = append(w, "no earlier release tag found: notable changes cover the whole history")
	}
	if d.Type == "major" && len(d.Migration) == 0 {
		w = append(w, "major release has no migration steps")
	}
	breaking := 0
	for _, c := range commits {
		if c.Breaking {
			breaking++
		}
	}
	// Before 1.0.0 semver allows breaking changes in any release.
	if breaking > 0 && d.Type != "major" && semver.Major(canonical(d.Version)) != "v0" {
		w = append(w, fmt.Sprintf("%s release has %d breaking change(s): consider a major release", d.Type, breaking))
	}
	return w
}
