package teamtest

import (
	"path/filepath"
	"testing"
)

// TestSyncAuto: with sync.auto on, every write is shared with the team
// without a separate sync; a read shares nothing.
func TestSyncAuto(t *testing.T) {
	tm := newTeam(t, map[string]string{".octorelease.yaml": teamConfig("sync:\n  auto: true\n")})
	rm := tm.clone("rm", "rm@example.com", rebase)
	dev := tm.clone("dev", "dev@example.com", merge)

	rm.ok("start", "1.4.0", "--type", "minor", "--no-walk")
	if !tm.originHas(".octorelease/v1.4.0/release.json") {
		t.Fatal("start with sync.auto did not push the new release")
	}
	before := tm.gitIn(tm.origin, "rev-parse", "main")
	rm.ok("status")
	if after := tm.gitIn(tm.origin, "rev-parse", "main"); after != before {
		t.Errorf("status pushed a commit (%s -> %s)", before, after)
	}

	dev.pull(dev.mode)
	dev.ok("sign", "acceptance-criteria", "-r", "v1.4.0")
	events, err := filepath.Glob(filepath.Join(dev.dir, ".octorelease", "v1.4.0", "events", "*-sign-acceptance-criteria-developer-*.json"))
	if err != nil || len(events) != 1 {
		t.Fatalf("dev's sign-off file: %v %v", events, err)
	}
	if !tm.originHas(".octorelease/v1.4.0/events/" + filepath.Base(events[0])) {
		t.Error("sign with sync.auto did not push the sign-off")
	}
	// The release manager's next write pulls it in on the way.
	rm.ok("sign", "rollback-plan", "-r", "v1.4.0", "--as", "sre@example.com")
	_, st := rm.status("v1.4.0")
	if it := st.Item(t, "acceptance-criteria"); it.State != "done" {
		t.Errorf("after rm's auto-synced write, acceptance-criteria is %s on rm's clone", it.State)
	}
}
