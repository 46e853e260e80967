package release

import (
	"fmt"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
)

// Benchmark sizes: 1x is a checklist of 10 items, every item needing three
// roles, all signed (30 sign-offs); 10x and 100x scale items and sign-offs
// together, so 100x is the 1,000-item, 3,000-sign-off release of
// docs/performance.md.
var benchSizes = []int{1, 10, 100}

var benchRoles = []string{"developer", "qa", "sre"}

func benchChecklist(scale int) checklist.Checklist {
	items := 10 * scale
	phases := min(10, items/5)
	cl := checklist.Checklist{Name: "bench", Source: checklist.SourceEmbedded}
	for p := range phases {
		ph := checklist.Phase{ID: fmt.Sprintf("phase-%d", p), Title: fmt.Sprintf("Phase %d", p)}
		for i := range items / phases {
			ph.Items = append(ph.Items, checklist.Item{
				ID: fmt.Sprintf("item-%d-%d", p, i), Title: fmt.Sprintf("Item %d of phase %d", i, p),
				Roles: benchRoles, Help: "Confirm the thing this item is about and link evidence.",
			})
		}
		cl.Phases = append(cl.Phases, ph)
	}
	return cl
}

// benchReleases caches benchRelease's encoding per scale: signing 3,000
// sign-offs takes seconds, and every benchmark needs the same releases.
var benchReleases = map[int][]byte{}

// benchRelease is a release of benchChecklist(scale) with every item signed
// by every role: the shape of releasetest.Signed, which tests inside this
// package cannot import.
func benchRelease(b *testing.B, scale int) *Release {
	b.Helper()
	if data, ok := benchReleases[scale]; ok {
		r, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	r := signedRelease(b, scale)
	data, err := Encode(r)
	if err != nil {
		b.Fatal(err)
	}
	benchReleases[scale] = data
	return r
}

func signedRelease(tb testing.TB, scale int) *Release {
	cl := benchChecklist(scale)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := New(Meta{ID: "v1.0.0", Version: "1.0.0", Type: "minor", CreatedAt: at, CreatedBy: "rm@example.com"}, cl)
	for _, p := range cl.Phases {
		for _, role := range benchRoles {
			req := SignRequest{Items: nil, Role: role, Actor: role + "@example.com", At: at,
				Evidence: []string{"https://ci.example.com/run/42"}}
			for _, it := range p.Items {
				req.Items = append(req.Items, it.ID)
			}
			if err := r.Sign(req, Policy{}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return r
}

func sizeName(scale int) string { return fmt.Sprintf("%dx", scale) }

// BenchmarkDecode is loading a release: parsing its state file.
func BenchmarkDecode(b *testing.B) { benchDecode(b, Decode) }

// BenchmarkEncode is what every write does (twice: before and after the
// change, both with the new serial).
func BenchmarkEncode(b *testing.B) { benchEncode(b, Encode) }

// benchDecode and benchEncode run a codec at every size, so the current one
// and the encoding/json oracle (codec_test.go) are measured the same way.
func benchDecode(b *testing.B, decode func([]byte) (*Release, error)) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			data, err := Encode(benchRelease(b, scale))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchEncode(b *testing.B, encode func(*Release) ([]byte, error)) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encode(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluate is computing status: every item's state from the log.
func BenchmarkEvaluate(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			b.ReportAllocs()
			for b.Loop() {
				if v := r.Evaluate(); !v.Complete {
					b.Fatal("release not complete")
				}
			}
		})
	}
}

// BenchmarkGate is evaluating the gate of the last phase (so every phase).
func BenchmarkGate(b *testing.B) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			last := r.Checklist.Phases[len(r.Checklist.Phases)-1].ID
			b.ReportAllocs()
			for b.Loop() {
				g, err := r.Gate(last, nil)
				if err != nil || !g.Passed {
					b.Fatal(err, g.Blockers)
				}
			}
		})
	}
}

// BenchmarkVerify is checking the hash chain, as gate and audit do.
func BenchmarkVerify(b *testing.B) {
	benchVerify(b, func(r *Release) bool { return r.Verify() == nil })
}

func benchVerify(b *testing.B, intact func(*Release) bool) {
	for _, scale := range benchSizes {
		b.Run(sizeName(scale), func(b *testing.B) {
			r := benchRelease(b, scale)
			b.ReportAllocs()
			for b.Loop() {
				if !intact(r) {
					b.Fatal("chain reported broken")
				}
			}
		})
	}
}
