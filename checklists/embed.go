// Package checklists holds the default checklists and the release-notes
// template that are embedded in the octorelease binary. A team's own
// checklists folder overrides a file of the same name (SPEC §3).
package checklists

import "embed"

// FS holds base.yaml, patch.yaml, minor.yaml, major.yaml, incident.yaml and
// release-notes.md.tmpl at its root.
//
//go:embed *.yaml release-notes.md.tmpl
var FS embed.FS
