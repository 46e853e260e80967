package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/fsutil"
	"github.com/octorelease/octorelease/internal/store"
	"github.com/octorelease/octorelease/internal/store/storetest"
)

// The test binary doubles as a writer process: with childMode set, TestMain
// runs runChild instead of the tests.
const (
	childMode  = "OCTORELEASE_STORE_TEST_CHILD"
	childDir   = "OCTORELEASE_STORE_TEST_DIR"
	childID    = "OCTORELEASE_STORE_TEST_ID"
	childActor = "OCTORELEASE_STORE_TEST_ACTOR"
	childItem  = "OCTORELEASE_STORE_TEST_ITEM" // the item an append signs for qa
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
//	append       print "go", then Update the release, signing the item as the actor
//	wait-append  as append, but print "waiting" (only) once it waits for a held lock
//	hold         take the lock, print "locked", keep it until stdin closes
//	crash        take the lock, leave a temp file in events/, print "ready", wait to be killed
func runChild(mode string) int {
	dir, id, actor, item := os.Getenv(childDir), os.Getenv(childID), os.Getenv(childActor), os.Getenv(childItem)
	timeout := 2 * time.Minute
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	if v := os.Getenv(childLockTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fail(err)
		}
		timeout = d
	}
	s := store.NewFileStore(dir, store.Options{LockTimeout: timeout, Actor: actor})
	switch mode {
	case "append", "wait-append":
		if mode == "append" {
			fmt.Println("go") // lets a killer aim at the write rather than at start-up
		} else {
			restore := store.SetLockWaitHooks(func() { fmt.Println("waiting") }, nil)
			defer restore()
		}
		if err := s.Update(id, storetest.Sign(item, "qa", actor, time.Now())); err != nil {
			return fail(err)
		}
	case "hold":
		unlock, err := s.LockForTest(id)
		if err != nil {
			return fail(err)
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		unlock()
	case "crash":
		if _, err := s.LockForTest(id); err != nil {
			return fail(err)
		}
		tmp := filepath.Join(dir, id, "events", "20261125T100000.000000000Z-sign-x-qa-0123456789abcdef.json"+fsutil.TempInfix+"0011223344556677")
		if err := os.WriteFile(tmp, []byte(`{"kind":"sign","half`), 0o644); err != nil {
			return fail(err)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	default:
		return fail(fmt.Errorf("unknown mode %q", mode))
	}
	return 0
}

// child returns a command that runs the test binary as a writer process
// signing item (for the append modes).
func child(t testing.TB, mode, dir, id, actor, item string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childMode+"="+mode, childDir+"="+dir, childID+"="+id, childActor+"="+actor, childItem+"="+item,
		// Race-enabled children would otherwise sleep 1s on exit.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// withLockTimeout sets the lock timeout of a child process.
func withLockTimeout(cmd *exec.Cmd, d time.Duration) *exec.Cmd {
	cmd.Env = append(cmd.Env, childLockTimeout+"="+d.String())
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
