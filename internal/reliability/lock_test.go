package reliability

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/store/storetest"
)

// TestLockContention holds a release's lock from another process: a real
// `octorelease sign` (testhooks build) parked inside its write, before its
// event file. A second writer waits --lock-timeout (or
// OCTORELEASE_LOCK_TIMEOUT) and then fails with exit 1 naming the holder by
// actor, host, pid and time; readers (status, gate, log, list, audit
// verify, next) answer at once although their own lock timeout is long.
// Once the holder is killed, the next writer gets in at once, clears the
// dead holder's line from the lock file and the holder's sign-off is absent.
func TestLockContention(t *testing.T) {
	w := newWorkdir(t, binary(t, "testhooks"), 4)
	w.start()
	w.must(w.run("sign", "s-003", "--role", "qa"))
	_, before := w.load()
	beforeEvents := w.eventFiles()

	holder := w.startProcess([]string{"OCTORELEASE_TEST_WRITE_DELAY=1h"},
		"sign", "s-000", "--role", "qa", "--as", "holder@example.com")
	defer func() { _ = holder.Cmd.Process.Kill(); holder.Wait() }()
	// The holder has the lock once its holder line is in the lock file; the
	// write delay then parks it before its event file.
	pidField := fmt.Sprintf(`"pid":%d,`, holder.Cmd.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	for b, _ := os.ReadFile(w.lockFile()); !strings.Contains(string(b), pidField); b, _ = os.ReadFile(w.lockFile()) {
		if time.Now().After(deadline) {
			t.Fatal("the holder never reached its write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	pid := holder.Cmd.Process.Pid
	named := regexp.MustCompile(`^octorelease: release v1\.0\.0 is locked by holder@example\.com on ` +
		regexp.QuoteMeta(host) + fmt.Sprintf(` \(pid %d\) since (\S+)$`, pid))

	var waits []string // lock timeout → when the writer gave up
	for _, c := range []struct {
		name    string
		env     []string
		args    []string
		timeout time.Duration
	}{
		{"flag", nil, []string{"sign", "s-001", "--role", "qa", "--lock-timeout", "1500ms"}, 1500 * time.Millisecond},
		{"env", []string{"OCTORELEASE_LOCK_TIMEOUT=1s"}, []string{"sign", "s-001", "--role", "qa"}, time.Second},
		{"config", nil, []string{"--config", "slow.yaml", "revoke", "s-003", "--role", "qa", "--reason", "x"}, 700 * time.Millisecond},
		{"waive", nil, []string{"waive", "s-001", "--role", "qa", "--reason", "x", "--lock-timeout", "500ms"}, 500 * time.Millisecond},
	} {
		t.Run("writer-waits/"+c.name, func(t *testing.T) {
			if c.name == "config" {
				w.write("slow.yaml", "lock_timeout: 700ms\n")
			}
			r := w.runEnv(c.env, c.args...)
			// (Waiving a required item would be refused by policy, but
			// policy is decided on the current state, under the lock.)
			if r.Code != 1 {
				t.Errorf("exit %d, want 1: %s", r.Code, r)
			}
			if r.Code == 1 {
				if r.Dur < c.timeout {
					t.Errorf("gave up after %v, before the %v lock timeout", r.Dur, c.timeout)
				}
				first, rest, _ := strings.Cut(r.Stderr, "\n")
				m := named.FindStringSubmatch(first)
				if m == nil {
					t.Errorf("stderr does not name the holder as %s: %q", named, r.Stderr)
				} else if since, err := time.Parse(time.RFC3339, m[1]); err != nil || time.Since(since) > time.Minute || time.Since(since) < 0 {
					t.Errorf("since %q: not a recent RFC 3339 time (%v)", m[1], err)
				}
				if rest != "" && !regexp.MustCompile(`^hint: [^\n]*\n$`).MatchString(rest) {
					t.Errorf("more than one hint line after the message: %q", rest)
				}
				waits = append(waits, fmt.Sprintf("%v→%v", c.timeout, r.Dur.Round(time.Millisecond)))
			}
			if r.Dur > c.timeout+5*time.Second {
				t.Errorf("waited %v for a %v lock timeout", r.Dur, c.timeout)
			}
		})
	}

	figure(t, "lock timeouts honoured (timeout→gave up after)", strings.Join(waits, ", "))

	// Readers never wait: their own lock timeout is a minute.
	slowest := time.Duration(0)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"status"}, 0},
		{[]string{"status", "-o", "json"}, 0},
		{[]string{"gate"}, 3},
		{[]string{"gate", "--phase", "one", "-o", "json"}, 3},
		{[]string{"gate", "--item", "s-003"}, 0},
		{[]string{"log"}, 0},
		{[]string{"list"}, 0},
		{[]string{"next", "--role", "qa"}, 0},
		{[]string{"audit", "verify"}, 0},
	} {
		r := w.runEnv([]string{"OCTORELEASE_LOCK_TIMEOUT=1m"}, c.args...)
		if r.Code != c.code {
			t.Errorf("exit %d, want %d while the lock is held: %s", r.Code, c.code, r)
		}
		if r.Dur > 5*time.Second {
			t.Errorf("%s took %v while the lock was held: readers must not wait", strings.Join(c.args, " "), r.Dur)
		}
		slowest = max(slowest, r.Dur)
	}
	figure(t, "slowest reader (status, gate, log, list, next, audit) while the lock was held", slowest.Round(time.Millisecond))
	if _, now := w.load(); diffTrees(before, now) != nil {
		t.Fatalf("the state changed while the lock was held: %v", diffTrees(before, now))
	}

	// Kill the holder mid-write: the lock dies with it, the next writer gets
	// in at once (the dead holder's line tells it to sweep temp files first)
	// and leaves the lock file empty; the holder's sign-off never landed.
	if err := holder.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Wait()
	r := w.run("sign", "s-001", "--role", "qa", "--lock-timeout", "2s")
	if r.Code != 0 {
		t.Fatalf("after the holder died: %s", r)
	}
	if tmp := w.tempFiles(); tmp != nil {
		t.Errorf("temp file of the killed holder not swept: %v", tmp)
	}
	if b, err := os.ReadFile(w.lockFile()); err != nil || len(b) != 0 {
		t.Errorf("lock file after the next writer: %q, %v; want it empty", b, err)
	}
	rel, _ := w.load()
	got := storetest.Signers(rel)
	if got["s-000"] != nil || len(got["s-001"]) != 1 || len(w.eventFiles()) != len(beforeEvents)+1 {
		t.Errorf("sign-offs after the kill: %v in %d event files (%d before)", got, len(w.eventFiles()), len(beforeEvents))
	}
	figure(t, "writer after the holder was killed got in after", r.Dur.Round(time.Millisecond))
}
