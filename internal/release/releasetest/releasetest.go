// Package releasetest builds the releases that benchmarks outside the
// release package measure. (The release package's own benchmarks build the
// same shape themselves: its internal tests cannot import this package.)
package releasetest

import (
	"fmt"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// Roles are the three roles every item of a Signed release needs.
var Roles = []string{"developer", "qa", "sre"}

// Signed is release v1.0.0 of 10×scale items in up to 10 phases, each item
// needing the three Roles, every one signed: 1x, 10x and 100x (1,000 items,
// 3,000 sign-offs) are the sizes of docs/performance.md.
func Signed(scale int) (*release.Release, error) {
	items := 10 * scale
	phases := min(10, items/5)
	cl := checklist.Checklist{Name: "bench", Source: checklist.SourceEmbedded}
	for p := range phases {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: fmt.Sprintf("Phase %d", p)}
		for i := range items / phases {
			ph.Items = append(ph.Items, checklist.Item{ID: fmt.Sprintf("item-%d-%d", p, i),
				Title: fmt.Sprintf("Item %d of phase %d", i, p), Roles: Roles})
		}
		cl.Phases = append(cl.Phases, ph)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := release.New(release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: at, CreatedBy: "rm@example.com"}, cl)
	if err != nil {
		return nil, err
	}
	for _, p := range cl.Phases {
		for _, role := range Roles {
			req := release.SignRequest{Role: role, Actor: role + "@example.com", At: at}
			for _, it := range p.Items {
				req.Items = append(req.Items, it.ID)
			}
			if err := r.Sign(req, release.Policy{}); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}
