//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// These tests build the real binary and drive it through a pseudo-terminal
// that never answers a terminal query, as a user's terminal would be driven
// by keystrokes.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func octBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "octorelease-pty-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "octorelease")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// env is a clean environment for the binary: HOME in the work dir, no git
// identity, colour decided by the terminal alone.
func ptyEnv(dir, actor string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TERM=xterm-256color",
		"GIT_CONFIG_NOSYSTEM=1",
		"OCTORELEASE_ACTOR=" + actor,
	}
	return append(env, extra...)
}

// run runs the binary off a terminal and fails the test on a non-zero exit.
func run(t *testing.T, dir, actor string, args ...string) string {
	t.Helper()
	cmd := exec.Command(octBinary(t), args...)
	cmd.Dir, cmd.Env = dir, ptyEnv(dir, actor)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("octorelease %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// term is a process on a pseudo-terminal with everything it wrote so far.
type term struct {
	t      *testing.T
	ptmx   *os.File
	tty    *os.File // kept open so the terminal's modes can be read after exit
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	seen   int // expect searches after this offset of the plain output
	before *unix.Termios
	done   chan error
}

func startPTY(t *testing.T, dir, actor string, args ...string) *term {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(octBinary(t), args...)
	cmd.Dir, cmd.Env = dir, ptyEnv(dir, actor)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, ptmx: ptmx, tty: tty, cmd: cmd, before: before, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { tm.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = ptmx.Close()
		_ = tty.Close()
	})
	return tm
}

var ansiRE = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])`)

func (tm *term) raw() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

func (tm *term) plain() string { return ansiRE.ReplaceAllString(tm.raw(), "") }

// expect waits until s appears in the plain output after the last match.
func (tm *term) expect(s string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		p := tm.plain()
		if tm.seen <= len(p) {
			if i := strings.Index(p[tm.seen:], s); i >= 0 {
				tm.seen += i + len(s)
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("timed out waiting for %q; screen so far:\n%s", s, tm.plain())
}

// keys types k, with a pause so each key is its own input event.
func (tm *term) keys(k ...string) {
	tm.t.Helper()
	for _, s := range k {
		if _, err := tm.ptmx.Write([]byte(s)); err != nil {
			tm.t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
	}
}

// text types a line of text, one key at a time.
func (tm *term) text(s string) {
	tm.t.Helper()
	for _, r := range s {
		tm.keys(string(r))
	}
}

// wait waits for the process to exit and returns its exit code.
func (tm *term) wait() int {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			tm.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		tm.t.Fatalf("process did not exit; screen:\n%s", tm.plain())
		return -1
	}
}

// restored checks the terminal's modes are what they were before the run.
func (tm *term) restored() {
	tm.t.Helper()
	after, err := unix.IoctlGetTermios(int(tm.tty.Fd()), unix.TCGETS)
	if err != nil {
		tm.t.Fatal(err)
	}
	if after.Lflag != tm.before.Lflag || after.Iflag != tm.before.Iflag || after.Oflag != tm.before.Oflag {
		tm.t.Errorf("terminal not restored: lflag %#x→%#x iflag %#x→%#x oflag %#x→%#x",
			tm.before.Lflag, after.Lflag, tm.before.Iflag, after.Iflag, tm.before.Oflag, after.Oflag)
	}
}

// noQueries fails if the output asks the terminal anything that needs an
// answer to be read back: colours, cursor position, device attributes,
// terminal version or capabilities.
func noQueries(t *testing.T, out string, allowModeReports bool) {
	t.Helper()
	queries := map[string]string{
		"\x1b]10;?": "foreground colour", "\x1b]11;?": "background colour", "\x1b]12;?": "cursor colour",
		"\x1b[6n": "cursor position", "\x1b[?6n": "cursor position", "\x1b[c": "device attributes",
		"\x1b[0c": "device attributes", "\x1b[>c": "secondary device attributes", "\x1b[>0q": "terminal version",
		"\x1bP+q": "termcap",
	}
	if !allowModeReports {
		queries["$p"] = "mode report"
		queries["\x1b[?u"] = "keyboard protocol"
	}
	for seq, what := range queries {
		if strings.Contains(out, seq) {
			t.Errorf("output queries the terminal (%s, %q)", what, seq)
		}
	}
}

// statusJSON reads the release back through the CLI.
type statusDoc struct {
	Release struct {
		ID, Type, Status string
	}
	Phases []struct {
		ID    string
		Items []struct {
			ID       string
			State    string
			Signoffs []struct {
				Role, By, Kind, Note, Reason string
				Evidence                     []string
			}
		}
	}
}

type signoff = struct {
	Role, By, Kind, Note, Reason string
	Evidence                     []string
}

func readStatus(t *testing.T, dir string) (statusDoc, map[string]string, map[string][]signoff) {
	t.Helper()
	var doc statusDoc
	if err := json.Unmarshal([]byte(run(t, dir, "reader", "status", "-o", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	states, signoffs := map[string]string{}, map[string][]signoff{}
	for _, p := range doc.Phases {
		for _, it := range p.Items {
			states[it.ID] = it.State
			signoffs[it.ID] = it.Signoffs
		}
	}
	return doc, states, signoffs
}

// preReleaseButSRE opens v1.0.0 (minor) and signs every pre-release item but
// the SRE's rollback-plan and capacity, as other people.
func preReleaseButSRE(t *testing.T) string {
	dir := t.TempDir()
	run(t, dir, "rm", "start", "1.0.0", "--type", "minor", "--no-walk")
	for _, s := range [][]string{
		{"dev", "acceptance-criteria"},
		{"sec", "ci-security-scans"},
		{"qa", "qa-signoff"},
		{"pm", "release-notes", "--role", "product-manager"},
		{"pjm", "release-notes", "--role", "project-manager"},
		{"qa", "staging-smoke-tests", "--role", "qa"},
		{"sre1", "staging-smoke-tests", "--role", "sre"},
	} {
		run(t, dir, s[0], append([]string{"sign"}, s[1:]...)...)
	}
	return dir
}

const (
	keyEnter = "\r"
	keyDown  = "\x1b[B"
	keyLast  = "G" // huh select: go to the last option (Quit the walk)
	keyCtrlC = "\x03"
)

func TestWalkPTYSignWaiveQuit(t *testing.T) {
	dir := preReleaseButSRE(t)
	tm := startPTY(t, dir, "sam", "walk", "--role", "sre")

	tm.expect("rollback-plan (5 of 7)")
	tm.keys(keyEnter) // Sign

	tm.expect("capacity (7 of 7)")
	tm.keys(keyDown, keyEnter) // Sign with a note or evidence
	tm.expect("Note")
	tm.text("headroom 40%")
	tm.keys(keyEnter)
	tm.text("https://grafana.example.com/d/cap")
	tm.keys(keyEnter)

	// The pre-release gate passed: the deployment phase opens in the same walk.
	tm.expect("Deployment checklist · backup (2 of 8)")
	tm.keys(keyDown, keyDown, keyEnter) // Waive
	tm.expect("Why is backup waived?")
	tm.keys(keyEnter) // empty reason is refused
	tm.expect("a reason is required")
	tm.text("stateless service")
	tm.keys(keyEnter)

	tm.expect("staging-deploy (3 of 8)")
	tm.keys(keyLast, keyEnter) // Quit the walk

	tm.expect("recorded: 3")
	tm.expect("waiting on:")
	if code := tm.wait(); code != 0 {
		t.Fatalf("walk exit %d; screen:\n%s", code, tm.plain())
	}
	tm.restored()
	noQueries(t, tm.raw(), true)
	out := tm.plain()
	if testing.Verbose() {
		t.Logf("screen:\n%s", out)
	}
	for _, want := range []string{"✓ sam signed rollback-plan as SRE/DevOps", "✓ sam waived backup for SRE/DevOps: stateless service", "staging-deploy"} {
		if !strings.Contains(out, want) {
			t.Errorf("walk output lacks %q:\n%s", want, out)
		}
	}

	_, states, signoffs := readStatus(t, dir)
	for id, want := range map[string]string{"rollback-plan": "done", "capacity": "done", "backup": "waived", "staging-deploy": "pending"} {
		if states[id] != want {
			t.Errorf("%s is %q, want %q", id, states[id], want)
		}
	}
	if s := signoffs["rollback-plan"]; len(s) != 1 || s[0].By != "sam" || s[0].Role != "sre" || s[0].Kind != "sign" || s[0].Note != "" {
		t.Errorf("rollback-plan sign-offs: %+v", s)
	}
	if s := signoffs["capacity"]; len(s) != 1 || s[0].Note != "headroom 40%" ||
		len(s[0].Evidence) != 1 || s[0].Evidence[0] != "https://grafana.example.com/d/cap" {
		t.Errorf("capacity sign-offs: %+v", s)
	}
	if s := signoffs["backup"]; len(s) != 1 || s[0].Kind != "waive" || s[0].Reason != "stateless service" || s[0].By != "sam" {
		t.Errorf("backup waiver: %+v", s)
	}
	if got := run(t, dir, "reader", "audit", "verify"); got == "" {
		t.Log("audit verify printed nothing")
	}
}

// Ctrl-C while a question is on screen ends the walk with every earlier
// answer recorded and the terminal restored.
func TestWalkPTYCtrlCKeepsAnswers(t *testing.T) {
	dir := preReleaseButSRE(t)
	tm := startPTY(t, dir, "sam", "walk", "--role", "sre")
	tm.expect("rollback-plan (5 of 7)")
	tm.keys(keyEnter)
	tm.expect("capacity (7 of 7)")
	tm.keys(keyCtrlC)
	tm.expect("walk interrupted")
	if code := tm.wait(); code != 130 {
		t.Fatalf("exit %d, want 130; screen:\n%s", code, tm.plain())
	}
	tm.restored()
	_, states, _ := readStatus(t, dir)
	if states["rollback-plan"] != "done" || states["capacity"] != "pending" {
		t.Errorf("after Ctrl-C: rollback-plan %s, capacity %s", states["rollback-plan"], states["capacity"])
	}
	run(t, dir, "reader", "audit", "verify")
}

// start on a terminal asks the type, shows the checklist and walks on.
func TestStartPTYAsksTypeAndWalks(t *testing.T) {
	dir := t.TempDir()
	tm := startPTY(t, dir, "rm", "start", "2.0.0")
	tm.expect("What type of release is 2.0.0?")
	tm.keys(keyDown, keyEnter) // major: the prompt starts on minor
	tm.expect("opened release v2.0.0 (major)")
	tm.expect("Pre-release requirements")
	tm.expect("acceptance-criteria (1 of ")
	tm.keys(keyEnter) // sign the first item
	tm.expect("ci-security-scans (2 of ")
	tm.keys(keyLast, keyEnter)
	tm.expect("recorded: 1")
	if code := tm.wait(); code != 0 {
		t.Fatalf("start exit %d; screen:\n%s", code, tm.plain())
	}
	tm.restored()
	doc, states, signoffs := readStatus(t, dir)
	if doc.Release.ID != "v2.0.0" || doc.Release.Type != "major" {
		t.Errorf("release %+v, want v2.0.0 major", doc.Release)
	}
	if states["acceptance-criteria"] != "done" || signoffs["acceptance-criteria"][0].By != "rm" {
		t.Errorf("acceptance-criteria: %s %+v", states["acceptance-criteria"], signoffs["acceptance-criteria"])
	}
}

// Without a terminal, walk refuses with exit 2 and a hint; start never asks.
func TestWalkNoTerminal(t *testing.T) {
	dir := preReleaseButSRE(t)
	cmd := exec.Command(octBinary(t), "walk")
	cmd.Dir, cmd.Env = dir, ptyEnv(dir, "sam")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "octorelease sign") {
		t.Fatalf("walk off a terminal: %v\n%s", err, out)
	}
	cmd = exec.Command(octBinary(t), "start", "3.0.0")
	cmd.Dir, cmd.Env = t.TempDir(), ptyEnv(dir, "sam")
	out, err = cmd.CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "--type") {
		t.Fatalf("start off a terminal without --type: %v\n%s", err, out)
	}
}

// status on a terminal that never answers returns at once, styled, without
// asking the terminal anything; so does every command's init (version).
func TestStatusPTYNoQueries(t *testing.T) {
	dir := preReleaseButSRE(t)
	for _, args := range [][]string{{"status"}, {"version"}, {"next", "--role", "sre"}, {"list"}, {"log"}, {"gate"}} {
		start := time.Now()
		tm := startPTY(t, dir, "sam", args...)
		code := tm.wait()
		if d := time.Since(start); d > 30*time.Second { // hang guard; the no-query check below is the real test
			t.Errorf("%v took %v on a silent terminal", args, d)
		}
		if args[0] == "gate" {
			if code != 3 {
				t.Errorf("gate exit %d, want 3", code)
			}
		} else if code != 0 {
			t.Errorf("%v exit %d:\n%s", args, code, tm.plain())
		}
		time.Sleep(50 * time.Millisecond) // let the reader drain the last bytes
		raw := tm.raw()
		noQueries(t, raw, false)
		if args[0] == "status" && !strings.Contains(raw, "\x1b[") {
			t.Errorf("status on a terminal is not styled:\n%q", raw)
		}
		tm.restored()
	}
}
