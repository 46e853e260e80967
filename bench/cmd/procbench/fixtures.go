package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/octorelease/octorelease/checklists"
	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/store"
)

// build compiles pkg the way release binaries are built (SPEC §11).
func build(root, out, pkg string, tags ...string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags="+strings.Join(tags, ","), "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	return nil
}

// environ is the environment of every measured process: the caller's minus
// anything that changes octorelease's behaviour, with HOME in the work
// folder (its .gitconfig has a user.email, so the git fallback for the actor
// succeeds as on a developer's machine). withActor sets OCTORELEASE_ACTOR as
// CI does.
func environ(home string, withActor bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OCTORELEASE_"), strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "GIT_"),
			k == "HOME", k == "XDG_CONFIG_HOME", k == "NO_COLOR", strings.HasPrefix(k, "CLICOLOR"), k == "GODEBUG":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home)
	if withActor {
		env = append(env, "OCTORELEASE_ACTOR=ci-bot@example.com")
	}
	return env
}

func writeHome(home string) error {
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\temail = dev@example.com\n"), 0o644)
}

// octo runs one setup command of octorelease and fails on a non-zero exit.
func octo(bin, dir string, env []string, args ...string) error {
	_, err := proc{dir: dir, env: env, argv: append([]string{bin}, args...)}.run()
	return err
}

// setupRelease opens v1.0.0 (the embedded minor checklist) in dir and signs
// every pre-release item but capacity, which the sign rows sign and revoke.
func setupRelease(bin, dir string, env []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"start", "1.0.0", "--type", "minor", "--no-walk", "--summary", "Faster search"},
		{"sign", "acceptance-criteria", "ci-security-scans", "qa-signoff", "rollback-plan",
			"--evidence", "https://ci.example.com/run/42"},
		{"sign", "release-notes", "--role", "product-manager"},
		{"sign", "release-notes", "--role", "project-manager", "--note", "dates agreed"},
		{"sign", "staging-smoke-tests", "--role", "qa"},
		{"sign", "staging-smoke-tests", "--role", "sre"},
	} {
		if err := octo(bin, dir, env, args...); err != nil {
			return err
		}
	}
	return nil
}

// addHistory writes n released releases (every item of the embedded minor
// checklist signed) into dir's state folder, as years of history would leave
// it: <id>.json, its .bak and .lock, and the status index marker.
// They are built with the release package and written directly, because
// creating them through the CLI would take minutes of fsyncs.
func addHistory(dir string, n int) error {
	stateDir := filepath.Join(dir, ".octorelease")
	markers := filepath.Join(stateDir, ".index", release.StatusReleased)
	if err := os.MkdirAll(markers, 0o755); err != nil {
		return err
	}
	cl, err := (&checklist.Loader{Embedded: checklists.FS}).Load("minor")
	if err != nil {
		return err
	}
	at := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	ids := make(chan int)
	errc := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				if err := writeReleased(stateDir, markers, cl, i, at.Add(time.Duration(i)*time.Hour)); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	var firstErr error
	for i := 0; i < n && firstErr == nil; i++ {
		select {
		case ids <- i:
		case firstErr = <-errc:
		}
	}
	close(ids)
	wg.Wait()
	if firstErr == nil {
		select {
		case firstErr = <-errc:
		default:
		}
	}
	if firstErr != nil {
		return firstErr
	}
	// Check that the markers are where FileStore looks for them.
	got, err := store.NewFileStore(stateDir, store.Options{}).IDsWithStatus(release.StatusReleased)
	if err != nil {
		return err
	}
	if len(got) < n {
		return fmt.Errorf("status index lists %d released releases, want %d", len(got), n)
	}
	return nil
}

func writeReleased(stateDir, markers string, cl *checklist.Checklist, i int, at time.Time) error {
	id, version, _ := release.ParseVersion(fmt.Sprintf("0.%d.%d", i/100, i%100))
	r := release.New(release.Meta{ID: id, Version: version, Type: "minor", Summary: "history",
		CreatedAt: at, CreatedBy: "rm@example.com"}, *cl)
	for _, p := range cl.Phases {
		for _, it := range p.Items {
			for _, role := range it.Roles {
				req := release.SignRequest{Items: []string{it.ID}, Role: role, Actor: role + "@example.com", At: at}
				if err := r.Sign(req, release.Policy{}); err != nil {
					return err
				}
			}
		}
	}
	if err := r.SetStatus(release.StatusReleased, "rm@example.com", "", "", at); err != nil {
		return err
	}
	r.Serial = int64(len(r.Events))
	data, err := release.Encode(r)
	if err != nil {
		return err
	}
	base := filepath.Join(stateDir, id+".json")
	for path, content := range map[string][]byte{base: data, base + ".bak": data, base + ".lock": nil,
		filepath.Join(markers, id): nil} {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bigChecklist is a team checklist named minor (overriding the embedded
// one) with phases×items items, each needing every one of roles.
func bigChecklist(phases, items int, roles []string) string {
	var b strings.Builder
	b.WriteString("name: minor\ndescription: A large checklist for benchmarks\nphases:\n")
	for p := range phases {
		fmt.Fprintf(&b, "  - id: phase-%d\n    title: Phase %d\n    items:\n", p, p)
		for i := range items {
			fmt.Fprintf(&b, "      - id: item-%d-%d\n        title: Item %d of phase %d\n        roles: [%s]\n",
				p, i, i, p, strings.Join(roles, ", "))
			b.WriteString("        help: Confirm the thing this item is about and link evidence.\n")
		}
	}
	return b.String()
}

func itemIDs(phase, items int) []string {
	ids := make([]string, items)
	for i := range ids {
		ids[i] = fmt.Sprintf("item-%d-%d", phase, i)
	}
	return ids
}

// setupBig opens a release of a 10×100-item checklist in dir, every item
// needing three roles, and signs all of them: 3,000 sign-offs.
func setupBig(bin, dir string, env []string) error {
	roles := []string{"developer", "qa", "sre"}
	if err := os.MkdirAll(filepath.Join(dir, "checklists"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "checklists", "minor.yaml"), []byte(bigChecklist(10, 100, roles)), 0o644); err != nil {
		return err
	}
	if err := octo(bin, dir, env, "start", "1.0.0", "--type", "minor", "--no-walk"); err != nil {
		return err
	}
	for p := range 10 {
		for _, role := range roles {
			args := append([]string{"sign", "--role", role}, itemIDs(p, 100)...)
			if err := octo(bin, dir, env, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// setupSigners opens a release of one phase of n single-role items in dir,
// for n concurrent signers.
func setupSigners(bin, dir string, env []string, n int) error {
	if err := os.MkdirAll(filepath.Join(dir, "checklists"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "checklists", "minor.yaml"), []byte(bigChecklist(1, n, []string{"developer"})), 0o644); err != nil {
		return err
	}
	return octo(bin, dir, env, "start", "1.0.0", "--type", "minor", "--no-walk")
}
