package trusttest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/release"
	"github.com/octorelease/octorelease/internal/testdoc"
)

// The forgeries an attacker with write access to the repository can try
// on a release whose sign-offs must be signed (SPEC §13). In each case the
// forged sign-off must not count at gate time, and audit verify must fail
// naming the file (except where the signature itself is good and only the
// membership is wrong: see notMember and memberRemoved).

// signedRelease is a signed repository with 1.4.0 started and the first
// two pre-release items signed by their members.
func signedRelease(t *testing.T) *repo {
	t.Helper()
	r := newRepo(t, repoOpts{signed: true})
	r.play(preRelease[:3], nil)
	return r
}

// notCounted asserts that, for reader a (CI with its environment) and the
// global flags, item's sign-off by `by` for role is shown but does not
// count, and that the gate of the item fails with reason.
func notCounted(t *testing.T, a *actor, item, role, by, reason string, flags ...string) testdoc.Signoff {
	t.Helper()
	g, _ := a.gate(append([]string{"--item", item}, flags...)...)
	if g.Passed || g.Reasons()[item] != reason {
		t.Errorf("gate --item %s %v: want blocker reason %q, got %+v", item, flags, reason, g)
	}
	st := testdoc.Decode[testdoc.Status](t, a.ok(append([]string{"status", "-o", "json"}, flags...)...))
	var found *testdoc.Signoff
	for _, s := range st.Item(t, item).Signoffs {
		if s.Role == role && strings.EqualFold(s.By, by) {
			found = &s
		}
	}
	if found == nil {
		t.Fatalf("status does not show %s's sign-off of %s for %s", by, item, role)
	}
	if found.Counted || found.Conflict == "" {
		t.Errorf("%s's sign-off of %s counts: %+v", by, item, *found)
	}
	return *found
}

func countEvents(r *repo) int { return len(r.events(relID)) }

// 1. dev signs qa's item as qa, with dev's own key.
func TestForgeOtherRoleWithOwnKey(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	before := countEvents(r)
	res := r.as("dev").want(4, "sign", "qa-signoff", "--as", "qa@example.com")
	if !strings.Contains(res.Stderr, "not for \"qa@example.com\"") {
		t.Errorf("the refusal should say the key is not qa's: %s", res)
	}
	r.as("dev").want(4, "sign", "qa-signoff", "--role", "qa") // as dev@: not a member
	if n := countEvents(r); n != before {
		t.Fatalf("a refused sign left %d event files", n-before)
	}

	// By hand: dev's own signed event, copied and changed to qa's sign-off
	// of qa-signoff, rehashed, renamed and signed again with dev's key.
	_, e := r.find(relID, signOf("acceptance-criteria", "dev@example.com"))
	e.Actor, e.Role, e.Item, e.At, e.Parents = "qa@example.com", "qa", "qa-signoff", time.Time{}, nil
	name := r.forge(relID, e, "dev", "")

	s := notCounted(t, r.ci(), "qa-signoff", "qa", "qa@example.com", "unverified")
	if !s.Signed || s.Verified {
		t.Errorf("forged sign-off: %+v", s)
	}
	r.ci().auditNames(name)
	r.ci().want(3, "gate", "--phase", "pre-release")
}

// 2. A signed event edited by hand: in place it is damage (the hash no
// longer matches); rehashed and renamed, its signature fails.
func TestForgeEditSignedEvent(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.as("qa").ok("sign", "qa-signoff", "--note", "tested build 41")
	r.ci().want(0, "gate", "--item", "qa-signoff")
	name, e := r.find(relID, signOf("qa-signoff", "qa@example.com"))
	path := filepath.Join(r.eventsDir(relID), name)

	// In place: note changed, hash, name and signature kept.
	orig := readFile(t, path)
	edited := strings.Replace(orig, "tested build 41", "tested build 42", 1)
	if edited == orig {
		t.Fatal("the note is not in the file")
	}
	writeFile(t, path, edited)
	res := r.ci().run("gate", "--item", "qa-signoff")
	if res.Code != 1 || !strings.Contains(res.Stderr, "damaged") {
		t.Errorf("gate on an edited event: want exit 1 (damaged), got %s", res)
	}
	// Without -r, audit verify cannot pick the only release in progress
	// when it is damaged (reported); it still exits 1 naming the file.
	if res := r.ci().run("audit", "verify"); res.Code != 1 || !strings.Contains(res.Stdout+res.Stderr, name) {
		t.Errorf("audit verify of a damaged release: %s", res)
	}
	if p := r.ci().auditNames(name, "-r", relID); !strings.Contains(p, "hash does not match") {
		t.Errorf("audit: %s", p)
	}

	// Rehashed and renamed: well-formed, but the signature is qa's over
	// the old content.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	e.Note = "tested build 42"
	e.Hash, _ = e.ComputeHash()
	renamed := r.writeEvent(relID, e)
	s := notCounted(t, r.ci(), "qa-signoff", "qa", "qa@example.com", "unverified")
	if !s.Signed || s.Verified || !strings.Contains(s.Conflict, "signature does not verify") {
		t.Errorf("rehashed sign-off: %+v", s)
	}
	if p := r.ci().auditNames(renamed); !strings.Contains(p, "bad signature") {
		t.Errorf("audit: %s", p)
	}
}

// 3. qa's real signature replayed onto a crafted qa sign-off of another
// item, and a whole signed event replayed into another release.
func TestForgeReplaySignature(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.as("qa").ok("sign", "qa-signoff")
	_, real := r.find(relID, signOf("qa-signoff", "qa@example.com"))

	e := real
	e.Item, e.At, e.Parents = "staging-smoke-tests", time.Time{}, nil
	name := r.forge(relID, e, "", real.Signature)
	s := notCounted(t, r.ci(), "staging-smoke-tests", "qa", "qa@example.com", "unverified")
	if !s.Signed || s.Verified {
		t.Errorf("replayed signature: %+v", s)
	}
	r.ci().auditNames(name)
	r.ci().want(0, "gate", "--item", "qa-signoff") // the real one still counts

	// The very same file in another release: its parents are not there.
	r.as("rm").ok("start", "1.5.0", "--type", "minor", "--no-walk")
	file := r.writeEvent("v1.5.0", real)
	res := r.ci().run("gate", "-r", "v1.5.0", "--item", "qa-signoff")
	if res.Code != 1 {
		t.Errorf("gate on a release with a foreign event: want exit 1 (damaged), got %s", res)
	}
	if p := r.ci().auditNames(file, "-r", "v1.5.0"); !strings.Contains(p, "missing") {
		t.Errorf("audit: %s", p)
	}
}

// 4. mallory has a valid key in allowed_signers but is no member of qa.
// Her signature is good, so audit verify (which checks that the history
// is intact and who signed it) passes and names her; the gate, which
// checks membership under the current config, does not count it.
func TestForgeNotMember(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.as("mallory").want(4, "sign", "qa-signoff", "--role", "qa")

	// mallory adds herself to qa, signs through the binary, and the config
	// is put back (as it is on the default branch).
	cfg := readFile(t, r.path(".octorelease.yaml"))
	writeFile(t, r.path(".octorelease.yaml"), strings.Replace(cfg, "qa@example.com,", "mallory@example.com, qa@example.com,", 1))
	r.as("mallory").ok("sign", "qa-signoff", "--role", "qa")
	r.ci().want(0, "gate", "--item", "qa-signoff")
	writeFile(t, r.path(".octorelease.yaml"), cfg)
	// And once more by hand, for staging-smoke-tests.
	name := r.forge(relID, release.Event{Kind: release.EventSign, Actor: "mallory@example.com", Role: "qa", Item: "staging-smoke-tests"}, "mallory", "")

	for _, item := range []string{"qa-signoff", "staging-smoke-tests"} {
		s := notCounted(t, r.ci(), item, "qa", "mallory@example.com", "unverified")
		if !s.Verified || s.Conflict != "not a member of the role" {
			t.Errorf("%s: %+v", item, s)
		}
	}
	docs, res := r.ci().audit()
	if res.Code != 0 {
		t.Errorf("audit verify of intact, validly signed history: %s", res)
	}
	found := false
	for _, s := range docs[0].Signers {
		if s.Event == name && s.Actor == "mallory@example.com" && s.Fingerprint == fingerprint(t, "mallory") {
			found = true
		}
	}
	if !found {
		t.Errorf("audit verify does not name %s as mallory's: %s", name, res)
	}
}

// 5. A well-formed, hashed, named and parented event with no signature.
func TestForgeUnsignedEvent(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	name := r.forge(relID, release.Event{Kind: release.EventSign, Actor: "qa@example.com", Role: "qa", Item: "qa-signoff"}, "", "")
	s := notCounted(t, r.ci(), "qa-signoff", "qa", "qa@example.com", "unverified")
	if s.Signed || s.Conflict != "not signed" {
		t.Errorf("unsigned sign-off: %+v", s)
	}
	if p := r.ci().auditNames(name); !strings.Contains(p, "signatures are required") {
		t.Errorf("audit: %s", p)
	}
	// A waiver and a revoke, unsigned, do not count either: the waiver is
	// not shown as completing the item and the revoke withdraws nothing.
	r.forge(relID, release.Event{Kind: release.EventWaive, Actor: "pj@example.com", Role: "project-manager", Item: "deployment-window", Reason: "x"}, "", "")
	_, dev := r.find(relID, signOf("acceptance-criteria", "dev@example.com"))
	rev := r.forge(relID, release.Event{Kind: release.EventRevoke, Actor: "dev@example.com", Role: "developer", Item: "acceptance-criteria", Reason: "x", Revokes: []string{dev.Hash}}, "", "")
	r.ci().auditNames(rev)
	if st := r.ci().status(); st.Item(t, "deployment-window").State == "waived" {
		t.Errorf("an unsigned waiver counts")
	}
	// (That the unsigned revoke still withdraws dev's sign-off is a bug:
	// TestKnownBugUnsignedRevoke.)
}

// 6. old's allowed_signers entry has valid-before="20200101".
func TestForgeExpiredKey(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	res := r.as("old").want(4, "sign", "qa-signoff")
	if !strings.Contains(res.Stderr, "expired") {
		t.Errorf("the refusal should say the key expired: %s", res)
	}
	name := r.forge(relID, release.Event{Kind: release.EventSign, Actor: "old@example.com", Role: "qa", Item: "qa-signoff"}, "old", "")
	s := notCounted(t, r.ci(), "qa-signoff", "qa", "old@example.com", "unverified")
	if !strings.Contains(s.Conflict, "expired") {
		t.Errorf("expired key: %+v", s)
	}
	if p := r.ci().auditNames(name); !strings.Contains(p, "expired") {
		t.Errorf("audit: %s", p)
	}
}

// 7. The attacker also edits the committed allowed_signers, listing their
// own key for qa. With the trust root taken from the default branch
// (--allowed-signers, or OCTORELEASE_ALLOWED_SIGNERS) the forgery does not
// count; with the tampered in-tree file it would. That is why CI must pass
// the trust root.
func TestForgeInTreeTrustRoot(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.commit("octorelease: 1.4.0 started")
	trusted := filepath.Join(r.root, "ci", "allowed_signers")
	writeFile(t, trusted, r.git("show", "main:.octorelease/allowed_signers")+"\n")

	r.git("switch", "-q", "-c", "attack")
	as := r.path(".octorelease/allowed_signers")
	writeFile(t, as, readFile(t, as)+signersLine(t, "qa@example.com", "dev", ""))
	r.as("dev").ok("sign", "qa-signoff", "--as", "qa@example.com") // the tampered file admits it
	name, _ := r.find(relID, signOf("qa-signoff", "qa@example.com"))
	r.commit("qa signs")

	// In-tree trust root: the forgery counts.
	r.ci().want(0, "gate", "--item", "qa-signoff")
	if _, res := r.ci().audit(); res.Code != 0 {
		t.Errorf("audit against the tampered file: %s", res)
	}

	// Trust root from outside the tree: it does not.
	notCounted(t, r.ci().with("OCTORELEASE_ALLOWED_SIGNERS="+trusted), "qa-signoff", "qa", "qa@example.com", "unverified")
	g, _ := r.ci().gate("--item", "qa-signoff", "--allowed-signers", trusted)
	if g.Passed || g.Reasons()["qa-signoff"] != "unverified" {
		t.Errorf("gate --allowed-signers: %+v", g)
	}
	r.ci().want(3, "gate", "--phase", "pre-release", "--allowed-signers", trusted)
	r.ci().auditNames(name, "--allowed-signers", trusted)
	r.ci().with("OCTORELEASE_ALLOWED_SIGNERS=" + trusted).auditNames(name)
	// And audit --since names the edit of the committed trust root.
	r.ci().auditNames("allowed_signers", "--all", "--since", "main")
}

// 7b. The same attack through the config instead: dev, whose key is
// rightly listed for dev@, adds dev@ to qa's members in the pushed
// .octorelease.yaml and signs qa-signoff as themselves. The external
// allowed_signers cannot help (the key is dev's, for dev@): the members
// are read from the tree. Taking the config from the default branch too
// (--config, with --state-dir for the tree's state) refuses it.
func TestForgeInTreeMembership(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.commit("octorelease: 1.4.0 started")
	trusted := filepath.Join(r.root, "ci")
	writeFile(t, filepath.Join(trusted, "allowed_signers"), r.git("show", "main:.octorelease/allowed_signers")+"\n")
	writeFile(t, filepath.Join(trusted, ".octorelease.yaml"), r.git("show", "main:.octorelease.yaml")+"\n")

	r.git("switch", "-q", "-c", "attack")
	cfg := readFile(t, r.path(".octorelease.yaml"))
	writeFile(t, r.path(".octorelease.yaml"), strings.Replace(cfg, "qa@example.com,", "dev@example.com, qa@example.com,", 1))
	r.as("dev").ok("sign", "qa-signoff", "--role", "qa")
	r.commit("dev signs for qa")

	outside := filepath.Join(trusted, "allowed_signers")
	// Only the trust root from outside: the forgery still counts.
	r.ci().want(0, "gate", "--item", "qa-signoff", "--allowed-signers", outside)
	// Config and trust root from outside: it does not.
	notCounted(t, r.ci().with("OCTORELEASE_ALLOWED_SIGNERS="+outside), "qa-signoff", "qa", "dev@example.com", "unverified",
		"--config", filepath.Join(trusted, ".octorelease.yaml"), "--state-dir", ".octorelease")

	// Or the pushed config turns signatures off, and an unsigned sign-off
	// by a real member's name counts, whatever the trust root. The policy
	// from the environment (which beats the file) refuses it.
	writeFile(t, r.path(".octorelease.yaml"), strings.Replace(cfg, "require_signatures: true", "require_signatures: false", 1))
	r.forge(relID, forgedSign("sec@example.com", "security", "final-security-review"), "", "")
	r.ci().want(0, "gate", "--item", "final-security-review", "--allowed-signers", outside)
	notCounted(t, r.ci().with("OCTORELEASE_ALLOWED_SIGNERS="+outside, "OCTORELEASE_POLICY_REQUIRE_SIGNATURES=true"),
		"final-security-review", "security", "sec@example.com", "unverified")
}

// 8. qa is removed from the role after signing: at gate time the sign-off
// no longer counts (membership is checked against the current config), in
// signed mode (reason unverified) and without signatures (policy-conflict).
func TestMemberRemovedAfterSigning(t *testing.T) {
	t.Parallel()
	for _, signed := range []bool{true, false} {
		r := newRepo(t, repoOpts{signed: signed})
		r.play(preRelease, nil)
		r.ci().want(0, "gate", "--phase", "pre-release")
		writeFile(t, r.path(".octorelease.yaml"), configYAML(signed, "qa"))
		reason := "policy-conflict"
		if signed {
			reason = "unverified"
		}
		for _, item := range []string{"qa-signoff", "staging-smoke-tests"} {
			s := notCounted(t, r.ci(), item, "qa", "qa@example.com", reason)
			if s.Conflict != "not a member of the role" || s.Signed != signed || s.Verified != signed {
				t.Errorf("signed=%v %s: %+v", signed, item, s)
			}
		}
		r.ci().want(3, "gate", "--phase", "pre-release")
		// History is intact and well signed: audit verify passes.
		if _, res := r.ci().audit(); res.Code != 0 {
			t.Errorf("signed=%v: audit verify: %s", signed, res)
		}
	}
}

// 9. qa's key signed the event's exact bytes, but for git's namespace (a
// commit signature, or a signing request tricked out of qa).
func TestForgeWrongNamespace(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	e := release.Event{Kind: release.EventSign, Actor: "qa@example.com", Role: "qa", Item: "qa-signoff",
		At: time.Now().UTC(), Parents: r.heads(relID)}
	e.Hash, _ = e.ComputeHash()
	msg, _ := e.Canonical()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "m"), string(msg))
	e.Signature = sshSignNamespace(t, privKey("qa"), filepath.Join(dir, "m"), "git")
	name := r.writeEvent(relID, e)
	s := notCounted(t, r.ci(), "qa-signoff", "qa", "qa@example.com", "unverified")
	if !strings.Contains(s.Conflict, "namespace") {
		t.Errorf("git-namespace signature: %+v", s)
	}
	r.ci().auditNames(name)
}

// The same person twice: a second qa sign-off by qa, forged by hand with
// qa's own key, counts once.
func TestForgeDuplicateSignoff(t *testing.T) {
	t.Parallel()
	r := signedRelease(t)
	r.as("qa").ok("sign", "staging-smoke-tests")
	r.forge(relID, release.Event{Kind: release.EventSign, Actor: "qa@example.com", Role: "qa", Item: "staging-smoke-tests"}, "qa", "")
	it := r.ci().status().Item(t, "staging-smoke-tests")
	counted := 0
	for _, s := range it.Signoffs {
		if s.Counted {
			counted++
		}
	}
	if counted != 1 || !slices.Contains(it.PendingRoles, "sre") {
		t.Errorf("staging-smoke-tests: %+v", it)
	}
}
