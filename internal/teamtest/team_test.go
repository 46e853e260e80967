package teamtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octorelease/octorelease/internal/testbin"
	"github.com/octorelease/octorelease/internal/testdoc"
)

// seeds are the interleavings TestSixClonesRandomInterleaving runs: four
// fixed ones and one new each run (logged, so a failure can be replayed
// with TEAMTEST_SEEDS=n).
func seeds(t *testing.T) []uint64 {
	if s := os.Getenv("TEAMTEST_SEEDS"); s != "" {
		var out []uint64
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("TEAMTEST_SEEDS=%q: %v", s, err)
			}
			out = append(out, n)
		}
		return out
	}
	return []uint64{1, 2, 3, 4, uint64(time.Now().UnixNano())}
}

// TestSixClonesRandomInterleaving: the release manager opens 1.4.0; six
// people on six clones sign their pre-release items in a random order,
// each committing and pushing, pulling (merge or rebase, as each person
// does) whenever the push is rejected; one of them works on a branch
// merged into main as a pull request is. Git must never conflict, no
// sign-off may be lost, and every clone must print the same status and
// gate, byte for byte.
func TestSixClonesRandomInterleaving(t *testing.T) {
	t.Parallel()
	for _, seed := range seeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			sixClones(t, seed)
		})
	}
}

func sixClones(t *testing.T, seed uint64) {
	begin := time.Now()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6f63746f72656c))
	tm := newTeam(t, map[string]string{".octorelease.yaml": teamConfig("")})
	rm := tm.clone("rm", "rm@example.com", merge)
	clones := make([]*clone, len(teamPeople))
	for i, p := range teamPeople {
		clones[i] = tm.clone(p.name, p.email, p.mode)
	}
	rm.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--summary", "Faster search")
	rm.commitState("octorelease: start v1.4.0")
	rm.push()
	for _, c := range clones {
		c.pull(c.mode)
	}

	var made []signRecord
	queues := make([][]func(), len(clones))
	for i, p := range teamPeople {
		c := clones[i]
		if p.name == "pj" {
			// The project manager signs on a branch, pushed and merged
			// into main with --no-ff, as a pull request is.
			const branch = "pj/release-notes"
			queues[i] = append(queues[i], func() {
				c.mustGit("switch", "-q", "-c", branch)
				c.ok("sign", "release-notes", "--note", fmt.Sprintf("on a branch, seed %d", seed))
				made = append(made, signRecord{"release-notes", "project-manager", c.email})
				c.commitState("pj signs release-notes")
				c.mustGit("push", "-q", "-u", "origin", branch)
			}, func() {
				c.mergePR(branch)
			})
			continue
		}
		for _, role := range p.roles {
			for _, item := range preReleaseItems[role] {
				queues[i] = append(queues[i], func() {
					if rng.IntN(3) == 0 {
						c.pull(c.mode) // sometimes up to date first, mostly not
					}
					c.ok("sign", item, "--note", fmt.Sprintf("%s, seed %d", c.name, seed))
					made = append(made, signRecord{item, role, c.email})
					c.commitState(fmt.Sprintf("%s signs %s", c.name, item))
					c.push()
				})
			}
		}
	}
	var order []int
	for i, q := range queues {
		for range q {
			order = append(order, i)
		}
	}
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	next := make([]int, len(queues))
	var names []string
	for _, i := range order {
		names = append(names, clones[i].name)
		queues[i][next[i]]()
		next[i]++
	}
	t.Logf("order: %s", strings.Join(names, " "))

	all := append([]*clone{rm}, clones...)
	for _, c := range all {
		c.pull(c.mode)
		if op := c.inProgress(); op != "" {
			t.Errorf("%s: left mid-%s", c.name, op)
		}
	}
	ci := tm.clone("ci", "ci@example.com", merge)
	all = append(all, ci)

	lost := 0
	statuses := map[*clone]string{}
	for _, c := range all {
		raw, st := c.status("")
		statuses[c] = raw
		lost += lostSignoffs(t, c.name, st, made)
	}
	sameOnEveryClone(t, "status -o json", all, func(c *clone) string { return statuses[c] })
	sameOnEveryClone(t, "gate -o json", all, func(c *clone) string { raw, _ := c.gate(""); return raw })
	ci.want(0, "gate", "--phase", "pre-release")
	ci.want(0, "audit", "verify", "--all")

	if n := tm.conflicts.Load(); n != 0 {
		t.Errorf("%d git conflicts", n)
	}
	t.Logf("seed %d: %d sign-offs on 6 clones (+rm, +fresh ci clone), git conflicts %d, sign-offs lost %d (over %d clones), "+
		"pulls: %d merge %d rebase, push retries %d, %v",
		seed, len(made), tm.conflicts.Load(), lost, len(all), tm.merges.Load(), tm.rebases.Load(), tm.retries.Load(),
		time.Since(begin).Round(time.Millisecond))
}

// mergePR merges branch into main with --no-ff, as a hosting service
// merges a pull request, and pushes main.
func (c *clone) mergePR(branch string) {
	c.tm.t.Helper()
	c.mustGit("switch", "-q", "main")
	c.pull(merge)
	c.tm.merges.Add(1)
	out, err := c.git("merge", "--no-ff", "--no-edit", "-m", "Merge pull request #1 from "+branch, branch)
	if err != nil || c.inProgress() != "" {
		c.conflict("git merge --no-ff "+branch, fmt.Sprintf("%v\n%s", err, out))
	}
	c.push()
}

// TestCherryPickOntoReleaseBranch: sign-offs committed on main, among
// other commits, are cherry-picked onto release/1.4, which has a sign-off
// of its own; the picks apply cleanly, the release branch's status shows
// every sign-off, and merging the branch back into main is clean too.
func TestCherryPickOntoReleaseBranch(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, map[string]string{"src/app.go": "package app\n"})
	dev := tm.clone("dev", "dev@example.com", rebase)
	rel := tm.clone("rel", "rel@example.com", merge)
	dev.ok("start", "1.4.0", "--type", "minor", "--no-walk")
	dev.commitState("octorelease: start v1.4.0")
	dev.push()
	dev.mustGit("push", "-q", "origin", "HEAD:refs/heads/release/1.4")

	// main: two sign-offs with a code change between them.
	dev.ok("sign", "acceptance-criteria", "--as", "dave@example.com", "--note", "on main")
	dev.commitState("sign acceptance-criteria")
	a := dev.head()
	writeFile(t, dev.dir+"/src/app.go", "package app\n\nfunc New() {}\n")
	dev.mustGit("commit", "-q", "-am", "feature on main only")
	dev.ok("sign", "ci-security-scans", "--as", "sam@example.com", "--evidence", "https://ci.example.com/run/1")
	dev.commitState("sign ci-security-scans")
	b := dev.head()
	dev.push()

	// release/1.4: a sign-off of its own, then the two picks.
	rel.mustGit("fetch", "-q", "origin")
	rel.mustGit("switch", "-q", "-c", "release/1.4", "--track", "origin/release/1.4")
	rel.ok("sign", "qa-signoff", "--as", "quinn@example.com", "--note", "on the release branch")
	rel.commitState("sign qa-signoff on release/1.4")
	for _, commit := range []string{a, b} {
		out, err := rel.git("cherry-pick", "-x", commit)
		if err != nil || rel.inProgress() != "" {
			rel.conflict("git cherry-pick "+commit[:7], fmt.Sprintf("%v\n%s", err, out))
		}
	}
	rel.push()
	if got, _ := rel.git("show", "HEAD:src/app.go"); strings.Contains(got, "New") {
		t.Errorf("the code change of main reached release/1.4 (only sign-offs were picked)")
	}
	want := []signRecord{
		{"acceptance-criteria", "developer", "dave@example.com"},
		{"ci-security-scans", "security", "sam@example.com"},
		{"qa-signoff", "qa", "quinn@example.com"},
	}
	_, st := rel.status("")
	lost := lostSignoffs(t, "release/1.4", st, want)
	rel.want(0, "audit", "verify", "--all")

	// The release branch merged back into main: the picked files are the
	// same files, so this is clean as well.
	dev.pull(dev.mode)
	dev.mustGit("fetch", "-q", "origin")
	dev.tm.merges.Add(1)
	out, err := dev.git("merge", "--no-ff", "--no-edit", "origin/release/1.4")
	if err != nil || dev.inProgress() != "" {
		dev.conflict("git merge origin/release/1.4", fmt.Sprintf("%v\n%s", err, out))
	}
	dev.push()
	_, st = dev.status("")
	lost += lostSignoffs(t, "main", st, want)
	dev.want(0, "audit", "verify", "--all")
	if n := tm.conflicts.Load(); n != 0 {
		t.Errorf("%d git conflicts", n)
	}
	t.Logf("2 cherry-picks and 1 merge back: git conflicts %d, sign-offs lost %d", tm.conflicts.Load(), lost)
}

// TestConcurrentRevokeAndSign: on clone A carol signs qa-signoff for qa and
// erin, another qa member, revokes the role's sign-off; meanwhile on clone
// B, which has seen neither, dan signs it for qa. A revoke names the
// events its writer saw (SPEC §6, an observed-remove set), so after the
// merge carol's sign-off is withdrawn and dan's counts, on every clone.
// A second revoke, made after the merge, sees dan's and withdraws it.
func TestConcurrentRevokeAndSign(t *testing.T) {
	t.Parallel()
	cfg := "roles:\n  qa:\n    members: [carol@example.com, dan@example.com, erin@example.com]\n"
	tm := newTeam(t, map[string]string{".octorelease.yaml": cfg})
	a := tm.clone("a", "a@example.com", rebase)
	b := tm.clone("b", "b@example.com", merge)
	a.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
	a.commitState("start v1.4.0")
	a.push()
	b.pull(b.mode)

	a.ok("sign", "qa-signoff", "--as", "carol@example.com", "--note", "carol's")
	a.commitState("carol signs qa-signoff")
	a.push()
	b.ok("sign", "qa-signoff", "--as", "dan@example.com", "--note", "dan's") // B has not seen carol's
	b.commitState("dan signs qa-signoff")
	a.ok("revoke", "qa-signoff", "--role", "qa", "--as", "erin@example.com", "--reason", "regression found")
	a.commitState("erin revokes qa-signoff")
	a.push()
	b.push() // rejected, pulls (merge), pushes
	a.pull(a.mode)
	fresh := tm.clone("fresh", "fresh@example.com", merge)
	all := []*clone{a, b, fresh}

	check := func(c *clone) {
		t.Helper()
		_, st := c.status("")
		it := st.Item(t, "qa-signoff")
		var by []string
		for _, s := range it.Signoffs {
			by = append(by, fmt.Sprintf("%s(counted=%v)", s.By, s.Counted))
			if s.By == "carol@example.com" {
				t.Errorf("%s: carol's revoked sign-off is still shown: %+v", c.name, s)
			}
		}
		if len(it.Signoffs) != 1 || it.Signoffs[0].By != "dan@example.com" || !it.Signoffs[0].Counted {
			t.Errorf("%s: qa-signoff sign-offs %v, want dan's alone, counted", c.name, by)
		}
		if it.State != "done" {
			t.Errorf("%s: qa-signoff is %s, want done (dan's concurrent sign-off counts)", c.name, it.State)
		}
	}
	for _, c := range all {
		check(c)
		c.want(0, "audit", "verify", "--all")
	}
	sameOnEveryClone(t, "status -o json", all, func(c *clone) string { raw, _ := c.status(""); return raw })

	// Recorded, not erased: carol's sign-off and the revoke are in the log,
	// and the revoke names carol's event only.
	log := a.ok("log", "-o", "json")
	events := testdoc.Decode[[]map[string]any](t, log)
	var carol string
	var revokes []any
	for _, e := range events {
		if e["kind"] == "sign" && e["actor"] == "carol@example.com" {
			carol, _ = e["hash"].(string)
		}
		if e["kind"] == "revoke" {
			revokes, _ = e["revokes"].([]any)
		}
	}
	if carol == "" || len(revokes) != 1 || revokes[0] != carol {
		t.Errorf("log: carol's sign %q, revoke names %v; want the revoke to name exactly carol's", carol, revokes)
	}

	// Now that erin has seen dan's sign-off, revoking again withdraws it.
	a.ok("revoke", "qa-signoff", "--role", "qa", "--as", "erin@example.com", "--reason", "still failing")
	_, st := a.status("")
	if it := st.Item(t, "qa-signoff"); len(it.Signoffs) != 0 || it.State == "done" {
		t.Errorf("after a revoke that saw it, qa-signoff still has %+v (%s)", it.Signoffs, it.State)
	}
	if n := tm.conflicts.Load(); n != 0 {
		t.Errorf("%d git conflicts", n)
	}
	t.Logf("concurrent revoke and sign: git conflicts %d, push retries %d", tm.conflicts.Load(), tm.retries.Load())
}

// TestSeparationOfDutiesAcrossClones: under separation of duties, alex
// signs staging-smoke-tests for qa on clone A and for sre on clone B before
// they sync. Each machine accepted its sign-off; the merged view counts
// one, shows the other as a separation-of-duties conflict, leaves the item
// undone and makes gate report policy-conflict, alike on both clones.
func TestSeparationOfDutiesAcrossClones(t *testing.T) {
	t.Parallel()
	cfg := "roles:\n  qa:\n    members: [alex@example.com, quinn@example.com]\n" +
		"  sre:\n    members: [alex@example.com, sam@example.com]\n" +
		"policy:\n  separation_of_duties: true\n"
	tm := newTeam(t, map[string]string{".octorelease.yaml": cfg})
	a := tm.clone("a", "a@example.com", merge)
	b := tm.clone("b", "b@example.com", rebase)
	a.ok("start", "1.4.0", "--type", "minor", "--no-walk", "--as", "rm@example.com")
	a.commitState("start v1.4.0")
	a.push()
	b.pull(b.mode)

	a.ok("sign", "staging-smoke-tests", "--role", "qa", "--as", "alex@example.com")
	a.commitState("alex signs staging-smoke-tests for qa")
	b.ok("sign", "staging-smoke-tests", "--role", "sre", "--as", "alex@example.com")
	b.commitState("alex signs staging-smoke-tests for sre")
	a.push()
	b.push() // rejected, pulls (rebase), pushes
	a.pull(a.mode)
	all := []*clone{a, b}

	for _, c := range all {
		_, st := c.status("")
		it := st.Item(t, "staging-smoke-tests")
		var counted, conflicted int
		for _, s := range it.Signoffs {
			if s.By != "alex@example.com" {
				t.Errorf("%s: unexpected sign-off %+v", c.name, s)
			}
			switch {
			case s.Counted && s.Conflict == "":
				counted++
			case !s.Counted && strings.HasPrefix(s.Conflict, "separation of duties"):
				conflicted++
			default:
				t.Errorf("%s: sign-off %+v: want counted, or not counted with a separation-of-duties conflict", c.name, s)
			}
		}
		if len(it.Signoffs) != 2 || counted != 1 || conflicted != 1 {
			t.Errorf("%s: staging-smoke-tests has %d sign-offs, %d counted, %d separation-of-duties conflicts; want 2, 1, 1: %+v",
				c.name, len(it.Signoffs), counted, conflicted, it.Signoffs)
		}
		if it.State == "done" {
			t.Errorf("%s: staging-smoke-tests is done with one person in both roles", c.name)
		}
		_, g := c.gate("")
		reason := ""
		for _, bl := range g.Blockers {
			if bl.Item == "staging-smoke-tests" {
				reason = bl.Reason
			}
		}
		if reason != "policy-conflict" {
			t.Errorf("%s: gate lists staging-smoke-tests with reason %q, want policy-conflict", c.name, reason)
		}
		if r := c.run("gate", "--item", "staging-smoke-tests"); r.Code != 3 {
			t.Errorf("%s: gate --item staging-smoke-tests: want exit 3: %s", c.name, r)
		}
	}
	sameOnEveryClone(t, "status -o json", all, func(c *clone) string { raw, _ := c.status(""); return raw })
	sameOnEveryClone(t, "gate -o json", all, func(c *clone) string { raw, _ := c.gate(""); return raw })
	if n := tm.conflicts.Load(); n != 0 {
		t.Errorf("%d git conflicts", n)
	}
}

// syncJSON is what `sync -o json` prints.
type syncJSON struct {
	Committed []string `json:"committed"`
	Commit    string   `json:"commit"`
	Pulled    int      `json:"pulled"`
	Merged    bool     `json:"merged"`
	Pushed    bool     `json:"pushed"`
	Retries   int      `json:"retries"`
	Upstream  string   `json:"upstream"`
}

// TestSixConcurrentSyncs: six people sign their items of a new release and
// all run `octorelease sync` at the same moment against one origin; three
// rounds, a release each. Every sync must exit 0, origin must hold every
// event, and no clone may be left mid-rebase or mid-merge.
func TestSixConcurrentSyncs(t *testing.T) {
	tm := newTeam(t, map[string]string{".octorelease.yaml": teamConfig(""), "src/app.go": "package app\n"})
	rm := tm.clone("rm", "rm@example.com", rebase)
	clones := make([]*clone, len(teamPeople))
	for i, p := range teamPeople {
		clones[i] = tm.clone(p.name, p.email, p.mode)
	}
	// Work in progress that sync must leave alone (and so integrate by a
	// merge rather than a rebase): dev has an unstaged change to a tracked
	// file, qa a staged new file.
	dev, qa := clones[0], clones[2]
	const wip = "package app\n\n// work in progress\n"
	writeFile(t, dev.dir+"/src/app.go", wip)
	writeFile(t, qa.dir+"/notes.txt", "staged, not committed\n")
	qa.mustGit("add", "notes.txt")
	total := 0
	for round := 1; round <= 3; round++ {
		version := fmt.Sprintf("1.%d.0", 3+round)
		id := "v" + version
		rm.ok("start", version, "--type", "minor", "--no-walk")
		rm.ok("sync")
		var made []signRecord
		for i, p := range teamPeople {
			c := clones[i]
			c.ok("sync") // brings the new release
			for _, role := range p.roles {
				items := preReleaseItems[role]
				c.ok(append([]string{"sign", "-r", id, "--note", "round " + strconv.Itoa(round)}, items...)...)
				for _, it := range items {
					made = append(made, signRecord{it, role, c.email})
				}
			}
		}

		results := make([]result, len(clones))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		begin := time.Now()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range clones {
			cmd := c.command(ctx, "sync", "-o", "json")
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = testbin.Run(cmd)
			}()
		}
		close(start)
		wg.Wait()
		cancel()
		elapsed := time.Since(begin)

		retries, committed, missing, merged := 0, 0, 0, 0
		for i, c := range clones {
			r := results[i]
			checkNoPanic(t, c.name, r)
			if r.Code != 0 {
				t.Errorf("round %d: %s: %s", round, c.name, r)
				continue
			}
			s := testdoc.Decode[syncJSON](t, r)
			retries += s.Retries
			if s.Merged {
				merged++
			}
			committed += len(s.Committed)
			if !s.Pushed || len(s.Committed) == 0 {
				t.Errorf("round %d: %s: sync committed %d files, pushed %v", round, c.name, len(s.Committed), s.Pushed)
			}
			for _, p := range s.Committed {
				if !tm.originHas(p) {
					missing++
					t.Errorf("round %d: origin lacks %s, committed by %s", round, p, c.name)
				}
			}
			if op := c.inProgress(); op != "" {
				t.Errorf("round %d: %s left mid-%s", round, c.name, op)
			}
			if st := c.mustGit("status", "--porcelain", "--untracked-files=all", "--", ".octorelease"); st != "" {
				t.Errorf("round %d: %s: state files left uncommitted:\n%s", round, c.name, st)
			}
		}
		total += retries
		if data, err := os.ReadFile(dev.dir + "/src/app.go"); err != nil || string(data) != wip {
			t.Errorf("round %d: dev's unstaged change is gone: %q (%v)", round, data, err)
		}
		if got := qa.mustGit("diff", "--cached", "--name-only"); strings.TrimSpace(got) != "notes.txt" {
			t.Errorf("round %d: qa's staged notes.txt is no longer staged alone: %q", round, got)
		}
		if tm.originHas("notes.txt") {
			t.Errorf("round %d: sync published qa's staged notes.txt", round)
		}
		if got := tm.gitIn(tm.root, "--git-dir", tm.origin, "show", "refs/heads/main:src/app.go"); got != "package app\n" {
			t.Errorf("round %d: sync published dev's change to src/app.go: %q", round, got)
		}
		fresh := tm.clone(fmt.Sprintf("fresh%d", round), "ci@example.com", merge)
		_, st := fresh.status(id)
		lost := lostSignoffs(t, fresh.name, st, made)
		fresh.want(0, "gate", "-r", id, "--phase", "pre-release")
		fresh.want(0, "audit", "verify", "--all")
		t.Logf("round %d: 6 concurrent syncs in %v: all exit 0 = %v, %d state files committed, %d missing on origin, %d sign-offs lost, %d push retries, %d integrated by merge",
			round, elapsed.Round(time.Millisecond), !t.Failed(), committed, missing, lost, retries, merged)
	}
	// Everyone syncs once more: every clone then shows every release alike.
	all := append([]*clone{rm}, clones...)
	for _, c := range all {
		c.ok("sync")
	}
	for round := 1; round <= 3; round++ {
		id := fmt.Sprintf("v1.%d.0", 3+round)
		sameOnEveryClone(t, "status -o json -r "+id, all, func(c *clone) string { raw, _ := c.status(id); return raw })
	}
	t.Logf("3 rounds: %d push retries in all", total)
}
