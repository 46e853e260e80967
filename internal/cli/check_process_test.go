//go:build unix

package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/app"
)

// asBinary makes this test binary octorelease itself when it is started
// with it set: the tests below run the real program as a separate process,
// to send it real signals.
const asBinary = "OCTORELEASE_CLI_TEST_AS_BINARY"

func init() {
	if os.Getenv(asBinary) == "1" {
		os.Exit(app.Main())
	}
}

// octorelease returns the command that runs octorelease in dir, with an
// environment of its own: no OCTORELEASE_* or GITHUB_* variables of the
// machine running the tests.
func octorelease(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCTORELEASE_") && !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, asBinary+"=1", "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"NO_COLOR=1", "OCTORELEASE_ACTOR=ci",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// run runs octorelease to the end and returns its exit code, stdout and stderr.
func run(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	cmd := octorelease(dir, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return exitCode(t, cmd.Run()), out.String(), errOut.String()
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("run octorelease: %v", err)
	return -1
}

func mustRun(t *testing.T, dir string, want int, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, dir, args...)
	if code != want {
		t.Fatalf("octorelease %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkedRelease opens v1.4.0 in a new folder whose minor checklist gives
// ci-security-scans and then capacity the checks given.
func checkedRelease(t *testing.T, scanCheck, capacityCheck string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".octorelease.yaml": "checklists: checklists\n",
		"checklists/minor.yaml": fmt.Sprintf(`name: minor
extends: base
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: ci-security-scans
        title: Passing CI and security scans
        roles: [security]
        check:
          run: %q
      - id: capacity
        title: Infrastructure capacity confirmed
        roles: [sre]
        check:
          run: %q
`, scanCheck, capacityCheck),
	})
	mustRun(t, dir, 0, "start", "1.4.0", "--type", "minor", "--no-walk")
	return dir
}

// eventFiles lists the release's event files.
func eventFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	root := filepath.Join(dir, ".octorelease", "v1.4.0", "events")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, strings.TrimPrefix(path, root))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// readPids returns the pids written one a line to path so far.
func readPids(path string) []int {
	data, _ := os.ReadFile(path)
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// running reports whether pid runs: a zombie does not (it runs nothing,
// and in a container nobody may reap an orphan's).
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) && runtime.GOOS == "linux"
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || len(stat) < i+3 || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// The hanging check: its shell, a child and a grandchild, each writing its
// pid to the pids file.
const hangCheck = `echo $$ >> pids; sh -c 'sleep 30' & echo $! >> pids; sh -c 'sleep 30 & echo $! >> pids; wait' & echo $! >> pids; wait`

// A signal while a check runs stops it with every process it started,
// records nothing for it and exits 130; the check that passed before it
// stays recorded.
func TestCheckSignalStopsCheckAndRecordsNothing(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := checkedRelease(t, "true", hangCheck)
			before := eventFiles(t, dir)

			cmd := octorelease(dir, "check")
			var errOut bytes.Buffer
			cmd.Stderr = &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pidFile := filepath.Join(dir, "pids")
			for end := time.Now().Add(time.Minute); len(readPids(pidFile)) < 4; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(end) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("the check did not start its processes; stderr:\n%s", errOut.String())
				}
			}
			pids := readPids(pidFile)
			t.Cleanup(func() {
				for _, pid := range pids {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			recorded := eventFiles(t, dir)
			if len(recorded) != len(before)+1 {
				t.Fatalf("while capacity's check runs: %d event files, want %d (the scan's check)", len(recorded), len(before)+1)
			}

			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCode(t, cmd.Wait()); code != 130 {
				t.Errorf("exit %d after %v, want 130\nstderr:\n%s", code, sig, errOut.String())
			}
			if after := eventFiles(t, dir); !slices.Equal(after, recorded) {
				t.Errorf("event files after %v:\n%v\nwant the ones before it:\n%v", sig, after, recorded)
			}
			for _, pid := range pids {
				if running(pid) {
					t.Errorf("process %d of the interrupted check is still running", pid)
				}
			}
			for _, want := range []string{"✓ check of ci-security-scans passed",
				"✗ check of capacity interrupted: stopped, not recorded",
				"octorelease: interrupted: the check of capacity was stopped and not recorded"} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
				}
			}

			// The scan's pass still counts; capacity never ran.
			var st struct {
				Phases []struct {
					Items []struct {
						ID    string
						Check *struct{ Passed bool }
					}
				}
			}
			if err := json.Unmarshal([]byte(mustRun(t, dir, 0, "status", "-o", "json")), &st); err != nil {
				t.Fatal(err)
			}
			for _, it := range st.Phases[0].Items {
				switch {
				case it.ID == "ci-security-scans" && (it.Check == nil || !it.Check.Passed):
					t.Errorf("ci-security-scans check = %+v, want its recorded pass", it.Check)
				case it.ID == "capacity" && it.Check != nil:
					t.Errorf("capacity check = %+v, want none recorded", it.Check)
				}
			}
			mustRun(t, dir, 0, "sign", "ci-security-scans")
		})
	}
}

// A process a check detaches with setsid does not outlive the check (Linux;
// elsewhere only the process group is stopped).
func TestCheckStopsDetachedProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("detached processes are found through Linux's child subreaper")
	}
	dir := checkedRelease(t, "true",
		`setsid sh -c 'echo $$ > detached.pid; exec sleep 30' & while [ ! -s detached.pid ]; do sleep 0.01; done`)
	mustRun(t, dir, 0, "check", "capacity")
	pids := readPids(filepath.Join(dir, "detached.pid"))
	if len(pids) != 1 {
		t.Fatalf("detached.pid holds %v", pids)
	}
	if running(pids[0]) {
		syscall.Kill(pids[0], syscall.SIGKILL)
		t.Errorf("the detached sleep %d outlived the check", pids[0])
	}
}

// With the embedded checklists there is nothing to check: CI's `check`
// step passes and says so. Naming an item without a check stays an error.
func TestCheckNothingToCheck(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, 0, "start", "1.4.0", "--type", "minor", "--no-walk")
	before := eventFiles(t, dir)
	code, out, errOut := run(t, dir, "check")
	if code != 0 || out != "" || errOut != "nothing to check: no item of v1.4.0 has a check\n" {
		t.Errorf("check: exit %d, stdout %q, stderr %q; want 0, nothing, the reason", code, out, errOut)
	}
	if out := mustRun(t, dir, 0, "check", "-o", "json"); out != "[]\n" {
		t.Errorf("check -o json = %q, want []", out)
	}
	if code, _, errOut := run(t, dir, "check", "qa-signoff"); code != 2 || !strings.Contains(errOut, `item "qa-signoff" has no check`) {
		t.Errorf("check qa-signoff: exit %d, stderr %q; want 2", code, errOut)
	}
	if after := eventFiles(t, dir); !slices.Equal(after, before) {
		t.Errorf("nothing to check recorded %d events", len(after)-len(before))
	}
}

// `check -o json` gives per item the same fields as the item's "check" in
// `status -o json`, plus the item and the output's tail.
func TestCheckJSONMatchesStatusCheck(t *testing.T) {
	dir := checkedRelease(t, "echo scanned", "exit 3")
	code, out, _ := run(t, dir, "check", "-o", "json")
	if code != 1 {
		t.Fatalf("check: exit %d, want 1 (capacity fails)", code)
	}
	var results []map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("check -o json: %v\n%s", err, out)
	}
	var st struct {
		Phases []struct {
			Items []struct {
				ID    string         `json:"id"`
				Check map[string]any `json:"check"`
			} `json:"items"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, dir, 0, "status", "-o", "json")), &st); err != nil {
		t.Fatal(err)
	}
	status := map[string]map[string]any{}
	for _, it := range st.Phases[0].Items {
		status[it.ID] = it.Check
	}
	if len(results) != 2 {
		t.Fatalf("got %d results, want 2", len(results))
	}
	for _, res := range results {
		id, _ := res["item"].(string)
		sc := status[id]
		if sc == nil {
			t.Fatalf("status has no check for %q", id)
		}
		for k, v := range sc {
			if fmt.Sprint(res[k]) != fmt.Sprint(v) {
				t.Errorf("%s: check -o json %s = %v, status's check %s = %v", id, k, res[k], k, v)
			}
		}
		for k := range res {
			if _, ok := sc[k]; !ok && k != "item" && k != "output_tail" {
				t.Errorf("%s: check -o json has %q, which status's check has not", id, k)
			}
		}
	}
	want := map[string]any{"item": "ci-security-scans", "command": "echo scanned", "passed": true, "exit_code": 0.0,
		"timed_out": false, "by": "ci", "output_tail": "scanned\n"}
	for k, v := range want {
		if results[0][k] != v {
			t.Errorf("result %s = %#v, want %#v", k, results[0][k], v)
		}
	}
	if results[1]["exit_code"] != 3.0 || results[1]["passed"] != false {
		t.Errorf("capacity result = %v, want failed with exit 3", results[1])
	}
}
