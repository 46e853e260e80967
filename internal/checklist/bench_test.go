package checklist

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/checklists"
)

// benchYAML is a team checklist that extends the embedded base with
// 10×scale items of its own, each needing three roles: 1x, 10x and 100x
// (1,000 items) are the sizes of docs/performance.md.
func benchYAML(scale int) string {
	items := 10 * scale
	phases := min(10, items/5)
	var b strings.Builder
	b.WriteString("name: bench\ndescription: Benchmark checklist\nextends: base\nphases:\n")
	for p := range phases {
		fmt.Fprintf(&b, "  - id: phase-%d\n    title: Phase %d\n    items:\n", p, p)
		for i := range items / phases {
			fmt.Fprintf(&b, "      - id: item-%d-%d\n        title: Item %d of phase %d\n        roles: [developer, qa, sre]\n", p, i, i, p)
			if i > 0 {
				fmt.Fprintf(&b, "        needs: [item-%d-%d]\n", p, i-1)
			}
			b.WriteString("        help: Confirm the thing this item is about and link evidence.\n")
		}
	}
	return b.String()
}

// BenchmarkLoad is loading and resolving a checklist: the embedded minor
// (which extends base) and team checklists at three sizes.
func BenchmarkLoad(b *testing.B) {
	b.Run("embedded-minor", func(b *testing.B) {
		l := &Loader{Embedded: checklists.FS}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Load("minor"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, scale := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("team-%dx", scale), func(b *testing.B) {
			dir := b.TempDir()
			data := benchYAML(scale)
			if err := os.WriteFile(filepath.Join(dir, "bench.yaml"), []byte(data), 0o644); err != nil {
				b.Fatal(err)
			}
			l := &Loader{Embedded: checklists.FS, Dir: dir}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Load("bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
