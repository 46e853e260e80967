package notes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
)

const editedMsg = " was edited since octorelease wrote it; use --force to overwrite"

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "release-notes", "v1.4.0.md")
	if err := Write(path, []byte("# Notes\n\nBody.\n"), false); err != nil {
		t.Fatal(err)
	}
	want := "# Notes\n\nBody.\n<!-- octorelease:sha256=" + sha256Hex("# Notes\n\nBody.\n") + " -->\n"
	if got := readFile(t, path); got != want {
		t.Fatalf("file =\n%q\nwant\n%q", got, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the notes (no temporary files)", len(entries))
	}
}

func TestWriteRewritesUneditedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.4.0.md")
	if err := Write(path, []byte("first draft"), false); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("second draft\n"), false); err != nil {
		t.Fatalf("rewriting an unedited file: %v", err)
	}
	if got := readFile(t, path); !strings.HasPrefix(got, "second draft\n<!-- octorelease:sha256=") {
		t.Fatalf("file = %q", got)
	}
}

func TestWriteRefusesEditedFile(t *testing.T) {
	edits := map[string]func(string) string{
		"body changed":   func(s string) string { return strings.Replace(s, "draft", "polished", 1) },
		"marker removed": func(s string) string { return s[:strings.Index(s, "<!--")] },
		"text appended":  func(s string) string { return s + "More.\n" },
		"hash changed":   func(s string) string { return "draft\n" + markerPrefix + strings.Repeat("0", 64) + " -->\n" },
		"hand written":   func(string) string { return "# My own notes\n" },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "v1.4.0.md")
			if err := Write(path, []byte("draft\n"), false); err != nil {
				t.Fatal(err)
			}
			edited := edit(readFile(t, path))
			if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Write(path, []byte("new\n"), false)
			if err == nil || err.Error() != path+editedMsg || errs.Code(err) != errs.CodeUsage {
				t.Fatalf("Write over an edited file = %v (code %d), want %q (code 2)", err, errs.Code(err), path+editedMsg)
			}
			if got := readFile(t, path); got != edited {
				t.Fatalf("the edited file was changed to %q", got)
			}
			if err := Write(path, []byte("new\n"), true); err != nil {
				t.Fatalf("Write with force: %v", err)
			}
			if got := readFile(t, path); !strings.HasPrefix(got, "new\n<!--") {
				t.Fatalf("after force, file = %q", got)
			}
			if ed, err := Edited(path); ed || err != nil {
				t.Fatalf("Edited after force = %v, %v", ed, err)
			}
		})
	}
}

func TestStampEmptyContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.md")
	if err := Write(path, nil, false); err != nil {
		t.Fatal(err)
	}
	if ed, err := Edited(path); ed || err != nil {
		t.Fatalf("Edited(empty) = %v, %v", ed, err)
	}
	if !bytes.HasPrefix([]byte(readFile(t, path)), []byte(markerPrefix)) {
		t.Fatal("empty content should be just the marker")
	}
}

func TestWriteUnwritableFolder(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(filepath.Join(blocker, "v1.0.0.md"), []byte("x"), false)
	if err == nil || errs.Code(err) != errs.CodeRuntime {
		t.Fatalf("Write under a file = %v, want a runtime error", err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
