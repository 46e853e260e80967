package teamtest

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/testdoc"
)

// eventFiles lists the event files of release id in the clone, sorted.
func (c *clone) eventFiles(id string) []string {
	c.tm.t.Helper()
	entries, err := os.ReadDir(filepath.Join(c.dir, ".octorelease", id, "events"))
	if err != nil {
		c.tm.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// TestAuditSince: after history is pushed, `audit verify --all --since
// BASE` refuses a commit that edits or deletes a recorded state file,
// naming it, and accepts one that only adds events. Deleting the newest
// event leaves a consistent DAG, which only --since can notice.
func TestAuditSince(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, nil)
	a := tm.clone("a", "a@example.com", rebase)
	a.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
	a.ok("sign", "acceptance-criteria", "--as", "dave@example.com", "--note", "merged")
	a.ok("sign", "ci-security-scans", "--as", "sam@example.com")
	a.ok("start", "1.5.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
	a.commitState("history")
	a.push()
	base := a.head()
	a.want(0, "audit", "verify", "--all", "--since", base)
	reset := func() {
		t.Helper()
		a.mustGit("reset", "-q", "--hard", base)
	}
	since := func(code int, what, name string) {
		t.Helper()
		r := a.want(code, "audit", "verify", "--all", "--since", base)
		if name != "" && !strings.Contains(r.Stdout+r.Stderr, name) {
			t.Errorf("%s: audit verify --since does not name %s:\n%s", what, name, r)
		}
		t.Logf("%s: audit verify --all --since base exits %d", what, r.Code)
	}
	var signFile, headFile string
	for _, n := range a.eventFiles("v1.4.0") {
		if strings.Contains(n, "acceptance-criteria") {
			signFile = n
		}
		if strings.Contains(n, "ci-security-scans") {
			headFile = n
		}
	}
	if signFile == "" || headFile == "" {
		t.Fatalf("event files not found: %v", a.eventFiles("v1.4.0"))
	}
	events := filepath.Join(a.dir, ".octorelease", "v1.4.0", "events")

	// (a) an event file edited and committed.
	p := filepath.Join(events, signFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `"merged"`, `"merged (edited)"`, 1)
	if edited == string(data) {
		t.Fatalf("no note to edit in %s:\n%s", signFile, data)
	}
	writeFile(t, p, edited)
	a.mustGit("commit", "-q", "-am", "edit an event")
	since(1, "edited event", signFile)
	reset()

	// (a') the header edited.
	hp := filepath.Join(a.dir, ".octorelease", "v1.4.0", "release.json")
	hdr, err := os.ReadFile(hp)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, hp, strings.Replace(string(hdr), `"rm@example.com"`, `"eve@example.com"`, 1))
	a.mustGit("commit", "-q", "-am", "edit a header")
	since(1, "edited header", "v1.4.0/release.json")
	reset()

	// (b) the newest event deleted: nothing names it as a parent, so the
	// rest is consistent and only --since can tell.
	a.mustGit("rm", "-q", filepath.Join(".octorelease", "v1.4.0", "events", headFile))
	a.mustGit("commit", "-q", "-m", "delete an event")
	plain := a.run("audit", "verify", "--all")
	t.Logf("deleted newest event: audit verify --all without --since exits %d", plain.Code)
	since(1, "deleted event", headFile)
	reset()

	// (b') a whole release deleted.
	a.mustGit("rm", "-q", "-r", filepath.Join(".octorelease", "v1.5.0"))
	a.mustGit("commit", "-q", "-m", "delete a release")
	since(1, "deleted release", "v1.5.0/release.json")
	reset()

	// (c) only new events and a new release added.
	a.ok("sign", "qa-signoff", "-r", "v1.4.0", "--as", "quinn@example.com")
	a.ok("sign", "acceptance-criteria", "-r", "v1.5.0", "--as", "dave@example.com")
	a.ok("start", "1.6.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
	a.commitState("more history")
	since(0, "only additions", "")
	a.want(0, "audit", "verify", "-r", "v1.4.0", "--since", base)
}

// fixtureRelease is the part of a format-1 file the migration must keep.
type fixtureRelease struct {
	Release struct {
		ID string `json:"id"`
	} `json:"release"`
	Events []map[string]any `json:"events"`
}

type listRow struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Parent string `json:"parent"`
}

// TestMigrateFixture: the checked-in format-1 state (internal/legacy/
// testdata/state) committed as a team had it. Before migrating, reads work
// and a write exits 2 saying to migrate, writing nothing; migrate converts
// it; afterwards the audit passes, every old event keeps its actor, time,
// note, reason, evidence and check result, list shows the same statuses,
// and new sign-offs are recorded.
func TestMigrateFixture(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, nil)
	a := tm.clone("a", "a@example.com", merge)
	src := moduleFile(t, "internal/legacy/testdata/state")
	state := filepath.Join(a.dir, ".octorelease")
	copyTree(t, src, state)
	a.commitState("octorelease state in format 1")

	a.ok("status", "-r", "v1.4.0")
	a.ok("status", "-r", "v1.3.0", "-o", "json")
	statusBefore := map[string]string{}
	for _, id := range []string{"v1.2.0", "v1.3.0", "v1.3.0-incident-1", "v1.4.0"} {
		statusBefore[id] = a.ok("status", "-r", id, "-o", "json").Stdout
	}
	beforeText := a.ok("list", "--all").Stdout
	before := testdoc.Decode[[]listRow](t, a.ok("list", "--all", "-o", "json"))
	if len(before) != 4 {
		t.Fatalf("list --all before migrating: %d releases, want 4:\n%s", len(before), beforeText)
	}
	snap := snapshot(t, state, nil)
	r := a.want(2, "sign", "qa-signoff", "--role", "qa", "-r", "v1.4.0", "--as", "qa@example.com")
	if !strings.Contains(r.Stderr, "migrate") {
		t.Errorf("a write to a format-1 release does not say to migrate:\n%s", r)
	}
	if d := diffSnapshots(snap, snapshot(t, state, nil)); len(d) > 0 {
		t.Errorf("the refused sign changed the state folder: %v", d)
	}

	a.ok("migrate")
	a.ok("audit", "verify", "--all")
	after := testdoc.Decode[[]listRow](t, a.ok("list", "--all", "-o", "json"))
	if !reflect.DeepEqual(before, after) {
		t.Errorf("list --all changed in the migration:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := a.ok("list", "--all").Stdout; got != beforeText {
		t.Errorf("list --all text changed in the migration:\nbefore:\n%s\nafter:\n%s", beforeText, got)
	}

	kept := 0
	for _, f := range []string{"v1.2.0.json", "v1.3.0.json", "v1.3.0-incident-1.json", "v1.4.0.json"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		var fx fixtureRelease
		if err := json.Unmarshal(data, &fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id := fx.Release.ID
		if got := a.ok("status", "-r", id, "-o", "json").Stdout; got != statusBefore[id] {
			t.Errorf("%s: status -o json changed in the migration:\nbefore:\n%s\nafter:\n%s", id, statusBefore[id], got)
		}
		var hdr struct {
			Migrated struct {
				FinalHash string `json:"final_hash"`
			} `json:"migrated"`
		}
		if data, err := os.ReadFile(filepath.Join(state, id, "release.json")); err != nil || json.Unmarshal(data, &hdr) != nil {
			t.Errorf("%s: migrated header unreadable: %v", id, err)
		} else if last := fx.Events[len(fx.Events)-1]["hash"]; hdr.Migrated.FinalHash != last {
			t.Errorf("%s: migrated header records final hash %q, the format-1 chain ends at %v", id, hdr.Migrated.FinalHash, last)
		}
		logged := testdoc.Decode[[]map[string]any](t, a.ok("log", "-r", id, "-o", "json"))
		if len(logged) != len(fx.Events) {
			t.Errorf("%s: log has %d events, the format-1 file %d", id, len(logged), len(fx.Events))
			continue
		}
		for i, old := range fx.Events {
			if sameEvent(t, id, old, logged[i]) {
				kept++
			}
		}
	}
	t.Logf("migrated fixture: %d old events kept with every field", kept)

	// Writes work now, and the result is what a team commits and shares.
	a.ok("sign", "qa-signoff", "--role", "qa", "-r", "v1.4.0", "--as", "qa@example.com", "--note", "after migrate")
	_, st := a.status("v1.4.0")
	lostSignoffs(t, a.name, st, []signRecord{
		{"acceptance-criteria", "developer", "dev@example.com"},
		{"qa-signoff", "qa", "qa@example.com"},
	})
	a.mustGit("add", "-A", ".octorelease")
	a.mustGit("commit", "-q", "-m", "octorelease: state format 2")
	a.push()
	fresh := tm.clone("fresh", "ci@example.com", merge)
	fresh.ok("audit", "verify", "--all")
	if got := testdoc.Decode[[]listRow](t, fresh.ok("list", "--all", "-o", "json")); len(got) != 4 {
		t.Errorf("fresh clone after migrating: list --all shows %d releases, want 4", len(got))
	}
	if _, err := os.Lstat(filepath.Join(fresh.dir, ".octorelease", "v1.4.0.json")); err == nil {
		t.Errorf("the format-1 file v1.4.0.json is still committed after migrate")
	}
}

// sameEvent compares a format-1 event with the migrated one in `log -o
// json`: every field but the chain's (seq, prev, hash) must be kept.
func sameEvent(t *testing.T, id string, old, now map[string]any) bool {
	t.Helper()
	ok := true
	for k, v := range old {
		switch k {
		case "seq", "prev", "hash":
			continue
		case "at":
			ot, err1 := time.Parse(time.RFC3339Nano, v.(string))
			s, _ := now[k].(string)
			nt, err2 := time.Parse(time.RFC3339Nano, s)
			if err1 != nil || err2 != nil || !ot.Equal(nt) {
				t.Errorf("%s event %v (%v): at %v became %v", id, old["seq"], old["kind"], v, now[k])
				ok = false
			}
			continue
		}
		if !reflect.DeepEqual(v, now[k]) {
			t.Errorf("%s event %v (%v): %s %#v became %#v", id, old["seq"], old["kind"], k, v, now[k])
			ok = false
		}
	}
	return ok
}

// copyTree copies the regular files and folders under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
