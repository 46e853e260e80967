//go:build unix

package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export and import between file backends (the PostgreSQL round trip is
// in internal/store/postgres): a byte-for-byte copy, idempotent, adding
// only what is new, refusing another release of the same id and a
// release that does not verify.
func TestExportImportFolders(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, dir, 0, "start", "1.4.0", "--type", "minor", "--no-walk", "--summary", "Search <fast> & ✓")
	mustRun(t, dir, 0, "sign", "qa-signoff", "--role", "qa", "--force", "--reason", "CTO \"approved\"", "--note", "ünï\ttab")
	mustRun(t, dir, 0, "incident", "--reason", "error rate up")

	out := mustRun(t, dir, 0, "export", "-r", "v1.4.0", "backup")
	if !strings.Contains(out, "exported 2 releases") {
		t.Errorf("export: %q", out)
	}
	sameFiles(t, filepath.Join(dir, ".octorelease"), filepath.Join(dir, "backup"))
	if out := mustRun(t, dir, 0, "export", "--all", "backup"); !strings.Contains(out, "(0 new events)") {
		t.Errorf("a second export: %q", out)
	}
	if out := mustRun(t, dir, 0, "import", "backup"); !strings.Contains(out, "(0 new events)") {
		t.Errorf("importing into the store it came from: %q", out)
	}

	other := t.TempDir()
	mustRun(t, other, 0, "import", filepath.Join(dir, "backup"))
	for _, args := range [][]string{{"status", "-r", "v1.4.0", "-o", "json"}, {"log", "-r", "v1.4.0", "-o", "json"}, {"list", "--all", "-o", "json"}} {
		if a, b := mustRun(t, dir, 0, args...), mustRun(t, other, 0, args...); a != b {
			t.Errorf("%v differs after import:\n%s\nwant\n%s", args, b, a)
		}
	}
	mustRun(t, other, 0, "audit", "verify", "--all")

	// One more event: just it is copied.
	mustRun(t, dir, 0, "sign", "incident-response", "--role", "sre", "-r", "v1.4.0-incident-1")
	if out := mustRun(t, dir, 0, "export", "--all", "backup"); !strings.Contains(out, "(1 new events)") {
		t.Errorf("exporting one more event: %q", out)
	}
	if out := mustRun(t, other, 0, "import", filepath.Join(dir, "backup")); !strings.Contains(out, "(1 new events)") {
		t.Errorf("importing one more event: %q", out)
	}
	sameFiles(t, filepath.Join(dir, ".octorelease"), filepath.Join(other, ".octorelease"))

	// Another release of the same id.
	third := t.TempDir()
	mustRun(t, third, 0, "start", "1.4.0", "--type", "minor", "--no-walk", "--summary", "another")
	if code, _, errOut := run(t, third, "import", filepath.Join(dir, "backup")); code != 1 || !strings.Contains(errOut, "headers differ") {
		t.Errorf("importing another v1.4.0: exit %d, %s", code, errOut)
	}

	// A copy that does not verify is refused whole.
	events := filepath.Join(dir, "backup", "v1.4.0", "events")
	entries, err := os.ReadDir(events)
	if err != nil || len(entries) < 2 {
		t.Fatalf("events: %v %v", entries, err)
	}
	last := filepath.Join(events, entries[len(entries)-1].Name())
	data, _ := os.ReadFile(last)
	if err := os.WriteFile(last, bytes.Replace(data, []byte(`"ci"`), []byte(`"mallory"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	fourth := t.TempDir()
	if code, _, errOut := run(t, fourth, "import", filepath.Join(dir, "backup")); code != 1 || !strings.Contains(errOut, "does not verify") {
		t.Errorf("importing a tampered copy: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(fourth, ".octorelease", "v1.4.0")); err == nil {
		t.Error("a release that does not verify was imported")
	}
	if code, _, _ := run(t, fourth, "import", "no-such-folder"); code != 2 {
		t.Errorf("importing a folder that is not there: exit %d, want 2", code)
	}
}

// sameFiles wants every release file (release.json, events/*.json) of want
// in got with the same bytes.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	n := 0
	err := filepath.Walk(want, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, path)
		if fi.IsDir() && strings.HasPrefix(fi.Name(), ".") && path != want {
			return filepath.SkipDir
		}
		if fi.IsDir() || !strings.HasSuffix(rel, ".json") || !strings.Contains(rel, string(filepath.Separator)) {
			return nil
		}
		n++
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: not the same bytes in %s (%v)", rel, got, err)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("%d release files in %s: %v", n, want, err)
	}
}
