package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/iostreams"
	"github.com/octorelease/octorelease/internal/notify"
	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testhook"
)

const notifyChecklist = `name: tiny
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
        roles: [qa, sre]
  - id: deploy
    title: Deployment
    items:
      - id: production
        title: Deploy to production
        roles: [sre]
`

// hookServer checks the payloads it is sent and keeps them; fail makes it
// answer 500.
type hookServer struct {
	*testhook.Server
	fail bool
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	hs := &hookServer{}
	hs.Server = testhook.New(t, func(_ int64, r testhook.Request) int {
		if hs.fail {
			return http.StatusInternalServerError
		}
		var p notify.Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Errorf("payload %s: %v", r.Body, err)
		}
		if got, want := r.Header.Get(notify.SignatureHeader), notify.Sign("k3y", r.Body); got != want {
			t.Errorf("signature %q, want %q", got, want)
		}
		return http.StatusOK
	})
	return hs
}

// payloads are the payloads kept so far.
func (hs *hookServer) payloads() []notify.Payload {
	var out []notify.Payload
	for _, r := range hs.Requests() {
		var p notify.Payload
		_ = json.Unmarshal(r.Body, &p) // a payload that does not decode failed the test when it came
		out = append(out, p)
	}
	return out
}

// take returns and forgets what was received, as "event release" lines.
func (hs *hookServer) take() []string {
	out := []string{}
	for _, r := range hs.Take() {
		var p notify.Payload
		_ = json.Unmarshal(r.Body, &p) // as in payloads
		out = append(out, p.Event+" "+p.Release.ID)
	}
	return out
}

// notifyProject is a folder with a config whose webhook is url_env HOOK.
func notifyProject(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := "roles:\n  qa:\n    members: [carol]\nnotify:\n  - url_env: HOOK\n    secret_env: HOOK_SECRET\n" + extra
	for path, data := range map[string]string{".octorelease.yaml": cfg, "checklists/tiny.yaml": notifyChecklist} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runIn runs one command line in dir with a fresh Factory (as a process
// would) and returns its exit code and stderr.
func runIn(t *testing.T, dir string, env map[string]string, args ...string) (int, string) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	f := &Factory{
		IO:  ios,
		Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
		LookupEnv: func(k string) (string, bool) {
			if k == "OCTORELEASE_ACTOR" {
				return "alice", true // --as overrides
			}
			v, ok := env[k]
			return v, ok
		},
		Cwd: dir, Version: "1.2.3-test", gitEmailF: func() string { return "" },
	}
	f.notify.sender = notify.Sender{AttemptTimeout: 300 * time.Millisecond, Backoff: 10 * time.Millisecond, Limit: time.Second}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return errs.Code(err), errOut.String()
}

// TestNotifyCommands: each command sends the events of what it did, once,
// after its write.
func TestNotifyCommands(t *testing.T) {
	hs := newHookServer(t)
	dir := notifyProject(t, "")
	env := map[string]string{"HOOK": hs.URL + "/services/SECRET", "HOOK_SECRET": "k3y"}
	for _, step := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"start", "1.0.0", "--type", "tiny", "--no-walk"}, 0, []string{"waiting v1.0.0"}}, // the first items are actionable
		{[]string{"sign", "notes", "--role", "developer"}, 0, nil},                                 // was pending: no news
		{[]string{"gate", "--phase", "pre"}, errs.CodeGate, []string{"gate-blocked v1.0.0"}},
		{[]string{"gate", "--item", "notes"}, 0, nil},
		{[]string{"sign", "qa-signoff", "--role", "qa", "--as", "carol"}, 0, nil},
		{[]string{"sign", "qa-signoff", "--role", "sre"}, 0, []string{"waiting v1.0.0", "phase-complete v1.0.0"}},
		{[]string{"sign", "production", "--role", "sre"}, 0, []string{"phase-complete v1.0.0"}},
		{[]string{"status"}, 0, nil},
		{[]string{"finish"}, 0, []string{"released v1.0.0"}},
		{[]string{"incident", "-r", "v1.0.0", "--reason", "errors <b>"}, 0, []string{"incident v1.0.0", "waiting v1.0.0-incident-1"}},
		{[]string{"sign", "incident-response", "-r", "v1.0.0-incident-1", "--role", "sre"}, 0, nil},
		{[]string{"sign", "rollback", "-r", "v1.0.0-incident-1", "--role", "sre"}, 0, []string{"rolled-back v1.0.0"}},
	} {
		code, stderr := runIn(t, dir, env, step.args...)
		if code != step.code {
			t.Fatalf("%v: exit %d, want %d\n%s", step.args, code, step.code, stderr)
		}
		if strings.Contains(stderr, "warning") {
			t.Errorf("%v: %s", step.args, stderr)
		}
		if got := hs.take(); !reflect.DeepEqual(got, orEmpty(step.want)) {
			t.Errorf("%v: sent %q, want %q", step.args, got, step.want)
		}
	}
}

// TestNotifyPayloadFromCommand: what a command sends is the documented
// payload, with the injected clock and actor and the config's members.
func TestNotifyPayloadFromCommand(t *testing.T) {
	hs := newHookServer(t)
	dir := notifyProject(t, "")
	env := map[string]string{"HOOK": hs.URL, "HOOK_SECRET": "k3y"}
	if code, stderr := runIn(t, dir, env, "start", "1.0.0", "--type", "tiny", "--no-walk"); code != 0 {
		t.Fatalf("start: exit %d: %s", code, stderr)
	}
	runIn(t, dir, env, "sign", "notes", "--role", "developer")
	if code, stderr := runIn(t, dir, env, "revoke", "notes", "--role", "developer", "--reason", "typo", "--as", "bob"); code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, stderr)
	}
	payloads := hs.payloads()
	if len(payloads) != 2 { // start's waiting, then the revoke's
		t.Fatalf("payloads %+v", payloads)
	}
	got, _ := json.Marshal(payloads[1])
	want := `{"schema":"octorelease.notification/v1","event":"waiting","at":"2026-11-25T10:00:00Z","actor":"bob",` +
		`"release":{"id":"v1.0.0","version":"1.0.0","type":"tiny","status":"in-progress","commit":""},` +
		`"roles":[{"id":"developer","name":"Developer","members":[],"items":[{"id":"notes","title":"Release notes","phase":"pre"}]}]}`
	if string(got) != want {
		t.Errorf("payload\n%s\nwant\n%s", got, want)
	}
}

// TestNotifyFailureIsAWarning: a hook that fails costs one warning line
// without its URL; the command succeeds and its write stays.
func TestNotifyFailureIsAWarning(t *testing.T) {
	hs := newHookServer(t)
	hs.fail = true
	dir := notifyProject(t, "")
	env := map[string]string{"HOOK": hs.URL + "/services/SECRET", "HOOK_SECRET": "k3y"}
	runIn(t, dir, env, "start", "1.0.0", "--type", "tiny", "--no-walk")
	runIn(t, dir, env, "sign", "notes", "--role", "developer")
	runIn(t, dir, env, "sign", "qa-signoff", "--role", "qa", "--as", "carol")
	code, stderr := runIn(t, dir, env, "sign", "qa-signoff", "--role", "sre")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "octorelease: warning: webhook HOOK: waiting: HTTP 500 Internal Server Error (3 attempts) (2 events not sent)\n"
	if !strings.HasSuffix(stderr, want) || strings.Count(stderr, "warning") != 1 {
		t.Errorf("stderr %q, want it to end with %q", stderr, want)
	}
	if strings.Contains(stderr, "SECRET") || strings.Contains(stderr, strings.TrimPrefix(hs.URL, "http://")) {
		t.Errorf("the URL is shown: %q", stderr)
	}
	entries, err := os.ReadDir(filepath.Join(dir, ".octorelease", "v1.0.0", "events"))
	if err != nil || len(entries) != 4 {
		t.Errorf("events: %d, %v; want start and three sign-offs", len(entries), err)
	}
}

// TestNotifySkipped: --no-notify, an unset url_env and an unset secret_env
// send nothing; only the missing secret says so.
func TestNotifySkipped(t *testing.T) {
	hs := newHookServer(t)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		flag   []string
		stderr string
	}{
		{"no-notify", map[string]string{"HOOK": hs.URL, "HOOK_SECRET": "k3y"}, []string{"--no-notify"}, ""},
		{"url_env unset", map[string]string{"HOOK_SECRET": "k3y"}, nil, ""},
		{"url_env empty", map[string]string{"HOOK": "", "HOOK_SECRET": "k3y"}, nil, ""},
		{"secret_env unset", map[string]string{"HOOK": hs.URL}, nil,
			"octorelease: warning: webhook HOOK: secret_env HOOK_SECRET is not set; not sent unsigned\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := notifyProject(t, "")
			runIn(t, dir, tc.env, "start", "1.0.0", "--type", "tiny", "--no-walk", "--no-notify")
			runIn(t, dir, tc.env, "sign", "notes", "--role", "developer", "--no-notify")
			runIn(t, dir, tc.env, "sign", "qa-signoff", "--role", "qa", "--as", "carol", "--no-notify")
			code, stderr := runIn(t, dir, tc.env, append(tc.flag, "sign", "qa-signoff", "--role", "sre")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := hs.take(); len(got) != 0 {
				t.Errorf("sent %q", got)
			}
			if _, warning, _ := strings.Cut(stderr, "octorelease: warning"); "octorelease: warning"+warning != tc.stderr && (warning != "" || tc.stderr != "") {
				t.Errorf("stderr %q, want it to end with %q", stderr, tc.stderr)
			}
		})
	}
}

// TestNotifyOneComparisonPerCommand: several writes of one command (walk
// signs item after item) are compared as a whole: an item that became
// actionable and was signed within the command is no news.
func TestNotifyOneComparisonPerCommand(t *testing.T) {
	hs := newHookServer(t)
	dir := notifyProject(t, "")
	env := map[string]string{"HOOK": hs.URL, "HOOK_SECRET": "k3y"}
	runIn(t, dir, env, "start", "1.0.0", "--type", "tiny", "--no-walk")
	runIn(t, dir, env, "sign", "notes", "--role", "developer")
	runIn(t, dir, env, "sign", "qa-signoff", "--role", "qa", "--as", "carol")
	hs.take() // start's waiting
	f, _, _ := testFactory(t)
	f.Cwd, f.LookupEnv = dir, func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, item := range []string{"qa-signoff", "production"} {
		if _, err := f.Update(func(r *release.Release) error {
			return r.Sign(release.SignRequest{Items: []string{item}, Role: "sre", Actor: "alice", At: f.Now()}, f.policy())
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got := hs.take(); len(got) != 0 {
		t.Fatalf("sent before the command ended: %q", got)
	}
	f.notifyAfter()
	if got, want := hs.take(), []string{"phase-complete v1.0.0", "phase-complete v1.0.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	f.notifyAfter()
	if got := hs.take(); len(got) != 0 {
		t.Errorf("sent twice: %q", got)
	}
}

// TestNotifyFormats: on filters, and a slack hook gets the escaped message.
func TestNotifyFormats(t *testing.T) {
	srv := testhook.New(t, nil)
	dir := notifyProject(t, "  - url_env: SLACK\n    format: slack\n    on: [gate-blocked]\n")
	env := map[string]string{"SLACK": srv.URL}
	runIn(t, dir, env, "start", "1.0.0", "--type", "tiny", "--no-walk")
	runIn(t, dir, env, "sign", "notes", "--role", "developer")
	if code, stderr := runIn(t, dir, env, "gate"); code != errs.CodeGate || strings.Contains(stderr, "warning") {
		t.Fatalf("gate: exit %d, %s", code, stderr)
	}
	bodies := srv.Bodies()
	if len(bodies) != 1 {
		t.Fatalf("bodies %q", bodies)
	}
	var msg notify.SlackMessage
	if err := json.NewDecoder(bytes.NewReader([]byte(bodies[0]))).Decode(&msg); err != nil {
		t.Fatal(err)
	}
	if want := "• `qa-signoff` QA &lt;script&gt;&amp;: unsigned (waiting on qa, sre)"; !strings.Contains(msg.Blocks[1].Text.Text, want) {
		t.Errorf("slack text %q lacks %q", msg.Blocks[1].Text.Text, want)
	}
}
