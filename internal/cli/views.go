package cli

import (
	"time"

	"github.com/octorelease/octorelease/internal/release"
)

// JSON shapes of SPEC §8. Field names are stable; new fields may be added.

type releaseJSON struct {
	ID        string    `json:"id" yaml:"id"`
	Version   string    `json:"version" yaml:"version"`
	Type      string    `json:"type" yaml:"type"`
	Status    string    `json:"status" yaml:"status"`
	CreatedAt time.Time `json:"created_at" yaml:"created_at"`
	CreatedBy string    `json:"created_by" yaml:"created_by"`
	Summary   string    `json:"summary" yaml:"summary"`
	Parent    string    `json:"parent,omitempty" yaml:"parent,omitempty"`
	Incidents []string  `json:"incidents,omitempty" yaml:"incidents,omitempty"`
	Commit    string    `json:"commit,omitempty" yaml:"commit,omitempty"`
}

type statusJSON struct {
	Release  releaseJSON `json:"release" yaml:"release"`
	Complete bool        `json:"complete" yaml:"complete"`
	Phases   []phaseJSON `json:"phases" yaml:"phases"`
}

type phaseJSON struct {
	ID       string     `json:"id" yaml:"id"`
	Title    string     `json:"title" yaml:"title"`
	Complete bool       `json:"complete" yaml:"complete"`
	Items    []itemJSON `json:"items" yaml:"items"`
}

type itemJSON struct {
	ID           string        `json:"id" yaml:"id"`
	Title        string        `json:"title" yaml:"title"`
	Roles        []string      `json:"roles" yaml:"roles"`
	Optional     bool          `json:"optional" yaml:"optional"`
	Needs        []string      `json:"needs" yaml:"needs"`
	State        string        `json:"state" yaml:"state"`
	PendingRoles []string      `json:"pending_roles" yaml:"pending_roles"`
	Blockers     []string      `json:"blockers" yaml:"blockers"`
	Forced       bool          `json:"forced" yaml:"forced"`
	Signoffs     []signoffJSON `json:"signoffs" yaml:"signoffs"`
	Check        *checkJSON    `json:"check" yaml:"check"`
}

type signoffJSON struct {
	Role     string    `json:"role" yaml:"role"`
	By       string    `json:"by" yaml:"by"`
	At       time.Time `json:"at" yaml:"at"`
	Kind     string    `json:"kind" yaml:"kind"`
	Note     string    `json:"note" yaml:"note"`
	Reason   string    `json:"reason,omitempty" yaml:"reason,omitempty"`
	Evidence []string  `json:"evidence" yaml:"evidence"`
	Forced   bool      `json:"forced,omitempty" yaml:"forced,omitempty"`
	Signed   bool      `json:"signed" yaml:"signed"`
	Verified bool      `json:"verified" yaml:"verified"`
	Counted  bool      `json:"counted" yaml:"counted"`
	Conflict string    `json:"conflict" yaml:"conflict"`
}

type checkJSON struct {
	Command    string    `json:"command" yaml:"command"`
	Passed     bool      `json:"passed" yaml:"passed"`
	ExitCode   int       `json:"exit_code" yaml:"exit_code"`
	TimedOut   bool      `json:"timed_out" yaml:"timed_out"`
	DurationMS int64     `json:"duration_ms" yaml:"duration_ms"`
	OutputSHA  string    `json:"output_sha256" yaml:"output_sha256"`
	By         string    `json:"by" yaml:"by"`
	At         time.Time `json:"at" yaml:"at"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func releaseView(r *release.Release, incidents []string) releaseJSON {
	m := r.Meta
	return releaseJSON{ID: m.ID, Version: m.Version, Type: m.Type, Status: r.Status(),
		CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, Summary: m.Summary, Parent: m.Parent, Incidents: incidents, Commit: r.Commit()}
}

func itemView(iv release.ItemView) itemJSON {
	out := itemJSON{ID: iv.ID, Title: iv.Title, Roles: orEmpty(iv.Roles), Optional: iv.Optional,
		Needs: orEmpty(iv.Needs), State: iv.State, PendingRoles: orEmpty(iv.PendingRoles),
		Blockers: orEmpty(iv.Blockers), Forced: iv.Forced, Signoffs: []signoffJSON{}}
	for _, s := range iv.Signoffs {
		out.Signoffs = append(out.Signoffs, signoffJSON{Role: s.Role, By: s.By, At: s.At, Kind: s.Kind,
			Note: s.Note, Reason: s.Reason, Evidence: orEmpty(s.Evidence), Forced: s.Forced,
			Signed: s.Signed, Verified: s.Verified, Counted: s.Counted, Conflict: s.Conflict})
	}
	if c := iv.LatestCheck; c != nil {
		out.Check = &checkJSON{Command: c.Command, Passed: c.Passed, ExitCode: c.ExitCode, TimedOut: c.TimedOut,
			DurationMS: c.DurationMS, OutputSHA: c.OutputSHA256, By: c.By, At: c.At}
	}
	return out
}

func statusView(r *release.Release, v release.View, incidents []string) statusJSON {
	out := statusJSON{Release: releaseView(r, incidents), Complete: v.Complete, Phases: []phaseJSON{}}
	for _, p := range v.Phases {
		pj := phaseJSON{ID: p.ID, Title: p.Title, Complete: p.Complete, Items: []itemJSON{}}
		for _, iv := range p.Items {
			pj.Items = append(pj.Items, itemView(iv))
		}
		out.Phases = append(out.Phases, pj)
	}
	return out
}

// incidentsOf lists the ids of the incident runs the store attached.
func incidentsOf(r *release.Release) []string {
	var out []string
	for _, run := range r.Runs {
		out = append(out, run.Meta.ID)
	}
	return out
}
