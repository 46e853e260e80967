// Package migrate carries format-1 state files (<state_dir>/<id>.json, one
// file per release with a linear hash chain) into format 2 (SPEC §12).
package migrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/octorelease/octorelease/internal/legacy"
	"github.com/octorelease/octorelease/internal/release"
)

// Convert turns a format-1 file whose chain verifies into a format-2
// release with every event pending. A broken chain is refused: migrating
// it would launder the tampering into fresh hashes.
func Convert(f *legacy.File) (*release.Release, error) {
	if problems := legacy.Verify(f); len(problems) > 0 {
		return nil, fmt.Errorf("release %s does not verify in format 1: %s", f.Release.ID, strings.Join(problems, "; "))
	}
	m := f.Release
	meta := release.Meta{ID: m.ID, Version: m.Version, Type: m.Type, Parent: m.Parent, Summary: m.Summary,
		CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy}
	events := make([]release.Event, len(f.Events))
	for i, e := range f.Events {
		events[i] = release.Event{Kind: e.Kind, At: e.At, Actor: e.Actor, Role: e.Role, Item: e.Item,
			Note: e.Note, Reason: e.Reason, Evidence: e.Evidence, Forced: e.Forced, Status: e.Status, Link: e.Link}
		if c := e.Check; c != nil {
			events[i].Check = &release.CheckResult{Command: c.Command, Passed: c.Passed, ExitCode: c.ExitCode,
				TimedOut: c.TimedOut, DurationMS: c.DurationMS, OutputSHA256: c.OutputSHA256, OutputTail: c.OutputTail}
		}
	}
	return release.FromFormat1(meta, f.Checklist.ToChecklist(), events, legacy.FinalHash(f))
}

// Path is where format 1 kept release id.
func Path(stateDir, id string) string { return filepath.Join(stateDir, id+".json") }

// Load reads and converts the format-1 file of release id; the error
// satisfies errors.Is(err, os.ErrNotExist) when there is none.
func Load(stateDir, id string) (*release.Release, error) {
	f, err := legacy.ReadFile(Path(stateDir, id))
	if err != nil {
		return nil, err
	}
	if f.Release.ID != id {
		return nil, fmt.Errorf("%s holds release %q", Path(stateDir, id), f.Release.ID)
	}
	return Convert(f)
}

// IDs lists the releases still in format 1 in stateDir, sorted.
func IDs(stateDir string) ([]string, error) {
	entries, err := os.ReadDir(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && release.ValidID(id) == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Result is what Run did with one release.
type Result struct {
	Release string `json:"release"`
	Events  int    `json:"events"`
	From    string `json:"from"` // the format-1 file
	Err     error  `json:"-"`
}

// Run migrates every format-1 release of stateDir: create stores the
// converted release (and must refuse one that exists), then the format-1
// file and its side files (.bak, .lock) are removed. A release whose
// format-1 file does not verify is left as it was. The old status index
// goes too: format 2 rebuilds its own.
func Run(stateDir string, create func(*release.Release) error) ([]Result, error) {
	ids, err := IDs(stateDir)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, id := range ids {
		res := Result{Release: id, From: Path(stateDir, id)}
		r, err := Load(stateDir, id)
		if err == nil {
			res.Events = len(r.Events)
			err = create(r)
		}
		if err == nil {
			for _, p := range []string{res.From, res.From + ".bak", res.From + ".lock"} {
				if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
					err = rerr
				}
			}
		}
		res.Err = err
		out = append(out, res)
	}
	if len(ids) > 0 {
		removeOldIndex(stateDir)
	}
	return out, nil
}

// removeOldIndex drops format 1's .index/<status>/ marker folders (which
// the format-1 README told teams to commit); format 2's index is local.
func removeOldIndex(stateDir string) {
	for _, st := range []string{release.StatusInProgress, release.StatusReleased, release.StatusAborted,
		release.StatusIncident, release.StatusRolledBack} {
		_ = os.RemoveAll(filepath.Join(stateDir, ".index", st))
	}
	_ = os.Remove(filepath.Join(stateDir, ".index", ".built"))
}
