package notify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/notify"
	"github.com/octorelease/octorelease/internal/testbin"
	"github.com/octorelease/octorelease/internal/testhook"
)

// The end-to-end tests run the real binary, built once from this module,
// against webhook receivers on 127.0.0.1.

var builds *testbin.Builds

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, "notify", func(b *testbin.Builds) error { builds = b; return nil }))
}

func octorelease(t *testing.T) string { return builds.Binary(t, "") }

const tinyChecklist = `name: tiny
description: two phases
phases:
  - id: pre
    title: Pre-release
    items:
      - id: notes
        title: Release notes
        roles: [developer]
      - id: qa-signoff
        title: QA <script>&
        roles: [qa]
  - id: deploy
    title: Deployment
    items:
      - id: production
        title: Deploy to production
        roles: [sre]
`

// project is a folder with the tiny checklist and a config with the given
// notify list; env is the environment its commands run with.
type project struct {
	t   *testing.T
	dir string
	env []string
}

func newProject(t *testing.T, notifyYAML string, env ...string) *project {
	t.Helper()
	dir := t.TempDir()
	for path, data := range map[string]string{
		".octorelease.yaml":    "notify:\n" + notifyYAML,
		"checklists/tiny.yaml": tinyChecklist,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	base := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "PATH=" + os.Getenv("PATH"), "NO_COLOR=1",
		"OCTORELEASE_ACTOR=alice", "GIT_CONFIG_NOSYSTEM=1", "GIT_CEILING_DIRECTORIES=" + filepath.Dir(dir)}
	return &project{t: t, dir: dir, env: append(base, env...)}
}

// run runs the binary and returns its exit code, stderr and how long it
// took.
func (p *project) run(args ...string) (int, string, time.Duration) {
	p.t.Helper()
	cmd := exec.Command(octorelease(p.t), args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String(), d
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String(), d
	}
	p.t.Fatalf("%v: %v", args, err)
	return 0, "", 0
}

func (p *project) must(args ...string) {
	p.t.Helper()
	if code, stderr, _ := p.run(args...); code != 0 {
		p.t.Fatalf("%v: exit %d\n%s", args, code, stderr)
	}
}

// newReceiver checks each request's signature (when secret is set) and
// payload, and keeps the requests whose signature holds.
func newReceiver(t *testing.T, secret string) *testhook.Server {
	t.Helper()
	return testhook.New(t, func(_ int64, r testhook.Request) int {
		if secret != "" && r.Header.Get(notify.SignatureHeader) != notify.Sign(secret, r.Body) {
			t.Errorf("bad signature %q on %s", r.Header.Get(notify.SignatureHeader), r.Body)
			return http.StatusUnauthorized
		}
		var p notify.Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Errorf("%s: %v", r.Body, err)
		}
		return http.StatusOK
	})
}

// take returns and forgets what rc kept, as "event release" lines.
func take(rc *testhook.Server) []string {
	out := []string{}
	for _, r := range rc.Take() {
		var p notify.Payload
		_ = json.Unmarshal(r.Body, &p) // a body that does not decode failed the test when it came
		out = append(out, p.Event+" "+p.Release.ID)
	}
	return out
}

// TestBinaryNotifies: a release's life through the binary sends each
// event once, signed, to a JSON hook, and the gate's to a Slack hook.
func TestBinaryNotifies(t *testing.T) {
	t.Parallel()
	js := newReceiver(t, "k3y")
	slack := testhook.New(t, nil)
	p := newProject(t, "  - url_env: OCTORELEASE_TEST_HOOK\n    secret_env: OCTORELEASE_TEST_SECRET\n"+
		"  - url_env: OCTORELEASE_TEST_SLACK\n    format: slack\n    on: [gate-blocked]\n",
		"OCTORELEASE_TEST_HOOK="+js.URL+"/hooks/SECRETPATH", "OCTORELEASE_TEST_SECRET=k3y", "OCTORELEASE_TEST_SLACK="+slack.URL)
	steps := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"start", "1.0.0", "--type", "tiny", "--no-walk"}, 0, []string{"waiting v1.0.0"}},
		{[]string{"gate", "--phase", "pre", "-o", "json"}, 3, []string{"gate-blocked v1.0.0"}},
		{[]string{"sign", "notes", "--role", "developer"}, 0, nil},
		{[]string{"sign", "qa-signoff", "--role", "qa"}, 0, []string{"waiting v1.0.0", "phase-complete v1.0.0"}},
		{[]string{"sign", "production", "--role", "sre"}, 0, []string{"phase-complete v1.0.0"}},
		{[]string{"finish"}, 0, []string{"released v1.0.0"}},
		{[]string{"incident", "-r", "v1.0.0", "--reason", "errors"}, 0, []string{"incident v1.0.0", "waiting v1.0.0-incident-1"}},
		{[]string{"sign", "rollback", "-r", "v1.0.0-incident-1", "--role", "sre"}, 0, []string{"rolled-back v1.0.0"}},
		{[]string{"--no-notify", "revoke", "production", "-r", "v1.0.0", "--role", "sre", "--reason", "x"}, 4, nil},
	}
	for _, s := range steps {
		code, stderr, _ := p.run(s.args...)
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d\n%s", s.args, code, s.code, stderr)
		}
		if strings.Contains(stderr, "warning") {
			t.Errorf("%v: %s", s.args, stderr)
		}
		if got := take(js); !reflect.DeepEqual(got, append([]string{}, s.want...)) {
			t.Errorf("%v: sent %q, want %q", s.args, got, s.want)
		}
	}
	if slackBodies := slack.Bodies(); len(slackBodies) != 1 || !strings.Contains(slackBodies[0], "QA &lt;script&gt;&amp;: unsigned") {
		t.Errorf("slack bodies %q", slackBodies)
	}
}

// failing runs one write that has events against a hook at url and
// checks that the command succeeds, records its write and prints the one
// warning line want, within max.
func failing(t *testing.T, url, want string, max time.Duration) {
	t.Helper()
	p := newProject(t, "  - url_env: OCTORELEASE_TEST_HOOK\n", "OCTORELEASE_TEST_HOOK="+url)
	p.must("--no-notify", "start", "1.0.0", "--type", "tiny", "--no-walk")
	p.must("--no-notify", "sign", "notes", "--role", "developer")
	code, stderr, took := p.run("sign", "qa-signoff", "--role", "qa")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; last != want || strings.Count(stderr, "warning") != 1 {
		t.Errorf("stderr:\n%s\nwant last line %q", stderr, want)
	}
	if u := strings.TrimPrefix(url, "http://"); strings.Contains(stderr, u) || strings.Contains(stderr, "127.0.0.1") {
		t.Errorf("the URL is shown: %s", stderr)
	}
	if took > max {
		t.Errorf("took %s, want at most %s", took, max)
	}
	code, stderr, _ = p.run("--no-notify", "gate", "--phase", "pre")
	if code != 0 {
		t.Errorf("the write is lost: gate exit %d\n%s", code, stderr)
	}
}

func TestBinaryHook500(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	failing(t, srv.URL+"/SECRETPATH",
		"octorelease: warning: webhook OCTORELEASE_TEST_HOOK: waiting: HTTP 500 Internal Server Error (3 attempts) (2 events not sent)", 5*time.Second)
}

func TestBinaryHookRefused(t *testing.T) {
	t.Parallel()
	failing(t, testhook.Refused(t)+"/SECRETPATH", "octorelease: warning: webhook OCTORELEASE_TEST_HOOK: waiting: connection refused (3 attempts) (2 events not sent)", 5*time.Second)
}

func TestBinaryHookRedirect(t *testing.T) {
	t.Parallel()
	other := newReceiver(t, "")
	srv := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	failing(t, srv.URL+"/SECRETPATH", "octorelease: warning: webhook OCTORELEASE_TEST_HOOK: waiting: HTTP 307 Temporary Redirect: "+
		"redirects are not followed; set the variable to the URL that answers (2 events not sent)", 5*time.Second)
	if got := take(other); len(got) != 0 {
		t.Errorf("the redirect was followed: %q", got)
	}
}

// TestBinaryHookNeverAnswers: a receiver that accepts and never answers
// costs the 10 s limit, not more; the command still succeeds.
func TestBinaryHookNeverAnswers(t *testing.T) {
	t.Parallel()
	url, stop := testhook.Silent(t)
	defer stop()
	failing(t, url+"/SECRETPATH", "octorelease: warning: webhook OCTORELEASE_TEST_HOOK: waiting: "+
		"no answer within 5s; stopped at the 10s limit (2 events not sent)", notify.Limit+3*time.Second)
}

// TestBinaryNotSent: --no-notify and an unset url_env send nothing and
// say nothing.
func TestBinaryNotSent(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "")
	for _, tc := range []struct {
		name string
		env  []string
		flag []string
	}{
		{"no-notify", []string{"OCTORELEASE_TEST_HOOK=" + rc.URL}, []string{"--no-notify"}},
		{"unset", nil, nil},
	} {
		p := newProject(t, "  - url_env: OCTORELEASE_TEST_HOOK\n", tc.env...)
		p.must(append(tc.flag, "start", "1.0.0", "--type", "tiny", "--no-walk")...)
		p.must(append(tc.flag, "sign", "notes", "--role", "developer")...)
		code, stderr, _ := p.run(append(tc.flag, "sign", "qa-signoff", "--role", "qa")...)
		if code != 0 || strings.Contains(stderr, "warning") || strings.Contains(stderr, "webhook") {
			t.Errorf("%s: exit %d\n%s", tc.name, code, stderr)
		}
		if got := take(rc); len(got) != 0 {
			t.Errorf("%s: sent %q", tc.name, got)
		}
	}
}
