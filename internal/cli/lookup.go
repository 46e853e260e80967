package cli

import (
	"slices"
	"sort"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// releasesWithStatus loads the releases whose status is one of statuses,
// sorted by id. Only in-progress and incident can be asked for: those are
// the releases open in the store's index (an incident run is open, and its
// release is the one in incident), which keeps the cost independent of how
// many closed releases exist. The index is a superset; each is confirmed.
func releasesWithStatus(s store.Store, statuses ...string) ([]*release.Release, error) {
	ids, err := s.OpenIDs()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*release.Release
	consider := func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		r, err := s.Load(id)
		if errs.Code(err) == errs.CodeUsage { // gone since it was listed
			return nil
		}
		if err != nil {
			return err
		}
		if slices.Contains(statuses, r.Status()) {
			out = append(out, r)
		}
		return nil
	}
	for _, id := range ids {
		if err := consider(id); err != nil {
			return nil, err
		}
		if parent, _, ok := release.ParseIncidentID(id); ok {
			if err := consider(parent); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.ID < out[j].Meta.ID })
	return out, nil
}

// allReleases loads every release in the store, sorted by id. A release
// that does not load is left out and its error returned in damaged, so
// one damaged release does not hide the others.
func allReleases(s store.Store) (out []*release.Release, damaged []error, err error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, nil, err
	}
	out = make([]*release.Release, 0, len(ids))
	for _, id := range ids {
		r, err := s.Load(id)
		if err != nil {
			damaged = append(damaged, err)
			continue
		}
		out = append(out, r)
	}
	return out, damaged, nil
}

// latestReleasedBefore is the released release (not an incident run) with
// the highest version below version, or nil. Candidates are tried from the
// highest down, so usually one release is read.
func latestReleasedBefore(s store.Store, version string) (*release.Release, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	type cand struct{ id, version string }
	var cands []cand
	for _, id := range ids {
		if _, _, incident := release.ParseIncidentID(id); incident {
			continue // incident runs' ids parse as pre-releases
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
