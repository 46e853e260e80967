package reliability

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/testbin"
)

// releaseID is the release every test works on.
const releaseID = "v1.0.0"

var builds *testbin.Builds

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, "reliability", func(b *testbin.Builds) error { builds = b; return nil }))
}

// binary builds cmd/octorelease once per set of build tags, as release
// binaries are built (CGO_ENABLED=0), and returns its path.
func binary(t testing.TB, tags string) string { return builds.Binary(t, tags) }

// envInt reads a size knob.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

var reportMu sync.Mutex

// figure logs a measured figure and appends it to OCTORELEASE_STRESS_REPORT
// for `make stress` to print.
func figure(t testing.TB, name string, value any) {
	t.Helper()
	t.Logf("figure %s: %v", name, value)
	path := os.Getenv("OCTORELEASE_STRESS_REPORT")
	if path == "" {
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("report: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s: %v\n", name, value)
}

// workdir is a project folder with a team checklist and, once started, a
// release in .octorelease.
type workdir struct {
	t   testing.TB
	dir string
	bin string
	env []string
}

// newWorkdir makes a project whose `minor` checklist is one phase of n
// single-role items s-000, s-001, ... (role qa, no members: anyone may
// sign), so that many writers can each sign an item of their own.
func newWorkdir(t testing.TB, bin string, n int) *workdir {
	return newWorkdirPairs(t, bin, n, 0)
}

// newWorkdirPairs is newWorkdir with, after the n single-role items, pairs
// two-role items p-000, p-001, ... (roles qa and sre), so that two writers
// can sign the same item for different roles.
func newWorkdirPairs(t testing.TB, bin string, n, pairs int) *workdir {
	t.Helper()
	dir := t.TempDir()
	w := &workdir{t: t, dir: dir, bin: bin}
	w.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "home", ".config"),
		"NO_COLOR=1",
		"OCTORELEASE_ACTOR=tester",
		"GIT_CONFIG_NOSYSTEM=1",
		"TZ=UTC",
	}
	w.write("checklists/minor.yaml", checklistYAML(n, pairs))
	return w
}

func checklistYAML(n, pairs int) string {
	var b strings.Builder
	b.WriteString("name: minor\ndescription: reliability tests\nphases:\n  - id: one\n    title: One\n    items:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - {id: %s, title: Item %d, roles: [qa]}\n", itemID(i), i)
	}
	for i := range pairs {
		fmt.Fprintf(&b, "      - {id: %s, title: Pair %d, roles: [qa, sre]}\n", pairID(i), i)
	}
	return b.String()
}

func itemID(i int) string { return fmt.Sprintf("s-%03d", i) }
func pairID(i int) string { return fmt.Sprintf("p-%03d", i) }

func (w *workdir) path(rel string) string { return filepath.Join(w.dir, filepath.FromSlash(rel)) }
func (w *workdir) stateDir() string       { return w.path(".octorelease") }

// The format-2 layout of the release every test works on (SPEC §6).
func (w *workdir) releaseDir() string { return filepath.Join(w.stateDir(), releaseID) }
func (w *workdir) headerFile() string { return filepath.Join(w.releaseDir(), "release.json") }
func (w *workdir) eventsDir() string  { return filepath.Join(w.releaseDir(), "events") }
func (w *workdir) lockFile() string   { return filepath.Join(w.releaseDir(), ".lock") }
func (w *workdir) store() *store.FileStore {
	return store.NewFileStore(w.stateDir(), store.Options{})
}

func (w *workdir) write(rel, content string) {
	w.t.Helper()
	p := w.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// start opens release v1.0.0.
func (w *workdir) start() {
	w.t.Helper()
	w.must(w.run("start", "1.0.0", "--type", "minor", "--no-walk"))
}

// result is one finished octorelease process.
type result = testbin.Result

// command prepares an octorelease process in the workdir.
func (w *workdir) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, args...)
	cmd.Dir = w.dir
	cmd.Env = append(append([]string{}, w.env...), extraEnv...)
	return cmd
}

func (w *workdir) run(args ...string) result { return w.runEnv(nil, args...) }

func (w *workdir) runEnv(extraEnv []string, args ...string) result {
	w.t.Helper()
	r := testbin.Run(w.command(extraEnv, args...))
	if r.Code == -2 {
		w.t.Fatalf("run octorelease: %v", r.Err)
	}
	return r
}

func (w *workdir) must(r result) result {
	w.t.Helper()
	if r.Code != 0 {
		w.t.Fatalf("want exit 0: %s", r)
	}
	return r
}

// load reads the release through the store as every command does (every
// event file decoded strictly, Assemble clean) and requires `audit
// verify`'s own check (Inspect) to find nothing. It returns the release and
// a snapshot of the release folder without its lock file, to prove later
// that nothing changed.
func (w *workdir) load() (*release.Release, map[string]string) {
	w.t.Helper()
	r, err := w.store().Load(releaseID)
	if err != nil {
		w.t.Fatalf("release does not load: %v", err)
	}
	if _, damage, err := w.store().Inspect(releaseID); err != nil || len(damage) > 0 {
		w.t.Fatalf("release does not verify: %v %s", err, release.DescribeDamage(damage))
	}
	return r, w.snapshot()
}

// snapshot hashes every file of the release folder but the lock file,
// whose holder line changes with every writer.
func (w *workdir) snapshot() map[string]string {
	w.t.Helper()
	m := treeHash(w.t, w.releaseDir())
	delete(m, ".lock")
	return m
}

// eventFiles lists the event files of the release (temp files excluded),
// sorted.
func (w *workdir) eventFiles() []string {
	w.t.Helper()
	entries, err := os.ReadDir(w.eventsDir())
	if err != nil {
		w.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".json") && !strings.Contains(n, ".tmp-") {
			names = append(names, n)
		}
	}
	return names
}

// tempFiles lists the writers' temp files (and temp folders of a `start`)
// left in the state folder, the release folder and its events folder.
func (w *workdir) tempFiles() []string {
	w.t.Helper()
	var all []string
	for _, dir := range []string{w.stateDir(), w.releaseDir(), w.eventsDir()} {
		matches, err := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
		if err != nil {
			w.t.Fatal(err)
		}
		all = append(all, matches...)
	}
	return all
}

// treeHash maps every file and folder under root to a hash of its content
// (folders to "dir", symlinks to their target), to prove a command changed
// nothing.
func treeHash(t testing.TB, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir():
			m[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			m[rel] = "link:" + target
		default:
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			m[rel] = hex.EncodeToString(h.Sum(nil))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffTrees describes how two treeHash results differ.
func diffTrees(before, after map[string]string) []string {
	var diffs []string
	for k, v := range before {
		switch a, ok := after[k]; {
		case !ok:
			diffs = append(diffs, "removed "+k)
		case a != v:
			diffs = append(diffs, "changed "+k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, "added "+k)
		}
	}
	sort.Strings(diffs)
	return diffs
}

// checkErrorOutput enforces SPEC §9 on a failed command's stderr: one line
// "octorelease: <message>" (several only when multi is set, for a list of
// problems), optionally followed by one "hint: " line; never a panic, a
// stack trace or a usage dump.
func checkErrorOutput(stderr string, multi bool) error {
	if stderr == "" {
		return errors.New("nothing on stderr")
	}
	if !strings.HasSuffix(stderr, "\n") {
		return errors.New("stderr does not end with a newline")
	}
	for _, bad := range []string{"panic", "goroutine ", "runtime/", ".go:", "Usage:", "Flags:"} {
		if strings.Contains(stderr, bad) {
			return fmt.Errorf("stderr contains %q", bad)
		}
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	msgs, hints := 0, 0
	for i, l := range lines {
		switch {
		case len(l) > 600:
			return fmt.Errorf("line %d is %d bytes long: echoed input is not clipped", i+1, len(l))
		case strings.HasPrefix(l, "octorelease: ") && hints == 0:
			msgs++
		case strings.HasPrefix(l, "hint: ") && msgs > 0 && hints == 0:
			hints++
		default:
			return fmt.Errorf("line %d is neither `octorelease: ...` nor one final `hint: ...`: %q", i+1, testbin.Clip(l, 200))
		}
	}
	if msgs != 1 && !multi {
		return fmt.Errorf("%d message lines, want 1", msgs)
	}
	return nil
}
