package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/octorelease/octorelease/internal/config"
)

// TestHelpConfigListsEveryKey: every scalar key is listed with its
// environment variable, and a flag is named only where one exists.
func TestHelpConfigListsEveryKey(t *testing.T) {
	f, _, _ := testFactory(t)
	root := NewRootCmd(f)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"help", "config"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, k := range config.Keys() {
		line := ""
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, k.Name+" ") {
				line = l
				break
			}
		}
		if line == "" || !strings.Contains(line, k.Env) {
			t.Errorf("key %s: line %q lacks %s", k.Name, line, k.Env)
		}
		if strings.Contains(line, "--"+k.Flag) != hasFlag(root, k.Flag) {
			t.Errorf("key %s: line %q names --%s wrongly", k.Name, line, k.Flag)
		}
	}
}

// hasFlag reports whether any command of the tree has the flag.
func hasFlag(c *cobra.Command, name string) bool {
	if c.LocalFlags().Lookup(name) != nil {
		return true
	}
	for _, sub := range c.Commands() {
		if hasFlag(sub, name) {
			return true
		}
	}
	return false
}

// TestChecklistsAndNotesDirFlags: the two path keys that had no flag now
// have one, and it wins over the default.
func TestChecklistsAndNotesDirFlags(t *testing.T) {
	f, out, _ := testFactory(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "minor.yaml"), []byte("name: minor\ndescription: Ours\nextends: base\nphases: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := NewRootCmd(f)
	root.SetArgs([]string{"checklist", "list", "--checklists", dir})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "minor.yaml")+" (overrides embedded)") {
		t.Errorf("--checklists not used:\n%s", out)
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ChecklistsDir != dir {
		t.Errorf("ChecklistsDir %q, want %q", cfg.ChecklistsDir, dir)
	}
}
