package trusttest

import (
	"slices"
	"strings"
	"testing"
)

// TestTargetCommit (SPEC §14): a release started at commit A, signed there;
// commit B on top. status warns that HEAD moved; gate --commit B (or
// OCTORELEASE_COMMIT=B) fails with wrong-commit while gate --commit A
// passes; retarget B withdraws the sign-offs of the reset_on_retarget items
// (by signed revokes) and keeps the others; then gate --commit B lists the
// withdrawn items as unsigned, not wrong-commit, until they are signed again.
func TestTargetCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t, repoOpts{signed: true})
	a := r.head()
	r.play(preRelease, nil)
	ci := r.ci()
	if st := ci.status(); st.Release.Commit != a {
		t.Fatalf("the release targets %q, want HEAD %s", st.Release.Commit, a)
	}
	if res := ci.ok("status"); strings.Contains(res.Stderr, "moved") {
		t.Errorf("status warns before HEAD moved: %s", res)
	}
	writeFile(t, r.path("main.go"), "package main\n")
	b := r.commit("fix the checkout regression")

	if res := ci.ok("status"); !strings.Contains(res.Stderr, "HEAD ("+b[:12]+") has moved past") || !strings.Contains(res.Stderr, a[:12]) {
		t.Errorf("status must warn that HEAD moved past %s: %s", a, res)
	}
	for _, rev := range []string{b, b[:12], "HEAD"} {
		g, _ := ci.gate("--phase", "pre-release", "--commit", rev)
		if g.Passed || g.Reasons()[""] != "wrong-commit" || len(g.Blockers) != 1 {
			t.Errorf("gate --commit %s: want only wrong-commit, got %+v", rev, g)
		}
	}
	g, _ := ci.with("OCTORELEASE_COMMIT="+b).gate("--phase", "pre-release")
	if g.Passed || g.Reasons()[""] != "wrong-commit" {
		t.Errorf("OCTORELEASE_COMMIT=B gate: %+v", g)
	}
	for _, rev := range []string{a, a[:7], "HEAD~1"} {
		ci.want(0, "gate", "--phase", "pre-release", "--commit", rev)
	}
	ci.with("OCTORELEASE_COMMIT="+a).want(0, "gate", "--phase", "pre-release")

	// Retarget needs a reason; then it withdraws what vouched for A.
	r.as("rm").want(2, "retarget", b)
	r.as("rm").ok("retarget", b, "--reason", "ship the checkout fix")
	st := ci.status()
	if st.Release.Commit != b {
		t.Errorf("after retarget the release targets %s, want %s", st.Release.Commit, b)
	}
	reset := []string{"ci-security-scans", "qa-signoff", "staging-smoke-tests"}
	for _, p := range st.Phases {
		if p.ID != "pre-release" {
			continue
		}
		for _, it := range p.Items {
			want := "done"
			if slices.Contains(reset, it.ID) {
				want = "pending"
			}
			if it.State != want {
				t.Errorf("after retarget %s is %s, want %s", it.ID, it.State, want)
			}
		}
	}
	g, _ = ci.gate("--phase", "pre-release", "--commit", b)
	got := g.Reasons()
	if _, wrong := got[""]; wrong || len(got) != len(reset) {
		t.Errorf("gate --commit B after retarget: %+v", g)
	}
	for _, id := range reset {
		if got[id] != "unsigned" {
			t.Errorf("gate --commit B after retarget: %s is %q, want unsigned", id, got[id])
		}
	}
	if g, _ := ci.gate("--phase", "pre-release", "--commit", a); g.Reasons()[""] != "wrong-commit" {
		t.Errorf("gate --commit A after retarget: %+v", g)
	}
	// The retarget and its revokes are signed by the release manager.
	if docs, res := ci.audit(); res.Code != 0 {
		t.Errorf("audit verify: %s", res)
	} else {
		kinds := map[string]int{}
		for _, s := range docs[0].Signers {
			if s.Actor == "rm@example.com" && s.Verified {
				kinds[s.Kind]++
			}
		}
		if kinds["retarget"] != 1 || kinds["revoke"] != 4 { // ci-security-scans, qa-signoff, staging-smoke-tests × 2 roles
			t.Errorf("signed retarget events by rm: %v", kinds)
		}
	}

	r.as("sec").ok("sign", "ci-security-scans")
	r.as("qa").ok("sign", "qa-signoff", "staging-smoke-tests")
	r.as("sre").ok("sign", "staging-smoke-tests")
	ci.want(0, "gate", "--phase", "pre-release", "--commit", b)
	if res := ci.ok("status"); strings.Contains(res.Stderr, "moved") {
		t.Errorf("status warns after the retarget to HEAD: %s", res)
	}
}

// TestStartAtCommit: start --commit REV records REV's full SHA, not HEAD.
func TestStartAtCommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t, repoOpts{signed: true})
	a := r.head()
	b := r.commit("B")
	r.start("--commit", a[:10])
	if st := r.ci().status(); st.Release.Commit != a {
		t.Errorf("start --commit %s: the release targets %q, want %s", a[:10], st.Release.Commit, a)
	}
	if g, _ := r.ci().gate("--commit", b); g.Reasons()[""] != "wrong-commit" {
		t.Errorf("gate --commit B: %+v", g)
	}
	r.as("rm").want(2, "start", "1.5.0", "--type", "minor", "--no-walk", "--commit", "no-such-rev")
}

// teamMinor is a team's minor checklist: qa-signoff needs two testers.
const teamMinor = `name: minor
description: Incremental features and improvements, signed off by two testers
extends: base
phases:
  - id: pre-release
    title: Pre-release requirements
    items:
      - id: qa-signoff
        title: QA sign-off completed by two testers
        roles: [qa]
        reset_on_retarget: true
        approvals: {qa: 2}
`

// TestQuorum: approvals {qa: 2} needs two distinct qa members' sign-offs;
// one gives reason quorum, the same person twice is refused, a second
// person passes, and a forged second sign-off by the same person (by
// hand, with that person's own key) does not make a quorum.
func TestQuorum(t *testing.T) {
	t.Parallel()
	r := newRepo(t, repoOpts{signed: true, files: map[string]string{"checklists/minor.yaml": teamMinor}})
	r.start()
	ci := r.ci()
	g, _ := ci.gate("--item", "qa-signoff")
	if g.Reasons()["qa-signoff"] != "unsigned" {
		t.Errorf("no sign-off: %+v", g)
	}
	r.as("qa").ok("sign", "qa-signoff")
	g, _ = ci.gate("--item", "qa-signoff")
	if g.Passed || g.Reasons()["qa-signoff"] != "quorum" {
		t.Errorf("one of two qa sign-offs: want reason quorum, got %+v", g)
	}
	if it := ci.status().Item(t, "qa-signoff"); it.State != "pending" || !slices.Equal(it.PendingRoles, []string{"qa"}) {
		t.Errorf("one of two: %+v", it)
	}
	r.as("qa").want(4, "sign", "qa-signoff")
	r.as("qa").want(4, "sign", "qa-signoff", "--as", "QA@example.com") // e-mails compare case-insensitively

	// By hand: qa's second sign-off, well signed with qa's own key.
	r.forge(relID, forgedSign("qa@example.com", "qa", "qa-signoff"), "qa", "")
	if g, _ := ci.gate("--item", "qa-signoff"); g.Passed {
		t.Errorf("the same person twice makes a quorum: %+v", g)
	}

	r.as("qa2").ok("sign", "qa-signoff")
	ci.want(0, "gate", "--item", "qa-signoff")
	if it := ci.status().Item(t, "qa-signoff"); it.State != "done" {
		t.Errorf("two of two: %+v", it)
	}
	r.as("old").want(4, "sign", "qa-signoff") // a third is one too many (and old's key expired)
}

// TestEvidenceRequired: the patch checklist's production-issue item needs
// --evidence; without it the sign-off is refused and nothing is recorded.
func TestEvidenceRequired(t *testing.T) {
	t.Parallel()
	r := newRepo(t, repoOpts{signed: true})
	r.as("rm").ok("start", "1.3.1", "--type", "patch", "--no-walk")
	before := len(r.events("v1.3.1"))
	res := r.as("dev").want(4, "sign", "production-issue")
	if !strings.Contains(res.Stderr, "evidence") {
		t.Errorf("the refusal should ask for evidence: %s", res)
	}
	if n := len(r.events("v1.3.1")); n != before {
		t.Fatalf("a refused sign recorded %d events", n-before)
	}
	r.as("dev").ok("sign", "production-issue", "--evidence", "https://issues.example.com/INC-42")
	r.ci().want(0, "gate", "--item", "production-issue")
	_, e := r.find("v1.3.1", signOf("production-issue", "dev@example.com"))
	if !slices.Equal(e.Evidence, []string{"https://issues.example.com/INC-42"}) || e.Signature == "" {
		t.Errorf("the sign-off: %+v", e)
	}
}
