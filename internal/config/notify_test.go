package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseNotify(t *testing.T) {
	data := `notify:
  - url_env: OCTORELEASE_SLACK_WEBHOOK
    format: slack
    on: [waiting, released]
    secret_env: OCTORELEASE_WEBHOOK_SECRET
  - url_env: CI_HOOK
`
	f, err := Parse("c.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []NotifyHook{
		{URLEnv: "OCTORELEASE_SLACK_WEBHOOK", Format: NotifySlack, On: []string{"waiting", "released"},
			SecretEnv: "OCTORELEASE_WEBHOOK_SECRET", Line: 2},
		{URLEnv: "CI_HOOK", Format: NotifyJSON, On: NotifyEvents, Line: 6},
	}
	if !reflect.DeepEqual(f.Notify, want) {
		t.Errorf("Notify = %+v\nwant %+v", f.Notify, want)
	}
	for _, empty := range []string{"", "notify:\n", "notify: []\n"} {
		f, err := Parse("c.yaml", []byte(empty))
		if err != nil || len(f.Notify) != 0 {
			t.Errorf("%q: %v, %+v", empty, err, f)
		}
	}
}

// TestParseNotifyErrors: each mistake is named with its line and column,
// and a value that may be the secret itself is never echoed.
func TestParseNotifyErrors(t *testing.T) {
	const secretURL = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
	for _, tc := range []struct{ yaml, want string }{
		{"notify: {url_env: X}\n", "c.yaml:1:9: notify must be a list"},
		{"notify:\n  - X\n", "c.yaml:2:5: a notify entry must be a mapping"},
		{"notify:\n  - format: json\n", "c.yaml:2:5: a notify entry needs url_env"},
		{"notify:\n  - url: " + secretURL + "\n", "c.yaml:2:10: url may not be written in the config"},
		{"notify:\n  - url_env: X\n    secret: hunter2\n", "c.yaml:3:13: secret may not be written in the config"},
		{"notify:\n  - url_env: " + secretURL + "\n", "c.yaml:2:14: url_env must name an environment variable"},
		{"notify:\n  - url_env: X\n    secret_env: a-b\n", "c.yaml:3:17: secret_env must name an environment variable"},
		{"notify:\n  - url_env: X\n    format: teams\n", `c.yaml:3:13: notify.format "teams" must be json or slack`},
		{"notify:\n  - url_env: X\n    on: waiting\n", "c.yaml:3:9: notify.on must be a list of events"},
		{"notify:\n  - url_env: X\n    on: []\n", "c.yaml:3:9: notify.on lists no events"},
		{"notify:\n  - url_env: X\n    on: [waiting, shipped]\n", `c.yaml:3:19: unknown event "shipped" in notify.on`},
		{"notify:\n  - url_env: X\n    on: [waiting, waiting]\n", `c.yaml:3:19: event "waiting" is listed twice`},
		{"notify:\n  - url_env: X\n    colour: red\n", `c.yaml:3:5: unknown key "colour" in notify entry`},
		{"notify:\n  - url_env: X\n  - url_env: X\n", "c.yaml:3:5: url_env X is already used by the webhook at line 2"},
	} {
		_, err := Parse("c.yaml", []byte(tc.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want prefix %q", tc.yaml, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error echoes a secret: %v", tc.yaml, err)
		}
	}
}

func TestLoadNotify(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, FileName), "notify:\n  - url_env: HOOK\n    on: [gate-blocked]\n")
	cfg, err := Load(LoadOptions{Cwd: root, LookupEnv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := []NotifyHook{{URLEnv: "HOOK", Format: NotifyJSON, On: []string{"gate-blocked"}, Line: 2}}
	if !reflect.DeepEqual(cfg.Notify, want) {
		t.Errorf("Notify = %+v, want %+v", cfg.Notify, want)
	}
}
