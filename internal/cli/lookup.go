package cli

import (
	"slices"
	"sort"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// releasesWithStatus loads the releases whose status is one of statuses,
// sorted by id. The store's status index keeps the cost independent of how
// many other releases exist; its markers are a superset, so each is confirmed.
func releasesWithStatus(s store.Store, statuses ...string) ([]*release.Release, error) {
	seen := map[string]bool{}
	var out []*release.Release
	for _, st := range statuses {
		ids, err := s.IDsWithStatus(st)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			r, err := s.Load(id)
			if errs.Code(err) == errs.CodeUsage { // a marker without a file
				continue
			}
			if err != nil {
				return nil, err
			}
			if slices.Contains(statuses, r.Status()) {
				out = append(out, r)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.ID < out[j].Meta.ID })
	return out, nil
}

// allReleases loads every release in the store, sorted by id.
func allReleases(s store.Store) ([]*release.Release, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	out := make([]*release.Release, 0, len(ids))
	for _, id := range ids {
		r, err := s.Load(id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// latestReleasedBefore is the released release (not an incident run) with
// the highest version below version, or nil. Candidates are tried from the
// highest down, so usually one file is read.
func latestReleasedBefore(s store.Store, version string) (*release.Release, error) {
	ids, err := s.IDsWithStatus(release.StatusReleased)
	if err != nil {
		return nil, err
	}
	type cand struct{ id, version string }
	var cands []cand
	for _, id := range ids {
		if _, _, incident := release.ParseIncidentID(id); incident {
			continue // closed incident runs are "released" too, and their ids parse as pre-releases
		}
		if _, v, err := release.ParseVersion(id); err == nil && release.CompareVersions(v, version) < 0 {
			cands = append(cands, cand{id, v})
		}
	}
	sort.Slice(cands, func(i, j int) bool { return release.CompareVersions(cands[i].version, cands[j].version) > 0 })
	for _, c := range cands {
		r, err := s.Load(c.id)
		if err == nil && r.Meta.Parent == "" && r.Status() == release.StatusReleased {
			return r, nil
		}
	}
	return nil, nil
}
