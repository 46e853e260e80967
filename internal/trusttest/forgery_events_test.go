package trusttest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testdoc"
)

// Forgeries found by this suite that the first version of signed events
// did not refuse (a forged retarget, check, revoke or status event, a
// back-dated event signed with an expired key): each test asserts the
// behaviour SPEC §13/§14 asks for, and fails with every broken
// expectation at once.

type bugCheck struct {
	t        *testing.T
	bug      string
	failures []string
}

func knownBug(t *testing.T, bug string) *bugCheck { return &bugCheck{t: t, bug: bug} }

func (b *bugCheck) expect(ok bool, format string, a ...any) {
	if !ok {
		b.failures = append(b.failures, fmt.Sprintf(format, a...))
	}
}

func (b *bugCheck) done() {
	b.t.Helper()
	if len(b.failures) == 0 {
		return
	}
	b.t.Error("regression: " + b.bug + "\n  " + strings.Join(b.failures, "\n  "))
}

// A forged retarget: a retarget event with none of the revokes `retarget`
// writes moves the release to the attacker's commit, and the sign-offs
// made for the old commit count for the new one. Unsigned, by a key holder
// who is no release manager, or a legitimate sign-off made concurrently
// (on another clone, not descending from the retarget): none may count
// for the new commit.
func TestForgeryForgedRetarget(t *testing.T) {
	t.Parallel()
	bug := knownBug(t, "sign-offs of reset_on_retarget items made before the current retarget count for the new commit; an unsigned retarget moves the target")
	defer bug.done()
	for _, c := range []struct{ name, signWith string }{{"unsigned", ""}, {"signed by mallory", "mallory"}} {
		r := newRepo(t, repoOpts{signed: true})
		r.play(preRelease, nil)
		b := r.commit("B: the attacker's commit")
		file := r.forge(relID, release.Event{Kind: release.EventRetarget, Actor: "mallory@example.com", Reason: "x", Commit: b}, c.signWith, "")
		g, _ := r.ci().gate("--phase", "pre-release", "--commit", b)
		bug.expect(!g.Passed, "%s retarget without revokes: gate --commit B passes (%s)", c.name, file)
		if c.signWith == "" {
			r.ci().auditNames(file) // audit does name it; gate ignores that
		}
	}

	// qa signs on another clone for commit A while the release manager
	// retargets to B: qa's event does not descend from the retarget.
	r := newRepo(t, repoOpts{signed: true})
	r.play(preRelease[:3], nil)
	parents := r.heads(relID)
	b := r.commit("B")
	r.as("rm").ok("retarget", b, "--reason", "rebuilt")
	r.forge(relID, release.Event{Kind: release.EventSign, Actor: "qa@example.com", Role: "qa", Item: "qa-signoff", Parents: parents}, "qa", "")
	g, _ := r.ci().gate("--item", "qa-signoff", "--commit", b)
	bug.expect(!g.Passed, "a qa sign-off concurrent with the retarget (made for commit A) counts for B")
}

// A forged check result: an unsigned check event that says "passed"
// turns the real, signed failure into a pass at gate time.
func TestForgeryForgedCheck(t *testing.T) {
	t.Parallel()
	bug := knownBug(t, "check events are not verified: an unsigned passing check overrides a signed failure")
	defer bug.done()
	r := newRepo(t, repoOpts{signed: true, files: map[string]string{"checklists/minor.yaml": checkedMinor, "scan-ok": ""}})
	r.play(preRelease[:2], nil)
	r.as("sec").ok("check", "ci-security-scans", "--sign")
	if err := os.Remove(r.path("scan-ok")); err != nil {
		t.Fatal(err)
	}
	r.as("sec").want(1, "check", "ci-security-scans")
	if g, _ := r.ci().gate("--item", "ci-security-scans"); g.Reasons()["ci-security-scans"] != "check-failed" {
		t.Fatalf("after the failed check: %+v", g)
	}
	file := r.forge(relID, release.Event{Kind: release.EventCheck, Actor: "ci", Item: "ci-security-scans",
		Check: &release.CheckResult{Command: "test -f scan-ok", Passed: true, OutputSHA256: emptySHA256}}, "", "")
	r.ci().auditNames(file)
	g, _ := r.ci().gate("--item", "ci-security-scans")
	bug.expect(!g.Passed && g.Reasons()["ci-security-scans"] == "check-failed", "gate after a forged passing check: %+v", g)
}

// An unsigned revoke by a non-member withdraws a signed sign-off: the
// gate fails safe, but anyone can hold any release.
func TestForgeryUnsignedRevoke(t *testing.T) {
	t.Parallel()
	bug := knownBug(t, "revokes are not verified, nor their author's membership: an unsigned revoke withdraws a signed sign-off")
	defer bug.done()
	r := signedRelease(t)
	_, dev := r.find(relID, signOf("acceptance-criteria", "dev@example.com"))
	file := r.forge(relID, release.Event{Kind: release.EventRevoke, Actor: "mallory@example.com", Role: "developer",
		Item: "acceptance-criteria", Reason: "x", Revokes: []string{dev.Hash}}, "", "")
	r.ci().auditNames(file)
	_, res := r.ci().gate("--item", "acceptance-criteria")
	bug.expect(res.Code == 0, "acceptance-criteria no longer passes after mallory's unsigned revoke")
}

// An unsigned status event: the release becomes "released" without
// finish's gate, or "aborted".
func TestForgeryUnsignedStatus(t *testing.T) {
	t.Parallel()
	bug := knownBug(t, "status events are not verified: an unsigned one marks the release released (skipping finish's gate) or aborted")
	defer bug.done()
	r := signedRelease(t)
	file := r.forge(relID, release.Event{Kind: release.EventStatus, Actor: "mallory@example.com", Status: release.StatusReleased}, "", "")
	r.ci().auditNames(file, "-r", relID)
	type releaseStatus struct {
		Release struct {
			Status string `json:"status"`
		} `json:"release"`
	}
	st := testdoc.Decode[releaseStatus](t, r.ci().ok("status", "-o", "json", "-r", relID))
	bug.expect(st.Release.Status == release.StatusInProgress, "status after an unsigned \"released\" event: %s", st.Release.Status)
}

// A key past its valid-before signs an event that claims a time inside
// the window: the event's time is the signer's word, and verification
// uses it. An event cannot be older than the events it names as parents.
func TestForgeryBackdatedExpiredKey(t *testing.T) {
	t.Parallel()
	bug := knownBug(t, "a signature is checked at the event's self-declared time: an expired key signs a backdated event and it counts")
	defer bug.done()
	r := signedRelease(t)
	file := r.forge(relID, release.Event{Kind: release.EventSign, Actor: "old@example.com", Role: "qa", Item: "qa-signoff",
		At: time.Date(2019, 12, 31, 12, 0, 0, 0, time.UTC)}, "old", "")
	g, _ := r.ci().gate("--item", "qa-signoff")
	bug.expect(!g.Passed, "gate counts old's backdated sign-off %s", file)
	_, res := r.ci().audit()
	bug.expect(res.Code == 1, "audit verify passes with old's backdated event %s", file)
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// checkedMinor is the minor checklist with the security scans run by a
// check (the file scan-ok in the work tree makes it pass).
const checkedMinor = `name: minor
description: Incremental features and improvements, scans checked by CI
extends: base
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: ci-security-scans
        title: Passing CI and security scans
        roles: [security]
        reset_on_retarget: true
        check:
          run: test -f scan-ok
`
