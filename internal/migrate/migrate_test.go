package migrate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/octorelease/octorelease/internal/legacy"
	"github.com/octorelease/octorelease/internal/release"
)

const fixture = "../legacy/testdata/state"

// TestConvertKeepsEveryEvent converts each release of the format-1
// fixture and holds every old event's facts to the new one.
func TestConvertKeepsEveryEvent(t *testing.T) {
	ids, err := IDs(fixture)
	if err != nil || len(ids) < 3 {
		t.Fatalf("IDs = %v, %v", ids, err)
	}
	for _, id := range ids {
		f, err := legacy.ReadFile(Path(fixture, id))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Convert(f)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r.Migrated == nil || r.Migrated.FinalHash != legacy.FinalHash(f) || r.Migrated.Events != len(f.Events) {
			t.Errorf("%s: migration record %+v, want final hash %s", id, r.Migrated, legacy.FinalHash(f))
		}
		if len(r.Events) != len(f.Events) {
			t.Fatalf("%s: %d events, want %d", id, len(r.Events), len(f.Events))
		}
		for i, old := range f.Events {
			e := r.Events[i]
			if e.Kind != old.Kind || !e.At.Equal(old.At) || e.Actor != old.Actor || e.Role != old.Role ||
				e.Item != old.Item || e.Note != old.Note || e.Reason != old.Reason || e.Status != old.Status ||
				e.Link != old.Link || !slices.Equal(e.Evidence, old.Evidence) || (e.Check == nil) != (old.Check == nil) {
				t.Errorf("%s event %d: %+v\nfrom %+v", id, i+1, e, old)
			}
			if e.Check != nil && (e.Check.Passed != old.Check.Passed || e.Check.OutputSHA256 != old.Check.OutputSHA256) {
				t.Errorf("%s event %d: check %+v from %+v", id, i+1, e.Check, old.Check)
			}
			if e.Kind == release.EventRevoke && len(e.Revokes) != 1 {
				t.Errorf("%s event %d: a format-1 revoke must name the sign-off it withdrew, got %v", id, i+1, e.Revokes)
			}
		}
		// The converted events are a valid format-2 release.
		stored := make([]release.StoredEvent, len(r.Events))
		for i, e := range r.Events {
			stored[i] = release.StoredEvent{Name: e.FileName(), Event: e}
		}
		if _, damage := release.Assemble(r.Header, stored); damage != nil {
			t.Errorf("%s: %v", id, damage)
		}
	}
}

// TestConvertRefusesBrokenChain: migrating an edited format-1 file would
// launder the edit into fresh hashes.
func TestConvertRefusesBrokenChain(t *testing.T) {
	f, err := legacy.ReadFile(Path(fixture, "v1.3.0"))
	if err != nil {
		t.Fatal(err)
	}
	f.Events[1].Actor = "mallory@example.com"
	if _, err := Convert(f); err == nil {
		t.Fatal("an edited format-1 file was converted")
	}
}

// TestRunRemovesOldFiles: after Run, only format-2 state is left, and a
// release that failed to convert keeps its format-1 file.
func TestRunRemovesOldFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"v1.2.0.json", "v1.4.0.json"} {
		data, err := os.ReadFile(filepath.Join(fixture, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "v1.4.0.json" {
			data = append([]byte("{"), data...) // does not parse
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var created []string
	results, err := Run(dir, func(r *release.Release) error { created = append(created, r.Meta.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Err != nil || results[1].Err == nil {
		t.Fatalf("results %+v", results)
	}
	if !slices.Equal(created, []string{"v1.2.0"}) {
		t.Errorf("created %v", created)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.2.0.json")); !os.IsNotExist(err) {
		t.Errorf("migrated format-1 file still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1.4.0.json")); err != nil {
		t.Errorf("the file that failed must stay: %v", err)
	}
}
