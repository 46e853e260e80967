//go:build unix

package postgres_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/postgres"
	"github.com/octorelease/octorelease/internal/store/postgres/pgtest"
	"github.com/octorelease/octorelease/internal/testbin"
)

// The whole-process tests run the real binary, built once per set of
// build tags as release binaries are (CGO_ENABLED=0), against a schema of
// their own on the test server.

var builds *testbin.Builds

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, "pg", func(b *testbin.Builds) error { builds = b; return nil }))
}

// binary builds cmd/octorelease once per set of build tags, as release
// binaries are built (CGO_ENABLED=0), and returns its path.
func binary(t testing.TB, tags string) string { return builds.Binary(t, tags) }

const releaseID = "v1.0.0"

// project is a folder with a team checklist of n single-role items
// s-000, s-001, ... (role qa, no members: anyone signs), whose commands
// run against a schema of their own (backend postgres), or against the
// folder's .octorelease (backend file).
type project struct {
	t      testing.TB
	dir    string
	bin    string
	schema *pgtest.Schema
	env    []string
}

func newProject(t testing.TB, bin string, n int) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir(), bin: bin, schema: pgtest.NewSchema(t)}
	p.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(p.dir, "home"),
		"NO_COLOR=1",
		"OCTORELEASE_ACTOR=tester",
		"GIT_CONFIG_NOSYSTEM=1",
		"TZ=UTC",
		"OCTORELEASE_BACKEND=postgres",
		postgres.DSNEnv + "=" + p.schema.DSN,
	}
	p.write("checklists/minor.yaml", checklistYAML(n))
	return p
}

func checklistYAML(n int) string {
	var b strings.Builder
	b.WriteString("name: minor\ndescription: postgres tests\nphases:\n  - id: one\n    title: One\n    items:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - {id: %s, title: Item %d, roles: [qa]}\n", itemID(i), i)
	}
	return b.String()
}

func itemID(i int) string { return fmt.Sprintf("s-%03d", i) }

func (p *project) write(rel, content string) {
	p.t.Helper()
	path := filepath.Join(p.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// store opens the project's schema directly, as a reader in the test.
func (p *project) store() *postgres.Store {
	p.t.Helper()
	s, err := postgres.Open(p.schema.DSN, store.Options{})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(s.Close)
	return s
}

// fileStore is the project folder's own state folder.
func (p *project) fileStore() *store.FileStore {
	return store.NewFileStore(filepath.Join(p.dir, ".octorelease"), store.Options{})
}

// result is one finished octorelease process.
type result = testbin.Result

func (p *project) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.env...), env...)
	return cmd
}

func (p *project) run(args ...string) result { return p.runEnv(nil, args...) }

// runFile runs a command against the folder's file backend.
func (p *project) runFile(args ...string) result {
	return p.runEnv([]string{"OCTORELEASE_BACKEND=file"}, args...)
}

func (p *project) runEnv(env []string, args ...string) result {
	p.t.Helper()
	pr := p.startProcess(env, args...)
	return pr.wait()
}

func (p *project) must(r result) result {
	p.t.Helper()
	if r.Code != 0 {
		p.t.Fatalf("want exit 0: %s", r)
	}
	return r
}

// proc is a running octorelease process.
type proc struct {
	*testbin.Proc
	t testing.TB
}

func (p *project) startProcess(env []string, args ...string) *proc {
	p.t.Helper()
	pr, err := testbin.Start(p.command(env, args...))
	if err != nil {
		p.t.Fatalf("start octorelease: %v", err)
	}
	return &proc{Proc: pr, t: p.t}
}

// wait waits for the process; a process that cannot be waited for fails
// the test.
func (pr *proc) wait() result {
	r := pr.Wait()
	if r.Code == -2 {
		pr.t.Errorf("wait: %v", r.Err)
	}
	return r
}

// oneLine enforces SPEC §9 on a failed command's stderr: one line
// "octorelease: <message>", optionally one "hint: " line.
func oneLine(stderr string) error {
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	switch {
	case stderr == "" || !strings.HasSuffix(stderr, "\n"):
		return fmt.Errorf("stderr %q is not whole lines", stderr)
	case !strings.HasPrefix(lines[0], "octorelease: "):
		return fmt.Errorf("stderr does not start with `octorelease: `: %q", stderr)
	case len(lines) > 2, len(lines) == 2 && !strings.HasPrefix(lines[1], "hint: "):
		return fmt.Errorf("stderr is not one message line and at most one hint: %q", stderr)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:"} {
		if strings.Contains(stderr, bad) {
			return fmt.Errorf("stderr contains %q: %q", bad, stderr)
		}
	}
	return nil
}

// verified loads the release as every command does and wants Inspect
// (audit verify's check) to find nothing.
func verified(t testing.TB, s store.Store, id string) *release.Release {
	t.Helper()
	r, err := s.Load(id)
	if err != nil {
		t.Fatalf("release %s does not load: %v", id, err)
	}
	if _, damage, err := s.Inspect(id); err != nil || len(damage) > 0 {
		t.Fatalf("release %s does not verify: %v %s", id, err, release.DescribeDamage(damage))
	}
	return r
}

func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}
