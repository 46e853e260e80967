//go:build unix

package checkrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestRunPass(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "echo hello", Timeout: 10 * time.Second}, nil)
	if !res.Passed || res.ExitCode != 0 || res.TimedOut {
		t.Fatalf("got %+v, want passed with exit 0", res)
	}
	if res.Command != "echo hello" {
		t.Errorf("Command = %q", res.Command)
	}
	if res.OutputTail != "hello\n" {
		t.Errorf("OutputTail = %q, want %q", res.OutputTail, "hello\n")
	}
	if res.OutputSHA256 != sha("hello\n") {
		t.Errorf("OutputSHA256 = %s, want %s", res.OutputSHA256, sha("hello\n"))
	}
}

func TestRunFailKeepsExitCode(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "echo oops >&2; exit 3"}, nil)
	if res.Passed || res.ExitCode != 3 || res.TimedOut {
		t.Fatalf("got %+v, want failed with exit 3", res)
	}
	if res.OutputTail != "oops\n" {
		t.Errorf("OutputTail = %q, want stderr captured", res.OutputTail)
	}
}

func TestRunHashesCombinedOutputInOrder(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "echo out; echo err >&2; printf 'out2'"}, nil)
	want := "out\nerr\nout2"
	if res.OutputSHA256 != sha(want) {
		t.Errorf("OutputSHA256 = %s, want sha256(%q) = %s", res.OutputSHA256, want, sha(want))
	}
	if res.OutputTail != want {
		t.Errorf("OutputTail = %q, want %q", res.OutputTail, want)
	}
}

func TestRunEmptyOutput(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "true"}, nil)
	if !res.Passed || res.OutputTail != "" || res.OutputSHA256 != sha("") {
		t.Fatalf("got %+v", res)
	}
}

func TestRunTailOfLongOutput(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "seq -f 'line %g' 1 10000"}, nil)
	var all, tail strings.Builder
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&all, "line %d\n", i)
		if i > 10000-tailLines {
			fmt.Fprintf(&tail, "line %d\n", i)
		}
	}
	if !res.Passed {
		t.Fatalf("got %+v", res)
	}
	if res.OutputTail != tail.String() {
		t.Errorf("OutputTail = %q\nwant %q", res.OutputTail, tail.String())
	}
	if res.OutputSHA256 != sha(all.String()) {
		t.Errorf("OutputSHA256 = %s, want %s", res.OutputSHA256, sha(all.String()))
	}
}

func TestRunTailIsByteBounded(t *testing.T) {
	// 30 lines of 1000 bytes: 20 lines would be 20 KB, so the byte bound wins
	// and the tail still starts at a line boundary.
	res := Run(context.Background(), Spec{Command: `i=0; while [ $i -lt 30 ]; do printf "%0999d\n" $i; i=$((i+1)); done`}, nil)
	if len(res.OutputTail) > tailBytes {
		t.Errorf("len(OutputTail) = %d, want <= %d", len(res.OutputTail), tailBytes)
	}
	lines := strings.Split(strings.TrimSuffix(res.OutputTail, "\n"), "\n")
	if len(lines) != 4 || lines[3] != fmt.Sprintf("%0999d", 29) || len(lines[0]) != 999 {
		t.Errorf("tail lines = %d (first %d bytes), want the 4 last whole lines", len(lines), len(lines[0]))
	}
}

// pidFromFile waits for the check to write a child's pid to path.
func pidFromFile(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("child pid not written: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	return pid
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	p, ok := parseStat(data)
	return ok && p.live()
}

// hangGuard tells "was killed" from "waited for a 300s sleep" without
// asserting a speed: shared CI machines are noisy.
const hangGuard = 60 * time.Second

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	begin := time.Now()
	res := Run(context.Background(), Spec{
		Command: "sleep 300 & echo $! > child.pid; sleep 300",
		Dir:     dir,
		Timeout: 300 * time.Millisecond,
	}, nil)
	took := time.Since(begin)
	if res.Passed || !res.TimedOut || res.ExitCode != -1 {
		t.Errorf("got %+v, want failed, timed out, exit -1", res)
	}
	if took > hangGuard { // the command sleeps 300s: anything far below means it was killed
		t.Errorf("Run took %v after a 300ms timeout: it waited for the command", took)
	}
	if res.DurationMS < 300 {
		t.Errorf("DurationMS = %d, want >= 300", res.DurationMS)
	}
	if pid := pidFromFile(t, filepath.Join(dir, "child.pid")); running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("background child %d still running after Run returned", pid)
	}
}

func TestRunEscalatesToSIGKILL(t *testing.T) {
	defer func(g time.Duration) { killGrace = g }(killGrace)
	killGrace = 300 * time.Millisecond
	dir := t.TempDir()
	begin := time.Now()
	// The ignored SIGTERM is inherited by the background child.
	res := Run(context.Background(), Spec{
		Command: `trap "" TERM; sleep 300 & echo $! > child.pid; wait`,
		Dir:     dir,
		Timeout: 200 * time.Millisecond,
	}, nil)
	took := time.Since(begin)
	if !res.TimedOut || res.Passed || res.ExitCode != -1 {
		t.Errorf("got %+v, want timed out", res)
	}
	if took < 500*time.Millisecond || took > hangGuard {
		t.Errorf("Run took %v, want timeout + grace (at least 500ms, far below the command's 300s)", took)
	}
	if pid := pidFromFile(t, filepath.Join(dir, "child.pid")); running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("child %d survived SIGKILL", pid)
	}
}

func TestRunStopsLeftoverChildren(t *testing.T) {
	dir := t.TempDir()
	begin := time.Now()
	res := Run(context.Background(), Spec{Command: "sleep 300 & echo $! > child.pid; echo done", Dir: dir}, nil)
	if !res.Passed || res.OutputTail != "done\n" {
		t.Errorf("got %+v, want passed", res)
	}
	if took := time.Since(begin); took > hangGuard {
		t.Errorf("Run took %v: it waited for the leftover child", took)
	}
	if pid := pidFromFile(t, filepath.Join(dir, "child.pid")); running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("leftover child %d still running", pid)
	}
}

func TestRunDoesNotHangOnEscapedPipeHolder(t *testing.T) {
	dir := t.TempDir()
	begin := time.Now()
	// setsid moves the child out of the group, out of Run's reach; it keeps
	// the output pipe open for 3s.
	res := Run(context.Background(), Spec{Command: "setsid sleep 3 & echo $! > child.pid; echo ok", Dir: dir}, nil)
	t.Cleanup(func() { syscall.Kill(pidFromFile(t, filepath.Join(dir, "child.pid")), syscall.SIGKILL) })
	if took := time.Since(begin); took > hangGuard {
		t.Errorf("Run took %v: it kept reading after the shell exited", took)
	}
	if !res.Passed || res.OutputTail != "ok\n" {
		t.Errorf("got %+v", res)
	}
}

func TestRunContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res := Run(ctx, Spec{Command: "sleep 300", Timeout: time.Minute}, nil)
	if res.Passed || res.TimedOut || res.ExitCode != -1 {
		t.Errorf("got %+v, want failed, not timed out, exit -1", res)
	}
}

func TestRunContextDeadlineIsTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res := Run(ctx, Spec{Command: "sleep 300"}, nil)
	if res.Passed || !res.TimedOut || res.ExitCode != -1 {
		t.Errorf("got %+v, want timed out", res)
	}
}

func TestRunHonoursDir(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), Spec{Command: "pwd -P", Dir: dir}, nil)
	if !res.Passed || res.OutputTail != dir+"\n" {
		t.Errorf("OutputTail = %q, want %q", res.OutputTail, dir+"\n")
	}
}

func TestRunAddsEnv(t *testing.T) {
	t.Setenv("OCTORELEASE_CHECKRUN_INHERITED", "yes")
	res := Run(context.Background(), Spec{
		Command: `echo "$FOO $OCTORELEASE_CHECKRUN_INHERITED"`,
		Env:     []string{"FOO=bar"},
	}, nil)
	if res.OutputTail != "bar yes\n" {
		t.Errorf("OutputTail = %q, want %q", res.OutputTail, "bar yes\n")
	}
}

func TestRunBadDir(t *testing.T) {
	res := Run(context.Background(), Spec{Command: "true", Dir: filepath.Join(t.TempDir(), "missing")}, nil)
	if res.Passed || res.ExitCode != -1 {
		t.Errorf("got %+v, want failed with exit -1", res)
	}
	if !strings.Contains(res.OutputTail, "start check") || res.OutputSHA256 != sha("") {
		t.Errorf("got tail %q hash %s, want the start error in the tail and an empty output hash", res.OutputTail, res.OutputSHA256)
	}
}

func TestRunReportsProgress(t *testing.T) {
	var mu sync.Mutex
	var calls []time.Duration
	res := Run(context.Background(), Spec{Command: "sleep 0.9"}, func(d time.Duration) {
		mu.Lock()
		calls = append(calls, d)
		mu.Unlock()
	})
	if !res.Passed {
		t.Fatalf("got %+v", res)
	}
	if len(calls) < 2 || len(calls) > 6 {
		t.Fatalf("progress called %d times in 0.9s, want about every 200ms", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] <= calls[i-1] {
			t.Errorf("elapsed not increasing: %v", calls)
		}
	}
}
