package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCheckID: whatever id is accepted names a folder (or, in format 1,
// a file) directly inside the state folder and cannot match another
// release's temp-file pattern.
func FuzzCheckID(f *testing.F) {
	for _, seed := range []string{
		"v1.4.0", "v1.4.0-incident-3", "v1.4.0-rc.1", "../x", "/etc/passwd", "a/b", "a\x00b",
		"v1.json.tmp-1", "v1.0.0-a.json.tmp-1", "..", ".", "", "v1.4.0+meta", `v1\\x`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if checkID(id) != nil {
			return
		}
		dir := filepath.Join("state", "dir")
		for _, name := range []string{id, id + ".json"} {
			if p := filepath.Join(dir, name); filepath.Dir(p) != dir || filepath.Base(p) != name {
				t.Fatalf("accepted id %q escapes the folder: %s", id, p)
			}
		}
		if strings.ContainsAny(id, "/\\\x00") || strings.HasPrefix(id, ".") || len(id) > maxIDLen {
			t.Fatalf("accepted id %q", id)
		}
		if strings.Contains(strings.ToLower(id), ".json") {
			t.Fatalf("accepted id %q could match another release's temp files", id)
		}
	})
}
