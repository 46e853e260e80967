package ui

import (
	"bufio"
	"fmt"
	"io"
	"testing"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
)

// BenchmarkStatus is rendering `status` (the text table) of a release of
// 10, 100 and 1,000 items (1x, 10x, 100x, as in the release package's
// benchmarks), every item signed by three roles, on a pipe and on a
// terminal.
func BenchmarkStatus(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		r := benchRelease(b, scale)
		v := r.Evaluate()
		for _, tty := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dx/tty=%v", scale, tty), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := bufio.NewWriterSize(io.Discard, 64<<10)
					rd := Renderer{W: w, Theme: NewTheme(tty), TTY: tty, Now: now, RoleName: roleName}
					if err := rd.Status(r, v, v, nil); err != nil {
						b.Fatal(err)
					}
					if err := w.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchRelease(b *testing.B, scale int) *release.Release {
	b.Helper()
	roles := []string{"developer", "qa", "sre"}
	cl := checklist.Checklist{Name: "bench", Source: checklist.SourceEmbedded}
	for p := range 10 {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: fmt.Sprintf("Phase %d", p)}
		for i := range scale {
			ph.Items = append(ph.Items, checklist.Item{ID: fmt.Sprintf("item-%d-%d", p, i),
				Title: fmt.Sprintf("Item %d of phase %d", i, p), Roles: roles})
		}
		cl.Phases = append(cl.Phases, ph)
	}
	r := release.New(release.Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: t0, CreatedBy: "rm@example.com"}, cl)
	for _, p := range cl.Phases {
		for _, role := range roles {
			req := release.SignRequest{Role: role, Actor: role + "@example.com", At: t0}
			for _, it := range p.Items {
				req.Items = append(req.Items, it.ID)
			}
			if err := r.Sign(req, release.Policy{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return r
}
