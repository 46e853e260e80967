package gitsync

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"time"
)

// gitCmd runs the git binary in one working tree.
type gitCmd struct {
	dir string
	env []string
}

// droppedEnv are variables that would make git look at another repository
// or read pathspecs differently from the ":(literal)" ones this package
// writes; they leak in when octorelease runs from a git hook.
var droppedEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PREFIX",
	"GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
	"GIT_ICASE_PATHSPECS",
}

func newGit(dir string) *gitCmd {
	env := make([]string, 0, len(os.Environ())+6)
outer:
	for _, kv := range os.Environ() {
		for _, d := range droppedEnv {
			if strings.HasPrefix(kv, d+"=") {
				continue outer
			}
		}
		env = append(env, kv)
	}
	// C messages so stderr can be matched; never prompt or open an editor:
	// a sync runs unattended and a prompt would hang it.
	env = append(env, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_EDITOR=:",
		"GIT_SEQUENCE_EDITOR=:", "GIT_MERGE_AUTOEDIT=no")
	return &gitCmd{dir: dir, env: env}
}

// gitError is a git command that exited non-zero.
type gitError struct {
	args   []string
	code   int // -1 when git did not run or was killed
	stderr string
	err    error
}

func (e *gitError) Error() string {
	msg := summarize(e.stderr)
	if msg == "" {
		msg = e.err.Error()
	}
	return "git " + subcommand(e.args) + ": " + msg
}

// subcommand is the git command in args, past any "-c name=value".
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		if args[i] == "-c" {
			i++
			continue
		}
		return args[i]
	}
	return ""
}

func (e *gitError) Unwrap() error { return e.err }

// exitCode is git's exit status in err, or -1.
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.code
	}
	return -1
}

// stderrOf is git's stderr in err, or "".
func stderrOf(err error) string {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.stderr
	}
	return ""
}

// summarize turns git's stderr into one line: hints dropped, "fatal:" and
// "error:" prefixes trimmed.
func summarize(stderr string) string {
	var parts []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "hint:") {
			continue
		}
		for _, p := range []string{"fatal: ", "error: "} {
			l = strings.TrimPrefix(l, p)
		}
		parts = append(parts, l)
	}
	s := strings.Join(parts, " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// run runs git with args and returns its stdout. Cancelling ctx interrupts
// git (SIGINT, so it removes its lock files) rather than killing it;
// callers pass context.WithoutCancel for steps that must not be cut short.
func (g *gitCmd) run(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	cmd.Env = g.env
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 10 * time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() >= 0 {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stdout.String(), &gitError{args: args, code: code, stderr: stderr.String(), err: err}
	}
	return stdout.String(), nil
}

// line runs git and returns its stdout without the trailing newline.
func (g *gitCmd) line(ctx context.Context, args ...string) (string, error) {
	out, err := g.run(ctx, "", args...)
	return strings.TrimRight(out, "\r\n"), err
}

// literal makes path a pathspec that matches exactly that path (or the
// folder's contents), whatever characters it holds.
func literal(path string) string { return ":(literal)" + path }

// nulList is paths as literal pathspecs for --pathspec-from-file with
// --pathspec-file-nul.
func nulList(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(literal(p))
		b.WriteByte(0)
	}
	return b.String()
}

// splitNul splits -z output, dropping the empty tail.
func splitNul(s string) []string {
	s = strings.TrimSuffix(s, "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
