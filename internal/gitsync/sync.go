// Package gitsync is the engine of `octorelease sync` (SPEC §12): it commits
// the state folder's new files, integrates the remote branch and pushes,
// fetching and retrying when someone else pushed first.
//
// The state folder only ever gains files, which is why clones merge without
// conflicts. Sync enforces that instead of trusting it: a recorded file that
// was modified or deleted stops it (TamperError), and so do unpushed commits
// that touch anything outside the folder (OtherCommitsError), which it would
// otherwise publish unasked.
//
// Everything goes through the git binary. Sync never forces a push, never
// leaves a rebase or merge in progress, and never touches the index or
// working tree outside what integrating the remote requires: other staged
// or unstaged changes stay exactly as they were.
package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// DefaultMaxAttempts is how many times Sync pushes before giving up when
// Options.MaxAttempts is zero.
const DefaultMaxAttempts = 10

// Options configures Sync.
type Options struct {
	// Repo is the working tree root or any folder inside it; "" is the
	// current directory.
	Repo string
	// StateDir is the state folder, inside Repo. A relative path is taken
	// relative to Repo.
	StateDir string
	// Remote to sync with. "" means the current branch's upstream remote,
	// else "origin".
	Remote string
	// Message is the commit message for the new state files; "" derives
	// one from their paths ("octorelease: record 3 events (v1.4.0)").
	Message string
	// MaxAttempts bounds the pushes tried; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// AllowOtherCommits lets unpushed commits that touch files outside the
	// state folder be pushed along (--allow-other-commits).
	AllowOtherCommits bool
	// Stderr, if not nil, receives one progress line per step.
	Stderr io.Writer
}

// Result says what Sync did.
type Result struct {
	Committed []string // state files committed, repo-relative slash paths
	Commit    string   // the commit holding them, as pushed (rebased); "" if none
	Pulled    int      // commits integrated from the remote
	Merged    bool     // integrated with a merge commit rather than a rebase
	Pushed    bool
	Retries   int    // rejected pushes retried
	Upstream  string // "origin/main"
}

// UpToDate reports whether Sync found nothing to commit, pull or push.
func (r Result) UpToDate() bool {
	return len(r.Committed) == 0 && r.Pulled == 0 && !r.Pushed
}

// TamperError is a recorded state file that was modified or deleted, in the
// working tree, the index or an unpushed commit. Sync changed nothing.
type TamperError struct {
	Paths   []string // repo-relative
	Commits []string // the unpushed commits that changed them; nil for the working tree
}

func (e *TamperError) Error() string {
	paths := listSome(e.Paths, 5)
	if len(e.Commits) > 0 {
		return fmt.Sprintf("sync: unpushed commit %s changes recorded state (%s): recorded events are never changed or removed (tampering?); drop or revert the commit, then sync again",
			listSome(shortAll(e.Commits), 5), paths)
	}
	verb := "was modified or deleted"
	if len(e.Paths) > 1 {
		verb = "were modified or deleted"
	}
	return fmt.Sprintf("sync: %s %s, not added: recorded events are never changed (tampering?); restore with \"git checkout HEAD -- %s\"",
		paths, verb, shellList(e.Paths))
}

// OtherCommitsError is unpushed commits on the branch that touch files
// outside the state folder; Sync refused to publish them and pushed nothing.
type OtherCommitsError struct {
	Commits []string // full hashes, oldest first
	Files   []string // repo-relative paths outside the state folder they touch
}

func (e *OtherCommitsError) Error() string {
	n := "1 unpushed commit that touches"
	if len(e.Commits) != 1 {
		n = fmt.Sprintf("%d unpushed commits that touch", len(e.Commits))
	}
	return fmt.Sprintf("sync: refusing to publish %s files outside the state folder: %s (%s); push or move them yourself, then sync again",
		n, listSome(shortAll(e.Commits), 5), listSome(e.Files, 5))
}

// Sync commits the new files of o.StateDir, integrates the remote branch
// (rebase, or a merge when other changes in the working tree make a rebase
// impossible) and pushes, retrying a bounded number of times when the push
// is rejected because someone else pushed first.
func Sync(ctx context.Context, o Options) (Result, error) {
	s, err := open(ctx, o)
	if err != nil {
		return Result{}, err
	}
	defer s.lock.Unlock()
	err = s.run(ctx)
	return s.res, err
}

type syncer struct {
	o        Options
	g        *gitCmd
	lock     *flock.Flock
	gitDir   string
	stateRel string // slash path of the state folder from the top
	branch   string // local branch
	remote   string
	rbranch  string // branch on the remote
	out      io.Writer
	res      Result
}

// repo locates the working tree top and the state folder in it.
func repo(ctx context.Context, dir, stateDir string) (g *gitCmd, top, rel string, err error) {
	if dir == "" {
		dir = "."
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, "", "", fmt.Errorf("sync: %w", err)
	}
	top, err = newGit(dir).line(ctx, "rev-parse", "--show-toplevel")
	if err != nil || top == "" {
		return nil, "", "", fmt.Errorf("sync: %s is not in a git working tree", dir)
	}
	top = resolve(filepath.Clean(top))
	if stateDir == "" {
		return nil, "", "", errors.New("sync: no state folder given")
	}
	if !filepath.IsAbs(stateDir) {
		stateDir = filepath.Join(dir, stateDir)
	}
	r, err := filepath.Rel(top, resolve(filepath.Clean(stateDir)))
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil, "", "", fmt.Errorf("sync: state folder %s is not a folder inside the repository %s", stateDir, top)
	}
	rel = filepath.ToSlash(r)
	if rel == ".git" || strings.HasPrefix(rel, ".git/") {
		return nil, "", "", fmt.Errorf("sync: state folder %s is inside .git", stateDir)
	}
	return newGit(top), top, rel, nil
}

// resolve follows symlinks in the longest existing prefix of p, so paths
// compare with git's (resolved) toplevel even where the state folder does
// not exist yet.
func resolve(p string) string {
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

func open(ctx context.Context, o Options) (*syncer, error) {
	g, top, rel, err := repo(ctx, o.Repo, o.StateDir)
	if err != nil {
		return nil, err
	}
	s := &syncer{o: o, g: g, stateRel: rel, out: o.Stderr}
	if s.out == nil {
		s.out = io.Discard
	}
	if s.o.MaxAttempts <= 0 {
		s.o.MaxAttempts = DefaultMaxAttempts
	}
	if s.gitDir, err = g.line(ctx, "rev-parse", "--absolute-git-dir"); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	ref, err := g.line(ctx, "symbolic-ref", "-q", "HEAD")
	if err != nil || !strings.HasPrefix(ref, "refs/heads/") {
		return nil, fmt.Errorf("sync: HEAD is detached in %s: check out the branch to sync (git switch BRANCH)", top)
	}
	s.branch = strings.TrimPrefix(ref, "refs/heads/")
	if _, err := g.line(ctx, "rev-parse", "--verify", "-q", "HEAD^{commit}"); err != nil {
		return nil, fmt.Errorf("sync: branch %s has no commits yet", s.branch)
	}

	cfgRemote, _ := g.line(ctx, "config", "--get", "branch."+s.branch+".remote")
	cfgMerge, _ := g.line(ctx, "config", "--get", "branch."+s.branch+".merge")
	s.remote = o.Remote
	if s.remote == "" {
		s.remote = "origin"
		if cfgRemote != "" && cfgRemote != "." {
			s.remote = cfgRemote
		}
	}
	if strings.HasPrefix(s.remote, "-") {
		return nil, fmt.Errorf("sync: bad remote name %q", s.remote)
	}
	if _, err := g.line(ctx, "remote", "get-url", s.remote); err != nil {
		return nil, fmt.Errorf("sync: no remote %q in %s: add one (git remote add %s URL) or name another", s.remote, top, s.remote)
	}
	s.rbranch = s.branch
	if cfgRemote == s.remote && strings.HasPrefix(cfgMerge, "refs/heads/") {
		s.rbranch = strings.TrimPrefix(cfgMerge, "refs/heads/")
	}
	s.res.Upstream = s.remote + "/" + s.rbranch

	// Two syncs in one clone would commit and rebase under each other.
	s.lock = flock.New(filepath.Join(s.gitDir, "octorelease-sync.lock"))
	ok, err := s.lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("sync: lock: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("sync: another sync is running in %s", top)
	}
	return s, nil
}

// inProgress names the operation git is in the middle of, or "".
func (s *syncer) inProgress() string {
	for _, c := range []struct{ file, op string }{
		{"rebase-merge", "rebase"}, {"rebase-apply", "rebase"}, {"MERGE_HEAD", "merge"},
		{"CHERRY_PICK_HEAD", "cherry-pick"}, {"REVERT_HEAD", "revert"},
	} {
		if _, err := os.Lstat(filepath.Join(s.gitDir, c.file)); err == nil {
			return c.op
		}
	}
	return ""
}

func (s *syncer) say(format string, a ...any) {
	fmt.Fprintf(s.out, "sync: "+format+"\n", a...)
}

// fail adds to err that the new state files are committed locally, once
// they are.
func (s *syncer) fail(err error) error {
	var twice *CreatedTwiceError
	if s.res.Commit == "" || errors.As(err, &twice) {
		return err
	}
	return fmt.Errorf("%w (the new state files stay committed locally as %s; sync again to publish them)", err, short(s.res.Commit))
}

func (s *syncer) run(ctx context.Context) error {
	// Steps that change the repository run to completion even if ctx is
	// cancelled: cut short, they would leave it mid-commit or mid-rebase.
	local := context.WithoutCancel(ctx)

	if op := s.inProgress(); op != "" {
		return fmt.Errorf("sync: a %s is in progress in %s: finish or abort it first", op, s.g.dir)
	}
	added, err := s.scan(ctx)
	if err != nil {
		return err
	}
	tip, err := s.fetch(ctx)
	if err != nil {
		return err
	}
	if err := s.checkUnpushed(ctx, tip); err != nil {
		return err
	}
	if err := s.checkCreatedTwice(ctx, tip, added); err != nil {
		return err
	}
	if len(added) > 0 {
		if err := s.commit(local, added); err != nil {
			return err
		}
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return s.fail(fmt.Errorf("sync: %w", err))
		}
		if err := s.integrate(local, tip); err != nil {
			return s.fail(err)
		}
		head, err := s.g.line(local, "rev-parse", "HEAD")
		if err != nil {
			return s.fail(fmt.Errorf("sync: %w", err))
		}
		if head == tip {
			break
		}
		retry, err := s.push(ctx, head)
		if err == nil {
			s.res.Pushed = true
			s.say("pushed to %s", s.res.Upstream)
			break
		}
		if !retry {
			return s.fail(err)
		}
		if attempt >= s.o.MaxAttempts {
			return s.fail(fmt.Errorf("sync: push to %s was rejected %d times because others pushed first; try again", s.res.Upstream, attempt))
		}
		s.res.Retries++
		d := backoff(attempt)
		s.say("push rejected, someone pushed first; retrying in %v (attempt %d of %d)", d.Round(time.Millisecond), attempt+1, s.o.MaxAttempts)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return s.fail(fmt.Errorf("sync: %w", ctx.Err()))
		case <-t.C:
		}
		if tip, err = s.fetch(ctx); err != nil {
			return s.fail(err)
		}
	}
	if s.res.UpToDate() {
		s.say("up to date with %s", s.res.Upstream)
	}
	return nil
}

// CreatedTwiceError is a release (or incident run) created on this clone
// and on the remote before they synced: both added its release.json.
// Nothing was committed.
type CreatedTwiceError struct {
	Headers  []string // repo-relative paths of the release.json both sides added
	Upstream string
}

func (e *CreatedTwiceError) Error() string {
	return fmt.Sprintf("sync: %s was also created on %s by another clone, with another header; nothing was committed: "+
		"remove your folder (its sign-offs are yours to record again on theirs), sync, then sign again",
		listSome(e.Headers, 3), e.Upstream)
}

// checkCreatedTwice refuses, before anything is committed, new headers
// that the remote also has with other contents: the one state file two
// clones can add under one name (event files are named by their hash).
func (s *syncer) checkCreatedTwice(ctx context.Context, tip string, added []string) error {
	if tip == "" {
		return nil
	}
	var clash []string
	for _, p := range added {
		if filepath.Base(p) != "release.json" {
			continue
		}
		theirs, err := s.g.line(ctx, "rev-parse", "-q", "--verify", tip+":"+p)
		if err != nil || theirs == "" {
			continue // the remote has no such release
		}
		mine, err := s.g.line(ctx, "hash-object", "--", p)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		if mine != theirs {
			clash = append(clash, p)
		}
	}
	if len(clash) > 0 {
		return &CreatedTwiceError{Headers: clash, Upstream: s.res.Upstream}
	}
	return nil
}

// backoff is the jittered wait before push retry n (1-based): 50ms to an
// upper bound growing by 300ms a retry, capped at 2s, so racing clones
// spread out instead of colliding again.
func backoff(n int) time.Duration {
	lo := 50 * time.Millisecond
	hi := min(300*time.Millisecond*time.Duration(n), 2*time.Second)
	return lo + rand.N(hi-lo)
}

// scan lists the state folder's new files (untracked or staged as added)
// and fails with a TamperError if a file of HEAD under it was modified or
// deleted, in the index or the working tree.
func (s *syncer) scan(ctx context.Context) ([]string, error) {
	out, err := s.g.run(ctx, "", "status", "--porcelain=v1", "-z", "--untracked-files=all",
		"--no-renames", "--", literal(s.stateRel))
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	var added, tampered, unmerged []string
	for _, e := range splitNul(out) {
		if len(e) < 4 {
			continue
		}
		x, y, p := e[0], e[1], e[3:]
		switch {
		case x == '?' && y == '?':
			added = append(added, p)
		case x == 'U' || y == 'U' || (x == 'A' && y == 'A') || (x == 'D' && y == 'D'):
			unmerged = append(unmerged, p)
		case x == 'A' || (x == ' ' && y == 'A'):
			// Not in HEAD: a new file the user staged (or marked with
			// add -N). Gone from the working tree again (AD) it is
			// nothing to record.
			if y != 'D' {
				added = append(added, p)
			}
		default:
			tampered = append(tampered, p)
		}
	}
	if len(unmerged) > 0 {
		return nil, fmt.Errorf("sync: %s unmerged: resolve the conflict first", listSome(unmerged, 5))
	}
	if len(tampered) > 0 {
		sort.Strings(tampered)
		return nil, &TamperError{Paths: tampered}
	}
	sort.Strings(added)
	return added, nil
}

// fetch fetches the remote branch and returns its tip, "" if the remote
// has no such branch yet.
func (s *syncer) fetch(ctx context.Context) (string, error) {
	_, err := s.g.run(ctx, "", "fetch", "--no-tags", "--no-recurse-submodules", s.remote, "refs/heads/"+s.rbranch)
	if err != nil {
		if strings.Contains(stderrOf(err), "couldn't find remote ref") {
			return "", nil
		}
		if ctx.Err() != nil {
			return "", s.fail(fmt.Errorf("sync: fetch from %s: %w", s.remote, ctx.Err()))
		}
		return "", s.fail(fmt.Errorf("sync: fetch from %s failed: %w", s.remote, err))
	}
	tip, err := s.g.line(ctx, "rev-parse", "--verify", "-q", "FETCH_HEAD^{commit}")
	if err != nil {
		return "", s.fail(fmt.Errorf("sync: fetch from %s: no commit in FETCH_HEAD", s.remote))
	}
	return tip, nil
}

// checkUnpushed looks at the commits of HEAD that the remote branch lacks:
// any that changes a recorded state file is a TamperError, any that touches
// a file outside the state folder an OtherCommitsError (unless allowed).
// Commits sync made itself only add state files, so they pass.
func (s *syncer) checkUnpushed(ctx context.Context, tip string) error {
	args := []string{"rev-list", "HEAD", "--not"}
	if tip != "" {
		args = append(args, tip)
	} else {
		args = append(args, "--remotes="+s.remote)
	}
	revs, err := s.g.run(ctx, "", args...)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if strings.TrimSpace(revs) == "" {
		return nil
	}
	// --cc shows a merge only where it differs from every parent, i.e.
	// what the merge itself changed, not what it brought in.
	out, err := s.g.run(ctx, revs, "diff-tree", "--stdin", "-r", "-z", "--no-renames", "--name-status", "--cc", "--root")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	type hit struct{ commits, files map[string]bool }
	tamper := hit{map[string]bool{}, map[string]bool{}}
	other := hit{map[string]bool{}, map[string]bool{}}
	var order []string // commits oldest first
	commit := ""
	toks := splitNul(out)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !isStatus(t) {
			commit = t
			order = append(order, t)
			continue
		}
		if i+1 >= len(toks) {
			break
		}
		i++
		p := toks[i]
		switch {
		case p != s.stateRel && !strings.HasPrefix(p, s.stateRel+"/"):
			other.commits[commit], other.files[p] = true, true
		case strings.Trim(t, "A") != "":
			tamper.commits[commit], tamper.files[p] = true, true
		}
	}
	pick := func(h hit) (commits, files []string) {
		for i := len(order) - 1; i >= 0; i-- { // rev-list is newest first
			if h.commits[order[i]] {
				commits = append(commits, order[i])
				h.commits[order[i]] = false
			}
		}
		for f := range h.files {
			files = append(files, f)
		}
		sort.Strings(files)
		return commits, files
	}
	if len(tamper.files) > 0 {
		c, f := pick(tamper)
		return &TamperError{Paths: f, Commits: c}
	}
	if len(other.files) > 0 {
		c, f := pick(other)
		if !s.o.AllowOtherCommits {
			return &OtherCommitsError{Commits: c, Files: f}
		}
		s.say("publishing %d unpushed commit(s) that touch files outside the state folder, as allowed: %s (%s)",
			len(c), listSome(shortAll(c), 5), listSome(f, 5))
	}
	return nil
}

// isStatus tells a diff-tree status field (one uppercase letter per parent)
// from a commit id (lowercase hex).
func isStatus(t string) bool {
	if t == "" || len(t) > 16 {
		return false
	}
	for _, c := range t {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// commit commits exactly paths. --only takes them from the working tree
// and leaves whatever else the user staged out of the commit, and staged.
func (s *syncer) commit(ctx context.Context, paths []string) error {
	msg := s.o.Message
	if msg == "" {
		msg = Message(s.stateRel, paths)
	}
	list := nulList(paths)
	if _, err := s.g.run(ctx, list, "add", "--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
		return fmt.Errorf("sync: staging the new state files: %w", err)
	}
	if _, err := s.g.run(ctx, list, "commit", "--no-verify", "--quiet", "--only", "-m", msg,
		"--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
		// Unstage what was untracked before, leaving the index as it was.
		// (A path the user had staged is staged again by this, harmlessly:
		// it holds the same new file.)
		_, _ = s.g.run(ctx, list, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul")
		return fmt.Errorf("sync: committing the new state files: %w", err)
	}
	head, err := s.g.line(ctx, "rev-parse", "HEAD")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	s.res.Commit, s.res.Committed = head, paths
	s.say("committed %d new state file(s) as %s: %s", len(paths), short(head), msg)
	return nil
}

// integrate brings HEAD up to tip: nothing when HEAD already contains it, a
// fast-forward when HEAD is behind, else a rebase onto it, or a merge when
// other changes to tracked files make a rebase impossible. On failure the
// branch, index and working tree are as they were.
func (s *syncer) integrate(ctx context.Context, tip string) error {
	if tip == "" {
		return nil
	}
	head, err := s.g.line(ctx, "rev-parse", "HEAD")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if s.isAncestor(ctx, tip, head) {
		return nil
	}
	n, err := s.g.line(ctx, "rev-list", "--count", head+".."+tip)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	var pulled int
	fmt.Sscan(n, &pulled)

	if s.isAncestor(ctx, head, tip) {
		if err := s.fastForward(ctx, tip); err != nil {
			return err
		}
		s.res.Pulled += pulled
		s.say("fast-forwarded to %s, pulling %d commit(s)", s.res.Upstream, pulled)
		return nil
	}
	if err := s.checkAddAdd(ctx, head, tip); err != nil {
		return err
	}
	dirty, err := s.g.run(ctx, "", "status", "--porcelain=v1", "-z", "--untracked-files=no")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	how := "rebased onto"
	if dirty == "" {
		if err = s.rebase(ctx, head, tip); err == nil {
			err = s.findCommit(ctx)
		}
	} else {
		how = "merged"
		err = s.merge(ctx, head, tip)
	}
	if err != nil {
		return err
	}
	s.res.Pulled += pulled
	s.say("%s %s, pulling %d commit(s)", how, s.res.Upstream, pulled)
	return nil
}

func (s *syncer) isAncestor(ctx context.Context, a, b string) bool {
	_, err := s.g.run(ctx, "", "merge-base", "--is-ancestor", a, b)
	return err == nil
}

// fastForward moves the branch to commit, carrying local changes along as
// checkout does; git refuses, changing nothing, if one is in the way.
func (s *syncer) fastForward(ctx context.Context, commit string) error {
	if _, err := s.g.run(ctx, "", "-c", "merge.autoStash=false", "merge", "--ff-only", "-q", commit); err != nil {
		if op := s.inProgress(); op != "" { // should not happen with --ff-only; never leave one
			_, _ = s.g.run(ctx, "", "merge", "--abort")
		}
		return fmt.Errorf("sync: cannot bring in the changes from %s: %w; nothing was integrated and your changes are untouched", s.res.Upstream, err)
	}
	return nil
}

// checkAddAdd fails, before anything is changed, when this side and the
// remote added the same state file with different contents: the one
// conflict append-only files can have (two writers picking one name).
func (s *syncer) checkAddAdd(ctx context.Context, head, tip string) error {
	base, err := s.g.line(ctx, "merge-base", head, tip)
	if err != nil {
		return nil // unrelated histories: let the rebase or merge decide
	}
	mine, err := s.g.run(ctx, "", "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", base, head, "--", literal(s.stateRel))
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if mine == "" {
		return nil
	}
	// Paths both trees have but with other contents.
	both, err := s.g.run(ctx, "", "diff", "--name-only", "-z", "--no-renames", "--diff-filter=M", head, tip, "--", literal(s.stateRel))
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	added := map[string]bool{}
	for _, p := range splitNul(mine) {
		added[p] = true
	}
	var clash []string
	for _, p := range splitNul(both) {
		if added[p] {
			clash = append(clash, p)
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("sync: both this clone and %s added %s, with different contents; nothing was integrated: rename or remove yours", s.res.Upstream, listSome(clash, 5))
	}
	return nil
}

// findCommit points Result.Commit at sync's commit as rebased: the newest
// commit, unless the rebase dropped it because the remote already had the
// same files (then there is no commit of sync's left).
func (s *syncer) findCommit(ctx context.Context) error {
	if s.res.Commit == "" {
		return nil
	}
	const id = "--format=%an%x00%ae%x00%ad%x00%B"
	was, err := s.g.run(ctx, "", "log", "-1", id, s.res.Commit)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	now, err := s.g.run(ctx, "", "log", "-1", id, "HEAD")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if was != now {
		s.res.Commit = ""
		return nil
	}
	s.res.Commit, err = s.g.line(ctx, "rev-parse", "HEAD")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// rebase rebases the branch onto tip, aborting on any failure.
func (s *syncer) rebase(ctx context.Context, head, tip string) error {
	_, err := s.g.run(ctx, "", "-c", "rebase.autoStash=false", "-c", "rebase.updateRefs=false",
		"-c", "rebase.autoSquash=false", "-c", "rebase.rebaseMerges=false",
		"rebase", "--no-verify", "-q", tip)
	if err == nil {
		return nil
	}
	return s.restore(ctx, head, "rebase", fmt.Errorf("sync: rebase onto %s failed: %w", s.res.Upstream, err))
}

// merge merges tip into the branch. The merge commit is made without the
// index (merge-tree) and then fast-forwarded to, because git merge refuses
// to run with anything staged while fast-forwards carry staged and
// unstaged changes along.
func (s *syncer) merge(ctx context.Context, head, tip string) error {
	msg := "octorelease: merge " + s.res.Upstream
	out, err := s.g.run(ctx, "", "merge-tree", "--write-tree", "--no-messages", "--name-only", "-z", head, tip)
	switch code := exitCode(err); {
	case err == nil:
		f := splitNul(out)
		args := []string{"commit-tree"}
		if sign, _ := s.g.line(ctx, "config", "--type=bool", "commit.gpgSign"); sign == "true" {
			args = append(args, "-S") // commit-tree does not read commit.gpgSign
		}
		args = append(args, "-p", head, "-p", tip, "-m", msg, f[0])
		m, err := s.g.line(ctx, args...)
		if err != nil {
			return fmt.Errorf("sync: merging %s: %w", s.res.Upstream, err)
		}
		if err := s.fastForward(ctx, m); err != nil {
			return err
		}
		s.res.Merged = true
		return nil
	case code == 1:
		f := splitNul(out)
		if len(f) > 1 {
			f = f[1:]
		}
		return fmt.Errorf("sync: merging %s would conflict in %s; nothing was integrated", s.res.Upstream, listSome(f, 5))
	case code == 129: // git before 2.38: no merge-tree --write-tree
		_, err := s.g.run(ctx, "", "-c", "merge.autoStash=false", "merge", "--no-edit", "--no-verify", "--no-ff", "-q", "-m", msg, tip)
		if err == nil {
			s.res.Merged = true
			return nil
		}
		return s.restore(ctx, head, "merge", fmt.Errorf("sync: merging %s failed: %w", s.res.Upstream, err))
	default:
		return fmt.Errorf("sync: merging %s: %w", s.res.Upstream, err)
	}
}

// restore aborts a failed rebase or merge and checks the branch is back at
// head, returning cause with what it found.
func (s *syncer) restore(ctx context.Context, head, op string, cause error) error {
	if s.inProgress() != "" {
		if _, err := s.g.run(ctx, "", op, "--abort"); err != nil {
			return fmt.Errorf("%w; and git %s --abort failed too (%v): run it yourself", cause, op, err)
		}
	}
	ref, _ := s.g.line(ctx, "symbolic-ref", "-q", "HEAD")
	now, _ := s.g.line(ctx, "rev-parse", "HEAD")
	if ref != "refs/heads/"+s.branch || now != head {
		return fmt.Errorf("%w; and the branch was not restored: HEAD is %s at %s, it was %s at %s", cause, ref, short(now), s.branch, short(head))
	}
	return fmt.Errorf("%w; %s aborted, HEAD restored to %s", cause, op, short(head))
}

// push pushes commit to the remote branch, never forced. retry reports a
// rejection that fetching and integrating again can cure.
func (s *syncer) push(ctx context.Context, commit string) (retry bool, err error) {
	out, err := s.g.run(ctx, "", "push", "--porcelain", "--no-recurse-submodules", s.remote, commit+":refs/heads/"+s.rbranch)
	if err == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, fmt.Errorf("sync: push to %s: %w", s.res.Upstream, ctx.Err())
	}
	// Porcelain lines: "<flag>\t<from>:<to>\t<summary> (<reason>)"; "!" is
	// a rejected ref.
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "!") {
			continue
		}
		f := strings.SplitN(l, "\t", 3)
		why := l
		if len(f) == 3 {
			why = f[2]
		}
		for _, r := range []string{"fetch first", "non-fast-forward", "stale info",
			"failed to update ref", "failed to lock", "cannot lock", "incorrect old value"} {
			if strings.Contains(why, r) {
				return true, fmt.Errorf("sync: push to %s rejected: %s", s.res.Upstream, why)
			}
		}
		return false, fmt.Errorf("sync: push to %s rejected: %s", s.res.Upstream, why)
	}
	if lock := summarize(stderrOf(err)); strings.Contains(lock, "cannot lock ref") || strings.Contains(lock, ".lock': File exists") {
		return true, fmt.Errorf("sync: push to %s failed: %w", s.res.Upstream, err)
	}
	return false, fmt.Errorf("sync: push to %s failed: %w", s.res.Upstream, err)
}

func short(h string) string {
	if len(h) > 7 {
		return h[:7]
	}
	return h
}

func shortAll(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = short(h)
	}
	return out
}

// listSome joins up to n items, saying how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// shellList quotes paths for a command line to paste.
func shellList(paths []string) string {
	q := make([]string, 0, len(paths))
	for _, p := range paths {
		if strings.ContainsAny(p, " \t\n'\"\\$`*?[]#~&;|<>(){}!") || strings.HasPrefix(p, "-") {
			p = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
		q = append(q, p)
	}
	return strings.Join(q, " ")
}

// notExist reports a path that is gone, including one whose parent is now
// a file.
func notExist(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
