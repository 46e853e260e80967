package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/checklist"
	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/release"
)

// The test binary doubles as a writer process: with childMode set, TestMain
// runs runChild instead of the tests.
const (
	childMode  = "OCTORELEASE_STORE_TEST_CHILD"
	childDir   = "OCTORELEASE_STORE_TEST_DIR"
	childID    = "OCTORELEASE_STORE_TEST_ID"
	childActor = "OCTORELEASE_STORE_TEST_ACTOR"
	// childLockTimeout, if set, replaces the child's lock timeout of 2m.
	childLockTimeout = "OCTORELEASE_STORE_TEST_LOCK_TIMEOUT"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childMode); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild is one writer process:
//
//	append       print "go", then Update the release, appending one event by the actor
//	wait-append  as append, but print "waiting" (only) once it waits for a held lock
//	hold         take the lock, print "locked", keep it until stdin closes
//	crash        take the lock, leave a temp file, print "ready", wait to be killed
func runChild(mode string) int {
	dir, id, actor := os.Getenv(childDir), os.Getenv(childID), os.Getenv(childActor)
	timeout := 2 * time.Minute
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	if v := os.Getenv(childLockTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fail(err)
		}
		timeout = d
	}
	s := NewFileStore(dir, Options{LockTimeout: timeout, Actor: actor})
	switch mode {
	case "append", "wait-append":
		if mode == "append" {
			fmt.Println("go") // lets a killer aim at the write rather than at start-up
		} else {
			lockWaitStarted = func() { fmt.Println("waiting") }
		}
		err := s.Update(id, func(r *release.Release) error {
			appendEvent(r, release.Event{Kind: release.EventSign, Actor: actor, Role: "qa", Item: "qa-signoff", At: time.Now()})
			return nil
		})
		if err != nil {
			return fail(err)
		}
	case "hold":
		l, err := s.lock(id)
		if err != nil {
			return fail(err)
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		l.release()
	case "crash":
		l, err := s.lock(id)
		if err != nil {
			return fail(err)
		}
		if _, err := s.writeTemp(l, id, []byte(`{"format":1,"half`)); err != nil {
			return fail(err)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	default:
		return fail(fmt.Errorf("unknown mode %q", mode))
	}
	return 0
}

// child returns a command that runs the test binary as a writer process.
func child(t testing.TB, mode, dir, id, actor string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childMode+"="+mode, childDir+"="+dir, childID+"="+id, childActor+"="+actor,
		// Race-enabled children would otherwise sleep 1s on exit.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// startChildUntil starts a child and waits for it to print want.
func startChildUntil(t *testing.T, cmd *exec.Cmd, want string) (stdin io.WriteCloser) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != want {
		t.Fatalf("child printed %q (%v), want %q; stderr: %s", line, err, want, stderr.String())
	}
	return stdin
}

var testTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func testChecklist() checklist.Checklist {
	return checklist.Checklist{Name: "minor", Source: "embedded", Phases: []checklist.Phase{{
		ID: "pre-release", Title: "Pre-release requirements",
		Items: []checklist.Item{{ID: "qa-signoff", Title: "QA sign-off completed", Roles: []string{"qa"}}},
	}}}
}

func newRelease(id string) *release.Release {
	return release.New(release.Meta{
		ID: id, Version: strings.TrimPrefix(id, "v"), Type: "minor",
		CreatedAt: testTime, CreatedBy: "alice",
	}, testChecklist())
}

// appendEvent chains e to r the way the release package does (Seq, Prev =
// previous Hash, Hash = SHA-256 of the compact JSON with Hash empty), so
// writer processes need no domain operation; r.Verify checks the result.
func appendEvent(r *release.Release, e release.Event) {
	e.At = e.At.UTC()
	e.Seq = len(r.Events) + 1
	e.Prev = r.Events[len(r.Events)-1].Hash
	e.Hash = ""
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err)
	}
	h := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	e.Hash = hex.EncodeToString(h[:])
	r.Events = append(r.Events, e)
}

func signBy(actor string) func(*release.Release) error {
	return func(r *release.Release) error {
		appendEvent(r, release.Event{Kind: release.EventSign, Actor: actor, Role: "qa", Item: "qa-signoff", At: testTime})
		return nil
	}
}

func setStatus(status string) func(*release.Release) error {
	return func(r *release.Release) error {
		appendEvent(r, release.Event{Kind: release.EventStatus, Actor: "alice", Status: status, At: testTime})
		return nil
	}
}

func newStore(t *testing.T) (*FileStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	return NewFileStore(dir, Options{Actor: "tester", Now: func() time.Time { return testTime }}), dir
}

func mustCreate(t *testing.T, s *FileStore, id string) {
	t.Helper()
	if err := s.Create(newRelease(id)); err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode fails unless err is an *errs.Error with the given exit code.
func wantCode(t *testing.T, err error, code int) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errs.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("error %q has code %d, want %d", err, e.Code, code)
	}
	return e
}

// tempFiles lists the write temp files left in dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+tmpInfix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tree lists every path under root, for "nothing was created" checks.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// actors returns how many events each actor has in r.
func actors(r *release.Release) map[string]int {
	m := map[string]int{}
	for _, e := range r.Events {
		m[e.Actor]++
	}
	return m
}
