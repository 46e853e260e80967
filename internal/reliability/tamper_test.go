package reliability

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// TestTamperEvidence changes single bytes of the files of a small release
// written by the real binary (release.json and every event file) and
// requires each change to be caught by `audit verify`'s check
// (FileStore.Inspect): the file no longer parses, or a hash, a name or a
// parent no longer matches, or, when the change leaves the decoded value as
// it was (white space, the case of a key, ',' as a time's decimal mark),
// the file is reported as not in the form octorelease writes. No change may be silently accepted, and none
// may make `gate` pass where it did not.
//
// OCTORELEASE_STRESS_FLIPS is the number of random (file, position, byte)
// changes to try (default 3000), or "all": every position of every file
// with every other byte value. A sample of the changes also goes through
// the binary: `audit verify` must exit 1 and `gate` must not pass, each
// with one error line and no panic.
func TestTamperEvidence(t *testing.T) {
	w := newWorkdir(t, binary(t, ""), 3)
	w.start()
	w.must(w.run("sign", "s-000", "--role", "qa", "--as", "carol", "--note", "tests <green> & fine", "--evidence", "https://ci.example.com/run/42?x=1&y=2"))
	w.must(w.run("sign", "s-001", "--role", "qa", "--as", "dave@example.com"))
	w.must(w.run("revoke", "s-001", "--role", "qa", "--reason", "regression: ünïcode"))
	orig, _ := w.load()
	origHashes := eventHashes(orig)
	origHeader, err := orig.Header.Hash()
	if err != nil {
		t.Fatal(err)
	}
	// Before any change: the whole gate and the revoked item's fail, the
	// signed item's passes.
	gates := [][]string{{"gate"}, {"gate", "--item", "s-001"}}
	for _, g := range gates {
		if r := w.run(g...); r.Code != 3 {
			t.Fatalf("before tampering, want exit 3: %s", r)
		}
	}
	w.must(w.run("gate", "--item", "s-000"))

	// The files, relative to the release folder.
	type stateFile struct {
		rel  string
		data []byte
	}
	files := []stateFile{{rel: "release.json"}}
	for _, name := range w.eventFiles() {
		files = append(files, stateFile{rel: "events/" + name})
	}
	total := 0
	for i := range files {
		if files[i].data, err = os.ReadFile(filepath.Join(w.releaseDir(), filepath.FromSlash(files[i].rel))); err != nil {
			t.Fatal(err)
		}
		total += len(files[i].data)
	}

	type flip struct {
		file, pos int
		b         byte
	}
	var flips []flip
	if os.Getenv("OCTORELEASE_STRESS_FLIPS") == "all" {
		for fi, f := range files {
			for pos := range f.data {
				for b := range 256 {
					if byte(b) != f.data[pos] {
						flips = append(flips, flip{fi, pos, byte(b)})
					}
				}
			}
		}
	} else {
		n := envInt(t, "OCTORELEASE_STRESS_FLIPS", 3000)
		rng := rand.New(rand.NewPCG(7, uint64(n)))
		for len(flips) < n {
			// Uniform over the bytes of all files.
			at := rng.IntN(total)
			fi := 0
			for at >= len(files[fi].data) {
				at -= len(files[fi].data)
				fi++
			}
			if b := byte(rng.IntN(256)); b != files[fi].data[at] {
				flips = append(flips, flip{fi, at, b})
			}
		}
	}
	describe := func(f flip) string {
		data := files[f.file].data
		return fmt.Sprintf("%s byte %d %q→%q in %q", files[f.file].rel, f.pos, data[f.pos], f.b, lineAt(data, f.pos))
	}

	// Each worker changes its own copy of the state folder through the
	// store, as `audit verify` and `gate` read it.
	type tally struct{ tried, unparsable, damaged, formOnly, sameValueOtherText int }
	kinds := func(fi int) string {
		if fi == 0 {
			return "header"
		}
		return "events"
	}
	var mu sync.Mutex
	tallies := map[string]*tally{"events": {}, "header": {}}
	var failures []string
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for wk := range workers {
		copyDir := filepath.Join(t.TempDir(), "state")
		if err := copyTree(w.stateDir(), copyDir); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := store.NewFileStore(copyDir, store.Options{})
			local := map[string]*tally{"events": {}, "header": {}}
			var bad []string
			buf := make([]byte, 0, 4096)
			for i := wk; i < len(flips); i += workers {
				f := flips[i]
				sf := files[f.file]
				path := filepath.Join(copyDir, releaseID, filepath.FromSlash(sf.rel))
				buf = append(buf[:0], sf.data...)
				buf[f.pos] = f.b
				if err := os.WriteFile(path, buf, 0o644); err != nil {
					bad = append(bad, err.Error())
					break
				}
				tl := local[kinds(f.file)]
				tl.tried++
				_, damage, err := s.Inspect(releaseID)
				formOnly := len(damage) > 0 && !slices.ContainsFunc(damage, func(d release.Damage) bool {
					return !strings.Contains(d.Problem, "not in the form octorelease writes")
				})
				switch {
				case err != nil:
					tl.unparsable++
				case len(damage) == 0:
					bad = append(bad, "silently accepted: "+describe(f))
				case formOnly:
					tl.formOnly++
				default:
					tl.damaged++
				}
				// Whatever still loads must be the release as it was, which
				// only a change Inspect reports as out of form leaves, and
				// its gates must fail as they did.
				if r, lerr := s.Load(releaseID); lerr == nil {
					h, _ := r.Header.Hash()
					if h != origHeader || !slices.Equal(eventHashes(r), origHashes) || !formOnly {
						bad = append(bad, "loads as a different release, or loads although damaged: "+describe(f))
					}
					for _, items := range [][]string{nil, {"s-001"}} {
						if g, err := r.Gate("", items, release.Policy{}); err == nil && g.Passed {
							bad = append(bad, fmt.Sprintf("gate %v passes: %s", items, describe(f)))
						}
					}
				} else if formOnly {
					bad = append(bad, "reported only as out of form, yet does not load: "+describe(f))
				}
				// Besides white space, encoding/json takes a key in any
				// case and time.Time a ',' as the decimal mark: the same
				// value in other JSON text, which only the form check sees.
				if formOnly && !bytes.Equal(bytes.Join(bytes.Fields(buf), nil), bytes.Join(bytes.Fields(sf.data), nil)) {
					tl.sameValueOtherText++
				}
				if err := os.WriteFile(path, sf.data, 0o644); err != nil {
					bad = append(bad, err.Error())
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for k, v := range local {
				tallies[k].tried += v.tried
				tallies[k].unparsable += v.unparsable
				tallies[k].damaged += v.damaged
				tallies[k].formOnly += v.formOnly
				tallies[k].sameValueOtherText += v.sameValueOtherText
			}
			failures = append(failures, bad...)
		}()
	}
	wg.Wait()
	for i, s := range failures {
		if i == 20 {
			t.Errorf("... and %d more", len(failures)-20)
			break
		}
		t.Error(s)
	}

	// The same through the binary, on a sample: audit verify exits 1 and
	// gate does not pass, each with one error line.
	rng := rand.New(rand.NewPCG(11, 13))
	samples := min(len(flips), 20+len(flips)/200, 300)
	for range samples {
		f := flips[rng.IntN(len(flips))]
		sf := files[f.file]
		path := filepath.Join(w.releaseDir(), filepath.FromSlash(sf.rel))
		buf := bytes.Clone(sf.data)
		buf[f.pos] = f.b
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		if r := w.run("audit", "verify", "-r", releaseID); r.Code != 1 || checkErrorOutput(r.Stderr, false) != nil {
			t.Errorf("audit verify of %s: %s", describe(f), r)
		}
		g := gates[rng.IntN(len(gates))]
		if r := w.run(g...); (r.Code != 1 && r.Code != 2 && r.Code != 3) || checkErrorOutput(r.Stderr, false) != nil {
			t.Errorf("%s after %s: %s", strings.Join(g, " "), describe(f), r)
		}
		if err := os.WriteFile(path, sf.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.must(w.run("audit", "verify"))

	ev, hd := tallies["events"], tallies["header"]
	figure(t, "tamper: release.json bytes / event files (bytes)", fmt.Sprintf("%d / %d (%d)", len(files[0].data), len(files)-1, total-len(files[0].data)))
	figure(t, "tamper: single-byte changes to event files (unparsable + hash, name or parent + only out of form, of which not white space)",
		fmt.Sprintf("%d (%d + %d + %d, %d), silently accepted %d", ev.tried, ev.unparsable, ev.damaged, ev.formOnly, ev.sameValueOtherText, ev.tried-ev.unparsable-ev.damaged-ev.formOnly))
	figure(t, "tamper: single-byte changes to release.json (unparsable + hash + only out of form, of which not white space)",
		fmt.Sprintf("%d (%d + %d + %d, %d), silently accepted %d", hd.tried, hd.unparsable, hd.damaged, hd.formOnly, hd.sameValueOtherText, hd.tried-hd.unparsable-hd.damaged-hd.formOnly))
	figure(t, "tamper: changes also run through `audit verify` (all exit 1) and `gate` (none passes)", samples)
}

func eventHashes(r *release.Release) []string {
	h := make([]string, len(r.Events))
	for i, e := range r.Events {
		h[i] = e.Hash
	}
	return h
}

// copyTree copies the regular files and folders under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
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
