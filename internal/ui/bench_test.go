package ui

import (
	"bufio"
	"fmt"
	"io"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/release/releasetest"
)

// BenchmarkStatus is rendering `status` (the text table) of a release of
// 10, 100 and 1,000 items (1x, 10x, 100x), every item signed by three
// roles, on a pipe, on a terminal, and on one 80 columns wide, which
// wraps the sign-offs.
func BenchmarkStatus(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		r, err := releasetest.Signed(scale)
		if err != nil {
			b.Fatal(err)
		}
		v := r.Evaluate(release.Policy{})
		for _, mode := range []struct {
			tty   bool
			width int
		}{{false, 0}, {true, 0}, {true, 80}} {
			tty := mode.tty
			name := fmt.Sprintf("%dx/tty=%v", scale, tty)
			if mode.width > 0 {
				name += fmt.Sprintf("/width=%d", mode.width)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := bufio.NewWriterSize(io.Discard, 64<<10)
					rd := Renderer{W: w, Theme: NewTheme(tty), TTY: tty, Now: now, RoleName: roleName, Width: mode.width}
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
