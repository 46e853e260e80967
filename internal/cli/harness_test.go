package cli

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/octorelease/octorelease/internal/errs"
	"github.com/octorelease/octorelease/internal/golden"
)

// checkGolden compares got with testdata/<name>.golden (go test -update
// rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

// runArgs runs one octorelease command line as a process would: through
// NewRootCmd and Execute, with a Factory of its own built from base's
// construction fields only (the streams, clock, environment, folder,
// version and git stand-in), so nothing a Factory caches (config, actor,
// policy, flags) carries over from one command to the next. stdout is a
// terminal when tty is set; stdin and stderr never are. base's buffers
// are reset first and their contents returned. The actor comes from the
// command line (--as), as base.Flags is not copied.
func runArgs(t *testing.T, base *Factory, tty bool, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	f := &Factory{
		IO:        base.IO,
		Now:       base.Now,
		LookupEnv: base.LookupEnv,
		Cwd:       base.Cwd,
		Version:   base.Version,
		gitEmailF: base.gitEmailF,
	}
	out, ok1 := f.IO.Out.(*bytes.Buffer)
	errOut, ok2 := f.IO.ErrOut.(*bytes.Buffer)
	if !ok1 || !ok2 {
		t.Fatal("runArgs needs streams over buffers (iostreams.Test)")
	}
	out.Reset()
	errOut.Reset()
	f.IO.SetTTY(false, tty, false)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err = Execute(f, root)
	return out.String(), errOut.String(), err
}

// mustRunArgs is runArgs for a command that must succeed; it returns stdout.
func mustRunArgs(t *testing.T, base *Factory, tty bool, args ...string) string {
	t.Helper()
	out, errOut, err := runArgs(t, base, tty, args...)
	if err != nil {
		t.Fatalf("octorelease %q: %v (exit %d)\nstderr: %s", args, err, errs.Code(err), errOut)
	}
	return out
}
