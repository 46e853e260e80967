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
// roles, on a pipe and on a terminal.
func BenchmarkStatus(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		r, err := releasetest.Signed(scale)
		if err != nil {
			b.Fatal(err)
		}
		v := r.Evaluate(release.Policy{})
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
