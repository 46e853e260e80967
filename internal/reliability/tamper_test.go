package reliability

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
)

// TestTamperEvidence changes single bytes of a small state file written by
// the real binary and requires each change to be caught: either the file no
// longer parses, or VerifyBytes (what `audit verify` runs) reports it. No
// change may be silently accepted. The events region is what the issue asks
// for; the header (format, release metadata, checklist snapshot) is tried
// too, except the serial's digits, which are outside the chain by design.
//
// OCTORELEASE_STRESS_FLIPS is the number of random (position, byte) changes
// to try (default 3000), or "all": every position with every other byte
// value. A sample of the changes also goes through `octorelease audit
// verify`, which must exit 1.
func TestTamperEvidence(t *testing.T) {
	w := newWorkdir(t, binary(t, ""), 3)
	w.start()
	w.must(w.run("sign", "s-000", "--role", "qa", "--as", "carol", "--note", "tests <green> & fine", "--evidence", "https://ci.example.com/run/42?x=1&y=2"))
	w.must(w.run("sign", "s-001", "--role", "qa", "--as", "dave@example.com"))
	w.must(w.run("revoke", "s-001", "--role", "qa", "--reason", "regression: ünïcode"))
	_, data := w.load()

	eventsAt := bytes.Index(data, []byte(`"events": [`))
	serialAt := bytes.Index(data, []byte(`"serial": `)) + len(`"serial": `)
	serialEnd := serialAt + bytes.IndexByte(data[serialAt:], ',')
	if eventsAt < 0 || serialAt < len(`"serial": `) || serialEnd < serialAt {
		t.Fatal("unexpected state file layout")
	}
	inRegion := func(pos int) string {
		switch {
		case pos >= eventsAt:
			return "events"
		case pos >= serialAt && pos < serialEnd:
			return "" // the serial grows with every write and is outside the chain
		default:
			return "header"
		}
	}

	type flip struct {
		pos int
		b   byte
	}
	var flips []flip
	mode := os.Getenv("OCTORELEASE_STRESS_FLIPS")
	if mode == "all" {
		for pos := range data {
			if inRegion(pos) == "" {
				continue
			}
			for b := range 256 {
				if byte(b) != data[pos] {
					flips = append(flips, flip{pos, byte(b)})
				}
			}
		}
	} else {
		n := envInt(t, "OCTORELEASE_STRESS_FLIPS", 3000)
		rng := rand.New(rand.NewPCG(7, uint64(n)))
		for len(flips) < n {
			f := flip{rng.IntN(len(data)), byte(rng.IntN(256))}
			// Three of four changes go to the events region.
			if rng.IntN(4) != 0 {
				f.pos = eventsAt + rng.IntN(len(data)-eventsAt)
			}
			if inRegion(f.pos) != "" && f.b != data[f.pos] {
				flips = append(flips, f)
			}
		}
	}

	type tally struct{ tried, unparsable, caught int }
	var mu sync.Mutex
	tallies := map[string]*tally{"events": {}, "header": {}}
	var silent []string
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]*tally{"events": {}, "header": {}}
			buf := make([]byte, len(data))
			var missed []string
			for i := wk; i < len(flips); i += workers {
				f := flips[i]
				copy(buf, data)
				buf[f.pos] = f.b
				tl := local[inRegion(f.pos)]
				tl.tried++
				if _, err := release.Decode(buf); err != nil {
					tl.unparsable++
					continue
				}
				if release.VerifyBytes(buf) != nil {
					tl.caught++
					continue
				}
				missed = append(missed, fmt.Sprintf("byte %d %q→%q in %q", f.pos, data[f.pos], f.b, lineAt(data, f.pos)))
			}
			mu.Lock()
			defer mu.Unlock()
			for k, v := range local {
				tallies[k].tried += v.tried
				tallies[k].unparsable += v.unparsable
				tallies[k].caught += v.caught
			}
			silent = append(silent, missed...)
		}()
	}
	wg.Wait()
	for i, s := range silent {
		if i == 20 {
			t.Errorf("... and %d more", len(silent)-20)
			break
		}
		t.Errorf("change silently accepted: %s", s)
	}

	// The same through the binary, on a sample: audit verify exits 1.
	rng := rand.New(rand.NewPCG(11, 13))
	samples := min(len(flips), 20+len(flips)/200, 300)
	for range samples {
		f := flips[rng.IntN(len(flips))]
		buf := bytes.Clone(data)
		buf[f.pos] = f.b
		if err := os.WriteFile(w.stateFile(), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		r := w.run("audit", "verify", "-r", releaseID)
		if r.code != 1 || checkErrorOutput(r.stderr, false) != nil {
			t.Errorf("audit verify of byte %d %q→%q: %s", f.pos, data[f.pos], f.b, r)
		}
	}
	if err := os.WriteFile(w.stateFile(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	w.must(w.run("audit", "verify"))

	ev, hd := tallies["events"], tallies["header"]
	figure(t, "tamper: state file bytes / events region bytes", fmt.Sprintf("%d / %d", len(data), len(data)-eventsAt))
	figure(t, "tamper: single-byte changes to events (unparsable + caught by verify)",
		fmt.Sprintf("%d (%d + %d), silently accepted %d", ev.tried, ev.unparsable, ev.caught, ev.tried-ev.unparsable-ev.caught))
	figure(t, "tamper: single-byte changes to the header (unparsable + caught by verify)",
		fmt.Sprintf("%d (%d + %d), silently accepted %d", hd.tried, hd.unparsable, hd.caught, hd.tried-hd.unparsable-hd.caught))
	figure(t, "tamper: changes also run through `audit verify` (all exit 1)", samples)
}

// lineAt is the line of data holding byte pos, for a readable failure.
func lineAt(data []byte, pos int) string {
	start := bytes.LastIndexByte(data[:pos], '\n') + 1
	end := bytes.IndexByte(data[pos:], '\n')
	if end < 0 {
		end = len(data) - pos
	}
	return strings.TrimSpace(string(data[start : pos+end]))
}
