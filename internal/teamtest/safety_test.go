package teamtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octorelease/octorelease/internal/testdoc"
)

const victimContent = "precious: do not touch\n"

// TestSymlinksCommittedIntoStateFolder: an attacker commits symbolic links
// into the state folder, aimed at files of the victim's clone outside it
// (existing ones, to be truncated or written, and missing ones, to be
// created). The victim pulls and writes: the write fails or succeeds, but
// no file outside the state folder is created or changed (SPEC §6).
func TestSymlinksCommittedIntoStateFolder(t *testing.T) {
	t.Parallel()
	link := func(t *testing.T, dir, target, at string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(at))
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	const rel = ".octorelease/v1.4.0"
	cases := []struct {
		name   string
		attack func(t *testing.T, mal *clone)
		write  []string // the victim's command
	}{
		{"lock to an existing file", func(t *testing.T, mal *clone) {
			link(t, mal.dir, "../../victim.txt", rel+"/.lock")
		}, nil},
		{"lock to a missing file", func(t *testing.T, mal *clone) {
			link(t, mal.dir, "../../pwned-by-lock.txt", rel+"/.lock")
		}, nil},
		{"event files", func(t *testing.T, mal *clone) {
			link(t, mal.dir, "../../../victim.txt", rel+"/events/20260101T000000.000000000Z-sign-qa-signoff-qa-0123456789abcdef.json")
			link(t, mal.dir, "../../../pwned-by-event.txt", rel+"/events/20260101T000000.000000001Z-sign-capacity-sre-fedcba9876543210.json")
		}, nil},
		{"events folder", func(t *testing.T, mal *clone) {
			// The real events moved outside the state folder, and the
			// events folder a link to them.
			copyTree(t, filepath.Join(mal.dir, rel, "events"), filepath.Join(mal.dir, "outside", "events"))
			link(t, mal.dir, "../../outside/events", rel+"/events")
		}, nil},
		{"release folder", func(t *testing.T, mal *clone) {
			copyTree(t, filepath.Join(mal.dir, rel), filepath.Join(mal.dir, "outside", "v1.4.0"))
			link(t, mal.dir, "../outside/v1.4.0", rel)
		}, nil},
		{"state files of start", func(t *testing.T, mal *clone) {
			// start writes .gitignore, .gitattributes and an index marker
			// when they are missing; here each is a link out.
			link(t, mal.dir, "../pwned-gitignore.txt", ".octorelease/.gitignore")
			link(t, mal.dir, "../victim.txt", ".octorelease/.gitattributes")
			if err := os.MkdirAll(filepath.Join(mal.dir, "outside", "index"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(mal.dir, "outside", "index", "keep"), "x\n")
			link(t, mal.dir, "../outside/index", ".octorelease/.index")
		}, []string{"start", "1.5.0", "--type", "minor", "--no-walk", "--as", "rm@example.com"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tm := newTeam(t, map[string]string{"victim.txt": victimContent, "src/app.go": "package app\n"})
			mal := tm.clone("mallory", "mallory@example.com", merge)
			vic := tm.clone("victim", "victim@example.com", merge)
			mal.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
			mal.commitState("start v1.4.0")
			mal.push()
			vic.pull(vic.mode)
			// The victim has written before, so has a lock file of its own
			// (ignored by git, which a checkout may replace).
			vic.ok("sign", "acceptance-criteria", "--as", "dave@example.com")
			vic.commitState("sign acceptance-criteria")
			vic.push()

			mal.pull(mal.mode)
			tc.attack(t, mal)
			mal.mustGit("add", "-A", "-f", ".")
			mal.mustGit("commit", "-q", "-m", "innocent-looking change")
			mal.push()
			vic.pull(vic.mode)
			if n := tm.conflicts.Load(); n != 0 {
				t.Fatalf("%d git conflicts", n)
			}

			victim := filepath.Join(vic.dir, "victim.txt")
			state := filepath.Join(vic.dir, ".octorelease")
			skip := func(p string) bool { return p == "victim/.octorelease" || strings.HasPrefix(p, "victim/.octorelease/") }
			before := snapshot(t, tm.root, skip)
			write := tc.write
			if write == nil {
				write = []string{"sign", "ci-security-scans", "--as", "sam@example.com"}
			}
			r := vic.run(write...)
			after := snapshot(t, tm.root, skip)
			if d := diffSnapshots(before, after); len(d) > 0 {
				t.Errorf("octorelease %s touched files outside the state folder: %v\n%s", strings.Join(write, " "), d, r)
			}
			if data, err := os.ReadFile(victim); err != nil || string(data) != victimContent {
				t.Errorf("victim.txt is now %q (%v)", data, err)
			}
			if out := dropWarnings(vic.mustGit("status", "--porcelain", "--untracked-files=all", "--", ".", ":!.octorelease")); out != "" {
				t.Errorf("git status outside the state folder after the write:\n%s", out)
			}
			// A write that succeeded left no symbolic link of its own in
			// the state folder.
			if r.Code == 0 {
				_ = filepath.WalkDir(state, func(p string, d os.DirEntry, err error) error {
					if err == nil && d.Type()&os.ModeSymlink != 0 {
						if target, _ := os.Readlink(p); target != "" && !committedLink(vic, p) {
							t.Errorf("a link the attacker did not commit: %s -> %s", p, target)
						}
					}
					return nil
				})
			}
			msg := strings.TrimSpace(r.Stderr)
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			t.Logf("%s: octorelease %s exits %d: %s", tc.name, write[0], r.Code, msg)
		})
	}
}

// dropWarnings drops git's warning lines (about the attacker's links).
func dropWarnings(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "warning: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// committedLink reports whether path is a symbolic link git has in HEAD.
func committedLink(c *clone, path string) bool {
	rel, err := filepath.Rel(c.dir, path)
	if err != nil {
		return false
	}
	out, err := c.git("ls-tree", "HEAD", "--", filepath.ToSlash(rel))
	return err == nil && strings.HasPrefix(out, "120000 ")
}

// releaseAll signs every item of release id in order, one person
// per role, and finishes it.
func releaseAll(t *testing.T, c *clone, id string) {
	t.Helper()
	signAll(t, c, id)
	c.ok("finish", "-r", id, "--as", "rm@example.com")
}

// signAll signs every item of release id in order, one person per role.
func signAll(t *testing.T, c *clone, id string) {
	t.Helper()
	_, st := c.status(id)
	for _, p := range st.Phases {
		for _, it := range p.Items {
			for _, role := range it.PendingRoles {
				c.ok("sign", it.ID, "-r", id, "--role", role, "--as", role+"@example.com")
			}
		}
	}
}

// TestConcurrentFinishAndAbort: with every item signed, the release
// manager finishes 1.4.0 on clone A while a colleague aborts it on clone B.
// After the merge one documented rule (SPEC §6) decides, alike on every
// clone; both events stay in the log.
func TestConcurrentFinishAndAbort(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, nil)
	a := tm.clone("a", "rm@example.com", merge)
	b := tm.clone("b", "jo@example.com", rebase)
	a.ok("start", "1.4.0", "--type", "minor", "--no-walk")
	signAll(t, a, "v1.4.0")
	a.commitState("v1.4.0 signed")
	a.push()
	b.pull(b.mode)
	a.ok("finish")
	a.commitState("finish v1.4.0")
	b.ok("abort", "--reason", "customer asked to wait")
	b.commitState("abort v1.4.0")
	a.push()
	b.push()
	a.pull(a.mode)
	fresh := tm.clone("fresh", "ci@example.com", merge)
	all := []*clone{a, b, fresh}
	sameOnEveryClone(t, "status -o json -r v1.4.0", all, func(c *clone) string { raw, _ := c.status("v1.4.0"); return raw })
	sameOnEveryClone(t, "list --all -o json", all, func(c *clone) string { return c.ok("list", "--all", "-o", "json").Stdout })
	_, st := a.status("v1.4.0")
	if st.Release.Status != "released" && st.Release.Status != "aborted" {
		t.Errorf("v1.4.0 is %q after a concurrent finish and abort", st.Release.Status)
	}
	statuses := 0
	for _, e := range testdoc.Decode[[]map[string]any](t, a.ok("log", "-r", "v1.4.0", "-o", "json")) {
		if e["kind"] == "status" {
			statuses++
		}
	}
	if statuses != 2 {
		t.Errorf("log has %d status events, want both (finish and abort)", statuses)
	}
	fresh.want(0, "audit", "verify", "--all")
	if n := tm.conflicts.Load(); n != 0 {
		t.Errorf("%d git conflicts", n)
	}
	t.Logf("concurrent finish and abort: v1.4.0 is %s on every clone", st.Release.Status)
}

// TestCreateSameIDOnTwoClones: two SREs open an incident on released 1.4.0
// on two clones before syncing; both runs get the id v1.4.0-incident-1 with
// different headers (reason, creator, time). The second to push finds out:
//
//   - with `octorelease sync`: it fails, naming the run's release.json, and
//     leaves the repository as it was;
//   - with plain `git pull` (merge): git reports a conflict on release.json,
//     which the state folder's .gitattributes (`release.json -merge`) keeps
//     as this side's version, valid JSON without conflict markers; status
//     of the run exits 1 saying it was created twice and listing the other
//     creation's event files.
//
// What the second SRE does then (tested below): keep the run that is
// already on origin, since others may be signing it, and drop their own:
//
//	git checkout --theirs -- .octorelease/v1.4.0-incident-1/release.json
//	octorelease status -r v1.4.0-incident-1  # now lists their own event files
//	git rm <those files>                     # the other creation's, now theirs
//	git add .octorelease && git commit --no-edit && git push
//
// (or, before anything else was recorded on it: git merge --abort, then
// git reset --keep origin/main), and re-record on the surviving run what
// theirs held (their reason, sign-offs) with `sign --note`.
func TestCreateSameIDOnTwoClones(t *testing.T) {
	t.Parallel()
	const run = "v1.4.0-incident-1"
	setup := func(t *testing.T) (tm *team, a, b *clone) {
		t.Helper()
		tm = newTeam(t, nil)
		rm := tm.clone("rm", "rm@example.com", merge)
		rm.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
		releaseAll(t, rm, "v1.4.0")
		rm.commitState("release v1.4.0")
		rm.push()
		a = tm.clone("a", "sre1@example.com", merge)
		b = tm.clone("b", "sre2@example.com", merge)
		if out := a.ok("incident", "-r", "v1.4.0", "--reason", "checkout errors at 5%").Stdout; !strings.Contains(out, run) {
			t.Fatalf("a: incident opened %q, want %s", out, run)
		}
		if out := b.ok("incident", "-r", "v1.4.0", "--reason", "latency doubled").Stdout; !strings.Contains(out, run) {
			t.Fatalf("b: incident opened %q, want %s", out, run)
		}
		return tm, a, b
	}

	t.Run("sync", func(t *testing.T) {
		t.Parallel()
		tm, a, b := setup(t)
		a.ok("sync")
		originBefore := strings.TrimSpace(tm.gitIn(tm.root, "--git-dir", tm.origin, "rev-parse", "refs/heads/main"))
		head, status := b.head(), b.mustGit("status", "--porcelain", "--untracked-files=all")
		snap := snapshot(t, b.dir, nil)
		r := b.run("sync")
		if r.Code == 0 {
			t.Fatalf("b: sync of a second creation of %s succeeded:\n%s", run, r)
		}
		if !strings.Contains(r.Stderr, run+"/release.json") {
			t.Errorf("b: sync's error does not name %s/release.json:\n%s", run, r)
		}
		if got := b.head(); got != head {
			t.Errorf("b: sync failed but moved HEAD from %.7s to %.7s (committed: %s)", head, got,
				strings.TrimSpace(b.mustGit("log", "-1", "--format=%s", got)))
		}
		if got := b.mustGit("status", "--porcelain", "--untracked-files=all"); got != status {
			t.Errorf("b: sync failed but changed git status:\nbefore:\n%s\nafter:\n%s", status, got)
		}
		if d := diffSnapshots(snap, snapshot(t, b.dir, nil)); len(d) > 0 {
			t.Errorf("b: sync failed but changed files: %v", d)
		}
		if op := b.inProgress(); op != "" {
			t.Errorf("b: sync left a %s in progress", op)
		}
		if got := strings.TrimSpace(tm.gitIn(tm.root, "--git-dir", tm.origin, "rev-parse", "refs/heads/main")); got != originBefore {
			t.Errorf("origin moved from %.7s to %.7s", originBefore, got)
		}
		t.Logf("sync of the second creation: exit %d: %s", r.Code, strings.TrimSpace(r.Stderr))
	})

	for _, mode := range []string{merge, rebase} {
		t.Run("git pull --"+mode, func(t *testing.T) {
			t.Parallel()
			pullSecondCreation(t, mode, setup)
		})
	}
}

// pullSecondCreation: b, the second to push, pulls a's creation of the
// same incident run with plain git, by merge or rebase.
func pullSecondCreation(t *testing.T, mode string, setup func(t *testing.T) (*team, *clone, *clone)) {
	const run = "v1.4.0-incident-1"
	_, a, b := setup(t)
	a.commitState("incident " + run)
	a.push()
	aFiles := a.eventFiles(run)
	b.commitState("incident " + run)
	bFiles := b.eventFiles(run)

	flag := "--no-rebase"
	if mode == rebase {
		flag = "--rebase"
	}
	out, err := b.git("pull", flag, "origin", "main")
	if err == nil {
		t.Fatalf("b: git pull %s merged two creations of %s without a conflict:\n%s", flag, run, out)
	}
	if !strings.Contains(out, "CONFLICT") || !strings.Contains(out, run+"/release.json") {
		t.Errorf("b: git pull %s failed otherwise than by a conflict on %s/release.json:\n%s", flag, run, out)
	}
	header := filepath.Join(b.dir, ".octorelease", run, "release.json")
	var hdr struct {
		Release struct {
			CreatedBy string `json:"created_by"`
		} `json:"release"`
	}
	data, err := os.ReadFile(header)
	if err != nil || !json.Valid(data) || json.Unmarshal(data, &hdr) != nil {
		t.Fatalf("b: %s/release.json after the conflict is not valid JSON (%v):\n%s", run, err, data)
	}
	checkNoConflictMarkers(t, filepath.Join(b.dir, ".octorelease"))
	// Merging, git keeps this side's header (ours); rebasing, ours is
	// origin's. The tool names the events of the other creation.
	other := aFiles
	switch hdr.Release.CreatedBy {
	case "sre2@example.com":
	case "sre1@example.com":
		other = bFiles
	default:
		t.Fatalf("b: release.json is by %q", hdr.Release.CreatedBy)
	}
	r := b.want(1, "status", "-r", run)
	if !strings.Contains(r.Stderr, "created twice") {
		t.Errorf("b: status does not say %s was created twice:\n%s", run, r)
	}
	for _, f := range other {
		if !strings.Contains(r.Stderr, f) {
			t.Errorf("b: status does not list the other creation's file %s:\n%s", f, r)
		}
	}
	t.Logf("git pull %s: release.json kept is %s's; status: exit %d: %s", flag, hdr.Release.CreatedBy, r.Code, strings.TrimSpace(r.Stderr))

	// The way out: keep the run already on origin (sre1's), drop this one.
	if mode == rebase {
		b.mustGit("rebase", "--skip") // the commit held only the second creation
	} else {
		b.mustGit("checkout", "--theirs", "--", header)
		r = b.want(1, "status", "-r", run)
		for _, f := range bFiles {
			if !strings.Contains(r.Stderr, f) {
				t.Errorf("b: with origin's header, status does not list this side's file %s:\n%s", f, r)
			}
			b.mustGit("rm", "-q", "--", filepath.Join(".octorelease", run, "events", f))
		}
		b.mustGit("add", ".octorelease")
		b.mustGit("commit", "-q", "--no-edit")
	}
	if op := b.inProgress(); op != "" {
		t.Fatalf("b: still mid-%s after resolving", op)
	}
	_, st := b.status(run)
	b.ok("audit", "verify", "--all")
	if st.Release.ID != run {
		t.Errorf("b: status after resolving shows %q", st.Release.ID)
	}
	b.ok("sign", "incident-response", "-r", run, "--as", "sre2@example.com", "--note", "latency doubled too")
	b.commitState("sign incident-response")
	b.push()
	a.pull(a.mode)
	sameOnEveryClone(t, "status -o json -r "+run, []*clone{a, b}, func(c *clone) string { raw, _ := c.status(run); return raw })
}

// checkNoConflictMarkers fails if a file under dir holds git's markers.
func checkNoConflictMarkers(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err == nil && (strings.Contains(string(data), "<<<<<<<") || strings.Contains(string(data), ">>>>>>>")) {
			t.Errorf("%s has conflict markers", p)
		}
		return nil
	})
}
