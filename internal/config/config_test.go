package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// flags returns the subset of global flags that config keys bind to.
func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.String("state-dir", "", "")
	fs.Duration("lock-timeout", DefaultLockTimeout, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestLoadPrecedence: flags > env > file > defaults, and relative paths from
// the file are relative to the file, from env or flags to the working dir.
func TestLoadPrecedence(t *testing.T) {
	root := t.TempDir()
	cwd := filepath.Join(root, "sub")
	writeFile(t, filepath.Join(root, FileName), "state_dir: file-state\nlock_timeout: 3s\nchecklists: lists\n")
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		noFile      bool
		wantState   string
		wantTimeout time.Duration
	}{
		{"defaults", nil, nil, true, filepath.Join(cwd, DefaultStateDir), DefaultLockTimeout},
		{"file", nil, nil, false, filepath.Join(root, "file-state"), 3 * time.Second},
		{"env beats file", map[string]string{"OCTORELEASE_STATE_DIR": "env-state", "OCTORELEASE_LOCK_TIMEOUT": "4s"}, nil, false,
			filepath.Join(cwd, "env-state"), 4 * time.Second},
		{"flag beats env", map[string]string{"OCTORELEASE_STATE_DIR": "env-state", "OCTORELEASE_LOCK_TIMEOUT": "4s"},
			[]string{"--state-dir", "flag-state", "--lock-timeout", "5s"}, false, filepath.Join(cwd, "flag-state"), 5 * time.Second},
		{"flag beats file", nil, []string{"--state-dir", "/abs/state"}, false, "/abs/state", 3 * time.Second},
		{"empty env is unset", map[string]string{"OCTORELEASE_STATE_DIR": ""}, nil, false, filepath.Join(root, "file-state"), 3 * time.Second},
		{"unchanged flag does not beat the file", nil, []string{}, false, filepath.Join(root, "file-state"), 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := LoadOptions{Cwd: cwd, Flags: flags(t, tt.args...), LookupEnv: env(tt.env)}
			if tt.noFile {
				o.Cwd = t.TempDir()
				cwd := o.Cwd
				tt.wantState = filepath.Join(cwd, DefaultStateDir)
			}
			cfg, err := Load(o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.StateDir != tt.wantState {
				t.Errorf("StateDir = %s, want %s", cfg.StateDir, tt.wantState)
			}
			if cfg.LockTimeout != tt.wantTimeout {
				t.Errorf("LockTimeout = %s, want %s", cfg.LockTimeout, tt.wantTimeout)
			}
		})
	}
}

// TestDiscovery walks up from the working directory like git, and --config
// names a file directly.
func TestDiscovery(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", FileName), "notes_dir: notes\n")
	writeFile(t, filepath.Join(root, "a", "b", "c", "keep"), "")
	writeFile(t, filepath.Join(root, "other.yaml"), "notes_dir: elsewhere\n")
	// A directory named like the config file is not a config file.
	if err := os.MkdirAll(filepath.Join(root, "a", "b", FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cwd, config       string
		wantFile, wantNts string
	}{
		{"a", "", filepath.Join(root, "a", FileName), filepath.Join(root, "a", "notes")},
		{"a/b/c", "", filepath.Join(root, "a", FileName), filepath.Join(root, "a", "notes")},
		{"a/b/c", "../../../other.yaml", filepath.Join(root, "other.yaml"), filepath.Join(root, "elsewhere")},
		{".", "", "", filepath.Join(root, DefaultNotesDir)},
	}
	for _, tt := range tests {
		cwd := filepath.Join(root, tt.cwd)
		cfg, err := Load(LoadOptions{Cwd: cwd, ConfigPath: tt.config, LookupEnv: env(nil)})
		if err != nil {
			t.Fatalf("%s: %v", tt.cwd, err)
		}
		if tt.wantFile == "" && cfg.File != "" && !strings.HasPrefix(cfg.File, root) {
			continue // a config file above the temp dir on this machine
		}
		if filepath.Clean(cfg.File) != filepath.Clean(tt.wantFile) || cfg.NotesDir != tt.wantNts {
			t.Errorf("cwd %s config %q: File = %q NotesDir = %q; want %q, %q", tt.cwd, tt.config, cfg.File, cfg.NotesDir, tt.wantFile, tt.wantNts)
		}
	}
	if _, err := Load(LoadOptions{Cwd: root, ConfigPath: "missing.yaml", LookupEnv: env(nil)}); err == nil ||
		err.Error() != "config file missing.yaml not found" {
		t.Errorf("missing --config: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bogus: 1\n", `c.yaml:1:1: unknown key "bogus" in config; expected one of: checklists, state_dir, notes_dir, lock_timeout, roles, policy`},
		{"roles:\n  sre:\n    nmae: x\n", `c.yaml:3:5: unknown key "nmae" in role sre; expected one of: name, members`},
		{"roles:\n  Bad_Role: {}\n", `c.yaml:2:13: role id "Bad_Role" must match`},
		{"policy:\n  separation_of_duties: maybe\n", `c.yaml:2:25: separation_of_duties must be true or false`},
		{"a: &x 1\nstate_dir: *x\n", `c.yaml:1:4: anchors and aliases are not supported`},
		{"state_dir: x\nstate_dir: y\n", `c.yaml:2:1: duplicate key "state_dir" in config`},
		{"lock_timeout: -1s\n", `c.yaml:1:15: lock_timeout "-1s" is not a positive duration`},
		{"- a\n", `c.yaml:1:1: the config must be a mapping`},
	}
	for _, tt := range tests {
		_, err := Parse("c.yaml", []byte(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", tt.in, err, tt.want)
		}
	}
	// Every problem of the file, not only the first.
	_, err := Parse("c.yaml", []byte("bogus: 1\nroles:\n  sre:\n    nmae: x\nother: 2\n"))
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("want three problems, got %v", err)
	}
}

func TestRoles(t *testing.T) {
	f, err := Parse("c.yaml", []byte("roles:\n  sre:\n    name: Ops\n    members: [sally, bob@example.com]\n  dba:\n    members: [dana]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Roles: mergeRoles(f.Roles)}
	if got := strings.Join(c.RoleIDs(), ","); got != "sre,qa,security,product-manager,project-manager,developer,dba" {
		t.Errorf("RoleIDs = %s", got)
	}
	if c.RoleName("sre") != "Ops" || c.RoleName("dba") != "dba" || c.RoleName("qa") != "QA/Test Engineer" {
		t.Errorf("names: %s %s %s", c.RoleName("sre"), c.RoleName("dba"), c.RoleName("qa"))
	}
	m := c.Members()
	if len(m) != 2 || strings.Join(m["sre"], ",") != "sally,bob@example.com" || strings.Join(m["dba"], ",") != "dana" {
		t.Errorf("Members = %v", m)
	}
}

func TestLoadPolicyFromEnv(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, FileName), "policy:\n  separation_of_duties: true\n")
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"OCTORELEASE_POLICY_SEPARATION_OF_DUTIES": "false"}, false},
	} {
		cfg, err := Load(LoadOptions{Cwd: root, LookupEnv: env(tt.env)})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.SeparationOfDuties != tt.want {
			t.Errorf("env %v: SeparationOfDuties = %v, want %v", tt.env, cfg.SeparationOfDuties, tt.want)
		}
	}
	_, err := Load(LoadOptions{Cwd: root, LookupEnv: env(map[string]string{"OCTORELEASE_POLICY_SEPARATION_OF_DUTIES": "maybe"})})
	if err == nil || !strings.Contains(err.Error(), `"maybe" must be true or false`) {
		t.Errorf("invalid env value: %v", err)
	}
}
