package notes

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/semver"

	"github.com/octorelease/octorelease/internal/errs"
)

// releaseTag matches the tags that name releases: vX.Y.Z or X.Y.Z, nothing
// else (no pre-releases, no "latest" or "release-2026").
//
// Compiled on first use: every command links this package, few need it.
var releaseTag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
})

// canonical turns "1.4.0" or "v1.4.0" into "v1.4.0" for x/mod/semver.
func canonical(v string) string {
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

// PreviousTag returns the highest release tag (vX.Y.Z or X.Y.Z) of the
// repository containing dir that is lower than version, by semver; "" when
// there is none, or when dir is not in a git repository. When both v1.3.2 and
// 1.3.2 exist, the v form is returned.
func PreviousTag(dir, version string) (string, error) {
	cur := canonical(version)
	if !semver.IsValid(cur) {
		return "", errs.Usagef("invalid version %q: want a semantic version such as 1.4.0", version)
	}
	ok, err := inRepo(dir)
	if err != nil || !ok {
		return "", err
	}
	out, err := git(dir, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags")
	if err != nil {
		return "", err
	}
	var tags []string
	for _, t := range strings.Split(string(out), "\n") {
		if releaseTag().MatchString(t) && semver.Compare(canonical(t), cur) < 0 {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return "", nil
	}
	sort.Slice(tags, func(i, j int) bool {
		if c := semver.Compare(canonical(tags[i]), canonical(tags[j])); c != 0 {
			return c > 0
		}
		return strings.HasPrefix(tags[i], "v") && !strings.HasPrefix(tags[j], "v")
	})
	return tags[0], nil
}

// Field and record separators for `git log`: control characters that do not
// occur in commit messages, unlike newlines or "---".
const (
	fieldSep  = "\x1f"
	recordSep = "\x1e"
)

// Log returns the commits reachable from HEAD but not from fromTag (all of
// HEAD's history when fromTag is ""), newest first. Merge commits are left
// out: the commits they bring in are listed themselves. The bool is false,
// with no error, when dir is not inside a git repository or git is not
// installed. A repository with no commits yet gives no commits.
func Log(dir, fromTag string) ([]Commit, bool, error) {
	ok, err := inRepo(dir)
	if err != nil || !ok {
		return nil, false, err
	}
	if _, err := git(dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		return nil, true, nil // unborn HEAD: no commits yet
	}
	rng := "HEAD"
	if fromTag != "" {
		ref := "refs/tags/" + fromTag
		if _, err := git(dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
			return nil, true, errs.Usagef("tag %s not found in the git repository at %s", fromTag, dir)
		}
		rng = ref + "..HEAD"
	}
	out, err := git(dir, "log", "--no-merges", "--no-color", "--encoding=UTF-8",
		"--format=%H"+"%x1f"+"%s"+"%x1f"+"%b"+"%x1e", rng, "--")
	if err != nil {
		return nil, true, err
	}
	var commits []Commit
	for _, rec := range strings.Split(string(out), recordSep) {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.SplitN(rec, fieldSep, 3)
		if len(f) != 3 {
			return nil, true, errs.Runtimef("git log: unexpected output %q", rec)
		}
		commits = append(commits, ParseCommit(f[0], f[1], f[2]))
	}
	return commits, true, nil
}

// inRepo reports whether dir is inside a git work tree; false (no error)
// when git is missing or dir is not in a repository.
func inRepo(dir string) (bool, error) {
	if _, err := os.Stat(dir); err != nil {
		return false, errs.Runtimef("git history").Wrap(err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return false, nil
	}
	out, err := git(dir, "rev-parse", "--is-inside-work-tree")
	if errors.Is(err, errNotRepo) {
		return false, nil
	}
	if err != nil {
		return false, err // e.g. git refusing a repository owned by someone else
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

var errNotRepo = errors.New("not a git repository")

// keptGitEnv are the GIT_* variables passed on to git: they say where to stop
// looking for a repository or where the user's config lives. Every other
// GIT_* variable (GIT_DIR, GIT_INDEX_FILE from a hook, GIT_PAGER, ...) is
// dropped so that `git -C dir` means the repository at dir.
var keptGitEnv = map[string]bool{
	"GIT_CEILING_DIRECTORIES":         true,
	"GIT_DISCOVERY_ACROSS_FILESYSTEM": true,
	"GIT_CONFIG_GLOBAL":               true,
	"GIT_CONFIG_NOSYSTEM":             true,
	"GIT_EXEC_PATH":                   true,
}

func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GIT_") && !keptGitEnv[name] {
			continue
		}
		if name == "LC_ALL" || name == "LANG" || name == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_PAGER=cat")
}

// git runs git in dir with settings that user config cannot change in a way
// that would break parsing, and returns its stdout.
func git(dir string, args ...string) ([]byte, error) {
	full := append([]string{"-C", dir,
		"-c", "core.quotepath=off",
		"-c", "log.showSignature=false",
		"-c", "color.ui=never",
		"-c", "i18n.logOutputEncoding=UTF-8",
	}, args...)
	cmd := exec.Command("git", full...)
	cmd.Env = gitEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return nil, errNotRepo
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}
